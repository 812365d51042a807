//! `undersigned token create|list|revoke`: API tokens from the command line.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::Utc;

use super::TokenCommand;
use crate::db::{
    Database,
    staff::{self, Audit},
    tokens::{self, NAME_MAX, Scope},
};

pub async fn run<W: Write>(db: &Database, action: TokenCommand, mut out: W) -> anyhow::Result<()> {
    let now = Utc::now();
    match action {
        TokenCommand::Create { name, scope } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > NAME_MAX {
                bail!("--name must say what the token is for, in at most {NAME_MAX} characters");
            }
            let scope = Scope::parse(&scope)
                .filter(|s| *s != Scope::Csv)
                .with_context(|| format!("--scope {scope:?}: use read or write"))?;
            let made = tokens::create(&db.write, name, scope, None, "command line", now).await?;
            let entry = Audit {
                actor: "command line",
                action: "token.created",
                subject: Some(format!("token:{}", made.row.id)),
                detail: Some(format!("“{name}”, {}", scope.name())),
                ..Audit::default()
            };
            staff::audit(&db.write, entry, now).await?;
            writeln!(out, "API token {} (“{name}”, {}): {}", made.row.id, scope.name(), made.token)?;
            writeln!(out, "Keep it now: it is not shown again. Send it as `Authorization: Bearer <token>`.")?;
        }
        TokenCommand::List => {
            for t in tokens::all(&db.read).await? {
                let used = t.last_used_at.map_or_else(
                    || "never used".to_owned(),
                    |at| format!("last used {}", at.format("%Y-%m-%d %H:%M UTC")),
                );
                let state = t
                    .revoked_at
                    .map_or_else(String::new, |at| format!(", revoked {}", at.format("%Y-%m-%d %H:%M UTC")));
                writeln!(out, "{}\t{}…\t{}\t{}\t{used}{state}", t.id, t.hint, t.scope, t.name)?;
            }
        }
        TokenCommand::Revoke { id } => {
            let Some(t) = tokens::revoke(&db.write, id, "command line", now).await? else {
                bail!("no live token with id {id}");
            };
            let entry = Audit {
                actor: "command line",
                action: "token.revoked",
                subject: Some(format!("token:{id}")),
                detail: Some(format!("“{}”, {}", t.name, t.scope)),
                ..Audit::default()
            };
            staff::audit(&db.write, entry, now).await?;
            writeln!(out, "Token {id} (“{}”) is revoked.", t.name)?;
        }
    }
    Ok(())
}
