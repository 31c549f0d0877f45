//! The top bar of the pages around the chat (board, admin).

use leptos::prelude::*;
use protocol::links;

use crate::session::use_session;

/// Brand, navigation, and the page's connection state.
#[component]
pub fn PageBar(
    /// The connection state word shown in the badge (`connected`, ...).
    #[prop(into)]
    state: Signal<String>,
) -> impl IntoView {
    let session = use_session();
    view! {
        <header class="topbar">
            <a class="brand" href=links::CHAT>"Tertulia"</a>
            <span id="status" class="status" data-state=move || state.get() aria-live="polite">
                {move || state.get()}
            </span>
            <TopNav/>
            <span class="spacer"></span>
            {move || session.user.get().map(|u| view! { <span class="me-name">{u.username}</span> })}
        </header>
    }
}

/// Links between the pages (Admin only for admins).
#[component]
pub fn TopNav() -> impl IntoView {
    let session = use_session();
    view! {
        <nav class="top-nav" aria-label="Pages">
            <a href=links::CHAT>"Chat"</a>
            <a href=links::BOARD>"Board"</a>
            {move || {
                session
                    .user
                    .get()
                    .filter(|u| u.role == protocol::Role::Admin)
                    .map(|_| view! { <a href=links::ADMIN>"Admin"</a> })
            }}
        </nav>
    }
}

/// Sends signed-out visitors to the start page.
pub fn require_sign_in() {
    let session = use_session();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if session.checked.get() && session.user.get().is_none() {
            navigate(links::HOME, Default::default());
        }
    });
}
