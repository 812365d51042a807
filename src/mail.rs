//! Email: the sender that takes due emails from the outbox and hands them to the SMTP server
//! (a letter to a recipient with its delivery's packet attached), and the watcher that notices
//! when a petition passes 25, 50, 75 or 100% of its goal and writes the alerts staff asked for,
//! and runs delivery schedules and recipients' daily updates ([`crate::letters`]).
//!
//! Every server process runs both. Each email is held by one sender at a time (a lease; a round
//! gives back what it has not sent before the lease ends, and on shutdown), and each milestone
//! is recorded once (a unique row), however many processes run. An email is sent at least once:
//! one whose sending was cut off before it was recorded (a crash) is sent again, with the same
//! `Message-ID`. Without `SMTP_URL` nothing is sent: emails stay in the outbox, where admins
//! read them (`/admin/outbox`). Logs name an email's id and kind, never its address or text.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Attachment, Mailbox, MultiPart, SinglePart,
        header::{ContentType, HeaderName, HeaderValue},
    },
};
use maud::html;
use rand::Rng;
use sea_orm::TransactionTrait;
use secrecy::ExposeSecret;
use tokio::{sync::Notify, task::JoinHandle};

use crate::{
    config::{Config, MailSettings},
    db::{
        Database,
        mail::{self, NewEmail, Outcome, Progress},
    },
};

/// Emails one round takes.
const ROUND: u64 = 8;
/// Longest wait for the mail server at each step.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest time one email may take to send, all steps together.
const SEND_LIMIT: Duration = Duration::from_secs(60);
/// How often the outbox is looked at without a wake-up (retries come due; other processes'
/// emails).
const POLL: Duration = Duration::from_secs(5);

/// The kind of a goal alert.
pub const GOAL_REACHED: &str = "goal.reached";

/// The SMTP client.
pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The sender and the goal watcher, running.
#[derive(Debug)]
pub struct Mail {
    sender: Option<JoinHandle<()>>,
    goals: JoinHandle<()>,
    /// None with `REVIEW_NOTICE_EMAILS=false`.
    notices: Option<JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Mail {
    /// Starts the goal watcher, and the sender when `SMTP_URL` is set. `wake` tells the sender
    /// that emails were just written.
    pub fn start(db: Database, config: &Config, wake: Arc<Notify>) -> anyhow::Result<Self> {
        let settings = config.mail.clone();
        let from: Mailbox = settings.from.parse()?;
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let sender = match &config.smtp_url {
            Some(url) => {
                let sender = Sender {
                    transport: transport(url.expose_secret())?,
                    from,
                    host: config.public_host().to_owned(),
                    public_url: config.absolute(""),
                    settings: settings.clone(),
                };
                Some(tokio::spawn(send_forever(db.clone(), sender, wake.clone(), stopping)))
            }
            None => {
                tracing::info!("SMTP_URL is unset: emails are kept in the outbox (/admin/outbox), not sent");
                None
            }
        };
        let public_url = config.absolute("");
        let notices = config.review_notice_emails.then(|| {
            tokio::spawn(crate::notices::watch(
                db.clone(),
                config.review,
                (settings.goal_check * REVIEW_EVERY).min(REVIEW_AT_MOST),
                public_url.clone(),
                wake.clone(),
            ))
        });
        let jobs = Jobs {
            every: settings.goal_check,
            digest_hour: settings.digest_hour,
            retention_months: config.retention_months,
            public_url,
        };
        let goals = tokio::spawn(watch(db, jobs, wake));
        Ok(Self { sender, goals, notices, stop })
    }

    /// Stops both: the sender lets the rest of its round go at once, to whichever process
    /// sends next, and finishes the email it is sending (at most [`SEND_LIMIT`]).
    pub async fn stop(self) {
        self.goals.abort();
        if let Some(notices) = &self.notices {
            notices.abort();
        }
        let _ = self.stop.send(true);
        if let Some(mut sender) = self.sender
            && tokio::time::timeout(SEND_LIMIT + Duration::from_secs(5), &mut sender).await.is_err()
        {
            sender.abort();
        }
    }
}

/// The SMTP client for `url` (`smtps://user:password@host:465`, `smtp://host:587?tls=required`,
/// or plain `smtp://host:25` for a relay on the same machine).
pub fn transport(url: &str) -> anyhow::Result<Transport> {
    let builder = Transport::from_url(url)
        .map_err(|e| anyhow::anyhow!("SMTP_URL is not valid: {e}"))?
        .timeout(Some(SMTP_TIMEOUT));
    Ok(builder.build())
}

/// What the sender sends with.
struct Sender {
    transport: Transport,
    from: Mailbox,
    /// `PUBLIC_URL`'s host, for `Message-ID`s.
    host: String,
    /// `PUBLIC_URL`, for the packet's verification address.
    public_url: String,
    settings: MailSettings,
}

async fn send_forever(
    db: Database,
    sender: Sender,
    wake: Arc<Notify>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    while !*stopping.borrow() {
        match send_due(&db, &sender, &stopping).await {
            Ok(0) => {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                    changed = stopping.changed() => if changed.is_err() { break },
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), "reading the email outbox failed");
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    changed = stopping.changed() => if changed.is_err() { break },
                }
            }
        }
    }
}

/// Sends one round of due emails; returns how many it took.
async fn send_due(
    db: &Database,
    sender: &Sender,
    stopping: &tokio::sync::watch::Receiver<bool>,
) -> Result<usize, sea_orm::DbErr> {
    let Sender { transport, from, host, public_url, settings } = sender;
    let now = Utc::now();
    // Long enough for every email of a round, each within its limit.
    let lease_ms = ms(SEND_LIMIT * (ROUND as u32 + 1));
    let lease = now.timestamp_millis() + lease_ms + rand::rng().random_range(0..1000);
    let claimed = mail::claim(&db.write, now, lease, ROUND).await?;
    let rest = |i: usize| claimed[i..].iter().map(|e| e.id).collect::<Vec<i64>>();
    // The last packet made: a delivery's letters usually follow one another.
    let mut packet: Option<(i64, (String, Vec<u8>))> = None;
    for (i, email) in claimed.iter().enumerate() {
        let attachment = match email.delivery_id {
            Some(id) if packet.as_ref().is_some_and(|(made, _)| *made == id) => {
                Ok(packet.as_ref().map(|(_, p)| p.clone()))
            }
            Some(id) => match tokio::time::timeout(SEND_LIMIT, packet_of(db, id, public_url)).await {
                Ok(Ok(p)) => {
                    packet = Some((id, p.clone()));
                    Ok(Some(p))
                }
                Ok(Err(e)) => Err(e),
                Err(_) => Err(format!("its packet was not made within {} s", SEND_LIMIT.as_secs())),
            },
            None => Ok(None),
        };
        // Stopping, or too near the lease's end to send one more (another process may take it
        // then): the rest go back, due at once.
        let late = Utc::now().timestamp_millis() + ms(SEND_LIMIT + Duration::from_secs(5)) > lease;
        if *stopping.borrow() || late {
            mail::release(&db.write, &rest(i), lease).await?;
            break;
        }
        let outcome = match attachment {
            // A packet not made now (the database, a busy server) may be made later.
            Err(reason) => failure(email, false, None, reason, settings, Utc::now()),
            Ok(attachment) => send_one(email, transport, from, host, public_url, attachment, settings).await,
        };
        if let Err(e) = mail::finish(&db.write, email, outcome, Utc::now()).await {
            // What was not sent yet goes back; this one is sent again when its lease ends.
            let _ = mail::release(&db.write, &rest(i + 1), lease).await;
            return Err(e);
        }
    }
    Ok(claimed.len())
}

/// Sends one email (within [`SEND_LIMIT`]) and says what became of it.
async fn send_one(
    email: &entity::email::Model,
    transport: &Transport,
    from: &Mailbox,
    host: &str,
    public_url: &str,
    attachment: Option<(String, Vec<u8>)>,
    settings: &MailSettings,
) -> Outcome {
    match message(email, from, host, public_url, attachment) {
        Ok(message) => match tokio::time::timeout(SEND_LIMIT, transport.send(message)).await {
            Ok(Ok(_)) => {
                tracing::info!(email = email.id, kind = %email.kind, "email sent");
                Outcome::Sent
            }
            Ok(Err(e)) => {
                let code = e.status().map(|c| c.to_string());
                failure(email, refused_for_good(&e), code, e.to_string(), settings, Utc::now())
            }
            Err(_) => {
                let error = format!("no answer within {} s", SEND_LIMIT.as_secs());
                failure(email, false, None, error, settings, Utc::now())
            }
        },
        Err(reason) => {
            tracing::warn!(email = email.id, kind = %email.kind, "an email could not be made: {reason}");
            Outcome::Failed { error: reason }
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// What a failed attempt means: refused for good, tried again later (with the webhooks'
/// back-off), or given up after the last attempt.
fn failure(
    email: &entity::email::Model,
    for_good: bool,
    code: Option<String>,
    error: String,
    settings: &MailSettings,
    now: DateTime<Utc>,
) -> Outcome {
    let attempts = email.attempts + 1;
    if for_good || attempts >= settings.max_attempts {
        tracing::warn!(email = email.id, kind = %email.kind, code, attempts, "an email was not sent and will not be tried again");
        return Outcome::Failed { error };
    }
    let delay = crate::domain::webhook::retry_delay(attempts, settings.retry_base);
    tracing::warn!(email = email.id, kind = %email.kind, code, attempts, retry_in_s = delay.as_secs(), "an email was not sent; it will be tried again");
    Outcome::Retry { at: now + delay, error }
}

/// Whether the server refused this message for good: a `550`–`553` (no such mailbox, not
/// allowed, mailbox full, bad address). Other refusals, a failed sign-in (`535`) or a refused
/// connection say more about the server or its settings than about the message: they are tried
/// again, so a wrong password does not fail the whole outbox at once.
fn refused_for_good(e: &lettre::transport::smtp::Error) -> bool {
    e.is_permanent()
        && e.status()
            .and_then(|c| c.to_string().parse::<u16>().ok())
            .is_some_and(|c| (550..=553).contains(&c))
}

/// The message for an outbox row: plain text, with its HTML form when it has one. The id is
/// the same on every attempt, so a mail server that got it twice can tell.
fn message(
    email: &entity::email::Model,
    from: &Mailbox,
    host: &str,
    public_url: &str,
    attachment: Option<(String, Vec<u8>)>,
) -> Result<Message, String> {
    let to: Mailbox = email.to_address.parse().map_err(|_| "the address cannot be used".to_owned())?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(format!("<email-{}.{}@{host}>", email.id, email.created_at.timestamp())));
    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text_body.clone());
    let alternative = email.html_body.as_ref().map(|html| {
        MultiPart::alternative()
            .singlepart(text.clone())
            .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone()))
    });
    let built = match (alternative, attachment) {
        (None, None) => builder.singlepart(text),
        (Some(alternative), None) => builder.multipart(alternative),
        (words, Some((name, bytes))) => {
            let pdf = ContentType::parse("application/pdf").map_err(|e| e.to_string())?;
            let file = Attachment::new(name).body(bytes, pdf);
            let mixed = match words {
                Some(alternative) => MultiPart::mixed().multipart(alternative),
                None => MultiPart::mixed().singlepart(text),
            };
            builder.multipart(mixed.singlepart(file))
        }
    };
    let mut message = built.map_err(|e| e.to_string())?;
    // Not a person writing: out-of-office replies stay away (RFC 3834).
    message.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".into(),
    ));
    // An update email can be stopped in one click from the mail program (RFC 8058): it posts
    // `List-Unsubscribe=One-Click` to the link, which needs nothing else.
    if let Some(token) = &email.unsubscribe_token {
        let headers = message.headers_mut();
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{public_url}/unsubscribe/{token}>"),
        ));
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".into(),
        ));
    }
    Ok(message)
}

/// The packet of delivery `id` to attach (made when it is sent, from what the delivery froze),
/// or why there is none.
async fn packet_of(db: &Database, id: i64, public_url: &str) -> Result<(String, Vec<u8>), String> {
    use sea_orm::EntityTrait;
    let d = entity::delivery::Entity::find_by_id(id)
        .one(&db.read)
        .await
        .map_err(|e| format!("its delivery could not be read: {e}"))?
        .ok_or_else(|| "its delivery no longer exists".to_owned())?;
    let name = format!("delivery-{}-packet.pdf", d.public_id.get(..8).unwrap_or_default());
    let url = format!("{public_url}/d/{}", d.public_id);
    crate::packet::pdf_of(d, url, false).await.map(|pdf| (name, pdf))
}

/// Logs that emails were written to the outbox (ids and kind only) and wakes the sender.
pub fn written(ids: &[i64], kind: &str, wake: &Notify) {
    if !ids.is_empty() {
        tracing::info!(emails = ?ids, kind, "emails written to the outbox");
        wake.notify_one();
    }
}

/// What the watcher does, and how often.
struct Jobs {
    every: Duration,
    /// Recipients' daily updates go after this hour (UTC).
    digest_hour: u32,
    /// `RETENTION_MONTHS`.
    retention_months: Option<u32>,
    public_url: String,
}

/// Review notices are looked for every this many `GOAL_CHECK_MS` (each look reads the newest
/// signatures of every campaign signed in the last two hours), and at least every
/// [`REVIEW_AT_MOST`]: once a minute by default.
const REVIEW_EVERY: u32 = 12;
const REVIEW_AT_MOST: Duration = Duration::from_secs(60);

/// Every `jobs.every`: goal milestones, scheduled deliveries, recipients' daily updates,
/// paper signers who signed online too, confirmation reminders, and anonymising the signers of
/// petitions closed `RETENTION_MONTHS` ago. Each is claimed in the database, so however many
/// processes watch, each is done once.
async fn watch(db: Database, jobs: Jobs, wake: Arc<Notify>) {
    let Jobs { every, digest_hour, retention_months, public_url } = jobs;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = check_goals(&db, &public_url, &wake, Utc::now()).await {
            tracing::warn!(error = %crate::error::chain(&e), "looking for goal milestones failed");
        }
        if let Err(e) = crate::letters::run_schedules(&db, &public_url, &wake, Utc::now()).await {
            tracing::warn!(error = %crate::error::chain(&e), "making scheduled deliveries failed");
        }
        if let Err(e) = crate::letters::send_digests(&db, &public_url, digest_hour, &wake, Utc::now()).await {
            tracing::warn!(error = %crate::error::chain(&e), "writing recipients' daily updates failed");
        }
        if let Err(e) = crate::db::paper::check_later_online(&db, Utc::now()).await {
            tracing::warn!(error = %crate::error::chain(&e), "checking paper signers against later online ones failed");
        }
        if let Err(e) = crate::confirm::send_reminders(&db, &public_url, &wake, Utc::now()).await {
            tracing::warn!(error = %crate::error::chain(&e), "writing confirmation reminders failed");
        }
        if let Some(months) = retention_months
            && let Err(e) = crate::db::retention::run(&db.write, months, Utc::now()).await
        {
            tracing::warn!(error = %crate::error::chain(&e), "anonymising signers past retention failed");
        }
    }
}

/// Records the milestones petitions have newly passed and writes the alerts for them: one email
/// to each staff member who asked, naming the highest milestone passed (several may be passed
/// at once).
pub async fn check_goals(
    db: &Database,
    public_url: &str,
    wake: &Notify,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let highest = mail::highest_milestones(&db.read).await?;
    for p in mail::progress(&db.read).await? {
        let known = highest.get(&p.petition_id).copied().unwrap_or(0);
        let new: Vec<i32> = mail::reached(p.count, p.goal).filter(|m| *m > known).collect();
        if new.is_empty() {
            continue;
        }
        let txn = db.write.begin().await?;
        // A goal changed since it was read: its milestones were started again; look next time.
        if mail::locked_goal(&txn, p.petition_id).await? != Some(p.goal) {
            continue;
        }
        let mut recorded = Vec::new();
        for m in new {
            if mail::record_milestone(&txn, &p, m, now).await? {
                recorded.push(m);
            }
        }
        let ids = match recorded.last() {
            Some(&top) => {
                let emails = mail::alert_addresses(&txn, p.petition_id)
                    .await?
                    .into_iter()
                    .map(|to| goal_email(&p, top, to, public_url))
                    .collect();
                mail::enqueue(&txn, emails, now).await?
            }
            None => Vec::new(),
        };
        txn.commit().await?;
        if let Some(top) = recorded.last() {
            tracing::info!(petition = p.petition_id, percent = top, "a petition passed a goal milestone");
        }
        written(&ids, GOAL_REACHED, wake);
    }
    Ok(())
}

/// The alert that `p` passed `percent` of its goal.
fn goal_email(p: &Progress, percent: i32, to: String, public_url: &str) -> NewEmail {
    let title = crate::views::admin::title_or_untitled(&p.title);
    let dashboard = format!("{public_url}/admin/campaigns/{}/dashboard", p.petition_id);
    let page = format!("{public_url}/p/{}", p.slug);
    let subject = if percent >= 100 {
        format!("“{title}” reached its goal")
    } else {
        format!("“{title}” passed {percent}% of its goal")
    };
    let figures = format!("{} signatures: {percent}% of its goal of {}.", p.count, p.goal);
    let why = "You get this email because you asked to hear when this petition passes 25, 50, 75 \
               and 100% of its goal.";
    let token = crate::domain::staff::new_token();
    let stop = format!("{public_url}/unsubscribe/{token}");
    let text = format!(
        "{title} has {figures}\n\nDashboard: {dashboard}\nPublic page: {page}\n\n-- \n{why}\nTo stop: {stop}\n"
    );
    let html = html! {
        p { strong { (title) } " has " (figures) }
        p { a href=(dashboard) { "Open the dashboard" } " · " a href=(page) { "Public page" } }
        hr;
        p style="color:#555;font-size:90%" { (why) " " a href=(stop) { "Stop goal emails" } }
    }
    .into_string();
    NewEmail {
        kind: GOAL_REACHED,
        petition_id: Some(p.petition_id),
        to,
        subject,
        text,
        html: Some(html),
        delivery_id: None,
        unsubscribe_token: Some(token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_are_whole_shares_of_the_goal() {
        let r = |count, goal| mail::reached(count, goal).collect::<Vec<_>>();
        assert_eq!(r(0, 100), Vec::<i32>::new());
        assert_eq!(r(24, 100), Vec::<i32>::new());
        assert_eq!(r(25, 100), vec![25]);
        assert_eq!(r(74, 100), vec![25, 50]);
        assert_eq!(r(100, 100), vec![25, 50, 75, 100]);
        assert_eq!(r(1_000, 100), vec![25, 50, 75, 100]);
        // 3 of 10 is 30%: past a quarter, short of a half.
        assert_eq!(r(3, 10), vec![25]);
        assert_eq!(r(5, 0), Vec::<i32>::new());
        assert_eq!(r(i64::MAX, i64::MAX), vec![25, 50, 75, 100]);
    }
}
