//! Code highlighting (v1.18): a fenced code block cut into tokens a client colours.
//!
//! The code is read with [syntect](https://docs.rs/syntect) and the syntax definitions the
//! `bat` project curates ([two-face](https://docs.rs/two-face): Rust, Python, TypeScript, TOML,
//! SQL, shells and some 150 more), on a blocking thread, one block at a time, each within
//! [`BUDGET`] (the first of each language within [`COLD_BUDGET`], as its rules are compiled
//! then): past it the rest of the block stays plain, as does everything from a line longer
//! than [`LINE_MAX`] on. The regular expressions give up on catastrophic backtracking
//! (fancy-regex's limit), so no block can hold a thread for long. What comes back is only kinds
//! over the exact text sent: the client renders text, never markup.

mod kinds;
mod recent;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use protocol::http::{CodeToken, Highlighted, TokenKind};
use syntect::easy::ScopeRangeIterator;
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;
use tokio::sync::Semaphore;

use self::kinds::Kinds;
use self::recent::Recent;

/// Longest time one block is read for; the rest of a block that takes longer stays plain.
pub const BUDGET: Duration = Duration::from_millis(250);

/// Longest time the first block of a language is read for on this node: a syntax's rules are
/// compiled as they are first used (30 ms for Rust, 300 ms for TypeScript on an idle core),
/// once per process.
pub const COLD_BUDGET: Duration = Duration::from_millis(1500);

/// Blocks read at the same time on this node (each on a blocking thread).
pub const AT_ONCE: usize = 1;

/// Longest wait for a turn to read; past it the call is refused (`rate_limited`) and the
/// block stays plain.
pub const TURN_WAIT: Duration = Duration::from_secs(3);

/// Longest line read, in bytes: a longer line (minified code, a data dump) and everything after
/// it stay plain, so no single line can hold the reader past its budget.
pub const LINE_MAX: usize = 1000;

/// Blocks whose tokens are kept, so a room's readers asking for the same block cost one read.
pub const REMEMBERED: usize = 256;

/// Highlights code blocks for the HTTP API; cloning it shares its turn and its memory.
#[derive(Clone)]
pub(crate) struct Highlighter {
    turn: Arc<Semaphore>,
    recent: Arc<Recent>,
}

impl Highlighter {
    /// A highlighter with nothing remembered yet (the syntax definitions are loaded the first
    /// time a block is read, once per process).
    pub(crate) fn new() -> Self {
        Self {
            turn: Arc::new(Semaphore::new(AT_ONCE)),
            recent: Arc::new(Recent::new(REMEMBERED)),
        }
    }

    /// `code` read as `language` (a name or file extension, already validated), waiting its
    /// turn for at most [`TURN_WAIT`]. A language no syntax answers to gives the code as one
    /// plain token.
    ///
    /// # Errors
    /// [`Busy`] when no turn came in time.
    pub(crate) async fn highlight(
        &self,
        language: &str,
        code: String,
    ) -> Result<Arc<Highlighted>, Busy> {
        if let Some(known) = self.recent.get(language, &code) {
            return Ok(known);
        }
        // The turn goes with the reading: a caller that gives up does not free it early.
        let turn = tokio::time::timeout(TURN_WAIT, self.turn.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        if let Some(known) = self.recent.get(language, &code) {
            return Ok(known);
        }
        let (asked, read) = (language.to_owned(), code.clone());
        let (highlighted, complete) = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            highlight(&asked, read, None)
        })
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, language, "highlighting a code block failed");
            (plain(None, code.clone()), false)
        });
        let highlighted = Arc::new(highlighted);
        // A block read only in part (past the budget, on a cold or busy node) is not kept: the
        // next reader gets another try.
        if complete {
            self.recent.put(language, &code, highlighted.clone());
        }
        Ok(highlighted)
    }
}

/// No turn to read a block came in time (the node is busy highlighting for others).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the server is busy colouring other code; this block stays plain")]
pub(crate) struct Busy;

/// Every syntax this server reads, loaded once.
fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(two_face::syntax::extra_newlines)
}

/// The syntax a fence's language names: by file extension first (`rs`, `py`), then by name
/// (`Rust`, `python`), both case-blind in syntect.
fn syntax_for(language: &str) -> Option<&'static SyntaxReference> {
    syntaxes().find_syntax_by_token(language)
}

/// `code` as tokens of `language`, reading for at most `budget` ([`BUDGET`], or
/// [`COLD_BUDGET`] for the first block of a language, when `None`), and whether all of it was
/// read (rather than left plain from some line on).
pub(crate) fn highlight(
    language: &str,
    code: String,
    budget: Option<Duration>,
) -> (Highlighted, bool) {
    let Some(syntax) = syntax_for(language) else {
        return (plain(None, code), true);
    };
    let budget = budget.unwrap_or_else(|| {
        // Once per syntax, whatever the outcome: a hostile block gets the long budget once.
        static READ_BEFORE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
        let mut read = READ_BEFORE.lock().unwrap_or_else(PoisonError::into_inner);
        if read.insert(syntax.name.clone()) {
            COLD_BUDGET
        } else {
            BUDGET
        }
    });
    let started = Instant::now();
    let kinds = Kinds::get();
    let mut tokens = Tokens::default();
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    // Bytes of `code` already in `tokens`: whatever is left when reading stops is plain.
    let mut done = 0;
    'lines: for line in LinesWithEndings::from(&code) {
        if started.elapsed() >= budget || line.len() > LINE_MAX {
            break;
        }
        let Ok(ops) = state.parse_line(line, syntaxes()) else {
            break;
        };
        // Each range's text is under the scopes its operation leaves.
        for (range, op) in ScopeRangeIterator::new(&ops, line) {
            if stack.apply(op).is_err() {
                break 'lines;
            }
            tokens.push(&line[range.clone()], kinds.of(stack.as_slice()));
            done += range.len();
        }
    }
    let complete = done == code.len();
    tokens.push(&code[done..], None);
    let highlighted = Highlighted {
        language: Some(syntax.name.clone()),
        tokens: tokens.0,
    };
    (highlighted, complete)
}

/// `code` as one plain token (none when it is empty).
fn plain(language: Option<String>, code: String) -> Highlighted {
    let tokens = if code.is_empty() {
        Vec::new()
    } else {
        vec![CodeToken {
            text: code,
            kind: None,
        }]
    };
    Highlighted { language, tokens }
}

/// Tokens being collected: a run of one kind is one token.
#[derive(Default)]
struct Tokens(Vec<CodeToken>);

impl Tokens {
    fn push(&mut self, text: &str, kind: Option<TokenKind>) {
        if text.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(text),
            _ => self.0.push(CodeToken {
                text: text.to_owned(),
                kind,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
