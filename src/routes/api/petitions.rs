//! Petitions and their counts.

// The OpenAPI annotations expand to code that names the parameter types in full.
#![allow(unused_qualifications)]

use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use chrono::{DateTime, Utc};
use entity::petition;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Problem, Token, json};
use crate::{
    db::{
        dashboard::{self, By},
        petitions,
        tokens::Scope,
    },
    domain::campaign::{kind_name, status_name},
    state::AppState,
};

/// A petition or open letter with its count.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionOut {
    #[schema(example = "safe-staffing")]
    pub slug: String,
    /// `petition` or `letter`.
    #[schema(example = "petition")]
    pub kind: &'static str,
    /// `draft`, `open` or `closed`.
    #[schema(example = "open")]
    pub status: &'static str,
    pub title: String,
    /// The language of its text (`en`, `es`).
    pub locale: String,
    pub goal: i64,
    /// The public count: counted signatures and offline ones.
    pub signatures: i64,
    /// Signatures collected offline and entered by staff (part of `signatures`).
    pub offline: i64,
    /// Its public page.
    pub url: String,
    pub created_at: DateTime<Utc>,
    /// When its count last changed.
    pub updated_at: DateTime<Utc>,
}

/// Every petition and letter, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PetitionList {
    pub petitions: Vec<PetitionOut>,
}

fn out(state: &AppState, p: &petition::Model) -> PetitionOut {
    let (signatures, updated_at) = state.counts.public(p);
    PetitionOut {
        slug: p.slug.clone(),
        kind: kind_name(p.kind),
        status: status_name(p.status),
        title: p.title.clone(),
        locale: p.locale.clone(),
        goal: p.goal,
        signatures,
        offline: p.offline_count,
        url: state.config.absolute(&format!("/p/{}", p.slug)),
        created_at: p.created_at,
        updated_at,
    }
}

/// Every petition and letter with its count, drafts included.
#[utoipa::path(
    get,
    path = "/api/v1/petitions",
    tag = "petitions",
    responses(
        (status = 200, description = "Every petition and letter, newest first", body = PetitionList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not read", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(State(state): State<AppState>, token: Token) -> Result<Response, Problem> {
    token.needs(Scope::Read)?;
    let petitions = petitions::all(&state.db.read).await?.iter().map(|p| out(&state, p)).collect();
    Ok(json(&PetitionList { petitions }))
}

async fn find(state: &AppState, slug: &str) -> Result<petition::Model, Problem> {
    super::petition(state, slug).await.map(|r| r.petition)
}

/// One petition or letter with its count.
#[utoipa::path(
    get,
    path = "/api/v1/petitions/{slug}",
    tag = "petitions",
    params(("slug" = String, Path, description = "The petition's address: its page is /p/{slug}")),
    responses(
        (status = 200, description = "The petition", body = PetitionOut),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such petition", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    token: Token,
    Path(slug): Path<String>,
) -> Result<Response, Problem> {
    token.needs(Scope::Read)?;
    let p = find(&state, &slug).await?;
    Ok(json(&out(&state, &p)))
}

/// How to group counts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// `day` (UTC, the default), `hour` (UTC), `source`, `referrer`, `landing_page`, `utm_campaign` or
    /// `region` (a postal code's first characters).
    pub by: Option<String>,
}

/// Counted signatures of one group.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountRow {
    /// The day (`2026-11-27`), hour (`2026-11-27T14`), source, landing page, campaign or region;
    /// empty for signatures without one.
    pub key: String,
    pub signatures: i64,
    /// Signatures that were the signer's first on any petition (not kept per region: 0 there).
    pub new_supporters: i64,
}

/// A petition's counted signatures, grouped.
#[derive(Debug, Serialize, ToSchema)]
pub struct Counts {
    pub slug: String,
    #[schema(example = "day")]
    pub by: &'static str,
    /// Every counted online signature (the sum of the rows; offline ones are not grouped).
    pub total: i64,
    pub rows: Vec<CountRow>,
}

/// A petition's counted signatures by day, hour, source, referrer, landing page, campaign or
/// region.
#[utoipa::path(
    get,
    path = "/api/v1/petitions/{slug}/counts",
    tag = "petitions",
    params(("slug" = String, Path, description = "The petition's address"), CountsQuery),
    responses(
        (status = 200, description = "The counts, in key order", body = Counts),
        (status = 400, description = "`by` is not one of the groupings", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token may not read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such petition", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn counts(
    State(state): State<AppState>,
    token: Token,
    Path(slug): Path<String>,
    query: Result<Query<CountsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    token.needs(Scope::Read)?;
    let Query(q) = query.map_err(|e| Problem::parameter("by", e.body_text()))?;
    let by = match q.by.as_deref() {
        None | Some("") => By::Day,
        Some(name) => By::parse(name).ok_or_else(|| {
            Problem::parameter(
                "by",
                "`by` must be day, hour, source, referrer, landing_page, utm_campaign or region.",
            )
        })?,
    };
    let p = find(&state, &slug).await?;
    let rows: Vec<CountRow> = dashboard::counts_by(&state.db.read, p.id, by)
        .await?
        .into_iter()
        .map(|c| CountRow { key: c.key, signatures: c.signatures, new_supporters: c.new_supporters })
        .collect();
    Ok(json(&Counts { slug: p.slug, by: by.name(), total: rows.iter().map(|r| r.signatures).sum(), rows }))
}
