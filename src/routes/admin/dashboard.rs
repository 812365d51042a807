//! A campaign's dashboard, for every staff member (viewers included: it names nobody).

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use entity::staff::Role;

use super::{PageKit, StaffUser, campaign, id_of};
use crate::{
    db::{dashboard, report, sharing},
    domain::campaign::status_name,
    error::AppResult,
    state::AppState,
    views::admin::dashboard::{DashboardView, dashboard_page},
};

/// `/admin/campaigns/{id}/dashboard`.
pub(super) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let p = &rec.petition;
    let db = &state.db.read;
    let figures = dashboard::figures(db, p.id, Utc::now()).await?;
    let report = report::report(db, p.id).await?;
    let networks = sharing::networks(db, p.id).await?;
    let texts = sharing::texts(db, p.id).await?;
    let kit = PageKit::new(&state, &headers);
    let view = DashboardView {
        chrome: kit.chrome(&user),
        id: p.id,
        title: &p.title,
        slug: &p.slug,
        status: status_name(p.status),
        count: state.counts.public(p).0,
        offline: p.offline_count,
        goal: p.goal,
        figures: &figures,
        report: &report,
        networks: &networks,
        texts: &texts,
        organizer: user.may(Role::Organizer),
    };
    let markup = dashboard_page(&view);
    Ok(kit.page(StatusCode::OK, markup))
}
