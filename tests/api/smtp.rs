//! A mail server for tests: a real SMTP listener on loopback that keeps every message it is
//! given, and can be told to refuse some recipients for good (`550`) or to put off the next
//! messages (`451`), as real servers do.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::Notify,
};

/// A message as it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(&self.data).expect("a message")
    }
}

#[derive(Default)]
struct Inner {
    messages: Mutex<Vec<Received>>,
    /// Recipients refused for good.
    refused: Mutex<Vec<String>>,
    /// How many more messages are put off.
    put_off: Mutex<usize>,
    arrived: Notify,
}

pub struct SmtpSink {
    pub port: u16,
    inner: Arc<Inner>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let inner = Arc::new(Inner::default());
        let shared = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Self { port, inner }
    }

    /// The `SMTP_URL` that reaches it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Refuses `address` for good from now on.
    pub fn refuse(&self, address: &str) {
        self.inner.refused.lock().expect("lock").push(address.to_owned());
    }

    /// Puts off the next `n` messages with a `451`.
    pub fn put_off(&self, n: usize) {
        *self.inner.put_off.lock().expect("lock") = n;
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inner.messages.lock().expect("lock").clone()
    }

    /// Waits (at most `within`) until `n` messages have arrived; returns them all.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let arrived = self.inner.arrived.notified();
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("{n} messages did not arrive within {within:?}; got {}", self.messages().len());
            }
        }
    }
}

/// The address inside `MAIL FROM:<…>` or `RCPT TO:<…>`.
fn address(arg: &str) -> String {
    arg.split('<').nth(1).and_then(|a| a.split('>').next()).unwrap_or_default().to_owned()
}

async fn session(stream: TcpStream, inner: Arc<Inner>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command.get(..4).unwrap_or(&command).to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "RSET" => {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            }
            "MAIL" => {
                from = address(&command);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let rcpt = address(&command);
                if inner.refused.lock().expect("lock").contains(&rcpt) {
                    b"550 5.1.1 No such mailbox here\r\n"
                } else {
                    to.push(rcpt);
                    b"250 OK\r\n"
                }
            }
            "DATA" if to.is_empty() => b"503 5.5.1 No recipients\r\n",
            "DATA" => {
                let put_off = {
                    let mut n = inner.put_off.lock().expect("lock");
                    let now = *n > 0;
                    *n = n.saturating_sub(1);
                    now
                };
                if put_off {
                    b"451 4.3.0 Busy, try again later\r\n"
                } else {
                    write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                    let mut data = Vec::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        // Undo dot-stuffing.
                        data.extend_from_slice(line.strip_prefix('.').unwrap_or(&line).as_bytes());
                    }
                    inner.messages.lock().expect("lock").push(Received {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        data,
                    });
                    inner.arrived.notify_waiters();
                    b"250 2.0.0 Queued\r\n"
                }
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}
