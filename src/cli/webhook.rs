//! `undersigned webhook add|list|remove|failures|retry`.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::Utc;
use sea_orm::EntityTrait;

use super::WebhookCommand;
use crate::{
    config::Config,
    db::{
        Database, petitions,
        webhooks::{self, NewHook},
    },
    domain::webhook::{Event, Scope, UrlError, check_url, is_public, new_secret},
};

pub async fn run<W: Write>(
    db: &Database,
    config: &Config,
    action: WebhookCommand,
    mut out: W,
) -> anyhow::Result<()> {
    match action {
        WebhookCommand::Add { url, events, scope, petition, secret } => {
            let allow_private = config.webhooks.allow_private;
            let events = Event::parse_list(&events).map_err(|e| anyhow::anyhow!("--events: {e}"))?;
            let scope =
                Scope::parse(&scope).with_context(|| format!("--scope {scope:?}: use counts or contacts"))?;
            // The URL is not repeated: it may carry a password.
            let url = check_url(&url, allow_private).map_err(|e| anyhow::anyhow!("--url: {e}"))?;
            check_host(&url, allow_private).await?;
            let petition_id = match petition {
                Some(slug) => Some(
                    petitions::find_by_slug(&db.read, &slug)
                        .await?
                        .with_context(|| format!("no petition with slug {slug:?}"))?
                        .petition
                        .id,
                ),
                None => None,
            };
            let secret = match secret {
                Some(s) if s.len() < 16 => {
                    bail!("--secret: use at least 16 characters, or leave it out to get one")
                }
                Some(s) if s.len() > 128 => bail!("--secret: use at most 128 characters"),
                Some(s) => s,
                None => new_secret(),
            };
            let hook = webhooks::create(
                &db.write,
                NewHook { url: url.as_str(), secret: &secret, events: &events, scope, petition_id },
            )
            .await?;
            writeln!(out, "Webhook {} added: {} for {}", hook.id, hook.url, hook.events)?;
            writeln!(out, "Secret (shown once; it signs every delivery): {secret}")?;
        }
        WebhookCommand::List => {
            let hooks = webhooks::all(&db.read).await?;
            if hooks.is_empty() {
                writeln!(out, "No webhooks.")?;
            }
            for h in hooks {
                let [pending, delivered, dead] = webhooks::counts(&db.read, Some(h.id)).await?;
                let petition = match h.petition_id {
                    Some(id) => entity::petition::Entity::find_by_id(id)
                        .one(&db.read)
                        .await?
                        .map_or_else(|| format!("petition {id}"), |p| p.slug),
                    None => "every petition".to_owned(),
                };
                writeln!(
                    out,
                    "{}  {}  {}  scope={}  {}{}  pending={pending} delivered={delivered} dead={dead}",
                    h.id,
                    h.url,
                    h.events,
                    h.scope,
                    petition,
                    if h.paused { "  (paused)" } else { "" },
                )?;
            }
        }
        WebhookCommand::Pause { id } | WebhookCommand::Resume { id } => {
            let paused = matches!(action, WebhookCommand::Pause { .. });
            if !webhooks::set_paused(&db.write, id, paused).await? {
                bail!("no webhook {id}");
            }
            if paused {
                writeln!(out, "Webhook {id} paused: its events are kept and sent when it is resumed.")?;
            } else {
                writeln!(out, "Webhook {id} resumed: waiting events are being sent.")?;
            }
        }
        WebhookCommand::Remove { id } => {
            if !webhooks::remove(&db.write, id).await? {
                bail!("no webhook {id}");
            }
            writeln!(out, "Webhook {id} removed, with its deliveries.")?;
        }
        WebhookCommand::Failures { limit } => {
            let failed = webhooks::failures(&db.read, limit).await?;
            if failed.is_empty() {
                writeln!(out, "No failed deliveries.")?;
            }
            for d in failed {
                let when = if d.status == webhooks::DEAD {
                    "dead".to_owned()
                } else {
                    let at = chrono::DateTime::from_timestamp_millis(d.next_attempt_ms).unwrap_or_default();
                    format!("next attempt {}", at.format("%Y-%m-%d %H:%M:%S UTC"))
                };
                writeln!(
                    out,
                    "{}  webhook {}  {}  attempts={}  {}  last: {}{}",
                    d.id,
                    d.webhook_id,
                    d.event,
                    d.attempts,
                    when,
                    d.last_status.map(|s| format!("HTTP {s} ")).unwrap_or_default(),
                    d.last_error.unwrap_or_default(),
                )?;
            }
        }
        WebhookCommand::Retry { id, all } => {
            if id.is_none() && !all {
                bail!("name a delivery's id, or use --all for every dead delivery");
            }
            let n = webhooks::retry(&db.write, id, Utc::now().timestamp_millis()).await?;
            match id {
                Some(id) if n == 0 => bail!("delivery {id} is not dead (or does not exist)"),
                _ => writeln!(out, "{n} deliveries will be sent again.")?,
            }
        }
    }
    Ok(())
}

/// A host name must be found, and (unless private addresses are allowed) only at public
/// addresses. Each delivery looks it up again.
async fn check_host(url: &url::Url, allow_private: bool) -> anyhow::Result<()> {
    let Some(url::Host::Domain(host)) = url.host() else { return Ok(()) };
    let port = url.port_or_known_default().unwrap_or(443);
    let found: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {}", UrlError::Lookup(e.to_string())))?
        .collect();
    if let Some(private) = found.iter().find(|a| !allow_private && !is_public(a.ip())) {
        bail!("{url}: {host} resolves to {}", UrlError::Private(private.ip()));
    }
    Ok(())
}
