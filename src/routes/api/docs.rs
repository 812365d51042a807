//! The API's OpenAPI document, and a page that shows it to people: every route, its
//! parameters and answers, drawn on the server from the same document (no script, nothing
//! loaded from elsewhere).

use std::sync::LazyLock;

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};
use utoipa::{
    OpenApi,
    openapi::{
        RefOr,
        path::{Operation, ParameterIn},
    },
};

use super::ApiDoc;
use crate::{
    i18n::Locale,
    state::AppState,
    views::layout::{PageMeta, page as layout_page},
};

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);
static JSON: LazyLock<String> = LazyLock::new(|| DOCUMENT.to_pretty_json().unwrap_or_default());

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json() -> Response {
    let mut res = JSON.as_str().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    res
}

/// `GET /api/v1`: to the docs.
pub async fn to_docs() -> Redirect {
    Redirect::to("/api/v1/docs")
}

/// `GET /api/v1/docs`.
pub async fn page(State(state): State<AppState>) -> Markup {
    let doc = &*DOCUMENT;
    let operations: Vec<(&str, &str, &Operation)> = doc
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("DELETE", &item.delete)]
                .into_iter()
                .filter_map(move |(method, op)| op.as_ref().map(|op| (method, path.as_str(), op)))
        })
        .collect();
    let body = html! {
        h1 { "Undersigned API, version 1" }
        @if let Some(d) = &doc.info.description { p { (d) } }
        p {
            "The whole description, for tools that read OpenAPI 3.1: "
            a href="/api/v1/openapi.json" { "/api/v1/openapi.json" } "."
        }
        h2 { "Trying it" }
        pre { code { "curl -H 'Authorization: Bearer us_…' " (state.config.absolute("/api/v1/petitions")) } }
        h2 { "Routes" }
        @for (method, path, op) in &operations {
            section.operation aria-labelledby=(anchor(method, path)) {
                h3 id=(anchor(method, path)) { code { (method) " " (path) } }
                @if let Some(s) = &op.summary { p { (s) } }
                @if let Some(d) = op.description.as_ref().filter(|d| Some(*d) != op.summary.as_ref()) { p { (d) } }
                (parameters(op))
                h4 { "Answers" }
                ul {
                    @for (status, response) in &op.responses.responses {
                        li {
                            strong { (status) } " "
                            @match response {
                                RefOr::T(r) => (r.description),
                                RefOr::Ref(r) => (r.ref_location),
                            }
                        }
                    }
                }
            }
        }
    };
    layout_page(&PageMeta::simple("API", Locale::En), body)
}

fn anchor(method: &str, path: &str) -> String {
    let cleaned: String =
        path.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    format!("op-{}{cleaned}", method.to_ascii_lowercase())
}

fn parameters(op: &Operation) -> Markup {
    let params = op.parameters.as_deref().unwrap_or_default();
    html! {
        @if !params.is_empty() {
            h4 { "Parameters" }
            ul {
                @for p in params {
                    li {
                        code { (p.name) }
                        " (" (match p.parameter_in { ParameterIn::Path => "in the path", ParameterIn::Query => "in the query", ParameterIn::Header => "a header", ParameterIn::Cookie => "a cookie" })
                        @if matches!(p.required, utoipa::openapi::Required::True) { ", required" } ")"
                        @if let Some(d) = &p.description { ": " (d) }
                    }
                }
            }
        }
    }
}
