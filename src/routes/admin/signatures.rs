//! A campaign's signatures (organizers and admins: they show personal data): the list with
//! search and status filter, invalidating one signature or a set chosen by criteria after a
//! preview, and restoring. Every change is audited and moves the count in its transaction.

use axum::{
    Form,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{NaiveDate, NaiveTime, Utc};
use entity::signature::{self, Status};
use sea_orm::TransactionTrait;

use crate::domain::campaign::one_line;
use serde::Deserialize;

use super::{PageKit, StaffUser, campaign, flash_redirect, id_of, ip_hash, no_store};
use crate::{
    db::{
        invalidations::{self, Criteria, Done, Invalidation, ListFilter},
        petitions::PetitionRecord,
        shared_sites,
        staff::{self, Audit},
    },
    error::AppResult,
    routes::client_ip::ClientIp,
    state::AppState,
    tally::Tally,
    views::admin::{
        Flash,
        signatures::{
            ActionRow, CriteriaForm, ListView, Mode, PreviewView, SignatureRow, SiteForm, list_page,
            preview_page,
        },
    },
};

/// Signatures per page of the list.
const PAGE: u64 = 50;
/// Signatures shown in an invalidation's preview.
const SAMPLE: u64 = 20;

async fn load(state: &AppState, raw_id: &str) -> AppResult<PetitionRecord> {
    campaign(state, id_of(raw_id)?).await
}

pub(super) fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pending => "pending",
        Status::Held => "held",
        Status::Validated => "validated",
        Status::Fraudulent => "fraudulent",
        Status::Invalidated => "invalidated",
    }
}

fn row(s: signature::Model) -> SignatureRow {
    let came_from = [&s.landing_page, &s.source, &s.utm_campaign]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ");
    SignatureRow {
        id: s.id,
        signed_at: s.signed_at.format("%Y-%m-%d %H:%M").to_string(),
        name: format!("{} {}", s.given_name, s.family_name),
        email: s.email,
        status: status_name(s.status),
        came_from,
        network: s.network_hash.unwrap_or_default(),
    }
}

/// The list's filter: the status and page (in the address), and the search (posted, never in
/// an address: it is a name or an email).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

/// `GET /admin/campaigns/{id}/signatures?status=&page=`.
pub(super) async fn list(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> AppResult<Response> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let query = ListQuery { q: String::new(), ..query };
    render_list(&state, &user, &headers, &id, &query).await
}

/// `POST /admin/campaigns/{id}/signatures`: the list searched by email or name.
pub(super) async fn search(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(query): Form<ListQuery>,
) -> AppResult<Response> {
    render_list(&state, &user, &headers, &id, &query).await
}

async fn render_list(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    id: &str,
    query: &ListQuery,
) -> AppResult<Response> {
    let rec = load(state, id).await?;
    let q: String = query.q.trim().chars().take(200).collect();
    let status = [Status::Validated, Status::Pending, Status::Held, Status::Fraudulent, Status::Invalidated]
        .into_iter()
        .find(|s| status_name(*s) == query.status.trim());
    let filter = ListFilter { words: q.split_whitespace().map(str::to_owned).take(8).collect(), status };
    let page = query.page.trim().parse::<u64>().unwrap_or(1).clamp(1, 100_000);
    let found =
        invalidations::list(&state.db.read, rec.petition.id, &filter, (page - 1) * PAGE, PAGE + 1).await?;
    let more = found.len() as u64 > PAGE;
    let rows: Vec<SignatureRow> = found.into_iter().take(PAGE as usize).map(row).collect();
    let actions: Vec<ActionRow> = invalidations::actions(&state.db.read, rec.petition.id)
        .await?
        .into_iter()
        .map(|a| ActionRow {
            id: a.id,
            at: a.at.format("%Y-%m-%d %H:%M").to_string(),
            actor: a.actor,
            criteria: a.criteria,
            reason: a.reason,
            changed: a.changed,
            restored: a.restored_at.map(|at| {
                format!(
                    "restored by {} at {}",
                    a.restored_by.unwrap_or_default(),
                    at.format("%Y-%m-%d %H:%M")
                )
            }),
        })
        .collect();
    let kit = PageKit::new(state, headers);
    let view = ListView {
        chrome: kit.chrome(user),
        id: rec.petition.id,
        title: &rec.petition.title,
        rows: &rows,
        actions: &actions,
        q: &q,
        status: status.map_or("", status_name),
        page,
        more,
    };
    let markup = list_page(&view);
    Ok(kit.page(StatusCode::OK, markup))
}

/// The criteria of an invalidation as posted or asked
/// (`?from=&to=&source=&landing=&utm_campaign=&domain=&network=`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct CriteriaQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    landing: String,
    #[serde(default)]
    utm_campaign: String,
    #[serde(default)]
    domain: String,
    /// A network's hash, as the list shows it.
    #[serde(default)]
    network: String,
    /// The confirmation's: the reason, and how many the preview showed.
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expected: String,
}

impl CriteriaQuery {
    fn form(&self) -> CriteriaForm {
        CriteriaForm {
            from: self.from.trim().to_owned(),
            to: self.to.trim().to_owned(),
            source: self.source.trim().to_owned(),
            landing: self.landing.trim().to_owned(),
            utm_campaign: self.utm_campaign.trim().to_owned(),
            domain: self.domain.trim().to_owned(),
            network: self.network.trim().to_owned(),
        }
    }

    /// The criteria of an invalidation (at least one), or what is wrong with them.
    fn criteria(&self) -> Result<Criteria, Vec<String>> {
        self.parse(false)
    }

    /// The criteria, or what is wrong with them; `all`: none at all is allowed (every one).
    fn parse(&self, all: bool) -> Result<Criteria, Vec<String>> {
        let mut errors = Vec::new();
        let mut day = |name: &str, value: &str| -> Option<NaiveDate> {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            let parsed = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
            if parsed.is_none() {
                errors.push(format!("“{name}” must be a date like 2026-11-27."));
            }
            parsed
        };
        let from = day("Signed from", &self.from).map(|d| d.and_time(NaiveTime::MIN).and_utc());
        let until = day("Signed up to", &self.to)
            .map(|d| (d + chrono::Days::new(1)).and_time(NaiveTime::MIN).and_utc());
        let text =
            |value: &str| Some(value.trim().chars().take(200).collect::<String>()).filter(|v| !v.is_empty());
        let domain = text(&self.domain).map(|d| d.trim_start_matches('@').to_lowercase());
        if let Some(d) = &domain
            && (!d.contains('.') || !d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
        {
            errors.push("“Email domain” must be a domain, like example.org.".to_owned());
        }
        let network = text(&self.network).map(|n| n.to_ascii_lowercase());
        if network.as_ref().is_some_and(|n| n.len() != 16 || !n.bytes().all(|b| b.is_ascii_hexdigit())) {
            errors.push(
                "“Network” must be a network's hash as the list shows it (16 letters and digits).".to_owned(),
            );
        }
        let criteria = Criteria {
            from,
            until,
            source: text(&self.source),
            landing_page: text(&self.landing),
            utm_campaign: text(&self.utm_campaign),
            email_domain: domain,
            network_hash: network,
            signature_id: None,
        };
        if errors.is_empty() && criteria.is_empty() && !all {
            errors.push(
                "Choose at least one criterion: an invalidation never takes every signature at once."
                    .to_owned(),
            );
        }
        if errors.is_empty() { Ok(criteria) } else { Err(errors) }
    }
}

/// The preview page: what `query`'s criteria match, with `errors`.
async fn preview_response(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    rec: &PetitionRecord,
    (query, mode, site): (&CriteriaQuery, Mode, &SiteForm),
    mut errors: Vec<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let form = query.form();
    let (criteria, matches, sample) = match query.parse(mode == Mode::Release) {
        Ok(c) if mode == Mode::Release => {
            let held = invalidations::held(&state.db.read, rec.petition.id, &c).await?;
            let sample = invalidations::sample_held(&state.db.read, rec.petition.id, &c, SAMPLE).await?;
            (Some(c), Some((0, held)), sample.into_iter().map(row).collect())
        }
        Ok(c) => {
            let m = invalidations::preview(&state.db.read, rec.petition.id, &c).await?;
            let sample = invalidations::sample(&state.db.read, rec.petition.id, &c, SAMPLE).await?;
            (Some(c), Some((m.counted, m.taken - m.counted)), sample.into_iter().map(row).collect())
        }
        Err(e) => {
            errors.extend(e);
            (None, None, Vec::new())
        }
    };
    let described = criteria.as_ref().map(Criteria::describe).unwrap_or_default();
    let kit = PageKit::new(state, headers);
    let view = PreviewView {
        chrome: kit.chrome(user),
        id: rec.petition.id,
        title: &rec.petition.title,
        criteria: &form,
        described: &described,
        errors: &errors,
        matches,
        sample: &sample,
        reason: query.reason.trim(),
        mode,
        sites: &rec.shared_sites,
        site,
    };
    let markup = preview_page(&view);
    Ok(kit.page(status, markup))
}

/// `GET /admin/campaigns/{id}/signatures/invalidate`: what the criteria match; nothing changes.
pub(super) async fn preview(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<CriteriaQuery>, QueryRejection>,
) -> AppResult<Response> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    preview_page_for(&state, &user, &id, &headers, (&query, Mode::Invalidate)).await
}

/// `GET /admin/campaigns/{id}/signatures/release`: the held signatures the criteria match (every
/// held one without criteria); nothing changes.
pub(super) async fn release_preview(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<CriteriaQuery>, QueryRejection>,
) -> AppResult<Response> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    preview_page_for(&state, &user, &id, &headers, (&query, Mode::Release)).await
}

/// A preview asked for with a `GET`: `422` when its criteria do not parse.
async fn preview_page_for(
    state: &AppState,
    user: &StaffUser,
    id: &str,
    headers: &HeaderMap,
    (query, mode): (&CriteriaQuery, Mode),
) -> AppResult<Response> {
    let rec = load(state, id).await?;
    let ok = query.parse(mode == Mode::Release).is_ok();
    let status = if ok { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    preview_response(state, user, headers, &rec, (query, mode, &SiteForm::default()), Vec::new(), status)
        .await
}

/// `POST /admin/campaigns/{id}/signatures/release`: counts the held signatures the preview
/// showed, if it still matches as many (else the preview again, with the new number).
pub(super) async fn release(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CriteriaQuery>,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let p = &rec.petition;
    let refused = async |errors: Vec<String>| {
        let query = (&form, Mode::Release, &SiteForm::default());
        preview_response(&state, &user, &headers, &rec, query, errors, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let Ok(criteria) = form.parse(true) else { return refused(Vec::new()).await };
    let txn = state.db.write.begin().await?;
    let done = invalidations::release(&txn, p.id, &criteria, Utc::now()).await?;
    if form.expected.trim().parse::<u64>().ok() != Some(done.changed) {
        drop(txn);
        return refused(vec![format!(
            "The number of held signatures that match changed since the preview (it is now {}); nothing was released.",
            done.changed
        )])
        .await;
    }
    let described = criteria.describe();
    let entry = Audit {
        subject: Some(format!("petition:{}", p.id)),
        detail: Some(format!(
            "{} held signatures ({})",
            done.changed,
            if described.is_empty() { "every one" } else { described.as_str() }
        )),
        ..user.audit("signatures.released", Some(ip_hash(&state, ip)))
    };
    let res = finish(&state, txn, entry, p.id, &done, Flash::Released).await?;
    released(&state, done.changed);
    Ok(res)
}

/// `POST /admin/campaigns/{id}/signatures/{sid}/release`: one held signature, from the list.
pub(super) async fn release_one(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path((id, sid)): Path<(String, String)>,
) -> AppResult<Response> {
    let petition_id = id_of(&id)?;
    let signature_id = id_of(&sid)?;
    let criteria = Criteria { signature_id: Some(signature_id), ..Criteria::default() };
    let txn = state.db.write.begin().await?;
    let done = invalidations::release(&txn, petition_id, &criteria, Utc::now()).await?;
    if done.changed == 0 {
        drop(txn);
        return Ok(back(petition_id));
    }
    let entry = Audit {
        subject: Some(format!("signature:{signature_id}")),
        detail: Some(format!("petition {petition_id}")),
        ..user.audit("signature.released", Some(ip_hash(&state, ip)))
    };
    let res = finish(&state, txn, entry, petition_id, &done, Flash::Released).await?;
    released(&state, done.changed);
    Ok(res)
}

/// After a release committed: its `signature.created` deliveries go now, and `/metrics` counts it.
fn released(state: &AppState, n: u64) {
    state.hooks_wake.notify_one();
    state.counters.released.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

/// Back to the list, when there was nothing to change (a second click on a button, say).
fn back(petition_id: i64) -> Response {
    no_store(Redirect::to(&format!("/admin/campaigns/{petition_id}/signatures")).into_response())
}

/// Ends a change to signatures: its audit line in its transaction, the commit, the new count
/// on every page at once (not at the next refresh), and back to the list saying what was done.
async fn finish(
    state: &AppState,
    txn: sea_orm::DatabaseTransaction,
    entry: Audit<'_>,
    petition_id: i64,
    done: &Done,
    flash: Flash,
) -> AppResult<Response> {
    staff::audit(&txn, entry, Utc::now()).await?;
    txn.commit().await?;
    if let Some(t) = &done.tally {
        state.counts.record(petition_id, Tally::from(t));
    }
    Ok(flash_redirect(state, &format!("/admin/campaigns/{petition_id}/signatures"), flash))
}

/// `POST /admin/campaigns/{id}/signatures/invalidate`: invalidates what the preview showed, if
/// it still matches as many (else the preview again, with the new number).
pub(super) async fn invalidate(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CriteriaQuery>,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let p = &rec.petition;
    let refused = async |errors: Vec<String>| {
        let query = (&form, Mode::Invalidate, &SiteForm::default());
        preview_response(&state, &user, &headers, &rec, query, errors, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let Ok(criteria) = form.criteria() else { return refused(Vec::new()).await };
    let reason = one_line(&form.reason);
    if reason.is_empty() || reason.chars().count() > 500 {
        return refused(vec![
            "Give a reason (at most 500 characters): it is kept with the invalidation.".into(),
        ])
        .await;
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let inv = Invalidation {
        criteria: &criteria,
        reason: &reason,
        staff_id: Some(user.account.id),
        actor: &user.account.email,
    };
    let done = invalidations::invalidate(&txn, p.id, &inv, now).await?;
    // Exactly what the preview showed, or nothing: the transaction is rolled back.
    if form.expected.trim().parse::<u64>().ok() != Some(done.changed) {
        drop(txn);
        return refused(vec![format!(
            "The number of matching signatures changed since the preview (it is now {}); nothing was invalidated.",
            done.changed
        )])
        .await;
    }
    let entry = Audit {
        subject: Some(format!("petition:{}", p.id)),
        detail: Some(format!(
            "{} signatures ({}), action {}: {reason}",
            done.changed,
            criteria.describe(),
            done.action_id
        )),
        ..user.audit("signatures.invalidated", Some(ip_hash(&state, ip)))
    };
    finish(&state, txn, entry, p.id, &done, Flash::Invalidated).await
}

/// `POST /admin/campaigns/{id}/signatures/{sid}/invalidate`: one signature, from the list.
pub(super) async fn invalidate_one(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path((id, sid)): Path<(String, String)>,
) -> AppResult<Response> {
    let petition_id = id_of(&id)?;
    let signature_id = id_of(&sid)?;
    let criteria = Criteria { signature_id: Some(signature_id), ..Criteria::default() };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let inv = Invalidation {
        criteria: &criteria,
        reason: "invalidated from the list",
        staff_id: Some(user.account.id),
        actor: &user.account.email,
    };
    let done = invalidations::invalidate(&txn, petition_id, &inv, now).await?;
    if done.changed == 0 {
        // Not counted or pending (a second click, say): nothing to do, nor to record.
        drop(txn);
        return Ok(back(petition_id));
    }
    let entry = Audit {
        subject: Some(format!("signature:{signature_id}")),
        detail: Some(format!("petition {petition_id}, action {}", done.action_id)),
        ..user.audit("signature.invalidated", Some(ip_hash(&state, ip)))
    };
    finish(&state, txn, entry, petition_id, &done, Flash::Invalidated).await
}

/// `POST /admin/campaigns/{id}/signatures/{sid}/restore`: one signature back to what it was.
pub(super) async fn restore_one(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path((id, sid)): Path<(String, String)>,
) -> AppResult<Response> {
    let petition_id = id_of(&id)?;
    let signature_id = id_of(&sid)?;
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let Some(done) = invalidations::restore_one(&txn, petition_id, signature_id, now).await? else {
        drop(txn);
        return Ok(back(petition_id));
    };
    let entry = Audit {
        subject: Some(format!("signature:{signature_id}")),
        detail: Some(format!("petition {petition_id}, from action {}", done.action_id)),
        ..user.audit("signature.restored", Some(ip_hash(&state, ip)))
    };
    finish(&state, txn, entry, petition_id, &done, Flash::Restored).await
}

/// `POST /admin/campaigns/{id}/invalidations/{aid}/restore`: a whole invalidation undone.
pub(super) async fn restore_action(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path((id, aid)): Path<(String, String)>,
) -> AppResult<Response> {
    let petition_id = id_of(&id)?;
    let action_id = id_of(&aid)?;
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let Some(done) =
        invalidations::restore_action(&txn, petition_id, action_id, &user.account.email, now).await?
    else {
        drop(txn);
        return Ok(back(petition_id));
    };
    let entry = Audit {
        subject: Some(format!("petition:{petition_id}")),
        detail: Some(format!("action {action_id}: {} signatures restored", done.changed)),
        ..user.audit("signatures.restored", Some(ip_hash(&state, ip)))
    };
    finish(&state, txn, entry, petition_id, &done, Flash::Restored).await
}

/// `POST /admin/campaigns/{id}/shared-sites`: marks a network (`network`, `label`) as a shared
/// site of the petition, where the per-network signing limit does not hold.
pub(super) async fn add_site(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SiteForm>,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let p = &rec.petition;
    let label = one_line(&form.label);
    let network = shared_sites::parse_network(&form.network);
    let label_error = (label.is_empty() || label.chars().count() > 200).then(|| {
        "Say what the site is (at most 200 characters), such as “St Mary's staff Wi-Fi”.".to_owned()
    });
    let net = match (network, label_error) {
        (Ok(net), None) => net,
        (network, label_error) => {
            let site = SiteForm { network_error: network.err(), label_error, ..form };
            let query = (&CriteriaQuery::default(), Mode::Release, &site);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return preview_response(&state, &user, &headers, &rec, query, Vec::new(), status).await;
        }
    };
    let txn = state.db.write.begin().await?;
    if shared_sites::add(&txn, p.id, net, &label, &user.account.email, Utc::now()).await? {
        let entry = Audit {
            subject: Some(format!("petition:{}", p.id)),
            detail: Some(format!("{net} ({label})")),
            ..user.audit("shared_site.added", Some(ip_hash(&state, ip)))
        };
        staff::audit(&txn, entry, Utc::now()).await?;
    }
    txn.commit().await?;
    // Signing sees it within a second, when the petition's record is read again.
    Ok(flash_redirect(&state, &format!("/admin/campaigns/{}/signatures/release", p.id), Flash::SiteAdded))
}

/// `POST /admin/campaigns/{id}/shared-sites/{sid}/remove`.
pub(super) async fn remove_site(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path((id, sid)): Path<(String, String)>,
) -> AppResult<Response> {
    let petition_id = id_of(&id)?;
    let site_id = id_of(&sid)?;
    let txn = state.db.write.begin().await?;
    let to = format!("/admin/campaigns/{petition_id}/signatures/release");
    let Some(site) = shared_sites::remove(&txn, petition_id, site_id).await? else {
        drop(txn);
        return Ok(no_store(Redirect::to(&to).into_response()));
    };
    let entry = Audit {
        subject: Some(format!("petition:{petition_id}")),
        detail: Some(format!("{} ({})", site.network, site.label)),
        ..user.audit("shared_site.removed", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, Utc::now()).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, &to, Flash::SiteRemoved))
}
