//! Share texts: a petition's wordings for its share buttons, and what each has brought.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::share_text::{self, Status};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter,
    Statement,
};

use super::landing::ImageMeta;
use crate::{domain::share_text::Arm, i18n::Locale};

/// A share text as pages and share buttons use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareText {
    pub id: i64,
    pub locale: Locale,
    pub text: String,
    /// The preview image of links shared with it.
    pub image: Option<ImageMeta>,
    pub image_alt: Option<String>,
    /// Offered on share buttons (else retired: its links still credit it).
    pub live: bool,
}

/// Every share text of a petition, oldest first, with its image (without the bytes).
pub async fn of_petition(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<ShareText>, DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT t.id, t.locale, t.text, t.image_alt, t.status, \
                 i.sha256, i.content_type, i.width, i.height \
                 FROM share_texts t LEFT JOIN images i ON i.id = t.image_id \
                 WHERE t.petition_id = {p} ORDER BY t.id"
            ),
            [petition_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let sha256: Option<String> = r.try_get("", "sha256")?;
            let image = match sha256 {
                Some(sha256) => Some(ImageMeta {
                    sha256,
                    content_type: r.try_get("", "content_type")?,
                    width: r.try_get("", "width")?,
                    height: r.try_get("", "height")?,
                }),
                None => None,
            };
            let status: String = r.try_get("", "status")?;
            Ok(ShareText {
                id: r.try_get("", "id")?,
                locale: Locale::parse(&r.try_get::<String>("", "locale")?),
                text: r.try_get("", "text")?,
                image,
                image_alt: r.try_get("", "image_alt")?,
                live: status == "live",
            })
        })
        .collect()
}

/// A new live share text; returns its id.
pub async fn create(
    db: &impl ConnectionTrait,
    petition_id: i64,
    locale: Locale,
    text: &str,
    image: Option<(i64, &str)>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let row = share_text::Entity::insert(share_text::ActiveModel {
        petition_id: Set(petition_id),
        locale: Set(locale.tag().to_owned()),
        text: Set(text.to_owned()),
        image_id: Set(image.map(|(id, _)| id)),
        image_alt: Set(image.map(|(_, alt)| alt.to_owned())),
        status: Set(Status::Live),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(row.last_insert_id)
}

/// Offers a share text again (`live`) or no longer (`retired`); `false` if there is none.
pub async fn set_live(db: &impl ConnectionTrait, id: i64, live: bool) -> Result<bool, DbErr> {
    let status = if live { Status::Live } else { Status::Retired };
    let res = share_text::Entity::update_many()
        .col_expr(share_text::Column::Status, status.into())
        .filter(share_text::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// The petition a share text belongs to.
pub async fn petition_of(db: &impl ConnectionTrait, id: i64) -> Result<Option<i64>, DbErr> {
    Ok(share_text::Entity::find_by_id(id).one(db).await?.map(|t| t.petition_id))
}

/// What each of a petition's share texts has brought: share clicks, and validated signatures
/// through links shared with it (by share text id; 0 is the petition's own wording, whose
/// signatures are those from share links that named no text).
pub async fn figures(db: &impl ConnectionTrait, petition_id: i64) -> Result<HashMap<i64, Arm>, DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend);
    let query = |sql: String| Statement::from_sql_and_values(backend, sql, [petition_id.into()]);
    let mut arms: HashMap<i64, Arm> = HashMap::new();
    for r in db
        .query_all_raw(query(format!(
            "SELECT variant_id AS id, CAST(SUM(clicks) AS BIGINT) AS n FROM share_clicks \
             WHERE petition_id = {p} GROUP BY variant_id"
        )))
        .await?
    {
        arms.entry(r.try_get("", "id")?).or_default().clicks = r.try_get("", "n")?;
    }
    for r in db
        .query_all_raw(query(format!(
            "SELECT share_text_id AS id, CAST(SUM(signatures) AS BIGINT) AS n FROM signature_counts \
             WHERE petition_id = {p} AND share_text_id <> 0 GROUP BY share_text_id"
        )))
        .await?
    {
        arms.entry(r.try_get("", "id")?).or_default().signatures = r.try_get("", "n")?;
    }
    Ok(arms)
}

/// Validated signatures from links shared with the petition's own wording.
pub async fn default_signatures(db: &impl ConnectionTrait, petition_id: i64) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT CAST(SUM(signatures) AS BIGINT) AS n FROM signature_counts WHERE petition_id = {p} \
                 AND source LIKE 'share-%' AND share_text_id = 0"
            ),
            [petition_id.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<Option<i64>>("", "n")).transpose()?.flatten().unwrap_or_default())
}

fn placeholder(backend: DatabaseBackend) -> &'static str {
    if backend == DatabaseBackend::Postgres { "$1" } else { "?" }
}
