//! The server's modules form layers without cycles: `src/lib.rs` declares its modules bottom up,
//! and every `crate::` path in a module's files may name only a module declared before it.
//! (A module may of course use its own submodules; the root, `lib.rs`, assembles them all.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The server crate's `src/`.
fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules in the order `lib.rs` declares them.
fn declared_layers(lib: &str) -> Vec<String> {
    lib.lines()
        .map(str::trim)
        .filter_map(|line| {
            let rest = line
                .strip_prefix("pub(crate) mod ")
                .or_else(|| line.strip_prefix("pub mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// The code of a Rust file without its comments (line, doc and block comments), keeping
/// string literals whole so a `//` inside a string does not cut a line.
fn without_comments(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut chars = code.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some(escaped) = chars.next() {
                        out.push(escaped);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            // A char literal (`'"'`, `'\''`), not to be read as the start of a string; a
            // lifetime (`'a`) has no closing quote and stays.
            ('\'', Some(&next)) => {
                out.push(c);
                let mut ahead = chars.clone();
                ahead.next();
                let is_literal = if next == '\\' {
                    true
                } else {
                    ahead.next() == Some('\'')
                };
                if is_literal {
                    while let Some(skipped) = chars.next() {
                        out.push(skipped);
                        if skipped == '\\' {
                            if let Some(escaped) = chars.next() {
                                out.push(escaped);
                            }
                        } else if skipped == '\'' {
                            break;
                        }
                    }
                }
            }
            ('/', Some('/')) => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut previous = ' ';
                for skipped in chars.by_ref() {
                    if previous == '*' && skipped == '/' {
                        break;
                    }
                    previous = skipped;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The top-level modules a piece of code names through `crate::`, including every branch of
/// a grouped import (`use crate::{a::X, b};`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = group.len();
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut depth = 0;
            let mut start = 0;
            let inner = &group[..end];
            for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(first_ident(&inner[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(first_ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn first_ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every `.rs` file of a top-level module: `src/<name>.rs` and everything under `src/<name>/`.
fn module_files(name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = src().join(format!("{name}.rs"));
    if single.exists() {
        files.push(single);
    }
    let mut dirs = vec![src().join(name)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let layers = declared_layers(&lib);
    assert!(layers.len() >= 20, "lib.rs declares the layers: {layers:?}");
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    let mut wrong = Vec::new();
    for (position, module) in layers.iter().enumerate() {
        let files = module_files(module);
        assert!(!files.is_empty(), "no files for module `{module}`");
        for file in files {
            let code = without_comments(&std::fs::read_to_string(&file).unwrap());
            for used in crate_paths(&code) {
                if used == *module {
                    continue;
                }
                match rank.get(used.as_str()) {
                    Some(&at) if at < position => {}
                    Some(_) => wrong.push(format!(
                        "{}: `{module}` uses `{used}`, which is not below it",
                        file.strip_prefix(src()).unwrap().display()
                    )),
                    None => wrong.push(format!(
                        "{}: `{module}` uses `crate::{used}`, an item of the root: name its module",
                        file.strip_prefix(src()).unwrap().display()
                    )),
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "layers broken (see the order in src/lib.rs):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_path_reader_sees_grouped_imports_and_skips_comments() {
    let code = without_comments(
        "use crate::{a::X, b, c::{d, e}};\n// crate::commented\nlet url = \"http://x\"; crate::f::g();\n/* crate::block */",
    );
    assert_eq!(crate_paths(&code), ["a", "b", "c", "f"]);
    let quotes = without_comments("let q = '\"'; crate::g::h(); let s = \"// x\"; fn f<'a>() {}");
    assert_eq!(crate_paths(&quotes), ["g"], "{quotes}");
    assert!(quotes.contains("fn f<'a>"), "{quotes}");
    assert_eq!(
        declared_layers("mod one;\npub(crate) mod two;\n/// doc\npub mod three;\nuse x;"),
        ["one", "two", "three"]
    );
}
