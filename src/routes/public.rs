//! The public signing path: home page, petition page, signing, thanks page and count feed.

use std::sync::Arc;

use axum::{
    Form, Json, Router,
    extract::{Path, Query, State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::SecondsFormat;
use entity::petition;
use serde::Serialize;

use crate::{
    cookies,
    db::{
        petitions::{self, PetitionRecord},
        writer::{NewSignature, Signed},
    },
    domain::{Attribution, FieldErrors, SignForm, attribution::AttributionParams},
    error::{AppError, AppResult},
    i18n::Locale,
    state::AppState,
    views::{
        index::{Card, index_page},
        layout::PageMeta,
        petition::{
            FormState, PetitionView, ThanksView, hidden_fields, not_open_page, petition_page, thanks_page,
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

/// How long the first-touch attribution is remembered.
const FIRST_TOUCH_DAYS: u32 = 30;
/// How long a signer's share code is remembered for their thanks page.
const SHARE_CODE_DAYS: u32 = 365;

async fn index(State(state): State<AppState>) -> AppResult<Response> {
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
        title: Locale::En.strings().open_campaigns.into(),
        canonical: Some(state.config.absolute("/")),
        ..PageMeta::default()
    };
    Ok(index_page(&meta, &cards).into_response())
}

/// Slugs are lower-case letters, digits and hyphens; anything else cannot exist.
fn plausible_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 100
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

async fn load(state: &AppState, slug: &str) -> AppResult<Arc<PetitionRecord>> {
    if !plausible_slug(slug) {
        return Err(AppError::NotFound);
    }
    state.petitions.get(&state.db.read, slug).await?.ok_or(AppError::NotFound)
}

fn petition_view<'a>(state: &AppState, rec: &'a PetitionRecord) -> PetitionView<'a> {
    let p = &rec.petition;
    let locale = Locale::parse(&p.locale);
    let image = p
        .image_url
        .as_deref()
        .map(|img| if img.starts_with('/') { state.config.absolute(img) } else { img.to_owned() });
    PetitionView {
        rec,
        locale,
        count: state.counts.public(p).0,
        meta: PageMeta {
            title: p.title.clone(),
            description: Some(p.summary.clone()),
            canonical: Some(state.config.absolute(&format!("/p/{}", p.slug))),
            image,
            locale,
            noindex: false,
        },
        action: format!("/p/{}/sign", p.slug),
    }
}

fn not_open(state: &AppState, rec: &PetitionRecord, status: StatusCode) -> Response {
    let locale = Locale::parse(&rec.petition.locale);
    let count = state.counts.public(&rec.petition).0;
    (status, not_open_page(rec, locale, count)).into_response()
}

/// `GET /p/{slug}`: the petition and its form. Remembers the visitor's first touch.
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<AttributionParams>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    if rec.petition.status != petition::Status::Open {
        return Ok(not_open(&state, &rec, StatusCode::OK));
    }
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    let here = Attribution::from_params(&params, referer, state.config.public_host());
    let remembered = cookies::get(&headers, cookies::FIRST_TOUCH).map(Attribution::from_cookie_value);
    let set_cookie = match &remembered {
        Some(first) if !first.is_empty() => None,
        _ if here.is_empty() => None,
        _ => cookies::set(
            cookies::FIRST_TOUCH,
            &here.to_cookie_value(),
            "/",
            FIRST_TOUCH_DAYS,
            state.config.secure_cookies(),
        ),
    };
    let attribution = remembered.unwrap_or_default().first_touch(here);
    let count = state.counts.public(&rec.petition).0;
    let page = state.pages.get_or_render(&rec, count, || {
        let view = petition_view(&state, &rec);
        let form = FormState { values: &SignForm::default(), errors: &FieldErrors::new(), attribution: None };
        (view.count, petition_page(&view, &form).into_string())
    });
    let mut res = Html(page.with(&hidden_fields(&attribution).into_string())).into_response();
    if let Some(c) = set_cookie {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// `POST /p/{slug}/sign`.
async fn sign(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    form: Result<Form<SignForm>, FormRejection>,
) -> AppResult<Response> {
    let Form(form) = form.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::BadRequest(e.body_text()),
    })?;
    let rec = load(&state, &slug).await?;
    let p = &rec.petition;
    if p.status != petition::Status::Open {
        return Ok(not_open(&state, &rec, StatusCode::CONFLICT));
    }
    let input = match form.parse(&p.postal_country, state.config.public_host()) {
        Ok(input) => input,
        Err(errors) => {
            let attribution = Attribution::from_params(&form.attribution, None, state.config.public_host());
            let view = petition_view(&state, &rec);
            let state = FormState { values: &form, errors: &errors, attribution: Some(&attribution) };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, petition_page(&view, &state)).into_response());
        }
    };
    match state.writer.sign(NewSignature { petition_id: p.id, input }).await? {
        Signed::New { share_code } => {
            let mut res = Redirect::to(&format!("/p/{slug}/thanks")).into_response();
            let path = format!("/p/{slug}");
            if let Some(c) = cookies::set(
                cookies::SHARE_CODE,
                &share_code,
                &path,
                SHARE_CODE_DAYS,
                state.config.secure_cookies(),
            ) {
                res.headers_mut().insert(header::SET_COOKIE, c);
            }
            Ok(res)
        }
        Signed::AlreadySigned => Ok(thanks(&state, &rec, None, true).into_response()),
    }
}

fn thanks(
    state: &AppState,
    rec: &PetitionRecord,
    share_code: Option<&str>,
    already_signed: bool,
) -> Response {
    let p = &rec.petition;
    let petition_url = state.config.absolute(&format!("/p/{}", p.slug));
    let view = ThanksView {
        rec,
        locale: Locale::parse(&p.locale),
        count: state.counts.public(p).0,
        personal_link: share_code.map(|c| format!("{petition_url}?ref={c}")),
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
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    let code = cookies::get(&headers, cookies::SHARE_CODE)
        .filter(|c| !c.is_empty() && c.len() <= 32 && c.bytes().all(|b| b.is_ascii_alphanumeric()));
    Ok(thanks(&state, &rec, code, false))
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
        Ok(rec) if rec.petition.status != petition::Status::Draft => rec,
        Ok(_) | Err(AppError::NotFound) => {
            return (StatusCode::NOT_FOUND, [cors], Json(serde_json::json!({ "error": "not found" })))
                .into_response();
        }
        Err(e) => {
            let status = e.status();
            tracing::error!(error = %e, "count feed failed");
            return (status, [cors], Json(serde_json::json!({ "error": "unavailable" }))).into_response();
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
