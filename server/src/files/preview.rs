//! Bounded previews of images, made on the server so a client never has to decode a
//! stranger's full-size file to show a conversation.

use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use protocol::validate::{AVATAR_SIDE, PREVIEW_MAX_SIDE};
use thiserror::Error;

use super::FileStore;

/// The image types a preview is made for.
pub const PREVIEWABLE: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Largest image (pixels a side) a preview is made of.
pub const SOURCE_MAX_SIDE: u32 = 12_000;
/// The default of the memory one decode may take (`TERTULIA_PREVIEW_MEMORY`; a test holds the
/// setting's default to it).
pub const DECODE_MEMORY_DEFAULT: u64 = 256 * 1024 * 1024;

/// Previews made at once (decoding is CPU- and memory-heavy); more wait their turn. A turn is
/// held by the decode itself, not by the request: a client that gives up does not free it.
pub const AT_ONCE: usize = 2;

/// How long an upload waits for its preview (a turn, then the decode); past it the file is kept
/// without one (a decode already running finishes on its own, in its turn).
pub const WAIT: Duration = Duration::from_secs(10);

/// Why no preview was made (the file is still kept, as a download).
#[derive(Debug, Error)]
pub enum PreviewError {
    /// Not an image this server decodes, too large, or broken.
    #[error("cannot decode the image: {0}")]
    Decode(#[from] image::ImageError),
    /// Reading or writing failed.
    #[error("reading or writing: {0}")]
    Io(#[from] std::io::Error),
    /// Decoding would take more memory than allowed (judged from the header, before decoding).
    #[error("decoding would take {needed} bytes, more than the {budget} allowed")]
    TooLarge {
        /// What decoding would take.
        needed: u64,
        /// What one decode may take.
        budget: u64,
    },
}

/// The memory decoding an image takes at its peak, from its header: its pixels as decoded,
/// plus for a JPEG the coefficients a progressive one is decoded through (2 bytes per sample
/// of up to 4 components, CMYK included; counted for every JPEG, since the header alone may
/// not tell).
#[must_use]
pub fn decode_cost(format: Option<ImageFormat>, width: u32, height: u32, decoded: u64) -> u64 {
    let pixels = u64::from(width) * u64::from(height);
    let coefficients = if format == Some(ImageFormat::Jpeg) {
        pixels.saturating_mul(4 * 2)
    } else {
        0
    };
    decoded.saturating_add(coefficients)
}

/// What is made of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A preview: at most [`PREVIEW_MAX_SIDE`] pixels a side, never enlarged.
    Preview,
    /// A profile picture (v1.25): the image's centre square, [`AVATAR_SIDE`] pixels a side.
    Avatar,
}

/// Why nothing was made of an image.
#[derive(Debug, Error)]
pub enum NotMade {
    /// No turn, or no end of the decode, within [`WAIT`].
    #[error("the server is busy making other pictures; try again in a moment")]
    Busy,
    /// The image could not be made within the limits.
    #[error(transparent)]
    Failed(#[from] PreviewError),
}

/// Whether a file of this type gets a preview.
#[must_use]
pub fn is_previewable(content_type: &str) -> bool {
    PREVIEWABLE.contains(&content_type)
}

/// Writes a preview of the image at `source` to `target`: at most [`PREVIEW_MAX_SIDE`] pixels
/// a side (never enlarged), PNG when the image has transparency, JPEG otherwise (an animated
/// GIF shows its first frame). Decoding may take at most `budget` bytes: an image whose header
/// says it would take more is refused before a pixel is decoded (a decompression bomb costs
/// nothing). Returns the preview's content type. Blocking: run it on a blocking thread.
///
/// # Errors
/// When the image cannot be decoded within the limits, or on I/O failure.
pub fn make(source: &Path, target: &Path, budget: u64) -> Result<&'static str, PreviewError> {
    let (image, orientation) = decode(source, budget)?;
    let mut image = if image.width() > PREVIEW_MAX_SIDE || image.height() > PREVIEW_MAX_SIDE {
        image.thumbnail(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE)
    } else {
        image
    };
    // Turned as the camera said (after shrinking: turning a small copy costs little).
    image.apply_orientation(orientation);
    write(&image, target)
}

/// Writes the profile picture made of the image at `source` to `target`: its centre square,
/// scaled to [`AVATAR_SIDE`] pixels a side, PNG or JPEG as [`make`] chooses, within the same
/// decoding limits. Returns its content type. Blocking: run it on a blocking thread.
///
/// # Errors
/// When the image cannot be decoded within the limits, or on I/O failure.
pub fn make_avatar(
    source: &Path,
    target: &Path,
    budget: u64,
) -> Result<&'static str, PreviewError> {
    let (image, orientation) = decode(source, budget)?;
    let side = image.width().min(image.height());
    // A view of the centre square, scaled straight from the decoded image (no copy of it).
    let square = imageops::crop_imm(
        &image,
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    );
    let scaled = if side > AVATAR_SIDE {
        imageops::thumbnail(&*square, AVATAR_SIDE, AVATAR_SIDE)
    } else {
        imageops::resize(&*square, AVATAR_SIDE, AVATAR_SIDE, FilterType::Triangle)
    };
    let mut picture = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(scaled)
    } else {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(scaled).to_rgb8())
    };
    // The centre square turns with the image: turned last, on the small copy.
    picture.apply_orientation(orientation);
    write(&picture, target)
}

/// Decodes the image at `source` within `budget` bytes (see [`make`]), with the orientation
/// its metadata gives (a phone's photo taken upright is often stored on its side).
fn decode(source: &Path, budget: u64) -> Result<(DynamicImage, Orientation), PreviewError> {
    let mut reader = ImageReader::open(source)?.with_guessed_format()?;
    let format = reader.format();
    let mut limits = Limits::default();
    limits.max_image_width = Some(SOURCE_MAX_SIDE);
    limits.max_image_height = Some(SOURCE_MAX_SIDE);
    limits.max_alloc = Some(budget);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    let needed = decode_cost(format, width, height, decoder.total_bytes());
    if needed > budget {
        return Err(PreviewError::TooLarge { needed, budget });
    }
    // Broken metadata is no reason to refuse the picture: it is shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok((DynamicImage::from_decoder(decoder)?, orientation))
}

/// Writes `image` to `target`: PNG when it has transparency, JPEG otherwise. Returns its
/// content type.
fn write(image: &DynamicImage, target: &Path) -> Result<&'static str, PreviewError> {
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

/// What making a preview in turn needs: where files go, the turns, the count of decodes
/// running (for metrics) and the memory one decode may take.
pub struct Turns<'a> {
    /// Where the preview is kept.
    pub files: &'a FileStore,
    /// The turns ([`AT_ONCE`]).
    pub turns: &'a Arc<tokio::sync::Semaphore>,
    /// Decodes running now.
    pub decoding: &'a Arc<AtomicUsize>,
    /// The memory one decode may take.
    pub budget: u64,
}

/// Makes the preview of the image at `source` and keeps it as `id`'s; its content type, or
/// `None` (and no preview) when the image cannot be decoded within the limits, or not within
/// [`WAIT`].
///
/// The turn (one of [`AT_ONCE`]) goes into the blocking decode and is given back when the
/// decode ends, whatever happens to the caller: a client that gives up (or an upload that
/// stops waiting) cannot start more decodes than there are turns.
pub async fn make_in_turn(turns: &Turns<'_>, source: &Path, id: &str) -> Option<String> {
    match shape_in_turn(turns, source, id, Shape::Preview).await {
        Ok(content_type) => Some(content_type),
        Err(error) => {
            tracing::debug!(%error, file = id, "no preview");
            None
        }
    }
}

/// Makes `shape` of the image at `source` in turn (see [`make_in_turn`]) and keeps it as
/// `id`'s preview file; its content type.
///
/// # Errors
/// [`NotMade::Busy`] past [`WAIT`]; [`NotMade::Failed`] when the image cannot be made within
/// the limits, or cannot be kept.
pub async fn shape_in_turn(
    turns: &Turns<'_>,
    source: &Path,
    id: &str,
    shape: Shape,
) -> Result<String, NotMade> {
    let made = tokio::time::timeout(WAIT, async {
        let turn = turns.turns.clone().acquire_owned().await.ok()?;
        let (partial, file) = turns.files.partial().await.ok()?;
        drop(file);
        let from = source.to_owned();
        let budget = turns.budget;
        let decoding = Decoding::start(turns.decoding);
        // The preview's file goes with the decode too: if nobody waits for it any more, it is
        // removed when the decode ends, not while the decode still writes it.
        let decoded = tokio::task::spawn_blocking(move || {
            let (_turn, _decoding) = (turn, decoding);
            let made = match shape {
                Shape::Preview => make(&from, partial.path(), budget),
                Shape::Avatar => make_avatar(&from, partial.path(), budget),
            };
            (partial, made)
        })
        .await;
        Some(decoded)
    })
    .await;
    let Ok(Some(decoded)) = made else {
        return Err(NotMade::Busy);
    };
    match decoded {
        Ok((partial, Ok(content_type))) => {
            turns
                .files
                .keep(partial, id, true)
                .await
                .map_err(PreviewError::from)?;
            Ok(content_type.to_owned())
        }
        Ok((_, Err(error))) => Err(error.into()),
        Err(error) => {
            // The blocking task panicked or was cancelled.
            tracing::warn!(%error, file = id, "making a picture");
            Err(PreviewError::Io(std::io::Error::other(error)).into())
        }
    }
}

/// Counts one decode running for as long as it lives.
struct Decoding(Arc<AtomicUsize>);

impl Decoding {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count.clone())
    }
}

impl Drop for Decoding {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The image written at `path`, decoded.
    fn decoded(path: &Path) -> DynamicImage {
        ImageReader::open(path)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap()
    }

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "tertulia-preview-{}-{name}",
            super::super::new_id()
        ))
    }

    #[test]
    fn the_settings_default_is_the_documented_one() {
        let config = crate::config::Config::for_tests("sqlite::memory:");
        assert_eq!(config.preview_memory, DECODE_MEMORY_DEFAULT);
    }

    #[test]
    fn large_images_shrink_small_ones_stay() {
        let source = temp("big.png");
        let target = temp("big.preview");
        image::RgbImage::from_pixel(1600, 900, image::Rgb([200, 30, 30]))
            .save_with_format(&source, ImageFormat::Png)
            .unwrap();
        assert_eq!(
            make(&source, &target, DECODE_MEMORY_DEFAULT).unwrap(),
            "image/jpeg"
        );
        let preview = decoded(&target);
        assert_eq!((preview.width(), preview.height()), (480, 270));

        image::RgbaImage::from_pixel(40, 30, image::Rgba([0, 0, 0, 0]))
            .save_with_format(&source, ImageFormat::Png)
            .unwrap();
        assert_eq!(
            make(&source, &target, DECODE_MEMORY_DEFAULT).unwrap(),
            "image/png"
        );
        let preview = decoded(&target);
        assert_eq!((preview.width(), preview.height()), (40, 30));
        for path in [source, target] {
            let _ = std::fs::remove_file(path);
        }
    }

    #[test]
    fn a_profile_picture_is_the_centre_square_at_its_one_size() {
        let source = temp("wide.png");
        let target = temp("wide.avatar");
        // Red on the left, green in the middle square, blue on the right.
        let wide = image::RgbImage::from_fn(600, 300, |x, _| match x {
            0..150 => image::Rgb([255, 0, 0]),
            150..450 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        wide.save_with_format(&source, ImageFormat::Png).unwrap();
        assert_eq!(
            make_avatar(&source, &target, DECODE_MEMORY_DEFAULT).unwrap(),
            "image/jpeg"
        );
        let avatar = decoded(&target).to_rgb8();
        assert_eq!(avatar.dimensions(), (AVATAR_SIDE, AVATAR_SIDE));
        for (x, y) in [
            (0, 0),
            (AVATAR_SIDE - 1, AVATAR_SIDE / 2),
            (AVATAR_SIDE / 2, 0),
        ] {
            let [r, g, b] = avatar.get_pixel(x, y).0;
            assert!(g > 200 && r < 60 && b < 60, "({x}, {y}) is {:?}", [r, g, b]);
        }
        // A small one with transparency is scaled up, and stays a PNG.
        image::RgbaImage::from_pixel(40, 30, image::Rgba([0, 0, 0, 0]))
            .save_with_format(&source, ImageFormat::Png)
            .unwrap();
        assert_eq!(
            make_avatar(&source, &target, DECODE_MEMORY_DEFAULT).unwrap(),
            "image/png"
        );
        let avatar = decoded(&target);
        assert_eq!(
            (avatar.width(), avatar.height()),
            (AVATAR_SIDE, AVATAR_SIDE)
        );
        // Not an image: refused.
        std::fs::write(&source, b"not a picture").unwrap();
        assert!(make_avatar(&source, &target, DECODE_MEMORY_DEFAULT).is_err());
        for path in [source, target] {
            let _ = std::fs::remove_file(path);
        }
    }

    #[test]
    fn broken_and_oversized_images_are_refused() {
        let source = temp("broken.png");
        let target = temp("broken.preview");
        std::fs::write(&source, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert!(make(&source, &target, DECODE_MEMORY_DEFAULT).is_err());
        // A PNG header claiming 100000 × 100000 pixels is refused before any pixel is decoded.
        let mut header = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        header.extend_from_slice(&100_000u32.to_be_bytes());
        header.extend_from_slice(&100_000u32.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        std::fs::write(&source, header).unwrap();
        assert!(make(&source, &target, DECODE_MEMORY_DEFAULT).is_err());
        for path in [source, target] {
            let _ = std::fs::remove_file(path);
        }
    }

    /// A PNG header for `side` × `side` RGB pixels, then a few bytes of (zero) image data: what a
    /// decompression bomb starts with.
    fn png_header(side: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&side.to_be_bytes());
        ihdr.extend_from_slice(&side.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        // The start of the image data (a zlib header): the decoder reads up to it.
        let idat = b"IDAT\x78\x9c".to_vec();
        png.extend_from_slice(&2u32.to_be_bytes());
        png.extend_from_slice(&idat);
        png.extend_from_slice(&crc32(&idat).to_be_bytes());
        png
    }

    /// A PNG of `width` × `height` whose metadata says to turn it a quarter clockwise to show
    /// it upright (EXIF orientation 6, in an `eXIf` chunk after the header).
    fn png_on_its_side(width: u32, height: u32) -> Vec<u8> {
        let mut plain = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(width, height, image::Rgb([10, 200, 10]))
            .write_to(&mut plain, ImageFormat::Png)
            .unwrap();
        let plain = plain.into_inner();
        // Signature (8) + IHDR chunk (4 + 4 + 13 + 4).
        let (head, rest) = plain.split_at(33);
        // Big-endian TIFF: one IFD entry, Orientation (0x0112), SHORT, 1, value 6.
        let mut exif = b"eXIfMM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00"
            .to_vec();
        let length = u32::try_from(exif.len() - 4).unwrap();
        let crc = crc32(&exif);
        let mut png = head.to_vec();
        png.extend_from_slice(&length.to_be_bytes());
        png.append(&mut exif);
        png.extend_from_slice(&crc.to_be_bytes());
        png.extend_from_slice(rest);
        png
    }

    #[test]
    fn a_picture_stored_on_its_side_is_turned_upright() {
        let source = temp("sideways.png");
        let target = temp("sideways.preview");
        std::fs::write(&source, png_on_its_side(60, 20)).unwrap();
        make(&source, &target, DECODE_MEMORY_DEFAULT).unwrap();
        let preview = decoded(&target);
        assert_eq!((preview.width(), preview.height()), (20, 60));
        for path in [source, target] {
            let _ = std::fs::remove_file(path);
        }
    }

    /// PNG's CRC-32.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A progressive JPEG's headers (SOI, a quantisation table, SOF2) for `side` × `side`
    /// pixels of 3 components, and nothing after.
    fn progressive_jpeg_header(side: u16) -> Vec<u8> {
        let mut jpeg = vec![0xff, 0xd8];
        jpeg.extend_from_slice(&[0xff, 0xdb, 0x00, 0x43, 0x00]);
        jpeg.extend_from_slice(&[1u8; 64]);
        jpeg.extend_from_slice(&[0xff, 0xc2, 0x00, 0x11, 0x08]);
        jpeg.extend_from_slice(&side.to_be_bytes());
        jpeg.extend_from_slice(&side.to_be_bytes());
        jpeg.extend_from_slice(&[0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]);
        // The first scan's header (DC of the three components): the decoder reads up to it.
        jpeg.extend_from_slice(&[
            0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00,
        ]);
        jpeg.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0xff, 0xd9]);
        jpeg
    }

    #[test]
    fn what_the_header_says_is_too_dear_is_refused_before_decoding() {
        let source = temp("bomb.png");
        let target = temp("bomb.preview");
        // 11,000 × 11,000 RGB: within the side limit, 363 MB decoded, a few bytes on disk.
        std::fs::write(&source, png_header(11_000)).unwrap();
        let started = std::time::Instant::now();
        match make(&source, &target, DECODE_MEMORY_DEFAULT) {
            Err(PreviewError::TooLarge { needed, budget }) => {
                assert_eq!(needed, 11_000 * 11_000 * 3);
                assert_eq!(budget, DECODE_MEMORY_DEFAULT);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "refused at once"
        );
        // A progressive JPEG is judged with its coefficients: 6,000 × 6,000 is 108 MB of
        // pixels but 396 MB with them.
        let source_jpeg = temp("bomb.jpg");
        std::fs::write(&source_jpeg, progressive_jpeg_header(6_000)).unwrap();
        match make(&source_jpeg, &target, DECODE_MEMORY_DEFAULT) {
            Err(PreviewError::TooLarge { needed, .. }) => {
                assert_eq!(needed, 6_000 * 6_000 * (3 + 4 * 2));
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        // The same budget lets a smaller image through to decoding (which then fails here:
        // there is no image data).
        std::fs::write(&source, png_header(2_000)).unwrap();
        assert!(matches!(
            make(&source, &target, DECODE_MEMORY_DEFAULT),
            Err(PreviewError::Decode(_))
        ));
        for path in [source, source_jpeg, target] {
            let _ = std::fs::remove_file(path);
        }
    }
}
