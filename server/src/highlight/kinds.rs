//! From a syntax's scopes (TextMate names such as `string.quoted.double.rust`) to the few
//! kinds of token the contract names.

use std::sync::OnceLock;

use protocol::http::TokenKind;
use syntect::parsing::Scope;

/// Scope prefixes and the kind each means, the more particular before the more general one
/// (`constant.numeric` before `constant`).
const RULES: &[(&str, TokenKind)] = &[
    ("comment", TokenKind::Comment),
    ("punctuation.definition.comment", TokenKind::Comment),
    ("constant.numeric", TokenKind::Number),
    ("constant.character.escape", TokenKind::Constant),
    ("constant", TokenKind::Constant),
    ("variable.language", TokenKind::Constant),
    ("support.constant", TokenKind::Constant),
    ("string", TokenKind::String),
    ("keyword.operator.word", TokenKind::Keyword),
    ("keyword.operator", TokenKind::Operator),
    ("keyword", TokenKind::Keyword),
    ("storage.type", TokenKind::Keyword),
    ("storage.modifier", TokenKind::Keyword),
    ("storage", TokenKind::Keyword),
    ("entity.name.function", TokenKind::Function),
    ("support.function", TokenKind::Function),
    ("variable.function", TokenKind::Function),
    ("entity.name.tag", TokenKind::Tag),
    ("entity.other.attribute-name", TokenKind::Attribute),
    ("support.type.property-name", TokenKind::Attribute),
    ("meta.attribute", TokenKind::Attribute),
    ("meta.annotation", TokenKind::Attribute),
    ("entity.name", TokenKind::Type),
    ("entity.other.inherited-class", TokenKind::Type),
    ("support.type", TokenKind::Type),
    ("support.class", TokenKind::Type),
    ("markup.heading", TokenKind::Keyword),
];

/// The rules, as scopes.
pub(super) struct Kinds(Vec<(Scope, TokenKind)>);

impl Kinds {
    /// The rules, built once.
    pub(super) fn get() -> &'static Self {
        static KINDS: OnceLock<Kinds> = OnceLock::new();
        KINDS.get_or_init(|| {
            Self(
                RULES
                    .iter()
                    .filter_map(|(prefix, kind)| Some((Scope::new(prefix).ok()?, *kind)))
                    .collect(),
            )
        })
    }

    /// The kind of text under `stack` (outermost scope first): the innermost scope a rule
    /// knows decides (an escape inside a string is a constant; a string inside an attribute is
    /// a string).
    pub(super) fn of(&self, stack: &[Scope]) -> Option<TokenKind> {
        stack.iter().rev().find_map(|scope| {
            self.0
                .iter()
                .find(|(prefix, _)| prefix.is_prefix_of(*scope))
                .map(|(_, kind)| *kind)
        })
    }
}
