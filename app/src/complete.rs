//! `@` autocomplete in the composer: finding the name being typed and putting the chosen one
//! in its place. Offsets are byte offsets into the text; [`utf16_to_byte`] and
//! [`byte_to_utf16`] convert from and to the browser's selection offsets.

/// The `@name` being typed just before `caret`: where its `@` is and the part typed so far
/// (possibly empty). `None` when the caret is not right after an `@` word.
#[must_use]
pub fn mention_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let start = before.rfind('@')?;
    let typed = &before[start + 1..];
    let at_word_start = before[..start]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || "([{\"'".contains(c));
    let name_chars = typed
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
    (at_word_start && name_chars && typed.chars().count() <= 32).then_some((start, typed))
}

/// The text with the mention at `start..caret` replaced by `@name ` and the caret after it.
#[must_use]
pub fn complete(text: &str, start: usize, caret: usize, name: &str) -> (String, usize) {
    let inserted = format!("@{name} ");
    let caret_after = start + inserted.len();
    (
        format!("{}{inserted}{}", &text[..start], &text[caret..]),
        caret_after,
    )
}

/// Names among `candidates` that start with `typed` (case-insensitively), at most `limit`.
#[must_use]
pub fn suggestions<'a>(
    candidates: impl IntoIterator<Item = &'a str>,
    typed: &str,
    limit: usize,
) -> Vec<String> {
    let typed = typed.to_lowercase();
    candidates
        .into_iter()
        .filter(|name| name.to_lowercase().starts_with(&typed))
        .take(limit)
        .map(str::to_owned)
        .collect()
}

/// A UTF-16 offset (as the browser counts) as a byte offset into `text`.
#[must_use]
pub fn utf16_to_byte(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (byte, c) in text.char_indices() {
        if units >= utf16 {
            return byte;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// A byte offset into `text` as a UTF-16 offset.
#[must_use]
pub fn byte_to_utf16(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_name_being_typed() {
        assert_eq!(mention_at("hi @be", 6), Some((3, "be")));
        assert_eq!(mention_at("@", 1), Some((0, "")));
        assert_eq!(mention_at("mail ana@ex", 11), None, "not at a word start");
        assert_eq!(mention_at("@bea done", 9), None, "the caret left the name");
        assert_eq!(mention_at("(@a", 3), Some((1, "a")));
    }

    #[test]
    fn completes_in_place_and_counts_like_the_browser() {
        let (text, caret) = complete("hi @be and", 3, 6, "bea");
        assert_eq!(text, "hi @bea  and");
        assert_eq!(caret, 8);
        assert_eq!(
            suggestions(["Bea", "ben", "ana"], "be", 5),
            ["Bea".to_owned(), "ben".to_owned()]
        );
        let text = "é😀@x";
        assert_eq!(utf16_to_byte(text, 3), "é😀".len());
        assert_eq!(byte_to_utf16(text, "é😀".len()), 3);
    }
}
