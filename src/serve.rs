//! Serving connections, with bounds a slow client cannot stretch: at most `MAX_CONNECTIONS` at
//! once (more wait in the listen queue until one ends), a request head within
//! `HEADER_TIMEOUT_SECONDS` (which also ends a connection that says nothing at all, or is idle
//! between requests), and a head at most [`MAX_HEAD_BYTES`]. When nearly every place is taken,
//! connections accepted then have [`PRESSED_HEADER_TIMEOUT`] for their heads, so a crowd of slow
//! clients gives its places up quickly to people. A public request's body is bounded by the
//! router's body limit and `BODY_TIMEOUT_SECONDS`, any request by `REQUEST_TIMEOUT_SECONDS`.
//!
//! HTTP/1.1 only: TLS and HTTP/2 are the reverse proxy's (an HTTP/2 connection without TLS has
//! no head to time out, and could hold its place for ever).

use std::{future::Future, io, sync::Arc, time::Duration};

use axum::{Extension, Router, extract::ConnectInfo};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::Layer;

/// The largest request head (request line and headers) read: a longer one is refused with
/// `431`. Pages' requests are a few hundred bytes; a proxy's, a few kilobytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The time for a request head on connections accepted when fewer than an eighth of the places
/// are free.
pub const PRESSED_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// How connections are bounded.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub max_connections: usize,
    pub header_timeout: Duration,
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
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
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
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(Extension(ConnectInfo(peer)).layer(router.clone()));
        let builder = if permits.available_permits() < pressure { &pressed } else { &relaxed };
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Raises this process's limit on open files as far as the system lets it, and returns how many
/// connections fit under it: `wanted`, or fewer (said in the log), leaving room for the
/// database's connections, the listeners and the files the server opens.
pub fn fit_connections(wanted: usize) -> usize {
    const ROOM: u64 = 256;
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
