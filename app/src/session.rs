//! Who is signed in, shared by every page.
//!
//! The server knows it while rendering (its page middleware puts a [`ServerSession`] in the
//! request), so the first HTML is already the signed-in page; it writes the same answer into
//! the document (`<meta name="tertulia-session">`) for the browser to start from, which keeps
//! hydration in step. Only when that is missing does the browser ask `GET /api/me`.

use leptos::prelude::*;
use protocol::User;

/// What the server found for the page request: the signed-in user, or `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSession(pub Option<User>);

/// The `<meta>` that carries the server's answer into the document.
pub const SESSION_META: &str = "tertulia-session";

/// The signed-in user, once known.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The user, `None` when signed out.
    pub user: RwSignal<Option<User>>,
    /// Whether we know (from the server's render or `/api/me`).
    pub checked: RwSignal<bool>,
}

/// Creates the session context from what the server said (asking `/api/me` if it said
/// nothing).
pub fn provide_session() {
    let known = initial();
    let session = Session {
        user: RwSignal::new(known.clone().flatten()),
        checked: RwSignal::new(known.is_some()),
    };
    provide_context(session);
    #[cfg(feature = "hydrate")]
    if known.is_none() {
        leptos::task::spawn_local(async move {
            let me = crate::api::me().await;
            // A sign-in that completed while we were asking wins over this (older) answer.
            if session.user.get_untracked().is_none() {
                session.user.set(me);
            }
            session.checked.set(true);
        });
    }
}

/// The server's answer for this request: `Some(user or None)` when it looked.
#[cfg(feature = "ssr")]
#[must_use]
pub fn server_session() -> Option<Option<User>> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<ServerSession>()
        .map(|session| session.0.clone())
}

/// The `content` of [`SESSION_META`]: the user as JSON, or empty when signed out.
#[must_use]
pub fn meta_content(user: Option<&User>) -> String {
    user.and_then(|u| serde_json::to_string(u).ok())
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn initial() -> Option<Option<User>> {
    server_session()
}

#[cfg(not(feature = "ssr"))]
fn initial() -> Option<Option<User>> {
    #[cfg(feature = "hydrate")]
    {
        let meta = web_sys::window()?
            .document()?
            .query_selector(&format!("meta[name=\"{SESSION_META}\"]"))
            .ok()??;
        let content = meta.get_attribute("content").unwrap_or_default();
        if content.is_empty() {
            Some(None)
        } else {
            serde_json::from_str(&content).ok().map(Some)
        }
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The session context.
#[must_use]
pub fn use_session() -> Session {
    expect_context::<Session>()
}
