//! A spreadsheet's link to a petition's counted signatures as CSV: the one place a token goes
//! in an address (spreadsheets' import functions cannot send a header). Its token reads this
//! petition's CSV and nothing else, can be revoked on the export page, and every fetch is in the
//! audit log.

// The OpenAPI annotations expand to code that names the parameter types in full.
#![allow(unused_qualifications)]

use axum::{
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use entity::signature::Status;
use serde::Deserialize;
use utoipa::IntoParams;

use super::Problem;
use crate::{
    db::{
        export::{Filter, prefetch},
        petitions,
        staff::{self, Audit},
        tokens::{self, Scope},
    },
    domain::FormFields,
    export::{
        download::{Kind, Layout},
        stream,
    },
    state::AppState,
};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// The link's own token (made on the campaign's export page), not an API token.
    #[serde(default)]
    token: String,
}

/// A spreadsheet link: the petition's counted signatures as CSV (plain UTF-8, a header row,
/// the export's columns for the fields the form asks for). The token goes in the address, since
/// spreadsheets' import functions cannot send a header; only a link's token works here.
#[utoipa::path(
    get,
    path = "/api/v1/petitions/{slug}/signatures.csv",
    tag = "signatures",
    params(("slug" = String, Path, description = "The petition's address"), LinkQuery),
    security(()),
    responses(
        (status = 200, description = "The counted signatures as CSV", content_type = "text/csv"),
        (status = 401, description = "The link does not work (revoked, or not this petition's)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn signatures_csv(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    query: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let token = query.map(|Query(q)| q.token).unwrap_or_default();
    let unauthorized = || {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "This link does not work (any more): make a new one on the export page.",
        )
    };
    let row = tokens::find(&state.db.write, token.trim(), Utc::now()).await?.ok_or_else(unauthorized)?;
    let rec = petitions::find_by_slug(&state.db.read, &slug).await?.ok_or_else(unauthorized)?;
    if Scope::parse(&row.scope) != Some(Scope::Csv) || row.petition_id != Some(rec.petition.id) {
        return Err(unauthorized());
    }
    let p = &rec.petition;
    let entry = Audit {
        actor: "spreadsheet link",
        action: "export.link_used",
        subject: Some(format!("petition:{}", p.id)),
        detail: Some(format!("token:{} “{}”", row.id, row.name)),
        ..Audit::default()
    };
    staff::audit(&state.db.write, entry, Utc::now()).await?;
    let body = stream::body(
        prefetch(state.db.read.clone(), p.id, Filter::status(Some(Status::Validated))),
        Layout::standard(&FormFields::parse(&p.form_fields), true),
        Kind::PlainCsv,
    );
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}
