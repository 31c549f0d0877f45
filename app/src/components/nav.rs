//! Links between the pages, and the sign-in guard of the pages behind it.

use leptos::prelude::*;
use protocol::links;

use crate::session::use_session;

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
