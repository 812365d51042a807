//! A campaign's dashboard, for every staff member (viewers included: it names nobody).

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use entity::staff::Role;

use super::{PageKit, StaffUser, campaign, flash_redirect, id_of};
use crate::{
    db::{dashboard, mail, report, sharing},
    domain::campaign::status_name,
    error::AppResult,
    state::AppState,
    views::admin::{
        Flash,
        dashboard::{DashboardView, dashboard_page},
    },
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
    let milestones = mail::milestones(db, p.id).await?;
    let alerts = mail::has_alert(db, p.id, user.account.id).await?;
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
        milestones: &milestones,
        alerts,
        sending: state.config.smtp_url.is_some(),
    };
    let markup = dashboard_page(&view);
    Ok(kit.page(StatusCode::OK, markup))
}

#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct AlertsForm {
    #[serde(default)]
    on: String,
}

/// `POST /admin/campaigns/{id}/alerts`: this staff member's goal emails on (`on=1`) or off.
pub(super) async fn alerts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    Form(form): Form<AlertsForm>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let on = match form.on.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(crate::error::AppError::BadRequest("say on=1 or on=0".into())),
    };
    mail::set_alert(&state.db.write, rec.petition.id, user.account.id, on, Utc::now()).await?;
    let flash = if on { Flash::AlertsOn } else { Flash::AlertsOff };
    Ok(flash_redirect(&state, &format!("/admin/campaigns/{}/dashboard#alerts", rec.petition.id), flash))
}
