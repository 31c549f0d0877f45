//! Notifications: channel names and what a pushed notification may carry.

use super::bad;
use super::text::is_refused_control;
use crate::{ErrorBody, ErrorCode};

/// Longest notification channel name.
pub const CHANNEL_MAX: usize = 64;

/// Channel names: 1–64 of `a-z`, `0-9`, `_`, `-`, `.`, `:` (case-insensitive, stored lowercase).
///
/// # Errors
/// `bad_request` naming the rule.
pub fn channel(raw: &str) -> Result<String, ErrorBody> {
    let name = raw.trim().to_lowercase();
    let len = name.chars().count();
    if len == 0 || len > CHANNEL_MAX {
        return Err(bad(format!(
            "a channel name has 1 to {CHANNEL_MAX} characters"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        return Err(bad(
            "a channel name may only use a-z, 0-9, '_', '-', '.' and ':'",
        ));
    }
    Ok(name)
}

/// Longest notification kind.
pub const KIND_MAX: usize = 32;
/// Longest notification title.
pub const TITLE_MAX: usize = 200;
/// Longest notification body.
pub const BODY_MAX: usize = 2000;

/// A notification's kind, title, body and optional URL: non-empty where required, bounded,
/// and a URL that is a same-site path (`/...`) or http(s).
///
/// # Errors
/// `bad_request` or `too_long` naming the field.
pub fn notification(
    kind: &str,
    title: &str,
    body: &str,
    url: Option<&str>,
) -> Result<(), ErrorBody> {
    let kind_ok = !kind.is_empty()
        && kind.len() <= KIND_MAX
        && kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !kind_ok {
        return Err(bad(format!(
            "kind is 1 to {KIND_MAX} of a-z, 0-9, '_', '-', '.'"
        )));
    }
    if title.trim().is_empty() {
        return Err(bad("title is required"));
    }
    if title.chars().any(char::is_control) || body.chars().any(is_refused_control) {
        return Err(bad("title and body may not contain control characters"));
    }
    for (field, value, max) in [("title", title, TITLE_MAX), ("body", body, BODY_MAX)] {
        if value.chars().count() > max {
            return Err(ErrorBody::new(
                ErrorCode::TooLong,
                format!("{field} has at most {max} characters"),
            ));
        }
    }
    if let Some(url) = url {
        let safe = (url.starts_with('/') && !url.starts_with("//"))
            || url.starts_with("https://")
            || url.starts_with("http://");
        // Browsers read `\` as `/`: `/\evil.example` would leave the site.
        let odd = url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
        if !safe || odd || url.len() > 2000 {
            return Err(bad("url must be a path like /chat or an http(s) address"));
        }
    }
    Ok(())
}
