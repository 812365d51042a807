//! Deleting a supporter at their request (admins only): found by their address (sent in a form,
//! never in an address bar), shown with what they signed, deleted once confirmed (audited, without
//! the address).

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use serde::Deserialize;

use super::{PageKit, StaffUser, flash_redirect, id_of, ip_hash};
use crate::{
    db::retention,
    domain::email::Email,
    error::AppResult,
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{
        Flash,
        supporters::{SignedRow, SupportersView, supporters_page},
    },
};

#[derive(Debug, Default, Deserialize)]
pub(super) struct FindForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    confirm: String,
}

/// `GET /admin/supporters`.
pub(super) async fn form(
    State(state): State<AppState>,
    admin: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let kit = PageKit::new(&state, &headers);
    let view = SupportersView { chrome: kit.chrome(&admin), email: "", error: None, found: None };
    let markup = supporters_page(&view);
    Ok(kit.page(StatusCode::OK, markup))
}

/// `POST /admin/supporters/find`: who signed with the address, and what.
pub(super) async fn find(
    State(state): State<AppState>,
    admin: StaffUser,
    headers: HeaderMap,
    Form(form): Form<FindForm>,
) -> AppResult<Response> {
    found_page(&state, &admin, &headers, &form.email, None).await
}

/// The page for `email` looked up, with `error` (the deletion's) if there is one.
async fn found_page(
    state: &AppState,
    admin: &StaffUser,
    headers: &HeaderMap,
    email: &str,
    error: Option<&str>,
) -> AppResult<Response> {
    let kit = PageKit::new(state, headers);
    let typed = email.trim();
    let Ok(address) = Email::parse(typed) else {
        let error = Some("Enter the email address they signed with, such as name@example.org.");
        let view = SupportersView { chrome: kit.chrome(admin), email: typed, error, found: Some(None) };
        let markup = supporters_page(&view);
        return Ok(kit.page(StatusCode::UNPROCESSABLE_ENTITY, markup));
    };
    let found = retention::find(&state.db.write, &address.canonical()).await?;
    let rows: Vec<SignedRow> = found
        .as_ref()
        .map(|f| {
            f.signatures
                .iter()
                .map(|(title, status, at)| SignedRow {
                    campaign: title.clone(),
                    status: super::signatures::status_name(*status),
                    signed: at.format("%Y-%m-%d %H:%M").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let view = SupportersView {
        chrome: kit.chrome(admin),
        email: typed,
        error,
        found: Some(found.as_ref().map(|f| (f.supporter_id, rows.as_slice()))),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let markup = supporters_page(&view);
    Ok(kit.page(status, markup))
}

/// `POST /admin/supporters/{sid}/erase` (`confirm=1`): deletes their personal data.
pub(super) async fn erase(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(sid): Path<String>,
    Form(form): Form<FindForm>,
) -> AppResult<Response> {
    let id = id_of(&sid)?;
    if form.confirm != "1" {
        let error = Some("Tick the box to say this person asked to be deleted.");
        return found_page(&state, &admin, &headers, &form.email, error).await;
    }
    let by = admin.audit("supporter.erased", Some(ip_hash(&state, ip)));
    // Already deleted (a second click) ends in the same place.
    retention::erase_supporter(&state.db.write, id, by, Utc::now()).await?;
    Ok(flash_redirect(&state, "/admin/supporters", Flash::SupporterErased))
}
