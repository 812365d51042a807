//! A petition's signatures: read page by page (and synced incrementally), and added by partner
//! sites and paper-entry tools with the form's own checks and dedupe.

// The OpenAPI annotations expand to code that names the parameter types in full.
#![allow(unused_qualifications)]

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection, rejection::QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, Utc};
use entity::{
    petition,
    signature::{self, Status},
};
use sea_orm::{ActiveEnum, Iterable};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Problem, Token, json, petition as find};
use crate::{
    db::{
        sync::{self, Cursor},
        tokens::Scope,
        writer::{NewSignature, Signed},
    },
    domain::{SignForm, attribution::AttributionParams},
    i18n::Locale,
    state::AppState,
    views::components::field_error,
};

/// A signature as the API gives it: what the signer typed and where they came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureOut {
    pub id: i64,
    /// `validated` (counted), `pending` (awaiting email confirmation), `held` (over a
    /// per-address limit), `fraudulent` or `invalidated`.
    pub status: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// Empty when the form does not ask for it.
    pub postal_code: String,
    pub phone: Option<String>,
    pub employer: Option<String>,
    pub job_title: Option<String>,
    pub worksite: Option<String>,
    pub comment: Option<String>,
    pub email_opt_in: bool,
    pub public_name: bool,
    pub source: Option<String>,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub utm_term: Option<String>,
    pub signed_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When it last changed: its signing, or a later change of status.
    pub updated_at: DateTime<Utc>,
}

impl From<signature::Model> for SignatureOut {
    fn from(s: signature::Model) -> Self {
        Self {
            id: s.id,
            status: s.status.to_value(),
            updated_at: s.changed_at.unwrap_or(s.signed_at),
            given_name: s.given_name,
            family_name: s.family_name,
            email: s.email,
            postal_code: s.postal_code,
            phone: s.phone,
            employer: s.employer,
            job_title: s.job_title,
            worksite: s.worksite,
            comment: s.comment,
            email_opt_in: s.email_opt_in,
            public_name: s.public_name,
            source: s.source,
            referrer: s.referrer,
            landing_page: s.landing_page,
            utm_source: s.utm_source,
            utm_medium: s.utm_medium,
            utm_campaign: s.utm_campaign,
            utm_content: s.utm_content,
            utm_term: s.utm_term,
            signed_at: s.signed_at,
            confirmed_at: s.confirmed_at,
        }
    }
}

/// One page of signatures.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignaturePage {
    pub signatures: Vec<SignatureOut>,
    /// The next page's `cursor`; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The next page's address; `null` on the last page.
    pub next: Option<String>,
    /// Pass this as `updated_since` in the next sync: a minute before this page was read, so
    /// that a signature stored while it was read is not missed (a signature may come twice:
    /// match by `id`).
    pub as_of: DateTime<Utc>,
}

/// Which signatures, and where to go on from.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `all` (the default), `validated`, `pending`, `held`, `fraudulent` or `invalidated`.
    pub status: Option<String>,
    /// Only signatures made or changed at or after this time (RFC 3339), for incremental sync.
    pub updated_since: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// Signatures per page: 1 to 1000, 100 by default.
    pub limit: Option<String>,
}

/// A petition's signatures, page by page: by id, or, with `updated_since`, those changed
/// since and then those made since. Pages are read through indexes, so every page is as quick
/// as the first, and signatures that arrive meanwhile come on later pages.
#[utoipa::path(
    get,
    path = "/api/v1/petitions/{slug}/signatures",
    tag = "signatures",
    params(("slug" = String, Path, description = "The petition's address"), ListQuery),
    responses(
        (status = 200, description = "A page of signatures", body = SignaturePage),
        (status = 400, description = "A malformed parameter, named in `parameter`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such petition", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    token: Token,
    Path(slug): Path<String>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    token.needs(Scope::Read)?;
    let Query(q) = query.map_err(|e| Problem::parameter("query", e.body_text()))?;
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("" | "all") => None,
        Some(name) => Some(Status::iter().find(|s| s.to_value() == name).ok_or_else(|| {
            Problem::parameter(
                "status",
                "`status` must be all, validated, pending, held, fraudulent or invalidated.",
            )
        })?),
    };
    let limit = match q.limit.as_deref().map(str::trim) {
        None | Some("") => 100,
        Some(n) => n
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| Problem::parameter("limit", "`limit` must be a number from 1 to 1000."))?,
    };
    let since = match q.updated_since.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)).map_err(|_| {
            Problem::parameter("updated_since", "`updated_since` must be a time like 2026-11-27T14:00:00Z.")
        })?),
    };
    let typed_cursor = q.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if typed_cursor.is_some() && since.is_some() {
        return Err(Problem::parameter(
            "cursor",
            "Give `updated_since` or `cursor`, not both: a cursor carries its sync's time.",
        ));
    }
    let rec = find(&state, &slug).await?;
    let read_at = Utc::now();
    let cursor = match typed_cursor {
        Some(c) => Cursor::decode(c)
            .ok_or_else(|| Problem::parameter("cursor", "This `cursor` was not made by this server."))?,
        None => sync::start(&state.db.read, rec.petition.id, since).await?,
    };
    let (rows, next) = sync::page(&state.db.read, rec.petition.id, status, &cursor, limit).await?;
    let next_cursor = next.map(|c| c.encode());
    let next = next_cursor.as_ref().map(|c| {
        let mut link = format!("/api/v1/petitions/{}/signatures?cursor={c}&limit={limit}", rec.petition.slug);
        if let Some(s) = status {
            link.push_str(&format!("&status={}", s.to_value()));
        }
        state.config.absolute(&link)
    });
    Ok(json(&SignaturePage {
        signatures: rows.into_iter().map(SignatureOut::from).collect(),
        next_cursor,
        next,
        as_of: read_at - Duration::minutes(1),
    }))
}

/// A signature to add: the signing form's fields, as JSON.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureIn {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// Checked for the petition's country; required when its form requires it.
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub employer: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub worksite: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// Agreed to receive updates (off unless said).
    #[serde(default)]
    pub email_opt_in: bool,
    /// Agreed to be named on a delivered letter (off unless said).
    #[serde(default)]
    pub public_name: bool,
    /// Where the signature came from, like `partner-site` or `paper`.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub utm_source: Option<String>,
    #[serde(default)]
    pub utm_medium: Option<String>,
    #[serde(default)]
    pub utm_campaign: Option<String>,
    #[serde(default)]
    pub utm_content: Option<String>,
    #[serde(default)]
    pub utm_term: Option<String>,
}

/// What adding a signature did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Added {
    /// The new signature's id; `null` when this person had already signed.
    pub id: Option<i64>,
    /// `false` when this person (by canonical email) had already signed: nothing changed.
    pub created: bool,
}

/// A refused signature: each field's problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct Refused {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: &'static str,
    /// Each refused field and why.
    pub errors: BTreeMap<&'static str, String>,
}

/// Adds a signature with the signing form's checks and dedupe: one per person (by canonical
/// email) per petition. Only open petitions take signatures.
#[utoipa::path(
    post,
    path = "/api/v1/petitions/{slug}/signatures",
    tag = "signatures",
    params(("slug" = String, Path, description = "The petition's address")),
    request_body = SignatureIn,
    responses(
        (status = 201, description = "Added", body = Added),
        (status = 200, description = "This person had already signed; nothing changed", body = Added),
        (status = 400, description = "Not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such petition", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The petition is not open", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused fields, each with its reason", body = Refused, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    token: Token,
    Path(slug): Path<String>,
    body: Result<Json<SignatureIn>, JsonRejection>,
) -> Result<Response, Problem> {
    token.needs(Scope::Write)?;
    let Json(s) = body.map_err(|e| Problem::parameter("body", e.body_text()))?;
    let rec = find(&state, &slug).await?;
    let p = &rec.petition;
    if p.status != petition::Status::Open {
        return Err(Problem::new(StatusCode::CONFLICT, "This petition is not open for signatures."));
    }
    let form = SignForm {
        given_name: s.given_name,
        family_name: s.family_name,
        email: s.email,
        postal_code: s.postal_code.unwrap_or_default(),
        phone: s.phone.unwrap_or_default(),
        employer: s.employer.unwrap_or_default(),
        job_title: s.job_title.unwrap_or_default(),
        worksite: s.worksite.unwrap_or_default(),
        comment: s.comment.unwrap_or_default(),
        email_opt_in: s.email_opt_in.then(|| "on".to_owned()),
        public_name: s.public_name.then(|| "on".to_owned()),
        attribution: AttributionParams {
            source: s.source,
            referrer: s.referrer,
            utm_source: s.utm_source,
            utm_medium: s.utm_medium,
            utm_campaign: s.utm_campaign,
            utm_content: s.utm_content,
            utm_term: s.utm_term,
            ..AttributionParams::default()
        },
        ..SignForm::default()
    };
    let input = match form.parse(&rec.fields, &p.postal_country, state.config.public_host()) {
        Ok(input) => input,
        Err(errors) => {
            let refused = Refused {
                kind: "about:blank",
                title: "Unprocessable Content",
                status: 422,
                detail: "Some fields were refused; `errors` says why.",
                errors: errors
                    .into_iter()
                    .map(|(field, e)| (field, field_error(Locale::En, e).into_owned()))
                    .collect(),
            };
            let mut res = (StatusCode::UNPROCESSABLE_ENTITY, Json(refused)).into_response();
            res.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            return Ok(res);
        }
    };
    // A petition that asks its signers to confirm asks those added here too, in its language.
    let confirm =
        crate::routes::public::ask_to_confirm(&state, &rec, Locale::parse(&p.locale), &input, false)
            .map(|(ask, _)| ask);
    // Tokens are trusted integrations, often one server for many signers: no signing limits.
    let signed = state
        .writer
        .sign(NewSignature {
            petition_id: p.id,
            input,
            confirm,
            held: false,
            network_limited: false,
            domain_limited: false,
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a signature from the API was not stored");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The signature could not be stored; try again soon.",
            )
        })?;
    let (status, added) = match signed {
        Signed::New { id, .. } => (StatusCode::CREATED, Added { id: Some(id), created: true }),
        Signed::AlreadySigned => (StatusCode::OK, Added { id: None, created: false }),
    };
    let mut res = json(&added);
    *res.status_mut() = status;
    Ok(res)
}
