//! Email confirmation. A petition that asks for it (`require_confirmation`) keeps a new
//! signature `pending` and emails the signer a link to `/confirm/{token}`; the page there shows
//! a button, and only pressing it (a `POST`) counts the signature, so mail scanners that open
//! every link confirm nothing and use nothing up. A link works once, for seven days; one
//! reminder, with a link of its own, goes a day after signing if the first was not used.
//!
//! The token (about 256 bits) is in the email only: the database keeps its SHA-256.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maud::html;
use sea_orm::{DbErr, TransactionTrait};
use tokio::sync::Notify;

use crate::{
    db::{
        Database,
        confirmations::{self, Due},
        mail::{self, NewEmail},
        petitions::{self, PetitionRecord},
    },
    domain::staff::{new_token, token_id},
    i18n::Locale,
};

/// The kind of the email asking a signer to confirm.
pub const CONFIRM: &str = "signature.confirm";
/// The kind of its one reminder.
pub const REMINDER: &str = "signature.confirm_reminder";
/// Reminders written per look (the rest wait for the next).
const REMINDERS_PER_LOOK: u64 = 200;

/// What the signature writer needs to ask a new signer to confirm: the hash of the link's token
/// and the email that carries the link. Both are written only if the signature is new.
#[derive(Clone, Debug)]
pub struct Ask {
    pub token_hash: String,
    pub locale: Locale,
    pub email: NewEmail,
}

impl Ask {
    /// A new link for a signer of `rec` who signed on a page in `locale`.
    pub fn new(public_url: &str, rec: &PetitionRecord, locale: Locale, given_name: &str, to: &str) -> Self {
        let token = new_token();
        let email = email(public_url, rec, locale, given_name, to, &token, false);
        Self { token_hash: token_id(&token), locale, email }
    }
}

/// The email with the link for `token`; `reminder` for the second one.
fn email(
    public_url: &str,
    rec: &PetitionRecord,
    locale: Locale,
    given_name: &str,
    to: &str,
    token: &str,
    reminder: bool,
) -> NewEmail {
    let title = rec.content(locale.tag()).title.to_owned();
    let url = format!("{}/confirm/{token}", public_url.trim_end_matches('/'));
    let args = [("title", title.into())];
    let (subject, intro) = if reminder {
        (
            locale.t_with("confirm-email-reminder-subject", &args),
            locale.t_with("confirm-email-reminder-intro", &args),
        )
    } else {
        (locale.t_with("confirm-email-subject", &args), locale.t_with("confirm-email-intro", &args))
    };
    let (subject, intro) = (subject.into_owned(), intro.into_owned());
    let greeting =
        locale.t_with("confirm-email-greeting", &[("name", given_name.to_owned().into())]).into_owned();
    let button = locale.t("confirm-button").into_owned();
    let expiry = locale.t("confirm-email-expiry").into_owned();
    let ignore = locale.t("confirm-email-ignore").into_owned();
    let text = format!("{greeting}\n\n{intro}\n\n{url}\n\n{expiry}\n\n{ignore}\n");
    let html = html! {
        p { (greeting) }
        p { (intro) }
        p { a href=(url) { (button) } }
        p { (expiry) }
        p { (ignore) }
    }
    .into_string();
    NewEmail {
        kind: if reminder { REMINDER } else { CONFIRM },
        petition_id: Some(rec.petition.id),
        to: to.to_owned(),
        subject,
        text,
        html: Some(html),
        delivery_id: None,
        unsubscribe_token: None,
    }
}

/// Writes the reminders due at `now`: each link once, however many processes look (its
/// reminder is claimed in the transaction that writes the email).
pub async fn send_reminders(
    db: &Database,
    public_url: &str,
    wake: &Notify,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let due = confirmations::due_reminders(&db.read, now, REMINDERS_PER_LOOK).await?;
    if due.is_empty() {
        return Ok(());
    }
    let mut records: HashMap<i64, Option<PetitionRecord>> = HashMap::new();
    for d in due {
        if let std::collections::hash_map::Entry::Vacant(e) = records.entry(d.petition_id) {
            e.insert(petitions::find_by_id(&db.read, d.petition_id).await?);
        }
        let Some(Some(rec)) = records.get(&d.petition_id) else { continue };
        remind(db, public_url, wake, rec, &d, now).await?;
    }
    Ok(())
}

async fn remind(
    db: &Database,
    public_url: &str,
    wake: &Notify,
    rec: &PetitionRecord,
    d: &Due,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let token = new_token();
    let txn = db.write.begin().await?;
    if !confirmations::claim_reminder(&txn, d.signature_id, &token_id(&token), now).await? {
        return Ok(());
    }
    let locale = Locale::parse(&d.locale);
    let email = email(public_url, rec, locale, &d.given_name, &d.email, &token, true);
    let ids = mail::enqueue(&txn, vec![email], now).await?;
    txn.commit().await?;
    crate::mail::written(&ids, REMINDER, wake);
    Ok(())
}
