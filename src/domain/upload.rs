//! Images staff upload (a landing page's hero): checked by their content, not their name,
//! decoded, turned upright, scaled down when huge, and encoded again from the pixels alone, so
//! that nothing a camera wrote into the file (where and when the photo was taken, the device)
//! reaches the public.

use std::{fmt, io::Cursor};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, imageops::FilterType};

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The largest side decoded (a bigger picture is refused before its pixels are read).
const MAX_SIDE: u32 = 10_000;
/// Wider images are scaled down to this width: pages show them at most about 800 pixels wide.
pub const MAX_WIDTH: u32 = 2000;
/// Smaller images look broken in a share card.
const MIN_SIDE: u32 = 200;

/// An image ready to store and serve.
#[derive(Debug)]
pub struct CleanImage {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// Why an upload was refused, in words for staff.
#[derive(Debug, PartialEq, Eq)]
pub enum UploadError {
    Empty,
    TooBig,
    /// Not a PNG, JPEG or WebP file (whatever its name says).
    NotAnImage,
    /// An image, but one that could not be decoded (damaged, or too large to open).
    Unreadable,
    TooSmall,
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Choose an image file."),
            Self::TooBig => write!(f, "The file is larger than {} MB.", MAX_BYTES / (1024 * 1024)),
            Self::NotAnImage => f.write_str("This is not a PNG, JPEG or WebP image."),
            Self::Unreadable => f.write_str("This image could not be read: it may be damaged, or too large."),
            Self::TooSmall => write!(f, "The image must be at least {MIN_SIDE} pixels on each side."),
        }
    }
}

/// Checks and cleans an uploaded image. A PNG stays a PNG (it may be a drawing with sharp edges
/// or transparency); a photo (JPEG, WebP) becomes a JPEG.
pub fn clean(bytes: &[u8]) -> Result<CleanImage, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(UploadError::TooBig);
    }
    let reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| UploadError::NotAnImage)?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => f,
        _ => return Err(UploadError::NotAnImage),
    };
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| UploadError::Unreadable)?;
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| UploadError::Unreadable)?;
    if let Some(o) = orientation {
        picture.apply_orientation(o);
    }
    if picture.width() < MIN_SIDE || picture.height() < MIN_SIDE {
        return Err(UploadError::TooSmall);
    }
    if picture.width() > MAX_WIDTH {
        let height = (u64::from(picture.height()) * u64::from(MAX_WIDTH) / u64::from(picture.width())).max(1);
        picture = picture.resize_exact(
            MAX_WIDTH,
            u32::try_from(height).unwrap_or(u32::MAX),
            FilterType::CatmullRom,
        );
    }
    let mut data = Vec::new();
    let content_type = if format == ImageFormat::Png {
        picture
            .write_to(&mut Cursor::new(&mut data), ImageFormat::Png)
            .map_err(|_| UploadError::Unreadable)?;
        "image/png"
    } else {
        let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut data, 85);
        rgb.write_with_encoder(encoder).map_err(|_| UploadError::Unreadable)?;
        "image/jpeg"
    };
    Ok(CleanImage { content_type, width: picture.width(), height: picture.height(), data })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG of `w`×`h` with an EXIF block that places it somewhere and says it is turned a
    /// quarter (orientation 6: shown rotated 90° clockwise).
    fn photo_with_exif(w: u32, h: u32) -> Vec<u8> {
        let mut plain = Vec::new();
        let rgb =
            image::RgbImage::from_fn(w, h, |x, _| image::Rgb([u8::try_from(x % 256).unwrap_or(0), 80, 160]));
        DynamicImage::ImageRgb8(rgb)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90))
            .expect("a JPEG");
        // TIFF header (big-endian), one IFD with Orientation = 6 and an ASCII tag holding a
        // place (what a GPS block would reveal), then the APP1 segment after SOI.
        let secret = b"GPS 37.7749N 122.4194W\0";
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend(2u16.to_be_bytes());
        tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        let offset = 8 + 2 + 2 * 12 + 4;
        tiff.extend([0x01, 0x0e, 0, 2]);
        tiff.extend(u32::try_from(secret.len()).unwrap_or(0).to_be_bytes());
        tiff.extend(u32::try_from(offset).unwrap_or(0).to_be_bytes());
        tiff.extend(0u32.to_be_bytes());
        tiff.extend(secret);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = plain[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(u16::try_from(app1.len() + 2).unwrap_or(0).to_be_bytes());
        out.extend(app1);
        out.extend(&plain[2..]);
        out
    }

    #[test]
    fn a_photo_loses_its_metadata_and_stands_upright() {
        let photo = photo_with_exif(400, 300);
        assert!(photo.windows(5).any(|w| w == b"37.77"), "the test photo carries a place");
        let clean = clean(&photo).expect("a clean image");
        assert_eq!(clean.content_type, "image/jpeg");
        assert_eq!((clean.width, clean.height), (300, 400), "turned as its orientation said");
        assert!(!clean.data.windows(5).any(|w| w == b"37.77"), "the place is gone");
        assert!(!clean.data.windows(4).any(|w| w == b"Exif"), "no EXIF block at all");
    }

    #[test]
    fn huge_images_are_scaled_down_and_pngs_stay_pngs() {
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(image::RgbaImage::new(3000, 600))
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .expect("a PNG");
        let clean = clean(&png).expect("a clean image");
        assert_eq!((clean.content_type, clean.width, clean.height), ("image/png", MAX_WIDTH, 400));
    }

    #[test]
    fn what_is_not_a_good_image_is_refused() {
        assert_eq!(clean(b"").err(), Some(UploadError::Empty));
        assert_eq!(clean(b"GIF89a not ours").err(), Some(UploadError::NotAnImage));
        assert_eq!(clean(b"<svg xmlns='http://www.w3.org/2000/svg'/>").err(), Some(UploadError::NotAnImage));
        let photo = photo_with_exif(400, 300);
        assert_eq!(clean(&photo[..photo.len().min(120)]).err(), Some(UploadError::Unreadable), "a cut file");
        assert_eq!(clean(&photo_with_exif(100, 100)).err(), Some(UploadError::TooSmall));
        assert_eq!(clean(&vec![0xFF; MAX_BYTES + 1]).err(), Some(UploadError::TooBig));
    }
}
