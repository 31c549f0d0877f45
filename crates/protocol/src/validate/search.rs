//! Search queries: their words, limits, and the snippet shown for a match.

use super::bad;
use crate::ErrorBody;

/// Longest search query, in characters.
pub const SEARCH_MAX: usize = 200;

/// Most words in a search query.
pub const SEARCH_TERMS_MAX: usize = 8;

/// Most search results per request.
pub const SEARCH_LIMIT_MAX: i64 = 50;

/// Search results when the request names no limit.
pub const SEARCH_LIMIT_DEFAULT: i64 = 20;

/// Characters of context either side of the first word found, in a search snippet.
pub const SNIPPET_CONTEXT: usize = 60;

/// The words of a search query: runs of letters and digits, lowercased, in order, without
/// repeats, at most [`SEARCH_TERMS_MAX`] (each at most 64 characters).
///
/// # Errors
/// `bad_request` for a query without any word, or longer than [`SEARCH_MAX`].
pub fn search_terms(q: &str) -> Result<Vec<String>, ErrorBody> {
    if q.chars().count() > SEARCH_MAX {
        return Err(bad(format!("a search has at most {SEARCH_MAX} characters")));
    }
    let mut terms: Vec<String> = Vec::new();
    for word in q.split(|c: char| !c.is_alphanumeric()) {
        let word: String = word.chars().take(64).collect::<String>().to_lowercase();
        if !word.is_empty() && !terms.contains(&word) && terms.len() < SEARCH_TERMS_MAX {
            terms.push(word);
        }
    }
    if terms.is_empty() {
        return Err(bad("search for at least one word"));
    }
    Ok(terms)
}

/// A search's limit: 1–50, 20 when absent.
///
/// # Errors
/// `bad_request` out of range.
pub fn search_limit(raw: Option<i64>) -> Result<i64, ErrorBody> {
    match raw {
        None => Ok(SEARCH_LIMIT_DEFAULT),
        Some(n) if (1..=SEARCH_LIMIT_MAX).contains(&n) => Ok(n),
        Some(_) => Err(bad(format!("limit is 1 to {SEARCH_LIMIT_MAX}"))),
    }
}

/// The snippet of a search hit: the text around the first word of `text` that starts with one
/// of `terms` (lowercase), with the `[start, end)` character ranges of every such word in it.
#[must_use]
pub fn snippet(text: &str, terms: &[String]) -> (String, Vec<[u32; 2]>) {
    let chars: Vec<char> = text.chars().collect();
    // Words: maximal runs of letters and digits, as (start, end) in characters.
    let mut words = Vec::new();
    let mut start = None;
    for (at, c) in chars.iter().enumerate() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                words.push((from, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        words.push((from, chars.len()));
    }
    let matches: Vec<(usize, usize)> = words
        .into_iter()
        .filter_map(|(from, to)| {
            let word: String = chars[from..to].iter().collect::<String>().to_lowercase();
            terms
                .iter()
                .filter(|term| word.starts_with(term.as_str()))
                .map(|term| term.chars().count())
                .max()
                .map(|len| (from, (from + len).min(to)))
        })
        .collect();
    let first = matches.first().map_or(0, |(from, _)| *from);
    let begin = first.saturating_sub(SNIPPET_CONTEXT);
    let end = (first + SNIPPET_CONTEXT).min(chars.len());
    let mut snippet = String::new();
    let mut offset = 0;
    if begin > 0 {
        snippet.push('…');
        offset = 1;
    }
    let window: String = chars[begin..end]
        .iter()
        .map(|c| if *c == '\n' { ' ' } else { *c })
        .collect();
    snippet.push_str(&window);
    if end < chars.len() {
        snippet.push('…');
    }
    let highlights = matches
        .into_iter()
        .filter(|(from, to)| *from >= begin && *to <= end)
        .map(|(from, to)| {
            let shift = |at: usize| u32::try_from(at - begin + offset).unwrap_or(u32::MAX);
            [shift(from), shift(to)]
        })
        .collect();
    (snippet, highlights)
}
