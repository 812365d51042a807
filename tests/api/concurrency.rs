use reqwest::StatusCode;

use crate::helpers::{Signer, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_signers_count_exactly_sixty_four() {
    let app = spawn_app().await;
    let id = app.open_petition("rush").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let client = app.client.clone();
        let url = app.url("/p/rush/sign");
        let signer = Signer::new(&format!("signer{i}@example.org"));
        tasks.spawn(async move { client.post(url).form(&signer.fields).send().await.map(|r| r.status()) });
    }
    while let Some(res) = tasks.join_next().await {
        assert_eq!(res.expect("task ran").expect("request sent"), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("rush").await, 64);
    assert_eq!(app.recount(id).await, 64);
    assert_eq!(app.rows(id).await, 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_requests_from_one_person_make_one_signature() {
    let app = spawn_app().await;
    let id = app.open_petition("same").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..32 {
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let url = app.url("/p/same/sign");
        // Different spellings of one person.
        let email = if i % 2 == 0 { "Jane.Doe@gmail.com" } else { "janedoe+petition@GMAIL.com" };
        let signer = Signer::new(email);
        tasks.spawn(async move { client.post(url).form(&signer.fields).send().await.map(|r| r.status()) });
    }
    let mut created = 0;
    let mut already = 0;
    while let Some(res) = tasks.join_next().await {
        match res.expect("task ran").expect("request sent") {
            StatusCode::SEE_OTHER => created += 1,
            StatusCode::OK => already += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, already), (1, 31));
    assert_eq!(app.count("same").await, 1);
    assert_eq!(app.rows(id).await, 1);
    assert_eq!(app.recount(id).await, 1);
}
