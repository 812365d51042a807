//! Logs go to standard error only, and each failure is logged once, with its causes.

use sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::helpers::{ServerProcess, Signer, spawn_app};

/// `export > file.csv` stays a clean CSV file even with the most verbose JSON logs on.
#[tokio::test]
async fn export_output_is_data_only_whatever_the_log_settings() {
    let app = spawn_app().await;
    app.open_petition("clean").await;
    for i in 0..3 {
        app.sign_fresh("clean", &Signer::new(&format!("p{i}@example.org"))).await;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(["export", "--petition", "clean"])
        .env("DATABASE_URL", &app.db_url)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(stdout.starts_with("signature_id,"), "{stdout}");
    let rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(stdout.as_bytes()).records().collect::<Result<_, _>>().expect("valid CSV");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.len() == 23), "every row has the 23 columns");
    assert!(!stdout.contains("\"level\""), "no log line in the data");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.lines().any(|l| l.starts_with("{\"timestamp\"")), "the logs went to stderr: {stderr}");
}

/// A signature the database refuses is logged once, as an error with its cause and route, and
/// no personal data.
#[tokio::test]
async fn one_failure_is_one_log_line_with_its_cause_chain() {
    let app = spawn_app().await;
    app.open_petition("fail").await;
    let trigger = match app.db.write.get_database_backend() {
        DatabaseBackend::Postgres => vec![
            "CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'refused by trigger'; END $$",
            "CREATE TRIGGER refuse_all BEFORE INSERT ON signatures FOR EACH ROW EXECUTE FUNCTION refuse_all()",
        ],
        _ => vec![
            "CREATE TRIGGER refuse_all BEFORE INSERT ON signatures \
             BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END",
        ],
    };
    for sql in trigger {
        app.db.write.execute_unprepared(sql).await.expect("trigger created");
    }
    let log = std::env::temp_dir().join(format!("undersigned-log-{}.json", uuid::Uuid::new_v4().simple()));
    let server =
        ServerProcess::start_logged(&app.db_url, &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")], &log).await;
    let res = reqwest::Client::new()
        .post(format!("{}/p/fail/sign", server.address))
        .form(&Signer::new("secret.person@example.org").fields)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), reqwest::StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.text().await.expect("body").contains("Something went wrong"));
    assert_eq!(server.terminate().code(), Some(0));
    let text = std::fs::read_to_string(&log).expect("the log");
    let _ = std::fs::remove_file(&log);
    let errors: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["level"] == "ERROR")
        .collect();
    assert_eq!(errors.len(), 1, "one failure, one error line: {text}");
    let fields = &errors[0]["fields"];
    assert_eq!(fields["route"], "/p/{slug}/sign");
    assert_eq!(fields["status"], 500);
    let cause = fields["error"].as_str().unwrap_or_default();
    assert!(cause.contains("storing a signature failed") && cause.contains("refused by trigger"), "{cause}");
    assert!(!text.contains("secret.person") && !text.contains("example.org"), "no personal data: {text}");
}

#[tokio::test]
async fn a_short_secret_key_stops_the_start_with_a_clear_error() {
    let app = spawn_app().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .arg("migrate")
        .env("DATABASE_URL", &app.db_url)
        .env("SECRET_KEY", "hunter2")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SECRET_KEY is not valid") && stderr.contains("at least 32"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the key itself is not printed: {stderr}");
}
