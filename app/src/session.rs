//! Who is signed in, shared by every page. Filled in the browser from `GET /api/me`.

use leptos::prelude::*;
use protocol::User;

/// The signed-in user, once known.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The user, `None` when signed out.
    pub user: RwSignal<Option<User>>,
    /// Whether `/api/me` has answered (before that, pages show a placeholder).
    pub checked: RwSignal<bool>,
}

/// Creates the session context and, in the browser, asks the server who we are.
pub fn provide_session() {
    let session = Session {
        user: RwSignal::new(None),
        checked: RwSignal::new(false),
    };
    provide_context(session);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let me = crate::api::me().await;
        // A sign-in that completed while we were asking wins over this (older) answer.
        if session.user.get_untracked().is_none() {
            session.user.set(me);
        }
        session.checked.set(true);
    });
}

/// The session context.
#[must_use]
pub fn use_session() -> Session {
    expect_context::<Session>()
}
