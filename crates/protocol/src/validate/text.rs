//! Text people write: messages, topics, reply excerpts, mentions, line breaks.

use super::bad;
use super::names::{name_key, username};
use crate::{ErrorBody, ErrorCode};

/// Longest message text, in characters (after trimming).
pub const MESSAGE_MAX: usize = 4000;

/// Longest room topic, in characters.
pub const TOPIC_MAX: usize = 200;

/// Control characters refused in text: C0 except newline and tab, DEL and C1.
#[must_use]
pub fn is_refused_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Text with its line breaks as `\n`: `\r\n` and a lone `\r` are read as `\n` (in message text
/// and notification bodies alike).
#[must_use]
pub fn line_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Message text: line breaks normalised to `\n`, trimmed, 1–4000 characters, no control
/// characters other than newline and tab.
///
/// # Errors
/// `empty_message`, `too_long`, or `bad_request` for a control character.
pub fn message_text(raw: &str) -> Result<String, ErrorBody> {
    let raw = line_breaks(raw);
    let text = raw.trim();
    if text.is_empty() {
        return Err(ErrorBody::new(
            ErrorCode::EmptyMessage,
            "the message is empty",
        ));
    }
    if text.chars().count() > MESSAGE_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("a message has at most {MESSAGE_MAX} characters"),
        ));
    }
    if text.chars().any(is_refused_control) {
        return Err(bad(
            "a message may not contain control characters other than newline and tab",
        ));
    }
    Ok(text.to_owned())
}

/// Longest quoted excerpt of the message a reply answers, in characters.
pub const EXCERPT_MAX: usize = 140;

/// The quoted excerpt of a message: its first [`EXCERPT_MAX`] characters on one line.
#[must_use]
pub fn excerpt(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = line.chars().take(EXCERPT_MAX).collect();
    if line.chars().count() > EXCERPT_MAX {
        cut.push('…');
    }
    cut
}

/// Optional topic: trimmed, empty means none, at most 200 characters, one line.
///
/// # Errors
/// `too_long`, or `bad_request` for control characters.
pub fn topic(raw: Option<&str>) -> Result<Option<String>, ErrorBody> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > TOPIC_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("a topic has at most {TOPIC_MAX} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(bad("a topic is a single line of text"));
    }
    Ok(Some(text.to_owned()))
}

/// Longest display name, in characters (v1.26).
pub const DISPLAY_NAME_MAX: usize = 64;

/// A display name (v1.26): trimmed, one line, at most [`DISPLAY_NAME_MAX`] characters, no
/// invisible or direction-changing characters (which would let it read as another name), not
/// starting with `@` (how usernames are written); empty clears it.
///
/// # Errors
/// `too_long`, or `bad_request` naming the rule.
pub fn display_name(raw: &str) -> Result<Option<String>, ErrorBody> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > DISPLAY_NAME_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("a display name has at most {DISPLAY_NAME_MAX} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(bad("a display name is a single line of text"));
    }
    if text.chars().any(super::names::is_invisible) {
        return Err(bad(
            "a display name has no invisible or direction-changing characters",
        ));
    }
    if text.starts_with('@') {
        return Err(bad(
            "a display name does not start with @, which marks usernames",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Longest status line, in characters (v1.13).
pub const STATUS_MAX: usize = 80;

/// A status line (v1.13): trimmed, one line, at most [`STATUS_MAX`] characters; empty clears it.
///
/// # Errors
/// `too_long`, or `bad_request` for a line break or another control character.
pub fn status(raw: &str) -> Result<Option<String>, ErrorBody> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > STATUS_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("a status has at most {STATUS_MAX} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(bad("a status is a single line of text"));
    }
    Ok(Some(text.to_owned()))
}

/// The text of a `message` carrying `attachments` files: as [`message_text`], except that it
/// may be empty when there is at least one file.
///
/// # Errors
/// As [`message_text`].
pub fn message_body(raw: &str, attachments: usize) -> Result<String, ErrorBody> {
    if attachments > 0 && raw.trim().is_empty() {
        return Ok(String::new());
    }
    message_text(raw)
}

/// Most `@mentions` honoured per message.
pub const MENTIONS_MAX: usize = 10;

/// The distinct `@username`s a message mentions, in order of first appearance (at most
/// [`MENTIONS_MAX`]). A mention starts at the beginning or after a character that cannot be
/// part of a name (so `ana@example.org` is not one) or a backslash (`\@ana` shows the sign);
/// trailing dots are dropped (`@bea.`).
#[must_use]
pub fn mentions(text: &str) -> Vec<String> {
    let is_name_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '-');
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (index, c) in text.char_indices() {
        // `\@ana` is written to show the sign, not to call her (as clients render it).
        let starts = c == '@' && !previous.is_some_and(|p| is_name_char(p) || p == '\\');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[index + 1..];
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches('.');
        if let Ok(name) = username(name) {
            if !found.iter().any(|f| name_key(f) == name_key(&name)) {
                found.push(name);
            }
            if found.len() == MENTIONS_MAX {
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod display_name_tests {
    use super::*;

    #[test]
    fn a_display_name_is_one_visible_line() {
        assert_eq!(
            display_name("  Ana García ").unwrap().as_deref(),
            Some("Ana García")
        );
        assert_eq!(display_name("   ").unwrap(), None);
        assert_eq!(
            display_name(&"x".repeat(DISPLAY_NAME_MAX + 1))
                .unwrap_err()
                .code,
            ErrorCode::TooLong
        );
        assert!(display_name(&"é".repeat(DISPLAY_NAME_MAX)).is_ok());
        for bad in [
            "Ana\nBoss",
            "tab\there",
            "\u{200B}\u{200B}",
            "\u{2800}",
            // Reads as "bea", keyed as "aeb".
            "\u{202E}aeb",
            "An\u{200D}a",
            "@bea",
        ] {
            assert_eq!(
                display_name(bad).unwrap_err().code,
                ErrorCode::BadRequest,
                "{bad:?}"
            );
        }
    }
}
