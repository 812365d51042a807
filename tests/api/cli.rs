use reqwest::StatusCode;

use crate::helpers::{Signer, TestApp, spawn_app};

const HEADER: [&str; 23] = [
    "signature_id",
    "signed_at",
    "status",
    "given_name",
    "family_name",
    "email",
    "postal_code",
    "phone",
    "employer",
    "comment",
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
    "confirmed_at",
    "job_title",
    "worksite",
];

#[tokio::test]
async fn export_writes_rfc4180_csv_with_the_documented_columns() {
    let app = spawn_app().await;
    app.open_petition("exp").await;
    let tricky = Signer::new("ana@example.org")
        .with("given_name", "Ana, \"La Jefa\"")
        .with("employer", "=cmd|' /C calc'!A0")
        .with("comment", "line one\nline two, with comma")
        .with("phone", "+1 415 555 0100")
        .with("email_opt_in", "on")
        .with("utm_source", "@twitter");
    assert_eq!(app.sign("exp", &tricky).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.sign_fresh("exp", &Signer::new("sam@example.org")).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.sign_fresh("exp", &Signer::new("bot@example.org").with("website", "x")).await.status(),
        StatusCode::SEE_OTHER
    );

    let out = app.cli(&["export", "--petition", "exp"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    assert_eq!(header, HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("valid CSV");
    assert_eq!(rows.len(), 3);
    let ana = &rows[0];
    assert_eq!(&ana[2], "validated");
    assert_eq!(&ana[3], "Ana, \"La Jefa\"");
    assert_eq!(&ana[7], "'+14155550100", "formula-like cells are neutralised");
    assert_eq!(&ana[8], "'=cmd|' /C calc'!A0");
    assert_eq!(&ana[9], "line one\nline two, with comma");
    assert_eq!(&ana[10], "true");
    assert_eq!(&ana[11], "false");
    assert_eq!(&ana[15], "'@twitter");
    assert!(chrono::DateTime::parse_from_rfc3339(&ana[1]).is_ok());
    assert_eq!(&rows[2][2], "fraudulent");

    // Only validated signatures, on request.
    let out = app.cli(&["export", "--petition", "exp", "--status", "validated"]);
    let n = csv::Reader::from_reader(out.stdout.as_slice()).records().count();
    assert_eq!(n, 2);
    // Every export is in the audit log, as every download is.
    let exports = crate::admin::audit_actions(&app)
        .await
        .into_iter()
        .filter(|(actor, action, _)| actor == "command line" && action == "export.downloaded")
        .count();
    assert_eq!(exports, 2);

    // JSON: the same rows as objects.
    let out = app.cli(&["export", "--petition", "exp", "--format", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let arr = json.as_array().expect("an array");
    assert_eq!(arr.len(), 3);
    assert_eq!(arr[0]["given_name"], "Ana, \"La Jefa\"");
    assert_eq!(arr[0]["email_opt_in"], true);
    let keys: Vec<&str> = arr[0].as_object().expect("object").keys().map(String::as_str).collect();
    let mut expected = HEADER.to_vec();
    expected.sort_unstable();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(keys_sorted, expected);
}

#[tokio::test]
async fn export_of_an_unknown_petition_fails_clearly() {
    let app = spawn_app().await;
    let out = app.cli(&["export", "--petition", "missing"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no petition with slug \"missing\""));
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn demo_loads_once_and_twice_changes_nothing() {
    let app = spawn_app().await;
    let first = app.cli(&["demo"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("Loaded the demo campaign"));
    let second = app.cli(&["demo"]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already loaded; nothing changed"));

    let home = app.get("/").await.text().await.expect("body");
    assert_eq!(home.matches(r#"<a href="/p/"#).count(), 2, "a petition and a letter: {home}");
    let letter = app.get("/p/letter-to-the-board").await.text().await.expect("body");
    assert!(letter.contains("Dana Whitfield") && letter.contains("Marcus Ortega"));
    let count = |table: &'static str| {
        let db = app.db.read.clone();
        async move {
            use sea_orm::ConnectionTrait;
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("query")
                .expect("row");
            row.try_get::<i64>("", "n").expect("n")
        }
    };
    assert_eq!(count("petitions").await, 2);
    assert_eq!(count("recipients").await, 2);
    assert_eq!(count("landing_pages").await, 2);
    assert_eq!(count("share_texts").await, 3, "two English wordings and a Spanish one, once");
}

#[tokio::test]
async fn migrate_command_is_idempotent() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let out = app.cli(&["migrate"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Stores a signature exactly as given, bypassing the form's validation, so that the export
/// can be fed cells no form would let through.
async fn store_raw(app: &TestApp, petition_id: i64, n: usize, cells: [Option<&str>; 5], confirmed: bool) {
    use entity::{signature, supporter};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let now = chrono::Utc::now();
    let email = format!("raw{n}@example.org");
    let supporter = supporter::ActiveModel {
        email_canonical: Set(email.clone()),
        email: Set(email.clone()),
        given_name: Set("x".into()),
        family_name: Set("y".into()),
        postal_code: Set("94110".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db.write)
    .await
    .expect("supporter");
    let [given, family, employer, comment, utm] = cells;
    signature::ActiveModel {
        petition_id: Set(petition_id),
        supporter_id: Set(supporter.id),
        status: Set(signature::Status::Validated),
        given_name: Set(given.unwrap_or("Given").into()),
        family_name: Set(family.unwrap_or("Family").into()),
        email: Set(email),
        postal_code: Set("94110".into()),
        employer: Set(employer.map(Into::into)),
        comment: Set(comment.map(Into::into)),
        email_opt_in: Set(n.is_multiple_of(2)),
        public_name: Set(n.is_multiple_of(3)),
        utm_term: Set(utm.map(Into::into)),
        share_code: Set(format!("raw{n}")),
        signed_at: Set(now),
        confirmed_at: Set(confirmed.then_some(now)),
        ..Default::default()
    }
    .insert(&app.db.write)
    .await
    .expect("signature");
}

/// The CSV export (rendered by the database) and the JSON export (rendered in Rust) agree cell
/// for cell, on awkward values and across chunk boundaries; lines end in CRLF.
#[tokio::test]
async fn csv_export_matches_json_export_cell_for_cell() {
    let app = spawn_app().await;
    let id = app.open_petition("parity").await;
    let awkward: [[Option<&str>; 5]; 6] = [
        [Some("\"quoted\""), Some("a,b"), Some("=1+1"), Some("line\r\nbreak"), Some("-term")],
        [Some("\tTab"), Some("\rCR"), Some("+plus"), Some("@at"), Some("")],
        [Some("Zoë Łukasz 李"), Some("O'Brien"), None, None, None],
        [Some("'already"), Some("x\"y\"z"), Some(" =space first"), Some("\n"), Some("a\"\"b")],
        [Some("🙂"), Some(""), Some("=,\""), Some("-"), Some("@")],
        [Some("plain"), Some("plain"), Some("plain"), Some("plain"), Some("plain")],
    ];
    for (n, cells) in awkward.into_iter().enumerate() {
        store_raw(&app, id, n, cells, !n.is_multiple_of(2)).await;
    }
    // Enough plain rows to cross several chunk boundaries.
    let plain = 2 * undersigned::db::export::CHUNK_ROWS as usize + 7;
    for n in awkward.len()..awkward.len() + plain {
        store_raw(&app, id, n, [None; 5], false).await;
    }

    let csv_out = app.cli(&["export", "--petition", "parity"]);
    assert!(csv_out.status.success(), "{}", String::from_utf8_lossy(&csv_out.stderr));
    assert!(csv_out.stdout.starts_with(b"signature_id,signed_at,"));
    assert!(csv_out.stdout.ends_with(b"\r\n"));
    let json_out = app.cli(&["export", "--petition", "parity", "--format", "json"]);
    assert!(json_out.status.success());
    let json: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&json_out.stdout).expect("valid JSON");
    let mut reader = csv::Reader::from_reader(csv_out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("valid CSV");
    assert_eq!(rows.len(), awkward.len() + plain);
    assert_eq!(json.len(), rows.len());
    for (row, object) in rows.iter().zip(&json) {
        for (i, column) in HEADER.iter().enumerate() {
            let expected = match &object[*column] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => undersigned::db::export::neutralise(s).into_owned(),
                other => other.to_string(),
            };
            assert_eq!(&row[i], expected, "column {column} of signature {}", &row[0]);
        }
    }
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().expect("an id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order, none twice");
}

/// A recount finds a tally and aggregates that no longer match the rows (changed by a statement
/// outside the server), says by how much and fails; `--fix` sets them from the rows, the pages
/// follow within seconds, the audit log says so, and a recount then agrees.
#[tokio::test]
async fn a_recount_reports_drift_and_fixes_it() {
    let app = spawn_app().await;
    app.open_petition("counted").await;
    app.open_petition("other").await;
    for i in 0..3 {
        let res = app.sign_fresh("counted", &Signer::new(&format!("r{i}@example.org"))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let out = app.cli(&["recount"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("counted\t3\t3\t3\tnone") && text.contains("other\t0\t0\t0\tnone"), "{text}");

    // Someone edits the database by hand: a row deleted behind the tally's back.
    crate::confirm::exec(&app, "DELETE FROM signatures WHERE email = 'r0@example.org'").await;
    let out = app.cli(&["recount", "--petition", "counted"]);
    assert_eq!(out.status.code(), Some(1), "drift fails the check");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("counted\t3\t2\t3\ttally +1, aggregates +1") && !text.contains("other"), "{text}");
    assert_eq!(app.count("counted").await, 3, "the pages still show the tally");

    let out = app.cli(&["recount", "--fix"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("counted: tally 2 and aggregates 2, from 2 rows"), "{text}");
    let out = app.cli(&["recount"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("counted\t2\t2\t2\tnone"));
    // The server reads the tally again within a second or two.
    crate::mail::eventually("the page shows the recount", || async { app.count("counted").await == 2 }).await;
    let audit: Vec<(String, String, Option<String>)> = crate::admin::audit_actions(&app).await;
    assert!(
        audit.iter().any(|(actor, action, _)| actor == "recount" && action == "tally.recounted"),
        "{audit:?}"
    );
    // Fixing while people sign: none of them is lost.
    crate::confirm::exec(&app, "UPDATE petition_tallies SET validated = validated + 7").await;
    let url = app.db_url.clone();
    let fixing = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .args(["recount", "--fix"])
            .env("DATABASE_URL", url)
            .output()
            .expect("runs")
    });
    let mut signing = Vec::new();
    for i in 0..40 {
        let (client, url) = (reqwest::Client::new(), app.url("/p/counted/sign"));
        signing.push(tokio::spawn(async move {
            client.post(url).form(&Signer::new(&format!("live{i}@example.org")).fields).send().await
        }));
    }
    for s in signing {
        assert!(s.await.expect("joined").expect("sent").status().is_success());
    }
    assert!(fixing.await.expect("joined").status.success());
    let out = app.cli(&["recount"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("counted\t42\t42\t42\tnone"), "{text}");
    let out = app.cli(&["recount", "--petition", "nowhere"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}
