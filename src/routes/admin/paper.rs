//! Paper signatures: entering sign-up sheets one signer per row (or pasted from a spreadsheet),
//! in batches, and the batches entered so far. Organizers and admins; every batch is audited.

use std::collections::HashMap;

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use sea_orm::TransactionTrait;

use super::{PageKit, StaffUser, campaign, flash_redirect, id_of, ip_hash};
use crate::{
    db::{
        paper::{self, NewBatch},
        petitions::PetitionRecord,
        staff::{self, Audit},
    },
    domain::paper::{COLUMNS, PaperForm, Problems, ROWS_MAX, ROWS_STEP, Row},
    error::AppResult,
    routes::client_ip::ClientIp,
    state::AppState,
    tally::Tally,
    views::admin::{
        Flash,
        paper::{PaperView, paper_page},
    },
};

/// The largest form: a full grid and a pasted spreadsheet (form encoding can triple a text).
pub(super) const PAPER_FORM_BYTES: usize = 4 * 1024 * 1024;

async fn page(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    rec: &PetitionRecord,
    form: &PaperForm,
    problems: &Problems,
    status: StatusCode,
) -> AppResult<Response> {
    let p = &rec.petition;
    let batches = paper::batches(&state.db.read, p.id).await?;
    let kit = PageKit::new(state, headers);
    let view = PaperView {
        chrome: kit.chrome(user),
        id: p.id,
        title: &p.title,
        batches: &batches,
        form,
        problems,
        today: Utc::now().date_naive(),
    };
    let markup = paper_page(&view);
    Ok(kit.page(status, markup))
}

/// `GET /admin/campaigns/{id}/paper`.
pub(super) async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let form = PaperForm {
        collected_on: Utc::now().date_naive().format("%Y-%m-%d").to_string(),
        rows: vec![Row::default(); ROWS_STEP],
        ..PaperForm::default()
    };
    page(&state, &user, &headers, &rec, &form, &Problems::new(), StatusCode::OK).await
}

/// The form as posted: `source`, `collected_on`, `pasted`, `rows` (how many rows the grid
/// had), each row's cells `r{i}_{column}`, and `more` when more rows were asked for.
fn typed(fields: &HashMap<String, String>) -> (PaperForm, bool) {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let shown = get("rows").parse::<usize>().unwrap_or(ROWS_STEP).clamp(1, ROWS_MAX);
    let mut rows = vec![Row::default(); shown];
    for (i, row) in rows.iter_mut().enumerate() {
        for c in COLUMNS {
            if let Some(v) = fields.get(&format!("r{i}_{c}")) {
                row.set(c, v);
            }
        }
    }
    let more = fields.contains_key("more");
    if more {
        rows.resize((shown + ROWS_STEP).min(ROWS_MAX), Row::default());
    }
    (
        PaperForm { source: get("source"), collected_on: get("collected_on"), rows, pasted: get("pasted") },
        more,
    )
}

/// `POST /admin/campaigns/{id}/paper`: enters a batch (or shows more rows).
pub(super) async fn enter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(fields): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let (form, more) = typed(&fields);
    if more {
        return page(&state, &user, &headers, &rec, &form, &Problems::new(), StatusCode::OK).await;
    }
    let p = &rec.petition;
    let now = Utc::now();
    let batch = match form.parse(&p.postal_country, now.date_naive()) {
        Ok(b) => b,
        Err(problems) => {
            return page(&state, &user, &headers, &rec, &form, &problems, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let txn = state.db.write.begin().await?;
    let new = NewBatch { batch: &batch, staff_id: Some(user.account.id), actor: &user.account.email };
    let entered = paper::enter(&txn, p, new, now).await?;
    let b = &entered.batch;
    let entry = Audit {
        subject: Some(format!("paper_batch:{}", b.id)),
        detail: Some(format!(
            "{}: {} entries from “{}” ({}), {} counted, {} already signers",
            p.slug, b.entries, b.source, b.collected_on, b.added, b.duplicates
        )),
        ..user.audit("paper.entered", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    if let Some(t) = &entered.tally {
        state.counts.record(p.id, Tally::from(t));
    }
    Ok(flash_redirect(&state, &format!("/admin/campaigns/{}/paper#batches", p.id), Flash::PaperEntered))
}
