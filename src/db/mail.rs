//! The email outbox, staff's goal alerts and the goal milestones petitions have passed.
//!
//! An email is written here in the transaction that decides to send it ([`enqueue`]), so it is
//! neither lost nor sent for something that was rolled back. With `SMTP_URL` set, workers
//! [`claim`] due emails (a lease, like webhook deliveries, so each goes to one worker however
//! many server processes run) and record what became of them; without it they stay `queued`
//! for staff to read in the outbox.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{email, goal_alert, goal_milestone, petition, petition_tally, staff};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, sea_query::Expr,
};

use crate::confirm::{CONFIRM, REMINDER};

/// Waiting to be sent (or, without SMTP, kept in the outbox).
pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
/// Refused by the mail server, or still failing after the last attempt.
pub const FAILED: &str = "failed";

/// Longest error kept with an email.
const ERROR_MAX: usize = 500;

/// An email to write to the outbox.
#[derive(Clone, Debug)]
pub struct NewEmail {
    pub kind: &'static str,
    pub petition_id: Option<i64>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// The delivery whose packet goes with it.
    pub delivery_id: Option<i64>,
    /// An update email's one-click unsubscribe token (in its link, and so in its body too;
    /// hashed, and taken out of the body, once the email is sent).
    pub unsubscribe_token: Option<String>,
}

/// Writes `emails` to the outbox, due at once; returns their ids.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    emails: Vec<NewEmail>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let mut ids = Vec::with_capacity(emails.len());
    for e in emails {
        let row = email::Entity::insert(email::ActiveModel {
            kind: Set(e.kind.to_owned()),
            petition_id: Set(e.petition_id),
            to_address: Set(e.to),
            subject: Set(e.subject),
            text_body: Set(e.text),
            html_body: Set(e.html),
            created_at: Set(now),
            due_at: Set(now),
            status: Set(QUEUED.to_owned()),
            attempts: Set(0),
            locked_until_ms: Set(0),
            delivery_id: Set(e.delivery_id),
            unsubscribe_token: Set(e.unsubscribe_token),
            ..Default::default()
        })
        .exec(db)
        .await?;
        ids.push(row.last_insert_id);
    }
    Ok(ids)
}

/// Takes up to `limit` due emails for one worker until `lease` (Unix milliseconds): each is
/// taken by one worker only, and a worker that dies lets its emails go when its lease ends.
pub async fn claim(
    write: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: i64,
    limit: u64,
) -> Result<Vec<email::Model>, DbErr> {
    use email::Column as C;
    let now_ms = now.timestamp_millis();
    let due: Vec<i64> = email::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::Status.eq(QUEUED))
        .filter(C::DueAt.lte(now))
        .filter(C::LockedUntilMs.lt(now_ms))
        .order_by_asc(C::DueAt)
        .order_by_asc(C::Id)
        .limit(limit)
        .into_tuple()
        .all(write)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let backend = write.get_database_backend();
    let mut q = email::Entity::update_many()
        .col_expr(C::LockedUntilMs, Expr::value(lease))
        .filter(C::Id.is_in(due))
        .filter(C::Status.eq(QUEUED))
        .filter(C::DueAt.lte(now))
        .filter(C::LockedUntilMs.lt(now_ms))
        .into_query();
    q.returning_all();
    let mut claimed = write
        .query_all_raw(backend.build(&q))
        .await?
        .iter()
        .map(|r| email::Model::from_query_result(r, ""))
        .collect::<Result<Vec<_>, DbErr>>()?;
    claimed.sort_by_key(|e| e.id);
    Ok(claimed)
}

/// What became of one attempt to send an email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again at this time.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Refused for good (or the last attempt failed).
    Failed {
        error: String,
    },
}

/// Records `outcome` for a claimed email, unless its lease passed to another worker meanwhile.
pub async fn finish(
    db: &impl ConnectionTrait,
    claimed: &email::Model,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use email::Column as C;
    let update = email::Entity::update_many()
        .col_expr(C::Attempts, Expr::value(claimed.attempts + 1))
        .col_expr(C::LockedUntilMs, Expr::value(0i64));
    let update = match outcome {
        Outcome::Sent => {
            let update = update
                .col_expr(C::Status, Expr::value(SENT))
                .col_expr(C::SentAt, Expr::value(now))
                .col_expr(C::LastError, Expr::value(Option::<String>::None));
            // Once sent, the links that act for the recipient live in the email only: the
            // outbox keeps them without their tokens, and the unsubscribe token hashed.
            match kept_once_sent(claimed) {
                Some((text, html, token)) => update
                    .col_expr(C::TextBody, Expr::value(text))
                    .col_expr(C::HtmlBody, Expr::value(html))
                    .col_expr(C::UnsubscribeToken, Expr::value(token)),
                None => update,
            }
        }
        Outcome::Retry { at, error } => {
            update.col_expr(C::DueAt, Expr::value(at)).col_expr(C::LastError, Expr::value(truncate(&error)))
        }
        Outcome::Failed { error } => update
            .col_expr(C::Status, Expr::value(FAILED))
            .col_expr(C::LastError, Expr::value(truncate(&error))),
    };
    update.filter(C::Id.eq(claimed.id)).filter(C::LockedUntilMs.eq(claimed.locked_until_ms)).exec(db).await?;
    Ok(())
}

/// The text, HTML and unsubscribe token kept of a sent email that carried a token (a
/// confirmation link, an update's unsubscribe link); `None` for the others, kept as written.
fn kept_once_sent(e: &email::Model) -> Option<(String, Option<String>, Option<String>)> {
    let carries = e.unsubscribe_token.is_some() || [CONFIRM, REMINDER].contains(&e.kind.as_str());
    carries.then(|| {
        (
            email::without_tokens(&e.text_body),
            e.html_body.as_deref().map(email::without_tokens),
            e.unsubscribe_token.as_deref().map(crate::domain::staff::token_id),
        )
    })
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(ERROR_MAX) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// Lets go of claimed emails not sent (`ids`, held until `lease`): due at once, for any worker.
pub async fn release(db: &impl ConnectionTrait, ids: &[i64], lease: i64) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    email::Entity::update_many()
        .col_expr(email::Column::LockedUntilMs, Expr::value(0i64))
        .filter(email::Column::Id.is_in(ids.iter().copied()))
        .filter(email::Column::LockedUntilMs.eq(lease))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts a failed email back in the queue, due at once, with its attempts forgotten. `false`:
/// there is no such failed email.
pub async fn send_again(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    use email::Column as C;
    let res = email::Entity::update_many()
        .col_expr(C::Status, Expr::value(QUEUED))
        .col_expr(C::Attempts, Expr::value(0))
        .col_expr(C::DueAt, Expr::value(now))
        .col_expr(C::LockedUntilMs, Expr::value(0i64))
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(FAILED))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The letters emailed for `delivery_ids`, in the order written.
pub async fn of_deliveries(
    db: &impl ConnectionTrait,
    delivery_ids: &[i64],
) -> Result<Vec<email::Model>, DbErr> {
    if delivery_ids.is_empty() {
        return Ok(Vec::new());
    }
    email::Entity::find()
        .filter(email::Column::DeliveryId.is_in(delivery_ids.iter().copied()))
        .order_by_asc(email::Column::Id)
        .all(db)
        .await
}

/// The newest emails (of one status, if given), newest first.
pub async fn latest(
    db: &impl ConnectionTrait,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<email::Model>, DbErr> {
    let mut q = email::Entity::find();
    if let Some(status) = status {
        q = q.filter(email::Column::Status.eq(status));
    }
    q.order_by_desc(email::Column::Id).limit(limit).all(db).await
}

/// How many emails have each status.
pub async fn by_status(db: &impl ConnectionTrait) -> Result<HashMap<String, i64>, DbErr> {
    let rows: Vec<(String, i64)> = email::Entity::find()
        .select_only()
        .column(email::Column::Status)
        .column_as(email::Column::Id.count(), "n")
        .group_by(email::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn one(db: &impl ConnectionTrait, id: i64) -> Result<Option<email::Model>, DbErr> {
    email::Entity::find_by_id(id).one(db).await
}

/// The shares of a goal that are told: 25, 50, 75 and 100%.
pub const MILESTONES: [i32; 4] = [25, 50, 75, 100];

/// The milestones `count` has reached of `goal`.
pub fn reached(count: i64, goal: i64) -> impl Iterator<Item = i32> {
    MILESTONES
        .into_iter()
        .filter(move |p| goal > 0 && count.saturating_mul(100) >= goal.saturating_mul(i64::from(*p)))
}

/// Asks for (or stops) `staff_id`'s goal alerts for `petition_id`.
pub async fn set_alert(
    db: &impl ConnectionTrait,
    petition_id: i64,
    staff_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if on {
        goal_alert::Entity::insert(goal_alert::ActiveModel {
            petition_id: Set(petition_id),
            staff_id: Set(staff_id),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([goal_alert::Column::PetitionId, goal_alert::Column::StaffId])
        .exec(db)
        .await?;
    } else {
        goal_alert::Entity::delete_many()
            .filter(goal_alert::Column::PetitionId.eq(petition_id))
            .filter(goal_alert::Column::StaffId.eq(staff_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub async fn has_alert(db: &impl ConnectionTrait, petition_id: i64, staff_id: i64) -> Result<bool, DbErr> {
    Ok(goal_alert::Entity::find_by_id((petition_id, staff_id)).count(db).await? > 0)
}

/// The addresses of the staff who asked for `petition_id`'s goal alerts (accounts that can sign
/// in only), in a stable order.
pub async fn alert_addresses(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<String>, DbErr> {
    let ids: Vec<i64> = goal_alert::Entity::find()
        .select_only()
        .column(goal_alert::Column::StaffId)
        .filter(goal_alert::Column::PetitionId.eq(petition_id))
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    staff::Entity::find()
        .select_only()
        .column(staff::Column::Email)
        .filter(staff::Column::Id.is_in(ids))
        .filter(staff::Column::PasswordHash.is_not_null())
        .order_by(staff::Column::Id, Order::Asc)
        .into_tuple()
        .all(db)
        .await
}

/// The milestones `petition_id` has passed, lowest first.
pub async fn milestones(
    db: &impl ConnectionTrait,
    petition_id: i64,
) -> Result<Vec<goal_milestone::Model>, DbErr> {
    goal_milestone::Entity::find()
        .filter(goal_milestone::Column::PetitionId.eq(petition_id))
        .order_by_asc(goal_milestone::Column::Percent)
        .all(db)
        .await
}

/// The highest milestone recorded for each petition that has one.
pub async fn highest_milestones(db: &impl ConnectionTrait) -> Result<HashMap<i64, i32>, DbErr> {
    let rows: Vec<(i64, i32)> = goal_milestone::Entity::find()
        .select_only()
        .column(goal_milestone::Column::PetitionId)
        .column_as(goal_milestone::Column::Percent.max(), "percent")
        .group_by(goal_milestone::Column::PetitionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A published petition with a goal, and its count (validated and offline signatures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    pub petition_id: i64,
    pub slug: String,
    pub title: String,
    pub goal: i64,
    pub count: i64,
}

/// Every petition that is not a draft and has a goal, with its count as stored.
pub async fn progress(db: &impl ConnectionTrait) -> Result<Vec<Progress>, DbErr> {
    let rows: Vec<(i64, String, String, i64, i64)> = petition::Entity::find()
        .select_only()
        .columns([
            petition::Column::Id,
            petition::Column::Slug,
            petition::Column::Title,
            petition::Column::Goal,
            petition::Column::OfflineCount,
        ])
        .filter(petition::Column::Goal.gt(0))
        .filter(petition::Column::Status.ne(petition::Status::Draft))
        .into_tuple()
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let validated: HashMap<i64, i64> = petition_tally::Entity::find()
        .select_only()
        .columns([petition_tally::Column::PetitionId, petition_tally::Column::Validated])
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(petition_id, slug, title, goal, offline)| Progress {
            petition_id,
            slug,
            title,
            goal,
            count: offline + validated.get(&petition_id).copied().unwrap_or_default(),
        })
        .collect())
}

/// Records that `p` passed `percent` of its goal, unless that is recorded already; `true` if
/// this call recorded it (so its alert is sent by whoever recorded it, once).
pub async fn record_milestone(
    db: &impl ConnectionTrait,
    p: &Progress,
    percent: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = goal_milestone::Entity::insert(goal_milestone::ActiveModel {
        petition_id: Set(p.petition_id),
        percent: Set(percent),
        goal: Set(p.goal),
        count: Set(p.count),
        reached_at: Set(now),
    })
    .on_conflict_do_nothing_on([goal_milestone::Column::PetitionId, goal_milestone::Column::Percent])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// Starts `petition_id`'s milestones again after its goal changed: those its count has already
/// passed of the new goal are recorded at once, without an alert (nothing new happened), and
/// the rest are alerted when passed.
pub async fn goal_changed(
    db: &impl ConnectionTrait,
    petition_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    goal_milestone::Entity::delete_many()
        .filter(goal_milestone::Column::PetitionId.eq(petition_id))
        .exec(db)
        .await?;
    let Some(p) = petition::Entity::find_by_id(petition_id).one(db).await? else {
        return Ok(());
    };
    let validated = petition_tally::Entity::find_by_id(petition_id).one(db).await?.map_or(0, |t| t.validated);
    let progress = Progress {
        petition_id,
        slug: p.slug,
        title: p.title,
        goal: p.goal,
        count: validated + p.offline_count,
    };
    for m in reached(progress.count, progress.goal) {
        record_milestone(db, &progress, m, now).await?;
    }
    Ok(())
}

/// `petition_id`'s goal, read so that no campaign save can change it before this transaction
/// ends: PostgreSQL locks the row; SQLite takes its one write lock first (with a write that
/// changes nothing), so the read is of the newest goal and no other writer runs meanwhile.
pub async fn locked_goal(db: &impl ConnectionTrait, petition_id: i64) -> Result<Option<i64>, DbErr> {
    use sea_orm::{DatabaseBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "SELECT goal FROM petitions WHERE id = $1 FOR UPDATE",
        _ => {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE petitions SET goal = goal WHERE id = ?",
                [petition_id.into()],
            ))
            .await?;
            "SELECT goal FROM petitions WHERE id = ?"
        }
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [petition_id.into()])).await?;
    row.map(|r| r.try_get::<i64>("", "goal")).transpose()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use entity::email;

    use super::kept_once_sent;
    use crate::{confirm::CONFIRM, letters::LETTER};

    fn sent(kind: &str, text: &str, html: Option<&str>, token: Option<&str>) -> email::Model {
        email::Model {
            id: 1,
            kind: kind.into(),
            petition_id: None,
            to_address: "ana@example.org".into(),
            subject: "Subject".into(),
            text_body: text.into(),
            html_body: html.map(str::to_owned),
            created_at: Utc::now(),
            due_at: Utc::now(),
            status: super::SENT.into(),
            attempts: 1,
            locked_until_ms: 0,
            sent_at: None,
            last_error: None,
            delivery_id: None,
            unsubscribe_token: token.map(str::to_owned),
        }
    }

    #[test]
    fn a_sent_email_keeps_its_links_without_their_tokens() {
        let text = "Confirm: https://x.example/confirm/Ab12Cd34\n\n/confirm/ café";
        let html = r#"<a href="https://x.example/unsubscribe/Zz9">Stop</a>, ¿firmas? /p/fair-pay"#;
        let (kept_text, kept_html, token) =
            kept_once_sent(&sent(CONFIRM, text, Some(html), None)).expect("a confirmation carries a token");
        assert_eq!(kept_text, "Confirm: https://x.example/confirm/…\n\n/confirm/ café");
        assert_eq!(
            kept_html.as_deref(),
            Some(r#"<a href="https://x.example/unsubscribe/…">Stop</a>, ¿firmas? /p/fair-pay"#)
        );
        assert_eq!(token, None);
        let update = sent("letter.digest", "", None, Some("Zz9"));
        let (_, _, token) = kept_once_sent(&update).expect("an update carries a token");
        assert_eq!(token, Some(crate::domain::staff::token_id("Zz9")));
        // What staff wrote is kept as written, links to other sites included.
        assert_eq!(kept_once_sent(&sent(LETTER, "https://their.example/unsubscribe/abc", None, None)), None);
    }
}
