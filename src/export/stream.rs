//! A download written on a blocking thread (the writers block on the rows and on their
//! output) and sent as a response body as it is written. When the browser goes away, writing
//! fails and the download stops, and with it the query that reads it.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use sea_orm::DbErr;
use tokio::sync::mpsc;

use super::download::{self, Kind, Layout};
use crate::db::export::Chunk;

/// The body of a download of `chunks` as `kind` with `layout`.
pub fn body(chunks: mpsc::Receiver<Result<Chunk, DbErr>>, layout: Layout, kind: Kind) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let out = Sink { tx: tx.clone(), buf: Vec::with_capacity(SINK_BYTES) };
        if let Err(e) = download::write(chunks, &layout, kind, out) {
            // The browser went away (nothing to tell), or the download broke off: it ends
            // with an error rather than looking complete.
            tracing::warn!(error = %e, "a download stopped before its end");
            let _ = tx.blocking_send(Err(io::Error::other("the download stopped before its end")));
        }
    });
    Body::from_stream(Stream(rx))
}

/// Bytes a download collects before sending them on.
const SINK_BYTES: usize = 64 * 1024;

/// Where a download is written: its bytes go to the response in pieces of [`SINK_BYTES`]. When
/// the browser has gone, writing fails, and the download stops.
struct Sink {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

/// How long a download waits for the browser to take the next piece before it gives up (and
/// lets go of its database connection and snapshot).
const STALL: std::time::Duration = std::time::Duration::from_secs(60);

impl Sink {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(SINK_BYTES)));
        let waiting = std::time::Instant::now();
        loop {
            match self.tx.try_send(Ok(piece)) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the browser went away"));
                }
                Err(mpsc::error::TrySendError::Full(back)) => {
                    if waiting.elapsed() > STALL {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "the browser stopped reading"));
                    }
                    piece = back.unwrap_or_default();
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= SINK_BYTES {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // What is left after the last write (a writer that does not flush at its end).
        let _ = self.send();
    }
}

/// The response body: the pieces as they come.
struct Stream(mpsc::Receiver<Result<Bytes, io::Error>>);

impl futures::Stream for Stream {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
