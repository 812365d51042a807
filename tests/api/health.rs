use reqwest::StatusCode;

use crate::helpers::spawn_app;

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
