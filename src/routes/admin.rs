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

use std::{net::IpAddr, num::NonZeroU32};

use axum::{
    Form, Router,
    extract::{FromRequestParts, Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use chrono::{Duration, Utc};
use entity::staff::{self as staff_entity, Role};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::client_ip::ClientIp;
use crate::{
    db::{
        petitions,
        staff::{self, Audit, AuditFilter, Lifetimes},
    },
    domain::staff::{
        account_email, check_password, decoy_hash, hash_password, new_token, role_name, verify_password,
    },
    error::{AppError, AppResult},
    state::AppState,
    views::admin::{
        AuditRow, AuditView, CampaignRow, PasswordErrors, audit_page, home_page, login_page, notice_page,
        password_page,
    },
};

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
}

/// Declares every admin route once: the router is made from this list, and so are the access
/// checks (a layer, before any handler runs) and the role matrix test, so no route can be added
/// without saying who may use it.
macro_rules! admin_routes {
    ($($method:ident $path:literal => $handler:ident, $access:expr;)*) => {
        /// Every admin route, with who may use it.
        pub const ROUTES: &[AdminRoute] = &[
            $(AdminRoute { method: stringify!($method), path: $path, access: $access }),*
        ];

        pub fn router(state: AppState) -> Router<AppState> {
            Router::new()
                $(.route($path, axum::routing::$method($handler)))*
                .route_layer(axum::middleware::from_fn_with_state(state, guard))
        }
    };
}

admin_routes! {
    get "/admin" => home, Access::Staff(Role::Viewer);
    get "/admin/login" => login_form, Access::Public;
    post "/admin/login" => login, Access::Public;
    post "/admin/logout" => logout, Access::Staff(Role::Viewer);
    post "/admin/logout-everywhere" => logout_everywhere, Access::Staff(Role::Viewer);
    get "/admin/setup/{token}" => setup_form, Access::Public;
    post "/admin/setup/{token}" => setup, Access::Public;
    get "/admin/password/{token}" => password_form, Access::Public;
    post "/admin/password/{token}" => set_password, Access::Public;
    get "/admin/audit" => audit, Access::Staff(Role::Admin);
    get "/admin/audit.csv" => audit_csv, Access::Staff(Role::Admin);
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
    let access = ROUTES
        .iter()
        .find(|r| r.path == matched.as_str() && r.method == method)
        .map_or(Access::Staff(Role::Admin), |r| r.access);
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
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return AppError::PayloadTooLarge.into_response();
    };
    let field = |text: &[u8]| {
        url::form_urlencoded::parse(text).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned())
    };
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let token = parts
        .uri
        .query()
        .and_then(|q| field(q.as_bytes()))
        .or_else(|| if form { field(&bytes) } else { None })
        .unwrap_or_default();
    if !genuine(&state, &parts.headers, &token) {
        return forged();
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// The largest staff form read.
const MAX_FORM_BYTES: usize = 64 * 1024;

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

/// Sign-in attempts allowed: per account, and per address.
#[derive(Debug)]
pub struct LoginLimits {
    by_account: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        // Five tries a minute per account, twenty per address (a shared office counts once).
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self { by_account: RateLimiter::keyed(per_minute(5)), by_address: RateLimiter::keyed(per_minute(20)) }
    }
}

impl LoginLimits {
    /// Whether one more attempt for `account` from `address` is allowed (both are counted).
    fn allow(&self, account: &str, address: IpAddr) -> bool {
        if self.by_account.len() > 10_000 {
            self.by_account.retain_recent();
        }
        if self.by_address.len() > 10_000 {
            self.by_address.retain_recent();
        }
        let address_ok = self.by_address.check_key(&address).is_ok();
        let account_ok = self.by_account.check_key(&account.to_owned()).is_ok();
        address_ok && account_ok
    }
}

/// The session cookie's name: `__Host-` (which browsers only accept with `Secure`, `Path=/`
/// and no domain) over https.
fn session_cookie(state: &AppState) -> &'static str {
    if state.config.secure_cookies() { "__Host-us_staff" } else { "us_staff" }
}

/// A keyed hash of a client address for the audit log: lines from one address can be told
/// together, and the address cannot be read back.
fn ip_hash(state: &AppState, ip: IpAddr) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(state.cookie_key.signing()).expect("any key length");
    mac.update(ip.to_string().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
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

/// A page with a form, with the anti-forgery cookie if it was just made.
fn form_page(status: StatusCode, markup: maud::Markup, cookie: Option<HeaderValue>) -> Response {
    let mut res = page_response(status, markup);
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
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

/// A session cookie for `token`; an empty `token` ends it in the browser.
fn session_cookie_header(state: &AppState, token: &str) -> HeaderValue {
    let mut c = Cookie::build((session_cookie(state), token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .path("/");
    if token.is_empty() {
        c = c.max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&c.build().encoded().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Where to go after signing in: a staff page, never another site.
fn safe_next(next: &str) -> &str {
    let ok = next.starts_with("/admin") && !next.starts_with("//") && !next.contains(['\\', '\r', '\n']);
    if ok { next } else { "/admin" }
}

/// Signs `account` in: a new session (ending the one the browser had, if any), then on to `next`.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    account_id: i64,
    next: &str,
) -> AppResult<Response> {
    if let Some(old) = session_token(state, headers) {
        staff::end_session(&state.db.write, &old).await?;
    }
    let token = staff::start_session(&state.db.write, account_id, Utc::now()).await?;
    let mut res = no_store(Redirect::to(safe_next(next)).into_response());
    res.headers_mut().append(header::SET_COOKIE, session_cookie_header(state, &token));
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let next = query.map(|Query(q)| q.next).unwrap_or_default();
    let (csrf, cookie) = csrf_token(&state, &headers);
    form_page(StatusCode::OK, login_page(&csrf, "", safe_next(&next), None), cookie)
}

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let (csrf, _) = csrf_token(&state, &headers);
    let email = account_email(&form.email).unwrap_or_else(|| form.email.trim().to_lowercase());
    let again = |status: StatusCode, message: &str| {
        page_response(status, login_page(&csrf, form.email.trim(), safe_next(&form.next), Some(message)))
    };
    if !state.login_limits.allow(&email, ip) {
        return Ok(again(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts. Wait a minute, then try again.",
        ));
    }
    let account = staff::by_email(&state.db.read, &email).await?;
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let password = form.password.clone();
    // The same work whether or not the account exists.
    let matches = tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            verify_password(&password, decoy_hash());
            false
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let address = Some(ip_hash(&state, ip));
    match account.filter(|_| matches) {
        Some(account) => {
            let entry = Audit {
                staff_id: Some(account.id),
                actor: &account.email,
                action: "login",
                ip_hash: address,
                ..Audit::default()
            };
            staff::audit(&state.db.write, entry, Utc::now()).await?;
            signed_in(&state, &headers, account.id, &form.next).await
        }
        None => {
            let entry = Audit { actor: &email, action: "login.failed", ip_hash: address, ..Audit::default() };
            staff::audit(&state.db.write, entry, Utc::now()).await?;
            Ok(again(StatusCode::UNAUTHORIZED, "The email or the password is wrong."))
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
) -> AppResult<Response> {
    staff::end_session(&state.db.write, &user.token).await?;
    staff::audit(&state.db.write, user.audit("logout", Some(ip_hash(&state, ip))), Utc::now()).await?;
    Ok(signed_out(&state))
}

async fn logout_everywhere(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
) -> AppResult<Response> {
    let ended = staff::end_sessions(&state.db.write, user.account.id).await?;
    let entry = Audit {
        detail: Some(format!("{ended} sessions ended")),
        ..user.audit("logout.everywhere", Some(ip_hash(&state, ip)))
    };
    staff::audit(&state.db.write, entry, Utc::now()).await?;
    Ok(signed_out(&state))
}

fn signed_out(state: &AppState) -> Response {
    let mut res = no_store(Redirect::to("/admin/login").into_response());
    res.headers_mut().append(header::SET_COOKIE, session_cookie_header(state, ""));
    res
}

fn link_gone() -> Response {
    page_response(
        StatusCode::NOT_FOUND,
        notice_page(
            "This link no longer works",
            "It was used already or it has expired. Ask an admin for a new one (undersigned staff reset).",
        ),
    )
}

async fn setup_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if staff::link(&state.db.read, &token, Utc::now()).await? != Some(None)
        || staff::any(&state.db.read).await?
    {
        return Ok(link_gone());
    }
    let (csrf, cookie) = csrf_token(&state, &headers);
    Ok(form_page(StatusCode::OK, setup_view(&token, &csrf, "", &PasswordErrors::default()), cookie))
}

fn setup_view(token: &str, csrf: &str, email: &str, errors: &PasswordErrors) -> maud::Markup {
    password_page(
        "Set up Undersigned",
        "Create the first admin account. You can add more staff afterwards.",
        &format!("/admin/setup/{token}"),
        csrf,
        Some(email),
        errors,
    )
}

#[derive(Debug, Default, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

async fn setup(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let now = Utc::now();
    if staff::link(&state.db.read, &token, now).await? != Some(None) || staff::any(&state.db.read).await? {
        return Ok(link_gone());
    }
    let email = account_email(&form.email);
    let errors = PasswordErrors {
        email: email.is_none().then(|| "Enter an email address, like name@example.org.".to_owned()),
        password: check_password(&form.password, &form.password_again)
            .err()
            .map(|e| format!("Choose another password: {e}.")),
    };
    let (Some(email), None) = (email, &errors.password) else {
        let (csrf, _) = csrf_token(&state, &headers);
        return Ok(page_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            setup_view(&token, &csrf, form.email.trim(), &errors),
        ));
    };
    let hash = hash_off_thread(form.password).await?;
    if staff::use_link(&state.db.write, &token, now).await? != Some(None) {
        return Ok(link_gone());
    }
    let Some(account) = staff::create(&state.db.write, &email, Role::Admin, now).await? else {
        return Ok(link_gone());
    };
    staff::set_password(&state.db.write, account.id, &hash).await?;
    state.needs_setup.store(false, std::sync::atomic::Ordering::Relaxed);
    let address = Some(ip_hash(&state, ip));
    let entry = Audit {
        staff_id: Some(account.id),
        actor: &account.email,
        action: "staff.created",
        subject: Some(format!("staff:{}", account.id)),
        detail: Some("the first admin, with the setup link".into()),
        ip_hash: address.clone(),
    };
    staff::audit(&state.db.write, entry, now).await?;
    signed_in(&state, &headers, account.id, "/admin").await
}

async fn hash_off_thread(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))
}

async fn password_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let Some(Some(id)) = staff::link(&state.db.read, &token, Utc::now()).await? else {
        return Ok(link_gone());
    };
    let Some(account) = staff::by_id(&state.db.read, id).await? else { return Ok(link_gone()) };
    let (csrf, cookie) = csrf_token(&state, &headers);
    Ok(form_page(
        StatusCode::OK,
        password_view(&token, &csrf, &account.email, &PasswordErrors::default()),
        cookie,
    ))
}

fn password_view(token: &str, csrf: &str, email: &str, errors: &PasswordErrors) -> maud::Markup {
    password_page(
        "Choose your password",
        &format!("For the staff account {email}."),
        &format!("/admin/password/{token}"),
        csrf,
        None,
        errors,
    )
}

async fn set_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let now = Utc::now();
    let Some(Some(id)) = staff::link(&state.db.read, &token, now).await? else { return Ok(link_gone()) };
    let Some(account) = staff::by_id(&state.db.read, id).await? else { return Ok(link_gone()) };
    if let Err(e) = check_password(&form.password, &form.password_again) {
        let (csrf, _) = csrf_token(&state, &headers);
        let errors = PasswordErrors {
            password: Some(format!("Choose another password: {e}.")),
            ..PasswordErrors::default()
        };
        return Ok(page_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            password_view(&token, &csrf, &account.email, &errors),
        ));
    }
    let hash = hash_off_thread(form.password).await?;
    if staff::use_link(&state.db.write, &token, now).await? != Some(Some(id)) {
        return Ok(link_gone());
    }
    staff::set_password(&state.db.write, id, &hash).await?;
    // A new password ends the sessions the old one started.
    staff::end_sessions(&state.db.write, id).await?;
    let entry = Audit {
        staff_id: Some(id),
        actor: &account.email,
        action: "password.set",
        subject: Some(format!("staff:{id}")),
        ip_hash: Some(ip_hash(&state, ip)),
        ..Audit::default()
    };
    staff::audit(&state.db.write, entry, now).await?;
    signed_in(&state, &headers, id, "/admin").await
}

async fn home(State(state): State<AppState>, user: StaffUser, headers: HeaderMap) -> AppResult<Response> {
    let mut campaigns = Vec::new();
    for p in petitions::all(&state.db.read).await? {
        campaigns.push(CampaignRow {
            count: state.counts.public(&p).0,
            status: match p.status {
                entity::petition::Status::Draft => "draft",
                entity::petition::Status::Open => "open",
                entity::petition::Status::Closed => "closed",
            },
            title: p.title,
            slug: p.slug,
        });
    }
    let (csrf, cookie) = csrf_token(&state, &headers);
    let admin = user.account.role == Role::Admin;
    Ok(form_page(
        StatusCode::OK,
        home_page(&user.account.email, role_name(user.account.role), &csrf, &campaigns, admin),
        cookie,
    ))
}

/// The audit log's filters as they arrive (`?action=&actor=&from=&to=&page=`).
#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    /// `YYYY-MM-DD`, UTC, inclusive.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

/// Lines per page of the audit log.
const AUDIT_PAGE: u64 = 100;

impl AuditQuery {
    /// The filter, and what was wrong with the query (each such part is left out).
    fn filter(&self) -> (AuditFilter, Vec<String>) {
        let mut errors = Vec::new();
        let mut day = |name: &str, value: &str| -> Option<chrono::NaiveDate> {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            let parsed = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
            if parsed.is_none() {
                errors.push(format!("“{name}” must be a date like 2026-11-27; it was left out."));
            }
            parsed
        };
        let from = day("From", &self.from).map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
        let until = day("To", &self.to)
            .map(|d| (d + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_utc());
        let action = Some(self.action.trim().to_owned()).filter(|a| !a.is_empty());
        let action = match action {
            Some(a)
                if a.len() <= 64 && a.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_') =>
            {
                Some(a)
            }
            Some(_) => {
                errors.push("“Action” is not one of the log's actions; it was left out.".to_owned());
                None
            }
            None => None,
        };
        let actor = Some(self.actor.trim().chars().take(320).collect::<String>()).filter(|a| !a.is_empty());
        (AuditFilter { action, actor, from, until }, errors)
    }

    fn page(&self) -> u64 {
        self.page.trim().parse::<u64>().unwrap_or(1).clamp(1, 100_000)
    }

    /// The query again, without the page, for links.
    fn without_page(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                [("action", &self.action), ("actor", &self.actor), ("from", &self.from), ("to", &self.to)]
                    .into_iter()
                    .filter(|(_, v)| !v.trim().is_empty()),
            )
            .finish()
    }
}

/// `/admin/audit` (admins only: see [`ROUTES`]): the log, newest first, filtered by action,
/// actor and dates, a page at a time.
async fn audit(
    State(state): State<AppState>,
    _admin: StaffUser,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Response> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let (filter, errors) = query.filter();
    let page = query.page();
    let lines = staff::audit_lines(&state.db.read, &filter, (page - 1) * AUDIT_PAGE, AUDIT_PAGE + 1).await?;
    let more = lines.len() as u64 > AUDIT_PAGE;
    let rows = lines
        .into_iter()
        .take(AUDIT_PAGE as usize)
        .map(|e| AuditRow {
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: e.actor,
            action: e.action,
            subject: e.subject.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
            ip_hash: e.ip_hash.unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    let actions = staff::audit_actions(&state.db.read).await?;
    let view = AuditView {
        rows: &rows,
        actions: &actions,
        action: &query.action,
        actor: &query.actor,
        from: &query.from,
        to: &query.to,
        errors: &errors,
        query: &query.without_page(),
        page,
        more,
    };
    Ok(page_response(StatusCode::OK, audit_page(&view)))
}

/// `/admin/audit.csv`: the filtered log as CSV (every matching line, newest first). The export
/// is itself logged.
async fn audit_csv(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Response> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let (filter, _) = query.filter();
    let lines = staff::audit_lines(&state.db.read, &filter, 0, u64::MAX >> 1).await?;
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let cell = |s: &str| crate::db::export::neutralise(s).into_owned();
    out.write_record(["id", "at", "actor", "action", "subject", "detail", "ip_hash"])
        .map_err(|e| AppError::Internal(e.into()))?;
    for e in &lines {
        out.write_record([
            e.id.to_string(),
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            cell(&e.actor),
            cell(&e.action),
            cell(e.subject.as_deref().unwrap_or_default()),
            cell(e.detail.as_deref().unwrap_or_default()),
            e.ip_hash.clone().unwrap_or_default(),
        ])
        .map_err(|e| AppError::Internal(e.into()))?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(e.to_string().into()))?;
    let entry = Audit {
        detail: Some(format!(
            "{} lines ({})",
            lines.len(),
            if query.without_page().is_empty() { "all".to_owned() } else { query.without_page() }
        )),
        ..admin.audit("audit.exported", Some(ip_hash(&state, ip)))
    };
    staff::audit(&state.db.write, entry, Utc::now()).await?;
    let name = format!("attachment; filename=\"audit-{}.csv\"", Utc::now().format("%Y%m%d-%H%M%S"));
    let mut res = no_store((StatusCode::OK, body).into_response());
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&name).map_err(|e| AppError::Internal(e.into()))?,
    );
    Ok(res)
}
