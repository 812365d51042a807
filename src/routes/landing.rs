//! Ad landing pages (`/a/{landing}`) and the images they show (`/images/{sha256}.{ext}`).
//! A landing page is the ad's own page for one petition: its headline, image, copy and
//! language, the count, and the petition's signing form. It remembers the visit as the
//! visitor's first touch, with the landing page and its source.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use entity::petition;

use super::{
    html_page,
    public::{absolute_url, plausible_slug, preview, preview_image},
    visitor::Visitor,
};
use crate::{
    cache::{PageKey, Source},
    compress::Accepts,
    db::{
        landing::{self, CodeRecord, LandingRecord},
        petitions::PetitionRecord,
        share_texts::ShareText,
    },
    domain::{
        Attribution, FieldErrors, SignForm,
        attribution::{self, AttributionParams},
    },
    error::{AppError, AppResult},
    i18n::Locale,
    state::AppState,
    views::{
        landing::{Hero, LandingView, landing_page},
        layout::{PageMeta, ShareImage},
        petition::{FormState, VISITOR_SLOT, hidden_fields},
        qr,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/a/{landing}", get(show))
        .route("/q/{code}", get(scan))
        .route("/q/{code}/qr.svg", get(qr_svg))
        .route("/q/{code}/qr.png", get(qr_png))
        .route("/images/{file}", get(image))
}

/// The live landing page with this slug and its published petition.
pub(super) async fn load(
    state: &AppState,
    slug: &str,
) -> AppResult<(Arc<LandingRecord>, Arc<PetitionRecord>)> {
    if !plausible_slug(slug) {
        return Err(AppError::NotFound);
    }
    let landing = state.landings.get(&state.db.read, slug).await?.ok_or(AppError::NotFound)?;
    match state.petitions.get(&state.db.read, &landing.petition_slug).await? {
        Some(rec) if rec.petition.status != petition::Status::Draft => Ok((landing, rec)),
        _ => Err(AppError::NotFound),
    }
}

/// The language of a landing page: the visitor's own choice, else the page's.
pub(super) fn locale(visitor: &Visitor, landing: &LandingRecord) -> Locale {
    visitor.campaign_locale(Locale::parse(&landing.landing.locale))
}

/// The landing page in `locale` with `form` (values, errors, attribution) as its form.
pub(super) fn render(
    state: &AppState,
    landing: &LandingRecord,
    rec: &PetitionRecord,
    locale: Locale,
    form: &FormState<'_>,
    preview: Option<&ShareText>,
) -> (i64, String) {
    let l = &landing.landing;
    let path = format!("/a/{}", l.slug);
    let alt = l.image_alt.clone().unwrap_or_default();
    // Only a stored image is drawn on the page: an image elsewhere would tell its host who
    // visits. It can still be the share card's picture, which the networks fetch themselves.
    let hero = landing.image.as_ref().map(|img| Hero {
        src: img.path(),
        width: img.width,
        height: img.height,
        alt: alt.clone(),
    });
    let share_image = match (&landing.image, &l.image_url) {
        _ if preview.is_some() => preview.and_then(|t| preview_image(state, t)),
        (Some(img), _) => Some(ShareImage {
            url: state.config.absolute(&img.path()),
            width: Some(img.width),
            height: Some(img.height),
            alt: Some(alt).filter(|a| !a.is_empty()),
        }),
        (None, Some(url)) => Some(ShareImage { url: absolute_url(state, url), ..ShareImage::default() }),
        (None, None) => None,
    };
    let count = state.counts.public(&rec.petition).0;
    let view = LandingView {
        landing,
        petition: rec,
        locale,
        count,
        meta: PageMeta {
            title: l.headline.clone(),
            description: Some(description(&l.body)),
            canonical: Some(state.config.absolute(&path)),
            image: share_image,
            locale,
            noindex: false,
            path: Some(path),
            bare: false,
            script: false,
        },
        hero,
    };
    (count, landing_page(&view, form).into_string())
}

/// The first paragraph of the copy, as text without its Markdown, cut at about 200 characters:
/// a share card's description.
fn description(body: &str) -> String {
    let first = body.split("\n\n").map(str::trim).find(|p| !p.is_empty()).unwrap_or_default();
    let words = crate::views::markdown::plain(first);
    if words.chars().count() <= 200 {
        return words;
    }
    let cut: String = words.chars().take(199).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// `GET /a/{landing}`.
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    accepts: Accepts,
    visitor: Visitor,
) -> AppResult<Response> {
    let (landing, rec) = load(&state, &slug).await?;
    let touch = match query.as_deref().unwrap_or_default() {
        "" if !visitor.referred(state.config.public_host()) => Touch::Plain(landing.plain_visit.clone()),
        query => {
            let mut params = AttributionParams::from_query(query);
            if params.source.is_none() {
                params.source.clone_from(&landing.landing.source);
            }
            Touch::Params(Box::new(params))
        }
    };
    Ok(serve(&state, &landing, &rec, touch, None, visitor, accepts))
}

/// `GET /q/{code}`: a poster's QR code was scanned. The visitor sees the code's landing page,
/// and the visit is credited to the code (`source` = `qr-{code}` unless the code has its own).
async fn scan(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
    accepts: Accepts,
    visitor: Visitor,
) -> AppResult<Response> {
    let code = load_code(&state, &code).await?;
    let (landing, rec) = load(&state, &code.landing_slug).await?;
    let touch = match query.as_deref().unwrap_or_default() {
        "" if !visitor.referred(state.config.public_host()) => Touch::Plain(code.plain_visit.clone()),
        query => {
            let mut params = AttributionParams::from_query(query);
            params.source = Some(code.source.clone());
            Touch::Params(Box::new(params))
        }
    };
    Ok(serve(&state, &landing, &rec, touch, Some(code.code.id), visitor, accepts))
}

/// Where a visit came from: a link's parameters, or nothing but the page (or poster) itself.
enum Touch {
    Params(Box<AttributionParams>),
    /// The record's own first touch (a scan, a typed address, a bookmark).
    Plain(Arc<Attribution>),
}

/// A short code of a live landing page. Codes are typed from posters too, so any letter case
/// is accepted.
async fn load_code(state: &AppState, code: &str) -> AppResult<Arc<CodeRecord>> {
    // Copied only when typed with capitals.
    let code: std::borrow::Cow<'_, str> = if code.bytes().any(|b| b.is_ascii_uppercase()) {
        code.to_ascii_lowercase().into()
    } else {
        code.into()
    };
    if !plausible_slug(&code) || code.len() > 32 {
        return Err(AppError::NotFound);
    }
    state.codes.get(&state.db.read, &code).await?.ok_or(AppError::NotFound)
}

/// The landing page from its render cache, with this visitor's first touch in its form. A
/// person's visit is counted (through the short code `code`, for a scan).
fn serve(
    state: &AppState,
    landing: &Arc<LandingRecord>,
    rec: &Arc<PetitionRecord>,
    touch: Touch,
    code: Option<i64>,
    mut visitor: Visitor,
    accepts: Accepts,
) -> Response {
    let locale = locale(&visitor, landing);
    let (attribution, preview) = match touch {
        Touch::Params(mut params) => {
            if visitor.is_person() {
                // This visit's own campaign, cleaned as any attribution value is.
                let campaign = attribution::clean(params.utm_campaign.as_deref());
                state.visits.count(landing.landing.id, code, campaign.as_deref());
            }
            params.landing_page = Some(landing.landing.slug.clone());
            (visitor.first_touch(&params, state.config.public_host()), preview(rec, &params))
        }
        Touch::Plain(plain) => {
            if visitor.is_person() {
                state.visits.count(landing.landing.id, code, None);
            }
            (visitor.first_touch_plain(&plain), None)
        }
    };
    let count = state.counts.public(&rec.petition).0;
    let sources: [Source; 2] = [landing.clone(), rec.clone()];
    let key = PageKey::Landing(landing.landing.id, locale, preview.map_or(0, |t| t.id));
    let second = super::public::form_second(state);
    let page = state.pages.get_or_render(key, &sources, count, second, VISITOR_SLOT, || {
        let token = state.form_tokens.issue(second);
        let form = FormState {
            values: &SignForm::default(),
            errors: &FieldErrors::new(),
            attribution: None,
            token: &token,
            captcha: super::public::captcha_of(state, rec),
        };
        render(state, landing, rec, locale, &form, preview)
    });
    let mut res = html_page(page.with(&attribution, |a| hidden_fields(a).into_string()), accepts);
    super::public::allow_captcha(state, rec, &mut res);
    (visitor, res).into_response()
}

/// `GET /q/{code}/qr.svg`: the code's QR code as SVG, for print.
async fn qr_svg(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let code = load_code(&state, &code).await?;
    let url = state.config.absolute(&format!("/q/{}", code.code.code));
    let svg = qr::svg(&url, 1000).map_err(AppError::internal)?;
    Ok(qr_response("image/svg+xml", &format!("qr-{}.svg", code.code.code), svg.into_bytes()))
}

/// `GET /q/{code}/qr.png`: the code's QR code as a PNG, print-size.
async fn qr_png(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let code = load_code(&state, &code).await?;
    let url = state.config.absolute(&format!("/q/{}", code.code.code));
    let png = qr::png(&url, 20).map_err(AppError::internal_msg_owned)?;
    Ok(qr_response("image/png", &format!("qr-{}.png", code.code.code), png))
}

fn qr_response(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("inline"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// `GET /images/{sha256}.{ext}`: a stored image. Its name is its content's hash, so it is cached
/// for good and revalidated with its `ETag`.
async fn image(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some((sha256, ext)) = file.split_once('.') else { return Err(AppError::NotFound) };
    let hex = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex {
        return Err(AppError::NotFound);
    }
    let etag = format!("\"{sha256}\"");
    let cached = [
        (header::ETAG, HeaderValue::from_str(&etag).map_err(|_| AppError::NotFound)?),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
    ];
    let revalidating = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let Some(img) = state.images.get(&state.db.read, sha256).await? else { return Err(AppError::NotFound) };
    if landing::extension(&img.content_type) != ext {
        return Err(AppError::NotFound);
    }
    if revalidating {
        return Ok((StatusCode::NOT_MODIFIED, cached).into_response());
    }
    let content_type = HeaderValue::from_str(&img.content_type).map_err(|_| AppError::NotFound)?;
    Ok((cached, [(header::CONTENT_TYPE, content_type)], Body::from(img.data.clone())).into_response())
}
