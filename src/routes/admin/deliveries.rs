//! A campaign's deliveries: the list (every role) and making one (organizers and admins,
//! audited, with its `delivery.created` webhook).

use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use entity::{delivery, petition, staff::Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde::Deserialize;

use super::{PageKit, StaffUser, campaign, id_of, ip_hash};
use crate::{
    db::{
        deliveries::{self, NewDelivery},
        petitions::PetitionRecord,
        staff::{self, Audit},
    },
    domain::delivery::{Column, Columns, parse_cutoff, timestamp},
    error::AppResult,
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::deliveries::{DeliveriesView, DeliveryForm, deliveries_page},
};

#[derive(Debug, Default, Deserialize)]
pub(super) struct MakeForm {
    #[serde(default)]
    cutoff: String,
    /// `r0`, `r1`…: the recipients chosen, by place.
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    worksite: String,
    #[serde(default)]
    comment: String,
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

async fn page(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    rec: &PetitionRecord,
    form: DeliveryForm,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let p = &rec.petition;
    let list = delivery::Entity::find()
        .filter(delivery::Column::PetitionId.eq(p.id))
        .order_by_desc(delivery::Column::Id)
        .all(&state.db.read)
        .await?;
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
                [r.name.as_str(), r.title.as_str(), r.organisation.as_str()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect(),
        organizer: user.may(Role::Organizer),
        form,
        error,
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
    let form = DeliveryForm {
        cutoff: String::new(),
        columns: vec![Column::Name],
        recipients: (0..rec.recipients.len()).collect(),
    };
    page(&state, &user, &headers, &rec, form, None, StatusCode::OK).await
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
    };
    let now = Utc::now();
    let Some(cutoff) = parse_cutoff(&form.cutoff, now) else {
        let error = Some("Write the cut-off like 2026-11-27 17:00 (UTC).".to_owned());
        return page(&state, &user, &headers, &rec, typed, error, StatusCode::UNPROCESSABLE_ENTITY).await;
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
    let made = match deliveries::create(&txn, &rec, new, now).await? {
        Ok(made) => made,
        Err(refused) => {
            drop(txn);
            let error = Some(refused.to_string());
            return page(&state, &user, &headers, &rec, typed, error, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let entry = Audit {
        subject: Some(format!("delivery:{}", made.id)),
        detail: Some(format!(
            "{}: {} signatures as of {}, sha256 {}",
            rec.petition.slug,
            made.signers + made.offline,
            timestamp(made.cutoff),
            made.digest
        )),
        ..user.audit("delivery.created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/d/{}", made.public_id)).into_response())
}
