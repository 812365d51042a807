//! The JSON API, `/api/v1`: petitions with their counts, counts by day, hour and source, for
//! spreadsheets and other tools. Every request carries an API token (`Authorization: Bearer`);
//! every error is an RFC 9457 problem document. The OpenAPI 3.1 document at
//! `/api/v1/openapi.json` is made from the handlers' own types, and `/api/v1/docs` shows it as a
//! page that loads nothing from elsewhere.

mod csv;
mod docs;
mod petitions;
mod signatures;

use axum::{
    Json, Router,
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::Utc;
use serde::Serialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::{
    db::tokens::{self, Scope},
    state::AppState,
};

/// Every `/api/v1` route, for the router and for the test that checks the OpenAPI document
/// names each one.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/petitions"),
    ("get", "/api/v1/petitions/{slug}"),
    ("get", "/api/v1/petitions/{slug}/counts"),
    ("get", "/api/v1/petitions/{slug}/signatures"),
    ("post", "/api/v1/petitions/{slug}/signatures"),
    ("get", "/api/v1/petitions/{slug}/signatures.csv"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/petitions", get(petitions::list))
        .route("/api/v1/petitions/{slug}", get(petitions::one))
        .route("/api/v1/petitions/{slug}/counts", get(petitions::counts))
        .route("/api/v1/petitions/{slug}/signatures", get(signatures::list).post(signatures::create))
        .route("/api/v1/petitions/{slug}/signatures.csv", get(csv::signatures_csv))
        .route("/api/v1/openapi.json", get(docs::openapi_json))
        .route("/api/v1/docs", get(docs::page))
        .route("/api/v1", get(docs::to_docs))
        .route("/api/v1/{*rest}", axum::routing::any(unknown))
}

/// The OpenAPI document, made from the handlers' annotations and types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Undersigned API",
        version = "1",
        description = "Petitions, their counts and their signatures, for spreadsheets and other tools. \
                       Send an API token as `Authorization: Bearer <token>`; admins make tokens on the \
                       staff pages (API tokens) or with `undersigned token create`. Errors are RFC 9457 \
                       problem documents (`application/problem+json`)."
    ),
    paths(petitions::list, petitions::one, petitions::counts, signatures::list, signatures::create, csv::signatures_csv),
    components(schemas(Problem)),
    modifiers(&BearerToken),
    security(("token" = []))
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "token",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// An error, as RFC 9457 says: `type`, `title`, `status`, `detail`; for a bad parameter, which
/// one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: &'static str,
    /// The status's name.
    #[schema(example = "Bad Request")]
    pub title: &'static str,
    #[schema(example = 400)]
    pub status: u16,
    /// What went wrong, for people.
    #[schema(example = "`by` must be day, hour or source.")]
    pub detail: String,
    /// The query parameter or field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "by")]
    pub parameter: Option<&'static str>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            parameter: None,
        }
    }

    /// A bad query parameter: 400, naming it.
    pub fn parameter(parameter: &'static str, detail: impl Into<String>) -> Self {
        Self { parameter: Some(parameter), ..Self::new(StatusCode::BAD_REQUEST, detail) }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "There is nothing here.")
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut res = (status, Json(&self)).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"undersigned\""));
        }
        res
    }
}

impl From<sea_orm::DbErr> for Problem {
    fn from(e: sea_orm::DbErr) -> Self {
        tracing::error!(error = %e, "an API request failed on the database");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "The server could not answer; try again soon.")
    }
}

/// A JSON answer that no cache keeps.
pub fn json<T: Serialize>(value: &T) -> Response {
    let mut res = Json(value).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The caller's token, found live; the handler says which scope it needs with
/// [`Token::needs`].
pub struct Token {
    pub scope: Scope,
    pub id: i64,
    /// The one petition a CSV link's token reads.
    pub petition_id: Option<i64>,
}

impl Token {
    /// 403 unless the token may do what `scope` allows.
    pub fn needs(&self, scope: Scope) -> Result<(), Problem> {
        if self.scope.allows(scope) {
            Ok(())
        } else {
            Err(Problem::new(StatusCode::FORBIDDEN, "This token may not do this."))
        }
    }
}

/// The same answer for a missing, unknown or revoked token: the caller learns nothing about
/// which.
fn unauthorized() -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED, "A valid API token is needed: `Authorization: Bearer <token>`.")
}

impl FromRequestParts<AppState> for Token {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        let row = tokens::find(&state.db.write, bearer, Utc::now()).await?.ok_or_else(unauthorized)?;
        let scope = Scope::parse(&row.scope).ok_or_else(unauthorized)?;
        // A CSV link's token belongs in its link, never in a header.
        if scope == Scope::Csv {
            return Err(Problem::new(StatusCode::FORBIDDEN, "This token may not do this."));
        }
        Ok(Self { scope, id: row.id, petition_id: row.petition_id })
    }
}

/// The petition with this slug, or a 404 problem.
async fn petition(state: &AppState, slug: &str) -> Result<crate::db::petitions::PetitionRecord, Problem> {
    if slug.len() > 100 {
        return Err(Problem::not_found());
    }
    crate::db::petitions::find_by_slug(&state.db.read, slug).await?.ok_or_else(Problem::not_found)
}

async fn unknown() -> Problem {
    Problem::not_found()
}
