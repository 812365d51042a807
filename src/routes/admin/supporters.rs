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
        supporters::{FoundView, SignedRow, SupportersView, supporters_page},
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
    let view = SupportersView {
        chrome: kit.chrome(&admin),
        email: "",
        address_error: None,
        confirm_error: None,
        found: None,
    };
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

/// The page for `email` looked up, with `confirm_error` (the deletion form's) if there is one
/// and someone is found.
async fn found_page(
    state: &AppState,
    admin: &StaffUser,
    headers: &HeaderMap,
    email: &str,
    confirm_error: Option<&str>,
) -> AppResult<Response> {
    let kit = PageKit::new(state, headers);
    let typed = email.trim();
    let Ok(address) = Email::parse(typed) else {
        let address_error = Some("Enter the email address they signed with, such as name@example.org.");
        let view = SupportersView {
            chrome: kit.chrome(admin),
            email: typed,
            address_error,
            confirm_error: None,
            found: Some(None),
        };
        let markup = supporters_page(&view);
        return Ok(kit.page(StatusCode::UNPROCESSABLE_ENTITY, markup));
    };
    let found = retention::find(&state.db.write, &address.canonical()).await?;
    let rows: Vec<SignedRow> = found
        .iter()
        .flat_map(|f| &f.signatures)
        .map(|(title, status, at)| SignedRow {
            campaign: title.clone(),
            status: super::signatures::status_name(*status),
            signed: at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect();
    let named_in: Vec<(String, String, String)> = found
        .iter()
        .flat_map(|f| &f.named_in)
        .map(|(public_id, title, cutoff)| {
            (format!("/d/{public_id}"), title.clone(), cutoff.format("%Y-%m-%d %H:%M UTC").to_string())
        })
        .collect();
    let shown = found.as_ref().map(|f| FoundView {
        id: f.supporter_id,
        rows: &rows,
        named_in: &named_in,
        waiting: f.signatures.iter().any(|s| s.1 == entity::signature::Status::Pending),
    });
    let confirm_error = confirm_error.filter(|_| shown.is_some());
    let view = SupportersView {
        chrome: kit.chrome(admin),
        email: typed,
        address_error: None,
        confirm_error,
        found: Some(shown),
    };
    let status = if confirm_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
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
    let flash = match retention::erase_supporter(&state.db.write, id, by, Utc::now()).await? {
        Some(_) => Flash::SupporterErased,
        // Deleted already (a second click), or no such supporter.
        None => Flash::NothingErased,
    };
    Ok(flash_redirect(&state, "/admin/supporters", flash))
}
