//! What an upload is, judged from its bytes, and the renditions of images.
//! Everything here is synchronous; callers run the image work on `spawn_blocking`.

use std::{fs::File, io::BufReader, path::Path};

use image::{
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits,
};

use super::types::MediaKind;

/// Long side of the `big` rendition, in pixels.
pub const BIG_SIDE: u32 = 720;
/// Long side of the `small` rendition, in pixels.
pub const SMALL_SIDE: u32 = 198;

/// Fallback media type of bytes we do not recognise.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The kind and media type of some bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// Which messages may carry it.
    pub kind: MediaKind,
    /// The media type.
    pub mime: String,
}

/// Classify from the leading bytes; the name the client gave plays no part.
pub fn detect(head: &[u8]) -> Detected {
    let mime = infer::get(head)
        .map(|t| t.mime_type())
        .unwrap_or(OCTET_STREAM);
    let kind = match mime {
        "image/jpeg" | "image/png" | "image/gif" | "image/bmp" | "image/webp" => MediaKind::Image,
        "audio/mpeg" | "audio/m4a" | "audio/aac" | "audio/ogg" | "audio/opus" | "audio/x-wav"
        | "audio/amr" => MediaKind::Audio,
        // m4v is an mp4 with another brand.
        "video/mp4" | "video/x-m4v" | "video/quicktime" => MediaKind::Video,
        _ => MediaKind::File,
    };
    Detected {
        kind,
        mime: mime.to_owned(),
    }
}

/// The decoder for an image media type we accept.
pub fn image_format(mime: &str) -> Option<ImageFormat> {
    match mime {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/gif" => Some(ImageFormat::Gif),
        "image/bmp" => Some(ImageFormat::Bmp),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// TIM's `imageFormat`: JPG 1, GIF 2, PNG 3, BMP 4, other 255.
pub fn tim_image_format(mime: &str) -> i32 {
    match mime {
        "image/jpeg" => 1,
        "image/gif" => 2,
        "image/png" => 3,
        "image/bmp" => 4,
        _ => 255,
    }
}

/// `videoFormat` of a video media type.
pub fn video_format(mime: &str) -> &'static str {
    if mime == "video/quicktime" {
        "mov"
    } else {
        "mp4"
    }
}

/// One downscaled view of an image.
#[derive(Debug, Clone)]
pub struct Rendition {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The encoded bytes and their media type; `None` when the original is small
    /// enough to serve as it is (renditions never upscale).
    pub encoded: Option<(Vec<u8>, &'static str)>,
}

/// What reading an image found.
#[derive(Debug, Clone)]
pub struct ImageFacts {
    /// Width in pixels (after EXIF orientation when decoded).
    pub width: u32,
    /// Height in pixels (after EXIF orientation when decoded).
    pub height: u32,
    /// `big` and `small`, when renditions were made.
    pub renditions: Option<(Rendition, Rendition)>,
}

/// What [`inspect_image`] made of an image upload.
#[derive(Debug, Clone)]
pub enum Inspected {
    /// A decodable image.
    Image(ImageFacts),
    /// The bytes do not decode as the format (the file is then not treated as an image).
    NotAnImage,
    /// The header claims more pixels than `IMGQL_MAX_IMAGE_PIXELS`; nothing was decoded.
    TooManyPixels {
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
    },
}

/// Read an image's size from its header and, with `renditions`, decode it and
/// make `big` and `small`. An image whose header claims more than `max_pixels`
/// pixels is never decoded.
pub fn inspect_image(
    path: &Path,
    format: ImageFormat,
    renditions: bool,
    max_pixels: u64,
) -> Inspected {
    inspect(path, format, renditions, max_pixels).unwrap_or(Inspected::NotAnImage)
}

fn inspect(
    path: &Path,
    format: ImageFormat,
    renditions: bool,
    max_pixels: u64,
) -> Option<Inspected> {
    let file = File::open(path).ok()?;
    let mut reader = ImageReader::with_format(BufReader::new(file), format);
    reader.limits(decode_limits());
    // Only the header is read here.
    let mut decoder = reader.into_decoder().ok()?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels {
        return Some(Inspected::TooManyPixels { width, height });
    }
    if !renditions {
        return Some(Inspected::Image(ImageFacts {
            width,
            height,
            renditions: None,
        }));
    }
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).ok()?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let (width, height) = (image.width(), image.height());
    let big = rendition(&image, format, BIG_SIDE)?;
    let small = rendition(&image, format, SMALL_SIDE)?;
    Some(Inspected::Image(ImageFacts {
        width,
        height,
        renditions: Some((big, small)),
    }))
}

/// Bounds on what a decoder may allocate, so a small file cannot claim a huge canvas.
fn decode_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    limits
}

/// The size of `(width, height)` scaled to fit `side` on the long side, never upscaled.
pub fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= side {
        return (width, height);
    }
    let scale = |v: u32| -> u32 {
        let scaled = (u64::from(v) * u64::from(side) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(side).max(1)
    };
    if width >= height {
        (side, scale(height))
    } else {
        (scale(width), side)
    }
}

fn rendition(image: &DynamicImage, format: ImageFormat, side: u32) -> Option<Rendition> {
    let (width, height) = fit(image.width(), image.height(), side);
    if (width, height) == (image.width(), image.height()) {
        return Some(Rendition {
            width,
            height,
            encoded: None,
        });
    }
    let scaled = image.thumbnail_exact(width, height);
    let mut bytes = Vec::new();
    // Photos stay JPEG; everything else becomes PNG, which keeps transparency.
    let mime = if format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(scaled.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 85))
            .ok()?;
        "image/jpeg"
    } else {
        scaled
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .ok()?;
        "image/png"
    };
    Some(Rendition {
        width,
        height,
        encoded: Some((bytes, mime)),
    })
}

/// The client's file name made safe to show: the last path segment, without
/// control or direction-override characters, at most 255 bytes.
pub fn sanitize_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    let mut name = cleaned.trim().to_owned();
    if name.len() > 255 {
        let mut cut = 255;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    if name.is_empty() || name == "." || name == ".." {
        "file".into()
    } else {
        name
    }
}

/// A `Content-Disposition` value naming `name` (RFC 6266 with an RFC 5987 UTF-8 form).
pub fn content_disposition(disposition: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renditions_keep_the_aspect_and_never_upscale() {
        assert_eq!(fit(1600, 900, BIG_SIDE), (720, 405));
        assert_eq!(fit(1600, 900, SMALL_SIDE), (198, 111));
        assert_eq!(fit(900, 1600, SMALL_SIDE), (111, 198));
        assert_eq!(fit(100, 50, BIG_SIDE), (100, 50));
        assert_eq!(fit(10_000, 1, SMALL_SIDE), (198, 1));
    }

    #[test]
    fn names_lose_their_paths_and_controls() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("C:\\Users\\x\\doc.pdf"), "doc.pdf");
        assert_eq!(sanitize_name(".."), "file");
        assert_eq!(sanitize_name("a\u{0}b\u{202E}gpj.exe"), "abgpj.exe");
        assert_eq!(sanitize_name(&"é".repeat(200)).len(), 254);
    }

    #[test]
    fn content_disposition_has_an_ascii_fallback_and_a_utf8_name() {
        assert_eq!(
            content_disposition("attachment", "résumé \"1\".pdf"),
            "attachment; filename=\"r_sum_ _1_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf"
        );
    }

    #[test]
    fn bytes_decide_the_kind() {
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n....").kind, MediaKind::Image);
        assert_eq!(detect(b"just some text").kind, MediaKind::File);
        assert_eq!(detect(b"%PDF-1.7 ...").mime, "application/pdf");
        assert_eq!(
            detect(b"\0\0\0\x18ftypisom\0\0\0\0isomiso2").kind,
            MediaKind::Video
        );
        assert_eq!(detect(b"ID3\x04\0\0\0\0\0\0").kind, MediaKind::Audio);
    }
}
