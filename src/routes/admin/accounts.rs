//! Staff accounts in the browser (admins only): the list, adding an account (its one-time
//! link shown once), changing a role, a new password link, and locking an account out. At
//! least one admin who can sign in always remains.

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use entity::staff::{Model as Account, Role};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::{ACCOUNT_LINK, PageKit, RESET_LINK, StaffUser, flash_redirect, id_of, ip_hash};
use crate::{
    db::staff::{self, Audit},
    domain::staff::{account_email, parse_role, role_name},
    error::{AppError, AppResult},
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{
        Flash,
        staff::{NewLink, StaffRow, StaffView, staff_page},
    },
};

/// What the page shows besides the accounts.
#[derive(Default)]
struct Extras<'a> {
    link: Option<NewLink>,
    email: &'a str,
    role: &'a str,
    error: Option<&'a str>,
    refusal: Option<&'a str>,
}

async fn page(
    state: &AppState,
    admin: &StaffUser,
    headers: &HeaderMap,
    extras: Extras<'_>,
    status: StatusCode,
) -> AppResult<Response> {
    let rows: Vec<StaffRow> = staff::all(&state.db.read)
        .await?
        .into_iter()
        .map(|a| StaffRow {
            id: a.id,
            role: role_name(a.role),
            active: a.password_hash.is_some(),
            created: a.created_at.format("%Y-%m-%d").to_string(),
            me: a.id == admin.account.id,
            email: a.email,
        })
        .collect();
    let kit = PageKit::new(state, headers);
    let view = StaffView {
        chrome: kit.chrome(admin),
        rows: &rows,
        link: extras.link,
        email: extras.email,
        role: if extras.role.is_empty() { "viewer" } else { extras.role },
        error: extras.error,
        refusal: extras.refusal,
    };
    let markup = staff_page(&view);
    Ok(kit.page(status, markup))
}

/// `GET /admin/staff`.
pub(super) async fn list(
    State(state): State<AppState>,
    admin: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    page(&state, &admin, &headers, Extras::default(), StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/staff`: a new account, and its one-time link shown once (never sent anywhere
/// by the server).
pub(super) async fn add(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    let typed = Extras { email: form.email.trim(), role: form.role.trim(), ..Extras::default() };
    let (Some(email), Some(role)) = (account_email(&form.email), parse_role(form.role.trim())) else {
        let error = Some("Enter the email address of the new staff member, and choose a role.");
        return page(&state, &admin, &headers, Extras { error, ..typed }, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let Some(account) = staff::create(&txn, &email, role, now).await? else {
        drop(txn);
        let error = Some("This email already has an account; give it a new password link from the list.");
        return page(&state, &admin, &headers, Extras { error, ..typed }, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let token = staff::new_link(&txn, Some(account.id), ACCOUNT_LINK, now).await?;
    let entry = Audit {
        subject: Some(format!("staff:{}", account.id)),
        detail: Some(format!("{email} as {}", role_name(role))),
        ..admin.audit("staff.created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    let link =
        NewLink { email, url: state.config.absolute(&format!("/admin/password/{token}")), valid: "24 hours" };
    page(&state, &admin, &headers, Extras { link: Some(link), ..Extras::default() }, StatusCode::OK).await
}

async fn account(state: &AppState, raw: &str) -> AppResult<Account> {
    staff::by_id(&state.db.read, id_of(raw)?).await?.ok_or(AppError::NotFound)
}

/// Whether taking `account`'s admin access away would leave no admin who can sign in.
async fn last_admin(state: &AppState, account: &Account) -> AppResult<bool> {
    let working = account.role == Role::Admin && account.password_hash.is_some();
    Ok(working && staff::working_admins(&state.db.read).await? <= 1)
}

const LAST_ADMIN: &str = "This is the last admin who can sign in: make another admin first.";

#[derive(Debug, Default, Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /admin/staff/{sid}/role`: the new role takes effect on the account's next request.
pub(super) async fn change_role(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    let target = account(&state, &sid).await?;
    let Some(role) = parse_role(form.role.trim()) else {
        let refusal = Some("Choose admin, organizer or viewer.");
        return page(
            &state,
            &admin,
            &headers,
            Extras { refusal, ..Extras::default() },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if role == target.role {
        return Ok(flash_redirect(&state, "/admin/staff", Flash::StaffChanged));
    }
    if role != Role::Admin && last_admin(&state, &target).await? {
        let refusal = Some(LAST_ADMIN);
        return page(&state, &admin, &headers, Extras { refusal, ..Extras::default() }, StatusCode::CONFLICT)
            .await;
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    staff::set_role(&txn, target.id, role).await?;
    let entry = Audit {
        subject: Some(format!("staff:{}", target.id)),
        detail: Some(format!("{}: {} → {}", target.email, role_name(target.role), role_name(role))),
        ..admin.audit("staff.role", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, "/admin/staff", Flash::StaffChanged))
}

/// `POST /admin/staff/{sid}/reset`: a new password link, shown once.
pub(super) async fn reset(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    Path(sid): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let target = account(&state, &sid).await?;
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let token = staff::new_link(&txn, Some(target.id), RESET_LINK, now).await?;
    let entry = Audit {
        subject: Some(format!("staff:{}", target.id)),
        detail: Some(target.email.clone()),
        ..admin.audit("password.reset", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    let link = NewLink {
        email: target.email,
        url: state.config.absolute(&format!("/admin/password/{token}")),
        valid: "an hour",
    };
    page(&state, &admin, &headers, Extras { link: Some(link), ..Extras::default() }, StatusCode::OK).await
}

/// `POST /admin/staff/{sid}/lock`: ends the account's sessions and removes its password.
pub(super) async fn lock(
    State(state): State<AppState>,
    admin: StaffUser,
    ClientIp(ip): ClientIp,
    Path(sid): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let target = account(&state, &sid).await?;
    let refusal = if target.id == admin.account.id {
        Some("You cannot lock yourself out; sign out instead.")
    } else if last_admin(&state, &target).await? {
        Some(LAST_ADMIN)
    } else {
        None
    };
    if refusal.is_some() {
        return page(&state, &admin, &headers, Extras { refusal, ..Extras::default() }, StatusCode::CONFLICT)
            .await;
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let ended = staff::lock(&txn, target.id).await?;
    let entry = Audit {
        subject: Some(format!("staff:{}", target.id)),
        detail: Some(format!("{}: {ended} sessions ended", target.email)),
        ..admin.audit("staff.locked", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, "/admin/staff", Flash::StaffChanged))
}
