use std::time::Duration;

use proptest::prelude::*;
use protocol::http::{Highlighted, TokenKind};

use super::{LINE_MAX, highlight};

const ENOUGH: Option<Duration> = Some(Duration::from_secs(30));

/// The kind of the token whose text is exactly `text`, asserting there is one.
fn kind_of(highlighted: &Highlighted, text: &str) -> Option<TokenKind> {
    highlighted
        .tokens
        .iter()
        .find(|token| token.text.trim() == text)
        .unwrap_or_else(|| panic!("no token {text:?} in {:?}", highlighted.tokens))
        .kind
}

fn joined(highlighted: &Highlighted) -> String {
    highlighted.tokens.iter().map(|t| t.text.as_str()).collect()
}

#[test]
fn rust_reads_as_rust() {
    let code = "// says hi\nfn main() {\n    let answer = 42;\n    println!(\"hi\\n\");\n}";
    let (read, complete) = highlight("rust", code.to_owned(), ENOUGH);
    assert!(complete);
    assert_eq!(read.language.as_deref(), Some("Rust"));
    assert_eq!(joined(&read), code);
    assert_eq!(kind_of(&read, "// says hi"), Some(TokenKind::Comment));
    assert_eq!(kind_of(&read, "fn"), Some(TokenKind::Keyword));
    assert_eq!(kind_of(&read, "main"), Some(TokenKind::Function));
    assert_eq!(kind_of(&read, "let"), Some(TokenKind::Keyword));
    assert_eq!(kind_of(&read, "42"), Some(TokenKind::Number));
    assert_eq!(kind_of(&read, "\\n"), Some(TokenKind::Constant));
    // Neighbouring text of one kind is one token.
    assert!(
        read.tokens
            .windows(2)
            .all(|pair| pair[0].kind != pair[1].kind),
        "{:?}",
        read.tokens
    );
}

#[test]
fn languages_by_name_or_extension_case_blind() {
    for (asked, named) in [
        ("rs", "Rust"),
        ("RUST", "Rust"),
        ("py", "Python"),
        ("Python", "Python"),
        ("ts", "TypeScript"),
        ("toml", "TOML"),
        ("sh", "Bourne Again Shell (bash)"),
        ("json", "JSON"),
        ("c++", "C++"),
        ("sql", "SQL"),
    ] {
        let (read, _) = highlight(asked, "x = 1".to_owned(), ENOUGH);
        assert_eq!(read.language.as_deref(), Some(named), "{asked}");
    }
    let (python, _) = highlight(
        "python",
        "def greet(name):\n    return 'hi ' + name  # done\n".into(),
        ENOUGH,
    );
    assert_eq!(kind_of(&python, "def"), Some(TokenKind::Keyword));
    assert_eq!(kind_of(&python, "greet"), Some(TokenKind::Function));
    assert_eq!(kind_of(&python, "# done"), Some(TokenKind::Comment));
    let (html, _) = highlight("html", "<a href=\"/x\">go</a>".into(), ENOUGH);
    assert_eq!(kind_of(&html, "a"), Some(TokenKind::Tag));
    assert_eq!(kind_of(&html, "href"), Some(TokenKind::Attribute));
}

#[test]
fn an_unknown_language_is_one_plain_token() {
    let (read, complete) = highlight("no-such-language", "let x = 1;".to_owned(), ENOUGH);
    assert!(complete);
    assert_eq!(read.language, None);
    assert_eq!(read.tokens.len(), 1);
    assert_eq!(read.tokens[0].text, "let x = 1;");
    assert_eq!(read.tokens[0].kind, None);
    assert!(highlight("rust", String::new(), ENOUGH).0.tokens.is_empty());
    assert!(highlight("nope", String::new(), ENOUGH).0.tokens.is_empty());
}

#[test]
fn past_the_budget_the_rest_stays_plain() {
    let code = "fn a() {}\n".repeat(50);
    let (read, complete) = highlight("rust", code.clone(), Some(Duration::ZERO));
    assert!(!complete);
    assert_eq!(read.language.as_deref(), Some("Rust"));
    assert_eq!(joined(&read), code);
    assert!(read.tokens.iter().all(|t| t.kind.is_none()));
}

#[test]
fn a_line_too_long_and_what_follows_stay_plain() {
    let long = format!("let x = \"{}\";", "a".repeat(LINE_MAX));
    let code = format!("fn a() {{}}\n{long}\nfn b() {{}}");
    let (read, complete) = highlight("rust", code.clone(), ENOUGH);
    assert!(!complete);
    assert_eq!(joined(&read), code);
    assert_eq!(kind_of(&read, "fn"), Some(TokenKind::Keyword));
    // The long line and the one after it are in the plain tail.
    let last = read.tokens.last().unwrap();
    assert_eq!(last.kind, None);
    assert!(last.text.ends_with(&format!("{long}\nfn b() {{}}")));
    let keywords = read
        .tokens
        .iter()
        .filter(|t| t.kind == Some(TokenKind::Keyword));
    assert_eq!(keywords.count(), 1, "{:?}", read.tokens);
}

#[test]
fn hostile_text_comes_back_as_sent() {
    for (language, code) in [
        ("rust", "\"unterminated string\n\tand more ☃ é 𝄞"),
        ("html", "<script>alert(1)</script><!-- <b> -->&amp;"),
        ("js", &"(".repeat(4000)),
        ("regex", &"(a+)+$".repeat(400)),
        ("markdown", "```\n# a\n```"),
        ("python", "'''\n\n\n"),
        ("c", "/*"),
    ] {
        let (read, _) = highlight(language, code.to_owned(), ENOUGH);
        assert_eq!(joined(&read), code, "{language}");
        assert!(read.tokens.iter().all(|t| t.kind != Some(TokenKind::Other)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn tokens_always_join_to_the_code(
        language in prop::sample::select(vec!["rust", "python", "js", "html", "sql", "sh", "yaml", "css"]),
        code in "[ -~\n\té☃𝄞]{0,200}",
    ) {
        let (read, _) = highlight(language, code.clone(), ENOUGH);
        prop_assert_eq!(joined(&read), code);
        prop_assert!(read.tokens.iter().all(|t| !t.text.is_empty()));
    }
}
