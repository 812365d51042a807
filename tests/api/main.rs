//! Integration tests: each test spawns the real server on port 0 with a fresh database
//! (a SQLite file, or a new PostgreSQL database when `TEST_POSTGRES_URL` is set) and talks to
//! it over HTTP.

mod cli;
mod concurrency;
mod health;
mod helpers;
mod pages;
mod signing;
mod validation;
