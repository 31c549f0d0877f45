//! The safe Markdown subset of messages, parsed into a small tree that components render as
//! DOM nodes (text is always text: nothing a user writes becomes HTML).
//!
//! Blocks: paragraphs (a newline is a line break), fenced code blocks (```` ``` ````), quotes
//! (`> `), bulleted (`- `, `* `) and numbered (`1. `) lists. Inline: `**bold**`, `*italic*` or
//! `_italic_`, `~~strike~~`, `` `code` ``, bare `http(s)://` and `www.` links, named links
//! `[text](https://…)` and `@mentions`. A link only ever points to an `http(s)` address. A
//! backslash before ASCII punctuation makes it plain (`\*not italic\*`).

/// A block of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Lines of text shown with line breaks between them.
    Paragraph(Vec<Vec<Inline>>),
    /// A fenced code block, verbatim, and the language its fence names (```` ```rust ````), if
    /// it names one ([`protocol::validate::fence_language`]).
    Code {
        /// The language, as written.
        lang: Option<String>,
        /// The block's lines.
        code: String,
    },
    /// Quoted lines.
    Quote(Vec<Vec<Inline>>),
    /// A list: numbered or not, one line per item.
    List {
        /// `1.` style.
        ordered: bool,
        /// The items.
        items: Vec<Vec<Inline>>,
    },
}

/// A run of inline content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// `**…**`.
    Bold(Vec<Inline>),
    /// `*…*` or `_…_`.
    Italic(Vec<Inline>),
    /// `~~…~~`.
    Strike(Vec<Inline>),
    /// `` `…` ``, verbatim.
    Code(String),
    /// A bare `http://` or `https://` URL.
    Link(String),
    /// A link whose text is not its address: `[text](https://…)`, or a bare `www.` address
    /// (its text as written, its address with `https://`).
    NamedLink {
        /// What the reader sees.
        text: String,
        /// Where it goes: always `http://` or `https://`.
        href: String,
    },
    /// `@name` (without the `@`).
    Mention(String),
}

/// Parses a message's text.
#[must_use]
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().peekable();
    let mut paragraph: Vec<Vec<Inline>> = Vec::new();
    let flush = |paragraph: &mut Vec<Vec<Inline>>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(std::mem::take(paragraph)));
        }
    };
    while let Some(line) = lines.next() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            flush(&mut paragraph, &mut blocks);
            let lang = protocol::validate::fence_language(info);
            let mut code = Vec::new();
            for inner in lines.by_ref() {
                if inner.trim_start().starts_with("```") {
                    break;
                }
                code.push(inner);
            }
            blocks.push(Block::Code {
                lang,
                code: code.join("\n"),
            });
        } else if let Some(quoted) = quote_line(line) {
            flush(&mut paragraph, &mut blocks);
            let mut quote = vec![inlines(quoted)];
            while let Some(next) = lines.peek().and_then(|l| quote_line(l)) {
                quote.push(inlines(next));
                lines.next();
            }
            blocks.push(Block::Quote(quote));
        } else if let Some((ordered, item)) = list_item(line) {
            flush(&mut paragraph, &mut blocks);
            let mut items = vec![inlines(item)];
            while let Some((_, next)) = lines
                .peek()
                .and_then(|l| list_item(l))
                .filter(|(o, _)| *o == ordered)
            {
                items.push(inlines(next));
                lines.next();
            }
            blocks.push(Block::List { ordered, items });
        } else if line.trim().is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else {
            paragraph.push(inlines(line));
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// The address of the first link in a message's text, as it renders (a link in code is
/// not one): what the server previews.
#[must_use]
pub fn first_link(text: &str) -> Option<String> {
    fn in_inlines(inlines: &[Inline]) -> Option<String> {
        inlines.iter().find_map(|inline| match inline {
            Inline::Link(url) => Some(url.clone()),
            Inline::NamedLink { href, .. } => Some(href.clone()),
            Inline::Bold(inner) | Inline::Italic(inner) | Inline::Strike(inner) => {
                in_inlines(inner)
            }
            Inline::Text(_) | Inline::Code(_) | Inline::Mention(_) => None,
        })
    }
    parse(text).iter().find_map(|block| match block {
        Block::Paragraph(lines) | Block::Quote(lines) => {
            lines.iter().find_map(|line| in_inlines(line))
        }
        Block::List { items, .. } => items.iter().find_map(|item| in_inlines(item)),
        Block::Code { .. } => None,
    })
}

fn quote_line(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('>')?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, rest));
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=3).contains(&digits) {
        return line[digits..].strip_prefix(". ").map(|rest| (true, rest));
    }
    None
}

/// Parses one line's inline content.
#[must_use]
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let rest = &text[i..];
        let word_start = i == 0 || !is_word_char(text[..i].chars().next_back().unwrap_or(' '));
        // A backslash before ASCII punctuation makes it plain (`\*` is a star, `\_` an
        // underscore), as in CommonMark.
        if bytes[i] == b'\\' && bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) {
            plain.push(char::from(bytes[i + 1]));
            i += 2;
            continue;
        }
        let parsed = if let Some(code) = delimited(rest, "`") {
            Some((Inline::Code(code.to_owned()), code.len() + 2))
        } else if let Some(inner) = delimited(rest, "**") {
            Some((Inline::Bold(inlines(inner)), inner.len() + 4))
        } else if let Some(inner) = delimited(rest, "~~") {
            Some((Inline::Strike(inlines(inner)), inner.len() + 4))
        } else if let Some(inner) = (word_start && bytes[i] == b'_')
            .then(|| delimited(rest, "_"))
            .flatten()
        {
            Some((Inline::Italic(inlines(inner)), inner.len() + 2))
        } else if let Some(inner) = delimited(rest, "*") {
            Some((Inline::Italic(inlines(inner)), inner.len() + 2))
        } else if let Some((text, href, used)) = named_link(rest) {
            Some((Inline::NamedLink { text, href }, used))
        } else if word_start && let Some(url) = link(rest) {
            Some((Inline::Link(url.to_owned()), url.len()))
        } else if word_start && let Some(address) = www_link(rest) {
            let inline = Inline::NamedLink {
                text: address.to_owned(),
                href: format!("https://{address}"),
            };
            Some((inline, address.len()))
        } else if word_start && let Some(name) = mention(rest) {
            Some((Inline::Mention(name.to_owned()), name.len() + 1))
        } else {
            None
        };
        match parsed {
            Some((inline, used)) => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.push(inline);
                i += used;
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                plain.push(c);
                i += c.len_utf8();
            }
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

/// The content between `marker` at the start of `text` and its next occurrence: not empty,
/// not starting or ending with a space (so `2 * 3 * 4` stays text).
fn delimited<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let body = text.strip_prefix(marker)?;
    let end = body.find(marker)?;
    let inner = &body[..end];
    let padded = inner.starts_with(char::is_whitespace) || inner.ends_with(char::is_whitespace);
    (!inner.is_empty() && (marker == "`" || !padded)).then_some(inner)
}

/// A bare URL at the start of `text`, without trailing punctuation.
fn link(text: &str) -> Option<&str> {
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let mut url = &text[..end];
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"']);
        let trimmed = if trimmed.ends_with(')')
            && trimmed.matches('(').count() < trimmed.matches(')').count()
        {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    let host = url.split("://").nth(1).unwrap_or_default();
    (!host.is_empty()).then_some(url)
}

/// `[text](url)` at the start of `text`: its text (one line, not empty, trimmed), its
/// address (a URL [`link`] takes whole) and the bytes it spans. Anything else is not a link.
fn named_link(text: &str) -> Option<(String, String, usize)> {
    let body = text.strip_prefix('[')?;
    let close = body.find("](")?;
    let label = body[..close].trim();
    if label.is_empty() || label.contains(['[', ']']) {
        return None;
    }
    let after = &body[close + 2..];
    // The address ends at the `)` that balances the ones inside it.
    let mut depth = 0_usize;
    let end = after.char_indices().find_map(|(at, c)| match c {
        '(' => {
            depth += 1;
            None
        }
        ')' if depth == 0 => Some(at),
        ')' => {
            depth -= 1;
            None
        }
        _ => None,
    })?;
    let address = &after[..end];
    let url = link(address).filter(|url| url.len() == address.len())?;
    Some((label.to_owned(), url.to_owned(), 1 + close + 2 + end + 1))
}

/// A bare `www.` address at the start of `text` (`www.` then a name with a dot in it), without
/// trailing punctuation.
fn www_link(text: &str) -> Option<&str> {
    if !text
        .get(..4)
        .is_some_and(|start| start.eq_ignore_ascii_case("www."))
    {
        return None;
    }
    let url = link(&format!("https://{text}"))?.len() - "https://".len();
    let address = text.get(..url)?;
    // `www.` alone (or before punctuation) trims down to less than itself: no address.
    let host = address
        .get(4..)?
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or_default();
    let valid = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'));
    valid.then_some(address)
}

/// `@name` at the start of `text`: the name (letters, digits, `_ . -`, not ending in `.`).
fn mention(text: &str) -> Option<&str> {
    let body = text.strip_prefix('@')?;
    let end = body
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(body.len());
    let name = body[..end].trim_end_matches('.');
    (!name.is_empty() && name.chars().count() <= 32).then_some(name)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::Inline::*;
    use super::*;

    fn text(s: &str) -> Inline {
        Text(s.to_owned())
    }

    #[test]
    fn the_first_link_is_the_first_that_renders_as_one() {
        assert_eq!(first_link("no links here"), None);
        assert_eq!(
            first_link(
                "`https://in.code/x` then **see https://a.example/b.** and https://c.example"
            ),
            Some("https://a.example/b".to_owned())
        );
        assert_eq!(
            first_link("```\nhttps://in.block\n```\n- [docs](https://d.example/x)"),
            Some("https://d.example/x".to_owned())
        );
        assert_eq!(
            first_link("> quoted www.e.example/faq"),
            Some("https://www.e.example/faq".to_owned())
        );
        assert_eq!(first_link("javascript:alert(1) ftp://f.example"), None);
    }

    #[test]
    fn inline_styles_nest_and_leave_stray_markers_alone() {
        assert_eq!(
            inlines("a **bold _and it_** ~~gone~~ `x*y*`"),
            [
                text("a "),
                Bold(vec![text("bold "), Italic(vec![text("and it")])]),
                text(" "),
                Strike(vec![text("gone")]),
                text(" "),
                Code("x*y*".into()),
            ]
        );
        assert_eq!(inlines("2 * 3 * 4"), [text("2 * 3 * 4")]);
        assert_eq!(inlines("snake_case_name"), [text("snake_case_name")]);
        assert_eq!(inlines("**unclosed"), [text("**unclosed")]);
    }

    #[test]
    fn links_and_mentions_are_found_in_text() {
        assert_eq!(
            inlines("see https://example.org/a_(b), @bea."),
            [
                text("see "),
                Link("https://example.org/a_(b)".into()),
                text(", "),
                Mention("bea".into()),
                text("."),
            ]
        );
        assert_eq!(
            inlines("mail ana@example.org"),
            [text("mail ana@example.org")]
        );
        assert_eq!(
            inlines("javascript:alert(1)"),
            [text("javascript:alert(1)")]
        );
        assert_eq!(inlines("http://"), [text("http://")]);
    }

    #[test]
    fn named_and_www_links_point_only_to_web_addresses() {
        let named = |text: &str, href: &str| NamedLink {
            text: text.into(),
            href: href.into(),
        };
        assert_eq!(
            inlines("see [the docs](https://example.org/a_(b)) now"),
            vec![
                text("see "),
                named("the docs", "https://example.org/a_(b)"),
                text(" now")
            ]
        );
        assert_eq!(
            inlines("go to www.example.org/path."),
            vec![
                text("go to "),
                named("www.example.org/path", "https://www.example.org/path"),
                text(".")
            ]
        );
        // Never anything but http(s): these stay text.
        for written in [
            "[x](javascript:alert(1))",
            "[x](data:text/html,hi)",
            "[x](//evil.example)",
            "[x](https://a.org and more)",
            "[](x)",
            "www.localhost",
            "awww.example.org",
            "www.exa mple.org",
            "www.",
            "see www. later",
            "www.)",
            "www.,",
            "www..",
            "wWw.é",
        ] {
            assert!(
                !inlines(written)
                    .iter()
                    .any(|i| matches!(i, NamedLink { .. })),
                "{written}"
            );
        }
        assert_eq!(
            inlines("[x](javascript:alert(1))"),
            vec![text("[x](javascript:alert(1))")]
        );
        // An empty label: the address inside is still a bare link.
        assert_eq!(
            inlines("[](https://a.org)"),
            vec![text("[]("), Link("https://a.org".into()), text(")")]
        );
    }

    /// Every link a message can hold, found anywhere in its parsed tree.
    fn hrefs(inlines: &[Inline], out: &mut Vec<String>) {
        for inline in inlines {
            match inline {
                Link(url) => out.push(url.clone()),
                NamedLink { href, .. } => out.push(href.clone()),
                Bold(inner) | Italic(inner) | Strike(inner) => hrefs(inner, out),
                Text(_) | Code(_) | Mention(_) => {}
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3_000))]

        /// Whatever anyone writes, parsing never panics and every link is a web address.
        #[test]
        fn any_text_parses_and_links_only_to_the_web(
            text in "([\\[\\]()*_~`@:/. wWhtps\\-a-zé😀]|www\\.|https?://){0,40}"
        ) {
            let mut found = Vec::new();
            for block in parse(&text) {
                let lines = match block {
                    Block::Paragraph(lines) | Block::Quote(lines) => lines,
                    Block::List { items, .. } => items,
                    Block::Code { .. } => Vec::new(),
                };
                for line in lines {
                    hrefs(&line, &mut found);
                }
            }
            for href in found {
                proptest::prop_assert!(
                    href.starts_with("https://") || href.starts_with("http://"),
                    "{href}"
                );
            }
        }
    }

    #[test]
    fn markup_is_never_interpreted() {
        assert_eq!(
            inlines("<script>alert(1)</script>"),
            [text("<script>alert(1)</script>")]
        );
    }

    #[test]
    fn blocks_code_quotes_and_lists() {
        let parsed = parse(
            "hi\nthere\n\n```\nlet x = **1**;\n```\n> quoted\n> more\n- one\n- two\n1. first",
        );
        assert_eq!(
            parsed,
            [
                Block::Paragraph(vec![vec![text("hi")], vec![text("there")]]),
                Block::Code {
                    lang: None,
                    code: "let x = **1**;".into()
                },
                Block::Quote(vec![vec![text("quoted")], vec![text("more")]]),
                Block::List {
                    ordered: false,
                    items: vec![vec![text("one")], vec![text("two")]],
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![text("first")]],
                },
            ]
        );
        assert_eq!(
            parse("```\nunclosed"),
            [Block::Code {
                lang: None,
                code: "unclosed".into()
            }]
        );
    }

    #[test]
    fn a_backslash_makes_punctuation_plain() {
        assert_eq!(inlines(r"\*not italic\*"), [text("*not italic*")]);
        assert_eq!(inlines(r"¯\\\_(ツ)\_/¯"), [text(r"¯\_(ツ)_/¯")]);
        assert_eq!(inlines(r"C:\Users\ana"), [text(r"C:\Users\ana")]);
        assert_eq!(inlines(r"end\"), [text(r"end\")]);
        // Not inside code.
        assert_eq!(inlines(r"`a\*b`"), [Inline::Code(r"a\*b".into())]);
        assert_eq!(
            inlines(r"\@ana and @bea"),
            [text("@ana and "), Inline::Mention("bea".into())]
        );
    }

    #[test]
    fn a_fence_names_its_language_in_its_first_word() {
        let code = |lang: Option<&str>, code: &str| Block::Code {
            lang: lang.map(str::to_owned),
            code: code.to_owned(),
        };
        assert_eq!(
            parse("```rust\nfn main() {}\n```"),
            [code(Some("rust"), "fn main() {}")]
        );
        assert_eq!(
            parse("  ```py title=x.py\nprint(1)\n```"),
            [code(Some("py"), "print(1)")]
        );
        assert_eq!(parse("```<b>\nx\n```"), [code(None, "x")]);
        assert_eq!(parse("```   \nx\n```"), [code(None, "x")]);
        // The closing fence's words are not a language of anything.
        assert_eq!(
            parse("```c\nint x;\n```js\nafter"),
            [
                code(Some("c"), "int x;"),
                Block::Paragraph(vec![vec![text("after")]])
            ]
        );
    }
}
