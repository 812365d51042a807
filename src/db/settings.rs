//! Instance settings stored in the database.

use entity::setting;
use rand::{Rng, distr::Alphanumeric};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

const SECRET_KEY: &str = "secret_key";
pub(crate) const DELIVERY_KEY: &str = "delivery_reference_key";

/// The instance's secret key: `configured` if set, else the one stored on first start (made
/// now if there is none yet). Concurrent first starts agree on one key.
pub async fn secret_key(db: &impl ConnectionTrait, configured: Option<&str>) -> Result<String, DbErr> {
    if let Some(k) = configured {
        return Ok(k.to_owned());
    }
    stored_or_new(db, SECRET_KEY).await
}

/// The key of signers' references in delivery lists: made once and kept in the database (never
/// configured), so every process and the command line make the same references, whatever
/// `SECRET_KEY` is.
pub async fn delivery_key(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    stored_or_new(db, DELIVERY_KEY).await
}

/// The random value stored under `key`, made now if there is none yet. Concurrent first calls
/// agree on one.
async fn stored_or_new(db: &impl ConnectionTrait, key: &str) -> Result<String, DbErr> {
    let fresh: String = rand::rng().sample_iter(Alphanumeric).take(64).map(char::from).collect();
    setting::Entity::insert(setting::ActiveModel { key: Set(key.into()), value: Set(fresh) })
        .on_conflict_do_nothing_on([setting::Column::Key])
        .exec_without_returning(db)
        .await?;
    setting::Entity::find_by_id(key)
        .one(db)
        .await?
        .map(|s| s.value)
        .ok_or_else(|| DbErr::RecordNotFound(key.into()))
}
