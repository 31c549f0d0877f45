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

/// Someone who may be mentioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Their username: what a mention writes.
    pub username: &'a str,
    /// The name they go by, if known.
    pub name: Option<&'a str>,
    /// Found by the server's people search, which also matches display names this side may
    /// not know yet: kept even when the text typed is not seen in what is known of them.
    pub found: bool,
}

/// A suggestion in the list: the username to write and the name to show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The username.
    pub username: String,
    /// Their display name, if they have one.
    pub name: Option<String>,
}

/// How well `typed` (lowercase) names `candidate`, best first: the username starts with it;
/// the display name, or a part of either name, starts with it; either contains it; the
/// server found them (by a name not known here yet). `None`: not at all.
fn rank(candidate: &Candidate<'_>, typed: &str) -> Option<u8> {
    let username = candidate.username.to_lowercase();
    let name = candidate.name.map(str::to_lowercase);
    if username.starts_with(typed) {
        return Some(0);
    }
    let word_starts = |text: &str| {
        text.split(|c: char| c.is_whitespace() || matches!(c, '_' | '.' | '-'))
            .any(|word| word.starts_with(typed))
    };
    if word_starts(&username) || name.as_deref().is_some_and(word_starts) {
        return Some(1);
    }
    if username.contains(typed) || name.as_deref().is_some_and(|name| name.contains(typed)) {
        return Some(2);
    }
    candidate.found.then_some(3)
}

/// The people among `candidates` that `typed` names, best matches first (in the candidates'
/// order within a kind of match: the room's people before the directory's), at most `limit`.
#[must_use]
pub fn suggestions<'a>(
    candidates: impl IntoIterator<Item = Candidate<'a>>,
    typed: &str,
    limit: usize,
) -> Vec<Suggestion> {
    let typed = typed.to_lowercase();
    let mut ranked: Vec<(u8, usize, Candidate<'a>)> = candidates
        .into_iter()
        .enumerate()
        .filter_map(|(n, candidate)| rank(&candidate, &typed).map(|r| (r, n, candidate)))
        .collect();
    ranked.sort_by_key(|(rank, n, _)| (*rank, *n));
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, _, candidate)| Suggestion {
            username: candidate.username.to_owned(),
            name: candidate.name.map(str::to_owned),
        })
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
        let text = "é😀@x";
        assert_eq!(utf16_to_byte(text, 3), "é😀".len());
        assert_eq!(byte_to_utf16(text, "é😀".len()), 3);
    }

    fn person<'a>(username: &'a str, name: Option<&'a str>, found: bool) -> Candidate<'a> {
        Candidate {
            username,
            name,
            found,
        }
    }

    fn usernames(found: &[Suggestion]) -> Vec<&str> {
        found.iter().map(|s| s.username.as_str()).collect()
    }

    #[test]
    fn a_prefix_of_the_username_comes_first_in_the_candidates_order() {
        let room = [
            person("Bea", None, false),
            person("ben", None, false),
            person("ana", None, false),
        ];
        assert_eq!(usernames(&suggestions(room, "be", 5)), ["Bea", "ben"]);
        assert_eq!(
            usernames(&suggestions(room, "", 5)),
            ["Bea", "ben", "ana"],
            "a bare @ lists the room"
        );
        assert_eq!(
            usernames(&suggestions(room, "BE", 1)),
            ["Bea"],
            "at most limit"
        );
    }

    #[test]
    fn display_names_parts_and_substrings_match_after_prefixes() {
        let people = [
            person("mh", Some("María Hernández"), false),
            person("jo_mar", None, false),
            person("ana", Some("Ana Marley"), false),
            person("omar", None, false),
            person("marta", None, false),
            person("zed", None, false),
        ];
        let found = suggestions(people, "mar", 10);
        // marta's username starts with it; then a word of a name (mh's "María", jo_mar's
        // "mar", ana's "Marley"); then omar, which only contains it; zed never matches.
        assert_eq!(usernames(&found), ["marta", "mh", "jo_mar", "ana", "omar"]);
        assert_eq!(
            found[1].name.as_deref(),
            Some("María Hernández"),
            "the name to show"
        );
        assert_eq!(
            usernames(&suggestions(people, "hern", 10)),
            ["mh"],
            "any word of the display name"
        );
    }

    #[test]
    fn the_servers_finds_stay_after_everything_seen_here() {
        let people = [
            person("ana", None, false),
            // The server matched the display name "Zoe K", not known here yet: kept, last.
            person("zk", None, true),
            person("zoebot", None, false),
        ];
        assert_eq!(usernames(&suggestions(people, "zoe", 5)), ["zoebot", "zk"]);
    }
}
