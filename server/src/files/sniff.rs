//! What a file is, from its first bytes: the uploader's name and claimed type are never
//! trusted.

/// How many leading bytes are looked at.
pub const SNIFF_BYTES: usize = 8192;

/// Plain text (the type given to UTF-8 files without a known signature).
pub const TEXT: &str = "text/plain; charset=utf-8";
/// Anything unrecognised.
pub const BINARY: &str = "application/octet-stream";

/// The content type of a file whose first bytes are `head` (`whole`: `head` is the entire
/// file): a known binary signature (images, audio, video, archives, documents...), else UTF-8
/// text without NUL bytes (HTML, XML and scripts included: they are only ever plain text
/// here), else [`BINARY`].
#[must_use]
pub fn content_type(head: &[u8], whole: bool) -> String {
    if let Some(kind) = infer::get(head)
        && kind.matcher_type() != infer::MatcherType::Text
    {
        return kind.mime_type().to_owned();
    }
    if looks_like_text(head, whole) {
        TEXT.to_owned()
    } else {
        BINARY.to_owned()
    }
}

/// UTF-8 without NUL; a character cut at the end of a partial head is allowed.
fn looks_like_text(head: &[u8], whole: bool) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(error) => !whole && error.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_decide_not_names() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(content_type(png, false), "image/png");
        assert_eq!(
            content_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0", false),
            "image/jpeg"
        );
        assert_eq!(content_type(b"GIF89a....", false), "image/gif");
        assert_eq!(content_type(b"%PDF-1.7\n", false), "application/pdf");
    }

    #[test]
    fn text_and_binary() {
        // HTML is text like any other: served as an attachment, never rendered.
        assert_eq!(content_type(b"<html><script>alert(1)</script>", true), TEXT);
        assert_eq!(content_type("café".as_bytes(), true), TEXT);
        // A head cut inside a character is still text; a whole file must be valid.
        let cut = &"é".as_bytes()[..1];
        assert_eq!(content_type(cut, false), TEXT);
        assert_eq!(content_type(cut, true), BINARY);
        assert_eq!(content_type(b"a\0b", true), BINARY);
        assert_eq!(content_type(&[0xff, 0xfe, 0x00, 0x01], true), BINARY);
    }
}
