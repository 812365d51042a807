//! Petitions and letters: the list, creating, editing (one editor at a time: a save made over
//! someone else's is refused), previewing in each language, publishing, closing and reopening,
//! and paper or offline signature counts. Every change is in the audit log.

use axum::{
    Form,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
};
use chrono::Utc;
use entity::{petition::Status, staff::Role};
use sea_orm::TransactionTrait;
use serde::Deserialize;

use super::{PageKit, StaffUser, campaign, flash_redirect, id_of, ip_hash, no_store};
use crate::{
    db::{
        dashboard, landing,
        petitions::{self, OfflineBatch, PetitionRecord, Saved},
        staff::{self, Audit},
    },
    domain::{
        Attribution, FieldErrors, SignForm,
        campaign::{Campaign, CampaignErrors, CampaignForm, kind_name, one_line, status_name},
        landing::status_name as landing_status,
    },
    error::{AppError, AppResult},
    i18n::Locale,
    routes::{client_ip::ClientIp, public::petition_view},
    state::AppState,
    views::{
        admin::{
            CampaignRow, Flash,
            campaigns::{EditorView, Existing, OfflineRow, editor_page},
            home_page,
            landing::LandingRow,
        },
        petition::{FormState, petition_page},
    },
};

/// `/admin`: every campaign with its count.
pub(super) async fn home(
    State(state): State<AppState>,
    user: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let recent = dashboard::recent(&state.db.read, Utc::now()).await?;
    let campaigns: Vec<CampaignRow> = petitions::all(&state.db.read)
        .await?
        .into_iter()
        .map(|p| CampaignRow {
            id: p.id,
            count: state.counts.public(&p).0,
            today: recent.get(&p.id).map_or(0, |r| r.0),
            last_7_days: recent.get(&p.id).map_or(0, |r| r.1),
            goal: p.goal,
            kind: kind_name(p.kind),
            status: status_name(p.status),
            title: p.title,
            slug: p.slug,
        })
        .collect();
    let kit = PageKit::new(&state, &headers);
    let markup = home_page(&kit.chrome(&user), &campaigns, user.may(Role::Organizer));
    Ok(kit.page(StatusCode::OK, markup))
}

async fn load(state: &AppState, raw_id: &str) -> AppResult<PetitionRecord> {
    campaign(state, id_of(raw_id)?).await
}

/// The audit subject of a campaign.
fn subject(id: i64) -> Option<String> {
    Some(format!("petition:{id}"))
}

/// What the editor shows besides the form.
#[derive(Default)]
struct Extras<'a> {
    errors: CampaignErrors,
    conflict: Option<String>,
    offline_form: (&'a str, &'a str),
    offline_error: Option<&'a str>,
}

/// The editor of a stored campaign.
async fn editor(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    rec: &PetitionRecord,
    form: &CampaignForm,
    extras: Extras<'_>,
    status: StatusCode,
) -> AppResult<Response> {
    let p = &rec.petition;
    let batches: Vec<OfflineRow> = petitions::offline_batches(&state.db.read, p.id)
        .await?
        .into_iter()
        .map(|b| OfflineRow {
            at: b.entered_at.format("%Y-%m-%d %H:%M").to_string(),
            count: b.count,
            note: b.note,
            actor: b.actor,
        })
        .collect();
    let landings: Vec<LandingRow> = landing::of_petition(&state.db.read, p.id)
        .await?
        .into_iter()
        .map(|l| LandingRow {
            id: l.id,
            status: landing_status(l.status),
            slug: l.slug,
            headline: l.headline,
        })
        .collect();
    let kit = PageKit::new(state, headers);
    let view = EditorView {
        chrome: kit.chrome(user),
        existing: Some(Existing {
            landings: &landings,
            id: p.id,
            status: status_name(p.status),
            count: state.counts.public(p).0,
            offline: p.offline_count,
            batches: &batches,
            saved: p.updated_by.clone().map(|who| (who, p.updated_at.format("%Y-%m-%d %H:%M").to_string())),
        }),
        form,
        errors: &extras.errors,
        conflict: extras.conflict,
        offline_form: extras.offline_form,
        offline_error: extras.offline_error,
        captcha: state.config.captcha.as_ref().map(|c| c.provider.name()),
    };
    let markup = editor_page(&view);
    Ok(kit.page(status, markup))
}

/// The editor of a new campaign.
fn new_editor(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    form: &CampaignForm,
    errors: &CampaignErrors,
    status: StatusCode,
) -> Response {
    let kit = PageKit::new(state, headers);
    let view = EditorView {
        chrome: kit.chrome(user),
        existing: None,
        form,
        errors,
        conflict: None,
        offline_form: ("", ""),
        offline_error: None,
        captcha: state.config.captcha.as_ref().map(|c| c.provider.name()),
    };
    let markup = editor_page(&view);
    kit.page(status, markup)
}

/// `GET /admin/campaigns/new`: an empty campaign, asking what the form always asked.
pub(super) async fn new_form(State(state): State<AppState>, user: StaffUser, headers: HeaderMap) -> Response {
    let blank = Campaign {
        kind: entity::petition::Kind::Petition,
        slug: String::new(),
        locale: Locale::En,
        title: String::new(),
        summary: String::new(),
        body: String::new(),
        goal: 1000,
        postal_country: state.config.default_country.clone(),
        fields: crate::domain::FormFields::default(),
        require_confirmation: false,
        captcha: false,
        recipients: Vec::new(),
        translations: Vec::new(),
    };
    let form = CampaignForm::from_campaign(&blank, 0);
    new_editor(&state, &user, &headers, &form, &CampaignErrors::new(), StatusCode::OK)
}

/// Whether the form was sent with its "publish" button.
fn publishing(pairs: &[(String, String)]) -> bool {
    pairs.iter().any(|(k, _)| k == "publish")
}

/// `POST /admin/campaigns`: creates a draft (or publishes it at once, when complete).
pub(super) async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let publish = publishing(&pairs);
    let form = CampaignForm::from_pairs(pairs);
    let refused = |errors: &CampaignErrors| {
        new_editor(&state, &user, &headers, &form, errors, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let c = match form.parse() {
        Ok(c) => c,
        Err(errors) => return Ok(refused(&errors)),
    };
    if publish {
        let errors = c.unpublishable();
        if !errors.is_empty() {
            return Ok(refused(&errors));
        }
    }
    let status = if publish { Status::Open } else { Status::Draft };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let Some(id) = petitions::create_campaign(&txn, &c, status, &user.account.email, now).await? else {
        let errors = CampaignErrors::from([(
            "slug".to_owned(),
            "Another campaign has this address; choose another.".to_owned(),
        )]);
        return Ok(refused(&errors));
    };
    let address = Some(ip_hash(&state, ip));
    let entry = Audit {
        subject: subject(id),
        detail: Some(format!("{} “{}” at /p/{}", kind_name(c.kind), c.title, c.slug)),
        ..user.audit("campaign.created", address.clone())
    };
    staff::audit(&txn, entry, now).await?;
    if publish {
        staff::audit(&txn, Audit { subject: subject(id), ..user.audit("campaign.published", address) }, now)
            .await?;
    }
    txn.commit().await?;
    let flash = if publish { Flash::Published } else { Flash::Created };
    Ok(flash_redirect(&state, &format!("/admin/campaigns/{id}"), flash))
}

/// `GET /admin/campaigns/{id}`: the editor.
pub(super) async fn edit(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let form = CampaignForm::from_campaign(&rec.campaign(), rec.petition.version);
    editor(&state, &user, &headers, &rec, &form, Extras::default(), StatusCode::OK).await
}

/// `POST /admin/campaigns/{id}`: saves the editor (and publishes a draft, with its "publish"
/// button). Refused with field errors when the campaign would not be valid, and refused whole
/// when someone saved it since this editor was opened.
pub(super) async fn save(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let p = &rec.petition;
    let draft = p.status == Status::Draft;
    let publish = draft && publishing(&pairs);
    let mut form = CampaignForm::from_pairs(pairs);
    let refused = async |form: &CampaignForm, errors: CampaignErrors| {
        let extras = Extras { errors, ..Extras::default() };
        editor(&state, &user, &headers, &rec, form, extras, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let c = match form.parse() {
        Ok(c) => c,
        Err(errors) => return refused(&form, errors).await,
    };
    let before = rec.campaign();
    let mut errors = CampaignErrors::new();
    if !draft {
        if c.slug != before.slug {
            errors.insert(
                "slug".into(),
                "The address is fixed once published: ads and posters link to it.".into(),
            );
        }
        if c.kind != before.kind {
            errors.insert("kind".into(), "A published campaign stays a petition or a letter.".into());
        }
    }
    if !draft || publish {
        errors.extend(c.unpublishable());
    }
    if !errors.is_empty() {
        return refused(&form, errors).await;
    }
    let version = form.version.trim().parse::<i64>().unwrap_or(-1);
    let changes = c.changes(&before);
    if changes.is_empty() && !publish && version == p.version {
        return Ok(flash_redirect(&state, &format!("/admin/campaigns/{}", p.id), Flash::Saved));
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    match petitions::save_campaign(&txn, p.id, version, &c, &user.account.email, now).await? {
        Saved::Saved(_) => {}
        Saved::SlugTaken => {
            drop(txn);
            let errors = CampaignErrors::from([(
                "slug".to_owned(),
                "Another campaign has this address; choose another.".to_owned(),
            )]);
            return refused(&form, errors).await;
        }
        Saved::Stale => {
            drop(txn);
            let Some(now_rec) = petitions::find_by_id(&state.db.read, p.id).await? else {
                return Err(AppError::NotFound);
            };
            let theirs = now_rec.campaign().changes(&c);
            let who = now_rec.petition.updated_by.clone().unwrap_or_else(|| "someone".to_owned());
            let conflict = format!(
                "{who} saved it at {} UTC. The saved version differs from yours in: {}.",
                now_rec.petition.updated_at.format("%H:%M:%S"),
                if theirs.is_empty() { "nothing".to_owned() } else { theirs.join(", ") }
            );
            // Saving again from here replaces their version, knowingly.
            form.version = now_rec.petition.version.to_string();
            let extras = Extras { conflict: Some(conflict), ..Extras::default() };
            return editor(&state, &user, &headers, &now_rec, &form, extras, StatusCode::CONFLICT).await;
        }
    }
    let address = Some(ip_hash(&state, ip));
    if !changes.is_empty() {
        let entry = Audit {
            subject: subject(p.id),
            detail: Some(format!("changed: {}", changes.join(", "))),
            ..user.audit("campaign.edited", address.clone())
        };
        staff::audit(&txn, entry, now).await?;
    }
    // Published by someone else meanwhile: theirs is the publication on record.
    if publish
        && petitions::set_status(&txn, p.id, Status::Draft, Status::Open, &user.account.email, now).await?
    {
        staff::audit(
            &txn,
            Audit { subject: subject(p.id), ..user.audit("campaign.published", address) },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    let flash = if publish { Flash::Published } else { Flash::Saved };
    Ok(flash_redirect(&state, &format!("/admin/campaigns/{}", p.id), flash))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct StatusForm {
    #[serde(default)]
    to: String,
}

/// `POST /admin/campaigns/{id}/status` (`to=open|closed`): publishes a complete draft, closes
/// an open campaign, reopens a closed one.
pub(super) async fn status(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let p = &rec.petition;
    let (to, action, flash) = match (p.status, form.to.as_str()) {
        (Status::Draft, "open") => (Status::Open, "campaign.published", Flash::Published),
        (Status::Open, "closed") => (Status::Closed, "campaign.closed", Flash::Closed),
        (Status::Closed, "open") => (Status::Open, "campaign.reopened", Flash::Reopened),
        // Already done (by someone else, or a second click), or not a move there is.
        _ => {
            return Ok(no_store(
                axum::response::Redirect::to(&format!("/admin/campaigns/{}", p.id)).into_response(),
            ));
        }
    };
    if p.status == Status::Draft {
        let errors = rec.campaign().unpublishable();
        if !errors.is_empty() {
            let form = CampaignForm::from_campaign(&rec.campaign(), p.version);
            let extras = Extras { errors, ..Extras::default() };
            return editor(&state, &user, &headers, &rec, &form, extras, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    if petitions::set_status(&txn, p.id, p.status, to, &user.account.email, now).await? {
        let entry = Audit { subject: subject(p.id), ..user.audit(action, Some(ip_hash(&state, ip))) };
        staff::audit(&txn, entry, now).await?;
    }
    txn.commit().await?;
    Ok(flash_redirect(&state, &format!("/admin/campaigns/{}", p.id), flash))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PreviewQuery {
    #[serde(default)]
    lang: String,
}

/// `GET /admin/campaigns/{id}/preview?lang=es`: the public page as it is now (a draft too),
/// rendered by the public page's own code, in the language asked for.
pub(super) async fn preview(
    State(state): State<AppState>,
    _user: StaffUser,
    Path(id): Path<String>,
    query: Result<Query<PreviewQuery>, QueryRejection>,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let lang = query.map(|Query(q)| q.lang).unwrap_or_default();
    let locale = Locale::from_tag(&lang).unwrap_or_else(|| Locale::parse(&rec.petition.locale));
    let mut view = petition_view(&state, &rec, locale, None);
    view.meta.noindex = true;
    view.meta.path = Some(format!("/admin/campaigns/{}/preview", rec.petition.id));
    // Its form works as the public one does (a staff member trying it is a signer).
    let token = state.form_tokens.issue(crate::limits::now_second());
    let form = FormState {
        values: &SignForm::default(),
        errors: &FieldErrors::new(),
        attribution: Some(&Attribution::default()),
        token: &token,
        captcha: crate::routes::public::captcha_of(&state, &rec),
    };
    let mut res = Html(petition_page(&view, &form).into_string()).into_response();
    crate::routes::public::allow_captcha(&state, &rec, &mut res);
    Ok(no_store(res))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct OfflineForm {
    #[serde(default)]
    count: String,
    #[serde(default)]
    note: String,
}

/// The largest offline batch (either way).
const OFFLINE_MAX: i64 = 1_000_000;

/// `POST /admin/campaigns/{id}/offline`: adds a batch of paper or offline signatures (or a
/// negative correction) with its note.
pub(super) async fn offline(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<OfflineForm>,
) -> AppResult<Response> {
    let rec = load(&state, &id).await?;
    let p = &rec.petition;
    let note = one_line(&form.note);
    let count = form.count.trim().trim_start_matches('+').replace([',', ' '], "").parse::<i64>().ok();
    let problem = match count {
        None => Some("Enter the number of signatures, like 120 (or -5 to correct a mistake)."),
        Some(0) => Some("Enter a number other than 0."),
        Some(n) if n.abs() > OFFLINE_MAX => Some("At most a million in one batch."),
        Some(_) if note.is_empty() => Some("Add a note saying where these signatures came from."),
        Some(_) if note.chars().count() > 500 => Some("The note can be at most 500 characters."),
        Some(_) => None,
    };
    let edit_form = CampaignForm::from_campaign(&rec.campaign(), p.version);
    let refused = async |message: &str| {
        let extras = Extras {
            offline_form: (&form.count, &form.note),
            offline_error: Some(message),
            ..Extras::default()
        };
        editor(&state, &user, &headers, &rec, &edit_form, extras, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let (Some(count), None) = (count, problem) else {
        return refused(problem.unwrap_or_default()).await;
    };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let batch =
        OfflineBatch { count, note: &note, staff_id: Some(user.account.id), actor: &user.account.email };
    let Some(total) = petitions::add_offline(&txn, p.id, &batch, now).await? else {
        drop(txn);
        return refused("This correction would take the offline count below zero.").await;
    };
    let entry = Audit {
        subject: subject(p.id),
        detail: Some(format!("{count:+} (offline total {total}): {note}")),
        ..user.audit("offline.added", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, &format!("/admin/campaigns/{}#offline", p.id), Flash::OfflineAdded))
}
