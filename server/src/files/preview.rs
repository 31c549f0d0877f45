//! Bounded previews of images, made on the server so a client never has to decode a
//! stranger's full-size file to show a conversation.

use std::io::BufWriter;
use std::path::Path;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use protocol::validate::PREVIEW_MAX_SIDE;
use thiserror::Error;

/// The image types a preview is made for.
pub const PREVIEWABLE: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Largest image (pixels a side) a preview is made of.
pub const SOURCE_MAX_SIDE: u32 = 12_000;
/// Most memory one decode may take.
pub const DECODE_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Previews made at once (decoding is CPU- and memory-heavy); more wait their turn.
pub const AT_ONCE: usize = 2;

/// Why no preview was made (the file is still kept, as a download).
#[derive(Debug, Error)]
pub enum PreviewError {
    /// Not an image this server decodes, too large, or broken.
    #[error("cannot decode the image: {0}")]
    Decode(#[from] image::ImageError),
    /// Reading or writing failed.
    #[error("reading or writing: {0}")]
    Io(#[from] std::io::Error),
}

/// Whether a file of this type gets a preview.
#[must_use]
pub fn is_previewable(content_type: &str) -> bool {
    PREVIEWABLE.contains(&content_type)
}

/// Writes a preview of the image at `source` to `target`: at most [`PREVIEW_MAX_SIDE`] pixels
/// a side (never enlarged), PNG when the image has transparency, JPEG otherwise (an animated
/// GIF shows its first frame). Returns the preview's content type. Blocking: run it on a
/// blocking thread.
///
/// # Errors
/// When the image cannot be decoded within the limits, or on I/O failure.
pub fn make(source: &Path, target: &Path) -> Result<&'static str, PreviewError> {
    let mut reader = ImageReader::open(source)?.with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(SOURCE_MAX_SIDE);
    limits.max_image_height = Some(SOURCE_MAX_SIDE);
    limits.max_alloc = Some(DECODE_MAX_BYTES);
    reader.limits(limits);
    let image = reader.decode()?;
    let image = if image.width() > PREVIEW_MAX_SIDE || image.height() > PREVIEW_MAX_SIDE {
        image.thumbnail(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE)
    } else {
        image
    };
    let mut out = BufWriter::new(std::fs::File::create(target)?);
    let content_type = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.to_rgba8()).write_to(&mut out, ImageFormat::Png)?;
        "image/png"
    } else {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
        DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)?;
        "image/jpeg"
    };
    std::io::Write::flush(&mut out)?;
    Ok(content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "tertulia-preview-{}-{name}",
            super::super::new_id()
        ))
    }

    #[test]
    fn large_images_shrink_small_ones_stay() {
        let source = temp("big.png");
        let target = temp("big.preview");
        image::RgbImage::from_pixel(1600, 900, image::Rgb([200, 30, 30]))
            .save_with_format(&source, ImageFormat::Png)
            .unwrap();
        assert_eq!(make(&source, &target).unwrap(), "image/jpeg");
        let preview = ImageReader::open(&target)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!((preview.width(), preview.height()), (480, 270));

        image::RgbaImage::from_pixel(40, 30, image::Rgba([0, 0, 0, 0]))
            .save_with_format(&source, ImageFormat::Png)
            .unwrap();
        assert_eq!(make(&source, &target).unwrap(), "image/png");
        let preview = ImageReader::open(&target)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!((preview.width(), preview.height()), (40, 30));
        for path in [source, target] {
            let _ = std::fs::remove_file(path);
        }
    }

    #[test]
    fn broken_and_oversized_images_are_refused() {
        let source = temp("broken.png");
        let target = temp("broken.preview");
        std::fs::write(&source, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert!(make(&source, &target).is_err());
        // A PNG header claiming 100000 × 100000 pixels is refused before any pixel is decoded.
        let mut header = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        header.extend_from_slice(&100_000u32.to_be_bytes());
        header.extend_from_slice(&100_000u32.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        std::fs::write(&source, header).unwrap();
        assert!(make(&source, &target).is_err());
        for path in [source, target] {
            let _ = std::fs::remove_file(path);
        }
    }
}
