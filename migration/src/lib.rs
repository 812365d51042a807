//! Database schema history for Undersigned.
//!
//! Migrations are never edited once they have landed: add a new one instead.

#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_signatures_by_petition;
mod m20261126_000001_landing_pages_live;
mod m20261126_000002_short_codes;
mod m20261126_000003_landing_visits;
mod m20261126_000004_ad_spend;
mod m20261126_000005_longer_campaign_values;
mod m20261126_000006_petition_translations;
mod m20261126_000007_share_clicks;
mod m20261126_000008_webhooks;
mod m20261127_000009_share_texts;
mod m20261127_000010_staff;
mod m20261127_000011_campaign_editing;
mod m20261127_000012_signature_actions;
mod m20261127_000013_signature_network;
mod m20261127_000014_signature_counts;
mod m20261127_000015_api_tokens;
mod m20261127_000016_signature_changed_at;
mod m20261127_000017_signature_counts_by_hour;
mod m20261127_000018_emails;
mod m20261127_000019_deliveries;
mod m20261128_000020_paper_and_letters;
mod m20261128_000021_confirmations;
mod m20261128_000022_shared_sites;
mod m20261128_000023_unsubscribe;
mod m20261128_000024_captcha;
mod m20261129_000025_retention;
mod m20261129_000026_network_limit_index;
mod m20261130_000027_server_processes;
mod m20261130_000028_review_notices;
mod m20261201_000029_signature_email_domain;
mod m20261202_000030_identifier_collation;
mod m20261203_000031_sent_email_tokens;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_signatures_by_petition::Migration),
            Box::new(m20261126_000001_landing_pages_live::Migration),
            Box::new(m20261126_000002_short_codes::Migration),
            Box::new(m20261126_000003_landing_visits::Migration),
            Box::new(m20261126_000004_ad_spend::Migration),
            Box::new(m20261126_000005_longer_campaign_values::Migration),
            Box::new(m20261126_000006_petition_translations::Migration),
            Box::new(m20261126_000007_share_clicks::Migration),
            Box::new(m20261126_000008_webhooks::Migration),
            Box::new(m20261127_000009_share_texts::Migration),
            Box::new(m20261127_000010_staff::Migration),
            Box::new(m20261127_000011_campaign_editing::Migration),
            Box::new(m20261127_000012_signature_actions::Migration),
            Box::new(m20261127_000013_signature_network::Migration),
            Box::new(m20261127_000014_signature_counts::Migration),
            Box::new(m20261127_000015_api_tokens::Migration),
            Box::new(m20261127_000016_signature_changed_at::Migration),
            Box::new(m20261127_000017_signature_counts_by_hour::Migration),
            Box::new(m20261127_000018_emails::Migration),
            Box::new(m20261127_000019_deliveries::Migration),
            Box::new(m20261128_000020_paper_and_letters::Migration),
            Box::new(m20261128_000021_confirmations::Migration),
            Box::new(m20261128_000022_shared_sites::Migration),
            Box::new(m20261128_000023_unsubscribe::Migration),
            Box::new(m20261128_000024_captcha::Migration),
            Box::new(m20261129_000025_retention::Migration),
            Box::new(m20261129_000026_network_limit_index::Migration),
            Box::new(m20261130_000027_server_processes::Migration),
            Box::new(m20261130_000028_review_notices::Migration),
            Box::new(m20261201_000029_signature_email_domain::Migration),
            Box::new(m20261202_000030_identifier_collation::Migration),
            Box::new(m20261203_000031_sent_email_tokens::Migration),
        ]
    }
}
