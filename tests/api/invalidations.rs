//! Organizers look through a campaign's signatures and take bad ones out of the count: one at
//! a time or a set chosen by criteria after a preview, always reversibly, always audited, and
//! the count always agreeing with a recount.

use reqwest::StatusCode;

use crate::{
    admin::{account, audit_actions, get, location, submit},
    helpers::{Signer, TestApp, spawn_app},
};

/// The signature id in the list's first button for `email`'s row.
fn button_of(page: &str, email: &str, action: &str) -> String {
    let row = page.split("<tr>").find(|r| r.contains(email)).expect("the row");
    let marker = format!("/{action}\"");
    let end = row.find(&marker).expect("the button");
    let start = row[..end].rfind("action=\"").expect("a form") + "action=\"".len();
    row[start..end + marker.len() - 1].to_owned()
}

async fn counts(app: &TestApp, slug: &str, id: i64) -> (i64, i64) {
    let recount = app.recount(id).await;
    assert_eq!(app.aggregates(id).await, recount);
    (app.count(slug).await, recount)
}

#[tokio::test]
async fn signatures_are_searched_invalidated_by_criteria_after_a_preview_and_restored() {
    let app = spawn_app().await;
    let id = app.open_petition("water").await;
    for email in ["ana@example.org", "bo@example.org", "x1@spam.example", "x2@Spam.Example"] {
        assert_eq!(app.sign_fresh("water", &Signer::new(email)).await.status(), StatusCode::SEE_OTHER);
    }
    let fb = Signer::new("fb@example.org").with("source", "fb").with("given_name", "Facundo");
    assert_eq!(app.sign_fresh("water", &fb).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(counts(&app, "water", id).await, (5, 5));
    let organizer = account(&app, "org@example.org", "organizer").await;
    let list = format!("/admin/campaigns/{id}/signatures");

    // The list, searched by name or email (any case), and filtered by status.
    let (status, page) = get(&organizer, &app, &list).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("@example.org</td>").count(), 3, "{page}");
    // Searches are posted: names and emails never go into an address.
    let search = async |q: &str| {
        let res = submit(&organizer, &app, &list, &list, &[("q", q)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.expect("page")
    };
    let page = search("SPAM").await;
    assert!(
        page.contains("x1@spam.example") && page.contains("x2@Spam.Example") && !page.contains("ana@"),
        "{page}"
    );
    let page = search("facundo ruiz").await;
    assert!(page.contains("fb@example.org") && !page.contains("bo@example.org"), "every word: {page}");
    for wildcard in ["%", "_", "a%b"] {
        assert!(
            search(wildcard).await.contains("No signatures match"),
            "{wildcard} is itself, not a wildcard"
        );
    }
    let (_, page) = get(&organizer, &app, &format!("{list}?status=invalidated")).await;
    assert!(page.contains("No signatures match"));

    // A preview first; bad criteria are said.
    let preview = format!("{list}/invalidate");
    let (status, page) = get(&organizer, &app, &preview).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("at least one criterion"), "{page}");
    let (status, page) =
        get(&organizer, &app, &format!("{preview}?domain=not%20a%20domain&from=yesterday")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must be a domain") && page.contains("must be a date"), "{page}");
    // Every signature here came from one address: one network, shown in the list as a keyed
    // hash (never the address), and a criterion of its own.
    let (_, page) = get(&organizer, &app, &list).await;
    assert!(!page.contains("127.0.0.1"), "no address is shown");
    let network = page
        .split("/invalidate?network=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a network")
        .to_owned();
    assert_eq!(network.len(), 16);
    let (status, page) = get(&organizer, &app, &format!("{preview}?network={network}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("5 signatures match"), "{page}");
    let (status, page) = get(&organizer, &app, &format!("{preview}?network=127.0.0.1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must be a network"), "{page}");
    let criteria = format!("{preview}?domain=%40spam.example");
    let (status, page) = get(&organizer, &app, &criteria).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("2 signatures match") && page.contains("x2@Spam.Example"), "{page}");
    assert_eq!(counts(&app, "water", id).await, (5, 5), "a preview changes nothing");

    // The confirmation: a reason, and the number the preview showed.
    let confirm = |expected: &'static str, reason: &'static str| {
        [("domain", "@spam.example"), ("expected", expected), ("reason", reason)]
    };
    let res = submit(&organizer, &app, &criteria, &preview, &confirm("2", " ")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("Give a reason"));
    let res = submit(&organizer, &app, &criteria, &preview, &confirm("3", "bots")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("changed since the preview"));
    assert_eq!(counts(&app, "water", id).await, (5, 5));
    let res = submit(&organizer, &app, &criteria, &preview, &confirm("2", "bots from one domain")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), list);
    assert_eq!(counts(&app, "water", id).await, (3, 3));
    let (_, page) = get(&organizer, &app, &list).await;
    assert!(page.contains("Invalidated: those signatures no longer count"), "{page}");
    assert!(page.contains("email domain spam.example") && page.contains("bots from one domain"), "{page}");

    // One signature, from the list, and back.
    let invalidate = button_of(&page, "fb@example.org", "invalidate");
    let res = submit(&organizer, &app, &list, &invalidate, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(counts(&app, "water", id).await, (2, 2));
    let res = submit(&organizer, &app, &list, &invalidate, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a second click changes nothing");
    assert_eq!(counts(&app, "water", id).await, (2, 2));
    let (_, page) = get(&organizer, &app, &list).await;
    let restore = button_of(&page, "fb@example.org", "restore");
    let res = submit(&organizer, &app, &list, &restore, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(counts(&app, "water", id).await, (3, 3));

    // The whole set, back; a second restore changes nothing.
    let (_, page) = get(&organizer, &app, &list).await;
    let restore_all = button_of(&page, "bots from one domain", "restore");
    let res = submit(&organizer, &app, &list, &restore_all, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(counts(&app, "water", id).await, (5, 5));
    submit(&organizer, &app, &list, &restore_all, &[]).await;
    assert_eq!(counts(&app, "water", id).await, (5, 5));
    let (_, page) = get(&organizer, &app, &list).await;
    assert!(page.contains("restored by org@example.org"), "{page}");

    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    for action in
        ["signatures.invalidated", "signature.invalidated", "signature.restored", "signatures.restored"]
    {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), 1, "{action}: {actions:?}");
    }

    // Overlapping invalidations: A takes both spam signatures, one is restored by hand, B takes
    // it again. Restoring A brings back only what A still holds; B's stays until B is restored.
    let confirm = [("domain", "spam.example"), ("expected", "2"), ("reason", "A")];
    assert_eq!(submit(&organizer, &app, &criteria, &preview, &confirm).await.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&organizer, &app, &list).await;
    let restore_x1 = button_of(&page, "x1@spam.example", "restore");
    submit(&organizer, &app, &list, &restore_x1, &[]).await;
    let confirm = [("domain", "spam.example"), ("expected", "1"), ("reason", "B")];
    assert_eq!(submit(&organizer, &app, &criteria, &preview, &confirm).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(counts(&app, "water", id).await, (3, 3));
    let (_, page) = get(&organizer, &app, &list).await;
    let restore_a = button_of(&page, "<td>A</td>", "restore");
    submit(&organizer, &app, &list, &restore_a, &[]).await;
    assert_eq!(counts(&app, "water", id).await, (4, 4), "x2 is back, x1 is still B's");
    let (_, page) = get(&organizer, &app, &format!("{list}?status=invalidated")).await;
    assert!(page.contains("x1@spam.example") && !page.contains("x2@Spam.Example"), "{page}");
    let (_, page) = get(&organizer, &app, &list).await;
    let restore_b = button_of(&page, "<td>B</td>", "restore");
    submit(&organizer, &app, &list, &restore_b, &[]).await;
    assert_eq!(counts(&app, "water", id).await, (5, 5));
}
