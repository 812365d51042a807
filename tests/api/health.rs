use reqwest::StatusCode;

use crate::helpers::{ServerProcess, Signer, free_port, spawn_app};

#[tokio::test]
async fn liveness_and_readiness() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.expect("body"), "ok");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.expect("body"), "ready");
}

#[tokio::test]
async fn stylesheet_is_served_and_cacheable() {
    let app = spawn_app().await;
    let res = app.get("/static/app.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ascii").starts_with("text/css"));
    assert!(res.headers()["cache-control"].to_str().expect("ascii").contains("immutable"));
}

/// `/metrics` is served on `METRICS_BIND` only, from memory, and follows what signing does.
#[tokio::test]
async fn metrics_are_served_apart_from_the_public_address() {
    let app = spawn_app().await;
    app.open_petition("measured").await;
    let bind = format!("127.0.0.1:{}", free_port());
    let server =
        ServerProcess::start_with(&app.db_url, &[("METRICS_BIND", &bind), ("LIMIT_NETWORK", "1/1m")]).await;
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    // Not on the public address.
    let res = client.get(format!("{}/metrics", server.address)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let metrics = async || {
        let res = client.get(format!("http://{bind}/metrics")).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"].to_str().expect("ascii").starts_with("text/plain; version=0.0.4")
        );
        res.text().await.expect("text")
    };
    let before = metrics().await;
    assert!(before.contains("# TYPE undersigned_signatures_stored_total counter"), "{before}");
    assert!(before.contains("undersigned_signatures_stored_total{status=\"validated\"} 0"), "{before}");

    for email in ["m1@gmail.com", "m2@gmail.com", "m1@gmail.com"] {
        let res = client
            .post(format!("{}/p/measured/sign", server.address))
            .form(&Signer::new(email).fields)
            .send()
            .await
            .expect("sent");
        assert!(res.status().is_redirection() || res.status().is_success());
    }
    let after = metrics().await;
    for line in [
        "undersigned_signatures_stored_total{status=\"validated\"} 1",
        "undersigned_signatures_stored_total{status=\"held\"} 1",
        "undersigned_signatures_held_total{policy=\"network\"} 2",
        "undersigned_signatures_repeated_total 1",
    ] {
        assert!(after.contains(line), "{line} in {after}");
    }
    // Nothing personal.
    assert!(!after.contains("gmail") && !after.contains("127.0.0.1"), "{after}");
    server.terminate();
}
