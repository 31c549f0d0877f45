//! Finding emoji: search over the server's catalogue (`GET /api/emoji`, v1.17) by name and
//! `:shortcode:`, and the `:shortcode` being typed in the composer. Offsets are byte offsets
//! into the text, as in [`crate::complete`].

use protocol::http::{EmojiCatalog, EmojiInfo};

/// Emoji offered while a `:shortcode` is typed.
pub const SUGGESTIONS: usize = 6;

/// Emoji in a message's quick reaction row.
pub const QUICK: usize = 8;

/// Where the browser keeps the emoji used lately (newest first).
pub const RECENT_KEY: &str = "tertulia.emoji.recent";

/// The quick reaction row: the emoji used lately (newest first), then `defaults` not among
/// them, [`QUICK`] in all.
#[must_use]
pub fn quick_row(recent: &[String], defaults: &[&str]) -> Vec<String> {
    let mut row: Vec<String> = Vec::with_capacity(QUICK);
    for emoji in recent
        .iter()
        .map(String::as_str)
        .chain(defaults.iter().copied())
    {
        if row.len() == QUICK {
            break;
        }
        if !row.iter().any(|known| known == emoji) {
            row.push(emoji.to_owned());
        }
    }
    row
}

/// `recent` with `emoji` moved (or added) to the front, at most [`QUICK`].
#[must_use]
pub fn remember(recent: &[String], emoji: &str) -> Vec<String> {
    std::iter::once(emoji.to_owned())
        .chain(recent.iter().filter(|known| *known != emoji).cloned())
        .take(QUICK)
        .collect()
}

/// The emoji this browser used lately, newest first.
#[must_use]
pub fn recent() -> Vec<String> {
    crate::storage::get(RECENT_KEY)
        .and_then(|json| serde_json::from_str::<Vec<String>>(&json).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|emoji| protocol::validate::emoji(emoji).is_ok())
        .take(QUICK)
        .collect()
}

/// Notes that `emoji` was just used (a reaction or an emoji put in a message).
pub fn used(emoji: &str) {
    let recent = remember(&recent(), emoji);
    if let Ok(json) = serde_json::to_string(&recent) {
        crate::storage::set(RECENT_KEY, &json);
    }
}

/// Characters a shortcode is made of.
fn is_shortcode_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '+' | '-')
}

/// The `:shortcode` being typed just before `caret`: where its `:` is and what follows it
/// (at least two characters, so a plain colon or `:)` opens nothing). `None` elsewhere.
#[must_use]
pub fn shortcode_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let start = before.rfind(':')?;
    let typed = &before[start + 1..];
    let at_word_start = before[..start]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || "([{\"'".contains(c));
    // A letter somewhere (or GitHub's `+1` / `-1`): `10:30` and `at :30` are times.
    let valid = typed.len() >= 2
        && typed.len() <= 40
        && typed.chars().all(is_shortcode_char)
        && (typed.chars().any(|c| c.is_ascii_lowercase()) || matches!(typed, "+1" | "-1"));
    (at_word_start && valid).then_some((start, typed))
}

/// The text with `start..caret` (a `:shortcode` being typed) replaced by `emoji`, and the
/// caret after it.
#[must_use]
pub fn put(text: &str, start: usize, caret: usize, emoji: &str) -> (String, usize) {
    let caret_after = start + emoji.len();
    (
        format!("{}{emoji}{}", &text[..start], &text[caret..]),
        caret_after,
    )
}

/// When the text just before `caret` is a whole known `:shortcode:` (typed with its closing
/// colon), the text with it turned into its emoji and the caret after the emoji.
#[must_use]
pub fn finish_typed(catalog: &EmojiCatalog, text: &str, caret: usize) -> Option<(String, usize)> {
    let before = text.get(..caret)?.strip_suffix(':')?;
    let (start, typed) = shortcode_at(before, before.len())?;
    let found = catalog
        .emoji
        .iter()
        .find(|info| info.shortcodes.iter().any(|code| code == typed))?;
    Some(put(text, start, caret, &found.emoji))
}

/// The emoji matching `query`, best first, at most `limit`: a shortcode that is the query,
/// then shortcodes starting with it, then names with a word starting with it, then names or
/// shortcodes containing it. Case and a leading `:` do not matter; every word of a query of
/// several must match.
#[must_use]
pub fn search<'a>(catalog: &'a EmojiCatalog, query: &str, limit: usize) -> Vec<&'a EmojiInfo> {
    ranked(catalog, query, limit, 3)
}

/// What `:typed` completes to in the composer: as [`search`], without matches in the middle
/// of a word (`:30` offers no clock, `:ok` no smoking sign).
#[must_use]
pub fn completions<'a>(catalog: &'a EmojiCatalog, typed: &str, limit: usize) -> Vec<&'a EmojiInfo> {
    ranked(catalog, typed, limit, 2)
}

fn ranked<'a>(
    catalog: &'a EmojiCatalog,
    query: &str,
    limit: usize,
    worst: u8,
) -> Vec<&'a EmojiInfo> {
    let query = query.trim().trim_start_matches(':').to_lowercase();
    let words: Vec<&str> = query.split_whitespace().collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut ranked: Vec<(u8, usize, &EmojiInfo)> = catalog
        .emoji
        .iter()
        .enumerate()
        .filter_map(|(place, info)| {
            let name = info.name.to_lowercase();
            let rank = words
                .iter()
                .map(|word| rank(info, &name, word))
                .try_fold(0_u8, |worst, rank| rank.map(|rank| worst.max(rank)))?;
            (rank <= worst).then_some((rank, place, info))
        })
        .collect();
    ranked.sort_by_key(|(rank, place, _)| (*rank, *place));
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, _, info)| info)
        .collect()
}

/// How well `word` matches an emoji (lower is better); `None` when it does not.
fn rank(info: &EmojiInfo, name: &str, word: &str) -> Option<u8> {
    let codes = || info.shortcodes.iter();
    if codes().any(|code| code == word) {
        Some(0)
    } else if codes().any(|code| code.starts_with(word)) {
        Some(1)
    } else if name
        .split([' ', '-', ':'])
        .any(|part| part.starts_with(word))
    {
        Some(2)
    } else if name.contains(word) || codes().any(|code| code.contains(word)) {
        Some(3)
    } else {
        None
    }
}

/// The emoji of group `group` (an index into [`EmojiCatalog::groups`]), in catalogue order.
pub fn in_group(catalog: &EmojiCatalog, group: usize) -> impl Iterator<Item = &EmojiInfo> {
    catalog
        .emoji
        .iter()
        .filter(move |info| usize::from(info.group) == group)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> EmojiCatalog {
        let info = |emoji: &str, name: &str, codes: &[&str], group: u8| EmojiInfo {
            emoji: emoji.into(),
            name: name.into(),
            shortcodes: codes.iter().map(|c| (*c).to_owned()).collect(),
            group,
        };
        EmojiCatalog {
            groups: vec!["Smileys & Emotion".into(), "Travel & Places".into()],
            emoji: vec![
                info("😀", "grinning face", &["grinning"], 0),
                info("🎉", "party popper", &["tada"], 0),
                info("🚀", "rocket", &["rocket"], 1),
                info("🚢", "ship", &["ship"], 1),
                info("🏍️", "motorcycle", &["racing_motorcycle"], 1),
                info("🛶", "canoe", &["canoe"], 1),
                info("🛳️", "passenger ship", &["passenger_ship"], 1),
            ],
        }
    }

    #[test]
    fn search_ranks_shortcodes_then_name_words_then_anything_containing() {
        let catalog = catalog();
        let found = |query: &str| {
            search(&catalog, query, 10)
                .into_iter()
                .map(|info| info.emoji.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(found("rocket"), ["🚀"]);
        assert_eq!(found(":TADA"), ["🎉"]);
        assert_eq!(found("party"), ["🎉"]);
        // The shortcode that is the word, then a name with a word starting with it, then
        // anything containing it.
        assert_eq!(found("ship"), ["🚢", "🛳️"]);
        assert_eq!(found("cycle"), ["🏍️"]);
        assert_eq!(found("ca"), ["🛶"]);
        assert_eq!(found("grinning face"), ["😀"]);
        assert_eq!(found("face rocket"), Vec::<&str>::new());
        assert!(found("   ").is_empty());
        assert_eq!(search(&catalog, "i", 2).len(), 2);
        // Completion leaves out matches in the middle of a word.
        let completed = |typed: &str| {
            completions(&catalog, typed, 10)
                .into_iter()
                .map(|info| info.emoji.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(completed("ship"), ["🚢", "🛳️"]);
        assert_eq!(completed("cycle"), Vec::<&str>::new());
        assert_eq!(completed("ro"), ["🚀"]);
        assert_eq!(in_group(&catalog, 1).count(), 5);
    }

    #[test]
    fn the_quick_row_starts_with_what_was_used_lately() {
        let defaults = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];
        assert_eq!(quick_row(&[], &defaults), defaults);
        let recent = remember(&remember(&[], "🚀"), "🎉");
        assert_eq!(recent, ["🎉", "🚀"]);
        let row = quick_row(&recent, &defaults);
        assert_eq!(row, ["🎉", "🚀", "👍", "❤️", "😂", "😮", "😢", "🙏"]);
        // Used again: to the front, once; never more than the row holds.
        let mut many: Vec<String> = Vec::new();
        for emoji in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "b"] {
            many = remember(&many, emoji);
        }
        assert_eq!(many, ["b", "i", "h", "g", "f", "e", "d", "c"]);
        assert_eq!(quick_row(&many, &defaults).len(), QUICK);
    }

    #[test]
    fn the_shortcode_being_typed_is_found_and_replaced() {
        assert_eq!(shortcode_at("hi :ta", 6), Some((3, "ta")));
        assert_eq!(shortcode_at(":ro", 3), Some((0, "ro")));
        assert_eq!(shortcode_at("hi :t", 5), None, "two characters at least");
        assert_eq!(shortcode_at("at 10:30", 8), None, "not at a word start");
        assert_eq!(shortcode_at("see :) ok", 6), None);
        assert_eq!(shortcode_at("back at :30", 11), None, "a time");
        assert_eq!(shortcode_at("yes :+1", 7), Some((4, "+1")));
        // Multi-byte text before the caret.
        assert_eq!(shortcode_at("é :ta", 6), Some((3, "ta")));
        assert_eq!(put("é :ta", 3, 6, "🎉"), ("é 🎉".to_owned(), 7));
        assert_eq!(shortcode_at("hi :Ta", 6), None, "shortcodes are lowercase");
        assert_eq!(put("hi :ta!", 3, 6, "🎉"), ("hi 🎉!".to_owned(), 7));

        let catalog = catalog();
        assert_eq!(
            finish_typed(&catalog, "go :rocket: now", 11),
            Some(("go 🚀 now".to_owned(), 7))
        );
        assert_eq!(finish_typed(&catalog, "go :rock:", 9), None, "unknown");
        assert_eq!(finish_typed(&catalog, "go :rocket", 10), None, "not closed");
        assert_eq!(finish_typed(&catalog, "a:rocket:", 9), None, "mid-word");
        assert_eq!(
            finish_typed(&catalog, "ü :rocket:", 11),
            Some(("ü 🚀".to_owned(), 7))
        );
    }
}
