//! `/`: pick a name (guest) or sign in / sign up, then go to the chat.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use protocol::links;

use crate::session::use_session;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Guest,
    SignIn,
    SignUp,
}

/// The start page.
#[component]
pub fn Home() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    // Already signed in: straight to the chat.
    Effect::new(move |_| {
        if session.user.get().is_some() {
            navigate(links::CHAT, Default::default());
        }
    });
    let mode = RwSignal::new(Mode::Guest);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The form stays disabled until the browser knows the session: before hydration a click
    // would post a plain HTML form, text typed into an input would be reset by hydration, and
    // an already signed-in user is sent on to the chat anyway.
    let ready = session.hydrated;

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let name = username.get_untracked();
        if let Err(problem) = protocol::validate::username(&name) {
            error.set(Some(problem.message));
            return;
        }
        error.set(None);
        busy.set(true);
        #[cfg(feature = "hydrate")]
        {
            let secret = password.get_untracked();
            let mode = mode.get_untracked();
            leptos::task::spawn_local(async move {
                let result = match mode {
                    Mode::Guest => crate::api::guest(name).await,
                    Mode::SignIn => crate::api::login(name, secret).await,
                    Mode::SignUp => crate::api::register(name, secret).await,
                };
                busy.set(false);
                match result {
                    Ok(user) => session.user.set(Some(user)),
                    Err(message) => error.set(Some(message)),
                }
            });
        }
    };

    let tab = move |which: Mode, label: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                disabled=move || !ready.get()
                aria-selected=move || (mode.get() == which).to_string()
                on:click=move |_| {
                    mode.set(which);
                    error.set(None);
                }
            >
                {label}
            </button>
        }
    };

    view! {
        <main class="center-page">
            <section class="card welcome">
                <h1 class="brand">"Tertulia"</h1>
                <p class="lead">"Conversations in real time. Pick a name and join the room."</p>
                <div class="tabs" role="tablist">
                    {tab(Mode::Guest, "Guest")}
                    {tab(Mode::SignIn, "Sign in")}
                    {tab(Mode::SignUp, "Create account")}
                </div>
                <form class="stack" on:submit=submit>
                    <label for="username">"Name"</label>
                    <input
                        id="username"
                        name="username"
                        autocomplete="username"
                        maxlength="32"
                        required
                        placeholder="e.g. ana"
                        disabled=move || !ready.get()
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))
                    />
                    <Show when=move || mode.get() != Mode::Guest>
                        <label for="password">"Password"</label>
                        <input
                            id="password"
                            name="password"
                            type="password"
                            required
                            disabled=move || !ready.get()
                            minlength=move || if mode.get() == Mode::SignUp { "8" } else { "1" }
                            autocomplete=move || {
                                if mode.get() == Mode::SignUp { "new-password" } else { "current-password" }
                            }
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                    </Show>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                    <p class="loading-cue" aria-live="polite">
                        {move || (!ready.get()).then_some("Loading…")}
                    </p>
                    <button id="enter" type="submit" class="primary" disabled=move || busy.get() || !ready.get()>
                        {move || match mode.get() {
                            Mode::Guest => "Join the chat",
                            Mode::SignIn => "Sign in",
                            Mode::SignUp => "Create account",
                        }}
                    </button>
                </form>
                <p class="hint">
                    "Guests keep their name while their session lasts. An account keeps it for good."
                </p>
            </section>
        </main>
    }
}
