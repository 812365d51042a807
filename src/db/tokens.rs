//! API tokens: made (the token is returned once, only its hash is kept), found by the token a
//! request carries, listed, revoked. A token's last use is written at most once a minute.

use chrono::{DateTime, Duration, Utc};
use entity::api_token;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use crate::domain::staff::{new_token, token_id};

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Fetch one petition's signatures as CSV, with the token in the link (for a spreadsheet's
    /// import function), and nothing else.
    Csv,
    /// Read petitions, counts and signatures.
    Read,
    /// Read, and add signatures.
    Write,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Csv, Self::Read, Self::Write].into_iter().find(|s| s.name() == name.trim())
    }

    /// Whether a token of this scope may do what `needed` allows (`csv` tokens only their link).
    pub fn allows(self, needed: Scope) -> bool {
        match needed {
            Scope::Csv => self == Scope::Csv,
            Scope::Read | Scope::Write => self != Scope::Csv && self >= needed,
        }
    }
}

/// Every token starts with this, so it is recognised (by people, and by secret scanners).
pub const PREFIX: &str = "us_";

/// Longest token name.
pub const NAME_MAX: usize = 100;

/// A new token: the token itself (shown once) and its row.
pub struct Made {
    pub token: String,
    pub row: api_token::Model,
}

/// Makes a token named `name` with `scope` (for a `csv` token, the petition it reads).
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    scope: Scope,
    petition_id: Option<i64>,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<Made, DbErr> {
    let token = format!("{PREFIX}{}", new_token());
    let row = api_token::Entity::insert(api_token::ActiveModel {
        name: Set(name.trim().chars().take(NAME_MAX).collect()),
        scope: Set(scope.name().to_owned()),
        hash: Set(token_id(&token)),
        hint: Set(token.chars().take(PREFIX.len() + 4).collect()),
        petition_id: Set(petition_id),
        created_at: Set(now),
        created_by: Set(created_by.chars().take(320).collect()),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(Made { token, row })
}

/// The live (not revoked) token `token`, if there is one; notes its use (at most once a
/// minute).
pub async fn find(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<api_token::Model>, DbErr> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::Hash.eq(token_id(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.last_used_at.is_none_or(|t| now - t >= Duration::minutes(1)) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(Some(row))
}

/// Every token, newest first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find().order_by_desc(api_token::Column::Id).all(db).await
}

/// A petition's spreadsheet links (`csv` tokens), newest first.
pub async fn links_of(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<api_token::Model>, DbErr> {
    api_token::Entity::find()
        .filter(api_token::Column::PetitionId.eq(petition_id))
        .filter(api_token::Column::Scope.eq(Scope::Csv.name()))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await
}

/// Revokes token `id`; `None` if there is no such live token.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Option<api_token::Model>, DbErr> {
    let res = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .col_expr(api_token::Column::RevokedBy, Expr::value(by.chars().take(320).collect::<String>()))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    api_token::Entity::find_by_id(id).one(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_allow_what_they_say() {
        assert!(Scope::Write.allows(Scope::Read) && Scope::Write.allows(Scope::Write));
        assert!(Scope::Read.allows(Scope::Read) && !Scope::Read.allows(Scope::Write));
        assert!(!Scope::Csv.allows(Scope::Read) && Scope::Csv.allows(Scope::Csv));
        assert!(!Scope::Read.allows(Scope::Csv), "only a CSV link's token goes in a URL");
        assert_eq!(Scope::parse(" write"), Some(Scope::Write));
        assert_eq!(Scope::parse("admin"), None);
    }
}
