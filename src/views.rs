//! HTML views (maud). Views take plain data, never a database handle, and work without
//! JavaScript.

pub mod admin;
pub mod charts;
pub mod components;
pub mod confirm;
pub mod delivery;
pub mod embed;
pub mod errors;
pub mod index;
pub mod landing;
pub mod layout;
pub mod markdown;
pub mod petition;
pub mod qr;
pub mod unsubscribe;
