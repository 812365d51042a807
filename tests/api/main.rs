//! Integration tests: each test spawns the real server on port 0 with a fresh database
//! (a SQLite file, or a new PostgreSQL database when `TEST_POSTGRES_URL` is set) and talks to
//! it over HTTP.

mod admin;
mod api;
mod browser;
mod campaigns;
mod captcha;
mod cli;
mod concurrency;
mod confirm;
mod dashboard;
mod deliveries;
mod embed;
mod exports;
mod headers;
mod health;
mod helpers;
mod hostile;
mod instances;
mod integrity;
mod invalidations;
mod landing;
mod landing_admin;
mod letters;
mod limits;
mod logging;
mod mail;
mod pages;
mod paper;
mod report;
mod retention;
mod review;
mod share;
mod share_texts;
mod signing;
mod smtp;
mod validation;
mod visitors;
mod webhooks;
