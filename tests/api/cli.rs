use reqwest::StatusCode;

use crate::helpers::{Signer, spawn_app};

const HEADER: [&str; 21] = [
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
    assert_eq!(home.matches("<li lang=").count(), 2, "a petition and a letter: {home}");
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
}

#[tokio::test]
async fn migrate_command_is_idempotent() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let out = app.cli(&["migrate"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
