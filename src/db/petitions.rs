//! Petitions, their recipients and tallies.

use super::share_texts::{self, ShareText};
use crate::{
    domain::{
        FormFields,
        campaign::{Campaign, Recipient, Translation},
    },
    i18n::{LOCALES, Locale},
};
use chrono::{DateTime, Utc};
use entity::{offline_count, petition, petition_tally, petition_translation, recipient};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

/// A petition with what its page shows besides the count.
#[derive(Clone, Debug)]
pub struct PetitionRecord {
    pub petition: petition::Model,
    pub recipients: Vec<recipient::Model>,
    /// Its text in other languages.
    pub translations: Vec<petition_translation::Model>,
    /// The wordings of its share buttons, oldest first, live and retired.
    pub share_texts: Vec<ShareText>,
    /// What its signing form asks for (parsed from `petition.form_fields`).
    pub fields: FormFields,
    /// Its deliveries, newest first.
    pub deliveries: Vec<super::deliveries::Summary>,
    /// Its shared sites (networks without a per-network signing limit), oldest first.
    pub shared_sites: Vec<entity::shared_site::Model>,
    /// Their networks, parsed.
    pub shared_nets: Vec<ipnet::IpNet>,
}

/// A petition's words in one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Content<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    /// The language they are in (BCP 47).
    pub locale: &'a str,
}

impl PetitionRecord {
    /// Whether `ip` is in one of its shared sites.
    pub fn is_shared(&self, ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.shared_nets.iter().any(|n| n.contains(&ip))
    }

    /// The petition's words for a page in `locale`: the translation into it, if staff made one,
    /// else the petition's own.
    pub fn content(&self, locale: &str) -> Content<'_> {
        let p = &self.petition;
        let own = Content { title: &p.title, summary: &p.summary, body: &p.body, locale: &p.locale };
        if p.locale.eq_ignore_ascii_case(locale) {
            return own;
        }
        self.translations.iter().find(|t| t.locale.eq_ignore_ascii_case(locale)).map_or(own, |t| Content {
            title: &t.title,
            summary: &t.summary,
            body: &t.body,
            locale: &t.locale,
        })
    }

    /// The live share texts for share buttons in `locale`.
    pub fn live_share_texts(&self, locale: Locale) -> impl Iterator<Item = &ShareText> {
        self.share_texts.iter().filter(move |t| t.live && t.locale == locale)
    }

    /// The campaign as staff edit it.
    pub fn campaign(&self) -> Campaign {
        let p = &self.petition;
        let locale = Locale::parse(&p.locale);
        Campaign {
            kind: p.kind,
            slug: p.slug.clone(),
            locale,
            title: p.title.clone(),
            summary: p.summary.clone(),
            body: p.body.clone(),
            goal: p.goal,
            postal_country: p.postal_country.clone(),
            fields: self.fields,
            require_confirmation: p.require_confirmation,
            captcha: p.captcha,
            recipients: self
                .recipients
                .iter()
                .map(|r| Recipient {
                    name: r.name.clone(),
                    title: r.title.clone(),
                    organisation: r.organisation.clone(),
                    email: r.email.clone(),
                })
                .collect(),
            // In the order of the language switch, leaving out any the campaign no longer has.
            translations: LOCALES
                .into_iter()
                .filter(|l| *l != locale)
                .filter_map(|l| {
                    let t = self.translations.iter().find(|t| Locale::parse(&t.locale) == l)?;
                    Some(Translation {
                        locale: l,
                        title: t.title.clone(),
                        summary: t.summary.clone(),
                        body: t.body.clone(),
                    })
                })
                .collect(),
        }
    }

    /// Its share text `id`, live or retired.
    pub fn share_text(&self, id: i64) -> Option<&ShareText> {
        self.share_texts.iter().find(|t| t.id == id)
    }
}

pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<PetitionRecord>, DbErr> {
    match petition::Entity::find().filter(petition::Column::Slug.eq(slug)).one(db).await? {
        Some(petition) => record(db, petition).await.map(Some),
        None => Ok(None),
    }
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<PetitionRecord>, DbErr> {
    match petition::Entity::find_by_id(id).one(db).await? {
        Some(petition) => record(db, petition).await.map(Some),
        None => Ok(None),
    }
}

/// A petition with what its page shows.
async fn record(db: &impl ConnectionTrait, petition: petition::Model) -> Result<PetitionRecord, DbErr> {
    let recipients = recipient::Entity::find()
        .filter(recipient::Column::PetitionId.eq(petition.id))
        .order_by_asc(recipient::Column::Position)
        .all(db)
        .await?;
    let translations = petition_translation::Entity::find()
        .filter(petition_translation::Column::PetitionId.eq(petition.id))
        .all(db)
        .await?;
    let share_texts = share_texts::of_petition(db, petition.id).await?;
    let fields = FormFields::parse(&petition.form_fields);
    let deliveries = super::deliveries::summaries(db, petition.id).await?;
    let shared_sites = super::shared_sites::of_petition(db, petition.id).await?;
    let shared_nets = shared_sites.iter().filter_map(|s| s.network.parse().ok()).collect();
    Ok(PetitionRecord {
        petition,
        recipients,
        translations,
        share_texts,
        fields,
        deliveries,
        shared_sites,
        shared_nets,
    })
}

/// Every petition and letter, whatever its status, newest first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<petition::Model>, DbErr> {
    petition::Entity::find()
        .order_by_desc(petition::Column::CreatedAt)
        .order_by_desc(petition::Column::Id)
        .all(db)
        .await
}

/// Open petitions, newest first.
pub async fn list_open(db: &impl ConnectionTrait) -> Result<Vec<petition::Model>, DbErr> {
    petition::Entity::find()
        .filter(petition::Column::Status.eq(petition::Status::Open))
        .order_by_desc(petition::Column::CreatedAt)
        .order_by_desc(petition::Column::Id)
        .all(db)
        .await
}

pub async fn tallies(db: &impl ConnectionTrait) -> Result<Vec<petition_tally::Model>, DbErr> {
    petition_tally::Entity::find().all(db).await
}

/// What staff (or the demo) supply to create a petition or letter.
#[derive(Clone, Debug)]
pub struct NewPetition {
    pub slug: String,
    pub kind: petition::Kind,
    pub status: petition::Status,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub goal: i64,
    pub postal_country: String,
    pub image_url: Option<String>,
    /// In letter order.
    pub recipients: Vec<Recipient>,
    pub form_fields: FormFields,
    /// The staff member creating it, if one is (not the demo).
    pub updated_by: Option<String>,
}

/// Writes a campaign's recipients, in letter order.
async fn insert_recipients(
    db: &impl ConnectionTrait,
    petition_id: i64,
    recipients: &[Recipient],
) -> Result<(), DbErr> {
    for (i, r) in recipients.iter().enumerate() {
        recipient::Entity::insert(recipient::ActiveModel {
            petition_id: Set(petition_id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            name: Set(r.name.clone()),
            title: Set(r.title.clone()),
            organisation: Set(r.organisation.clone()),
            email: Set(r.email.clone()),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Creates a petition with its recipients and an empty tally. Returns `None` if the slug is
/// taken (nothing is changed then).
pub async fn create(
    db: &impl ConnectionTrait,
    new: NewPetition,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let inserted = petition::Entity::insert(petition::ActiveModel {
        slug: Set(new.slug),
        kind: Set(new.kind),
        status: Set(new.status),
        locale: Set(new.locale),
        title: Set(new.title),
        summary: Set(new.summary),
        body: Set(new.body),
        goal: Set(new.goal),
        offline_count: Set(0),
        postal_country: Set(new.postal_country),
        image_url: Set(new.image_url),
        form_fields: Set(new.form_fields.to_string()),
        updated_by: Set(new.updated_by),
        opened_at: Set((new.status != petition::Status::Draft).then_some(now)),
        closed_at: Set((new.status == petition::Status::Closed).then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([petition::Column::Slug])
    .exec(db)
    .await?;
    let sea_orm::TryInsertResult::Inserted(res) = inserted else {
        return Ok(None);
    };
    let id = res.last_insert_id;
    insert_recipients(db, id, &new.recipients).await?;
    petition_tally::Entity::insert(petition_tally::ActiveModel {
        petition_id: Set(id),
        validated: Set(0),
        version: Set(0),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(Some(id))
}

/// Adds (or replaces) a petition's text in `locale`.
pub async fn translate(
    db: &impl ConnectionTrait,
    petition_id: i64,
    locale: &str,
    (title, summary, body): (&str, &str, &str),
) -> Result<(), DbErr> {
    petition_translation::Entity::insert(petition_translation::ActiveModel {
        petition_id: Set(petition_id),
        locale: Set(locale.to_owned()),
        title: Set(title.to_owned()),
        summary: Set(summary.to_owned()),
        body: Set(body.to_owned()),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            petition_translation::Column::PetitionId,
            petition_translation::Column::Locale,
        ])
        .update_columns([
            petition_translation::Column::Title,
            petition_translation::Column::Summary,
            petition_translation::Column::Body,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Creates a campaign from the admin, as a draft or open, with its translations. Returns
/// `None` if the slug is taken (nothing is changed then).
pub async fn create_campaign(
    db: &impl ConnectionTrait,
    c: &Campaign,
    status: petition::Status,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let new = NewPetition {
        slug: c.slug.clone(),
        kind: c.kind,
        status,
        locale: c.locale.tag().to_owned(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        body: c.body.clone(),
        goal: c.goal,
        postal_country: c.postal_country.clone(),
        image_url: None,
        recipients: c.recipients.clone(),
        form_fields: c.fields,
        updated_by: Some(actor.to_owned()),
    };
    let Some(id) = create(db, new, now).await? else { return Ok(None) };
    if c.require_confirmation || c.captcha {
        petition::Entity::update_many()
            .col_expr(petition::Column::RequireConfirmation, Expr::value(c.require_confirmation))
            .col_expr(petition::Column::Captcha, Expr::value(c.captcha))
            .filter(petition::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    for t in &c.translations {
        translate(db, id, t.locale.tag(), (&t.title, &t.summary, &t.body)).await?;
    }
    Ok(Some(id))
}

/// What became of a save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Saved; the campaign is now at this version.
    Saved(i64),
    /// Someone saved it since the editor's version (or it is gone): nothing was changed.
    Stale,
    /// Another campaign has the slug: nothing was changed.
    SlugTaken,
}

/// Saves an edited campaign over `version`, and only over it (an optimistic lock: of two
/// editors who started from one version, the second to save is refused, not silently
/// overwritten). Its recipients and translations are replaced. Run it in a transaction.
pub async fn save_campaign(
    db: &impl ConnectionTrait,
    id: i64,
    version: i64,
    c: &Campaign,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Saved, DbErr> {
    let taken = petition::Entity::find()
        .filter(petition::Column::Slug.eq(&c.slug))
        .filter(petition::Column::Id.ne(id))
        .one(db)
        .await?
        .is_some();
    if taken {
        return Ok(Saved::SlugTaken);
    }
    let before = petition::Entity::find_by_id(id).one(db).await?;
    let updated = petition::Entity::update_many()
        .col_expr(petition::Column::Kind, Expr::value(c.kind))
        .col_expr(petition::Column::Slug, Expr::value(&c.slug))
        .col_expr(petition::Column::Locale, Expr::value(c.locale.tag()))
        .col_expr(petition::Column::Title, Expr::value(&c.title))
        .col_expr(petition::Column::Summary, Expr::value(&c.summary))
        .col_expr(petition::Column::Body, Expr::value(&c.body))
        .col_expr(petition::Column::Goal, Expr::value(c.goal))
        .col_expr(petition::Column::PostalCountry, Expr::value(&c.postal_country))
        .col_expr(petition::Column::FormFields, Expr::value(c.fields.to_string()))
        .col_expr(petition::Column::RequireConfirmation, Expr::value(c.require_confirmation))
        .col_expr(petition::Column::Captcha, Expr::value(c.captcha))
        .col_expr(petition::Column::UpdatedAt, Expr::value(now))
        .col_expr(petition::Column::UpdatedBy, Expr::value(actor))
        .col_expr(petition::Column::Version, Expr::col(petition::Column::Version).add(1))
        .filter(petition::Column::Id.eq(id))
        .filter(petition::Column::Version.eq(version))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(Saved::Stale);
    }
    // Regions are read by the petition's country: with another country, they are counted again.
    if before.as_ref().is_some_and(|before| before.postal_country != c.postal_country) {
        super::rollup::recount_regions(db, id).await?;
    }
    // Goal milestones are shares of the goal: a new goal starts them again.
    if before.as_ref().is_some_and(|before| before.goal != c.goal) {
        super::mail::goal_changed(db, id, now).await?;
    }
    recipient::Entity::delete_many().filter(recipient::Column::PetitionId.eq(id)).exec(db).await?;
    insert_recipients(db, id, &c.recipients).await?;
    petition_translation::Entity::delete_many()
        .filter(petition_translation::Column::PetitionId.eq(id))
        .exec(db)
        .await?;
    for t in &c.translations {
        translate(db, id, t.locale.tag(), (&t.title, &t.summary, &t.body)).await?;
    }
    Ok(Saved::Saved(version + 1))
}

/// Moves a campaign from status `from` to `to` (publishing, closing, reopening). Returns
/// whether it was in `from`.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: i64,
    from: petition::Status,
    to: petition::Status,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = petition::Entity::update_many()
        .col_expr(petition::Column::Status, Expr::value(to))
        .col_expr(petition::Column::UpdatedAt, Expr::value(now))
        .col_expr(petition::Column::UpdatedBy, Expr::value(actor))
        // Retention counts from the last close: reopening starts it again.
        .col_expr(petition::Column::ClosedAt, Expr::value((to == petition::Status::Closed).then_some(now)))
        .filter(petition::Column::Id.eq(id))
        .filter(petition::Column::Status.eq(from))
        .exec(db)
        .await?;
    if updated.rows_affected == 1 && to == petition::Status::Open {
        petition::Entity::update_many()
            .col_expr(petition::Column::OpenedAt, Expr::value(now))
            .filter(petition::Column::Id.eq(id))
            .filter(petition::Column::OpenedAt.is_null())
            .exec(db)
            .await?;
        // Reopened after its signers were anonymised: the new ones are kept until it closes
        // again and its time is up (those anonymised stay so).
        petition::Entity::update_many()
            .col_expr(petition::Column::AnonymisedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(petition::Column::Id.eq(id))
            .filter(petition::Column::AnonymisedAt.is_not_null())
            .exec(db)
            .await?;
    }
    Ok(updated.rows_affected == 1)
}

/// A batch of paper or offline signatures, with who entered it.
#[derive(Clone, Debug)]
pub struct OfflineBatch<'a> {
    /// A correction is negative.
    pub count: i64,
    pub note: &'a str,
    pub staff_id: Option<i64>,
    pub actor: &'a str,
}

/// Adds a batch to a campaign's offline count. Returns the new offline count, or `None` when
/// the batch would take it below zero (or the campaign is gone), and then changes nothing.
/// Run it in a transaction.
pub async fn add_offline(
    db: &impl ConnectionTrait,
    petition_id: i64,
    batch: &OfflineBatch<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let updated = petition::Entity::update_many()
        .col_expr(petition::Column::OfflineCount, Expr::col(petition::Column::OfflineCount).add(batch.count))
        .col_expr(petition::Column::UpdatedAt, Expr::value(now))
        .filter(petition::Column::Id.eq(petition_id))
        .filter(Expr::col(petition::Column::OfflineCount).add(batch.count).gte(0))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    offline_count::Entity::insert(offline_count::ActiveModel {
        petition_id: Set(petition_id),
        count: Set(batch.count),
        note: Set(batch.note.to_owned()),
        staff_id: Set(batch.staff_id),
        actor: Set(batch.actor.to_owned()),
        entered_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    let total = petition::Entity::find_by_id(petition_id).one(db).await?.map(|p| p.offline_count);
    Ok(total)
}

/// A campaign's offline batches, newest first.
pub async fn offline_batches(
    db: &impl ConnectionTrait,
    petition_id: i64,
) -> Result<Vec<offline_count::Model>, DbErr> {
    offline_count::Entity::find()
        .filter(offline_count::Column::PetitionId.eq(petition_id))
        .order_by_desc(offline_count::Column::EnteredAt)
        .order_by_desc(offline_count::Column::Id)
        .all(db)
        .await
}
