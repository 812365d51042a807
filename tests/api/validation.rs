use reqwest::StatusCode;

use crate::helpers::{Signer, TestApp, spawn_app};

/// Posts `signer`, expects a 422 whose only error is on `field` with `message`, every typed
/// value kept, and nothing stored.
async fn refused(app: &TestApp, signer: Signer, field: &str, message: &str) {
    let res = app.sign("v", &signer).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    let html = res.text().await.expect("body");
    // The error sits beside its field and is tied to it.
    let err_id = format!(r#"id="e-{field}""#);
    assert_eq!(html.matches(r#"class="error""#).count(), 1, "{field}: exactly one error\n{html}");
    assert!(html.contains(&err_id), "{field}: {html}");
    assert!(html.contains(message), "{field}: expected {message:?}\n{html}");
    let input_start = html.find(&format!(r#"id="f-{field}""#)).expect("the field is there");
    let input = &html[input_start..html[input_start..].find('>').map_or(html.len(), |e| input_start + e)];
    assert!(input.contains(&format!(r#"aria-describedby="e-{field}""#)), "{input}");
    assert!(input.contains(r#"aria-invalid="true""#) && input.contains("autofocus"), "{input}");
    // The summary links to the field.
    assert!(html.contains(r#"role="alert""#) && html.contains(&format!(r##"href="#f-{field}""##)));
    // Every value the signer typed is still there (escaped).
    for (k, v) in &signer.fields {
        if k == "comment" {
            assert!(html.contains(&format!(">{}</textarea>", maud::html! { (v) }.into_string())), "{k}");
        } else if !v.is_empty() {
            let escaped = maud::html! { (v) }.into_string();
            assert!(html.contains(&format!(r#"name="{k}" type"#)), "{k}");
            assert!(html.contains(&format!(r#"value="{escaped}""#)), "{k}={v:?} kept\n{html}");
        }
    }
    assert_eq!(app.count("v").await, 0);
}

#[tokio::test]
async fn each_invalid_field_is_refused_beside_it_with_values_kept() {
    let app = spawn_app().await;
    let id = app.open_petition("v").await;
    let ok = || Signer::new("ana@example.org").with("phone", "415 555 0100").with("employer", "Riverside");
    let long = "x".repeat(101);
    let cases: Vec<(Signer, &str, &str)> = vec![
        (ok().with("given_name", ""), "given_name", "This field is required."),
        (ok().with("given_name", "   "), "given_name", "This field is required."),
        (ok().with("given_name", &long), "given_name", "at most 100 characters"),
        (ok().with("given_name", "Ana\u{1b}[31m"), "given_name", "remove the special characters"),
        (ok().with("given_name", "=HYPERLINK(\"x\")"), "given_name", "starting with a letter"),
        (ok().with("family_name", ""), "family_name", "This field is required."),
        (ok().with("family_name", "+cmd"), "family_name", "starting with a letter"),
        (ok().with("email", ""), "email", "This field is required."),
        (ok().with("email", "ana@"), "email", "email address like"),
        (ok().with("email", "ana example.org"), "email", "email address like"),
        (ok().with("email", "ana@localhost"), "email", "email address like"),
        (ok().with("email", "ana@[127.0.0.1]"), "email", "email address like"),
        (ok().with("email", "ana@10.0.0.1"), "email", "email address like"),
        (ok().with("postal_code", ""), "postal_code", "This field is required."),
        (ok().with("postal_code", "9411"), "postal_code", "5-digit ZIP code"),
        (ok().with("postal_code", "ABCDE"), "postal_code", "5-digit ZIP code"),
        (ok().with("phone", "12"), "phone", "7 to 15 digits"),
        (ok().with("phone", "call me"), "phone", "7 to 15 digits"),
        (ok().with("employer", &"e".repeat(201)), "employer", "at most 200 characters"),
        (ok().with("comment", &"c".repeat(2001)), "comment", "at most 2,000 characters"),
    ];
    for (signer, field, message) in cases {
        refused(&app, signer, field, message).await;
    }
    // Hostile values are echoed back escaped, never as markup.
    let res =
        app.sign("v", &ok().with("given_name", "").with("employer", "\"><script>alert(1)</script>")).await;
    let html = res.text().await.expect("body");
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&quot;&gt;&lt;script&gt;"));
    assert_eq!(app.rows(id).await, 0);
    // And the valid form then goes through.
    assert_eq!(app.sign("v", &ok()).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_empty_form_reports_every_required_field() {
    let app = spawn_app().await;
    app.open_petition("v").await;
    let res = app.sign("v", &Signer { fields: vec![] }).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    for field in ["given_name", "family_name", "email", "postal_code"] {
        assert!(html.contains(&format!(r#"id="e-{field}""#)), "{field}");
    }
    assert_eq!(html.matches("This field is required.").count(), 8, "4 beside fields + 4 in the summary");
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_clear_errors() {
    let app = spawn_app().await;
    app.open_petition("v").await;
    let huge = "a".repeat(200 * 1024);
    let res = app.sign("v", &Signer::new("ana@example.org").with("comment", &huge)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.expect("body").contains("too large"));

    let res = app
        .client
        .post(app.url("/p/v/sign"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(res.text().await.expect("body").contains("That request was not understood"));
    assert_eq!(app.count("v").await, 0);
}

#[tokio::test]
async fn spanish_petitions_speak_spanish_errors_included() {
    let app = spawn_app().await;
    app.petition("es", entity::petition::Kind::Petition, entity::petition::Status::Open, "es").await;
    let html = app.get("/p/es").await.text().await.expect("body");
    assert!(
        html.contains(r#"<html lang="es">"#)
            && html.contains("Firma la petición")
            && html.contains("Correo electrónico")
    );
    let res = app.sign("es", &Signer::new("nope")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(html.contains("Escribe un correo electrónico como"), "{html}");
}

/// Addresses in other scripts sign, and the same address spelled two ways is one signer.
#[tokio::test]
async fn international_addresses_sign_once_however_spelled() {
    let app = spawn_app().await;
    let id = app.open_petition("v").await;
    for (email, rows) in [
        ("josé@correo.es", 1),
        ("JOSÉ@Correo.es", 1),
        ("ana@exämple.org", 2),
        ("Ana@xn--exmple-cua.org", 2),
        ("ana@EXÄMPLE.ORG", 2),
    ] {
        let res = app.sign("v", &Signer::new(email)).await;
        assert!(res.status().is_success() || res.status().is_redirection(), "{email}: {}", res.status());
        assert_eq!(app.rows(id).await, rows, "{email}");
    }
    assert_eq!(app.rows(id).await, 2, "two people");
    assert_eq!(app.count("v").await, 2);
}
