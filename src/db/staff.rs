//! Staff accounts, sessions, one-time links and the audit log.

use chrono::{DateTime, Duration, Utc};
use entity::{
    audit_entry,
    staff::{self, Role},
    staff_link, staff_session,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Statement, sea_query::OnConflict,
};

use crate::domain::staff::{new_token, token_id};

/// Whether any staff account exists.
pub async fn any(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(staff::Entity::find().count(db).await? > 0)
}

/// Creates an account (no password yet) unless the email has one; `None` if it has.
pub async fn create(
    db: &impl ConnectionTrait,
    email: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<Option<staff::Model>, DbErr> {
    let done = staff::Entity::insert(staff::ActiveModel {
        email: Set(email.to_owned()),
        role: Set(role),
        password_hash: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(staff::Column::Email).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    if done == 0 {
        return Ok(None);
    }
    by_email(db, email).await
}

pub async fn by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<staff::Model>, DbErr> {
    staff::Entity::find().filter(staff::Column::Email.eq(email)).one(db).await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<staff::Model>, DbErr> {
    staff::Entity::find_by_id(id).one(db).await
}

/// Every account, admins first, then by email.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<staff::Model>, DbErr> {
    let mut accounts = staff::Entity::find().order_by_asc(staff::Column::Email).all(db).await?;
    accounts.sort_by_key(|a| std::cmp::Reverse(a.role));
    Ok(accounts)
}

/// Accounts that can sign in as admins (with a password).
pub async fn working_admins(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    staff::Entity::find()
        .filter(staff::Column::Role.eq(Role::Admin))
        .filter(staff::Column::PasswordHash.is_not_null())
        .count(db)
        .await
}

pub async fn set_role(db: &impl ConnectionTrait, staff_id: i64, role: Role) -> Result<(), DbErr> {
    staff::Entity::update_many()
        .col_expr(staff::Column::Role, sea_orm::sea_query::Expr::value(role))
        .filter(staff::Column::Id.eq(staff_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Locks an account out: its password is removed and its sessions end, until a new one-time
/// link sets a password again. Returns the sessions ended.
pub async fn lock(db: &impl ConnectionTrait, staff_id: i64) -> Result<u64, DbErr> {
    staff::Entity::update_many()
        .col_expr(staff::Column::PasswordHash, sea_orm::sea_query::Expr::value(Option::<String>::None))
        .filter(staff::Column::Id.eq(staff_id))
        .exec(db)
        .await?;
    end_sessions(db, staff_id).await
}

pub async fn set_password(db: &impl ConnectionTrait, staff_id: i64, hash: &str) -> Result<(), DbErr> {
    staff::Entity::update_many()
        .col_expr(staff::Column::PasswordHash, hash.into())
        .filter(staff::Column::Id.eq(staff_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A new one-time link for account `staff_id` (or, with `None`, for creating the first admin),
/// valid for `ttl`; returns its token, which is shown once and kept only as a hash.
pub async fn new_link(
    db: &impl ConnectionTrait,
    staff_id: Option<i64>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = new_token();
    staff_link::Entity::insert(staff_link::ActiveModel {
        id: Set(token_id(&token)),
        staff_id: Set(staff_id),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// The link `token` if it is unused and has not expired: `Some(account)` (`None` inside for the
/// first-run setup link).
pub async fn link(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Option<i64>>, DbErr> {
    Ok(staff_link::Entity::find_by_id(token_id(token))
        .filter(staff_link::Column::UsedAt.is_null())
        .filter(staff_link::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|l| l.staff_id))
}

/// Uses the link `token` up, if it is still good, in one statement (two requests with the same
/// link cannot both use it): what [`link`] would have said.
pub async fn use_link(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Option<i64>>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE staff_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING staff_id"
        }
        _ => {
            "UPDATE staff_links SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL AND expires_at > ?1 \
             RETURNING staff_id"
        }
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [now.into(), token_id(token).into()]))
        .await?;
    row.map(|r| r.try_get::<Option<i64>>("", "staff_id")).transpose()
}

/// Starts a session for account `staff_id`; returns the cookie's value.
pub async fn start_session(
    db: &impl ConnectionTrait,
    staff_id: i64,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = new_token();
    staff_session::Entity::insert(staff_session::ActiveModel {
        id: Set(token_id(&token)),
        staff_id: Set(staff_id),
        created_at: Set(now),
        last_seen_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// How long a session lasts.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    /// Without a request.
    pub idle: Duration,
    /// From sign-in, however busy.
    pub absolute: Duration,
}

/// A session's `last_seen_at` is written again only once it is this old, so that browsing the
/// admin does not write on every page.
const TOUCH_EVERY: i64 = 60;

/// The account signed in with the session cookie `token`, if the session is live; an expired
/// session is ended.
pub async fn session(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
    life: Lifetimes,
) -> Result<Option<staff::Model>, DbErr> {
    let id = token_id(token);
    let Some(s) = staff_session::Entity::find_by_id(id.clone()).one(db).await? else {
        return Ok(None);
    };
    let Some(account) = by_id(db, s.staff_id).await? else {
        return Ok(None);
    };
    if s.created_at + life.absolute <= now || s.last_seen_at + life.idle <= now {
        staff_session::Entity::delete_by_id(id).exec(db).await?;
        return Ok(None);
    }
    if (now - s.last_seen_at).num_seconds() >= TOUCH_EVERY {
        staff_session::Entity::update_many()
            .col_expr(staff_session::Column::LastSeenAt, now.into())
            .filter(staff_session::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    Ok(Some(account))
}

/// Ends the session of cookie `token`.
pub async fn end_session(db: &impl ConnectionTrait, token: &str) -> Result<(), DbErr> {
    staff_session::Entity::delete_by_id(token_id(token)).exec(db).await?;
    Ok(())
}

/// Ends every session of an account; returns how many there were.
pub async fn end_sessions(db: &impl ConnectionTrait, staff_id: i64) -> Result<u64, DbErr> {
    Ok(staff_session::Entity::delete_many()
        .filter(staff_session::Column::StaffId.eq(staff_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// One line for the audit log.
#[derive(Clone, Debug, Default)]
pub struct Audit<'a> {
    pub staff_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub ip_hash: Option<String>,
}

/// Adds a line to the audit log.
pub async fn audit(db: &impl ConnectionTrait, entry: Audit<'_>, now: DateTime<Utc>) -> Result<(), DbErr> {
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        at: Set(now),
        staff_id: Set(entry.staff_id),
        actor: Set(entry.actor.chars().take(320).collect()),
        action: Set(entry.action.to_owned()),
        subject: Set(entry.subject),
        detail: Set(entry.detail.map(|d| d.chars().take(1000).collect())),
        ip_hash: Set(entry.ip_hash),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Failed sign-ins since `since`, from the audit log every server process writes: those that
/// tried `actor` (as [`audit`] keeps it), and those from the address whose keyed hash is
/// `ip_hash`.
pub async fn failed_logins_since(
    db: &impl ConnectionTrait,
    actor: &str,
    ip_hash: &str,
    since: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let actor: String = actor.chars().take(320).collect();
    let recent = || {
        audit_entry::Entity::find()
            .filter(audit_entry::Column::At.gt(since))
            .filter(audit_entry::Column::Action.eq("login.failed"))
    };
    let tried = recent().filter(audit_entry::Column::Actor.eq(actor)).count(db).await?;
    let from_there = recent().filter(audit_entry::Column::IpHash.eq(ip_hash)).count(db).await?;
    Ok((tried, from_there))
}

/// What the audit log is narrowed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// An action (`login.failed`), exactly.
    pub action: Option<String>,
    /// Who: part of the actor's email, any letter case.
    pub actor: Option<String>,
    /// From this moment on, and before that one.
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Audit lines matching `filter`, newest first: at most `limit`, skipping the newest `skip`.
pub async fn audit_lines(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    skip: u64,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, DbErr> {
    use sea_orm::{
        ExprTrait, QuerySelect,
        sea_query::{Expr, Func},
    };
    let mut q = audit_entry::Entity::find();
    if let Some(action) = &filter.action {
        q = q.filter(audit_entry::Column::Action.eq(action.as_str()));
    }
    if let Some(actor) = &filter.actor {
        let pattern = format!("%{}%", actor.to_lowercase().replace(['%', '_'], ""));
        q = q.filter(Expr::expr(Func::lower(Expr::col(audit_entry::Column::Actor))).like(pattern));
    }
    if let Some(from) = filter.from {
        q = q.filter(audit_entry::Column::At.gte(from));
    }
    if let Some(until) = filter.until {
        q = q.filter(audit_entry::Column::At.lt(until));
    }
    q.order_by_desc(audit_entry::Column::Id).offset(skip).limit(limit).all(db).await
}

/// The actions the audit log holds, for choosing one.
pub async fn audit_actions(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    use sea_orm::QuerySelect;
    audit_entry::Entity::find()
        .select_only()
        .column(audit_entry::Column::Action)
        .distinct()
        .order_by_asc(audit_entry::Column::Action)
        .into_tuple()
        .all(db)
        .await
}
