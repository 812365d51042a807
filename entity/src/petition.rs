use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A petition is signed by the public; an open letter is a petition with a letter text and
/// named recipients, delivered by staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[sea_orm(string_value = "petition")]
    Petition,
    #[sea_orm(string_value = "letter")]
    Letter,
}

/// Only `open` petitions accept signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "closed")]
    Closed,
}

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub kind: Kind,
    pub status: Status,
    /// BCP 47 language of the page (`en`, `es`).
    pub locale: String,
    pub title: String,
    /// One or two sentences: the lede on the page and the share/OG description.
    pub summary: String,
    /// The petition text, or the letter text for an open letter.
    pub body: String,
    pub goal: i64,
    /// Paper and offline signatures entered by staff; part of the public count.
    pub offline_count: i64,
    /// ISO 3166-1 alpha-2 country whose postal code format the form expects.
    pub postal_country: String,
    pub image_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Bumped by every staff save; a save made from an older version is refused.
    pub version: i64,
    /// Which fields the signing form asks for, and which it requires
    /// (`postal_code:required phone:optional …`; name and email are always asked).
    pub form_fields: String,
    /// The email of the staff member who saved it last.
    pub updated_by: Option<String>,
    /// When it was first published (signatures start then).
    pub opened_at: Option<DateTimeUtc>,
    /// Whether its recipients get a daily email of how many signed that day.
    pub recipient_digest: bool,
    /// New signatures wait (`pending`) until the signer confirms their email address.
    pub require_confirmation: bool,
    /// Its signing form carries the instance's human check (`CAPTCHA_*`).
    pub captcha: bool,
    /// When it was last closed; `None` while it is open (or was never closed).
    pub closed_at: Option<DateTimeUtc>,
    /// When its signers' personal data was anonymised (`RETENTION_MONTHS` after it closed).
    pub anonymised_at: Option<DateTimeUtc>,
    #[sea_orm(has_many)]
    pub recipients: HasMany<super::recipient::Entity>,
    #[sea_orm(has_many)]
    pub landing_pages: HasMany<super::landing_page::Entity>,
    #[sea_orm(has_many)]
    pub signatures: HasMany<super::signature::Entity>,
    #[sea_orm(has_one)]
    pub tally: HasOne<super::petition_tally::Entity>,
    #[sea_orm(has_many)]
    pub ad_spend: HasMany<super::ad_spend::Entity>,
    #[sea_orm(has_many)]
    pub translations: HasMany<super::petition_translation::Entity>,
    #[sea_orm(has_many)]
    pub offline_counts: HasMany<super::offline_count::Entity>,
    #[sea_orm(has_many)]
    pub deliveries: HasMany<super::delivery::Entity>,
    #[sea_orm(has_many)]
    pub paper_batches: HasMany<super::paper_batch::Entity>,
    #[sea_orm(has_many)]
    pub delivery_schedules: HasMany<super::delivery_schedule::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
