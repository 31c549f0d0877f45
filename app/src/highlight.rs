//! Colouring code blocks (v1.18). A block whose fence names a language is shown as plain text
//! at once, and sent to the server (`POST /api/highlight`) to be cut into coloured tokens. The
//! page asks one block at a time, never the same block twice (blocks shown in several places,
//! or again after a room switch, are answered from memory), and a block the server could not
//! colour stays plain for the page's life: no retry loop can hammer the server.
//!
//! [`Queue`] is the bookkeeping, without I/O; [`request`] drives it in the browser.
// The server's render shows blocks plain: only the browser (and the tests) use the queue.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use protocol::http::{CodeToken, Highlighted};

/// A block: its language (lowercased, as the server reads it case-blind) and its text.
pub type Key = (String, String);

/// The coloured tokens of a block.
pub type Tokens = Arc<[CodeToken]>;

/// Blocks remembered; past it the memory starts over (a page rarely shows that many).
pub const REMEMBERED: usize = 500;

/// The key of a block.
#[must_use]
pub fn key(lang: &str, code: &str) -> Key {
    (lang.to_ascii_lowercase(), code.to_owned())
}

/// What a block's asker should do.
#[derive(Debug, PartialEq)]
pub enum Asked {
    /// The block is known: here are its tokens.
    Known(Tokens),
    /// The server could not colour it: show it plain.
    Plain,
    /// It waits for an answer; the waiter is called with it.
    Waiting,
    /// Nothing is being asked: send this block now.
    Send(Key),
}

/// The page's code blocks: answers remembered, blocks waiting, one asked at a time.
pub struct Queue<W> {
    /// Answers: tokens, or `None` for a block the server could not colour.
    known: HashMap<Key, Option<Tokens>>,
    /// Blocks to ask, oldest first, each with whoever waits for it.
    waiting: VecDeque<(Key, Vec<W>)>,
    /// The block being asked, with whoever waits for it.
    asking: Option<(Key, Vec<W>)>,
}

impl<W> Default for Queue<W> {
    fn default() -> Self {
        Self {
            known: HashMap::new(),
            waiting: VecDeque::new(),
            asking: None,
        }
    }
}

impl<W> Queue<W> {
    /// The answer for `key`, if it came: tokens, or `None` when it could not be coloured.
    #[must_use]
    pub fn known(&self, key: &Key) -> Option<Option<Tokens>> {
        self.known.get(key).cloned()
    }

    /// `waiter` wants the tokens of `key` (a known block's waiter is not kept).
    pub fn ask(&mut self, key: Key, waiter: W) -> Asked {
        match self.known.get(&key) {
            Some(Some(tokens)) => return Asked::Known(tokens.clone()),
            Some(None) => return Asked::Plain,
            None => {}
        }
        if let Some((asking, waiters)) = &mut self.asking
            && *asking == key
        {
            waiters.push(waiter);
            return Asked::Waiting;
        }
        if let Some((_, waiters)) = self.waiting.iter_mut().find(|(k, _)| *k == key) {
            waiters.push(waiter);
            return Asked::Waiting;
        }
        if self.asking.is_none() {
            self.asking = Some((key.clone(), vec![waiter]));
            return Asked::Send(key);
        }
        self.waiting.push_back((key, vec![waiter]));
        Asked::Waiting
    }

    /// The answer to the block being asked (`None`: it could not be coloured): who waited for
    /// it, and the next block to send, if any.
    pub fn answered(&mut self, answer: Option<Tokens>) -> (Vec<W>, Option<Tokens>, Option<Key>) {
        let Some((key, waiters)) = self.asking.take() else {
            return (Vec::new(), None, None);
        };
        if self.known.len() >= REMEMBERED {
            self.known.clear();
        }
        self.known.insert(key, answer.clone());
        let next = self.waiting.pop_front().map(|(key, waiters)| {
            self.asking = Some((key.clone(), waiters));
            key
        });
        (waiters, answer, next)
    }
}

/// The server's answer as tokens to show, if it is one: its texts must join to exactly the
/// block that was sent (anything else is shown plain), and a block the server read as no
/// language has nothing to colour.
#[must_use]
pub fn usable(code: &str, answer: Highlighted) -> Option<Tokens> {
    answer.language.as_ref()?;
    let mut at = 0;
    for token in &answer.tokens {
        if !code[at..].starts_with(token.text.as_str()) {
            return None;
        }
        at += token.text.len();
    }
    (at == code.len() && answer.tokens.iter().any(|t| t.kind.is_some()))
        .then(|| answer.tokens.into())
}

/// Asks for the tokens of a block, calling `show` with them when they come (at once if they
/// are known). Only in the browser; the server's render shows blocks plain.
#[cfg(feature = "hydrate")]
pub fn request(lang: &str, code: &str, show: impl Fn(Tokens) + 'static) {
    use std::cell::RefCell;

    type Waiter = Box<dyn Fn(Tokens)>;
    thread_local! {
        static QUEUE: RefCell<Queue<Waiter>> = RefCell::new(Queue::default());
    }

    fn send(key: Key) {
        leptos::task::spawn_local(async move {
            let (lang, code) = key;
            let answer = crate::api::highlight(lang, code.clone())
                .await
                .and_then(|answer| usable(&code, answer));
            let (waiters, tokens, next) = QUEUE.with_borrow_mut(|queue| queue.answered(answer));
            if let Some(tokens) = tokens {
                for waiter in waiters {
                    waiter(tokens.clone());
                }
            }
            if let Some(next) = next {
                send(next);
            }
        });
    }

    let block = key(lang, code);
    match QUEUE.with_borrow(|queue| queue.known(&block)) {
        // Shown after this render (as an answer from the server would be), so a block
        // hydrated from the server's plain render starts plain like it.
        Some(Some(tokens)) => leptos::task::spawn_local(async move { show(tokens) }),
        Some(None) => {}
        None => {
            if let Asked::Send(block) =
                QUEUE.with_borrow_mut(|queue| queue.ask(block, Box::new(show)))
            {
                send(block);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use protocol::http::TokenKind;

    use super::*;

    fn tokens(parts: &[(&str, Option<TokenKind>)]) -> Vec<CodeToken> {
        parts
            .iter()
            .map(|(text, kind)| CodeToken {
                text: (*text).to_owned(),
                kind: *kind,
            })
            .collect()
    }

    #[test]
    fn one_block_is_asked_at_a_time_and_never_twice() {
        let mut queue = Queue::default();
        let rust = key("Rust", "fn a() {}");
        assert_eq!(queue.ask(rust.clone(), 1), Asked::Send(rust.clone()));
        assert_eq!(queue.ask(key("rust", "fn a() {}"), 2), Asked::Waiting);
        let python = key("py", "x = 1");
        assert_eq!(queue.ask(python.clone(), 3), Asked::Waiting);
        assert_eq!(queue.ask(python.clone(), 4), Asked::Waiting);
        let coloured: Tokens =
            tokens(&[("fn", Some(TokenKind::Keyword)), (" a() {}", None)]).into();
        let (waiters, answer, next) = queue.answered(Some(coloured.clone()));
        assert_eq!(waiters, [1, 2]);
        assert_eq!(answer, Some(coloured.clone()));
        assert_eq!(next, Some(python));
        assert_eq!(queue.ask(rust, 5), Asked::Known(coloured));
        let (waiters, answer, next) = queue.answered(None);
        assert_eq!(waiters, [3, 4]);
        assert_eq!(answer, None);
        assert_eq!(next, None);
        assert_eq!(queue.ask(key("PY", "x = 1"), 6), Asked::Plain);
        assert_eq!(queue.answered(None), (Vec::new(), None, None));
    }

    #[test]
    fn memory_starts_over_when_full() {
        let mut queue = Queue::default();
        for n in 0..=REMEMBERED {
            let block = key("rust", &n.to_string());
            assert_eq!(queue.ask(block.clone(), ()), Asked::Send(block));
            queue.answered(None);
        }
        assert_eq!(queue.known.len(), 1);
        let last = key("rust", &REMEMBERED.to_string());
        assert_eq!(queue.ask(last, ()), Asked::Plain);
    }

    #[test]
    fn only_answers_that_spell_the_block_are_shown() {
        let answer = |language: Option<&str>, parts: &[(&str, Option<TokenKind>)]| Highlighted {
            language: language.map(str::to_owned),
            tokens: tokens(parts),
        };
        let code = "let x = \"é\";";
        let good = answer(
            Some("Rust"),
            &[
                ("let", Some(TokenKind::Keyword)),
                (" x = ", None),
                ("\"é\"", Some(TokenKind::String)),
                (";", None),
            ],
        );
        assert_eq!(usable(code, good.clone()).unwrap().len(), 4);
        assert_eq!(
            usable(
                code,
                Highlighted {
                    language: None,
                    ..good.clone()
                }
            ),
            None
        );
        let short = answer(Some("Rust"), &[("let", Some(TokenKind::Keyword))]);
        assert_eq!(usable(code, short), None);
        let other = answer(
            Some("Rust"),
            &[("let y = \"é\";", Some(TokenKind::Keyword))],
        );
        assert_eq!(usable(code, other), None);
        let long = answer(
            Some("Rust"),
            &[(code, Some(TokenKind::Keyword)), ("!", None)],
        );
        assert_eq!(usable(code, long), None);
        let uncoloured = answer(Some("Plain Text"), &[(code, None)]);
        assert_eq!(usable(code, uncoloured), None);
    }
}
