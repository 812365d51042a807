//! Staff pages under `/admin`: sign-in and sign-out, the first-run setup link, one-time
//! password links, the admin home and the audit log.
//!
//! Sessions live in the database (so they work across server processes); the cookie holds a
//! random token whose SHA-256 is the session's id, is `HttpOnly` and `SameSite=Lax`, and is
//! `__Host-`-prefixed and `Secure` over https. Every form carries an anti-forgery token that
//! must match a signed cookie, and a request from another origin is refused (both checked by
//! one layer, [`guard`], for every request that changes something). Sign-in attempts
//! are limited per account and per address, with the same answer whether the account exists
//! or not.

use std::net::IpAddr;

use axum::{
    Router,
    extract::{FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use chrono::{Duration, Utc};
use entity::staff::{self as staff_entity, Role};

use crate::{
    db::staff::{self, Audit, Lifetimes},
    domain::staff::{new_token, role_name},
    error::{AppError, AppResult},
    state::AppState,
    views::admin::{Chrome, Flash, notice_page},
};

mod accounts;
mod audit;
mod auth;
mod campaigns;
mod dashboard;
mod deliveries;
mod exports;
mod landing;
mod outbox;
mod paper;
mod review;
mod signatures;
mod supporters;
mod tokens;

pub use auth::LoginLimits;

/// Who may use an admin route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the sign-in page and the one-time links.
    Public,
    /// A signed-in staff member with this role or above.
    Staff(Role),
}

/// One admin route: its method, path and who may use it.
#[derive(Clone, Copy, Debug)]
pub struct AdminRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    /// The largest request body it takes.
    pub body_limit: usize,
}

/// Declares every admin route once: the router is made from this list, and so are the access
/// checks (a layer, before any handler runs) and the role matrix test, so no route can be added
/// without saying who may use it.
macro_rules! admin_routes {
    (@limit) => { MAX_FORM_BYTES };
    (@limit $limit:expr) => { $limit };
    ($($method:ident $path:literal => $handler:path, $access:expr $(, body limit $limit:expr)?;)*) => {
        /// Every admin route, with who may use it.
        pub const ROUTES: &[AdminRoute] = &[
            $(AdminRoute {
                method: stringify!($method),
                path: $path,
                access: $access,
                body_limit: admin_routes!(@limit $($limit)?),
            }),*
        ];

        pub fn router(state: AppState) -> Router<AppState> {
            Router::new()
                $(.route(
                    $path,
                    axum::routing::$method($handler)$(.layer(axum::extract::DefaultBodyLimit::max($limit)))?,
                ))*
                .route_layer(axum::middleware::from_fn_with_state(state, guard))
        }
    };
}

admin_routes! {
    get "/admin" => campaigns::home, Access::Staff(Role::Viewer);
    get "/admin/login" => auth::login_form, Access::Public;
    post "/admin/login" => auth::login, Access::Public;
    post "/admin/logout" => auth::logout, Access::Staff(Role::Viewer);
    post "/admin/logout-everywhere" => auth::logout_everywhere, Access::Staff(Role::Viewer);
    get "/admin/setup/{token}" => auth::setup_form, Access::Public;
    post "/admin/setup/{token}" => auth::setup, Access::Public;
    get "/admin/password/{token}" => auth::password_form, Access::Public;
    post "/admin/password/{token}" => auth::set_password, Access::Public;
    get "/admin/campaigns/new" => campaigns::new_form, Access::Staff(Role::Organizer);
    post "/admin/campaigns" => campaigns::create, Access::Staff(Role::Organizer), body limit CAMPAIGN_FORM_BYTES;
    get "/admin/campaigns/{id}" => campaigns::edit, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}" => campaigns::save, Access::Staff(Role::Organizer), body limit CAMPAIGN_FORM_BYTES;
    post "/admin/campaigns/{id}/status" => campaigns::status, Access::Staff(Role::Organizer);
    get "/admin/campaigns/{id}/preview" => campaigns::preview, Access::Staff(Role::Viewer);
    get "/admin/campaigns/{id}/dashboard" => dashboard::show, Access::Staff(Role::Viewer);
    post "/admin/campaigns/{id}/alerts" => dashboard::alerts, Access::Staff(Role::Viewer);
    get "/admin/campaigns/{id}/deliveries" => deliveries::list, Access::Staff(Role::Viewer);
    post "/admin/campaigns/{id}/deliveries" => deliveries::create, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/schedules" => deliveries::add_schedule, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/schedules/{sid}/remove" => deliveries::remove_schedule, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/recipient-digest" => deliveries::recipient_digest, Access::Staff(Role::Organizer);
    get "/admin/campaigns/{id}/export" => exports::form, Access::Staff(Role::Viewer);
    get "/admin/campaigns/{id}/export/signatures" => exports::signatures, Access::Staff(Role::Viewer);
    get "/admin/campaigns/{id}/export/counts.csv" => exports::counts, Access::Staff(Role::Viewer);
    post "/admin/campaigns/{id}/export/links" => exports::make_link, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/export/links/{tid}/revoke" => exports::revoke_link, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/offline" => campaigns::offline, Access::Staff(Role::Organizer);
    get "/admin/campaigns/{id}/paper" => paper::list, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/paper" => paper::enter, Access::Staff(Role::Organizer), body limit paper::PAPER_FORM_BYTES;
    get "/admin/campaigns/{id}/review" => review::show, Access::Staff(Role::Organizer);
    get "/admin/campaigns/{id}/signatures" => signatures::list, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/signatures" => signatures::search, Access::Staff(Role::Organizer);
    get "/admin/campaigns/{id}/signatures/invalidate" => signatures::preview, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/signatures/invalidate" => signatures::invalidate, Access::Staff(Role::Organizer);
    get "/admin/campaigns/{id}/signatures/release" => signatures::release_preview, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/signatures/release" => signatures::release, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/signatures/{sid}/release" => signatures::release_one, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/shared-sites" => signatures::add_site, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/shared-sites/{sid}/remove" => signatures::remove_site, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/signatures/{sid}/invalidate" => signatures::invalidate_one, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/signatures/{sid}/restore" => signatures::restore_one, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/invalidations/{aid}/restore" => signatures::restore_action, Access::Staff(Role::Organizer);
    get "/admin/campaigns/{id}/landing/new" => landing::new_form, Access::Staff(Role::Organizer);
    post "/admin/campaigns/{id}/landing" => landing::create, Access::Staff(Role::Organizer);
    get "/admin/landing/{lid}" => landing::edit, Access::Staff(Role::Organizer);
    post "/admin/landing/{lid}" => landing::save, Access::Staff(Role::Organizer);
    post "/admin/landing/{lid}/image" => landing::upload_image, Access::Staff(Role::Organizer),
        body limit crate::domain::upload::MAX_BYTES + 64 * 1024;
    post "/admin/landing/{lid}/codes" => landing::add_code, Access::Staff(Role::Organizer);
    get "/admin/staff" => accounts::list, Access::Staff(Role::Admin);
    post "/admin/staff" => accounts::add, Access::Staff(Role::Admin);
    post "/admin/staff/{sid}/role" => accounts::change_role, Access::Staff(Role::Admin);
    post "/admin/staff/{sid}/reset" => accounts::reset, Access::Staff(Role::Admin);
    post "/admin/staff/{sid}/lock" => accounts::lock, Access::Staff(Role::Admin);
    get "/admin/tokens" => tokens::list, Access::Staff(Role::Admin);
    post "/admin/tokens" => tokens::make, Access::Staff(Role::Admin);
    post "/admin/tokens/{id}/revoke" => tokens::revoke, Access::Staff(Role::Admin);
    get "/admin/outbox" => outbox::list, Access::Staff(Role::Admin);
    get "/admin/outbox/{eid}" => outbox::show, Access::Staff(Role::Admin);
    post "/admin/outbox/{eid}/send-again" => outbox::send_again, Access::Staff(Role::Admin);
    get "/admin/supporters" => supporters::form, Access::Staff(Role::Admin);
    post "/admin/supporters/find" => supporters::find, Access::Staff(Role::Admin);
    post "/admin/supporters/{sid}/erase" => supporters::erase, Access::Staff(Role::Admin);
    get "/admin/audit" => audit::audit, Access::Staff(Role::Admin);
    get "/admin/audit.csv" => audit::audit_csv, Access::Staff(Role::Admin);
}

/// Lets a request through to its handler only if the route's [`Access`] allows it: without a
/// session, on to sign-in (and back after it); with too low a role, a 403 page. The signed-in
/// staff member goes along to the handler, so the session is read once. Then every request that
/// changes something (any method but `GET` and `HEAD`) must be genuine (see [`genuine`]): its
/// anti-forgery token comes in the form's `csrf` field or the query's, so no handler can forget
/// to check it.
async fn guard(
    State(state): State<AppState>,
    matched: axum::extract::MatchedPath,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().as_str().to_ascii_lowercase();
    let route = ROUTES.iter().find(|r| r.path == matched.as_str() && r.method == method);
    let access = route.map_or(Access::Staff(Role::Admin), |r| r.access);
    let body_limit = route.map_or(MAX_FORM_BYTES, |r| r.body_limit);
    let (mut parts, body) = request.into_parts();
    if let Access::Staff(role) = access {
        let user = match StaffUser::signed_in(&mut parts, &state).await {
            Ok(user) => user,
            Err(refused) => return refused,
        };
        if !user.may(role) {
            return user.refused(role);
        }
        parts.extensions.insert(user);
    }
    if parts.method == axum::http::Method::GET || parts.method == axum::http::Method::HEAD {
        return next.run(axum::extract::Request::from_parts(parts, body)).await;
    }
    let field = |text: &[u8]| {
        url::form_urlencoded::parse(text).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned())
    };
    // A token in the query (an upload's form, whose body is not a form's) leaves the body to
    // the handler and its own size limit.
    if let Some(token) = parts.uri.query().and_then(|q| field(q.as_bytes())) {
        if !genuine(&state, &parts.headers, &token) {
            return forged();
        }
        return next.run(axum::extract::Request::from_parts(parts, body)).await;
    }
    let Ok(bytes) = axum::body::to_bytes(body, body_limit).await else {
        return AppError::PayloadTooLarge.into_response();
    };
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let token = if form { field(&bytes) } else { None }.unwrap_or_default();
    if !genuine(&state, &parts.headers, &token) {
        return forged();
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// The largest staff form read, unless its route says otherwise.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// The campaign editor's form: a letter and its translation may be long, and form encoding
/// makes accented letters and line breaks six bytes each.
const CAMPAIGN_FORM_BYTES: usize = 1024 * 1024;

/// How long a session lasts without a request, and at most.
pub const SESSION: Lifetimes = Lifetimes { idle: Duration::hours(2), absolute: Duration::hours(12) };
/// How long the first-run setup link works.
pub const SETUP_LINK: Duration = Duration::hours(1);
/// How long a new account's link works.
pub const ACCOUNT_LINK: Duration = Duration::hours(24);
/// How long a reset link works.
pub const RESET_LINK: Duration = Duration::hours(1);

/// The anti-forgery cookie (signed), scoped to the admin.
const CSRF_COOKIE: &str = "us_csrf";

/// The session cookie's name: `__Host-` (which browsers only accept with `Secure`, `Path=/`
/// and no domain) over https.
fn session_cookie(state: &AppState) -> &'static str {
    if state.config.secure_cookies() { "__Host-us_staff" } else { "us_staff" }
}

/// A keyed hash of a client address for the audit log: lines from one address can be told
/// together, and the address cannot be read back.
fn ip_hash(state: &AppState, ip: IpAddr) -> String {
    super::client_ip::address_hash(state.cookie_key.signing(), ip, 16)
}

/// A record's id from its path (`/admin/campaigns/{id}` and the like); anything else is not found.
fn id_of(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or(AppError::NotFound)
}

/// The campaign `id`, read fresh (not from the public pages' cache), or not found.
async fn campaign(state: &AppState, id: i64) -> AppResult<crate::db::petitions::PetitionRecord> {
    crate::db::petitions::find_by_id(&state.db.read, id).await?.ok_or(AppError::NotFound)
}

/// Staff pages are never stored by a browser or a proxy.
fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn page_response(status: StatusCode, markup: maud::Markup) -> Response {
    no_store((status, Html(markup.into_string())).into_response())
}

/// The form's anti-forgery token: the one in the visitor's signed cookie, or a new one (with
/// the cookie to set).
fn csrf_token(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let jar = SignedCookieJar::from_headers(headers, state.cookie_key.clone());
    if let Some(c) = jar.get(CSRF_COOKIE) {
        return (c.value().to_owned(), None);
    }
    let token = new_token();
    let cookie = Cookie::build((CSRF_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies())
        .path("/admin")
        .build();
    let jar = jar.add(cookie);
    let header = jar.into_response().headers().get(header::SET_COOKIE).cloned();
    (token, header)
}

/// A page with a form, with the cookies it sets (the anti-forgery cookie if it was just made,
/// the end of a flash message once shown).
fn form_page(
    status: StatusCode,
    markup: maud::Markup,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    let mut res = page_response(status, markup);
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// The cookie that carries a [`Flash`] to the page after a redirect (signed, scoped to the admin).
const FLASH_COOKIE: &str = "us_flash";

/// On to `to` (303), which will say what `flash` did.
fn flash_redirect(state: &AppState, to: &str, flash: Flash) -> Response {
    let cookie = Cookie::build((FLASH_COOKIE, flash.code()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies())
        .path("/admin")
        .max_age(cookie::time::Duration::minutes(5))
        .build();
    let jar = SignedCookieJar::new(state.cookie_key.clone()).add(cookie);
    let mut res = no_store(Redirect::to(to).into_response());
    if let Some(c) = jar.into_response().headers().get(header::SET_COOKIE) {
        res.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    res
}

/// The flash message a redirect left for this page, if any, and the cookie that ends it (so it
/// is said once).
fn take_flash(state: &AppState, headers: &HeaderMap) -> (Option<Flash>, Option<HeaderValue>) {
    let jar = SignedCookieJar::from_headers(headers, state.cookie_key.clone());
    let Some(flash) = jar.get(FLASH_COOKIE) else { return (None, None) };
    let gone = Cookie::build((FLASH_COOKIE, "")).path("/admin").max_age(cookie::time::Duration::ZERO).build();
    let end = HeaderValue::from_str(&gone.encoded().to_string()).ok();
    (Flash::from_code(flash.value()), end)
}

/// What a signed-in staff page needs besides its content: its anti-forgery token, the flash
/// message, and the cookies that go with them.
struct PageKit {
    csrf: String,
    flash: Option<Flash>,
    cookies: Vec<HeaderValue>,
}

impl PageKit {
    fn new(state: &AppState, headers: &HeaderMap) -> Self {
        let (csrf, csrf_cookie) = csrf_token(state, headers);
        let (flash, flash_end) = take_flash(state, headers);
        Self { csrf, flash, cookies: csrf_cookie.into_iter().chain(flash_end).collect() }
    }

    fn chrome<'a>(&'a self, user: &'a StaffUser) -> Chrome<'a> {
        Chrome {
            email: &user.account.email,
            role: role_name(user.account.role),
            admin: user.account.role == Role::Admin,
            csrf: &self.csrf,
            flash: self.flash,
        }
    }

    fn page(self, status: StatusCode, markup: maud::Markup) -> Response {
        form_page(status, markup, self.cookies)
    }
}

/// Whether a posted form is genuine: its token matches the signed cookie, and the browser does
/// not say it comes from another site.
fn genuine(state: &AppState, headers: &HeaderMap, token: &str) -> bool {
    // The browser's `Origin` names this site: its public address, or the host it asked for.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let same_origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).is_none_or(|origin| {
        let origin = origin.trim_end_matches('/');
        origin == state.config.public_url.as_str().trim_end_matches('/')
            || host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, authority)| authority == h))
    });
    let jar = SignedCookieJar::from_headers(headers, state.cookie_key.clone());
    let matches = jar.get(CSRF_COOKIE).is_some_and(|c| {
        let (a, b) = (c.value().as_bytes(), token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    });
    same_origin && matches
}

fn forged() -> Response {
    page_response(
        StatusCode::FORBIDDEN,
        notice_page(
            "Form expired",
            "This form could not be accepted: it is too old or came from another site. Go back, reload the page and try again.",
        ),
    )
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub account: staff_entity::Model,
    /// The session cookie's value.
    token: String,
}

impl StaffUser {
    /// Whether this staff member's role is `role` or above.
    pub fn may(&self, role: Role) -> bool {
        self.account.role >= role
    }

    /// The 403 page for an action that needs `role`.
    pub fn refused(&self, role: Role) -> Response {
        page_response(
            StatusCode::FORBIDDEN,
            notice_page(
                "Not allowed",
                &format!(
                    "This needs the {} role; your account is {}.",
                    role_name(role),
                    role_name(self.account.role)
                ),
            ),
        )
    }

    fn audit<'a>(&'a self, action: &'a str, ip: Option<String>) -> Audit<'a> {
        Audit {
            staff_id: Some(self.account.id),
            actor: &self.account.email,
            action,
            ip_hash: ip,
            ..Audit::default()
        }
    }
}

/// The session cookie's value, if any.
fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = session_cookie(state);
    axum_extra::extract::cookie::CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // Found by the guard already.
        if let Some(user) = parts.extensions.get::<Self>() {
            return Ok(user.clone());
        }
        Self::signed_in(parts, state).await
    }
}

impl StaffUser {
    /// The staff member signed in with the request's session cookie; else the redirect to sign
    /// in (with the page asked for).
    async fn signed_in(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || {
            let next = parts.uri.path_and_query().map_or("/admin", |p| p.as_str());
            let query =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
            no_store(Redirect::to(&format!("/admin/login?{query}")).into_response())
        };
        let Some(token) = session_token(state, &parts.headers) else { return Err(to_login()) };
        match staff::session(&state.db.read, &token, Utc::now(), SESSION).await {
            Ok(Some(account)) => Ok(Self { account, token }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(AppError::Internal(e.into()).into_response()),
        }
    }
}
