//! Petitions and letters: the list, creating, editing, previewing, publishing.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use entity::staff::Role;

use super::{StaffUser, csrf_token, form_page};
use crate::{
    db::petitions,
    domain::staff::role_name,
    error::AppResult,
    state::AppState,
    views::admin::{CampaignRow, home_page},
};

pub(super) async fn home(
    State(state): State<AppState>,
    user: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
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
