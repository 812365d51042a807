//! QR codes for posters and flyers: SVG for print shops, PNG for everything else.

use qrcode::{Color, EcLevel, QrCode, render::svg};

use crate::domain::raster::Raster;

/// Quiet zone around the code, in modules (the standard asks for four).
const QUIET: usize = 4;

/// The code for `url`. Medium error correction survives a torn or dirty poster corner.
fn code(url: &str) -> Result<QrCode, qrcode::types::QrError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
}

/// An SVG of the code, `px` pixels across (it scales without loss for print).
pub fn svg(url: &str, px: u32) -> Result<String, qrcode::types::QrError> {
    Ok(code(url)?
        .render::<svg::Color<'_>>()
        .min_dimensions(px, px)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

/// A PNG of the code with `scale` pixels per module: at 20, a 41-module code with its quiet
/// zone is 980 pixels across, 8 cm wide at 300 dpi.
pub fn png(url: &str, scale: u32) -> Result<Vec<u8>, String> {
    let code = code(url).map_err(|e| e.to_string())?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = u32::try_from(modules + 2 * QUIET).map_err(|e| e.to_string())? * scale;
    let mut r = Raster::filled(side, side, [255, 255, 255]);
    r.paint([0, 0, 0], |x, y| {
        let (mx, my) = ((x / scale) as usize, (y / scale) as usize);
        let inside = (QUIET..QUIET + modules).contains(&mx) && (QUIET..QUIET + modules).contains(&my);
        inside && colors.get((my - QUIET) * modules + (mx - QUIET)) == Some(&Color::Dark)
    });
    r.png().map_err(|e| e.to_string())
}
