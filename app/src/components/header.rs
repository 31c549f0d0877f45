//! The top bar: brand, connection status, who is signed in, sign out.

use leptos::prelude::*;
use protocol::links;

use crate::live::Chat;
use crate::session::use_session;

/// The top bar of the chat.
#[component]
pub fn Header() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let session = use_session();
    let label = move || chat.conn.get().label();
    let explain = move || match chat.conn.get() {
        crate::model::ConnState::Connecting => "Connecting to the server…",
        crate::model::ConnState::Connected => "Connected: messages arrive live",
        crate::model::ConnState::Reconnecting => "Connection lost: reconnecting automatically",
        crate::model::ConnState::Offline => "Your device is offline",
    };
    let sign_out = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            crate::api::logout().await;
            session.user.set(None);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = session;
    };
    view! {
        <header class="topbar">
            <a class="brand" href=links::CHAT>"Tertulia"</a>
            <span id="status" class="status" data-state=label title=explain aria-live="polite">
                {label}
            </span>
            <super::TopNav/>
            <span class="spacer"></span>
            <super::Bell/>
            <super::AccountMenu/>
            <button id="sign-out" type="button" class="quiet" on:click=sign_out>
                "Sign out"
            </button>
        </header>
    }
}
