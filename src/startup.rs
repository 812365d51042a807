//! Building and running the server: connect, migrate, start the signature writer, bind, serve,
//! and shut down gracefully.

use std::{
    future::Future,
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use chrono::Utc;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::{HeaderName, HeaderValue, StatusCode, header},
};
use tokio::{net::TcpListener, sync::Notify, task::JoinHandle};
use tower_http::{
    CompressionLevel,
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::{
    cache::{CodeCache, ImageCache, LandingCache, PageCache, PetitionCache},
    config::Config,
    db::{
        Database, petitions, staff,
        writer::{SignatureWriter, StoredLimits, WriterStats, WriterTask},
    },
    mail::Mail,
    peers::Peers,
    routes::{self, admin, visitor::cookie_key},
    state::{AppState, Shared},
    tally::{Counts, Tally},
    visits::Visits,
    webhooks::Worker,
};

/// A server that is bound and ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Database,
    writer: WriterTask,
    writer_stats: Arc<WriterStats>,
    refresher: JoinHandle<()>,
    peers: Arc<Peers>,
    heartbeat: JoinHandle<()>,
    flush: Arc<Flush>,
    visit_writer: JoinHandle<()>,
    /// Lets the signing limits forget stale keys.
    pruner: JoinHandle<()>,
    /// Serves `/metrics` on `METRICS_BIND`.
    metrics: Option<JoinHandle<()>>,
    webhooks: Worker,
    mail: Mail,
    setup_link: Option<String>,
    bounds: crate::serve::Bounds,
}

impl Application {
    /// Connects, migrates, starts the writer and binds `config.bind` (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = Database::connect(&config.database_url).await?;
        db.migrate().await?;
        let listener = TcpListener::bind(config.bind).await?;
        Self::with_database(config, db, listener).await
    }

    async fn with_database(config: Config, db: Database, listener: TcpListener) -> anyhow::Result<Self> {
        let secret = crate::db::settings::secret_key(&db.write, config.secret_key()).await?;
        let cookie_key = cookie_key(&secret).ok_or_else(|| {
            anyhow::anyhow!(
                "the secret key stored in the database is shorter than {} bytes; set SECRET_KEY",
                Config::MIN_SECRET_KEY_BYTES
            )
        })?;
        let counts = Counts::default();
        refresh(&db, &counts).await?;
        let peers = Arc::new(Peers::new(config.limit_network_in_database, db.write.get_database_backend()));
        peers.beat(&db.write).await?;
        let heartbeat = tokio::spawn(peers.clone().watch(db.write.clone()));
        let outbox = Arc::new(Notify::new());
        let mail_wake = Arc::new(Notify::new());
        let (writer, writer_task) = SignatureWriter::start(
            db.write.clone(),
            counts.clone(),
            outbox.clone(),
            mail_wake.clone(),
            StoredLimits { network: config.limits.network.clone(), domain: config.limits.domain.clone() },
            peers.clone(),
        );
        let writer_stats = writer.stats();
        let refresher = tokio::spawn(refresh_counts(db.clone(), counts.clone()));
        let visits = Visits::default();
        let flush = Arc::new(Flush {
            db: db.clone(),
            visits: visits.clone(),
            public_url: config.absolute(""),
            outbox: outbox.clone(),
        });
        let visit_writer = tokio::spawn(store_visits_every(VISIT_FLUSH, flush.clone()));
        let webhooks =
            Worker::start(db.clone(), config.webhooks.clone(), &config.absolute(""), outbox.clone())?;
        let mail = Mail::start(db.clone(), &config, mail_wake.clone())?;
        // With no staff account yet, a one-time link creates the first admin.
        let needs_setup = !staff::any(&db.read).await?;
        let setup_link = if needs_setup {
            let token = staff::new_link(&db.write, None, admin::SETUP_LINK, Utc::now()).await?;
            Some(config.absolute(&format!("/admin/setup/{token}")))
        } else {
            None
        };
        let limits = Arc::new(crate::limits::Limits::new(&config.limits));
        let pruner = tokio::spawn(forget_stale_limits(limits.clone()));
        let counters = Arc::<crate::metrics::Counters>::default();
        let metrics = match config.metrics_bind {
            Some(addr) => {
                let sources = crate::metrics::Sources {
                    counters: counters.clone(),
                    peers: peers.clone(),
                    writer: writer_stats.clone(),
                    limits: limits.clone(),
                    counts: counts.clone(),
                };
                let listener = TcpListener::bind(addr)
                    .await
                    .map_err(|e| anyhow::anyhow!("METRICS_BIND {addr} cannot be listened on: {e}"))?;
                tracing::info!(%addr, "serving /metrics");
                Some(tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, crate::metrics::router(sources)).await {
                        tracing::error!(error = %e, "the metrics server stopped");
                    }
                }))
            }
            None => None,
        };
        let captcha = config.captcha.clone().map(crate::captcha::Captcha::new).transpose()?;
        let form_tokens = crate::limits::FormTokens::new(
            cookie_key.signing(),
            config.limits.form_min,
            config.limits.form_max,
        );
        let state = AppState::new(Shared {
            db: db.clone(),
            config: Arc::new(config),
            writer,
            counts,
            petitions: PetitionCache::default(),
            landings: LandingCache::default(),
            codes: CodeCache::default(),
            images: ImageCache::default(),
            pages: PageCache::default(),
            cookie_key,
            signed_cookies: Default::default(),
            visits: visits.clone(),
            share_texts: Default::default(),
            login_limits: Default::default(),
            limits,
            form_tokens,
            captcha,
            counters,
            peers: peers.clone(),
            needs_setup: AtomicBool::new(needs_setup),
            mail_wake,
            hooks_wake: outbox.clone(),
        });
        let bounds = crate::serve::Bounds {
            max_connections: crate::serve::fit_connections(state.config.max_connections),
            header_timeout: state.config.header_timeout,
            per_address: state.config.max_connections_per_address,
            exempt: state.config.trusted_proxies.clone(),
            counters: state.counters.clone(),
        };
        let router = app(state);
        Ok(Self {
            listener,
            router,
            db,
            writer: writer_task,
            writer_stats,
            refresher,
            peers,
            heartbeat,
            flush,
            visit_writer,
            pruner,
            metrics,
            webhooks,
            mail,
            setup_link,
            bounds,
        })
    }

    /// The one-time link that creates the first admin, when there is no staff account yet.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// What the signature writer has done, as it goes.
    pub fn writer_stats(&self) -> Arc<WriterStats> {
        self.writer_stats.clone()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish, commits every
    /// queued signature and closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            listener,
            router,
            db,
            writer,
            refresher,
            peers,
            heartbeat,
            flush,
            visit_writer,
            pruner,
            metrics,
            webhooks,
            mail,
            bounds,
            ..
        } = self;
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "listening");
        }
        let served = crate::serve::serve(listener, router, bounds, shutdown).await;
        // The router (and with it every writer handle) is gone now: the writer drains and stops.
        writer.join().await;
        refresher.abort();
        // Ended before leaving, so that a last look cannot put the row back.
        heartbeat.abort();
        let _ = heartbeat.await;
        peers.leave(&db.write).await;
        pruner.abort();
        if let Some(m) = metrics {
            m.abort();
        }
        visit_writer.abort();
        // The visits counted since the last write.
        store_visits(&flush).await;
        webhooks.stop().await;
        mail.stop().await;
        db.close().await;
        tracing::info!("stopped");
        served
    }
}

/// The router with its middleware: request timeout, body limit, panic catcher, security
/// headers, error pages (which log server errors) and tracing by matched route.
pub fn app(state: AppState) -> Router {
    let timeout = state.config.request_timeout;
    let body_limit = state.config.max_body_bytes;
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str());
            tracing::info_span!("request", method = %req.method(), route)
        })
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::DEBUG))
        .on_failure(());
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let errors = axum::middleware::from_fn_with_state(state.clone(), routes::errors::error_pages);
    let widget = state.captcha.as_ref().and_then(|c| {
        let sources = c.settings.provider.sources();
        HeaderValue::from_str(&routes::content_security_policy_with("'none'", Some(sources))).ok()
    });
    let policy = HeaderValue::from_str(&routes::content_security_policy("'none'"))
        .unwrap_or(HeaderValue::from_static("frame-ancestors 'none'"));
    // Served over https (as `PUBLIC_URL` says): browsers keep to https for a year.
    let hsts = state.config.secure_cookies().then(|| HeaderValue::from_static("max-age=31536000"));
    routes::router(state.clone())
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(CatchPanicLayer::new())
        .layer(errors)
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        // Pages that may be framed (the embed) say so, and set their own policy.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            |res: &axum::response::Response| {
                res.extensions()
                    .get::<routes::embed::Frameable>()
                    .is_none()
                    .then_some(HeaderValue::from_static("DENY"))
            },
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            move |res: &axum::response::Response| match res.extensions().get::<routes::ThirdParty>() {
                // Only the instance's one provider is ever let in: its policy is made once.
                Some(_) => widget.clone(),
                None => Some(policy.clone()),
            },
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &axum::response::Response| hsts.clone(),
        ))
        .layer(header(header::CACHE_CONTROL, "no-cache"))
        // Pages and the stylesheet for slow phones: brotli or gzip at the fastest level, since
        // each page is compressed as it is served (pages are a few kilobytes; images are
        // compressed already and left alone).
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(trace)
}

/// Lets the signing limits forget what is past, every [`crate::limits::FORGET_EVERY`] (each
/// limiter holds every key seen within its period: at 10,000 signatures a second, hundreds of
/// thousands).
async fn forget_stale_limits(limits: Arc<crate::limits::Limits>) {
    let mut tick = tokio::time::interval(crate::limits::FORGET_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        limits.forget_stale();
    }
}

/// Reads every tally from the database into `counts`.
async fn refresh(db: &Database, counts: &Counts) -> Result<(), sea_orm::DbErr> {
    for t in petitions::tallies(&db.read).await? {
        counts.record(t.petition_id, Tally::from(&t));
    }
    Ok(())
}

/// Re-reads tallies every second so counts written by other server processes show up.
async fn refresh_counts(db: Database, counts: Counts) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = refresh(&db, &counts).await {
            tracing::warn!(error = %crate::error::chain(&e), "refreshing counts failed");
        }
    }
}

/// How often counted visits are added to the database.
const VISIT_FLUSH: Duration = Duration::from_secs(2);

/// What storing counted visits and clicks needs.
struct Flush {
    db: Database,
    visits: Visits,
    /// For the petition links in `share.clicked` bodies.
    public_url: String,
    /// Woken when deliveries were written.
    outbox: Arc<Notify>,
}

/// Adds the visits and clicks counted so far to the database (with the `share.clicked`
/// deliveries that report them); on failure they are kept for the next try.
async fn store_visits(f: &Flush) {
    let counted = f.visits.take();
    match crate::db::counted::add(&f.db.write, &counted, &f.public_url).await {
        Ok(true) => f.outbox.notify_one(),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %crate::error::chain(&e), "storing visits and share clicks failed; they are kept for the next try");
            f.visits.put_back(counted);
        }
    }
}

async fn store_visits_every(every: Duration, f: Arc<Flush>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        store_visits(&f).await;
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
