//! The signing form for partner sites' iframes (`/embed/{slug}`). Only the origins in
//! `EMBED_ORIGINS` may frame it (every other page refuses framing). Signing in the frame needs
//! no cookie: the attribution travels in the form's hidden fields, and the thanks page gets the
//! signer's share code in its link.

use axum::{
    Router,
    extract::{Path, Query, RawQuery, State, rejection::QueryRejection},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

use super::{
    public::{load, page_locale, thanks},
    visitor::Visitor,
};
use crate::{
    db::petitions::PetitionRecord,
    domain::{FieldErrors, ShareCode, SignForm, attribution::AttributionParams},
    error::AppResult,
    i18n::Locale,
    state::AppState,
    views::{
        embed::embed_page,
        petition::{FormState, Said},
    },
};

/// A response extension: this page may be framed by the partner origins.
#[derive(Clone, Copy, Debug)]
pub struct Frameable;

pub fn router() -> Router<AppState> {
    Router::new().route("/embed/{slug}", get(show)).route("/embed/{slug}/thanks", get(thanks_get))
}

/// Lets `EMBED_ORIGINS` (and only them) frame `res`.
pub(super) fn framed(state: &AppState, res: impl IntoResponse) -> Response {
    let mut res = res.into_response();
    let ancestors = if state.config.embed_origins.is_empty() {
        "'none'".to_owned()
    } else {
        state.config.embed_origins.join(" ")
    };
    let third_party = res.extensions().get::<super::ThirdParty>().map(|t| t.0);
    if let Ok(csp) = HeaderValue::from_str(&super::content_security_policy_with(&ancestors, third_party)) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res.extensions_mut().insert(Frameable);
    res
}

/// The embed page with `form`.
pub(super) fn page(state: &AppState, rec: &PetitionRecord, locale: Locale, form: &FormState<'_>) -> String {
    let count = state.counts.public(&rec.petition).0;
    embed_page(rec, locale, count, form).into_string()
}

/// `GET /embed/{slug}`. Visitors who come with no `source` of their own are credited to
/// `embed`, with the partner's site as the referrer.
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    mut visitor: Visitor,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    let locale = page_locale(&visitor, &rec);
    let mut params = AttributionParams::from_query(query.as_deref().unwrap_or_default());
    if params.source.is_none() {
        params.source = Some("embed".into());
    }
    let attribution = visitor.first_touch(&params, state.config.public_host());
    let token = state.form_tokens.issue(crate::limits::now_second());
    let form = FormState {
        values: &SignForm::default(),
        errors: &FieldErrors::new(),
        attribution: Some(&attribution),
        token: &token,
        captcha: super::public::captcha_of(&state, &rec),
    };
    let mut res = axum::response::Html(page(&state, &rec, locale, &form)).into_response();
    super::public::allow_captcha(&state, &rec, &mut res);
    Ok(framed(&state, (visitor, res)))
}

#[derive(Debug, Default, Deserialize)]
struct ThanksParams {
    #[serde(default, rename = "ref")]
    code: String,
    /// `1`: the signature waits for the signer to confirm their address.
    #[serde(default)]
    confirm: String,
}

/// `GET /embed/{slug}/thanks?ref=CODE`.
async fn thanks_get(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    params: Result<Query<ThanksParams>, QueryRejection>,
    visitor: Visitor,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let locale = page_locale(&visitor, &rec);
    let code = ShareCode::parse(&params.code);
    let said = if params.confirm == "1" { Said::Pending } else { Said::Thanks };
    Ok(framed(&state, thanks(&state, &rec, None, locale, code, said, true)))
}
