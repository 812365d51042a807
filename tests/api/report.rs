//! Ad spend import and the campaign report: cost per signature on known numbers.

use entity::landing_page::{self, Status as LandingStatus};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use undersigned::db::landing;

use crate::helpers::{Signer, TestApp, spawn_app};

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .read
        .query_one_raw(sea_orm::Statement::from_string(app.db.backend(), sql.to_owned()))
        .await
        .expect("query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("a number")
}

pub(crate) fn write(name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("undersigned-{}-{name}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, content).expect("written");
    path
}

/// A petition with a landing page and a poster code, six signatures (four from the `nov`
/// campaign, one of them by someone who signed before; two from the poster) and 50 visits (20
/// from the campaign's link, 10 by the poster).
pub(crate) async fn fixture(app: &TestApp) -> String {
    app.open_petition("other").await;
    let id = app.open_petition("cps").await;
    let now = chrono::Utc::now();
    landing::create(
        &app.db.write,
        landing_page::ActiveModel {
            slug: Set("ad-r".into()),
            petition_id: Set(id),
            locale: Set("en".into()),
            headline: Set("Headline".into()),
            body: Set("Body".into()),
            created_at: Set(now),
            status: Set(LandingStatus::Live),
            ..Default::default()
        },
    )
    .await
    .expect("landing page");
    let lp = count(app, "SELECT id AS n FROM landing_pages WHERE slug = 'ad-r'").await;
    landing::create_code(
        &app.db.write,
        entity::short_code::ActiveModel {
            code: Set("wall2".into()),
            landing_page_id: Set(lp),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await
    .expect("code");
    let code = count(app, "SELECT id AS n FROM short_codes WHERE code = 'wall2'").await;

    assert_eq!(
        app.sign_fresh("other", &Signer::new("returning@example.org")).await.status(),
        StatusCode::SEE_OTHER
    );
    let from = |email: &str, source: &str, campaign: Option<&str>| {
        let s = Signer::new(email).with("landing_page", "ad-r").with("source", source);
        match campaign {
            Some(c) => s.with("utm_campaign", c),
            None => s,
        }
    };
    for email in ["a@example.org", "b@example.org", "c@example.org", "returning@example.org"] {
        let res = app.sign_fresh("cps", &from(email, "meta", Some("nov"))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    for email in ["p@example.org", "q@example.org"] {
        assert_eq!(
            app.sign_fresh("cps", &from(email, "qr-wall2", None)).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let today = now.format("%Y-%m-%d").to_string();
    for (code_id, campaign, n) in [(0, "", 20), (0, "Nov", 20), (code, "", 10)] {
        app.db
            .write
            .execute_unprepared(&format!(
                "INSERT INTO landing_visits (day, landing_page_id, short_code_id, utm_campaign, visits) \
                 VALUES ('{today}', {lp}, {code_id}, '{campaign}', {n})"
            ))
            .await
            .expect("visits");
    }
    today
}

fn report(app: &TestApp) -> Vec<std::collections::HashMap<String, String>> {
    let out = app.cli(&["report", "--petition", "cps", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("valid CSV");
            headers.iter().zip(r.iter()).map(|(h, c)| (h.to_owned(), c.to_owned())).collect()
        })
        .collect()
}

fn line<'a>(
    lines: &'a [std::collections::HashMap<String, String>],
    dimension: &str,
    key: &str,
) -> &'a std::collections::HashMap<String, String> {
    lines
        .iter()
        .find(|l| l["dimension"] == dimension && l["key"] == key)
        .unwrap_or_else(|| panic!("{dimension} {key}: {lines:?}"))
}

#[tokio::test]
async fn cost_per_signature_on_known_numbers() {
    let app = spawn_app().await;
    let today = fixture(&app).await;
    let file = write(
        "meta.csv",
        format!(
            "Day,Campaign name,Amount spent (USD),Impressions,Link clicks\n{today},NOV,20.00,\"1,000\",50\n"
        )
        .as_bytes(),
    );
    let out = app.cli(&["spend", "import", file.to_str().expect("a path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Imported 1 meta row(s): 20.00 USD."));
    // The same export again replaces, never adds.
    assert!(app.cli(&["spend", "import", file.to_str().expect("a path")]).status.success());
    assert_eq!(count(&app, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ad_spend").await, 2000);

    let lines = report(&app);
    let total = line(&lines, "total", "");
    assert_eq!(
        (total["visits"].as_str(), total["signatures"].as_str(), total["new_supporters"].as_str()),
        ("50", "6", "5")
    );
    assert_eq!((total["spend"].as_str(), total["currency"].as_str()), ("20.00", "USD"));
    assert_eq!(
        (total["cost_per_signature"].as_str(), total["cost_per_new_supporter"].as_str()),
        ("3.33", "4.00")
    );
    let campaign = line(&lines, "utm_campaign", "nov");
    assert_eq!((campaign["signatures"].as_str(), campaign["new_supporters"].as_str()), ("4", "3"));
    assert_eq!((campaign["visits"].as_str(), campaign["conversion"].as_str()), ("20", "20.0%"));
    assert_eq!(
        (campaign["cost_per_signature"].as_str(), campaign["cost_per_new_supporter"].as_str()),
        ("5.00", "6.67")
    );
    let page = line(&lines, "landing_page", "ad-r");
    assert_eq!(
        (page["visits"].as_str(), page["signatures"].as_str(), page["conversion"].as_str()),
        ("50", "6", "12.0%")
    );
    let poster = line(&lines, "short_code", "wall2");
    assert_eq!(
        (poster["visits"].as_str(), poster["signatures"].as_str(), poster["conversion"].as_str()),
        ("10", "2", "20.0%")
    );
    let day = line(&lines, "day", &today);
    assert_eq!(
        (day["visits"].as_str(), day["signatures"].as_str(), day["spend"].as_str()),
        ("50", "6", "20.00")
    );

    // Spend entered by hand for the landing page.
    let out = app.cli(&["spend", "add", "--landing", "ad-r", "--day", &today, "--amount", "5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = report(&app);
    assert_eq!(line(&lines, "landing_page", "ad-r")["spend"], "5.00");
    assert_eq!(line(&lines, "total", "")["spend"], "25.00");

    // The text form for people.
    let out = app.cli(&["report", "--petition", "cps"]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(text.contains("Title of cps (cps)") && text.contains("cost_per_signature"), "{text}");
}

#[tokio::test]
async fn a_bad_spend_file_imports_nothing_and_says_why() {
    let app = spawn_app().await;
    let today = fixture(&app).await;
    let bad = write(
        "bad.csv",
        format!(
            "Day,Campaign,Cost,Impr.,Clicks\n{today},nov,10,5,1\n{today},unknown-campaign,3,1,1\n\
             {today},nov,-4,1,1\nnot-a-day,nov,1,1,1\n{today},nov,abc,1,1\n"
        )
        .as_bytes(),
    );
    let out = app.cli(&["spend", "import", bad.to_str().expect("a path")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "line 3: refused: no signature came from campaign \"unknown-campaign\"",
        "line 4: refused: a negative amount",
        "line 5: refused",
        "line 6: refused",
        "nothing was imported",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ad_spend").await, 0, "nothing half-imported");
    // Forced, the good row goes in.
    let out = app.cli(&["spend", "import", bad.to_str().expect("a path"), "--skip-refused"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ad_spend").await, 1);

    // The wrong file, and a huge one.
    let wrong = write("wrong.csv", b"name,email\nAna,ana@example.org\n");
    let out = app.cli(&["spend", "import", wrong.to_str().expect("a path")]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no header row"));
    let huge = write("huge.csv", &vec![b'x'; 11 * 1024 * 1024]);
    let out = app.cli(&["spend", "import", huge.to_str().expect("a path")]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("nothing was imported"));
    // A campaign with no signatures yet goes to the petition named.
    let new = write("new.csv", format!("Day,Campaign,Cost\n{today},launch,7.50\n").as_bytes());
    let out = app.cli(&["spend", "import", new.to_str().expect("a path"), "--petition", "cps"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ad_spend").await, 2);
    for f in [bad, wrong, huge, new] {
        let _ = std::fs::remove_file(f);
    }
}
