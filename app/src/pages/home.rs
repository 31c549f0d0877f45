//! `/`: pick a name (guest) or sign in / sign up, then go to the chat.
//!
//! The page works before its script runs: the mode is in the URL (`/?mode=signin`, the tabs are
//! links), the inputs are plain form fields, and the form posts to
//! [`links::SIGN_IN_FORM`], which answers with a redirect (to the chat, or back here with
//! `failed=<code>`). Once hydrated, the same form signs in through the JSON API instead, without
//! a page load.

use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use protocol::ErrorCode;
use protocol::links::{self, start, start::Mode};

use crate::session::use_session;

/// What the page says about a failed form post, from the error code in its URL (never from
/// free text in the URL, which anyone could write).
fn failure_message(code: &str, mode: Mode, username: &str) -> String {
    let code = protocol::ack::ALL_CODES
        .into_iter()
        .find(|c| c.as_str() == code);
    match code {
        Some(ErrorCode::Conflict) => {
            format!("The name `{username}` is taken or reserved; pick another")
        }
        Some(ErrorCode::Unauthorized) => "Wrong username or password".to_owned(),
        // What `forbidden` means depends on what was tried.
        Some(ErrorCode::Forbidden) => match mode {
            Mode::SignIn => "This account is banned".to_owned(),
            Mode::SignUp => "New accounts from your network are refused for now".to_owned(),
            Mode::Guest => {
                "Guest access is switched off, or new guests from your network are refused for now; please sign in"
                    .to_owned()
            }
        },
        Some(ErrorCode::RateLimited) => "Too many attempts; wait a moment and try again".to_owned(),
        Some(ErrorCode::BadRequest | ErrorCode::TooLong) => {
            match protocol::validate::username(username) {
                Err(problem) => problem.message,
                Ok(_) if mode == Mode::SignUp => {
                    "Choose a password of at least 8 characters".to_owned()
                }
                Ok(_) => "Check the name and password".to_owned(),
            }
        }
        _ => "Something went wrong on the server; please try again".to_owned(),
    }
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
    let query = use_query_map();
    let mode = Memo::new(move |_| Mode::parse(&query.read().get(start::MODE).unwrap_or_default()));
    // What a form post sent back: the name typed and what failed.
    let (typed, failed) = query.with_untracked(|q| (q.get(start::USERNAME), q.get(start::FAILED)));
    let typed = typed.unwrap_or_default();
    let error =
        RwSignal::new(failed.map(|code| failure_message(&code, mode.get_untracked(), &typed)));
    let busy = RwSignal::new(false);
    let username_input = NodeRef::<Input>::new();
    let password_input = NodeRef::<Input>::new();

    // Runs only once hydrated: until then the browser posts the form itself.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let value =
            |input: NodeRef<Input>| input.get_untracked().map(|i| i.value()).unwrap_or_default();
        let name = value(username_input);
        if let Err(problem) = protocol::validate::username(&name) {
            error.set(Some(problem.message));
            return;
        }
        error.set(None);
        busy.set(true);
        #[cfg(feature = "hydrate")]
        {
            let secret = value(password_input);
            let mode = mode.get_untracked();
            leptos::task::spawn_local(async move {
                let result = match mode {
                    Mode::Guest => crate::api::guest(name.clone()).await,
                    Mode::SignIn => crate::api::login(name.clone(), secret).await,
                    Mode::SignUp => crate::api::register(name.clone(), secret).await,
                };
                busy.set(false);
                match result {
                    Ok(user) => session.user.set(Some(user)),
                    // The words of the form post's answer, from the same code.
                    Err(crate::api::SignInError::Refused(code)) => {
                        error.set(Some(failure_message(code.as_str(), mode, &name)));
                    }
                    Err(crate::api::SignInError::Failed(message)) => error.set(Some(message)),
                }
            });
        }
    };

    let tab = move |which: Mode, label: &'static str| {
        view! {
            <a
                role="tab"
                class="tab"
                href=start::page(which, None, None)
                aria-selected=move || (mode.get() == which).to_string()
                on:click=move |_| error.set(None)
            >
                {label}
            </a>
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
                <form class="stack" method="post" action=links::SIGN_IN_FORM on:submit=submit>
                    <input type="hidden" name=start::MODE value=move || mode.get().as_str() />
                    <label for="username">"Name"</label>
                    <input
                        id="username"
                        name="username"
                        autocomplete="username"
                        maxlength="32"
                        required
                        placeholder="e.g. ana"
                        value=typed
                        node_ref=username_input
                    />
                    <Show when=move || mode.get() != Mode::Guest>
                        <label for="password">"Password"</label>
                        <input
                            id="password"
                            name="password"
                            type="password"
                            required
                            minlength=move || if mode.get() == Mode::SignUp { "8" } else { "1" }
                            autocomplete=move || {
                                if mode.get() == Mode::SignUp { "new-password" } else { "current-password" }
                            }
                            node_ref=password_input
                        />
                    </Show>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                    <button id="enter" type="submit" class="primary" disabled=move || busy.get()>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_form_post_says_what_was_refused() {
        let forbidden = protocol::ErrorCode::Forbidden.as_str();
        assert_eq!(
            failure_message(forbidden, Mode::SignIn, "eve"),
            "This account is banned"
        );
        assert!(failure_message(forbidden, Mode::SignUp, "eve").contains("your network"));
        assert!(failure_message(forbidden, Mode::Guest, "eve").contains("switched off"));
        assert!(
            failure_message(protocol::ErrorCode::Conflict.as_str(), Mode::Guest, "eve")
                .contains("`eve` is taken")
        );
    }
}
