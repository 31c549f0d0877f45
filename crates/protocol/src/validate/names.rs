//! Names and passwords: usernames, room names, the look-alike-free characters they allow, the
//! avatar colour derived from a name.

use super::{GROUP_DM_PEOPLE_MAX, bad};
use crate::ErrorBody;

/// Longest username, in characters.
pub const USERNAME_MAX: usize = 32;

/// Room names starting with this are direct conversations, named by the server only (users
/// may not choose such a name).
pub const DM_NAME_PREFIX: &str = "dm-";

/// Group conversations' names (v1.20) start with this, then 32 hex digits.
pub const GROUP_DM_NAME_PREFIX: &str = "dm-g";

/// Longest room name, in characters.
pub const ROOM_NAME_MAX: usize = 64;

/// Shortest password for a registered account.
pub const PASSWORD_MIN: usize = 8;

/// Longest password accepted (bounds the hashing work per request).
pub const PASSWORD_MAX: usize = 256;

/// Characters that are invisible or change how text around them is shown: bidirectional
/// controls, zero-width and other default-ignorable code points, and the Hangul and Braille
/// fillers that render as blank. None of them belongs in a name.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{2800}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Checks that a name has no control or invisible characters.
fn visible_name(name: &str, what: &str) -> Result<(), ErrorBody> {
    if name.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(bad(format!(
            "a {what} may not contain invisible, formatting or control characters"
        )));
    }
    Ok(())
}

/// 1–32 letters, digits, `_`, `.` or `-`; surrounding whitespace is trimmed.
///
/// # Errors
/// `bad_request` naming the rule that failed.
pub fn username(raw: &str) -> Result<String, ErrorBody> {
    let name = raw.trim();
    visible_name(name, "username")?;
    let len = name.chars().count();
    if len == 0 || len > USERNAME_MAX {
        return Err(bad(format!(
            "a username has 1 to {USERNAME_MAX} characters"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(bad(
            "a username may only use letters, digits, '_', '.' and '-'",
        ));
    }
    Ok(name.to_owned())
}

/// The people of a `group_dm` (v1.20): each a valid username, repeats (case-insensitively)
/// dropped, in the order given; at most [`GROUP_DM_PEOPLE_MAX`] names (the sender may be one of
/// them). Whether enough *others* remain is the server's to say, once it knows who is who.
///
/// # Errors
/// `bad_request` for a bad name or too many.
pub fn group_dm_people(raw: &[String]) -> Result<Vec<String>, ErrorBody> {
    if raw.len() > GROUP_DM_PEOPLE_MAX {
        return Err(bad(format!(
            "a group conversation has at most {GROUP_DM_PEOPLE_MAX} people, you included"
        )));
    }
    let mut people: Vec<String> = Vec::with_capacity(raw.len());
    for name in raw {
        let name = username(name)?;
        if !people.iter().any(|seen| name_key(seen) == name_key(&name)) {
            people.push(name);
        }
    }
    Ok(people)
}

/// 1–64 letters, digits, spaces, `_` or `-`, trimmed, runs of spaces collapsed to one.
///
/// # Errors
/// `bad_request` naming the rule that failed.
pub fn room_name(raw: &str) -> Result<String, ErrorBody> {
    visible_name(raw.trim(), "room name")?;
    let name = raw
        .split(' ')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name = name.as_str();
    let len = name.chars().count();
    if len == 0 || len > ROOM_NAME_MAX {
        return Err(bad(format!(
            "a room name has 1 to {ROOM_NAME_MAX} characters"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-'))
    {
        return Err(bad(
            "a room name may only use letters, digits, spaces, '_' and '-'",
        ));
    }
    Ok(name.to_owned())
}

/// The case-insensitive form of a name, for matching in the UI. (The server's uniqueness key
/// also folds look-alike characters: see `names::unique_key`, feature `names`.)
#[must_use]
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Password of a new account: 8–256 characters.
///
/// # Errors
/// `bad_request` naming the rule.
pub fn new_password(raw: &str) -> Result<&str, ErrorBody> {
    let len = raw.chars().count();
    if len < PASSWORD_MIN {
        return Err(bad(format!(
            "a password has at least {PASSWORD_MIN} characters"
        )));
    }
    if len > PASSWORD_MAX {
        return Err(bad(format!(
            "a password has at most {PASSWORD_MAX} characters"
        )));
    }
    Ok(raw)
}

/// The hue (0–359) of a user's generated avatar colour: FNV-1a (32 bit) of the lowercased
/// username, modulo 360. Every client computes the same colour for the same person.
#[must_use]
pub fn avatar_hue(username: &str) -> u16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in username.to_lowercase().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    u16::try_from(hash % 360).unwrap_or(0)
}
