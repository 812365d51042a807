//! A campaign's deliveries: the list with what became of each letter emailed (every role);
//! making one, emailed to its recipients if asked (organizers and admins, audited, with its
//! `delivery.created` webhook); schedules that make them by themselves; and the recipients'
//! daily update.

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use std::collections::HashMap;

use entity::{delivery, email, petition, staff::Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde::Deserialize;

use super::{PageKit, StaffUser, campaign, flash_redirect, id_of, ip_hash};
use crate::{
    db::{
        deliveries::NewDelivery,
        mail,
        petitions::PetitionRecord,
        schedules::{self, NewSchedule},
        staff::{self, Audit},
    },
    domain::delivery::{Column, Columns, parse_cutoff, timestamp},
    error::AppResult,
    letters::{self, Made},
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{
        Flash,
        deliveries::{DeliveriesView, DeliveryForm, ScheduleForm, deliveries_page, describe_schedule},
    },
};

#[derive(Debug, Default, Deserialize)]
pub(super) struct MakeForm {
    #[serde(default)]
    cutoff: String,
    /// `r0`, `r1`…: the recipients chosen, by place.
    #[serde(flatten)]
    rest: HashMap<String, String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    worksite: String,
    #[serde(default)]
    comment: String,
    /// Email the letter to the chosen recipients who have an address.
    #[serde(default)]
    send: String,
}

impl MakeForm {
    fn recipients(&self) -> Vec<usize> {
        let mut chosen: Vec<usize> =
            self.rest.keys().filter_map(|k| k.strip_prefix('r')).filter_map(|i| i.parse().ok()).collect();
        chosen.sort_unstable();
        chosen
    }

    fn columns(&self) -> Vec<Column> {
        [
            (Column::Name, &self.name),
            (Column::JobTitle, &self.job_title),
            (Column::Worksite, &self.worksite),
            (Column::Comment, &self.comment),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(c, _)| c)
        .collect()
    }
}

/// What the page's forms were given and what was wrong, if anything.
#[derive(Debug, Default)]
struct Typed {
    delivery: DeliveryForm,
    error: Option<String>,
    schedule: ScheduleForm,
    schedule_error: Option<String>,
}

async fn page(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    rec: &PetitionRecord,
    typed: Typed,
    status: StatusCode,
) -> AppResult<Response> {
    let p = &rec.petition;
    let list = delivery::Entity::find()
        .filter(delivery::Column::PetitionId.eq(p.id))
        .order_by_desc(delivery::Column::Id)
        .all(&state.db.read)
        .await?;
    let ids: Vec<i64> = list.iter().map(|d| d.id).collect();
    let mut letters: HashMap<i64, Vec<email::Model>> = HashMap::new();
    for e in mail::of_deliveries(&state.db.read, &ids).await? {
        if let Some(id) = e.delivery_id {
            letters.entry(id).or_default().push(e);
        }
    }
    let schedules = schedules::of_petition(&state.db.read, p.id).await?;
    let schedule_ids: Vec<i64> = schedules.iter().map(|s| s.id).collect();
    let runs = schedules::runs(&state.db.read, &schedule_ids).await?;
    let schedules = schedules
        .into_iter()
        .map(|s| {
            let made = runs.iter().filter(|(id, _, d)| *id == s.id && d.is_some()).count();
            (s, made)
        })
        .collect();
    let kit = PageKit::new(state, headers);
    let view = DeliveriesView {
        chrome: kit.chrome(user),
        id: p.id,
        title: &p.title,
        opened: p.status != petition::Status::Draft,
        deliveries: &list,
        recipients: rec
            .recipients
            .iter()
            .map(|r| {
                let label = [r.name.as_str(), r.title.as_str(), r.organisation.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                (label, r.email.is_some())
            })
            .collect(),
        organizer: user.may(Role::Organizer),
        letters,
        schedules,
        digest: p.recipient_digest,
        digest_hour: state.config.mail.digest_hour,
        form: typed.delivery,
        error: typed.error,
        schedule: typed.schedule,
        schedule_error: typed.schedule_error,
    };
    let markup = deliveries_page(&view);
    Ok(kit.page(status, markup))
}

/// `GET /admin/campaigns/{id}/deliveries`.
pub(super) async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let typed = Typed { delivery: fresh_form(&rec), schedule: ScheduleForm::fresh(), ..Typed::default() };
    page(&state, &user, &headers, &rec, typed, StatusCode::OK).await
}

/// The delivery form as it first shows: now, names, every recipient, no email.
fn fresh_form(rec: &PetitionRecord) -> DeliveryForm {
    DeliveryForm {
        cutoff: String::new(),
        columns: vec![Column::Name],
        recipients: (0..rec.recipients.len()).collect(),
        send: false,
    }
}

/// `POST /admin/campaigns/{id}/deliveries`.
pub(super) async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<MakeForm>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let typed = DeliveryForm {
        cutoff: form.cutoff.trim().to_owned(),
        columns: form.columns(),
        recipients: form.recipients(),
        send: !form.send.is_empty(),
    };
    let refused = async |typed: DeliveryForm, error: String| {
        let typed = Typed {
            delivery: typed,
            error: Some(error),
            schedule: ScheduleForm::fresh(),
            ..Typed::default()
        };
        page(&state, &user, &headers, &rec, typed, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let now = Utc::now();
    let Some(cutoff) = parse_cutoff(&form.cutoff, now) else {
        return refused(typed, "Write the cut-off like 2026-11-27 17:00 (UTC).".to_owned()).await;
    };
    let columns = Columns::parse(typed.columns.iter().map(|c| c.key())).unwrap_or_default();
    let txn = state.db.write.begin().await?;
    let new = NewDelivery {
        cutoff,
        columns,
        recipients: Some(typed.recipients.clone()),
        actor: &user.account.email,
        public_url: &state.config.absolute(""),
    };
    let Made { delivery: made, emails } = match letters::deliver(&txn, &rec, new, typed.send, now).await? {
        Ok(made) => made,
        Err(why) => {
            drop(txn);
            return refused(typed, why.to_string()).await;
        }
    };
    let entry = Audit {
        subject: Some(format!("delivery:{}", made.id)),
        detail: Some(format!(
            "{}: {} signatures as of {}, sha256 {}, {} emailed",
            rec.petition.slug,
            made.signers + made.offline,
            timestamp(made.cutoff),
            made.digest,
            emails.len()
        )),
        ..user.audit("delivery.created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    crate::mail::written(&emails, letters::LETTER, &state.mail_wake);
    Ok(Redirect::to(&format!("/d/{}", made.public_id)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ScheduleFields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    every: String,
    #[serde(default)]
    weekday: String,
    #[serde(default)]
    hour: String,
    #[serde(default)]
    s_name: String,
    #[serde(default)]
    s_job_title: String,
    #[serde(default)]
    s_worksite: String,
    #[serde(default)]
    s_comment: String,
    #[serde(default)]
    s_send: String,
}

/// The largest threshold step.
const EVERY_MAX: i64 = 10_000_000;

/// `POST /admin/campaigns/{id}/schedules`: deliveries every so many signatures, or weekly.
pub(super) async fn add_schedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<ScheduleFields>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let p = &rec.petition;
    let columns: Vec<Column> = [
        (Column::Name, &f.s_name),
        (Column::JobTitle, &f.s_job_title),
        (Column::Worksite, &f.s_worksite),
        (Column::Comment, &f.s_comment),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(c, _)| c)
    .collect();
    let typed = ScheduleForm {
        kind: f.kind.clone(),
        every: f.every.trim().to_owned(),
        weekday: f.weekday.clone(),
        hour: f.hour.clone(),
        columns: columns.clone(),
        send: !f.s_send.is_empty(),
    };
    let every =
        f.every.trim().replace([',', ' '], "").parse::<i64>().ok().filter(|n| (1..=EVERY_MAX).contains(n));
    let weekday = f.weekday.parse::<i16>().ok().filter(|d| (1..=7).contains(d));
    let hour = f.hour.parse::<i16>().ok().filter(|h| (0..24).contains(h));
    let (every, weekday, hour) = match (f.kind.as_str(), every, weekday, hour) {
        ("threshold", Some(n), _, _) => (Some(n), None, 0),
        ("weekly", _, Some(d), Some(h)) => (None, Some(d), h),
        (kind, ..) => {
            let error = match kind {
                "threshold" => format!("Write how many signatures, from 1 to {EVERY_MAX}, like 1000."),
                "weekly" => "Choose a day and an hour.".to_owned(),
                _ => "Choose every so many signatures, or weekly.".to_owned(),
            };
            let typed = Typed {
                delivery: fresh_form(&rec),
                schedule: typed,
                schedule_error: Some(error),
                ..Typed::default()
            };
            return page(&state, &user, &headers, &rec, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let now = Utc::now();
    let from_count = state.counts.public(p).0;
    let fields = Columns::parse(columns.iter().map(|c| c.key())).unwrap_or_default().stored();
    let txn = state.db.write.begin().await?;
    let new = NewSchedule {
        petition_id: p.id,
        every,
        from_count,
        weekday,
        hour,
        fields,
        send: typed.send,
        staff_id: Some(user.account.id),
        created_by: &user.account.email,
    };
    let s = schedules::create(&txn, new, now).await?;
    let entry = Audit {
        subject: Some(format!("schedule:{}", s.id)),
        detail: Some(format!("{}: {}", p.slug, describe_schedule(&s))),
        ..user.audit("schedule.created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(
        &state,
        &format!("/admin/campaigns/{}/deliveries#schedules", p.id),
        Flash::ScheduleAdded,
    ))
}

/// `POST /admin/campaigns/{id}/schedules/{sid}/remove`.
pub(super) async fn remove_schedule(
    State(state): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let sid = id_of(&sid)?;
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    if !schedules::remove(&txn, rec.petition.id, sid).await? {
        return Err(crate::error::AppError::NotFound);
    }
    let entry = Audit {
        subject: Some(format!("schedule:{sid}")),
        detail: Some(rec.petition.slug.clone()),
        ..user.audit("schedule.removed", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    let to = format!("/admin/campaigns/{}/deliveries#schedules", rec.petition.id);
    Ok(flash_redirect(&state, &to, Flash::ScheduleRemoved))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DigestForm {
    #[serde(default)]
    on: String,
}

/// `POST /admin/campaigns/{id}/recipient-digest`: `on=1` or `on=0`.
pub(super) async fn recipient_digest(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Form(f): Form<DigestForm>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let on = match f.on.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(crate::error::AppError::BadRequest("on is 1 or 0".into())),
    };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    schedules::set_digest(&txn, rec.petition.id, on).await?;
    let entry = Audit {
        subject: Some(format!("petition:{}", rec.petition.id)),
        detail: Some(rec.petition.slug.clone()),
        ..user.audit(if on { "digest.on" } else { "digest.off" }, Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    let to = format!("/admin/campaigns/{}/deliveries#digest", rec.petition.id);
    Ok(flash_redirect(&state, &to, if on { Flash::DigestOn } else { Flash::DigestOff }))
}
