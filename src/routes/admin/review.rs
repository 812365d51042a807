//! `GET /admin/campaigns/{id}/review[?hours=48]`: a campaign's abuse review (organizers).

use axum::{
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::{Duration, Utc};
use entity::signature;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;

use super::{PageKit, StaffUser, campaign, id_of};
use crate::{
    db::{recount, review},
    domain::review::review,
    error::AppResult,
    state::AppState,
    views::admin::review::{ReviewView, review_page},
};

/// How far back the page may look, in hours; the first is the default.
const HOURS: [i64; 4] = [48, 6, 24, 168];
/// Signatures looked at most, the newest first.
const MAX_SEEN: usize = 200_000;
/// Groups listed of each kind.
const TOP: usize = 25;

#[derive(Debug, Default, Deserialize)]
pub(super) struct ReviewQuery {
    #[serde(default)]
    hours: String,
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: StaffUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<ReviewQuery>, QueryRejection>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let p = &rec.petition;
    let hours = query
        .ok()
        .and_then(|Query(q)| q.hours.trim().parse::<i64>().ok())
        .filter(|h| HOURS.contains(h))
        .unwrap_or(HOURS[0]);
    let db = &state.db.read;
    let seen = review::recent(db, p.id, Utc::now() - Duration::hours(hours), MAX_SEEN + 1).await?;
    let cut_short = seen.len() > MAX_SEEN;
    let seen = &seen[..seen.len().min(MAX_SEEN)];
    let shown = review(seen, state.config.review, crate::limits::is_common_provider, TOP);
    let figures = recount::check(db, Some(&p.slug)).await?;
    let (tally, rows, aggregated) = figures.first().map_or((0, 0, 0), |r| (r.tally, r.rows, r.aggregated));
    let held = signature::Entity::find()
        .filter(signature::Column::PetitionId.eq(p.id))
        .filter(signature::Column::Status.eq(signature::Status::Held))
        .count(db)
        .await?;
    let mut choices = HOURS;
    choices.sort_unstable();
    let kit = PageKit::new(&state, &headers);
    let view = ReviewView {
        chrome: kit.chrome(&user),
        id: p.id,
        title: &p.title,
        hours,
        choices: &choices,
        tally,
        rows,
        aggregated,
        held,
        groups: &shown.top,
        notices: &shown.notices,
        thresholds: state.config.review,
        looked_at: seen.len(),
        cut_short,
    };
    let markup = review_page(&view);
    Ok(kit.page(StatusCode::OK, markup))
}
