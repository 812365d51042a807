use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Only `validated` signatures count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Awaiting email confirmation.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Over a per-address limit: counts once its email is confirmed or staff release it.
    #[sea_orm(string_value = "held")]
    Held,
    #[sea_orm(string_value = "validated")]
    Validated,
    /// Silently flagged by abuse controls.
    #[sea_orm(string_value = "fraudulent")]
    Fraudulent,
    /// Removed by staff, with an audit record.
    #[sea_orm(string_value = "invalidated")]
    Invalidated,
}

/// One person's signature on one petition, with what they typed and where they came from.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signatures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    pub supporter_id: i64,
    pub status: Status,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub postal_code: String,
    pub phone: Option<String>,
    pub employer: Option<String>,
    pub job_title: Option<String>,
    pub worksite: Option<String>,
    pub comment: Option<String>,
    pub email_opt_in: bool,
    pub public_name: bool,
    pub source: Option<String>,
    /// Host of the referring site, never a full URL.
    pub referrer: Option<String>,
    /// Slug of the ad landing page the signer first arrived on.
    pub landing_page: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub utm_term: Option<String>,
    /// The share code of the signature whose link brought this signer (`?ref=`).
    pub ref_code: Option<String>,
    /// This signer's own share code, for their share link.
    #[sea_orm(unique)]
    pub share_code: String,
    pub signed_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    /// The share text of the shared link that brought this signer (`?v=`).
    pub share_text_id: Option<i64>,
    /// A keyed hash of the network it came from (IPv4 address or IPv6 /64); never the address.
    pub network_hash: Option<String>,
    /// The address's domain, when the per-domain limit counted this signature (signed through
    /// the public form, not at a large mail provider): checked in the database across processes.
    pub email_domain: Option<String>,
    /// When it last changed after it was made (its status); NULL if it never did.
    pub changed_at: Option<DateTimeUtc>,
    /// The paper batch it was entered in (source `paper`).
    pub paper_batch_id: Option<i64>,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
    #[sea_orm(belongs_to, from = "supporter_id", to = "id")]
    pub supporter: BelongsTo<super::supporter::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
