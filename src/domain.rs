//! Parse-once types and the rules of the product: who a person is, what a valid signature
//! looks like, where a signer came from. Nothing here knows about HTTP or SQL.

pub mod attribution;
pub mod campaign;
pub mod delivery;
pub mod email;
pub mod fields;
pub mod form_fields;
pub mod landing;
pub mod paper;
pub mod raster;
pub mod review;
pub mod share;
pub mod share_code;
pub mod share_text;
pub mod signing;
pub mod spend;
pub mod staff;
pub mod upload;
pub mod webhook;

pub use attribution::Attribution;
pub use email::Email;
pub use fields::{FieldError, FreeText, PersonName, Phone, PostalCode};
pub use form_fields::{Ask, Field, FormFields};
pub use share_code::ShareCode;
pub use signing::{FieldErrors, SignForm, SignatureInput};
