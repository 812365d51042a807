//! sea-orm entities for Undersigned: table shapes only, no business logic.

pub mod ad_spend;
pub mod api_token;
pub mod audit_entry;
pub mod image;
pub mod landing_page;
pub mod landing_visit;
pub mod offline_count;
pub mod petition;
pub mod petition_tally;
pub mod petition_translation;
pub mod recipient;
pub mod setting;
pub mod share_click;
pub mod share_text;
pub mod short_code;
pub mod signature;
pub mod signature_action;
pub mod signature_change;
pub mod signature_count;
pub mod signature_region;
pub mod staff;
pub mod staff_link;
pub mod staff_session;
pub mod supporter;
pub mod webhook;
pub mod webhook_delivery;

pub mod prelude {
    pub use super::ad_spend::Entity as AdSpend;
    pub use super::api_token::Entity as ApiToken;
    pub use super::audit_entry::Entity as AuditEntry;
    pub use super::image::Entity as Image;
    pub use super::landing_page::Entity as LandingPage;
    pub use super::landing_visit::Entity as LandingVisit;
    pub use super::offline_count::Entity as OfflineCount;
    pub use super::petition::Entity as Petition;
    pub use super::petition_tally::Entity as PetitionTally;
    pub use super::petition_translation::Entity as PetitionTranslation;
    pub use super::recipient::Entity as Recipient;
    pub use super::setting::Entity as Setting;
    pub use super::share_click::Entity as ShareClick;
    pub use super::share_text::Entity as ShareText;
    pub use super::short_code::Entity as ShortCode;
    pub use super::signature::Entity as Signature;
    pub use super::signature_action::Entity as SignatureAction;
    pub use super::signature_change::Entity as SignatureChange;
    pub use super::signature_count::Entity as SignatureCount;
    pub use super::signature_region::Entity as SignatureRegion;
    pub use super::staff::Entity as Staff;
    pub use super::staff_link::Entity as StaffLink;
    pub use super::staff_session::Entity as StaffSession;
    pub use super::supporter::Entity as Supporter;
    pub use super::webhook::Entity as Webhook;
    pub use super::webhook_delivery::Entity as WebhookDelivery;
}
