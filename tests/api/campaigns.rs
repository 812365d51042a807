//! Campaigns run from the browser: creating a draft, field errors with the values kept,
//! previews in each language, publishing, the form fields staff choose (on the public form and
//! in its validation), two editors saving at once, closing and reopening, offline counts, and
//! the audit log of all of it.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::{
    admin::{account, audit_actions, csrf_of, get, location, submit},
    helpers::{Signer, TestApp, spawn_app},
};

/// A complete letter, as the editor posts it.
pub(crate) fn letter(slug: &str) -> Vec<(&'static str, String)> {
    [
        ("kind", "letter"),
        ("slug", slug),
        ("locale", "en"),
        ("title", "Safe staffing on 3 West"),
        ("summary", "Nurses ask the board for safe staffing."),
        ("body", "Dear board,\n\nWe ask for **safe** staffing. <script>alert(1)</script>\nThe nurses"),
        ("goal", "500"),
        ("postal_country", "US"),
        ("recipients", "Dana Whitfield; CEO; Riverside Health"),
        ("ask_postal_code", "no"),
        ("ask_phone", "no"),
        ("ask_employer", "no"),
        ("ask_job_title", "optional"),
        ("ask_worksite", "required"),
        ("ask_comment", "no"),
        ("title_es", "Personal seguro en 3 West"),
        ("summary_es", "Las enfermeras piden personal seguro."),
        ("body_es", "Estimada junta:"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// `fields` with `name` set to `value`.
pub(crate) fn with(
    mut fields: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value.to_owned()));
    fields
}

/// Posts the editor's form to `action` after reading `page` (for its token and version).
pub(crate) async fn post_editor(
    client: &reqwest::Client,
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&'static str, String)],
) -> reqwest::Response {
    let (_, html) = get(client, app, page).await;
    let mut all: Vec<(&str, String)> = fields.to_vec();
    all.push(("csrf", csrf_of(&html)));
    if !fields.iter().any(|(k, _)| *k == "version") {
        all.push(("version", version_of(&html)));
    }
    client.post(app.url(action)).form(&all).send().await.expect("sent")
}

/// The version field of the editor.
fn version_of(html: &str) -> String {
    let marker = r#"name="version" value=""#;
    let at = html.find(marker).map_or(0, |i| i + marker.len());
    html[at..].split('"').next().unwrap_or_default().to_owned()
}

/// The public page of `slug` once it answers with `status` (pages are read again within a second).
async fn public_page(app: &TestApp, path: &str, status: StatusCode) -> String {
    for _ in 0..40 {
        let res = app.get(path).await;
        if res.status() == status {
            return res.text().await.expect("a body");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never answered {status}");
}

pub(crate) fn campaign_id(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/campaigns/")
        .split(['#', '?'])
        .next()
        .and_then(|s| s.parse().ok())
        .expect("an id")
}

#[tokio::test]
async fn an_organizer_creates_previews_publishes_and_the_public_signs_with_the_chosen_fields() {
    let app = spawn_app().await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let (status, home) = get(&organizer, &app, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains(r#"href="/admin/campaigns/new""#), "{home}");

    // Bad input: every error beside its field, and what was typed kept.
    let bad = with(with(letter("Bad Slug!"), "goal", "lots"), "recipients", "Only a name");
    let res = post_editor(&organizer, &app, "/admin/campaigns/new", "/admin/campaigns", &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    for (field, text) in [("slug", "lower-case letters"), ("goal", "whole number"), ("recipients", "Line 1")]
    {
        assert!(page.contains(&format!(r##"href="#f-{field}""##)), "{field}: {page}");
        assert!(page.contains(text), "{text}: {page}");
    }
    assert!(page.contains(r#"value="Bad Slug!""#) && page.contains(r#"value="lots""#), "values kept");
    assert!(page.contains("Safe staffing on 3 West"), "the title typed is kept");

    // Publishing an incomplete campaign: field errors, nothing created.
    let empty = with(with(with(letter("nurses"), "title", ""), "goal", "0"), "publish", "1");
    let res = post_editor(&organizer, &app, "/admin/campaigns/new", "/admin/campaigns", &empty).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains("needs a title") && page.contains("goal of at least 1"), "{page}");

    // A draft: saved, unseen by the public, previewed in both languages.
    let res =
        post_editor(&organizer, &app, "/admin/campaigns/new", "/admin/campaigns", &letter("nurses")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let edit = location(&res);
    let id = campaign_id(&edit);
    let (_, page) = get(&organizer, &app, &edit).await;
    assert!(page.contains("Campaign created as a draft"), "a flash message: {page}");
    let (_, again) = get(&organizer, &app, &edit).await;
    assert!(!again.contains("Campaign created as a draft"), "said once");
    assert_eq!(app.get("/p/nurses").await.status(), StatusCode::NOT_FOUND);
    let (status, preview) = get(&organizer, &app, &format!("/admin/campaigns/{id}/preview?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview.contains("<strong>safe</strong> staffing"), "Markdown: {preview}");
    assert!(preview.contains("&lt;script&gt;") && !preview.contains("<script>alert"), "no raw HTML");
    assert!(
        preview.contains(r#"name="worksite""#) && !preview.contains(r#"name="postal_code""#),
        "chosen fields"
    );
    let (_, preview) = get(&organizer, &app, &format!("/admin/campaigns/{id}/preview?lang=es")).await;
    assert!(preview.contains("Personal seguro en 3 West"), "{preview}");
    // The new fields speak Spanish on a Spanish page.
    assert!(preview.contains("Lugar de trabajo") && preview.contains("Puesto o cargo"), "{preview}");
    assert!(!preview.contains("Worksite") && !preview.contains("Job title"), "{preview}");

    // Published from the editor.
    let publish = with(letter("nurses"), "publish", "1");
    let res = post_editor(&organizer, &app, &edit, &edit, &publish).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = public_page(&app, "/p/nurses", StatusCode::OK).await;
    assert!(page.contains("Safe staffing on 3 West") && page.contains("Dana Whitfield"), "{page}");

    // The public form asks what staff chose, and validates it.
    let signer = Signer::new("rosa@example.org").with("postal_code", "");
    let res = app.sign_fresh("nurses", &signer).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains(r##"href="#f-worksite""##), "the worksite is required");
    let res = app.sign_fresh("nurses", &signer.with("worksite", "3 West").with("job_title", "RN")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut count = 0;
    for _ in 0..40 {
        count = app.count("nurses").await;
        if count == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count, 1);
    let stored = app
        .db
        .read
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            format!("SELECT worksite, job_title, postal_code FROM signatures WHERE petition_id = {id}"),
        ))
        .await
        .expect("read")
        .expect("a row");
    let row: (String, String, String) = (
        stored.try_get("", "worksite").expect("worksite"),
        stored.try_get("", "job_title").expect("job title"),
        stored.try_get("", "postal_code").expect("postal code"),
    );
    assert_eq!(row, ("3 West".into(), "RN".into(), String::new()));
    let csv = String::from_utf8(app.cli(&["export", "--petition", "nurses"]).stdout).expect("UTF-8");
    assert!(csv.lines().next().is_some_and(|h| h.ends_with(",confirmed_at,job_title,worksite")), "{csv}");
    assert!(csv.lines().nth(1).is_some_and(|r| r.ends_with(",RN,3 West")), "{csv}");

    // A long letter with accents and line breaks (six bytes each once form-encoded) saves.
    let long = "Querida junta: ñandú é\n".repeat(2000);
    assert!(long.chars().count() < 50_000);
    let res = post_editor(&organizer, &app, &edit, &edit, &with(letter("nurses"), "body", &long)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a long text saves");

    // Published: the address stays.
    let moved = with(letter("nurses-2"), "title", "Safe staffing now");
    let res = post_editor(&organizer, &app, &edit, &edit, &moved).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("fixed once published"));

    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    for action in ["campaign.created", "campaign.published"] {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), 1, "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn a_save_over_someone_elses_is_refused_and_nothing_is_overwritten() {
    let app = spawn_app().await;
    let first = account(&app, "first@example.org", "organizer").await;
    let second = account(&app, "second@example.org", "admin").await;
    let res = post_editor(&first, &app, "/admin/campaigns/new", "/admin/campaigns", &letter("shared")).await;
    let edit = location(&res);
    // Both open the editor at the same version.
    let (_, page_one) = get(&first, &app, &edit).await;
    let (_, page_two) = get(&second, &app, &edit).await;
    let version = version_of(&page_one);
    assert_eq!(version, version_of(&page_two));
    let ones = with(with(letter("shared"), "title", "The first editor's title"), "version", &version);
    let res = post_editor(&first, &app, &edit, &edit, &ones).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let twos = with(with(letter("shared"), "title", "The second editor's title"), "version", &version);
    let res = post_editor(&second, &app, &edit, &edit, &twos).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.expect("page");
    assert!(page.contains("someone else saved this campaign"), "{page}");
    assert!(
        page.contains("first@example.org saved it") && page.contains("differs from yours in: title"),
        "{page}"
    );
    assert!(page.contains(r#"value="The second editor's title""#), "what was typed is kept");
    let (_, now) = get(&first, &app, &edit).await;
    assert!(now.contains(r#"value="The first editor's title""#), "nothing overwritten");
    // Saving again from the refused page replaces it, knowingly.
    let res = post_editor(&second, &app, &edit, &edit, &with(twos, "version", &version_of(&page))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, now) = get(&first, &app, &edit).await;
    assert!(now.contains(r#"value="The second editor's title""#));
    let edits = audit_actions(&app).await.into_iter().filter(|(_, a, _)| a == "campaign.edited").count();
    assert_eq!(edits, 2);
}

#[tokio::test]
async fn campaigns_close_reopen_and_count_offline_signatures_with_a_note() {
    let app = spawn_app().await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let viewer = account(&app, "view@example.org", "viewer").await;
    let open = with(letter("rally"), "publish", "1");
    let res = post_editor(&organizer, &app, "/admin/campaigns/new", "/admin/campaigns", &open).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let edit = location(&res);
    let status = format!("{edit}/status");
    let offline = format!("{edit}/offline");

    let res = submit(&organizer, &app, &edit, &status, &[("to", "closed")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let signer = Signer::new("late@example.org").with("worksite", "ER");
    let mut refused = StatusCode::OK;
    for _ in 0..40 {
        refused = app.sign_fresh("rally", &signer).await.status();
        if refused == StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(refused, StatusCode::CONFLICT, "a closed campaign takes no signatures");
    let res = submit(&organizer, &app, &edit, &status, &[("to", "open")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&organizer, &app, &edit).await;
    assert!(page.contains("Reopened"), "{page}");

    // Offline batches: bad input said beside the field with the values kept; a correction
    // may not take the count below zero.
    for (count, note, error) in
        [("lots", "Ward 3 sheets", "Enter the number"), ("120", "", "Add a note"), ("0", "x", "other than 0")]
    {
        let res = submit(&organizer, &app, &edit, &offline, &[("count", count), ("note", note)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{count}");
        let page = res.text().await.expect("page");
        assert!(page.contains(error), "{error}: {page}");
        assert!(page.contains(&format!(r#"value="{count}""#)), "kept: {count}");
    }
    let res = submit(&organizer, &app, &edit, &offline, &[("count", "120"), ("note", "Ward 3 sheets")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = submit(&organizer, &app, &edit, &offline, &[("count", "-121"), ("note", "typo")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("below zero"));
    let res =
        submit(&organizer, &app, &edit, &offline, &[("count", "-20"), ("note", "double-counted box")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut count = 0;
    for _ in 0..40 {
        count = app.count("rally").await;
        if count == 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count, 100, "the public count includes the offline signatures");
    let (_, page) = get(&organizer, &app, &edit).await;
    assert!(page.contains("Ward 3 sheets") && page.contains("double-counted box"), "{page}");

    // A viewer sees the list and the preview, not the editor.
    let (_, home) = get(&viewer, &app, "/admin").await;
    assert!(!home.contains("/admin/campaigns/new") && home.contains("rally"), "{home}");
    let (status, _) = get(&viewer, &app, &edit).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&viewer, &app, &format!("{edit}/preview")).await;
    assert_eq!(status, StatusCode::OK);

    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    for (action, n) in [("campaign.closed", 1), ("campaign.reopened", 1), ("offline.added", 2)] {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), n, "{action}: {actions:?}");
    }
}
