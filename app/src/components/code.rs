//! A fenced code block: its text at once, coloured when the server's tokens come (v1.18).

use leptos::prelude::*;
use protocol::http::TokenKind;

use crate::highlight::Tokens;

/// A code block. With a language, it is shown plain until the server has cut it into tokens,
/// then as the same text in coloured runs (`<span class="tok-keyword">` …): text only, never
/// markup from anyone.
#[component]
pub fn CodeBlock(lang: Option<String>, code: String) -> impl IntoView {
    let tokens = RwSignal::new(None::<Tokens>);
    #[cfg(feature = "hydrate")]
    if let Some(lang) = &lang {
        crate::highlight::request(lang, &code, move |coloured| {
            tokens.try_set(Some(coloured));
        });
    }
    let label = lang.clone();
    let body = move || match tokens.get() {
        Some(tokens) => tokens
            .iter()
            .map(|token| match token.kind.and_then(class) {
                Some(class) => view! { <span class=class>{token.text.clone()}</span> }.into_any(),
                None => token.text.clone().into_any(),
            })
            .collect::<Vec<_>>()
            .into_any(),
        None => code.clone().into_any(),
    };
    view! {
        <pre class="code" data-lang=label><code>{body}</code></pre>
    }
}

/// The class that colours a kind of token (none for a kind this client does not know).
fn class(kind: TokenKind) -> Option<&'static str> {
    Some(match kind {
        TokenKind::Comment => "tok-comment",
        TokenKind::Keyword => "tok-keyword",
        TokenKind::String => "tok-string",
        TokenKind::Number => "tok-number",
        TokenKind::Constant => "tok-constant",
        TokenKind::Function => "tok-function",
        TokenKind::Type => "tok-type",
        TokenKind::Tag => "tok-tag",
        TokenKind::Attribute => "tok-attribute",
        TokenKind::Operator => "tok-operator",
        TokenKind::Other => return None,
    })
}
