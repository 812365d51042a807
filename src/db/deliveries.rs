//! Deliveries: made in one transaction from the signatures stored (frozen: the count, the
//! breakdown, the signer list and its digest, the words and recipients as they were), with
//! their `delivery.created` webhook; read for the public record, the letter's page and staff.

use chrono::{DateTime, Timelike, Utc};
use entity::{delivery, offline_count, petition, signature};
use rand::Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    petitions::PetitionRecord,
    webhooks::{self, Outgoing},
};
use crate::domain::{
    delivery::{Breakdown, Columns, Named, Signer, digest, signer_list},
    fields::postal_region,
    webhook::{self as hooks, DeliveryFacts, Event, PetitionRef},
};

/// Why a delivery cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The campaign is a draft: nobody could sign it.
    NotOpened,
    /// The cut-off is later than now.
    InTheFuture,
    /// The cut-off is before the campaign opened (then).
    BeforeOpening(DateTime<Utc>),
    /// The campaign has recipients and none was chosen.
    NoRecipient,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotOpened => f.write_str("A draft cannot be delivered: publish it first."),
            Self::InTheFuture => f.write_str(
                "The cut-off is in the future: choose a time that has passed (or leave it empty for now).",
            ),
            Self::BeforeOpening(at) => write!(
                f,
                "The cut-off is before the campaign opened ({} UTC): choose a later time.",
                at.format("%Y-%m-%d %H:%M:%S")
            ),
            Self::NoRecipient => f.write_str("Choose at least one recipient to deliver it to."),
        }
    }
}

/// A delivery to make.
#[derive(Clone, Debug)]
pub struct NewDelivery<'a> {
    pub cutoff: DateTime<Utc>,
    pub columns: Columns,
    /// The campaign's recipients it is delivered to (their places in its list); `None`: all.
    pub recipients: Option<Vec<usize>>,
    pub actor: &'a str,
    /// `PUBLIC_URL`, for the public record's address in the webhook.
    pub public_url: &'a str,
}

/// Makes a delivery of `rec` as of `new.cutoff`, with its webhooks, in `db` (a transaction).
pub async fn create(
    db: &impl ConnectionTrait,
    rec: &PetitionRecord,
    new: NewDelivery<'_>,
    now: DateTime<Utc>,
) -> Result<Result<delivery::Model, Refused>, DbErr> {
    let p = &rec.petition;
    let Some(opened) = p.opened_at else { return Ok(Err(Refused::NotOpened)) };
    // To the second, as the list writes times.
    let cutoff = new.cutoff.with_nanosecond(0).unwrap_or(new.cutoff);
    if cutoff > now {
        return Ok(Err(Refused::InTheFuture));
    }
    if cutoff < opened.with_nanosecond(0).unwrap_or(opened) {
        return Ok(Err(Refused::BeforeOpening(opened)));
    }
    let chosen = |i: usize| new.recipients.as_ref().is_none_or(|r| r.contains(&i));
    if !rec.recipients.is_empty() && !(0..rec.recipients.len()).any(chosen) {
        return Ok(Err(Refused::NoRecipient));
    }
    // A write first, so a SQLite transaction takes the write lock before it reads (and cannot
    // be refused for a snapshot that another writer moved past).
    let key = super::settings::delivery_key(db).await?;
    let signers = signers(db, p, cutoff).await?;
    // Added here: PostgreSQL's SUM of a bigint is a numeric.
    let offline: i64 = offline_count::Entity::find()
        .select_only()
        .column(offline_count::Column::Count)
        .filter(offline_count::Column::PetitionId.eq(p.id))
        .filter(offline_count::Column::EnteredAt.lt(cutoff + chrono::Duration::seconds(1)))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .sum();
    let list = signer_list(key.as_bytes(), &new.columns, &signers);
    let sha = digest(list.as_bytes());
    let recipients: Vec<serde_json::Value> = rec
        .recipients
        .iter()
        .enumerate()
        .filter(|(i, _)| chosen(*i))
        .map(|(_, r)| r)
        .map(|r| serde_json::json!({"name": r.name, "title": r.title, "organisation": r.organisation}))
        .collect();
    let breakdown =
        serde_json::to_string(&Breakdown::of(&signers)).map_err(|e| DbErr::Custom(e.to_string()))?;
    let public_id = hex::encode(rand::rng().random::<[u8; 16]>());
    let named = signers.iter().filter(|s| s.named.is_some()).count();
    let model = delivery::ActiveModel {
        public_id: Set(public_id),
        petition_id: Set(p.id),
        cutoff: Set(cutoff),
        created_at: Set(now),
        created_by: Set(new.actor.to_owned()),
        fields: Set(new.columns.stored()),
        title: Set(p.title.clone()),
        body: Set(p.body.clone()),
        locale: Set(p.locale.clone()),
        recipients: Set(serde_json::Value::Array(recipients).to_string()),
        signers: Set(i64::try_from(signers.len()).unwrap_or(i64::MAX)),
        named: Set(i64::try_from(named).unwrap_or(i64::MAX)),
        offline: Set(offline.max(0)),
        breakdown: Set(breakdown),
        signers_csv: Set(list),
        digest: Set(sha),
        ..Default::default()
    };
    let made = delivery::Entity::insert(model).exec_with_returning(db).await?;
    // Endpoints hear of it in the same transaction.
    let base = new.public_url.trim_end_matches('/');
    let url = format!("{base}/p/{}", p.slug);
    let record = format!("{base}/d/{}", made.public_id);
    let petition = PetitionRef { slug: &p.slug, title: &p.title, url: &url };
    let facts = DeliveryFacts {
        public_url: &record,
        cutoff: made.cutoff,
        signatures: made.signers,
        offline: made.offline,
        digest: &made.digest,
    };
    let outgoing: Vec<Outgoing> = webhooks::subscribed(db, Event::DeliveryCreated)
        .await?
        .into_iter()
        .filter(|h| h.covers(p.id))
        .map(|h| {
            Outgoing::new(h.id, Event::DeliveryCreated, |key| {
                hooks::delivery_created(key, now, petition, facts)
            })
        })
        .collect();
    webhooks::enqueue(db, outgoing, now).await?;
    Ok(Ok(made))
}

/// The validated signatures of `p` signed by `cutoff` (within its second), in the order signed.
async fn signers(
    db: &impl ConnectionTrait,
    p: &petition::Model,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Signer>, DbErr> {
    use signature::Column as C;
    type Row =
        (i64, DateTime<Utc>, String, bool, String, String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = signature::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::SignedAt,
            C::PostalCode,
            C::PublicName,
            C::GivenName,
            C::FamilyName,
            C::JobTitle,
            C::Worksite,
            C::Comment,
        ])
        .filter(C::PetitionId.eq(p.id))
        .filter(C::Status.eq(signature::Status::Validated))
        // The whole second of the cut-off (times are shown to the second).
        .filter(C::SignedAt.lt(cutoff + chrono::Duration::seconds(1)))
        .order_by_asc(C::SignedAt)
        .order_by_asc(C::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, signed_at, postal, public, given, family, job_title, worksite, comment)| Signer {
            id,
            signed_at,
            region: postal_region(&postal, &p.postal_country),
            named: public.then(|| Named {
                name: format!("{} {}", given.trim(), family.trim()).trim().to_owned(),
                job_title: job_title.filter(|t| !t.trim().is_empty()),
                comment: comment.filter(|c| !c.trim().is_empty()),
            }),
            worksite: worksite.filter(|w| !w.trim().is_empty()),
        })
        .collect())
}

/// A delivery by its public id.
pub async fn by_public_id(
    db: &impl ConnectionTrait,
    public_id: &str,
) -> Result<Option<delivery::Model>, DbErr> {
    delivery::Entity::find().filter(delivery::Column::PublicId.eq(public_id)).one(db).await
}

/// What a campaign's page says of a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub public_id: String,
    pub cutoff: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub total: i64,
    /// The recipients' names.
    pub recipients: Vec<String>,
}

/// `petition_id`'s deliveries, newest first, without their lists.
pub async fn summaries(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<Summary>, DbErr> {
    use delivery::Column as C;
    type Row = (String, DateTime<Utc>, DateTime<Utc>, i64, i64, String);
    let rows: Vec<Row> = delivery::Entity::find()
        .select_only()
        .columns([C::PublicId, C::Cutoff, C::CreatedAt, C::Signers, C::Offline, C::Recipients])
        .filter(C::PetitionId.eq(petition_id))
        .order_by_desc(C::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(public_id, cutoff, created_at, signers, offline, recipients)| Summary {
            public_id,
            cutoff,
            created_at,
            total: signers + offline,
            recipients: recipients_of(&recipients).into_iter().map(|r| r.name).collect(),
        })
        .collect())
}

/// A recipient as a delivery froze it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Recipient {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub organisation: String,
}

pub fn recipients_of(json: &str) -> Vec<Recipient> {
    serde_json::from_str(json).unwrap_or_default()
}
