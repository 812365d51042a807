//! Petitions, their recipients and tallies.

use super::share_texts::{self, ShareText};
use crate::i18n::Locale;
use chrono::{DateTime, Utc};
use entity::{petition, petition_tally, petition_translation, recipient};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// A petition with what its page shows besides the count.
#[derive(Clone, Debug)]
pub struct PetitionRecord {
    pub petition: petition::Model,
    pub recipients: Vec<recipient::Model>,
    /// Its text in other languages.
    pub translations: Vec<petition_translation::Model>,
    /// The wordings of its share buttons, oldest first, live and retired.
    pub share_texts: Vec<ShareText>,
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

    /// Its share text `id`, live or retired.
    pub fn share_text(&self, id: i64) -> Option<&ShareText> {
        self.share_texts.iter().find(|t| t.id == id)
    }
}

pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<PetitionRecord>, DbErr> {
    let Some(petition) = petition::Entity::find().filter(petition::Column::Slug.eq(slug)).one(db).await?
    else {
        return Ok(None);
    };
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
    Ok(Some(PetitionRecord { petition, recipients, translations, share_texts }))
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
    /// (name, title, organisation), in letter order.
    pub recipients: Vec<(String, String, String)>,
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
    for (i, (name, title, organisation)) in new.recipients.into_iter().enumerate() {
        recipient::Entity::insert(recipient::ActiveModel {
            petition_id: Set(id),
            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            name: Set(name),
            title: Set(title),
            organisation: Set(organisation),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
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
