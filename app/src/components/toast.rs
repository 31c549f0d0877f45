//! A short-lived message about something that went wrong.

use leptos::prelude::*;

use crate::live::Chat;

/// Shows `Chat::notice` until dismissed or for a few seconds.
#[component]
pub fn Toast() -> impl IntoView {
    let chat = expect_context::<Chat>();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if chat.notice.get().is_some() {
            let shown = chat.notice.get_untracked();
            gloo_timers::callback::Timeout::new(6_000, move || {
                if chat.notice.try_get_untracked().flatten() == shown {
                    let _ = chat.notice.try_set(None);
                }
            })
            .forget();
        }
    });
    view! {
        <Show when=move || chat.notice.get().is_some()>
            <div class="toast" role="alert">
                <span>{move || chat.notice.get()}</span>
                <button type="button" class="quiet" aria-label="Dismiss" on:click=move |_| chat.notice.set(None)>
                    "×"
                </button>
            </div>
        </Show>
    }
}
