//! Hostile input on the signing form: each request gets a clear 4xx, or, for an unusual but
//! real signer, is stored exactly as typed; nothing is stored wrongly, the count stays right
//! and the server stays healthy.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::{
    admin::{account, get},
    helpers::{Signer, TestApp, free_port, spawn_app, spawn_app_with},
};

/// A form body as given (bytes, possibly not UTF-8), with `content_type`.
async fn post_raw(app: &TestApp, body: Vec<u8>, content_type: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/p/h/sign"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent")
}

const FORM: &str = "application/x-www-form-urlencoded";

/// The rest of a valid form, after a first field.
fn rest(email: &str) -> String {
    format!("&family_name=Ruiz&email={email}&postal_code=94110")
}

/// Every signature of petition `h` as the export writes it (JSON).
fn exported(app: &TestApp) -> Vec<serde_json::Value> {
    let out = app.cli(&["export", "--petition", "h", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON array")
}

#[tokio::test]
async fn hostile_forms_get_a_clear_refusal_and_store_nothing() {
    let app = spawn_app().await;
    let id = app.open_petition("h").await;
    let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a NUL byte", format!("given_name=Ana%00{}", rest("n1@example.org")).into_bytes(), FORM),
        (
            "a name of bytes that are not UTF-8",
            format!("given_name=%FF%FE{}", rest("n2@example.org")).into_bytes(),
            FORM,
        ),
        (
            "an email with a line break",
            "given_name=Ana&family_name=Ruiz&email=n3@example.org%0D%0ABcc:x@example.org&postal_code=94110"
                .into(),
            FORM,
        ),
        (
            "a duplicated field",
            format!("given_name=Ana&given_name=Eve{}", rest("n4@example.org")).into_bytes(),
            FORM,
        ),
        ("JSON", br#"{"given_name":"Ana"}"#.to_vec(), "application/json"),
        ("plain text", format!("given_name=Ana{}", rest("n5@example.org")).into_bytes(), "text/plain"),
        ("no content type", format!("given_name=Ana{}", rest("n6@example.org")).into_bytes(), ""),
        ("an empty body", Vec::new(), FORM),
        (
            "a megabyte",
            format!("given_name=Ana{}&comment={}", rest("n7@example.org"), "x".repeat(1 << 20)).into_bytes(),
            FORM,
        ),
        ("a megabyte of fields", "a=b&".repeat(1 << 18).into_bytes(), FORM),
    ];
    // Raw bytes that are not UTF-8 at all, not even percent-encoded.
    let mut raw = b"given_name=".to_vec();
    raw.extend([0xff, 0xfe, 0xc3]);
    raw.extend(rest("n8@example.org").into_bytes());
    cases.push(("raw bytes that are not UTF-8", raw, FORM));
    for (what, body, content_type) in cases {
        let res = post_raw(&app, body, content_type).await;
        let status = res.status();
        assert!(status.is_client_error(), "{what}: {status}");
        let page = res.text().await.expect("text");
        assert!(page.contains("<html") && page.contains("</html>"), "{what}: a page says why\n{page}");
        assert_eq!(app.rows(id).await, 0, "{what}: nothing stored");
    }
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.count("h").await, 0);
}

#[tokio::test]
async fn unusual_real_signers_are_stored_exactly_as_typed() {
    let app = spawn_app().await;
    let id = app.open_petition("h").await;
    let signers = [
        Signer::new("obrien@example.org")
            .with("given_name", "Siobhán")
            .with("family_name", "O'Brien-Ó Súilleabháin"),
        Signer::new("rtl@example.org").with("given_name", "مريم").with("family_name", "כהן"),
        Signer::new("emoji@example.org")
            .with("given_name", "Ana ✊🏽")
            .with("comment", "Staff the ward ✊🏽 ¡ya!"),
        Signer::new("sql@example.org")
            .with("given_name", "Robert'); DROP TABLE signatures;--")
            .with("comment", "' OR '1'='1"),
        Signer::new("markup@example.org").with("given_name", "<script>alert(1)</script>Ana"),
        Signer::new("long@example.org").with("given_name", &"Ñ".repeat(100)),
        // A homoglyph of an address above (a Cyrillic "а"): another mailbox, so another signer,
        // kept as typed (making up addresses needs no homoglyphs; confirmation is the answer).
        Signer::new("\u{430}bc@example.org").with("given_name", "Abc"),
    ];
    for s in &signers {
        let res = app.sign_fresh("h", s).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", s.fields);
    }
    assert_eq!(app.count("h").await, 7);
    assert_eq!(app.recount(id).await, 7);
    let rows = exported(&app);
    for s in &signers {
        let field = |k: &str| s.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let email = field("email").expect("an email");
        let row = rows.iter().find(|r| r["email"] == email).unwrap_or_else(|| panic!("{email} exported"));
        assert_eq!(row["given_name"], field("given_name").expect("a name"), "{email}");
        if let Some(comment) = field("comment") {
            assert_eq!(row["comment"], comment, "{email}");
        }
    }
    // Staff see the names as text, never as markup.
    let organizer = account(&app, "org@example.org", "organizer").await;
    let (_, page) = get(&organizer, &app, &format!("/admin/campaigns/{id}/signatures")).await;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;Ana") && !page.contains("<script>alert(1)"),
        "{page}"
    );
    assert!(page.contains("Robert&#39;); DROP TABLE") || page.contains("Robert'); DROP TABLE"), "{page}");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// Connects to the test server and sends `bytes`, leaving the connection open.
async fn connect_and_send(app: &TestApp, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connected");
    stream.write_all(bytes).await.expect("sent");
    stream
}

/// Everything the server sends until it closes the connection, or `None` if it has not closed
/// it within `wait`.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, wait: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut out)).await {
        Ok(Ok(_)) => Some(String::from_utf8_lossy(&out).into_owned()),
        // A reset is a close too.
        Ok(Err(_)) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_head_sent_slowly_is_cut_off_and_frees_its_place() {
    let app = spawn_app_with(&[("HEADER_TIMEOUT_SECONDS", "1"), ("MAX_CONNECTIONS", "16")]).await;
    app.open_petition("h").await;
    let started = Instant::now();
    // Sixteen connections that never finish their heads take every place: eight that started
    // one, four that say nothing at all, four that start HTTP/2's opening line and stop.
    let mut slow = Vec::new();
    for i in 0..16 {
        let sent: &[u8] = match i % 4 {
            0 | 1 => b"POST /p/h/sign HTTP/1.1\r\nHost: x\r\nContent-Le",
            2 => b"",
            _ => b"PRI * HT",
        };
        slow.push(connect_and_send(&app, sent).await);
    }
    // Given time to be accepted, the seventeenth waits: no place is free.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut waiting =
        connect_and_send(&app, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(
        read_until_closed(&mut waiting, Duration::from_millis(300)).await,
        None,
        "answered although every place was taken"
    );
    // The slow heads are cut off after a second, and the waiting request is answered then.
    let answer = read_until_closed(&mut waiting, Duration::from_secs(10)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "answered after {waited:?}, before any head timed out");
    for s in &mut slow {
        let cut = read_until_closed(s, Duration::from_secs(5)).await.expect("the slow connection is closed");
        assert!(!cut.contains("200 OK"), "{cut}");
    }
    // A connection idle between requests is closed as well.
    let mut idle = connect_and_send(&app, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let answer =
        read_until_closed(&mut idle, Duration::from_secs(5)).await.expect("an idle connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(app.count("h").await, 0);
    assert_eq!(app.client.get(app.url("/healthz")).send().await.expect("healthz").status(), StatusCode::OK);
}

/// Sends `bytes` on `stream` one every `every`, and returns what the server answers before it
/// closes the connection (empty if it does not within 20 s).
async fn trickled(
    mut stream: tokio::net::TcpStream,
    bytes: impl Iterator<Item = u8>,
    every: Duration,
) -> String {
    let (mut read, mut write) = stream.split();
    let dribble = async {
        use tokio::io::AsyncWriteExt;
        for b in bytes {
            if write.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(every).await;
        }
    };
    let answer = async {
        use tokio::io::AsyncReadExt;
        let mut out = Vec::new();
        let _ = read.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    };
    tokio::select! {
        a = answer => a,
        () = dribble => String::new(),
        () = tokio::time::sleep(Duration::from_secs(20)) => String::new(),
    }
}

/// Connects from `source` (a loopback address of this machine) and sends `bytes`.
async fn connect_from(app: &TestApp, source: [u8; 4], bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let host: std::net::SocketAddr = app.address.trim_start_matches("http://").parse().expect("an address");
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.bind((std::net::Ipv4Addr::from(source), 0).into()).expect("bound to a loopback address");
    let mut stream = socket.connect(host).await.expect("connected");
    stream.write_all(bytes).await.expect("sent");
    stream
}

/// The value of one `/metrics` sample.
async fn metric(bind: &str, name: &str) -> Option<u64> {
    let text = reqwest::get(format!("http://{bind}/metrics")).await.ok()?.text().await.ok()?;
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// One whole answer read from a kept-alive connection (its head, and a body as long as it
/// says).
async fn read_answer(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            let text = String::from_utf8_lossy(&out).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:")?.trim().parse().ok())
                    .unwrap_or(0usize);
                if out.len() >= end + 4 + length {
                    return text;
                }
            }
            match stream.read(&mut chunk).await {
                Ok(n) if n > 0 => out.extend_from_slice(&chunk[..n]),
                _ => return String::from_utf8_lossy(&out).into_owned(),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.expect("an answer within 10 s")
}

const ASK: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// A server of sixteen places, at most four connections not yet answered per address while
/// fewer than two are free, and thirty seconds for heads and bodies otherwise; and its
/// `/metrics` address.
async fn sixteen_places(more: &[(&str, &str)]) -> (TestApp, String) {
    let bind = format!("127.0.0.1:{}", free_port());
    let mut settings = vec![
        ("MAX_CONNECTIONS", "16"),
        ("MAX_CONNECTIONS_PER_ADDRESS", "4"),
        ("HEADER_TIMEOUT_SECONDS", "30"),
        ("BODY_TIMEOUT_SECONDS", "30"),
        ("METRICS_BIND", &bind),
    ];
    settings.extend_from_slice(more);
    let app = spawn_app_with(&settings).await;
    (app, bind)
}

/// Waits until the server at `bind` serves `n` connections.
async fn serving(bind: &str, n: u64) {
    crate::mail::eventually(&format!("{n} connections served"), || async {
        metric(bind, "undersigned_connections_open").await == Some(n)
    })
    .await;
}

/// `n` connections from `source` that say nothing.
async fn quiet(app: &TestApp, source: [u8; 4], n: usize) -> Vec<tokio::net::TcpStream> {
    let mut quiet = Vec::new();
    for _ in 0..n {
        quiet.push(connect_from(app, source, b"").await);
    }
    quiet
}

#[tokio::test]
async fn one_address_cannot_take_the_last_places() {
    let (app, bind) = sixteen_places(&[]).await;
    app.open_petition("h").await;
    // Fourteen quiet ones from one address, none answered: with places to spare, allowed.
    let _quiet = quiet(&app, [127, 0, 0, 1], 14).await;
    serving(&bind, 14).await;
    // Two places are left: the same address is refused at once, in both languages...
    let started = Instant::now();
    let mut refused = connect_from(&app, [127, 0, 0, 1], ASK).await;
    let answer = read_until_closed(&mut refused, Duration::from_secs(5)).await.expect("refused and closed");
    assert!(answer.starts_with("HTTP/1.1 429 Too Many Requests\r\n"), "{answer}");
    assert!(answer.contains("\r\nRetry-After: 10\r\n"), "{answer}");
    assert!(answer.contains("Too many connections") && answer.contains("Demasiadas conexiones"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2), "refused after {:?}", started.elapsed());
    // An HTTP client takes it as an answer, not a broken connection.
    let res = app.client.get(app.url("/healthz")).send().await.expect("an answer");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("10"));
    // ...while another address is served.
    let mut other = connect_from(&app, [127, 0, 0, 2], ASK).await;
    let answer = read_until_closed(&mut other, Duration::from_secs(5)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A form body still trickling in on a connection accepted then has two seconds, however long
    // BODY_TIMEOUT_SECONDS is.
    let started = Instant::now();
    let head = "POST /p/h/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ngiven_name=A";
    let trickle = connect_from(&app, [127, 0, 0, 3], head.as_bytes()).await;
    let answer = trickled(trickle, std::iter::repeat(b'a'), Duration::from_millis(200)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_secs(5), "cut off after {took:?}");
    assert_eq!(metric(&bind, "undersigned_connections_refused_total").await, Some(2));
    assert_eq!(crate::paper::scalar(&app, "SELECT COUNT(*) AS n FROM signatures").await, 0);
}

/// A browser's kept-alive connections, already answered, do not count against its address.
#[tokio::test]
async fn answered_connections_do_not_count_against_their_address() {
    const KEEP: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let (app, bind) = sixteen_places(&[]).await;
    let mut kept = Vec::new();
    for _ in 0..14 {
        let mut s = connect_from(&app, [127, 0, 0, 1], KEEP).await;
        assert!(read_answer(&mut s).await.starts_with("HTTP/1.1 200"));
        kept.push(s);
    }
    serving(&bind, 14).await;
    // Places are short, and the address has fourteen kept: it is served.
    let mut asked = connect_from(&app, [127, 0, 0, 1], ASK).await;
    let answer = read_until_closed(&mut asked, Duration::from_secs(5)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(metric(&bind, "undersigned_connections_refused_total").await, Some(0));
}

/// An address's connections that end give their places back; and the short timeouts outlast the
/// shortage of places by `HEADER_TIMEOUT_SECONDS`.
#[tokio::test]
async fn places_go_back_and_short_timeouts_linger() {
    let (app, bind) = sixteen_places(&[]).await;
    // Fourteen quiet ones from one address, that end.
    let first = quiet(&app, [127, 0, 0, 1], 14).await;
    serving(&bind, 14).await;
    drop(first);
    serving(&bind, 0).await;
    // Another address takes as many; the first, holding nothing now, is served when places are
    // short.
    let others = quiet(&app, [127, 0, 0, 4], 14).await;
    serving(&bind, 14).await;
    let mut back = connect_from(&app, [127, 0, 0, 1], ASK).await;
    let answer = read_until_closed(&mut back, Duration::from_secs(5)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(metric(&bind, "undersigned_connections_refused_total").await, Some(0));
    // Places were short a moment ago: with every place free again, a new connection still has
    // two seconds for its head, not thirty.
    drop(others);
    serving(&bind, 0).await;
    let started = Instant::now();
    let mut late = connect_from(&app, [127, 0, 0, 5], b"GET /healthz HTTP/1.1\r\nHo").await;
    read_until_closed(&mut late, Duration::from_secs(10)).await.expect("closed");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1500) && took < Duration::from_secs(6), "closed after {took:?}");
}

/// A trusted proxy carries everyone's requests: it is never refused for holding many.
#[tokio::test]
async fn a_trusted_proxy_is_not_bound_per_address() {
    let (proxied, bind) = sixteen_places(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let _quiet = quiet(&proxied, [127, 0, 0, 1], 14).await;
    serving(&bind, 14).await;
    let mut asked = connect_from(&proxied, [127, 0, 0, 1], ASK).await;
    let answer = read_until_closed(&mut asked, Duration::from_secs(5)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_body_sent_slowly_times_out_and_a_huge_head_is_refused() {
    let app = spawn_app_with(&[("REQUEST_TIMEOUT_SECONDS", "1")]).await;
    app.open_petition("h").await;
    // A body that stops arriving: 408 once the request's time is up, nothing stored.
    let body = "given_name=Ana&family_name=Ruiz&email=slow@example.org&postal_code=94110";
    let head = format!(
        "POST /p/h/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len() + 10
    );
    let mut stream = connect_and_send(&app, format!("{head}{body}").as_bytes()).await;
    let answer = read_until_closed(&mut stream, Duration::from_secs(10)).await.expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A head larger than any browser's.
    let huge = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n", "a".repeat(100 * 1024));
    let mut stream = connect_and_send(&app, huge.as_bytes()).await;
    let answer = read_until_closed(&mut stream, Duration::from_secs(10)).await.expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert_eq!(app.count("h").await, 0);
    // A body still trickling in when its own deadline passes, well before the request's.
    let trickle = spawn_app_with(&[("BODY_TIMEOUT_SECONDS", "1"), ("REQUEST_TIMEOUT_SECONDS", "60")]).await;
    trickle.open_petition("h").await;
    let started = Instant::now();
    let stream = connect_and_send(&trickle, head.as_bytes()).await;
    // A byte every 300 ms: never idle, always late.
    let answer = trickled(stream, body.bytes().cycle(), Duration::from_millis(300)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4), "cut off after {:?}", started.elapsed());
    assert_eq!(trickle.count("h").await, 0);
    let res = app.client.post(app.url("/p/h/sign")).form(&Signer::new("ok@example.org").fields).send().await;
    assert_eq!(res.expect("signed").status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("h").await, 1);
}
