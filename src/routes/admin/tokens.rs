//! API tokens in the browser (admins only): the list, making one (the token shown once, in the
//! page that answers the form, never in an address or a cookie), revoking one. Both are in the
//! audit log.

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::{PageKit, StaffUser, flash_redirect, id_of, ip_hash};
use crate::{
    db::{
        petitions,
        staff::{self, Audit},
        tokens::{self, NAME_MAX, Scope},
    },
    error::{AppError, AppResult},
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{
        Flash,
        tokens::{TokenRow, TokensView, tokens_page},
    },
};

#[derive(Default)]
struct Extras<'a> {
    made: Option<(String, String)>,
    name: &'a str,
    scope: &'a str,
    error: Option<&'a str>,
}

const WHEN: &str = "%Y-%m-%d %H:%M UTC";

async fn page(
    state: &AppState,
    admin: &StaffUser,
    headers: &HeaderMap,
    extras: Extras<'_>,
    status: StatusCode,
) -> AppResult<Response> {
    let slugs: std::collections::HashMap<i64, String> =
        petitions::all(&state.db.read).await?.into_iter().map(|p| (p.id, p.slug)).collect();
    let rows: Vec<TokenRow> = tokens::all(&state.db.read)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            petition: t.petition_id.and_then(|id| slugs.get(&id).cloned()),
            created: format!("{} by {}", t.created_at.format(WHEN), t.created_by),
            last_used: t.last_used_at.map(|at| at.format(WHEN).to_string()),
            revoked: t
                .revoked_at
                .map(|at| format!("{} by {}", at.format(WHEN), t.revoked_by.unwrap_or_default())),
            name: t.name,
            scope: t.scope,
            hint: t.hint,
        })
        .collect();
    let kit = PageKit::new(state, headers);
    let view = TokensView {
        chrome: kit.chrome(admin),
        rows: &rows,
        made: extras.made,
        name: extras.name,
        scope: if extras.scope.is_empty() { "read" } else { extras.scope },
        error: extras.error,
    };
    let markup = tokens_page(&view);
    Ok(kit.page(status, markup))
}

/// `GET /admin/tokens`.
pub(super) async fn list(
    State(state): State<AppState>,
    admin: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    page(&state, &admin, &headers, Extras::default(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct MakeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

/// `POST /admin/tokens`.
pub(super) async fn make(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<MakeForm>,
) -> AppResult<Response> {
    let name = form.name.trim();
    let typed = Extras { name, scope: form.scope.trim(), ..Extras::default() };
    let scope = Scope::parse(&form.scope).filter(|s| *s != Scope::Csv);
    let (false, true, Some(scope)) = (name.is_empty(), name.chars().count() <= NAME_MAX, scope) else {
        let error = Some("Say what the token is for (at most 100 characters), and choose its scope.");
        return page(&state, &admin, &headers, Extras { error, ..typed }, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let made = tokens::create(&txn, name, scope, None, &admin.account.email, now).await?;
    let entry = Audit {
        subject: Some(format!("token:{}", made.row.id)),
        detail: Some(format!("“{name}”, {}", scope.name())),
        ..admin.audit("token.created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    let extras = Extras { made: Some((name.to_owned(), made.token)), ..Extras::default() };
    page(&state, &admin, &headers, extras, StatusCode::OK).await
}

/// `POST /admin/tokens/{id}/revoke`.
pub(super) async fn revoke(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = id_of(&id)?;
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let Some(t) = tokens::revoke(&txn, id, &admin.account.email, now).await? else {
        return Err(AppError::NotFound);
    };
    let entry = Audit {
        subject: Some(format!("token:{id}")),
        detail: Some(format!("“{}”, {}", t.name, t.scope)),
        ..admin.audit("token.revoked", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, "/admin/tokens", Flash::TokenRevoked))
}
