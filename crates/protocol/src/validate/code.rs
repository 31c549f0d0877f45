//! Code blocks (v1.18): the language a fence names, and what may be highlighted.

use super::bad;
use super::text::{MESSAGE_MAX, is_refused_control};
use crate::{ErrorBody, ErrorCode};

/// Longest language name of a fence (` ```objective-c++ ` fits), in characters.
pub const CODE_LANGUAGE_MAX: usize = 32;

/// The language of a fence's info string (```` ```rust ```` or ```` ```py title ````): its first
/// word, if it is a language name. `None` for a fence that names none or names it in a way no
/// language is written (the block is then shown without colour, as before).
#[must_use]
pub fn fence_language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?;
    code_language(word).ok()
}

/// A language name or file extension: 1–32 ASCII letters, digits and `+ # . _ -`, starting with
/// a letter, a digit or `.` (`rust`, `c++`, `c#`, `.rs`, `objective-c`, `1c`).
///
/// # Errors
/// `bad_request` saying what is wrong.
pub fn code_language(raw: &str) -> Result<String, ErrorBody> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(bad("a code block's language is empty"));
    }
    if name.chars().count() > CODE_LANGUAGE_MAX {
        return Err(bad(format!(
            "a code block's language has at most {CODE_LANGUAGE_MAX} characters"
        )));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '.' | '_' | '-');
    let first_fits = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.');
    if !first_fits || !name.chars().all(allowed) {
        return Err(bad(
            "a code block's language is a name such as rust, python or c++",
        ));
    }
    Ok(name.to_owned())
}

/// The text of a code block to highlight: what a message may hold (at most 4000 characters,
/// no control characters but newline and tab); it may be empty.
///
/// # Errors
/// `too_long`, or `bad_request` for a control character.
pub fn code_block(code: &str) -> Result<(), ErrorBody> {
    if code.chars().count() > MESSAGE_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("a code block has at most {MESSAGE_MAX} characters"),
        ));
    }
    if code.chars().any(is_refused_control) {
        return Err(bad(
            "a code block may not contain control characters other than newline and tab",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_name_their_language_in_the_first_word() {
        assert_eq!(fence_language("rust").as_deref(), Some("rust"));
        assert_eq!(fence_language("  py title=x.py").as_deref(), Some("py"));
        assert_eq!(fence_language("c++").as_deref(), Some("c++"));
        assert_eq!(fence_language("C#").as_deref(), Some("C#"));
        assert_eq!(fence_language(""), None);
        assert_eq!(fence_language("   "), None);
        assert_eq!(fence_language("<script>"), None);
        assert_eq!(fence_language("{.rust}"), None);
        assert_eq!(fence_language("-rust"), None);
        assert_eq!(fence_language(&"a".repeat(33)), None);
        assert_eq!(fence_language(&"a".repeat(32)).map(|l| l.len()), Some(32));
        assert_eq!(fence_language("rüst"), None);
    }

    #[test]
    fn code_blocks_are_message_sized_text() {
        assert!(code_block("").is_ok());
        assert!(code_block("fn main() {\n\tprintln!(\"hi\");\n}").is_ok());
        assert!(code_block(&"é".repeat(MESSAGE_MAX)).is_ok());
        let long = code_block(&"x".repeat(MESSAGE_MAX + 1)).unwrap_err();
        assert_eq!(long.code, ErrorCode::TooLong);
        let control = code_block("a\u{0}b").unwrap_err();
        assert_eq!(control.code, ErrorCode::BadRequest);
        assert!(code_block("a\r\nb").is_err());
    }
}
