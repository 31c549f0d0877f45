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
        // Nothing of the chat is left on a device someone else may use next: what waits in
        // the outbox, the chat kept for an offline start, the pages kept by the service worker.
        #[cfg(feature = "hydrate")]
        {
            let unsent = chat.unsent();
            if unsent > 0 {
                let question = format!(
                    "{unsent} of your messages or changes are not sent yet. Signing out discards them from this device. Sign out anyway?"
                );
                if !crate::desktop::confirm(&question) {
                    return;
                }
            }
            chat.forget_outbox();
            if let Some(me) = chat.me.get_untracked() {
                crate::offline::forget(me.id);
            }
        }
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
            // Without the script there is no connection: the page says what it is instead
            // (`noscript.css`, loaded only then, hides the pill above). Text only inside: with
            // the script, a <noscript>'s content is one text node, which hydration must meet.
            <noscript class="reading-only" title="Turn JavaScript on to write and see messages live">
                "reading only"
            </noscript>
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
