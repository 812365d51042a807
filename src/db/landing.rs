//! Ad landing pages, their short codes, and the images they show.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{image, landing_page, petition, short_code};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::domain::{Attribution, attribution::AttributionParams, landing::Landing};

/// A live landing page with what its page needs besides the petition itself.
#[derive(Clone, Debug)]
pub struct LandingRecord {
    pub landing: landing_page::Model,
    /// The slug of the petition (or letter) it is bound to.
    pub petition_slug: String,
    /// Its stored hero image, without the bytes.
    pub image: Option<ImageMeta>,
    /// The first touch of a visit with no parameters and no referrer of its own: made once per
    /// read of the record, not per visit.
    pub plain_visit: Arc<Attribution>,
}

/// What a page needs to show a stored image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageMeta {
    pub sha256: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
}

impl ImageMeta {
    /// Where the image is served: `/images/{sha256}.{ext}`. The name changes with the content,
    /// so the image can be cached for good.
    pub fn path(&self) -> String {
        format!("/images/{}.{}", self.sha256, extension(&self.content_type))
    }
}

/// The file extension of an image type.
pub fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    }
}

/// The live landing page with this slug. Drafts and retired pages are not found.
pub async fn find_live(db: &impl ConnectionTrait, slug: &str) -> Result<Option<LandingRecord>, DbErr> {
    let Some(landing) = landing_page::Entity::find()
        .filter(landing_page::Column::Slug.eq(slug))
        .filter(landing_page::Column::Status.eq(landing_page::Status::Live))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(petition_slug) = petition::Entity::find_by_id(landing.petition_id)
        .select_only()
        .column(petition::Column::Slug)
        .into_tuple::<String>()
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let image = match landing.image_id {
        Some(id) => image_meta(db, id).await?,
        None => None,
    };
    let plain_visit = plain_visit(landing.source.clone(), &landing.slug);
    Ok(Some(LandingRecord { landing, petition_slug, image, plain_visit }))
}

/// The first touch of a visit to landing page `slug` with `source` and nothing else, cleaned as
/// any visit's is.
fn plain_visit(source: Option<String>, slug: &str) -> Arc<Attribution> {
    let params =
        AttributionParams { source, landing_page: Some(slug.to_owned()), ..AttributionParams::default() };
    Arc::new(Attribution::from_params(&params, None, ""))
}

/// The landing page with this slug, whatever its status.
pub async fn find_any(db: &impl ConnectionTrait, slug: &str) -> Result<Option<landing_page::Model>, DbErr> {
    landing_page::Entity::find().filter(landing_page::Column::Slug.eq(slug)).one(db).await
}

/// A stored image with its bytes, by the SHA-256 that names it.
pub async fn image(db: &impl ConnectionTrait, sha256: &str) -> Result<Option<image::Model>, DbErr> {
    image::Entity::find().filter(image::Column::Sha256.eq(sha256)).one(db).await
}

/// Stores an image (once: the same bytes stored again are the same image) and returns its id.
/// The caller has checked that `data` is an image of `content_type` and `width`×`height`.
pub async fn store_image(
    db: &impl ConnectionTrait,
    data: Vec<u8>,
    content_type: &str,
    (width, height): (i32, i32),
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let sha256 = hex::encode(Sha256::digest(&data));
    image::Entity::insert(image::ActiveModel {
        sha256: Set(sha256.clone()),
        content_type: Set(content_type.to_owned()),
        width: Set(width),
        height: Set(height),
        data: Set(data),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([image::Column::Sha256])
    .exec_without_returning(db)
    .await?;
    image::Entity::find()
        .filter(image::Column::Sha256.eq(&sha256))
        .select_only()
        .column(image::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("an image just stored".into()))
}

/// Creates a landing page unless its slug is taken; says whether it did.
pub async fn create(db: &impl ConnectionTrait, page: landing_page::ActiveModel) -> Result<bool, DbErr> {
    let res = landing_page::Entity::insert(page)
        .on_conflict_do_nothing_on([landing_page::Column::Slug])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// A short code with the slug of its (live) landing page.
#[derive(Clone, Debug)]
pub struct CodeRecord {
    pub code: short_code::Model,
    pub landing_slug: String,
    /// The `source` of its visits: the code's own, else `qr-{code}`.
    pub source: String,
    /// The first touch of a scan with no parameters of its own (see [`LandingRecord`]).
    pub plain_visit: Arc<Attribution>,
}

/// The short code `code` if its landing page is live.
pub async fn find_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<CodeRecord>, DbErr> {
    let Some(code) = short_code::Entity::find().filter(short_code::Column::Code.eq(code)).one(db).await?
    else {
        return Ok(None);
    };
    let landing_slug = landing_page::Entity::find_by_id(code.landing_page_id)
        .filter(landing_page::Column::Status.eq(landing_page::Status::Live))
        .select_only()
        .column(landing_page::Column::Slug)
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(landing_slug.map(|landing_slug| {
        let source = code.source.clone().unwrap_or_else(|| format!("qr-{}", code.code));
        let plain_visit = plain_visit(Some(source.clone()), &landing_slug);
        CodeRecord { code, landing_slug, source, plain_visit }
    }))
}

/// Creates a short code unless it is taken; says whether it did.
pub async fn create_code(db: &impl ConnectionTrait, code: short_code::ActiveModel) -> Result<bool, DbErr> {
    let res = short_code::Entity::insert(code)
        .on_conflict_do_nothing_on([short_code::Column::Code])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// What a page needs to show stored image `id`.
pub async fn image_meta(db: &impl ConnectionTrait, id: i64) -> Result<Option<ImageMeta>, DbErr> {
    Ok(image::Entity::find_by_id(id)
        .select_only()
        .columns([
            image::Column::Sha256,
            image::Column::ContentType,
            image::Column::Width,
            image::Column::Height,
        ])
        .into_tuple::<(String, String, i32, i32)>()
        .one(db)
        .await?
        .map(|(sha256, content_type, width, height)| ImageMeta { sha256, content_type, width, height }))
}

/// A landing page by id, whatever its status.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<landing_page::Model>, DbErr> {
    landing_page::Entity::find_by_id(id).one(db).await
}

/// A petition's landing pages, oldest first.
pub async fn of_petition(
    db: &impl ConnectionTrait,
    petition_id: i64,
) -> Result<Vec<landing_page::Model>, DbErr> {
    landing_page::Entity::find()
        .filter(landing_page::Column::PetitionId.eq(petition_id))
        .order_by_asc(landing_page::Column::Id)
        .all(db)
        .await
}

/// A landing page's short codes, oldest first.
pub async fn codes_of(db: &impl ConnectionTrait, landing_id: i64) -> Result<Vec<short_code::Model>, DbErr> {
    short_code::Entity::find()
        .filter(short_code::Column::LandingPageId.eq(landing_id))
        .order_by_asc(short_code::Column::Id)
        .all(db)
        .await
}

/// Creates a landing page for a petition from the admin. `None` if the slug is taken.
pub async fn create_from(
    db: &impl ConnectionTrait,
    petition_id: i64,
    l: &Landing,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let page = landing_page::ActiveModel {
        slug: Set(l.slug.clone()),
        petition_id: Set(petition_id),
        created_at: Set(now),
        image_url: Set(None),
        image_id: Set(None),
        ..fields(l)
    };
    if !create(db, page).await? {
        return Ok(None);
    }
    Ok(find_any(db, &l.slug).await?.map(|p| p.id))
}

/// The columns staff edit.
fn fields(l: &Landing) -> landing_page::ActiveModel {
    landing_page::ActiveModel {
        slug: Set(l.slug.clone()),
        locale: Set(l.locale.tag().to_owned()),
        headline: Set(l.headline.clone()),
        body: Set(l.body.clone()),
        button_text: Set(l.button_text.clone()),
        video_url: Set(l.video_url.clone()),
        source: Set(l.source.clone()),
        image_alt: Set(l.image_alt.clone()),
        status: Set(l.status),
        ..Default::default()
    }
}

/// Saves an edited landing page. Returns `false` (and changes nothing) if another page has
/// the slug.
pub async fn save(db: &impl ConnectionTrait, id: i64, l: &Landing) -> Result<bool, DbErr> {
    if find_any(db, &l.slug).await?.is_some_and(|other| other.id != id) {
        return Ok(false);
    }
    landing_page::Entity::update_many()
        .set(fields(l))
        .filter(landing_page::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(true)
}

/// Gives a landing page its stored hero image and the image's description.
pub async fn set_image(
    db: &impl ConnectionTrait,
    id: i64,
    image_id: i64,
    alt: Option<&str>,
) -> Result<(), DbErr> {
    landing_page::Entity::update_many()
        .set(landing_page::ActiveModel {
            image_id: Set(Some(image_id)),
            image_alt: Set(alt.map(str::to_owned)),
            ..Default::default()
        })
        .filter(landing_page::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
