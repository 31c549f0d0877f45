//! Uploaded files: ids, names, how many a message carries, preview size.

use super::bad;
use super::names::is_invisible;
use crate::ErrorBody;

/// Most files one message carries.
pub const ATTACHMENTS_MAX: usize = 10;
/// The largest upload by default (10 MiB); servers may set another limit.
pub const UPLOAD_MAX_DEFAULT: u64 = 10 * 1024 * 1024;
/// Longest attachment name kept, in bytes (UTF-8).
pub const FILE_NAME_MAX: usize = 200;
/// The longest side of an image preview, in pixels.
pub const PREVIEW_MAX_SIDE: u32 = 480;
/// The largest profile picture upload (v1.25): 5 MiB.
pub const AVATAR_UPLOAD_MAX: u64 = 5 * 1024 * 1024;
/// The side of a profile picture as kept and served (v1.25): square, in pixels.
pub const AVATAR_SIDE: u32 = 256;
/// Characters of an attachment id (lowercase hex).
pub const ATTACHMENT_ID_LEN: usize = 32;

/// An attachment id: exactly [`ATTACHMENT_ID_LEN`] lowercase hex digits.
///
/// # Errors
/// `bad_request` for anything else.
pub fn attachment_id(raw: &str) -> Result<&str, ErrorBody> {
    if raw.len() == ATTACHMENT_ID_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(raw)
    } else {
        Err(bad("an attachment id is 32 lowercase hex digits"))
    }
}

/// The ids of a message's attachments: at most [`ATTACHMENTS_MAX`], each valid, none twice.
///
/// # Errors
/// `bad_request` naming the rule.
pub fn attachment_ids(raw: &[String]) -> Result<(), ErrorBody> {
    if raw.len() > ATTACHMENTS_MAX {
        return Err(bad(format!(
            "a message carries at most {ATTACHMENTS_MAX} files"
        )));
    }
    for (index, id) in raw.iter().enumerate() {
        attachment_id(id)?;
        if raw[..index].contains(id) {
            return Err(bad("the same file is attached twice"));
        }
    }
    Ok(())
}

/// An uploaded file's name made safe to store and show: the last path component only, no
/// control or invisible characters, trimmed, cut to [`FILE_NAME_MAX`] bytes (keeping the
/// extension when it can); `file` when nothing is left.
#[must_use]
pub fn file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    if cleaned.len() <= FILE_NAME_MAX {
        return cleaned.to_owned();
    }
    let extension = cleaned
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.len() <= 16)
        .map(|ext| format!(".{ext}"))
        .unwrap_or_default();
    let mut stem = String::new();
    for c in cleaned.chars() {
        if stem.len() + c.len_utf8() + extension.len() > FILE_NAME_MAX {
            break;
        }
        stem.push(c);
    }
    stem + &extension
}
