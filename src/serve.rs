//! Serving connections, with bounds a slow client cannot stretch: at most `MAX_CONNECTIONS` at
//! once (more wait in the listen queue until one ends), a request head within
//! `HEADER_TIMEOUT_SECONDS` (which also ends a connection that says nothing at all, or is idle
//! between requests), and a head at most [`MAX_HEAD_BYTES`]. When nearly every place is taken,
//! and for `HEADER_TIMEOUT_SECONDS` after, connections accepted then have
//! [`PRESSED_HEADER_TIMEOUT`] for their heads, and public requests on them
//! [`PRESSED_BODY_TIMEOUT`] for their bodies, so a crowd of slow clients gives its places up
//! quickly to people. Then, too, an address (an IPv6 /64) with
//! `MAX_CONNECTIONS_PER_ADDRESS` connections not yet answered has its new ones refused with
//! `429`, so that one source cannot fill the listen queue ahead of everyone else (trusted
//! proxies, which carry everyone's requests, never are). A public request's body is bounded by the router's body
//! limit and `BODY_TIMEOUT_SECONDS`, any request by `REQUEST_TIMEOUT_SECONDS`.
//!
//! HTTP/1.1 only: TLS and HTTP/2 are the reverse proxy's (an HTTP/2 connection without TLS has
//! no head to time out, and could hold its place for ever).

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::IpAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Extension, Router, extract::ConnectInfo};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use ipnet::IpNet;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::Semaphore,
};
use tower::{Layer, util::MapResponseLayer};
use tower_http::timeout::DeadlineBody;

use crate::metrics::Counters;

/// The largest request head (request line and headers) read: a longer one is refused with
/// `431`. Pages' requests are a few hundred bytes; a proxy's, a few kilobytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The time for a request head on connections accepted when fewer than an eighth of the places
/// are free, or were within `HEADER_TIMEOUT_SECONDS`.
pub const PRESSED_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// The time for a public request's body on connections accepted when places were short (if
/// `BODY_TIMEOUT_SECONDS` is longer). A signing form is a few hundred bytes, most often sent
/// with its head.
pub const PRESSED_BODY_TIMEOUT: Duration = Duration::from_secs(2);

/// On every request served here: whether its connection was accepted while fewer than an
/// eighth of the places were free, or soon after ([`BodyDeadlineLayer`] reads it).
#[derive(Clone, Copy, Debug)]
pub struct Pressed(pub bool);

/// Gives a request's body a deadline from its first byte to its last: `BODY_TIMEOUT_SECONDS`,
/// or on a connection accepted while places were short, [`PRESSED_BODY_TIMEOUT`] if that is
/// sooner. Past it, reading the body fails (a form's extractor answers `400`).
#[derive(Clone, Copy, Debug)]
pub struct BodyDeadlineLayer {
    pub relaxed: Duration,
}

impl<S> Layer<S> for BodyDeadlineLayer {
    type Service = BodyDeadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyDeadline { inner, relaxed: self.relaxed, pressed: self.relaxed.min(PRESSED_BODY_TIMEOUT) }
    }
}

/// The service of [`BodyDeadlineLayer`].
#[derive(Clone, Copy, Debug)]
pub struct BodyDeadline<S> {
    inner: S,
    relaxed: Duration,
    pressed: Duration,
}

impl<S, B> tower::Service<axum::http::Request<B>> for BodyDeadline<S>
where
    S: tower::Service<axum::http::Request<DeadlineBody<B>>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let pressed = req.extensions().get::<Pressed>().is_some_and(|p| p.0);
        let deadline = if pressed { self.pressed } else { self.relaxed };
        self.inner.call(req.map(|body| DeadlineBody::new(deadline, body)))
    }
}

/// How connections are bounded.
#[derive(Clone, Debug)]
pub struct Bounds {
    pub max_connections: usize,
    pub header_timeout: Duration,
    /// While fewer than an eighth of the places are free, the most connections not yet
    /// answered one address may have before more from it are refused.
    pub per_address: usize,
    /// Peers never refused for holding many connections: the trusted reverse proxies.
    pub exempt: Vec<IpNet>,
    /// Where open and refused connections are counted (`/metrics`).
    pub counters: Arc<Counters>,
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits for
/// the open connections to finish their requests. Handlers see the peer as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    bounds: Bounds,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(bounds.max_connections));
    let builder = |header_timeout: Duration| {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_header_size(MAX_HEAD_BYTES)
            .max_buf_size(MAX_HEAD_BYTES);
        builder
    };
    let relaxed = builder(bounds.header_timeout);
    let pressed = builder(bounds.header_timeout.min(PRESSED_HEADER_TIMEOUT));
    let pressure = bounds.max_connections / 8;
    let holders = Arc::new(Holders::default());
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let refusal = refusal_answer();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    // Short timeouts stay on for `HEADER_TIMEOUT_SECONDS` after places last ran short: when the
    // slow connections accepted before then time out together, the crowd queued behind them
    // would otherwise be let in with the long ones, and hold every place as long again.
    let mut pressed_until: Option<tokio::time::Instant> = None;
    loop {
        // A free place first, then a connection to fill it: past the bound, connections wait in
        // the kernel's queue rather than in this process's memory.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // Out of file descriptors, most likely: wait for some to close.
                        tracing::error!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let is_short = permits.available_permits() < pressure;
        let now = tokio::time::Instant::now();
        if is_short {
            pressed_until = Some(now + bounds.header_timeout);
        }
        let is_pressed = is_short || pressed_until.is_some_and(|until| now < until);
        let ip = peer.ip().to_canonical();
        let hold = if bounds.exempt.iter().any(|net| net.contains(&ip)) {
            None
        } else {
            let most = if is_short { bounds.per_address } else { usize::MAX };
            match holders.take(crate::limits::network_of(ip), most) {
                Some(hold) => Some(hold),
                None => {
                    // The place goes back at once: a refusal waits on no place.
                    drop(permit);
                    refuse(stream, &refusal, &refusals, &bounds.counters);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        // The connection counts against its address until it has had its first answer: a
        // browser's kept-alive connections, already served, do not.
        let waiting = Arc::new(Mutex::new(hold));
        let answered = MapResponseLayer::new(move |res: axum::response::Response| {
            waiting.lock().unwrap_or_else(PoisonError::into_inner).take();
            res
        });
        let service = TowerToHyperService::new(
            Extension(ConnectInfo(peer))
                .layer(Extension(Pressed(is_pressed)).layer(answered.layer(router.clone()))),
        );
        let builder = if is_pressed { &pressed } else { &relaxed };
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        let counters = bounds.counters.clone();
        counters.connections_open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            counters.connections_open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Connections per address (an IPv6 address's /64) not yet answered, for
/// [`Bounds::per_address`].
#[derive(Debug, Default)]
struct Holders(Mutex<HashMap<IpAddr, usize>>);

impl Holders {
    /// A place for one more connection from `key`, unless it already holds `most`.
    fn take(self: &Arc<Self>, key: IpAddr, most: usize) -> Option<Hold> {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if held.get(&key).copied().unwrap_or(0) >= most {
            return None;
        }
        *held.entry(key).or_insert(0) += 1;
        Some(Hold { holders: self.clone(), key })
    }

    /// How many connections `key` holds now.
    #[cfg(test)]
    fn held(&self, key: IpAddr) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&key).copied().unwrap_or(0)
    }
}

/// One connection's place in [`Holders`], given back when dropped.
#[derive(Debug)]
struct Hold {
    holders: Arc<Holders>,
    key: IpAddr,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut held = self.holders.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// The answer to a connection refused because its address has too many waiting: the
/// catalogue's line in every language the pages speak (the request is not parsed, so its
/// language is not known).
fn refusal_answer() -> Arc<[u8]> {
    let text: String =
        crate::i18n::LOCALES.iter().map(|l| format!("{}\n", l.t("too-many-connections"))).collect();
    format!(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {REFUSAL_RETRY_SECONDS}\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
    .into_bytes()
    .into()
}

/// Seconds a refused client is asked to wait.
const REFUSAL_RETRY_SECONDS: u32 = 10;

/// Refused connections answered at once, at most: past these, more are closed unanswered.
const REFUSALS_AT_ONCE: usize = 256;

/// Longest a refused connection is kept for its request to arrive, and then for the answer to go.
const REFUSAL_WAIT: Duration = Duration::from_secs(1);

/// Answers a connection with `429` and closes it, holding no place. It waits (at most
/// [`REFUSAL_WAIT`]) for the request to arrive first, since a client answered before it has
/// asked takes the answer for a broken connection, then writes the answer and reads what else
/// comes until the client closes (at most [`REFUSAL_WAIT`] again), since closing with bytes
/// unread would reset the connection under the answer. With [`REFUSALS_AT_ONCE`] already
/// waiting, it closes the connection unanswered. A warning (with no address) goes to the log
/// at most once a minute.
fn refuse(stream: TcpStream, answer: &Arc<[u8]>, refusals: &Arc<Semaphore>, counters: &Counters) {
    let refused = counters.connections_refused.fetch_add(1, Ordering::Relaxed) + 1;
    static WARNED_AT: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let last = WARNED_AT.load(Ordering::Relaxed);
    if now >= last + 60 && WARNED_AT.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    {
        tracing::warn!(
            refused_so_far = refused,
            "nearly every connection place is taken, and an address has MAX_CONNECTIONS_PER_ADDRESS connections not yet answered: its new ones are refused"
        );
    }
    let Ok(turn) = refusals.clone().try_acquire_owned() else { return };
    let answer = answer.clone();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut stream = stream;
        // Wait for the first bytes (readiness can be reported before any arrive), then take
        // what else has come.
        let mut scratch = [0u8; 4096];
        let asked = tokio::time::timeout(REFUSAL_WAIT, async {
            loop {
                stream.readable().await?;
                match stream.try_read(&mut scratch) {
                    Ok(0) => return Ok(false),
                    Ok(_) => return Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
        })
        .await;
        if !matches!(asked, Ok(Ok(true))) {
            return;
        }
        for _ in 0..16 {
            match stream.try_read(&mut scratch) {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
        // Then what still comes is read until the client closes, so that closing does not reset
        // the connection under the answer.
        let _ = tokio::time::timeout(REFUSAL_WAIT, async {
            use tokio::io::AsyncReadExt;
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            while stream.read(&mut scratch).await? > 0 {}
            io::Result::Ok(())
        })
        .await;
        drop(turn);
    });
}

/// Raises this process's limit on open files as far as the system lets it, and returns how many
/// connections fit under it: `wanted`, or fewer (said in the log), leaving room for the
/// database's connections, the listeners, the files the server opens and the connections being
/// refused.
pub fn fit_connections(wanted: usize) -> usize {
    const ROOM: u64 = 256 + REFUSALS_AT_ONCE as u64;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => {
            let fits = usize::try_from(files.saturating_sub(ROOM)).unwrap_or(usize::MAX).max(16);
            if wanted > fits {
                tracing::warn!(
                    max_connections = wanted,
                    open_files = files,
                    serving = fits,
                    "MAX_CONNECTIONS is more than this process may have files open; raise the limit (ulimit -n)"
                );
                return fits;
            }
            wanted
        }
        Err(e) => {
            tracing::warn!(error = %e, "the limit on open files could not be read or raised");
            wanted
        }
    }
}

/// Errors that concern one connection only (the peer went away before it was accepted).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_share_and_gives_places_back() {
        let holders = Arc::new(Holders::default());
        let a: IpAddr = "203.0.113.7".parse().expect("an address");
        let b: IpAddr = "2001:db8::".parse().expect("an address");
        let mut held: Vec<Hold> = (0..3).filter_map(|_| holders.take(a, 3)).collect();
        assert_eq!(held.len(), 3);
        assert!(holders.take(a, 3).is_none(), "a fourth while three are held");
        // Another address, and the same one with room to spare, are let in.
        let other = holders.take(b, 3).expect("another address");
        let spare = holders.take(a, usize::MAX).expect("no bound");
        assert_eq!(holders.held(a), 4);
        drop(spare);
        held.pop();
        assert_eq!(holders.held(a), 2);
        assert!(holders.take(a, 3).is_some(), "a place given back is taken again");
        held.clear();
        drop(other);
        assert!(holders.0.lock().expect("not poisoned").is_empty(), "nothing is kept for gone addresses");
    }
}
