//! Pictures made by the server itself (the demo's hero images), encoded as PNG.

/// An RGB picture, row by row.
pub struct Raster {
    pub width: u32,
    pub height: u32,
    /// `width * height` pixels of three bytes each.
    pub pixels: Vec<u8>,
}

impl Raster {
    /// A picture of one colour.
    pub fn filled(width: u32, height: u32, rgb: [u8; 3]) -> Self {
        let n = usize::try_from(width * height).unwrap_or_default();
        Self { width, height, pixels: rgb.repeat(n) }
    }

    /// Paints the pixels for which `inside(x, y)` holds.
    pub fn paint(&mut self, rgb: [u8; 3], inside: impl Fn(u32, u32) -> bool) {
        for y in 0..self.height {
            for x in 0..self.width {
                if inside(x, y) {
                    let at = usize::try_from((y * self.width + x) * 3).unwrap_or_default();
                    if let Some(px) = self.pixels.get_mut(at..at + 3) {
                        px.copy_from_slice(&rgb);
                    }
                }
            }
        }
    }

    /// The picture as a PNG file.
    pub fn png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_painted_picture_decodes_back() {
        let mut r = Raster::filled(40, 20, [255, 255, 255]);
        r.paint([0, 0, 0], |x, _| x < 10);
        let bytes = r.png().expect("encodes");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().unwrap_or_default()];
        let info = reader.next_frame(&mut buf).expect("a frame");
        assert_eq!((info.width, info.height), (40, 20));
        assert_eq!(&buf[..3], &[0, 0, 0]);
        assert_eq!(&buf[30..33], &[255, 255, 255]);
    }
}
