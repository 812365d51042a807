//! `undersigned staff create|reset`: staff accounts from the command line.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::Utc;

use super::StaffCommand;
use crate::{
    config::Config,
    db::{
        Database,
        staff::{self, Audit},
    },
    domain::staff::{account_email, parse_role, role_name},
    routes::admin::{ACCOUNT_LINK, RESET_LINK},
};

pub async fn run<W: Write>(
    db: &Database,
    config: &Config,
    action: StaffCommand,
    mut out: W,
) -> anyhow::Result<()> {
    let now = Utc::now();
    match action {
        StaffCommand::Create { email, role } => {
            let email = account_email(&email)
                .with_context(|| format!("--email {email:?} is not an email address"))?;
            let role = parse_role(&role)
                .with_context(|| format!("--role {role:?}: use admin, organizer or viewer"))?;
            let Some(account) = staff::create(&db.write, &email, role, now).await? else {
                bail!(
                    "{email} already has an account; for a new password link use `undersigned staff reset --email {email}`"
                );
            };
            let token = staff::new_link(&db.write, Some(account.id), ACCOUNT_LINK, now).await?;
            let entry = Audit {
                actor: "command line",
                action: "staff.created",
                subject: Some(format!("staff:{}", account.id)),
                detail: Some(format!("{email} as {}", role_name(role))),
                ..Audit::default()
            };
            staff::audit(&db.write, entry, now).await?;
            writeln!(out, "Staff account {email} ({}) created.", role_name(role))?;
            writeln!(out, "Send this one-time link to set its password (valid 24 hours):")?;
            writeln!(out, "{}", config.absolute(&format!("/admin/password/{token}")))?;
        }
        StaffCommand::Reset { email } => {
            let email = account_email(&email)
                .with_context(|| format!("--email {email:?} is not an email address"))?;
            let Some(account) = staff::by_email(&db.read, &email).await? else {
                bail!("no staff account for {email}");
            };
            let token = staff::new_link(&db.write, Some(account.id), RESET_LINK, now).await?;
            let entry = Audit {
                actor: "command line",
                action: "password.reset",
                subject: Some(format!("staff:{}", account.id)),
                ..Audit::default()
            };
            staff::audit(&db.write, entry, now).await?;
            writeln!(out, "A one-time link to set a new password for {email} (valid an hour):")?;
            writeln!(out, "{}", config.absolute(&format!("/admin/password/{token}")))?;
        }
    }
    Ok(())
}
