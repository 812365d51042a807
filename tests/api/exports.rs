//! Downloads from the staff pages: the columns the petition collects, nothing personal for
//! viewers, filters, CSV / Excel / JSON Lines, the Action Network set, counts per day and source,
//! the audit log; and that the files open right in a real spreadsheet (LibreOffice, headless).

use std::{path::Path, process::Command};

use entity::petition::{Kind, Status};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use undersigned::{
    db::invalidations,
    domain::{Ask, Field, FormFields},
};

use crate::{
    admin::{account, audit_actions, get},
    helpers::{Signer, TestApp, spawn_app},
};

/// A petition asking for postal code and worksite, with three signers: José Núñez (agreed to
/// updates, from `meta`), Zoë (from a landing page's poster) and an invalidated one.
async fn fixture(app: &TestApp) -> i64 {
    let fields =
        FormFields::none().with(Field::PostalCode, Ask::Required).with(Field::Worksite, Ask::Optional);
    let id = app.petition_asking("exp", Kind::Petition, Status::Open, "en", fields).await;
    let jose = Signer::new("jose@example.org")
        .with("given_name", "José")
        .with("family_name", "Núñez")
        .with("worksite", "=Ward 5")
        .with("email_opt_in", "on")
        .with("source", "meta");
    let zoe = Signer::new("zoe@example.org").with("given_name", "Zoë").with("source", "qr-wall");
    let gone = Signer::new("gone@example.org").with("given_name", "Gone");
    for s in [&jose, &zoe, &gone] {
        assert_eq!(app.sign_fresh("exp", s).await.status(), StatusCode::SEE_OTHER);
    }
    let gone = app.rows(id).await;
    let criteria = invalidations::Criteria { signature_id: Some(gone), ..Default::default() };
    let by =
        invalidations::Invalidation { criteria: &criteria, reason: "a test", staff_id: None, actor: "test" };
    invalidations::invalidate(&app.db.write, id, &by, chrono::Utc::now()).await.expect("invalidated");
    id
}

async fn download(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = client.get(app.url(path)).send().await.expect("sent");
    let status = res.status();
    let disposition =
        res.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, disposition, res.bytes().await.expect("a body").to_vec())
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a byte order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn organizers_download_what_the_petition_collects_and_viewers_nothing_personal() {
    let app = spawn_app().await;
    let id = fixture(&app).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let base = format!("/admin/campaigns/{id}/export");

    let (status, page) = get(&organizer, &app, &base).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Download signatures") && page.contains("Action Network"), "{page}");

    let (status, disposition, body) = download(&organizer, &app, &format!("{base}/signatures")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        disposition.starts_with("attachment; filename=\"exp-signatures-") && disposition.ends_with(".csv\"")
    );
    let rows = csv_rows(&body);
    assert_eq!(
        rows[0],
        [
            "signature_id",
            "signed_at",
            "status",
            "given_name",
            "family_name",
            "email",
            "postal_code",
            "worksite",
            "email_opt_in",
            "public_name",
            "source",
            "referrer",
            "landing_page",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
            "utm_term",
            "confirmed_at"
        ],
        "only the fields this petition asks for"
    );
    assert_eq!(rows.len(), 3, "the two counted signatures: {rows:?}");
    assert_eq!(&rows[1][3..8], ["José", "Núñez", "jose@example.org", "94110", "'=Ward 5"]);

    // Every status, or one; dates; a source.
    let (_, _, body) = download(&organizer, &app, &format!("{base}/signatures?status=all")).await;
    assert_eq!(csv_rows(&body).len(), 4);
    let (_, _, body) = download(&organizer, &app, &format!("{base}/signatures?status=invalidated")).await;
    assert_eq!(csv_rows(&body)[1][5], "gone@example.org");
    let (_, _, body) = download(&organizer, &app, &format!("{base}/signatures?source=qr-wall")).await;
    let rows = csv_rows(&body);
    assert_eq!((rows.len(), rows[1][3].as_str()), (2, "Zoë"));
    let today = chrono::Utc::now().date_naive();
    let (_, _, body) =
        download(&organizer, &app, &format!("{base}/signatures?from={today}&to={today}")).await;
    assert_eq!(csv_rows(&body).len(), 3);
    let tomorrow = today.succ_opt().expect("a day");
    let (_, _, body) = download(&organizer, &app, &format!("{base}/signatures?from={tomorrow}")).await;
    assert_eq!(csv_rows(&body).len(), 1, "only the header");

    // JSON Lines: one object per line, values as stored (no spreadsheet quoting).
    let (_, disposition, body) = download(&organizer, &app, &format!("{base}/signatures?format=jsonl")).await;
    assert!(disposition.ends_with(".jsonl\""));
    let lines: Vec<serde_json::Value> = std::str::from_utf8(&body)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["given_name"], "José");
    assert_eq!(lines[0]["worksite"], "=Ward 5");
    assert_eq!(lines[0]["email_opt_in"], true);
    assert!(lines[0].get("phone").is_none());

    // Action Network: its field names, and only those who agreed to receive updates.
    let (_, disposition, body) =
        download(&organizer, &app, &format!("{base}/signatures?columns=action_network")).await;
    assert!(disposition.contains("exp-action-network-"));
    let rows = csv_rows(&body);
    assert_eq!(&rows[0][..5], ["first_name", "last_name", "email", "zip_code", "country"]);
    assert_eq!(rows.len(), 2, "Zoë did not agree to updates: {rows:?}");
    assert_eq!(&rows[1][..5], ["José", "Núñez", "jose@example.org", "94110", "US"]);

    // A viewer: no names, emails, postal codes or worksites, and no Action Network list.
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    let (status, _, body) = download(&viewer, &app, &format!("{base}/signatures")).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body.clone()).expect("UTF-8");
    for personal in ["José", "jose@example.org", "94110", "Ward", "given_name", "email,"] {
        assert!(!text.contains(personal), "{personal} in a viewer's download: {text}");
    }
    assert_eq!(csv_rows(&body).len(), 3);
    let (status, page) = get(&viewer, &app, &format!("{base}/signatures?columns=action_network")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Only organizers and admins"), "{page}");

    // Every download is in the audit log, with what it asked for and nothing personal.
    let audited: Vec<_> =
        audit_actions(&app).await.into_iter().filter(|(_, a, _)| a == "export.downloaded").collect();
    assert_eq!(audited.len(), 9, "every download but the refused one: {audited:?}");
    assert!(audited.iter().any(|(actor, ..)| actor == "viewer@example.org"));
    let details = app
        .db
        .read
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            "SELECT detail FROM audit_log WHERE action = 'export.downloaded' ORDER BY id",
        ))
        .await
        .expect("read")
        .iter()
        .map(|r| r.try_get::<String>("", "detail").expect("a detail"))
        .collect::<Vec<_>>();
    assert!(details.iter().any(|d| d.contains("without personal data")), "{details:?}");
    assert!(details.iter().any(|d| d.contains("status invalidated")), "{details:?}");
    assert!(details.iter().all(|d| !d.contains('@')), "no email in the log: {details:?}");
}

#[tokio::test]
async fn bad_download_filters_are_said_beside_their_fields() {
    let app = spawn_app().await;
    let id = fixture(&app).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let path = format!(
        "/admin/campaigns/{id}/export/signatures?format=pdf&status=maybe&from=yesterday&to=2026-13-01&landing=nope&source=a%00b"
    );
    let (status, page) = get(&organizer, &app, &path).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for said in [
        "Choose CSV, Excel or JSON Lines.",
        "Choose a status from the list.",
        "Write a date like 2026-11-27.",
        "Choose one of this campaign's landing pages.",
        "without control characters",
    ] {
        assert!(page.contains(said), "{said}: {page}");
    }
    assert!(page.contains(r#"value="yesterday""#), "what was typed is kept");
    let (status, page) = get(
        &organizer,
        &app,
        &format!("/admin/campaigns/{id}/export/signatures?from=2026-11-20&to=2026-11-10"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The last day comes before the first."), "{page}");
    assert_eq!(
        get(&organizer, &app, "/admin/campaigns/999/export/signatures").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn counts_per_day_and_source_agree_with_the_dashboard() {
    let app = spawn_app().await;
    let id = fixture(&app).await;
    app.aggregates(id).await;
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    let (status, disposition, body) =
        download(&viewer, &app, &format!("/admin/campaigns/{id}/export/counts.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(disposition.contains("exp-counts-"));
    let today = chrono::Utc::now().date_naive().to_string();
    let rows = csv_rows(&body);
    assert_eq!(rows[0], ["day", "source", "signatures", "new_supporters"]);
    assert_eq!(
        rows[1..],
        [
            vec![today.clone(), "meta".to_owned(), "1".to_owned(), "1".to_owned()],
            vec![today, "qr-wall".to_owned(), "1".to_owned(), "1".to_owned()]
        ]
    );
}

/// LibreOffice's command line, if it is installed; `UNDERSIGNED_REQUIRE_LIBREOFFICE=1` (as in
/// CI) makes its absence a failure.
fn soffice() -> Option<&'static str> {
    for name in ["soffice", "libreoffice"] {
        if Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Some(name);
        }
    }
    assert!(
        !std::env::var("UNDERSIGNED_REQUIRE_LIBREOFFICE").is_ok_and(|v| v == "1"),
        "LibreOffice is required here but not installed (apt-get install libreoffice-calc-nogui)"
    );
    eprintln!(
        "SKIPPED spreadsheet test: LibreOffice not found. Install it with `apt-get install libreoffice-calc-nogui`."
    );
    None
}

/// Opens `file` in LibreOffice without choosing a character set (a CSV file is read as
/// comma-separated, its character set left to LibreOffice), and saves its first sheet as UTF-8
/// CSV: what the spreadsheet showed.
fn as_shown(soffice: &str, file: &Path) -> String {
    let dir = file.parent().expect("a directory");
    let profile = dir.join("profile");
    let mut command = Command::new(soffice);
    command.arg(format!("-env:UserInstallation=file://{}", profile.display()));
    if file.extension().is_some_and(|e| e == "csv") {
        // Separator, quote, no character set, from the first line.
        command.arg("--infilter=CSV:44,34,,1");
    }
    let out = command
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
        ])
        .arg(dir.join("shown"))
        .arg(file)
        .output()
        .expect("LibreOffice runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stem = file.file_stem().and_then(|s| s.to_str()).expect("a name");
    std::fs::read_to_string(dir.join("shown").join(format!("{stem}.csv"))).expect("converted")
}

#[tokio::test]
async fn downloads_open_with_the_right_letters_in_a_spreadsheet() {
    let Some(soffice) = soffice() else { return };
    let app = spawn_app().await;
    let id = fixture(&app).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let dir = std::env::temp_dir().join(format!("undersigned-sheets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a directory");
    for format in ["csv", "xlsx"] {
        let (status, _, body) =
            download(&organizer, &app, &format!("/admin/campaigns/{id}/export/signatures?format={format}"))
                .await;
        assert_eq!(status, StatusCode::OK);
        let file = dir.join(format!("download-{format}.{format}"));
        std::fs::write(&file, body).expect("saved");
        let shown = as_shown(soffice, &file);
        assert!(shown.starts_with("signature_id,"), "{format}: the byte order mark is not a letter: {shown}");
        assert!(
            shown.contains("José") && shown.contains("Núñez") && shown.contains("Zoë"),
            "{format}: {shown}"
        );
        assert!(!shown.contains("Ã"), "{format} was read in the wrong charset: {shown}");
        assert!(shown.contains("=Ward 5"), "{format}: the cell is text, not a formula: {shown}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Adds `n` counted signatures to petition `id`, straight into the database.
async fn seed(app: &TestApp, id: i64, n: u32) {
    let postgres = app.db.backend() == sea_orm::DatabaseBackend::Postgres;
    let series = if postgres {
        format!("SELECT i FROM generate_series(1, {n}) AS s(i)")
    } else {
        format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"
        )
    };
    let cat = |a: &str, b: &str| if postgres { format!("{a} || {b}::text") } else { format!("{a} || {b}") };
    let now = chrono::Utc::now().to_rfc3339();
    for sql in [
        format!(
            "INSERT INTO supporters (email_canonical, email, given_name, family_name, postal_code, created_at) \
             SELECT {e}, {e}, 'Given', 'Family', '94110', '{now}' FROM ({series}) q",
            e = cat("'bulk'", &cat("i", "'@example.org'")),
        ),
        format!(
            "INSERT INTO signatures (petition_id, supporter_id, status, given_name, family_name, email, postal_code, \
             email_opt_in, public_name, share_code, signed_at) \
             SELECT {id}, id, 'validated', given_name, family_name, email, postal_code, {f}, {f}, {code}, '{now}' \
             FROM supporters WHERE email_canonical LIKE 'bulk%'",
            f = if postgres { "false" } else { "0" },
            code = cat("'bulk'", "id"),
        ),
    ] {
        app.db.write.execute_unprepared(&sql).await.expect("seeded");
    }
}

#[tokio::test]
async fn a_large_download_streams_whole_in_every_format() {
    let app = spawn_app().await;
    let id = fixture(&app).await;
    seed(&app, id, 30_000).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let base = format!("/admin/campaigns/{id}/export/signatures");
    let (status, _, body) = download(&organizer, &app, &base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_rows(&body).len(), 30_003, "the header, the two signers and every seeded one");
    let (_, _, body) = download(&organizer, &app, &format!("{base}?format=jsonl")).await;
    assert_eq!(body.iter().filter(|b| **b == b'\n').count(), 30_002);
    let (status, _, body) = download(&organizer, &app, &format!("{base}?format=xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with(b"PK") && body.len() > 500_000, "a whole workbook: {} bytes", body.len());
}

#[tokio::test]
async fn a_download_the_browser_stops_stops_its_query() {
    let app = spawn_app().await;
    if app.db.backend() != sea_orm::DatabaseBackend::Postgres {
        // SQLite reads in chunks from one read transaction, ended the same way; only
        // PostgreSQL shows a running query from outside.
        return;
    }
    let id = fixture(&app).await;
    seed(&app, id, 200_000).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let copying = async || {
        let row = app
            .db
            .read
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.backend(),
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
                 AND query LIKE 'COPY (SELECT%' AND state <> 'idle'"
                    .to_owned(),
            ))
            .await
            .expect("query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("a count")
    };
    let mut res = organizer
        .get(app.url(&format!("/admin/campaigns/{id}/export/signatures?format=jsonl")))
        .send()
        .await
        .expect("sent");
    assert!(res.chunk().await.expect("a first piece").is_some());
    assert_eq!(copying().await, 1, "the export is being read");
    drop(res);
    let mut stopped = false;
    for _ in 0..100 {
        if copying().await == 0 {
            stopped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(stopped, "the query stopped when the browser went away");
}
