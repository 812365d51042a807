//! Deliveries: a letter frozen as of a cut-off, its public record, its signer list (whose
//! SHA-256 anyone can recompute), the same from the command line, consent to be named kept
//! everywhere, and bad cut-offs refused.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use sha2::{Digest, Sha256};

use crate::{
    admin::{account, audit_actions, get, location, submit},
    campaigns::{campaign_id, letter, post_editor, with},
    helpers::{Signer, TestApp, spawn_app},
};

/// A published letter asking for worksite and comment; returns its id.
pub(crate) async fn letter_asking(app: &TestApp, organizer: &reqwest::Client, slug: &str) -> i64 {
    let mut fields = letter(slug);
    for (k, v) in [
        ("publish", "1"),
        ("ask_comment", "optional"),
        ("ask_job_title", "optional"),
        ("ask_postal_code", "required"),
        ("recipients", "Dana Whitfield; CEO; Riverside Health\nSam Ortiz; Chair; Riverside Board"),
    ] {
        fields = with(fields, k, v);
    }
    let res = post_editor(organizer, app, "/admin/campaigns/new", "/admin/campaigns", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    campaign_id(&location(&res))
}

pub(crate) fn signer(email: &str, given: &str, family: &str, worksite: &str, public: bool) -> Signer {
    let s = Signer::new(email)
        .with("given_name", given)
        .with("family_name", family)
        .with("worksite", worksite)
        .with("comment", &format!("{given} says staff every shift"));
    if public { s.with("public_name", "1") } else { s }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The text between `before` and the next `<` in `page`.
fn after<'a>(page: &'a str, before: &str) -> &'a str {
    page.split(before)
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("{before} in {page}"))
}

#[tokio::test]
async fn a_delivery_freezes_the_count_and_anyone_can_check_its_list() {
    let app = spawn_app().await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_asking(&app, &organizer, "safe-staffing").await;
    for s in [
        signer("jose@example.org", "José", "Núñez", "3 West", true),
        signer("hidden@example.org", "Secretia", "Hiddenbaum", "ICU", false),
        signer("ana@example.org", "Ana", "Ruiz", "3 West", true).with("postal_code", "10001"),
    ] {
        assert_eq!(app.sign_fresh("safe-staffing", &s).await.status(), StatusCode::SEE_OTHER);
    }
    // An endpoint that hears of deliveries.
    let out = app.cli_with(
        &[("WEBHOOK_ALLOW_PRIVATE", "true")],
        &["webhook", "add", "--url", "http://127.0.0.1:9/hook", "--events", "delivery.created"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Five on paper, counted by staff.
    let edit = format!("/admin/campaigns/{id}");
    let res = submit(
        &organizer,
        &app,
        &edit,
        &format!("{edit}/offline"),
        &[("count", "5"), ("note", "Ward 3 sheets")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = format!("/admin/campaigns/{id}/deliveries");
    let (status, html) = get(&organizer, &app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No deliveries yet.") && html.contains("Make the delivery"), "{html}");
    // Nobody to deliver to: refused.
    let res = submit(&organizer, &app, &page, &page, &[("name", "1")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("Choose at least one recipient"));
    // To the CEO only.
    let res = submit(
        &organizer,
        &app,
        &page,
        &page,
        &[("r0", "1"), ("name", "1"), ("worksite", "1"), ("comment", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let record = location(&res);
    assert!(record.starts_with("/d/") && record.len() == 35, "{record}");

    // The public record.
    let res = app.get(&record).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("x-robots-tag").and_then(|v| v.to_str().ok()), Some("noindex"));
    let html = res.text().await.expect("page");
    assert!(html.contains("8 signatures as of"), "{html}");
    assert!(html.contains("5 of them were collected on paper"), "{html}");
    assert!(html.contains("<strong>Dana Whitfield</strong>, CEO, Riverside Health"), "{html}");
    assert!(!html.contains("Sam Ortiz"), "only the recipient chosen: {html}");
    let digest = after(&html, r#"<code class="digest">"#).to_owned();
    assert_eq!(digest.len(), 64);
    // Worksites of fewer than five are counted together, not named (the hidden signer's too).
    assert!(
        html.contains(r#"<th scope="row">Other worksites (fewer than 5 signers each)</th><td>3</td>"#),
        "{html}"
    );
    assert!(!html.contains("ICU") && !html.contains(r#"<th scope="row">3 West"#), "{html}");
    assert!(html.contains(r#"<th scope="row">941</th><td>2</td>"#), "{html}");
    assert!(
        !html.contains("Secretia") && !html.contains("Hiddenbaum") && !html.contains("@example.org"),
        "{html}"
    );

    // The list: its SHA-256 is the record's; only consenting signers are named.
    let res = app.get(&format!("{record}/signers.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some(format!("\"{digest}\"").as_str())
    );
    let list = res.bytes().await.expect("the list");
    assert_eq!(sha256(&list), digest);
    let text = String::from_utf8(list.to_vec()).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "reference,signed_at,region,name,worksite,comment");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].ends_with(":00:00Z,941,José Núñez,3 West,José says staff every shift"), "{text}");
    assert!(lines[2].ends_with(",941,,,"), "the one who did not agree is a line, unnamed: {text}");
    assert!(!text.contains("Secretia") && !text.contains("ICU") && !text.contains("@"), "{text}");

    // Anyone holding the list recomputes the same digest.
    let file = std::env::temp_dir().join(format!("signers-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(&file, &list).expect("written");
    let out = app.cli(&["verify-delivery", file.to_str().expect("a path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains(&format!("sha256 {digest}")) && said.contains("3 signatures, 2 named"), "{said}");
    // One signer changed: another digest.
    std::fs::write(&file, text.replace("José", "Jose")).expect("written");
    let out = app.cli(&["verify-delivery", file.to_str().expect("a path")]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&digest));
    std::fs::write(&file, b"not,a,list\n").expect("written");
    let out = app.cli(&["verify-delivery", file.to_str().expect("a path")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a signer list"), "{out:?}");

    // The same cut-off and fields from the command line: the same digest, though more signed since.
    let cutoff = after(&html, r#"<time datetime=""#).split('"').next().unwrap_or_default().to_owned();
    // A cut-off is a whole second: the late signer signs in a later one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        app.sign_fresh("safe-staffing", &signer("late@example.org", "Late", "Comer", "ER", true))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let again = std::env::temp_dir().join(format!("again-{}.csv", uuid::Uuid::new_v4()));
    let out = app.cli(&[
        "delivery",
        "create",
        "--petition",
        "safe-staffing",
        "--cutoff",
        &cutoff,
        "--fields",
        "comment,worksite,name",
        "--signers",
        again.to_str().expect("a path"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.starts_with("http://localhost:3000/d/"), "{said}");
    assert!(said.contains(&format!("sha256 {digest}")), "{said}");
    assert_eq!(std::fs::read(&again).expect("the list"), list.to_vec());
    // To one recipient by name; an unknown one is refused with the known ones.
    let out = app.cli(&["delivery", "create", "--petition", "safe-staffing", "--recipient", "sam ortiz"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = app.cli(&["delivery", "create", "--petition", "safe-staffing", "--recipient", "Nobody"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("Dana Whitfield, Sam Ortiz"), "{err}");
    // Fewer fields: another list, another digest; now: four signatures and five on paper.
    let out = app.cli(&["delivery", "create", "--petition", "safe-staffing", "--fields", "name"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && !said.contains(&digest) && said.contains("9 signatures as of"), "{said}");
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&again);

    // The letter says so (its page is read again within a second or two).
    let mut shown = String::new();
    for _ in 0..40 {
        shown = app.get("/p/safe-staffing").await.text().await.expect("page");
        if shown.contains("Delivered to") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(shown.contains("Delivered to Dana Whitfield with 8 signatures on"), "{shown}");
    assert!(shown.contains(&format!(r#"href="{record}""#)), "{shown}");
    let letter_es = app.get("/p/safe-staffing?lang=es").await.text().await.expect("page");
    assert!(letter_es.contains("Entregada a Dana Whitfield con 8 firmas el"), "{letter_es}");
    assert!(letter_es.contains("Registro público de la entrega"), "{letter_es}");
    let es = app.get(&format!("{record}?lang=es")).await.text().await.expect("page");
    assert!(es.contains("8 firmas al") && es.contains("Compruébalo tú"), "{es}");

    // Staff see all four, the audit log has them, and the webhook names nobody.
    let (_, html) = get(&organizer, &app, &page).await;
    assert_eq!(html.matches("Public record").count(), 4, "{html}");
    let made: Vec<_> =
        audit_actions(&app).await.into_iter().filter(|(_, a, _)| a == "delivery.created").collect();
    assert_eq!(made.len(), 4);
    let rows = app
        .db
        .read
        .query_all_raw(Statement::from_string(
            app.db.backend(),
            "SELECT payload FROM webhook_deliveries WHERE event = 'delivery.created' ORDER BY id",
        ))
        .await
        .expect("read");
    assert_eq!(rows.len(), 4);
    let first: String = rows[0].try_get("", "payload").expect("a payload");
    let body: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(body["event"], "delivery.created");
    assert_eq!(body["delivery"]["sha256"], digest.as_str());
    assert_eq!(body["delivery"]["total_signatures"], 8);
    assert_eq!(body["delivery"]["offline_signatures"], 5);
    assert_eq!(body["delivery"]["browser_url"], format!("http://localhost:3000{record}"));
    assert!(!first.contains("José") && !first.contains("Secretia"), "{first}");
}

#[tokio::test]
async fn bad_cut_offs_and_strangers_are_refused() {
    let app = spawn_app().await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    let id = letter_asking(&app, &organizer, "cutoffs").await;
    let page = format!("/admin/campaigns/{id}/deliveries");
    for (cutoff, says) in [
        ("2999-01-01 00:00", "in the future"),
        ("2001-01-01 00:00", "before the campaign opened"),
        ("next tuesday", "Write the cut-off like"),
    ] {
        let res = submit(&organizer, &app, &page, &page, &[("cutoff", cutoff), ("name", "1")]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{cutoff}");
        let html = res.text().await.expect("page");
        assert!(html.contains(says), "{cutoff}: {html}");
        assert!(html.contains(&format!(r#"value="{cutoff}""#)), "the typed cut-off is kept: {html}");
        assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    }
    let res = submit(&organizer, &app, &page, &page, &[("name", "1")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("Choose at least one recipient"));
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("No deliveries yet."), "nothing was made: {html}");

    // A viewer sees the list, not the form, and cannot post it.
    let (status, html) = get(&viewer, &app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Make the delivery"), "{html}");
    let res = submit(&viewer, &app, &page, &page, &[("r0", "1"), ("name", "1")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The command line says the same.
    let out = app.cli(&["delivery", "create", "--petition", "cutoffs", "--cutoff", "2999-01-01T00:00:00Z"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("in the future"), "{out:?}");
    let out = app.cli(&["delivery", "create", "--petition", "cutoffs", "--fields", "email"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fields"), "{out:?}");
    let out = app.cli(&["delivery", "create", "--petition", "nope"]);
    assert!(!out.status.success());

    // Unknown and malformed records are not found.
    for path in
        ["/d/0123456789abcdef0123456789abcdef", "/d/nope", "/d/0123456789ABCDEF0123456789ABCDEF/signers.csv"]
    {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

/// Poppler's `pdftotext`, if installed; `UNDERSIGNED_REQUIRE_POPPLER=1` (as in CI) makes its
/// absence a failure.
pub(crate) fn poppler() -> bool {
    if std::process::Command::new("pdftotext").arg("-v").output().is_ok() {
        return true;
    }
    assert!(
        !std::env::var("UNDERSIGNED_REQUIRE_POPPLER").is_ok_and(|v| v == "1"),
        "Poppler is required here but not installed (apt-get install poppler-utils)"
    );
    eprintln!("SKIPPED packet test: pdftotext not found. Install it with `apt-get install poppler-utils`.");
    false
}

/// The text of a PDF (`pdftotext`), and its page count (`pdfinfo`).
pub(crate) fn read_pdf(bytes: &[u8]) -> (String, usize) {
    let file = std::env::temp_dir().join(format!("packet-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&file, bytes).expect("written");
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext runs");
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let info = std::process::Command::new("pdfinfo").arg(&file).output().expect("pdfinfo runs");
    let _ = std::fs::remove_file(&file);
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("a page count in {info}"));
    (String::from_utf8_lossy(&text.stdout).to_string(), pages)
}

/// Stores `n` validated signatures on `petition_id` straight into the database, a few hundred a
/// statement: `Named {i}` who agreed to be named (two in three), `Hidden {i}` who did not.
async fn seed(app: &TestApp, petition_id: i64, n: usize, named: &[&str]) {
    use entity::{signature, supporter};
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    let now = chrono::Utc::now() - chrono::Duration::minutes(5);
    for start in (0..n).step_by(500) {
        let end = (start + 500).min(n);
        let emails: Vec<String> = (start..end).map(|i| format!("seed{i}@example.org")).collect();
        supporter::Entity::insert_many(emails.iter().map(|e| supporter::ActiveModel {
            email_canonical: Set(e.clone()),
            email: Set(e.clone()),
            given_name: Set("x".into()),
            family_name: Set("y".into()),
            postal_code: Set("94110".into()),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&app.db.write)
        .await
        .expect("supporters");
        let ids: Vec<(i64, String)> = supporter::Entity::find()
            .filter(supporter::Column::EmailCanonical.is_in(emails.clone()))
            .all(&app.db.write)
            .await
            .expect("read")
            .into_iter()
            .map(|s| (s.id, s.email))
            .collect();
        signature::Entity::insert_many(ids.into_iter().map(|(sid, email)| {
            let i: usize =
                email.trim_start_matches("seed").split('@').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let public = i % 3 != 2;
            let (given, family) = match named.get(i) {
                Some(full) => full.split_once(' ').unwrap_or((full, "")),
                None if public => ("Named", ""),
                None => ("Hidden", ""),
            };
            signature::ActiveModel {
                petition_id: Set(petition_id),
                supporter_id: Set(sid),
                status: Set(signature::Status::Validated),
                given_name: Set(given.into()),
                family_name: Set(if family.is_empty() { i.to_string() } else { family.into() }),
                email: Set(email),
                postal_code: Set(format!("9{:04}", i % 50)),
                worksite: Set(Some(format!("Ward {}", i % 7))),
                comment: Set(i.is_multiple_of(97).then(|| format!("Comment number {i}"))),
                email_opt_in: Set(false),
                public_name: Set(public),
                share_code: Set(format!("seed{i}")),
                signed_at: Set(now + chrono::Duration::milliseconds(i as i64)),
                ..Default::default()
            }
        }))
        .exec_without_returning(&app.db.write)
        .await
        .expect("signatures");
    }
}

#[tokio::test]
async fn the_packet_prints_the_count_and_only_the_names_that_may_be_printed() {
    if !poppler() {
        return;
    }
    let app = spawn_app().await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_asking(&app, &organizer, "packet").await;
    let names = [
        "José Núñez",
        "Zoë Łukasz",
        "Hidden Person",
        "Αλέξανδρος Παπαδόπουλος",
        "Дмитрий Иванов",
        "Hidden Again",
        "Anaïs Ñandú",
        "Named Seven",
        "Hidden Three",
        "Named Nine",
    ];
    seed(&app, id, 10, &names).await;
    let file = std::env::temp_dir().join(format!("packet-{}.pdf", uuid::Uuid::new_v4()));
    let out = app.cli(&[
        "delivery",
        "create",
        "--petition",
        "packet",
        "--fields",
        "name,worksite,comment",
        "--pdf",
        file.to_str().expect("a path"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let record =
        said.lines().next().unwrap_or_default().trim_start_matches("http://localhost:3000").to_owned();
    let digest = said.lines().nth(1).unwrap_or_default().trim_start_matches("sha256 ").to_owned();
    let pdf = std::fs::read(&file).expect("the packet");
    let _ = std::fs::remove_file(&file);
    let (text, pages) = read_pdf(&pdf);
    assert_eq!(pages, 3, "the letter, the names, then their words: {text}");
    assert!(text.contains("10 people signed as of"), "{text}");
    assert!(text.contains("Dana Whitfield, CEO, Riverside Health"), "{text}");
    for shown in [
        "José Núñez",
        "Zoë Łukasz",
        "Αλέξανδρος Παπαδόπουλος",
        "Дмитрий Иванов",
        "Anaïs Ñandú",
        "Named Nine",
        &digest,
        "Page 3 of 3",
        "1 to 7 of 7",
        "“Comment number 0”",
        "— José Núñez",
    ] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    assert!(!text.contains("Hidden"), "{text}");

    // The same from the public record, in landscape too; a bad layout is refused.
    let res = app.get(&format!("{record}/packet.pdf")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let (served, _) = read_pdf(&res.bytes().await.expect("a body"));
    assert!(served.contains("José Núñez") && !served.contains("Hidden"), "{served}");
    let res = app.get(&format!("{record}/packet.pdf?layout=landscape")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get(&format!("{record}/packet.pdf?layout=sideways")).await.status(),
        StatusCode::BAD_REQUEST
    );
    let html = app.get(&record).await.text().await.expect("page");
    assert!(html.contains(&format!(r#"href="{record}/packet.pdf""#)), "{html}");
    // The same content as a page to print.
    let res = app.get(&format!("{record}/packet")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    for shown in ["José Núñez", "Дмитрий Иванов", "10 people signed as of", &digest, "“Comment number 0”"]
    {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    assert!(!page.contains("Hidden"), "{page}");
    assert!(page.contains(r#"<td class="n">7</td>"#), "every name has its number: {page}");
}

#[tokio::test]
async fn a_packet_of_ten_thousand_signers_names_every_consenting_one() {
    if !poppler() {
        return;
    }
    let app = spawn_app().await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_asking(&app, &organizer, "big").await;
    seed(&app, id, 10_000, &[]).await;
    let mut pages = Vec::new();
    for layout in ["portrait", "landscape"] {
        let file = std::env::temp_dir().join(format!("big-{}.pdf", uuid::Uuid::new_v4()));
        let mut args = vec![
            "delivery",
            "create",
            "--petition",
            "big",
            "--fields",
            "name,worksite",
            "--pdf",
            file.to_str().expect("a path"),
        ];
        if layout == "landscape" {
            args.push("--landscape");
        }
        let out = app.cli(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let pdf = std::fs::read(&file).expect("the packet");
        let _ = std::fs::remove_file(&file);
        let (text, n) = read_pdf(&pdf);
        assert!(text.contains("10,000 people signed as of"), "{layout}");
        // 6,667 consenting signers (two in three), each named once; nobody else.
        let named: Vec<&str> = text.lines().map(str::trim).filter(|l| l.starts_with("Named ")).collect();
        let unique: std::collections::BTreeSet<&str> = named.iter().copied().collect();
        assert_eq!((named.len(), unique.len()), (6_667, 6_667), "{layout}");
        let expected: std::collections::BTreeSet<String> =
            (0..10_000).filter(|i| i % 3 != 2).map(|i| format!("Named {i}")).collect();
        assert!(unique.iter().all(|n| expected.contains(*n)), "{layout}");
        assert!(!text.contains("Hidden"), "{layout}");
        assert!(text.contains("of 6,667"), "{layout}: the running count");
        assert!(text.contains(&format!("Page {n} of {n}")), "{layout}");
        pages.push(n);
    }
    assert!(pages[1] < pages[0], "landscape holds more a page: {pages:?}");
}
