//! A sent email keeps no token that acts for its recipient: in the outbox, its links that
//! confirm a signature or stop updates lose their tokens once it is sent (the email has them),
//! and an update's unsubscribe token is kept as its SHA-256 in hex, as every other token is.
//! The server does this as it sends; this brings the emails sent before in line.

use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Emails read at a time.
const BATCH: u64 = 500;

/// The kinds of email that carry a confirmation link (the others that carry a token have an
/// unsubscribe token).
const CONFIRMATIONS: [&str; 2] = ["signature.confirm", "signature.confirm_reminder"];

/// The paths of links whose last segment is a token.
const TOKEN_LINKS: [&str; 2] = ["/confirm/", "/unsubscribe/"];

/// `body` with the token of each link in [`TOKEN_LINKS`] written `…` (as the server keeps a
/// sent email; copied here so that this migration stays as it ran).
fn without_tokens(body: &str) -> String {
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let mut after = 0i64;
        loop {
            let rows = db
                .query_all(
                    &Query::select()
                        .columns([Emails::Id, Emails::TextBody, Emails::HtmlBody, Emails::UnsubscribeToken])
                        .from(Emails::Table)
                        .and_where(Expr::col(Emails::Status).eq("sent"))
                        .and_where(
                            Expr::col(Emails::UnsubscribeToken)
                                .is_not_null()
                                .or(Expr::col(Emails::Kind).is_in(CONFIRMATIONS)),
                        )
                        .and_where(Expr::col(Emails::Id).gt(after))
                        .order_by(Emails::Id, Order::Asc)
                        .limit(BATCH)
                        .to_owned(),
                )
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                let id: i64 = row.try_get("", "id")?;
                after = id;
                let text: String = row.try_get("", "text_body")?;
                let html: Option<String> = row.try_get("", "html_body")?;
                let token: Option<String> = row.try_get("", "unsubscribe_token")?;
                let kept_text = without_tokens(&text);
                let kept_html = html.as_deref().map(without_tokens);
                // A token is 43 letters and digits; a hash, 64 hex digits.
                let kept_token = token.as_deref().map(|t| match t.len() {
                    64 => t.to_owned(),
                    _ => hex::encode(Sha256::digest(t.as_bytes())),
                });
                if (&kept_text, &kept_html, &kept_token) == (&text, &html, &token) {
                    continue;
                }
                manager
                    .exec_stmt(
                        Query::update()
                            .table(Emails::Table)
                            .value(Emails::TextBody, kept_text)
                            .value(Emails::HtmlBody, kept_html)
                            .value(Emails::UnsubscribeToken, kept_token)
                            .and_where(Expr::col(Emails::Id).eq(id))
                            .to_owned(),
                    )
                    .await?;
            }
        }
    }

    /// What was taken out is gone: going back leaves the emails as they are.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    Kind,
    Status,
    TextBody,
    HtmlBody,
    UnsubscribeToken,
}
