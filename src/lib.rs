//! Undersigned: petitions and open letters for union and community campaigns.
//!
//! Read top-down: [`config`] and [`startup`] build the server; [`routes`] lists every URL;
//! [`domain`] holds the rules; [`db`] the queries and the signature writer; [`views`] the HTML;
//! [`i18n`] the words; [`cache`] and [`tally`] what pages read from memory; [`webhooks`] sends
//! events to other tools.

#![forbid(unsafe_code)]

pub mod cache;
pub mod captcha;
pub mod cli;
pub mod compress;
pub mod config;
pub mod confirm;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod i18n;
pub mod letters;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod notices;
pub mod packet;
pub mod peers;
pub mod routes;
pub mod serve;
pub mod sharing;
pub mod startup;
pub mod state;
pub mod sync;
pub mod tally;
pub mod telemetry;
pub mod views;
pub mod visits;
pub mod webhooks;
