//! Downloads of a campaign's signatures and counts. Streamed as they are read, in flat memory
//! whatever their size; a download stopped by the browser stops its query. Every download is
//! in the audit log.

use std::net::IpAddr;

use axum::{
    body::Body,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use entity::{signature, staff::Role};
use sea_orm::{ActiveEnum, Iterable, TransactionTrait};
use serde::Deserialize;

use super::{PageKit, StaffUser, campaign, id_of, ip_hash, no_store};
use crate::{
    db::{
        dashboard,
        export::{Filter, prefetch},
        landing,
        petitions::PetitionRecord,
        staff::{self, Audit},
        tokens::{self, NAME_MAX, Scope},
    },
    domain::{FormFields, attribution, campaign::CampaignErrors},
    error::AppResult,
    export::{
        download::{Kind, Layout},
        stream,
    },
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::exports::{ExportForm, ExportView, LinkRow, export_page},
};

/// The download form's fields as they arrive.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(default)]
    columns: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    landing: String,
}

impl ExportQuery {
    fn form(&self) -> ExportForm {
        ExportForm {
            format: self.format.clone(),
            columns: self.columns.clone(),
            status: self.status.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            source: self.source.clone(),
            landing: self.landing.clone(),
        }
    }
}

/// A download asked for and understood.
struct Asked {
    kind: Kind,
    action_network: bool,
    filter: Filter,
}

/// Reads the form: what to download, or what was wrong with each field.
fn understand(q: &ExportQuery, landing_pages: &[String], personal: bool) -> Result<Asked, CampaignErrors> {
    let mut errors = CampaignErrors::new();
    let kind = match q.format.trim() {
        "" | "csv" => Kind::Csv,
        "xlsx" => Kind::Xlsx,
        "jsonl" => Kind::JsonLines,
        _ => {
            errors.insert("format".into(), "Choose CSV, Excel or JSON Lines.".into());
            Kind::Csv
        }
    };
    let action_network = match q.columns.trim() {
        "" | "standard" => false,
        "action_network" if personal => true,
        "action_network" => {
            errors.insert(
                "columns".into(),
                "Only organizers and admins download names and emails for Action Network.".into(),
            );
            false
        }
        _ => {
            errors.insert("columns".into(), "Choose every column or the Action Network set.".into());
            false
        }
    };
    let status = match q.status.trim() {
        "" | "validated" => Some(signature::Status::Validated),
        "all" => None,
        typed => match signature::Status::iter().find(|s| s.to_value() == typed) {
            Some(s) => Some(s),
            None => {
                errors.insert("status".into(), "Choose a status from the list.".into());
                None
            }
        },
    };
    let mut day = |name: &str, value: &str| -> Option<NaiveDate> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let parsed = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
        if parsed.is_none() {
            errors.insert(name.to_owned(), "Write a date like 2026-11-27.".into());
        }
        parsed
    };
    let from = day("from", &q.from);
    let to = day("to", &q.to);
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        errors.insert("to".into(), "The last day comes before the first.".into());
    }
    let source = q.source.trim();
    let source = if source.is_empty() {
        None
    } else if source.chars().count() > 255 || attribution::clean(Some(source)).as_deref() != Some(source) {
        errors.insert(
            "source".into(),
            "A source is at most 255 characters, without control characters.".into(),
        );
        None
    } else {
        Some(source.to_owned())
    };
    let landing = q.landing.trim();
    let landing_page = if landing.is_empty() {
        None
    } else if landing_pages.iter().any(|l| l == landing) {
        Some(landing.to_owned())
    } else {
        errors.insert("landing".into(), "Choose one of this campaign's landing pages.".into());
        None
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let start = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    Ok(Asked {
        kind,
        action_network,
        filter: Filter {
            status,
            from: from.map(start),
            until: to.and_then(|d| d.checked_add_days(Days::new(1))).map(start),
            source,
            landing_page,
            opted_in: action_network,
        },
    })
}

async fn landing_slugs(state: &AppState, petition_id: i64) -> AppResult<Vec<String>> {
    Ok(landing::of_petition(&state.db.read, petition_id).await?.into_iter().map(|l| l.slug).collect())
}

/// What the export page shows besides the form.
#[derive(Default)]
struct Extras {
    links: Vec<LinkRow>,
    /// A link just made: its name and address, shown this once.
    made: Option<(String, String)>,
    link_error: Option<&'static str>,
}

async fn extras(state: &AppState, user: &StaffUser, petition_id: i64) -> AppResult<Extras> {
    if !user.may(Role::Organizer) {
        return Ok(Extras::default());
    }
    let links = tokens::links_of(&state.db.read, petition_id)
        .await?
        .into_iter()
        .map(|t| LinkRow {
            id: t.id,
            name: t.name,
            made: format!("{} by {}", t.created_at.format("%Y-%m-%d"), t.created_by),
            last_used: t.last_used_at.map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    Ok(Extras { links, ..Extras::default() })
}

#[allow(clippy::too_many_arguments)]
fn page(
    state: &AppState,
    headers: &HeaderMap,
    user: &StaffUser,
    rec: &PetitionRecord,
    form: &ExportForm,
    errors: &CampaignErrors,
    landing_pages: &[String],
    extras: Extras,
) -> Response {
    let kit = PageKit::new(state, headers);
    let view = ExportView {
        links: &extras.links,
        made_link: extras.made,
        link_error: extras.link_error,
        chrome: kit.chrome(user),
        id: rec.petition.id,
        title: &rec.petition.title,
        form,
        errors,
        landing_pages,
        personal: user.may(Role::Organizer),
    };
    let status = if errors.is_empty() && view.link_error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let markup = export_page(&view);
    kit.page(status, markup)
}

/// `GET /admin/campaigns/{id}/export`: the download form.
pub(super) async fn form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let landing_pages = landing_slugs(&state, rec.petition.id).await?;
    let extras = extras(&state, &user, rec.petition.id).await?;
    Ok(page(
        &state,
        &headers,
        &user,
        &rec,
        &ExportForm::default(),
        &CampaignErrors::new(),
        &landing_pages,
        extras,
    ))
}

/// `GET /admin/campaigns/{id}/export/signatures?format=&columns=&status=&from=&to=&source=&landing=`.
pub(super) async fn signatures(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    // A query that is not even form-encoded is read as an empty form: the page says what to fill.
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let landing_pages = landing_slugs(&state, rec.petition.id).await?;
    let personal = user.may(Role::Organizer);
    let asked = match understand(&q, &landing_pages, personal) {
        Ok(asked) => asked,
        Err(errors) => {
            let extras = extras(&state, &user, rec.petition.id).await?;
            return Ok(page(&state, &headers, &user, &rec, &q.form(), &errors, &landing_pages, extras));
        }
    };
    let p = &rec.petition;
    let fields = FormFields::parse(&p.form_fields);
    let layout = if asked.action_network {
        Layout::action_network(&fields, &p.postal_country)
    } else {
        Layout::standard(&fields, personal)
    };
    let (extension, content_type) = match asked.kind {
        Kind::Csv | Kind::PlainCsv => ("csv", "text/csv; charset=utf-8"),
        Kind::JsonLines => ("jsonl", "application/jsonl; charset=utf-8"),
        Kind::Xlsx => ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    };
    let what = if asked.action_network { "action-network" } else { "signatures" };
    let filename = format!("{}-{what}-{}.{extension}", p.slug, Utc::now().format("%Y-%m-%d"));
    audit_download(&state, &user, ip, p.id, &format!("{filename}: {}", describe(&q, personal))).await?;
    let body = stream::body(prefetch(state.db.read.clone(), p.id, asked.filter), layout, asked.kind);
    Ok(attachment(content_type, &filename, body))
}

/// `GET /admin/campaigns/{id}/export/counts.csv`: counted signatures and new supporters per
/// day and source.
pub(super) async fn counts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let p = &rec.petition;
    let rows = dashboard::per_day_and_source(&state.db.read, p.id).await?;
    let mut body = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut body);
        let written: Result<(), csv::Error> = (|| {
            w.write_record(["day", "source", "signatures", "new_supporters"])?;
            for r in &rows {
                w.write_record([
                    r.day.as_str(),
                    &crate::db::export::neutralise(&r.source),
                    &r.signatures.to_string(),
                    &r.new_supporters.to_string(),
                ])?;
            }
            w.flush()?;
            Ok(())
        })();
        written.map_err(crate::error::AppError::internal)?;
    }
    let filename = format!("{}-counts-{}.csv", p.slug, Utc::now().format("%Y-%m-%d"));
    audit_download(&state, &user, ip, p.id, &filename).await?;
    Ok(attachment("text/csv; charset=utf-8", &filename, Body::from(body)))
}

/// What a download's form asked for, for the audit log (no personal data: only filters).
fn describe(q: &ExportQuery, personal: bool) -> String {
    let mut parts = vec![if personal { "with personal data" } else { "without personal data" }.to_owned()];
    for (name, value) in [
        ("columns", &q.columns),
        ("status", &q.status),
        ("from", &q.from),
        ("to", &q.to),
        ("source", &q.source),
        ("landing", &q.landing),
    ] {
        if !value.trim().is_empty() {
            parts.push(format!("{name} {}", value.trim()));
        }
    }
    parts.join(", ")
}

async fn audit_download(
    state: &AppState,
    user: &StaffUser,
    ip: IpAddr,
    petition_id: i64,
    detail: &str,
) -> AppResult<()> {
    let entry = Audit {
        subject: Some(format!("petition:{petition_id}")),
        detail: Some(detail.to_owned()),
        ..user.audit("export.downloaded", Some(ip_hash(state, ip)))
    };
    staff::audit(&state.db.write, entry, Utc::now()).await?;
    Ok(())
}

fn attachment(content_type: &'static str, filename: &str, body: Body) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Slugs and dates only: always a valid header.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    no_store(res)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LinkForm {
    #[serde(default)]
    name: String,
}

/// `POST /admin/campaigns/{id}/export/links`: a spreadsheet's link to the counted signatures,
/// shown once.
pub(super) async fn make_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LinkForm>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let p = &rec.petition;
    let landing_pages = landing_slugs(&state, p.id).await?;
    let name = form.name.trim();
    let mut extras_now = extras(&state, &user, p.id).await?;
    if name.is_empty() || name.chars().count() > NAME_MAX {
        extras_now.link_error =
            Some("Say where the link goes, like “Field team sheet” (at most 100 characters).");
        let form = ExportForm::default();
        return Ok(page(
            &state,
            &headers,
            &user,
            &rec,
            &form,
            &CampaignErrors::new(),
            &landing_pages,
            extras_now,
        ));
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let made = tokens::create(&txn, name, Scope::Csv, Some(p.id), &user.account.email, now).await?;
    let entry = Audit {
        subject: Some(format!("petition:{}", p.id)),
        detail: Some(format!("spreadsheet link token:{} “{name}”", made.row.id)),
        ..user.audit("export.link_created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    let url =
        state.config.absolute(&format!("/api/v1/petitions/{}/signatures.csv?token={}", p.slug, made.token));
    let mut extras_now = extras(&state, &user, p.id).await?;
    extras_now.made = Some((name.to_owned(), url));
    Ok(page(
        &state,
        &headers,
        &user,
        &rec,
        &ExportForm::default(),
        &CampaignErrors::new(),
        &landing_pages,
        extras_now,
    ))
}

/// `POST /admin/campaigns/{id}/export/links/{tid}/revoke`.
pub(super) async fn revoke_link(
    State(state): State<AppState>,
    Path((id, tid)): Path<(String, String)>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let tid = id_of(&tid)?;
    let links = tokens::links_of(&state.db.read, rec.petition.id).await?;
    if !links.iter().any(|l| l.id == tid) {
        return Err(crate::error::AppError::NotFound);
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let Some(t) = tokens::revoke(&txn, tid, &user.account.email, now).await? else {
        return Err(crate::error::AppError::NotFound);
    };
    let entry = Audit {
        subject: Some(format!("petition:{}", rec.petition.id)),
        detail: Some(format!("spreadsheet link token:{tid} “{}”", t.name)),
        ..user.audit("export.link_revoked", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(super::flash_redirect(
        &state,
        &format!("/admin/campaigns/{}/export", rec.petition.id),
        crate::views::admin::Flash::TokenRevoked,
    ))
}
