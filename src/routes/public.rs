//! The public signing path: home page, petition page, signing, thanks page and count feed.
//! A draft is not public: every one of these answers 404 for it until it is published. A closed
//! petition keeps its page and count, with a notice instead of the form.

use std::sync::Arc;

use axum::{
    Form, Json, Router,
    extract::{Path, Query, State, rejection::FormRejection, rejection::QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::SecondsFormat;
use entity::petition;
use serde::Serialize;

use super::visitor::Visitor;
use crate::{
    db::{
        petitions::{self, PetitionRecord},
        writer::{NewSignature, Signed},
    },
    domain::{Attribution, FieldErrors, ShareCode, SignForm, attribution::AttributionParams},
    error::{AppError, AppResult},
    i18n::Locale,
    state::AppState,
    views::{
        index::{Card, index_page},
        layout::PageMeta,
        petition::{
            FormState, PetitionView, ThanksView, VISITOR_SLOT, hidden_fields, petition_page, thanks_page,
        },
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/p/{slug}", get(show))
        .route("/p/{slug}/sign", post(sign))
        .route("/p/{slug}/thanks", get(thanks_get))
        .route("/p/{slug}/count.json", get(count_json))
}

async fn index(State(state): State<AppState>, visitor: Visitor) -> AppResult<Response> {
    let locale = visitor.locale(Locale::En);
    let open = petitions::list_open(&state.db.read).await?;
    let cards: Vec<Card> = open
        .into_iter()
        .map(|p| Card {
            count: state.counts.public(&p).0,
            locale: Locale::parse(&p.locale),
            slug: p.slug,
            title: p.title,
            summary: p.summary,
            goal: p.goal,
        })
        .collect();
    let meta = PageMeta {
        title: locale.t("open-campaigns").into_owned(),
        canonical: Some(state.config.absolute("/")),
        locale,
        path: Some("/".into()),
        ..PageMeta::default()
    };
    Ok((visitor, index_page(&meta, &cards)).into_response())
}

/// Slugs are lower-case letters, digits and hyphens; anything else cannot exist.
fn plausible_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 100
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The published (open or closed) petition with this slug. Drafts are not found.
async fn load(state: &AppState, slug: &str) -> AppResult<Arc<PetitionRecord>> {
    if !plausible_slug(slug) {
        return Err(AppError::NotFound);
    }
    match state.petitions.get(&state.db.read, slug).await? {
        Some(rec) if rec.petition.status != petition::Status::Draft => Ok(rec),
        _ => Err(AppError::NotFound),
    }
}

fn petition_view<'a>(state: &AppState, rec: &'a PetitionRecord, locale: Locale) -> PetitionView<'a> {
    let p = &rec.petition;
    let image = p
        .image_url
        .as_deref()
        .map(|img| if img.starts_with('/') { state.config.absolute(img) } else { img.to_owned() });
    let path = format!("/p/{}", p.slug);
    PetitionView {
        rec,
        locale,
        count: state.counts.public(p).0,
        meta: PageMeta {
            title: p.title.clone(),
            description: Some(p.summary.clone()),
            canonical: Some(state.config.absolute(&path)),
            image,
            locale,
            noindex: false,
            path: Some(path),
        },
        action: format!("/p/{}/sign", p.slug),
    }
}

/// The page's language: the petition's own unless the visitor asked for another.
fn page_locale(visitor: &Visitor, rec: &PetitionRecord) -> Locale {
    visitor.locale(Locale::parse(&rec.petition.locale))
}

/// `GET /p/{slug}`: the petition and its form. Remembers the visitor's first touch. Query
/// parameters that do not parse (a repeated `utm_source`, say) are ignored, not refused.
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    params: Result<Query<AttributionParams>, QueryRejection>,
    mut visitor: Visitor,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    let locale = page_locale(&visitor, &rec);
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let attribution = visitor.first_touch(&params, state.config.public_host());
    let count = state.counts.public(&rec.petition).0;
    let page = state.pages.get_or_render(&rec, locale, count, VISITOR_SLOT, || {
        let view = petition_view(&state, &rec, locale);
        let form = FormState { values: &SignForm::default(), errors: &FieldErrors::new(), attribution: None };
        (view.count, petition_page(&view, &form).into_string())
    });
    Ok((visitor, Html(page.with(&hidden_fields(&attribution).into_string()))).into_response())
}

/// `POST /p/{slug}/sign`.
async fn sign(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    mut visitor: Visitor,
    form: Result<Form<SignForm>, FormRejection>,
) -> AppResult<Response> {
    let Form(form) = form.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::BadRequest(e.body_text()),
    })?;
    let rec = load(&state, &slug).await?;
    let p = &rec.petition;
    let locale = page_locale(&visitor, &rec);
    if p.status != petition::Status::Open {
        let view = petition_view(&state, &rec, locale);
        let form = FormState { values: &form, errors: &FieldErrors::new(), attribution: None };
        return Ok((StatusCode::CONFLICT, petition_page(&view, &form)).into_response());
    }
    let input = match form.parse(&p.postal_country, state.config.public_host()) {
        Ok(input) => input,
        Err(errors) => {
            let attribution = Attribution::from_params(&form.attribution, None, state.config.public_host());
            let view = petition_view(&state, &rec, locale);
            let state = FormState { values: &form, errors: &errors, attribution: Some(&attribution) };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, petition_page(&view, &state)).into_response());
        }
    };
    match state.writer.sign(NewSignature { petition_id: p.id, input }).await? {
        Signed::New { share_code } => {
            visitor.remember_share_code(&format!("/p/{slug}"), &share_code);
            Ok((visitor, Redirect::to(&format!("/p/{slug}/thanks"))).into_response())
        }
        Signed::AlreadySigned => Ok(thanks(&state, &rec, locale, visitor.share_code(), true)),
    }
}

fn thanks(
    state: &AppState,
    rec: &PetitionRecord,
    locale: Locale,
    share_code: Option<ShareCode>,
    already_signed: bool,
) -> Response {
    let p = &rec.petition;
    let petition_url = state.config.absolute(&format!("/p/{}", p.slug));
    let view = ThanksView {
        rec,
        locale,
        count: state.counts.public(p).0,
        personal_link: share_code.map(|c| format!("{petition_url}?ref={}", c.as_str())),
        petition_url,
        already_signed,
    };
    let mut res = thanks_page(&view).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

/// `GET /p/{slug}/thanks`.
async fn thanks_get(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    visitor: Visitor,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    let locale = page_locale(&visitor, &rec);
    let code = visitor.share_code();
    Ok((visitor, thanks(&state, &rec, locale, code, false)).into_response())
}

#[derive(Serialize)]
struct CountFeed<'a> {
    slug: &'a str,
    signatures: i64,
    goal: i64,
    updated_at: String,
}

/// `GET /p/{slug}/count.json`: cacheable for a few seconds and readable from any origin.
async fn count_json(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let cors = (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    let rec = match load(&state, &slug).await {
        Ok(rec) => rec,
        Err(e) => {
            let (status, report) = (e.status(), e.report());
            let error = if status == StatusCode::NOT_FOUND { "not found" } else { "unavailable" };
            let mut res = (status, [cors], Json(serde_json::json!({ "error": error }))).into_response();
            // The body is JSON already; the cause still goes to the log.
            res.extensions_mut().insert(crate::error::ErrorReport { page: None, ..report });
            return res;
        }
    };
    let p = &rec.petition;
    let (signatures, updated_at) = state.counts.public(p);
    let body = CountFeed {
        slug: &p.slug,
        signatures,
        goal: p.goal,
        updated_at: updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    };
    ([cors, (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=5"))], Json(body))
        .into_response()
}
