//! The email outbox (admins only: emails carry addresses): the list, one email in full, and
//! sending a failed one again (audited).

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::{PageKit, StaffUser, flash_redirect, id_of, ip_hash};
use crate::{
    db::{
        mail,
        staff::{self, Audit},
    },
    error::{AppError, AppResult},
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{
        Flash,
        outbox::{EmailView, OutboxRow, OutboxView, email_page, outbox_page},
    },
};

/// Emails listed at most.
const LIMIT: u64 = 200;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    status: String,
}

/// `GET /admin/outbox[?status=queued|sent|failed]`.
pub(super) async fn list(
    State(state): State<AppState>,
    admin: StaffUser,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
) -> AppResult<Response> {
    let status = [mail::QUEUED, mail::SENT, mail::FAILED].into_iter().find(|s| *s == filter.status);
    if status.is_none() && !filter.status.is_empty() {
        return Err(AppError::NotFound);
    }
    let db = &state.db.read;
    let by_status = mail::by_status(db).await?;
    let counts: Vec<(&'static str, i64)> = [mail::QUEUED, mail::SENT, mail::FAILED]
        .into_iter()
        .map(|s| (s, by_status.get(s).copied().unwrap_or_default()))
        .collect();
    let rows: Vec<OutboxRow> = mail::latest(db, status, LIMIT)
        .await?
        .into_iter()
        .map(|e| OutboxRow {
            id: e.id,
            created: e.created_at.format("%Y-%m-%d %H:%M").to_string(),
            kind: e.kind,
            to: e.to_address,
            subject: e.subject,
            status: e.status,
            attempts: e.attempts,
        })
        .collect();
    let kit = PageKit::new(&state, &headers);
    let view = OutboxView {
        chrome: kit.chrome(&admin),
        rows: &rows,
        counts: &counts,
        status,
        sending: state.config.smtp_url.is_some(),
        limit: LIMIT,
    };
    let markup = outbox_page(&view);
    Ok(kit.page(StatusCode::OK, markup))
}

/// `GET /admin/outbox/{eid}`.
pub(super) async fn show(
    State(state): State<AppState>,
    admin: StaffUser,
    headers: HeaderMap,
    Path(eid): Path<String>,
) -> AppResult<Response> {
    let email = mail::one(&state.db.read, id_of(&eid)?).await?.ok_or(AppError::NotFound)?;
    let kit = PageKit::new(&state, &headers);
    let view =
        EmailView { chrome: kit.chrome(&admin), email: &email, sending: state.config.smtp_url.is_some() };
    let markup = email_page(&view);
    Ok(kit.page(StatusCode::OK, markup))
}

/// `POST /admin/outbox/{eid}/send-again`: a failed email goes back in the queue.
pub(super) async fn send_again(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    Path(eid): Path<String>,
) -> AppResult<Response> {
    let id = id_of(&eid)?;
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    if !mail::send_again(&txn, id, now).await? {
        return Err(AppError::NotFound);
    }
    let entry = Audit {
        subject: Some(format!("email:{id}")),
        ..admin.audit("email.requeued", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    state.mail_wake.notify_one();
    Ok(flash_redirect(&state, &format!("/admin/outbox/{id}"), Flash::EmailQueued))
}
