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

/// A signature the database refuses (here a trigger stands in for any row-level failure) fails
/// alone: everyone who signed in the same batches is stored, answered and counted. Rounds of 64
/// concurrent signers, one refused in each, go on until the writer has had to retry a whole
/// batch one by one, so the test proves that path ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refused_row_does_not_fail_its_batch() {
    use sea_orm::{ConnectionTrait, DatabaseBackend};
    let app = spawn_app().await;
    let id = app.open_petition("poison").await;
    let trigger = match app.db.write.get_database_backend() {
        DatabaseBackend::Postgres => vec![
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.email LIKE 'poison%' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON signatures FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ],
        _ => vec![
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON signatures WHEN NEW.email LIKE 'poison%' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        ],
    };
    for sql in trigger {
        app.db.write.execute_unprepared(sql).await.expect("trigger created");
    }
    let mut stored = 0;
    let mut rounds = 0;
    while app.writer.retried_one_by_one() == 0 {
        assert!(rounds < 20, "no batch with a refused row in {rounds} rounds of 64 concurrent signers");
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..64 {
            let client = app.client.clone();
            let url = app.url("/p/poison/sign");
            let email = if i == 20 {
                format!("poison{rounds}@example.org")
            } else {
                format!("ok{rounds}-{i}@example.org")
            };
            let signer = Signer::new(&email);
            tasks.spawn(async move {
                (email, client.post(url).form(&signer.fields).send().await.map(|r| r.status()))
            });
        }
        while let Some(res) = tasks.join_next().await {
            let (email, status) = res.expect("task ran");
            let status = status.expect("request sent");
            if email.starts_with("poison") {
                assert!(status.is_server_error(), "the refused signer is told it failed: {status}");
            } else {
                assert_eq!(status, StatusCode::SEE_OTHER, "{email}");
                stored += 1;
            }
        }
        rounds += 1;
    }
    assert_eq!(stored, 63 * rounds);
    assert_eq!(app.rows(id).await, 63 * i64::from(rounds));
    assert_eq!(app.recount(id).await, 63 * i64::from(rounds));
    assert_eq!(app.count("poison").await, 63 * i64::from(rounds));
}
