use sea_orm::entity::prelude::*;

/// One email in the outbox: written in the transaction that decides to send it, then sent by
/// a worker when SMTP is configured (and kept, for staff to read, when it is not).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What it is for (`goal.reached`, …); logs name this and the id, never the address.
    pub kind: String,
    pub petition_id: Option<i64>,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    pub created_at: DateTimeUtc,
    /// Not sent before then.
    pub due_at: DateTimeUtc,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// Held by a worker until then (Unix milliseconds); 0 = free.
    pub locked_until_ms: i64,
    pub sent_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// The delivery a letter to a recipient carries (its packet is attached).
    pub delivery_id: Option<i64>,
    /// An update email's own token for one-click unsubscribing (`/unsubscribe/{token}`).
    #[sea_orm(unique)]
    pub unsubscribe_token: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

/// The paths of links whose last segment is a token that acts for the recipient: confirming a
/// signature, stopping updates.
pub const TOKEN_LINKS: [&str; 2] = ["/confirm/", "/unsubscribe/"];

/// An email's text as kept once it is sent: each link in [`TOKEN_LINKS`] keeps its path but
/// its token becomes `…`, so that from then on the token is only in the email the recipient
/// got (and, hashed, in the database), and reading the outbox cannot act for anyone.
pub fn without_tokens(body: &str) -> String {
    let mut kept = String::with_capacity(body.len());
    let mut rest = body;
    while let Some((_, start)) =
        TOKEN_LINKS.iter().filter_map(|p| rest.find(p).map(|i| (i, i + p.len()))).min()
    {
        let token = rest[start..].bytes().take_while(u8::is_ascii_alphanumeric).count();
        kept.push_str(&rest[..start]);
        if token > 0 {
            kept.push('…');
        }
        rest = &rest[start + token..];
    }
    kept.push_str(rest);
    kept
}
