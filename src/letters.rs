//! Letters handed over: a delivery made and, when staff ask, emailed to its recipients who have
//! an address (one email each, the packet attached, each one's fate recorded in the outbox);
//! deliveries made by schedule (every so many signatures, or weekly), each once however many
//! processes run; and the daily update to a letter's recipients.
//!
//! Emails carry counts, never a signer: names travel only in the packet, which lists only the
//! signers who agreed to be named.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use entity::{delivery, delivery_schedule, petition};
use maud::html;
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use tokio::sync::Notify;

use crate::{
    db::{
        Database,
        deliveries::{self, NewDelivery, Refused},
        mail::{self, NewEmail},
        petitions::PetitionRecord,
        schedules,
        staff::{self, Audit},
        unsubscribes,
    },
    domain::{
        delivery::{Columns, timestamp},
        staff::new_token,
    },
    i18n::Locale,
};

/// The kind of a letter emailed to a recipient (its delivery's packet attached).
pub const LETTER: &str = "delivery.letter";
/// The kind of the daily update to a letter's recipients.
pub const DIGEST: &str = "letter.digest";
/// The kind of the email that tells staff a scheduled delivery was made.
pub const SCHEDULED: &str = "delivery.scheduled";

/// A delivery made, and the emails written for it.
#[derive(Debug)]
pub struct Made {
    pub delivery: delivery::Model,
    pub emails: Vec<i64>,
}

/// Makes a delivery of `rec` in `db` (a transaction) and, with `send`, writes the letter to
/// each chosen recipient who has an email address.
pub async fn deliver(
    db: &impl ConnectionTrait,
    rec: &PetitionRecord,
    new: NewDelivery<'_>,
    send: bool,
    now: DateTime<Utc>,
) -> Result<Result<Made, Refused>, DbErr> {
    let public_url = new.public_url.trim_end_matches('/').to_owned();
    let chosen = new.recipients.clone();
    let delivery = match deliveries::create(db, rec, new, now).await? {
        Ok(d) => d,
        Err(refused) => return Ok(Err(refused)),
    };
    let mut emails = Vec::new();
    if send {
        let letters = rec
            .recipients
            .iter()
            .enumerate()
            .filter(|(i, _)| chosen.as_ref().is_none_or(|c| c.contains(i)))
            .filter_map(|(_, r)| Some((r, r.email.clone()?)))
            .map(|(r, to)| letter_email(&delivery, &r.name, to, &public_url))
            .collect();
        emails = mail::enqueue(db, letters, now).await?;
    }
    Ok(Ok(Made { delivery, emails }))
}

/// The letter of delivery `d`, to `name` at `to`, in the letter's language.
fn letter_email(d: &delivery::Model, name: &str, to: String, public_url: &str) -> NewEmail {
    let locale = Locale::parse(&d.locale);
    let record = format!("{public_url}/d/{}", d.public_id);
    let packet = format!("{record}/packet.pdf");
    let total = d.signers + d.offline;
    let cutoff = timestamp(d.cutoff).replace('T', " ").replace('Z', "");
    let statement = locale
        .t_with(
            "packet-statement",
            &[("count", total.into()), ("n", locale.number(total).into()), ("cutoff", cutoff.into())],
        )
        .into_owned();
    let greeting = locale.t_with("letter-greeting", &[("name", name.to_owned().into())]).into_owned();
    let intro = locale.t("letter-intro").into_owned();
    let attached = locale.t_with("letter-attached", &[("url", packet.clone().into())]).into_owned();
    let verify = locale.t_with("letter-verify", &[("url", record.clone().into())]).into_owned();
    let subject = locale.t_with("letter-subject", &[("title", d.title.clone().into())]).into_owned();
    let body: Vec<String> = crate::packet::paragraphs(&d.body).into_iter().map(|(_, p)| p).collect();
    let text = format!(
        "{greeting}\n\n{intro}\n\n{}\n\n{}\n\n{statement}\n\n{attached}\n\n{verify}\n",
        d.title,
        body.join("\n\n")
    );
    let html = html! {
        p { (greeting) }
        p { (intro) }
        h1 style="font-size:120%" { (d.title) }
        (crate::views::markdown::markdown(&d.body))
        p { strong { (statement) } }
        p { (attached) }
        p { (verify) }
    }
    .into_string();
    NewEmail {
        kind: LETTER,
        petition_id: Some(d.petition_id),
        to,
        subject,
        text,
        html: Some(html),
        delivery_id: Some(d.id),
        unsubscribe_token: None,
    }
}

/// Makes the deliveries schedules call for at `now`: a threshold passed (the highest one, when
/// several were passed at once) or a week's time come. Each is made once: its mark is written
/// first in the delivery's transaction, and a second process finds it there.
pub async fn run_schedules(
    db: &Database,
    public_url: &str,
    wake: &Notify,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for (s, p, count) in schedules::due_candidates(&db.read).await? {
        let Some((mark, cutoff)) = due(&s, count, now) else { continue };
        if schedules::made(&db.read, s.id, &mark).await? {
            continue;
        }
        let Some(rec) = crate::db::petitions::find_by_id(&db.read, p.id).await? else { continue };
        let txn = db.write.begin().await?;
        if !schedules::claim(&txn, s.id, &mark, now).await? {
            continue;
        }
        // A threshold is delivered as of now, this schedule's turn (not the pass's start).
        let now = Utc::now().max(now);
        let cutoff = if s.every.is_some() { now } else { cutoff };
        let new = NewDelivery {
            cutoff,
            columns: Columns::parse(s.fields.split(',').filter(|f| !f.is_empty())).unwrap_or_default(),
            recipients: None,
            actor: "schedule",
            public_url,
        };
        let made = match deliver(&txn, &rec, new, s.send, now).await? {
            Ok(made) => made,
            Err(refused) => {
                // Recorded as tried, so it is not tried every few seconds; staff hear why.
                let note = staff_note(&rec.petition, &s, &mark, Err(&refused.to_string()), public_url);
                let ids = mail::enqueue(&txn, schedules::notify(&txn, &s, note).await?, now).await?;
                txn.commit().await?;
                tracing::warn!(schedule = s.id, mark = %mark, "a scheduled delivery could not be made: {refused}");
                crate::mail::written(&ids, SCHEDULED, wake);
                continue;
            }
        };
        schedules::link(&txn, s.id, &mark, made.delivery.id).await?;
        let entry = Audit {
            actor: "schedule",
            action: "delivery.created",
            subject: Some(format!("delivery:{}", made.delivery.id)),
            detail: Some(format!(
                "{}: {} signatures as of {}, sha256 {} (schedule {}, {mark})",
                p.slug,
                made.delivery.signers + made.delivery.offline,
                timestamp(made.delivery.cutoff),
                made.delivery.digest,
                s.id
            )),
            ..Audit::default()
        };
        staff::audit(&txn, entry, now).await?;
        let note = staff_note(&rec.petition, &s, &mark, Ok(&made.delivery), public_url);
        let mut ids = mail::enqueue(&txn, schedules::notify(&txn, &s, note).await?, now).await?;
        txn.commit().await?;
        tracing::info!(schedule = s.id, mark = %mark, delivery = made.delivery.id, "a scheduled delivery was made");
        ids.extend(made.emails);
        crate::mail::written(&ids, SCHEDULED, wake);
    }
    Ok(())
}

/// What schedule `s` calls for now, if anything: its mark and the delivery's cut-off. A
/// threshold (every `every` signatures past `from_count`) is delivered as of now; a week's
/// delivery as of its hour, once that has passed (and only after the schedule was made).
pub fn due(s: &delivery_schedule::Model, count: i64, now: DateTime<Utc>) -> Option<(String, DateTime<Utc>)> {
    if let Some(every) = s.every.filter(|e| *e > 0) {
        let passed = (count - s.from_count).max(0) / every;
        return (passed > 0).then(|| (format!("n{}", s.from_count + passed * every), now));
    }
    let weekday = u32::try_from(s.weekday?).ok().filter(|d| (1..=7).contains(d))?;
    let hour = u32::try_from(s.hour).ok().filter(|h| *h < 24)?;
    let today = now.date_naive();
    let back = (today.weekday().number_from_monday() + 7 - weekday) % 7;
    let day = today - Duration::days(i64::from(back));
    let mut at = Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0)?);
    if at > now {
        at -= Duration::days(7);
    }
    if at < s.created_at {
        return None;
    }
    let week = at.date_naive().iso_week();
    Some((format!("w{}-W{:02}", week.year(), week.week()), at.with_nanosecond(0).unwrap_or(at)))
}

/// The email to staff about a scheduled delivery: made (with its record), or why not.
fn staff_note(
    p: &petition::Model,
    s: &delivery_schedule::Model,
    mark: &str,
    outcome: Result<&delivery::Model, &str>,
    public_url: &str,
) -> (String, String) {
    let title = crate::views::admin::title_or_untitled(&p.title);
    let page = format!("{public_url}/admin/campaigns/{}/deliveries", p.id);
    let when = match s.every {
        Some(every) => format!("every {every} signatures (this one at {})", mark.trim_start_matches('n')),
        None => format!("weekly ({mark})"),
    };
    match outcome {
        Ok(d) => (
            format!("“{title}” was delivered: {} signatures", d.signers + d.offline),
            format!(
                "A scheduled delivery of “{title}” was made, {when}: {} signatures as of {} UTC.\n\n\
                 Public record: {public_url}/d/{}\nSHA-256 of the signer list: {}\n\nDeliveries: {page}\n",
                d.signers + d.offline,
                timestamp(d.cutoff),
                d.public_id,
                d.digest
            ),
        ),
        Err(why) => (
            format!("“{title}”: a scheduled delivery could not be made"),
            format!(
                "A scheduled delivery of “{title}” ({when}) could not be made: {why}\n\nDeliveries: {page}\n"
            ),
        ),
    }
}

/// Writes the day's update to the recipients of every open letter that asks for one, once the
/// day's hour (`hour`, UTC) has come: how many signed in the 24 hours before it, when any did.
/// Each letter's day is written once (its row first, in the emails' transaction).
pub async fn send_digests(
    db: &Database,
    public_url: &str,
    hour: u32,
    wake: &Notify,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if now.hour() < hour {
        return Ok(());
    }
    let day = now.date_naive();
    let Some(at) = day.and_hms_opt(hour, 0, 0).map(|t| Utc.from_utc_datetime(&t)) else { return Ok(()) };
    let key = day.format("%Y-%m-%d").to_string();
    for p in schedules::digest_letters(&db.read, &key).await? {
        let Some(rec) = crate::db::petitions::find_by_id(&db.read, p.id).await? else { continue };
        // Recipients who stopped the updates from an earlier one's link are left out.
        let stopped = unsubscribes::stopped(&db.read, DIGEST, p.id).await?;
        let addresses: Vec<(&str, &str)> = rec
            .recipients
            .iter()
            .filter_map(|r| Some((r.name.as_str(), r.email.as_deref()?)))
            .filter(|(_, to)| !stopped.contains(&to.to_lowercase()))
            .collect();
        if addresses.is_empty() {
            continue;
        }
        let (signed, total) = schedules::signed_between(&db.read, &p, at - Duration::hours(24), at).await?;
        let txn = db.write.begin().await?;
        if !schedules::claim_digest(&txn, p.id, &key, signed, now).await? {
            continue;
        }
        let emails: Vec<NewEmail> = if signed > 0 {
            addresses.iter().map(|(name, to)| digest_email(&p, public_url, name, to, signed, total)).collect()
        } else {
            Vec::new()
        };
        let ids = mail::enqueue(&txn, emails, now).await?;
        txn.commit().await?;
        crate::mail::written(&ids, DIGEST, wake);
    }
    Ok(())
}

/// "43 more people signed today", in the letter's language.
fn digest_email(
    p: &petition::Model,
    public_url: &str,
    name: &str,
    to: &str,
    signed: i64,
    total: i64,
) -> NewEmail {
    let locale = Locale::parse(&p.locale);
    let n = locale.number(signed);
    let subject =
        locale.t_with("digest-subject", &[("title", p.title.clone().into()), ("n", n.clone().into())]);
    let args = [
        ("count", signed.into()),
        ("n", n.into()),
        ("title", p.title.clone().into()),
        ("total", locale.number(total).into()),
    ];
    let body = locale.t_with("digest-body", &args);
    let greeting = locale.t_with("letter-greeting", &[("name", name.to_owned().into())]);
    let why = locale.t("digest-why");
    let token = new_token();
    let stop = format!("{public_url}/unsubscribe/{token}");
    let stop_line = locale.t_with("digest-stop", &[("url", stop.clone().into())]);
    let text = format!("{greeting}\n\n{body}\n\n-- \n{why}\n{stop_line}\n");
    let html = html! {
        p { (greeting) } p { (body) } hr;
        p style="color:#555;font-size:90%" { (why) " " a href=(stop) { (locale.t("digest-stop-link")) } }
    }
    .into_string();
    NewEmail {
        kind: DIGEST,
        petition_id: Some(p.id),
        to: to.to_owned(),
        subject: subject.into_owned(),
        text,
        html: Some(html),
        delivery_id: None,
        unsubscribe_token: Some(token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(every: Option<i64>, from: i64, weekday: Option<i16>, hour: i16) -> delivery_schedule::Model {
        delivery_schedule::Model {
            id: 1,
            petition_id: 1,
            every,
            from_count: from,
            weekday,
            hour,
            fields: "name".into(),
            send: false,
            staff_id: None,
            created_by: "org@example.org".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).single().unwrap_or_default(),
        }
    }

    #[test]
    fn letters_and_updates_speak_the_letters_language() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).single().unwrap_or_default();
        let d = delivery::Model {
            id: 7,
            public_id: "0123456789abcdef0123456789abcdef".into(),
            petition_id: 1,
            cutoff: at,
            created_at: at,
            created_by: "org@example.org".into(),
            fields: "name".into(),
            title: "Personal suficiente".into(),
            body: "Estimada junta:\n\nPedimos personal.".into(),
            locale: "es".into(),
            recipients: "[]".into(),
            signers: 1234,
            named: 2,
            offline: 0,
            breakdown: "{}".into(),
            signers_csv: String::new(),
            digest: "ab".repeat(32),
        };
        let e = letter_email(&d, "Dana Whitfield", "dana@example.org".into(), "https://firmas.example.org");
        assert_eq!(e.subject, "Carta abierta: Personal suficiente");
        assert!(e.text.starts_with("Estimado/a Dana Whitfield:"), "{}", e.text);
        assert!(e.text.contains("1.234 personas firmaron hasta el 2026-11-27 17:00:00 (UTC)."), "{}", e.text);
        assert!(e.text.contains("https://firmas.example.org/d/0123456789abcdef0123456789abcdef/packet.pdf"));
        assert_eq!(e.delivery_id, Some(7));
        let p = petition::Model {
            id: 1,
            slug: "personal".into(),
            kind: petition::Kind::Letter,
            status: petition::Status::Open,
            locale: "es".into(),
            title: "Personal suficiente".into(),
            summary: String::new(),
            body: String::new(),
            goal: 0,
            offline_count: 0,
            postal_country: "ES".into(),
            image_url: None,
            created_at: at,
            updated_at: at,
            version: 1,
            form_fields: String::new(),
            updated_by: None,
            opened_at: Some(at),
            recipient_digest: true,
            require_confirmation: false,
            captcha: false,
            closed_at: None,
            anonymised_at: None,
        };
        let u = digest_email(&p, "https://sign.example.org", "Dana", "dana@example.org", 43, 1_234);
        assert_eq!(u.subject, "Personal suficiente: 43 más en las últimas 24 horas");
        assert!(
            u.text.contains(
                "43 personas más firmaron «Personal suficiente» en las últimas 24 horas: 1.234 en total."
            ),
            "{}",
            u.text
        );
    }

    #[test]
    fn thresholds_are_marked_by_the_highest_passed() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single().unwrap_or_default();
        let s = schedule(Some(1000), 250, None, 0);
        assert_eq!(due(&s, 1249, now), None);
        assert_eq!(due(&s, 1250, now), Some(("n1250".into(), now)));
        assert_eq!(due(&s, 3300, now), Some(("n3250".into(), now)));
        assert_eq!(due(&s, 10, now), None);
    }

    #[test]
    fn a_week_is_delivered_as_of_its_hour_once_it_has_come() {
        // Friday 27 November 2026, 10:00 UTC.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single().unwrap_or_default();
        let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).single().unwrap_or_default();
        // Fridays at 9: this morning.
        assert_eq!(due(&schedule(None, 0, Some(5), 9), 0, now), Some(("w2026-W48".into(), at(27, 9))));
        // Fridays at 17: last week's.
        assert_eq!(due(&schedule(None, 0, Some(5), 17), 0, now), Some(("w2026-W47".into(), at(20, 17))));
        // Mondays at 8: this Monday.
        assert_eq!(due(&schedule(None, 0, Some(1), 8), 0, now), Some(("w2026-W48".into(), at(23, 8))));
        // Made after its last time: nothing yet.
        let mut fresh = schedule(None, 0, Some(1), 8);
        fresh.created_at = at(24, 0);
        assert_eq!(due(&fresh, 0, now), None);
        assert_eq!(due(&schedule(None, 0, Some(9), 8), 0, now), None);
    }
}
