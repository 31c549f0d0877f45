//! Bots (v1.28) and their slash commands (v1.29).

use super::bad;
use crate::{ErrorBody, ErrorCode, slash};

/// Most bots one person owns.
pub const BOTS_PER_OWNER: usize = 5;

/// Most commands one bot registers.
pub const COMMANDS_PER_BOT: usize = 10;

/// Longest command name, in characters.
pub const COMMAND_NAME_MAX: usize = 32;

/// Longest command description, in characters.
pub const COMMAND_DESCRIPTION_MAX: usize = 100;

/// Longest command address, in bytes.
pub const COMMAND_URL_MAX: usize = 2000;

/// Longest `text` of a `run_command`, in characters (that of a message).
pub const COMMAND_TEXT_MAX: usize = super::MESSAGE_MAX;

/// The commands every client knows itself: no bot may take their names.
pub const BUILT_IN_COMMANDS: [&str; 12] = [
    slash::ME,
    slash::SHRUG,
    slash::TOPIC,
    slash::INVITE,
    slash::DM,
    slash::MSG,
    slash::STATUS,
    slash::MUTE,
    slash::UNMUTE,
    slash::LEAVE,
    slash::PART,
    slash::HELP,
];

/// Whether `name` is spelled as a command name may be: 1–32 of `a-z`, `0-9`, `-`, `_`,
/// starting with a letter.
#[must_use]
pub fn is_command_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.len() <= COMMAND_NAME_MAX
}

/// A command's name, as [`is_command_name`] says, and not a built-in one.
///
/// # Errors
/// `bad_request`, or `conflict` for a built-in command's name.
pub fn command_name(raw: &str) -> Result<&str, ErrorBody> {
    if !is_command_name(raw) {
        return Err(bad(format!(
            "a command name is 1–{COMMAND_NAME_MAX} of a-z, 0-9, - and _, starting with a letter"
        )));
    }
    if BUILT_IN_COMMANDS.contains(&raw) {
        return Err(ErrorBody::new(
            ErrorCode::Conflict,
            format!("/{raw} is a built-in command; pick another name"),
        ));
    }
    Ok(raw)
}

/// A command's description: trimmed, one line, 1–100 characters.
///
/// # Errors
/// `bad_request` (empty, a control character) or `too_long`.
pub fn command_description(raw: &str) -> Result<&str, ErrorBody> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(bad("say in a few words what the command does"));
    }
    if text.chars().count() > COMMAND_DESCRIPTION_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("a description has at most {COMMAND_DESCRIPTION_MAX} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() || super::is_invisible(c))
    {
        return Err(bad("a description is a single line of visible text"));
    }
    Ok(text)
}

/// A command's address as written: an absolute `http://` or `https://` address of at most
/// [`COMMAND_URL_MAX`] bytes, without spaces (the server parses and checks it further).
///
/// # Errors
/// `bad_request` or `too_long`.
pub fn command_url(raw: &str) -> Result<&str, ErrorBody> {
    let url = raw.trim();
    if url.len() > COMMAND_URL_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("a command's address has at most {COMMAND_URL_MAX} bytes"),
        ));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if rest.is_none_or(str::is_empty) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "a command's address is an absolute http:// or https:// address",
        ));
    }
    Ok(url)
}

/// The text after a command's name: at most [`COMMAND_TEXT_MAX`] characters (may be empty).
///
/// # Errors
/// `too_long`.
pub fn command_text(raw: &str) -> Result<&str, ErrorBody> {
    let text = raw.trim();
    if text.chars().count() > COMMAND_TEXT_MAX {
        return Err(ErrorBody::new(
            ErrorCode::TooLong,
            format!("what follows a command has at most {COMMAND_TEXT_MAX} characters"),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names() {
        assert_eq!(command_name("deploy").unwrap(), "deploy");
        assert_eq!(command_name("giphy-2_x").unwrap(), "giphy-2_x");
        for bad_name in [
            "",
            "Deploy",
            "2fa",
            "-x",
            "a b",
            "ü",
            &"x".repeat(33),
            "a/b",
        ] {
            assert_eq!(
                command_name(bad_name).unwrap_err().code,
                ErrorCode::BadRequest,
                "{bad_name:?}"
            );
        }
        assert_eq!(command_name("me").unwrap_err().code, ErrorCode::Conflict);
        assert_eq!(command_name("help").unwrap_err().code, ErrorCode::Conflict);
    }

    #[test]
    fn descriptions_urls_and_text() {
        assert_eq!(
            command_description("  Deploys a branch ").unwrap(),
            "Deploys a branch"
        );
        assert!(command_description("").is_err());
        assert!(command_description("two\nlines").is_err());
        assert!(command_description("a\u{202E}b").is_err());
        assert_eq!(
            command_description(&"x".repeat(101)).unwrap_err().code,
            ErrorCode::TooLong
        );
        assert_eq!(
            command_url("https://bot.example/cmd").unwrap(),
            "https://bot.example/cmd"
        );
        assert_eq!(
            command_url("HTTP://10.0.0.1:8080/").unwrap(),
            "HTTP://10.0.0.1:8080/"
        );
        for bad_url in [
            "",
            "ftp://x",
            "https://",
            "/relative",
            "https://a b",
            "javascript:x",
        ] {
            assert!(command_url(bad_url).is_err(), "{bad_url:?}");
        }
        let long = format!("https://x.example/{}", "a".repeat(2000));
        assert_eq!(command_url(&long).unwrap_err().code, ErrorCode::TooLong);
        assert_eq!(command_text("  ").unwrap(), "");
        assert_eq!(
            command_text(&"x".repeat(4001)).unwrap_err().code,
            ErrorCode::TooLong
        );
    }
}
