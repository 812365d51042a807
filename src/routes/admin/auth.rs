//! Signing in and out, the first-run setup link and one-time password links.

use std::{net::IpAddr, num::NonZeroU32};

use axum::{
    Form,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::Utc;
use entity::staff::Role;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;

use super::{
    StaffUser, csrf_token, form_page, ip_hash, no_store, page_response, session_cookie, session_token,
};
use crate::{
    db::staff::{self, Audit},
    domain::staff::{account_email, check_password, decoy_hash, hash_password, verify_password},
    error::{AppError, AppResult},
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{PasswordErrors, login_page, notice_page, password_page},
};

/// Sign-in attempts allowed a minute per account.
const PER_ACCOUNT: u32 = 5;
/// Sign-in attempts allowed a minute per address (a shared office counts once).
const PER_ADDRESS: u32 = 20;

/// Sign-in attempts allowed: per account, and per address, in this process. Failed ones are
/// also counted from the audit log, so that the limits hold across server processes.
#[derive(Debug)]
pub struct LoginLimits {
    by_account: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            by_account: RateLimiter::keyed(per_minute(PER_ACCOUNT)),
            by_address: RateLimiter::keyed(per_minute(PER_ADDRESS)),
        }
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
pub(super) struct NextQuery {
    #[serde(default)]
    next: String,
}

pub(super) async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let next = query.map(|Query(q)| q.next).unwrap_or_default();
    let (csrf, cookie) = csrf_token(&state, &headers);
    form_page(StatusCode::OK, login_page(&csrf, "", safe_next(&next), None), cookie)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login(
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
    let address = ip_hash(&state, ip);
    // This process's limiter first; then every process's failures of the last minute, since
    // behind several processes each one's own limiter sees only its share.
    let over = !state.login_limits.allow(&email, ip) || {
        let since = Utc::now() - chrono::Duration::minutes(1);
        let (tried, from_there) = staff::failed_logins_since(&state.db.read, &email, &address, since).await?;
        tried >= u64::from(PER_ACCOUNT) || from_there >= u64::from(PER_ADDRESS)
    };
    if over {
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
    let address = Some(address);
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

pub(super) async fn logout(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
) -> AppResult<Response> {
    staff::end_session(&state.db.write, &user.token).await?;
    staff::audit(&state.db.write, user.audit("logout", Some(ip_hash(&state, ip))), Utc::now()).await?;
    Ok(signed_out(&state))
}

pub(super) async fn logout_everywhere(
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

pub(super) async fn setup_form(
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
pub(super) struct PasswordForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub(super) async fn setup(
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

pub(super) async fn password_form(
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

pub(super) async fn set_password(
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
