//! The audit log: filtered pages and the CSV download.

use axum::{
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde::Deserialize;

use super::{PageKit, StaffUser, ip_hash, no_store};
use crate::{
    db::staff::{self, Audit, AuditFilter},
    error::{AppError, AppResult},
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{AuditRow, AuditView, audit_page},
};

/// The audit log's filters as they arrive (`?action=&actor=&from=&to=&page=`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

/// Lines per page of the audit log.
const AUDIT_PAGE: u64 = 100;

impl AuditQuery {
    /// The filter, and what was wrong with the query (each such part is left out).
    fn filter(&self) -> (AuditFilter, Vec<String>) {
        let mut errors = Vec::new();
        let mut day = |name: &str, value: &str| -> Option<chrono::NaiveDate> {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            let parsed = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
            if parsed.is_none() {
                errors.push(format!("“{name}” must be a date like 2026-11-27; it was left out."));
            }
            parsed
        };
        let from = day("From", &self.from).map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
        let until = day("To", &self.to)
            .map(|d| (d + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_utc());
        let action = Some(self.action.trim().to_owned()).filter(|a| !a.is_empty());
        let action = match action {
            Some(a)
                if a.len() <= 64 && a.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_') =>
            {
                Some(a)
            }
            Some(_) => {
                errors.push("“Action” is not one of the log's actions; it was left out.".to_owned());
                None
            }
            None => None,
        };
        let actor = Some(self.actor.trim().chars().take(320).collect::<String>()).filter(|a| !a.is_empty());
        (AuditFilter { action, actor, from, until }, errors)
    }

    fn page(&self) -> u64 {
        self.page.trim().parse::<u64>().unwrap_or(1).clamp(1, 100_000)
    }

    /// The query again, without the page, for links.
    fn without_page(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                [("action", &self.action), ("actor", &self.actor), ("from", &self.from), ("to", &self.to)]
                    .into_iter()
                    .filter(|(_, v)| !v.trim().is_empty()),
            )
            .finish()
    }
}

/// `/admin/audit` (admins only: see [`ROUTES`]): the log, newest first, filtered by action,
/// actor and dates, a page at a time.
pub(super) async fn audit(
    State(state): State<AppState>,
    admin: StaffUser,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Response> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let (filter, errors) = query.filter();
    let page = query.page();
    let lines = staff::audit_lines(&state.db.read, &filter, (page - 1) * AUDIT_PAGE, AUDIT_PAGE + 1).await?;
    let more = lines.len() as u64 > AUDIT_PAGE;
    let rows = lines
        .into_iter()
        .take(AUDIT_PAGE as usize)
        .map(|e| AuditRow {
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: e.actor,
            action: e.action,
            subject: e.subject.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
            ip_hash: e.ip_hash.unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    let actions = staff::audit_actions(&state.db.read).await?;
    let view = AuditView {
        rows: &rows,
        actions: &actions,
        action: &query.action,
        actor: &query.actor,
        from: &query.from,
        to: &query.to,
        errors: &errors,
        query: &query.without_page(),
        page,
        more,
    };
    let kit = PageKit::new(&state, &headers);
    let markup = audit_page(&kit.chrome(&admin), &view);
    Ok(kit.page(StatusCode::OK, markup))
}

/// `/admin/audit.csv`: the filtered log as CSV (every matching line, newest first). The export
/// is itself logged.
pub(super) async fn audit_csv(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Response> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let (filter, _) = query.filter();
    let lines = staff::audit_lines(&state.db.read, &filter, 0, u64::MAX >> 1).await?;
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let cell = |s: &str| crate::db::export::neutralise(s).into_owned();
    out.write_record(["id", "at", "actor", "action", "subject", "detail", "ip_hash"])
        .map_err(|e| AppError::Internal(e.into()))?;
    for e in &lines {
        out.write_record([
            e.id.to_string(),
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            cell(&e.actor),
            cell(&e.action),
            cell(e.subject.as_deref().unwrap_or_default()),
            cell(e.detail.as_deref().unwrap_or_default()),
            e.ip_hash.clone().unwrap_or_default(),
        ])
        .map_err(|e| AppError::Internal(e.into()))?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(e.to_string().into()))?;
    let entry = Audit {
        detail: Some(format!(
            "{} lines ({})",
            lines.len(),
            if query.without_page().is_empty() { "all".to_owned() } else { query.without_page() }
        )),
        ..admin.audit("audit.exported", Some(ip_hash(&state, ip)))
    };
    staff::audit(&state.db.write, entry, Utc::now()).await?;
    let name = format!("attachment; filename=\"audit-{}.csv\"", Utc::now().format("%Y%m%d-%H%M%S"));
    let mut res = no_store((StatusCode::OK, body).into_response());
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&name).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(res)
}
