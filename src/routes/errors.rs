//! Error pages and error logging for every route: a response that carries an [`ErrorReport`]
//! (or is one of the framework's own plain-text refusals) gets a page in the visitor's language,
//! and every server error is logged here, once, with its cause chain and route.

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};

use super::visitor::asked_locale;
use crate::{error::ErrorReport, i18n::Locale, state::AppState, views::errors::ErrorPage};

pub async fn error_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    // Only what choosing a language needs, kept in case the response is an error page.
    let uri = req.uri().clone();
    let mut headers = HeaderMap::new();
    for name in [header::COOKIE, header::ACCEPT_LANGUAGE] {
        for v in req.headers().get_all(&name) {
            headers.append(name.clone(), v.clone());
        }
    }
    let mut res = next.run(req).await;
    let status = res.status();
    let report = res.extensions_mut().remove::<ErrorReport>();
    if status.is_server_error() {
        let cause = report.as_ref().and_then(|r| r.cause.as_deref()).unwrap_or("no cause recorded");
        tracing::error!(
            status = status.as_u16(),
            route = route.as_ref().map_or("unmatched", MatchedPath::as_str),
            error = cause,
            "request failed"
        );
    }
    let page = match report {
        Some(r) => r.page,
        None if (status.is_client_error() || status.is_server_error()) && is_plain(&res) => {
            Some(page_for(status))
        }
        None => None,
    };
    let Some(page) = page else { return res };
    let locale = asked_locale(&uri, &headers, &state.cookie_key).unwrap_or(Locale::En);
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    parts.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let body = crate::views::errors::error_page(locale, page).into_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// A response with no body of its own to show: empty, or the framework's plain text.
fn is_plain(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.starts_with("text/plain")))
}

fn page_for(status: StatusCode) -> ErrorPage {
    match status {
        StatusCode::NOT_FOUND => ErrorPage::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorPage::TooLarge,
        StatusCode::TOO_MANY_REQUESTS => ErrorPage::TooMany,
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => ErrorPage::Failed,
        _ => ErrorPage::BadRequest,
    }
}
