//! The public signing path: home page, petition page, signing, thanks page and count feed.
//! A draft is not public: every one of these answers 404 for it until it is published. A closed
//! petition keeps its page and count, with a notice instead of the form.

use std::sync::Arc;

use axum::{
    Form, Json, Router,
    extract::{Path, Query, RawQuery, State, rejection::FormRejection, rejection::QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::SecondsFormat;
use entity::petition;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};

use super::{
    client_ip::{ClientIp, network_hash},
    embed, html_page, landing,
    visitor::Visitor,
};
use crate::{
    cache::{PageKey, Source},
    captcha::{Provider, Verdict},
    compress::Accepts,
    confirm::Ask,
    db::{
        confirmations::{self, Renewed},
        landing::LandingRecord,
        petitions::{self, PetitionRecord},
        share_texts::ShareText,
        signatures,
        writer::{NewSignature, Signed},
    },
    domain::{Attribution, FieldErrors, ShareCode, SignForm, SignatureInput, attribution::AttributionParams},
    error::{AppError, AppResult},
    i18n::Locale,
    limits::{Held, Timing, now_second},
    state::AppState,
    views::{
        index::{Card, index_page},
        layout::{PageMeta, ShareImage},
        petition::{
            FormState, PetitionView, Said, ThanksView, VISITOR_SLOT, hidden_fields, petition_page,
            thanks_page,
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
    // Until this process knows of an account, it asks: the first admin may have been made
    // through another server process, or on the command line.
    let mut needs_setup = state.needs_setup.load(std::sync::atomic::Ordering::Relaxed);
    if needs_setup && crate::db::staff::any(&state.db.read).await? {
        state.needs_setup.store(false, std::sync::atomic::Ordering::Relaxed);
        needs_setup = false;
    }
    Ok((visitor, index_page(&meta, &cards, needs_setup)).into_response())
}

/// Slugs are lower-case letters, digits and hyphens; anything else cannot exist.
pub(super) fn plausible_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 100
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The published (open or closed) petition with this slug. Drafts are not found.
pub(super) async fn load(state: &AppState, slug: &str) -> AppResult<Arc<PetitionRecord>> {
    if !plausible_slug(slug) {
        return Err(AppError::NotFound);
    }
    match state.petitions.get(&state.db.read, slug).await? {
        Some(rec) if rec.petition.status != petition::Status::Draft => Ok(rec),
        _ => Err(AppError::NotFound),
    }
}

pub(super) fn petition_view<'a>(
    state: &AppState,
    rec: &'a PetitionRecord,
    locale: Locale,
    preview: Option<&ShareText>,
) -> PetitionView<'a> {
    let p = &rec.petition;
    let image = match preview {
        Some(text) => preview_image(state, text),
        None => p
            .image_url
            .as_deref()
            .map(|img| ShareImage { url: absolute_url(state, img), ..ShareImage::default() }),
    };
    let path = format!("/p/{}", p.slug);
    let c = rec.content(locale.tag());
    PetitionView {
        rec,
        locale,
        count: state.counts.public(p).0,
        meta: PageMeta {
            title: c.title.to_owned(),
            description: Some(c.summary.to_owned()),
            canonical: Some(state.config.absolute(&path)),
            image,
            locale,
            noindex: false,
            path: Some(path),
            bare: false,
            script: false,
        },
        action: format!("/p/{}/sign", p.slug),
    }
}

/// The share text a shared link names (`?v=`) when it has a preview image of its own: the page
/// then shows that image in its share card, as the sharer saw it.
pub(super) fn preview<'a>(rec: &'a PetitionRecord, params: &AttributionParams) -> Option<&'a ShareText> {
    let id = params.share_text.as_deref()?.trim().parse().ok()?;
    rec.share_text(id).filter(|t| t.image.is_some())
}

/// A share text's preview image, for a share card.
pub(super) fn preview_image(state: &AppState, text: &ShareText) -> Option<ShareImage> {
    let img = text.image.as_ref()?;
    Some(ShareImage {
        url: state.config.absolute(&img.path()),
        width: Some(img.width),
        height: Some(img.height),
        alt: text.image_alt.clone().filter(|a| !a.is_empty()),
    })
}

/// A URL as written (`https://…`), or a path on this site made absolute.
pub(super) fn absolute_url(state: &AppState, url: &str) -> String {
    if url.starts_with('/') { state.config.absolute(url) } else { url.to_owned() }
}

/// The page's language: the petition's own unless the visitor asked for another.
pub(super) fn page_locale(visitor: &Visitor, rec: &PetitionRecord) -> Locale {
    visitor.locale(Locale::parse(&rec.petition.locale))
}

/// `GET /p/{slug}`: the petition and its form. Remembers the visitor's first touch. Query
/// parameters that do not parse (a repeated `utm_source`, say) are ignored, not refused.
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    accepts: Accepts,
    mut visitor: Visitor,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    let locale = page_locale(&visitor, &rec);
    let params = AttributionParams::from_query(query.as_deref().unwrap_or_default());
    let attribution = visitor.first_touch(&params, state.config.public_host());
    let count = state.counts.public(&rec.petition).0;
    let sources: [Source; 1] = [rec.clone()];
    let preview = preview(&rec, &params);
    let second = form_second(&state);
    let page = state.pages.get_or_render(
        PageKey::Petition(rec.petition.id, locale, preview.map_or(0, |t| t.id)),
        &sources,
        count,
        second,
        VISITOR_SLOT,
        || {
            let view = petition_view(&state, &rec, locale, preview);
            let token = state.form_tokens.issue(second);
            let form = FormState {
                values: &SignForm::default(),
                errors: &FieldErrors::new(),
                attribution: None,
                token: &token,
                captcha: captcha_of(&state, &rec),
            };
            (view.count, petition_page(&view, &form).into_string())
        },
    );
    let mut res = html_page(page.with(&attribution, |a| hidden_fields(a).into_string()), accepts);
    allow_captcha(&state, &rec, &mut res);
    Ok((visitor, res).into_response())
}

/// The human check on `rec`'s form (its provider and site key), when the petition asks for one
/// and the instance has one.
pub(super) fn captcha_of<'a>(state: &'a AppState, rec: &PetitionRecord) -> Option<(Provider, &'a str)> {
    // A closed petition shows no form, and lets no widget in.
    let open = rec.petition.status == petition::Status::Open;
    let c = state.captcha.as_ref().filter(|_| rec.petition.captcha && open)?;
    Some((c.settings.provider, c.settings.site_key.as_str()))
}

/// Lets `res`'s page load the human check's widget, when its form has one.
pub(super) fn allow_captcha(state: &AppState, rec: &PetitionRecord, res: &mut Response) {
    if let Some((provider, _)) = captcha_of(state, rec) {
        res.extensions_mut().insert(super::ThirdParty(provider.sources()));
    }
}

/// What the provider says of the form's human check, when the petition asks for one.
async fn human_check(state: &AppState, rec: &PetitionRecord, form: &SignForm) -> Option<Verdict> {
    let c = state.captcha.as_ref().filter(|_| rec.petition.captcha)?;
    let answer = match c.settings.provider {
        Provider::Turnstile => &form.turnstile_response,
        Provider::Hcaptcha => &form.hcaptcha_response,
    };
    Some(c.verify(answer).await)
}

/// The second the forms served now are issued in, or 0 when forms carry no token (a cached page
/// is rendered again each second only when they do).
pub(super) fn form_second(state: &AppState) -> u64 {
    if state.form_tokens.enabled() { now_second() } else { 0 }
}

/// The landing page a form was on (`via`), if it is live and shows this petition.
pub(super) async fn landing_of(
    state: &AppState,
    rec: &PetitionRecord,
    via: &str,
) -> Option<Arc<LandingRecord>> {
    if via.is_empty() {
        return None;
    }
    let (landing, _) = landing::load(state, via).await.ok()?;
    (landing.landing.petition_id == rec.petition.id).then_some(landing)
}

/// `POST /p/{slug}/sign`. A form on a landing page comes back to that landing page's
/// language, errors and thanks.
async fn sign(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    mut visitor: Visitor,
    ClientIp(ip): ClientIp,
    form: Result<Form<SignForm>, FormRejection>,
) -> AppResult<Response> {
    let Form(form) = form.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::BadRequest(e.body_text()),
    })?;
    if let Err(wait) = state.limits.flood() {
        state.counters.refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(wait_ms = wait.as_millis(), "signing refused: too many signatures at once");
        return Ok(too_many(wait));
    }
    let rec = load(&state, &slug).await?;
    let p = &rec.petition;
    let via = landing_of(&state, &rec, &form.via).await;
    let locale = match &via {
        Some(landing) => landing::locale(&visitor, landing),
        None => page_locale(&visitor, &rec),
    };
    let embedded = form.embed.is_some();
    let timing = state.form_tokens.check(&form.form_token, now_second());
    // A form sent back with errors keeps the time it was first served; one without a genuine
    // token, or with one too old to be sent again, gets one now.
    let token = match timing {
        Timing::Missing | Timing::Forged | Timing::Stale => state.form_tokens.issue(now_second()),
        Timing::Fine | Timing::TooFast => form.form_token.clone(),
    };
    // The page the form was on, again, with `errors`: the embed stays in its frame.
    let page_with = |status: StatusCode, errors: &FieldErrors, attribution: Option<&Attribution>| {
        let captcha = captcha_of(&state, &rec);
        let form = FormState { values: &form, errors, attribution, token: &token, captcha };
        let mut res = if embedded {
            (status, Html(embed::page(&state, &rec, locale, &form))).into_response()
        } else {
            let html = match &via {
                Some(landing) => landing::render(&state, landing, &rec, locale, &form, None).1,
                None => petition_page(&petition_view(&state, &rec, locale, None), &form).into_string(),
            };
            (status, Html(html)).into_response()
        };
        allow_captcha(&state, &rec, &mut res);
        if embedded { embed::framed(&state, res) } else { res }
    };
    if p.status != petition::Status::Open {
        return Ok(page_with(StatusCode::CONFLICT, &FieldErrors::new(), None));
    }
    let mut input = match form.parse(&rec.fields, &p.postal_country, state.config.public_host()) {
        Ok(input) => input,
        Err(errors) => {
            let attribution = Attribution::from_params(&form.attribution, None, state.config.public_host());
            return Ok(page_with(StatusCode::UNPROCESSABLE_ENTITY, &errors, Some(&attribution)));
        }
    };
    // A form without the hidden fields (a page kept from before the visit, say) is credited to
    // the first touch the visitor's cookie remembers.
    if input.attribution.is_empty()
        && let Some(first) = visitor.remembered()
    {
        input.attribution = first.clone();
    }
    // Only this petition's share texts are credited.
    if input.attribution.share_text_id().and_then(|id| rec.share_text(id)).is_none() {
        input.attribution.share_text = None;
    }
    input.network_hash = Some(network_hash(state.cookie_key.signing(), p.id, ip));
    // A bot that filled the honeypot is not worth the provider's time.
    let checked = if input.suspected_bot { None } else { human_check(&state, &rec, &form).await };
    let shared = rec.is_shared(ip);
    let Limited { held, domain_limited } = limit(&state, &rec, (ip, shared), &input, timing, checked);
    let confirm = ask_to_confirm(&state, &rec, locale, &input, held);
    // Asked to confirm by email: the thanks page says so (a held signer sees the usual one).
    let pending = if p.require_confirmation && confirm.is_some() { "confirm=1" } else { "" };
    let ask = confirm.as_ref().map(|(ask, _)| ask.clone());
    let network_limited = !shared;
    // Asked to confirm if the database holds it over its network's or domain's limit (with
    // another process signing too), when nothing asks them yet.
    let ask_if_held = confirm.is_none() && !input.suspected_bot;
    let signed = state
        .writer
        .sign(NewSignature { petition_id: p.id, input, confirm: ask, held, network_limited, domain_limited })
        .await?;
    if let Signed::New { id, held_here: Some(policy), .. } = &signed {
        state.counters.held(*policy);
        tracing::info!(
            petition_id = p.id,
            policy = policy.name(),
            "signature held over a limit in the database"
        );
        // The signature is stored: a link that could not be written leaves it for staff to
        // release, and the signer still gets the thanks page.
        if ask_if_held && let Err(e) = ask_held_signer(&state, &rec, locale, *id).await {
            tracing::error!(error = %crate::error::chain(&e), "writing a held signer's confirmation failed");
        }
    }
    match signed {
        Signed::New { share_code, .. } if embedded => {
            // No cookie in a frame: the share code travels in the link.
            let to = format!("/embed/{slug}/thanks?ref={}&{pending}", share_code.as_str());
            Ok(embed::framed(&state, Redirect::to(to.trim_end_matches('&'))))
        }
        Signed::New { share_code, .. } => {
            visitor.remember_share_code(&format!("/p/{slug}"), &share_code);
            let thanks = match &via {
                Some(landing) => format!("/p/{slug}/thanks?a={}&{pending}", landing.landing.slug),
                None => format!("/p/{slug}/thanks?{pending}"),
            };
            Ok((visitor, Redirect::to(thanks.trim_end_matches(['&', '?']))).into_response())
        }
        Signed::AlreadySigned => {
            let said = match confirm {
                Some((ask, canonical)) => renew(&state, &rec, ask, &canonical).await?,
                None => Said::AlreadySigned,
            };
            if embedded {
                return Ok(embed::framed(&state, thanks(&state, &rec, None, locale, None, said, true)));
            }
            Ok(thanks(&state, &rec, via.as_deref(), locale, visitor.share_code(), said, false))
        }
    }
}

/// What the limits said of a signature.
struct Limited {
    /// It goes over a limit, and is held.
    held: bool,
    /// Its email domain's limit applies to it (not a bot's, not at a large provider).
    domain_limited: bool,
}

/// Whether a signature from `ip` (in one of the petition's shared sites, or not) goes over a
/// limit, and is then held (logged with the policy, never the signer).
fn limit(
    state: &AppState,
    rec: &PetitionRecord,
    (ip, shared): (std::net::IpAddr, bool),
    input: &SignatureInput,
    timing: Timing,
    checked: Option<Verdict>,
) -> Limited {
    let Some(email) = input.email.as_ref().filter(|_| !input.suspected_bot) else {
        return Limited { held: false, domain_limited: false };
    };
    let canonical = email.canonical();
    let domain = canonical.rsplit_once('@').map_or("", |(_, d)| d);
    let domain_limited = !crate::limits::is_common_provider(domain);
    let mut held = state.limits.check(rec.petition.id, ip, shared, &canonical, domain);
    if timing != Timing::Fine {
        tracing::info!(petition_id = rec.petition.id, timing = ?timing, "signing form sent back out of time");
        held = held.or(Some(Held::Form));
    }
    if let Some(verdict) = checked
        && verdict != Verdict::Passed
    {
        tracing::info!(petition_id = rec.petition.id, verdict = ?verdict, "signing form's human check not passed");
        held = held.or(Some(Held::Captcha));
    }
    if let Some(policy) = held {
        state.counters.held(policy);
        tracing::info!(petition_id = rec.petition.id, policy = policy.name(), "signature held over a limit");
    }
    Limited { held: held.is_some(), domain_limited }
}

/// Asks the signer of a signature the database held over its network's or domain's limit (after this
/// process's limiters let it through, so no link was made) to confirm, as every held signer is.
async fn ask_held_signer(
    state: &AppState,
    rec: &PetitionRecord,
    locale: Locale,
    signature_id: i64,
) -> Result<(), sea_orm::DbErr> {
    // Read back from the stored row: rare, and no signature carries a copy in case.
    let Some((given_name, email)) = signatures::contact(&state.db.write, signature_id).await? else {
        return Ok(());
    };
    let ask = Ask::new(&state.config.absolute(""), rec, locale, &given_name, &email);
    let now = chrono::Utc::now();
    let txn = state.db.write.begin().await?;
    let link = confirmations::NewLink {
        signature_id,
        petition_id: rec.petition.id,
        token_hash: ask.token_hash,
        locale: ask.locale.tag(),
    };
    confirmations::insert(&txn, vec![link], now).await?;
    let ids = crate::db::mail::enqueue(&txn, vec![ask.email], now).await?;
    txn.commit().await?;
    crate::mail::written(&ids, crate::confirm::CONFIRM, &state.mail_wake);
    Ok(())
}

/// `429` with `Retry-After` (whole seconds, at least one).
fn too_many(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut res = AppError::TooManyRequests.into_response();
    if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The link and email that ask a signer of `rec` to confirm their address, with the address's
/// canonical form, if the petition asks for that or the signature is `held`.
pub(super) fn ask_to_confirm(
    state: &AppState,
    rec: &PetitionRecord,
    locale: Locale,
    input: &SignatureInput,
    held: bool,
) -> Option<(Ask, String)> {
    if !(rec.petition.require_confirmation || held) || input.suspected_bot {
        return None;
    }
    let email = input.email.as_ref()?;
    let ask = Ask::new(&state.config.absolute(""), rec, locale, input.given_name.as_str(), email.as_str());
    Some((ask, email.canonical()))
}

/// Someone signed again whose signature may wait for confirmation: a new link if the last
/// one is old enough, and what to tell them. A held signer of a petition that does not ask
/// for confirmation is told they signed already, as anyone would be: nothing says "held".
async fn renew(state: &AppState, rec: &PetitionRecord, ask: Ask, canonical: &str) -> AppResult<Said> {
    let p = &rec.petition;
    // Most repeats count already: one read, and no write, tells them apart.
    let Some(signature_id) = confirmations::waiting(&state.db.read, p.id, canonical).await? else {
        return Ok(Said::AlreadySigned);
    };
    let txn = state.db.write.begin().await?;
    let email = (ask.token_hash.as_str(), ask.locale.tag(), ask.email);
    let renewed = confirmations::renew(&txn, signature_id, email, chrono::Utc::now()).await?;
    txn.commit().await?;
    if let Renewed::Sent(id) = renewed {
        crate::mail::written(&[id], crate::confirm::CONFIRM, &state.mail_wake);
    }
    Ok(if p.require_confirmation { Said::Pending } else { Said::AlreadySigned })
}

/// The thanks page. Signers from a landing page share that landing page, in its language.
pub(super) fn thanks(
    state: &AppState,
    rec: &PetitionRecord,
    via: Option<&LandingRecord>,
    locale: Locale,
    share_code: Option<ShareCode>,
    said: Said,
    embedded: bool,
) -> Response {
    let p = &rec.petition;
    let shared = match via {
        Some(landing) => format!("/a/{}", landing.landing.slug),
        None => format!("/p/{}", p.slug),
    };
    let petition_url = state.config.absolute(&shared);
    let mut share_query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(code) = &share_code {
        share_query.append_pair("ref", code.as_str());
    }
    if let Some(landing) = via {
        share_query.append_pair("a", &landing.landing.slug);
    }
    let share_query = share_query.finish();
    let view = ThanksView {
        rec,
        locale,
        count: state.counts.public(p).0,
        personal_link: share_code.map(|c| format!("{petition_url}?ref={}", c.as_str())),
        share_query: if share_query.is_empty() { share_query } else { format!("?{share_query}") },
        said,
        embedded,
    };
    let mut res = thanks_page(&view).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}

#[derive(Debug, Default, Deserialize)]
struct ThanksParams {
    /// The landing page the signer signed on.
    #[serde(default)]
    a: String,
    /// `1`: the signature waits for the signer to confirm their address.
    #[serde(default)]
    confirm: String,
}

/// `GET /p/{slug}/thanks`.
async fn thanks_get(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    params: Result<Query<ThanksParams>, QueryRejection>,
    visitor: Visitor,
) -> AppResult<Response> {
    let rec = load(&state, &slug).await?;
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let via = landing_of(&state, &rec, &params.a).await;
    let locale = match &via {
        Some(landing) => landing::locale(&visitor, landing),
        None => page_locale(&visitor, &rec),
    };
    let code = visitor.share_code();
    let said = if params.confirm == "1" { Said::Pending } else { Said::Thanks };
    Ok((visitor, thanks(&state, &rec, via.as_deref(), locale, code, said, false)).into_response())
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
