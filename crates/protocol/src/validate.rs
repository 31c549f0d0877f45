//! Input rules of the contract, shared so the UI can explain them and the server enforces them.
//!
//! Each function returns the normalised value (trimmed) or an [`ErrorBody`] with the code the
//! server answers.

use crate::{ErrorBody, ErrorCode};

/// Longest username, in characters.
pub const USERNAME_MAX: usize = 32;
/// Longest room name, in characters.
pub const ROOM_NAME_MAX: usize = 64;
/// Longest message text, in characters (after trimming).
pub const MESSAGE_MAX: usize = 4000;
/// Longest room topic, in characters.
pub const TOPIC_MAX: usize = 200;
/// Shortest password for a registered account.
pub const PASSWORD_MIN: usize = 8;
/// Longest password accepted (bounds the hashing work per request).
pub const PASSWORD_MAX: usize = 256;
/// Largest `limit` of a `history` request.
pub const HISTORY_MAX: i64 = 100;
/// Messages returned by `join` and by `history` without a limit.
pub const HISTORY_DEFAULT: i64 = 50;
/// Longest notification channel name.
pub const CHANNEL_MAX: usize = 64;

/// Most files one message carries.
pub const ATTACHMENTS_MAX: usize = 10;
/// The largest upload by default (10 MiB); servers may set another limit.
pub const UPLOAD_MAX_DEFAULT: u64 = 10 * 1024 * 1024;
/// Longest attachment name kept, in bytes (UTF-8).
pub const FILE_NAME_MAX: usize = 200;
/// The longest side of an image preview, in pixels.
pub const PREVIEW_MAX_SIDE: u32 = 480;
/// Characters of an attachment id (lowercase hex).
pub const ATTACHMENT_ID_LEN: usize = 32;

/// Most users listed by one `members` page (and by a `join` ack).
pub const MEMBERS_PAGE: usize = 500;

fn bad(message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadRequest, message)
}

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

/// Control characters refused in text: C0 except newline and tab, DEL and C1.
#[must_use]
pub fn is_refused_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
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

/// Most distinct emoji on one message.
pub const REACTIONS_MAX: usize = 20;

/// Most user ids a reaction lists in `users` (the first to react); `count` says how many
/// reacted in all. Bounds a message's size whatever the size of its room.
pub const REACTION_USERS_LISTED: usize = 50;

/// Longest emoji, in bytes (a family or flag sequence fits).
pub const EMOJI_MAX_BYTES: usize = 32;

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

/// Longest mute, in minutes (a week).
pub const MUTE_MINUTES_MAX: u32 = 7 * 24 * 60;

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

/// An attachment id: exactly [`ATTACHMENT_ID_LEN`] lowercase hex digits.
///
/// # Errors
/// `bad_request` for anything else.
pub fn attachment_id(raw: &str) -> Result<&str, ErrorBody> {
    if raw.len() == ATTACHMENT_ID_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(raw)
    } else {
        Err(bad("an attachment id is 32 lowercase hex digits"))
    }
}

/// The ids of a message's attachments: at most [`ATTACHMENTS_MAX`], each valid, none twice.
///
/// # Errors
/// `bad_request` naming the rule.
pub fn attachment_ids(raw: &[String]) -> Result<(), ErrorBody> {
    if raw.len() > ATTACHMENTS_MAX {
        return Err(bad(format!(
            "a message carries at most {ATTACHMENTS_MAX} files"
        )));
    }
    for (index, id) in raw.iter().enumerate() {
        attachment_id(id)?;
        if raw[..index].contains(id) {
            return Err(bad("the same file is attached twice"));
        }
    }
    Ok(())
}

/// An uploaded file's name made safe to store and show: the last path component only, no
/// control or invisible characters, trimmed, cut to [`FILE_NAME_MAX`] bytes (keeping the
/// extension when it can); `file` when nothing is left.
#[must_use]
pub fn file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    if cleaned.len() <= FILE_NAME_MAX {
        return cleaned.to_owned();
    }
    let extension = cleaned
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.len() <= 16)
        .map(|ext| format!(".{ext}"))
        .unwrap_or_default();
    let mut stem = String::new();
    for c in cleaned.chars() {
        if stem.len() + c.len_utf8() + extension.len() > FILE_NAME_MAX {
            break;
        }
        stem.push(c);
    }
    stem + &extension
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

/// `limit` of a `history` request: 1–100, 50 when absent.
///
/// # Errors
/// `bad_request` when out of range.
pub fn history_limit(raw: Option<i64>) -> Result<i64, ErrorBody> {
    match raw {
        None => Ok(HISTORY_DEFAULT),
        Some(limit) if (1..=HISTORY_MAX).contains(&limit) => Ok(limit),
        Some(_) => Err(bad(format!("limit is between 1 and {HISTORY_MAX}"))),
    }
}

/// Channel names: 1–64 of `a-z`, `0-9`, `_`, `-`, `.`, `:` (case-insensitive, stored lowercase).
///
/// # Errors
/// `bad_request` naming the rule.
pub fn channel(raw: &str) -> Result<String, ErrorBody> {
    let name = raw.trim().to_lowercase();
    let len = name.chars().count();
    if len == 0 || len > CHANNEL_MAX {
        return Err(bad(format!(
            "a channel name has 1 to {CHANNEL_MAX} characters"
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        return Err(bad(
            "a channel name may only use a-z, 0-9, '_', '-', '.' and ':'",
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username("  ana.b-c_1 ").unwrap(), "ana.b-c_1");
        assert_eq!(username("José").unwrap(), "José");
        assert!(username("").is_err());
        assert!(username("   ").is_err());
        assert!(username("a b").is_err());
        assert!(username("<script>").is_err());
        for invisible in [
            "a\u{200B}b",
            "\u{3164}",
            "\u{3164}\u{3164}",
            "ana\u{202E}",
            "\u{2800}",
            "x\u{FEFF}",
        ] {
            assert!(username(invisible).is_err(), "{invisible:?}");
        }
        assert!(username(&"x".repeat(33)).is_err());
        assert!(username(&"x".repeat(32)).is_ok());
    }

    #[test]
    fn room_names() {
        assert_eq!(room_name("  Book club ").unwrap(), "Book club");
        assert!(room_name("").is_err());
        assert!(room_name("a/b").is_err());
        assert!(room_name("tab\there").is_err());
        assert_eq!(room_name(" Book   club ").unwrap(), "Book club");
        assert!(room_name("\u{3164}").is_err());
        assert!(room_name("a\u{200D}b").is_err());
        assert!(room_name(&"r".repeat(65)).is_err());
        assert_eq!(name_key("Book Club"), name_key("book club"));
    }

    #[test]
    fn line_breaks_are_newlines() {
        assert_eq!(line_breaks("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert!(matches!(line_breaks("a\nb"), std::borrow::Cow::Borrowed(_)));
        assert!(notification("k", "t", &line_breaks("one\r\ntwo"), None).is_ok());
    }

    #[test]
    fn message_texts() {
        assert_eq!(message_text("  hi  ").unwrap(), "hi");
        assert_eq!(
            message_text(" \n\t ").unwrap_err().code,
            ErrorCode::EmptyMessage
        );
        assert_eq!(
            message_text(&"é".repeat(4000)).unwrap().chars().count(),
            4000
        );
        assert_eq!(
            message_text(&"é".repeat(4001)).unwrap_err().code,
            ErrorCode::TooLong
        );
        for refused in [
            "a\0b",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}x",
        ] {
            assert_eq!(
                message_text(refused).unwrap_err().code,
                ErrorCode::BadRequest,
                "{refused:?}"
            );
        }
        assert_eq!(message_text("line 1\nline 2").unwrap(), "line 1\nline 2");
        assert_eq!(message_text("a\tb").unwrap(), "a\tb");
        assert_eq!(
            message_text("crlf\r\nline\rmac").unwrap(),
            "crlf\nline\nmac"
        );
    }

    #[test]
    fn messages_with_files_may_have_no_text() {
        assert_eq!(message_body("  ", 1).unwrap(), "");
        assert!(message_body("  ", 0).is_err());
        assert_eq!(message_body(" hi ", 2).unwrap(), "hi");
        assert!(message_body("a\u{0}b", 1).is_err());
    }

    #[test]
    fn attachment_rules() {
        let id = "0123456789abcdef0123456789abcdef";
        assert!(attachment_id(id).is_ok());
        assert!(attachment_id("0123456789ABCDEF0123456789abcdef").is_err());
        assert!(attachment_id("../../etc/passwd").is_err());
        assert!(attachment_ids(&[id.to_owned(), id.to_owned()]).is_err());
        assert!(attachment_ids(&vec![id.to_owned(); ATTACHMENTS_MAX + 1]).is_err());
        assert_eq!(file_name("C:\\Users\\ana\\photo.png"), "photo.png");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("a\u{202E}gpj.exe"), "agpj.exe");
        assert_eq!(file_name(" .hidden "), "hidden");
        assert_eq!(file_name("///"), "file");
        let long = format!("{}.jpeg", "é".repeat(300));
        let cut = file_name(&long);
        assert!(
            cut.len() <= FILE_NAME_MAX && cut.ends_with(".jpeg"),
            "{cut}"
        );
    }

    #[test]
    fn avatar_hues_are_stable_and_case_blind() {
        assert_eq!(avatar_hue("Ana"), avatar_hue("ana"));
        assert!(avatar_hue("ana") < 360);
        assert_ne!(avatar_hue("ana"), avatar_hue("bob"));
        // Pinned, so that clients written in other languages can check they agree.
        assert_eq!(avatar_hue("ana"), 141);
        assert_eq!(avatar_hue("bob"), 284);
    }

    #[test]
    fn topics_and_limits() {
        assert_eq!(topic(None).unwrap(), None);
        assert_eq!(topic(Some("  ")).unwrap(), None);
        assert_eq!(topic(Some(" books ")).unwrap().as_deref(), Some("books"));
        assert!(topic(Some("a\nb")).is_err());
        assert_eq!(history_limit(None).unwrap(), 50);
        assert_eq!(history_limit(Some(100)).unwrap(), 100);
        assert!(history_limit(Some(0)).is_err());
        assert!(history_limit(Some(101)).is_err());
    }

    #[test]
    fn channels_and_passwords() {
        assert_eq!(channel(" News ").unwrap(), "news");
        assert!(channel("a b").is_err());
        assert!(new_password("short").is_err());
        assert!(new_password("long enough").is_ok());
    }
}

/// Longest notification kind.
pub const KIND_MAX: usize = 32;
/// Longest notification title.
pub const TITLE_MAX: usize = 200;
/// Longest notification body.
pub const BODY_MAX: usize = 2000;

/// A notification's kind, title, body and optional URL: non-empty where required, bounded,
/// and a URL that is a same-site path (`/...`) or http(s).
///
/// # Errors
/// `bad_request` or `too_long` naming the field.
pub fn notification(
    kind: &str,
    title: &str,
    body: &str,
    url: Option<&str>,
) -> Result<(), ErrorBody> {
    let kind_ok = !kind.is_empty()
        && kind.len() <= KIND_MAX
        && kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !kind_ok {
        return Err(bad(format!(
            "kind is 1 to {KIND_MAX} of a-z, 0-9, '_', '-', '.'"
        )));
    }
    if title.trim().is_empty() {
        return Err(bad("title is required"));
    }
    if title.chars().any(char::is_control) || body.chars().any(is_refused_control) {
        return Err(bad("title and body may not contain control characters"));
    }
    for (field, value, max) in [("title", title, TITLE_MAX), ("body", body, BODY_MAX)] {
        if value.chars().count() > max {
            return Err(ErrorBody::new(
                ErrorCode::TooLong,
                format!("{field} has at most {max} characters"),
            ));
        }
    }
    if let Some(url) = url {
        let safe = (url.starts_with('/') && !url.starts_with("//"))
            || url.starts_with("https://")
            || url.starts_with("http://");
        // Browsers read `\` as `/`: `/\evil.example` would leave the site.
        let odd = url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
        if !safe || odd || url.len() > 2000 {
            return Err(bad("url must be a path like /chat or an http(s) address"));
        }
    }
    Ok(())
}

/// Most `@mentions` honoured per message.
pub const MENTIONS_MAX: usize = 10;

/// The distinct `@username`s a message mentions, in order of first appearance (at most
/// [`MENTIONS_MAX`]). A mention starts at the beginning or after a character that cannot be
/// part of a name (so `ana@example.org` is not one); trailing dots are dropped (`@bea.`).
#[must_use]
pub fn mentions(text: &str) -> Vec<String> {
    let is_name_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '-');
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (index, c) in text.char_indices() {
        let starts = c == '@' && !previous.is_some_and(is_name_char);
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
mod notification_tests {
    use super::notification;

    #[test]
    fn fields_are_checked() {
        assert!(notification("mention", "t", "b", Some("/chat?room=general")).is_ok());
        assert!(notification("announcement", "t", "", None).is_ok());
        assert!(notification("", "t", "b", None).is_err());
        assert!(notification("a b", "t", "b", None).is_err());
        assert!(notification("k", " ", "b", None).is_err());
        assert!(notification("k", "t", &"b".repeat(2001), None).is_err());
        assert!(notification("k", "t", "b", Some("javascript:alert(1)")).is_err());
        assert!(notification("k", "t", "b", Some("//evil.example")).is_err());
        assert!(notification("k", "t", "b", Some("/\\evil.example")).is_err());
        assert!(notification("k", "t", "b", Some("/ok\\x")).is_err());
        assert!(notification("k", "t\u{1b}", "b", None).is_err());
        assert!(notification("k", "t", "line\nline", None).is_ok());
    }
}

#[cfg(test)]
mod mention_tests {
    use super::mentions;

    #[test]
    fn finds_distinct_mentions_in_order() {
        assert_eq!(mentions("hi @bea and @Cy, also @bea."), ["bea", "Cy"]);
        assert_eq!(mentions("@ana: look"), ["ana"]);
        assert_eq!(mentions("(@j.d-x_1)"), ["j.d-x_1"]);
    }

    #[test]
    fn ignores_emails_lone_ats_and_bad_names() {
        assert!(mentions("mail ana@example.org").is_empty());
        assert!(mentions("@ alone @").is_empty());
        assert!(mentions(&format!("@{}", "x".repeat(40))).is_empty());
        assert!(mentions("").is_empty());
    }

    #[test]
    fn caps_the_number_of_mentions() {
        let text: String = (0..20).map(|n| format!("@user{n} ")).collect();
        assert_eq!(mentions(&text).len(), super::MENTIONS_MAX);
    }
}

#[cfg(test)]
mod conversation_tests {
    use super::{EXCERPT_MAX, emoji, excerpt};

    #[test]
    fn reactions_are_emoji_only() {
        for ok in ["👍", "❤️", "🎉", "👩‍👩‍👧", "🇪🇸", "1️⃣", "👍🏽", "✅", "™"]
        {
            assert_eq!(emoji(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "",
            " ",
            "a",
            "ok",
            "👍 a",
            "<b>",
            "1",
            "…",
            "я",
            "\u{200D}",
            "👍\u{0}",
            &"😀".repeat(9),
        ] {
            assert!(emoji(bad).is_err(), "{bad:?}");
        }
        assert_eq!(emoji(" 👍\n").as_deref(), Ok("👍"), "trimmed");
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("hello\n  world"), "hello world");
        let long = "x".repeat(EXCERPT_MAX + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_MAX + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn search_terms_are_words() {
        use super::{search_limit, search_terms};
        assert_eq!(
            search_terms("Café, LUNCH? café").unwrap(),
            ["café", "lunch"]
        );
        assert!(search_terms("  !!  ").is_err());
        assert!(search_terms(&"a ".repeat(150)).is_err());
        assert_eq!(
            search_terms("a b c d e f g h i j").unwrap().len(),
            super::SEARCH_TERMS_MAX
        );
        assert_eq!(search_limit(None), Ok(20));
        assert!(search_limit(Some(51)).is_err() && search_limit(Some(0)).is_err());
    }

    #[test]
    fn snippets_mark_the_words_found() {
        use super::{SNIPPET_CONTEXT, snippet};
        let (text, marks) = snippet("We meet for Lunch at noon; lunchtime!", &["lunch".into()]);
        assert_eq!(text, "We meet for Lunch at noon; lunchtime!");
        assert_eq!(marks, [[12, 17], [27, 32]]);
        let long = format!("{} needle {}", "x".repeat(100), "y".repeat(100));
        let (text, marks) = snippet(&long, &["need".into()]);
        assert!(text.starts_with('…') && text.ends_with('…'));
        assert_eq!(text.chars().count(), 2 * SNIPPET_CONTEXT + 2);
        let [from, to] = marks[0];
        let found: String = text
            .chars()
            .skip(from as usize)
            .take((to - from) as usize)
            .collect();
        assert_eq!(found, "need");
    }
}
