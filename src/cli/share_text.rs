//! `undersigned share-text add|list|retire|restore`: the wordings (and preview images) of a
//! petition's share buttons.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::Utc;

use super::ShareTextCommand;
use crate::{
    db::{Database, landing, petitions, share_texts},
    domain::share_text::{self, interval},
    i18n::Locale,
};

/// Largest preview image accepted.
const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

pub async fn run<W: Write>(db: &Database, action: ShareTextCommand, mut out: W) -> anyhow::Result<()> {
    match action {
        ShareTextCommand::Add { petition, text, locale, image, alt } => {
            let text = share_text::clean(&text).map_err(|e| anyhow::anyhow!("--text: {e}"))?;
            let rec = find(db, &petition).await?;
            let locale = match locale {
                Some(tag) => Locale::from_tag(&tag).with_context(|| {
                    format!("--locale {tag:?}: use one of the site's languages, en or es")
                })?,
                None => Locale::parse(&rec.petition.locale),
            };
            let alt = alt.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
            let image = match (image, alt) {
                (Some(path), Some(alt)) => {
                    if alt.chars().count() > 500 {
                        bail!("--alt: use at most 500 characters");
                    }
                    let id = store_image(db, &path).await?;
                    Some((id, alt))
                }
                (Some(_), None) => {
                    bail!("--image needs --alt: what the image shows, for people who cannot see it")
                }
                (None, Some(_)) => bail!("--alt describes an image: give the image with --image"),
                (None, None) => None,
            };
            let id = share_texts::create(
                &db.write,
                rec.petition.id,
                locale,
                &text,
                image.as_ref().map(|(id, alt)| (*id, alt.as_str())),
                Utc::now(),
            )
            .await?;
            writeln!(out, "Share text {id} added to {} ({}).", rec.petition.slug, locale.tag())?;
        }
        ShareTextCommand::List { petition } => {
            let rec = find(db, &petition).await?;
            let figures = share_texts::figures(&db.read, rec.petition.id).await?;
            if rec.share_texts.is_empty() {
                writeln!(out, "No share texts: share buttons use the site's own wording.")?;
            }
            for t in &rec.share_texts {
                let arm = figures.get(&t.id).copied().unwrap_or_default();
                let range = match interval(arm.signatures, arm.clicks) {
                    Some((low, high)) => {
                        format!("{:.2} ({low:.2}–{high:.2})", arm.signatures as f64 / arm.clicks as f64)
                    }
                    None => "-".to_owned(),
                };
                writeln!(
                    out,
                    "{}  {}  {}  clicks={} signatures={} per_click={}{}  {}",
                    t.id,
                    t.locale.tag(),
                    if t.live { "live" } else { "retired" },
                    arm.clicks,
                    arm.signatures,
                    range,
                    if t.image.is_some() { "  image" } else { "" },
                    t.text
                )?;
            }
        }
        ShareTextCommand::Retire { id } => {
            if !share_texts::set_live(&db.write, id, false).await? {
                bail!("no share text {id}");
            }
            writeln!(
                out,
                "Share text {id} retired: no longer offered; links already shared still credit it."
            )?;
        }
        ShareTextCommand::Restore { id } => {
            if !share_texts::set_live(&db.write, id, true).await? {
                bail!("no share text {id}");
            }
            writeln!(out, "Share text {id} is offered again.")?;
        }
    }
    Ok(())
}

async fn find(db: &Database, slug: &str) -> anyhow::Result<petitions::PetitionRecord> {
    petitions::find_by_slug(&db.read, slug).await?.with_context(|| format!("no petition with slug {slug:?}"))
}

/// Stores a PNG, JPEG or WebP file as a preview image and returns its id.
async fn store_image(db: &Database, path: &std::path::Path) -> anyhow::Result<i64> {
    let meta = tokio::fs::metadata(path).await.with_context(|| format!("--image {}", path.display()))?;
    if meta.len() > MAX_IMAGE_BYTES as u64 {
        bail!("--image: {} bytes is too large for a preview image; use at most 5 MB", meta.len());
    }
    let data = tokio::fs::read(path).await.with_context(|| format!("--image {}", path.display()))?;
    let content_type = match imagesize::image_type(&data) {
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Webp) => "image/webp",
        _ => bail!("--image: not a PNG, JPEG or WebP image"),
    };
    let size = imagesize::blob_size(&data)
        .map_err(|_| anyhow::anyhow!("--image: the image's size cannot be read"))?;
    let (Ok(width), Ok(height)) = (i32::try_from(size.width), i32::try_from(size.height)) else {
        bail!("--image: the image is too large");
    };
    if width == 0 || height == 0 {
        bail!("--image: the image is empty");
    }
    Ok(landing::store_image(&db.write, data, content_type, (width, height), Utc::now()).await?)
}
