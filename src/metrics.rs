//! `GET /metrics` in the Prometheus text format, served on `METRICS_BIND` only (an address of
//! its own, for the monitoring network, never the public one). Everything comes from memory:
//! a scrape never touches the database. Counters are this process's since it started;
//! with several processes, Prometheus sums them.

use std::{
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    db::writer::WriterStats,
    limits::{Held, Limits},
    tally::Counts,
};

/// What handlers count as they go.
#[derive(Debug, Default)]
pub struct Counters {
    /// Signatures held, per policy (network, domain, email, disposable, form, captcha).
    held: [AtomicU64; 6],
    /// Signing requests refused as a flood.
    pub refused: AtomicU64,
    /// Signatures that started counting when their signers confirmed.
    pub confirmed: AtomicU64,
    /// Held signatures staff released.
    pub released: AtomicU64,
    /// Connections being served now.
    pub connections_open: AtomicU64,
    /// Connections refused because their address had too many not yet answered while places
    /// were short.
    pub connections_refused: AtomicU64,
}

impl Counters {
    pub fn held(&self, policy: Held) {
        let i = match policy {
            Held::Network => 0,
            Held::Domain => 1,
            Held::Email => 2,
            Held::Disposable => 3,
            Held::Form => 4,
            Held::Captcha => 5,
        };
        self.held[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// What a scrape reads.
#[derive(Clone, Debug)]
pub struct Sources {
    pub counters: Arc<Counters>,
    pub writer: Arc<WriterStats>,
    pub limits: Arc<Limits>,
    pub counts: Counts,
    pub peers: Arc<crate::peers::Peers>,
}

/// The router for `METRICS_BIND`.
pub fn router(sources: Sources) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(sources)
}

async fn metrics(State(s): State<Sources>) -> Response {
    let mut res = render(&s).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    res
}

/// The exposition text.
pub fn render(s: &Sources) -> String {
    let mut out = String::with_capacity(2048);
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let w = &s.writer;
    family(
        "undersigned_signatures_stored_total",
        "counter",
        "Signatures stored by this process, by the status they were stored with.",
        &[
            ("{status=\"validated\"}", load(&w.validated)),
            ("{status=\"pending\"}", load(&w.pending)),
            ("{status=\"held\"}", load(&w.held)),
            ("{status=\"fraudulent\"}", load(&w.fraudulent)),
        ],
    );
    family(
        "undersigned_signatures_repeated_total",
        "counter",
        "Signing requests from people who had signed already (nothing stored).",
        &[("", load(&w.repeated))],
    );
    let c = &s.counters;
    family(
        "undersigned_signatures_held_total",
        "counter",
        "Signing requests over a signing limit (held, or repeats of an earlier signature), by the limit's policy.",
        &[
            ("{policy=\"network\"}", load(&c.held[0])),
            ("{policy=\"domain\"}", load(&c.held[1])),
            ("{policy=\"email\"}", load(&c.held[2])),
            ("{policy=\"disposable\"}", load(&c.held[3])),
            ("{policy=\"form\"}", load(&c.held[4])),
            ("{policy=\"captcha\"}", load(&c.held[5])),
        ],
    );
    family(
        "undersigned_signing_refused_total",
        "counter",
        "Signing requests refused with 429 as a flood.",
        &[("", load(&c.refused))],
    );
    family(
        "undersigned_connections_open",
        "gauge",
        "Connections this process is serving now.",
        &[("", load(&c.connections_open))],
    );
    family(
        "undersigned_connections_refused_total",
        "counter",
        "Connections refused (answered 429, or closed if too many refusals were under way) because their address had MAX_CONNECTIONS_PER_ADDRESS not yet answered while nearly every place was taken.",
        &[("", load(&c.connections_refused))],
    );
    family(
        "undersigned_signatures_confirmed_total",
        "counter",
        "Signatures that started counting when their signers confirmed by email.",
        &[("", load(&c.confirmed))],
    );
    family(
        "undersigned_signatures_released_total",
        "counter",
        "Held signatures released by staff.",
        &[("", load(&c.released))],
    );
    family(
        "undersigned_writer_batches_total",
        "counter",
        "Signature writer transactions, and those retried one signature at a time.",
        &[("", w.batches()), ("{retried=\"true\"}", w.retried_one_by_one())],
    );
    family(
        "undersigned_limit_keys",
        "gauge",
        "Keys the signing limits hold in memory.",
        &[("", s.limits.keys() as u64)],
    );
    family(
        "undersigned_server_processes",
        "gauge",
        "Server processes serving this database at the last look, this one included (PostgreSQL).",
        &[("", s.peers.seen())],
    );
    family(
        "undersigned_network_limit_in_database",
        "gauge",
        "1 while the network and domain limits are also checked in the database (LIMIT_NETWORK_IN_DATABASE).",
        &[("", u64::from(s.peers.limit_in_database()))],
    );
    let mut tallies = s.counts.all();
    tallies.sort_unstable_by_key(|(id, _)| *id);
    let labels: Vec<(String, u64)> = tallies
        .iter()
        .map(|(id, t)| (format!("{{petition_id=\"{id}\"}}"), u64::try_from(t.validated).unwrap_or(0)))
        .collect();
    let samples: Vec<(&str, u64)> = labels.iter().map(|(l, v)| (l.as_str(), *v)).collect();
    family(
        "undersigned_petition_signatures",
        "gauge",
        "Validated signatures per petition (offline counts aside), as this process last read them.",
        &samples,
    );
    out
}
