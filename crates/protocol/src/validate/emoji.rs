//! Reactions: what counts as one emoji, and how many a message carries.

use super::bad;
use crate::ErrorBody;

/// Most distinct emoji on one message.
pub const REACTIONS_MAX: usize = 20;

/// Most user ids a reaction lists in `users` (the first to react); `count` says how many
/// reacted in all. Bounds a message's size whatever the size of its room.
pub const REACTION_USERS_LISTED: usize = 50;

/// Longest emoji, in bytes (a family or flag sequence fits).
pub const EMOJI_MAX_BYTES: usize = 32;

/// Whether `c` is a pictograph of the emoji blocks (symbols, dingbats, arrows, the
/// supplementary emoji planes, and the few older ones such as © and ™).
fn is_pictograph(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{2190}'..='\u{21FF}'
        | '\u{2300}'..='\u{23FF}'
        | '\u{24C2}'
        | '\u{25A0}'..='\u{27BF}'
        | '\u{2900}'..='\u{297F}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F000}'..='\u{1FAFF}')
}

/// Whether `c` may join pictographs into one emoji: zero-width joiner, variation selectors,
/// the keycap mark (after `0`–`9`, `#`, `*`) and tag characters (subdivision flags).
fn is_emoji_joiner(c: char) -> bool {
    matches!(
        c,
        '\u{200D}' | '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' | '\u{E0020}'..='\u{E007F}'
    ) || c.is_ascii_digit()
        || c == '#'
        || c == '*'
}

/// A reaction: one emoji (or emoji sequence, such as a family or a flag): pictographs and
/// the characters that join them, nothing else, at most [`EMOJI_MAX_BYTES`] bytes.
///
/// # Errors
/// `bad_request` for anything else.
pub fn emoji(raw: &str) -> Result<String, ErrorBody> {
    let emoji = raw.trim();
    let valid = !emoji.is_empty()
        && emoji.len() <= EMOJI_MAX_BYTES
        && emoji.chars().any(|c| is_pictograph(c) || c == '\u{20E3}')
        && emoji
            .chars()
            .all(|c| is_pictograph(c) || is_emoji_joiner(c));
    if !valid {
        return Err(bad("a reaction is one emoji"));
    }
    Ok(emoji.to_owned())
}
