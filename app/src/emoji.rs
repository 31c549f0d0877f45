//! Finding emoji: search over the server's catalogue (`GET /api/emoji`, v1.17) by name and
//! `:shortcode:`, and the `:shortcode` being typed in the composer. Offsets are byte offsets
//! into the text, as in [`crate::complete`].

use protocol::http::{EmojiCatalog, EmojiInfo};

/// Emoji offered while a `:shortcode` is typed.
pub const SUGGESTIONS: usize = 6;

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
    let valid = typed.len() >= 2 && typed.len() <= 40 && typed.chars().all(is_shortcode_char);
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
            Some((rank, place, info))
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
        assert_eq!(in_group(&catalog, 1).count(), 5);
    }

    #[test]
    fn the_shortcode_being_typed_is_found_and_replaced() {
        assert_eq!(shortcode_at("hi :ta", 6), Some((3, "ta")));
        assert_eq!(shortcode_at(":ro", 3), Some((0, "ro")));
        assert_eq!(shortcode_at("hi :t", 5), None, "two characters at least");
        assert_eq!(shortcode_at("at 10:30", 8), None, "not at a word start");
        assert_eq!(shortcode_at("see :) ok", 6), None);
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
    }
}
