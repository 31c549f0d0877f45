//! Who is signed in, in the top bar, opening a menu: the pages (on a phone, where the top bar
//! has no room for them), change the password (accounts; the account's other sessions end),
//! download your data, delete your account.

use leptos::prelude::*;
use protocol::{MessagesOnDelete, Role, links, validate};

use super::message::{avatar, profile_memo, shown_name};
use crate::profiles::Profiles;
use crate::session::use_session;

/// The signed-in name and role, opening the account menu.
#[component]
pub fn AccountMenu() -> impl IntoView {
    let session = use_session();
    move || {
        let user = session.user.get()?;
        let name = user.username.clone();
        let guest = user.role == Role::Guest;
        let title = if guest {
            "Signed in as a guest: your data"
        } else {
            "Your account"
        };
        Some(view! {
            <details id="account" class="me account">
                <summary title=title>
                    {avatar(user.id, &name)}
                    <span class="me-name">{shown_name(user.id, &name)}</span>
                    <span class="role">{user.role.as_str()}</span>
                </summary>
                <div class="account-panel">
                    // On a phone the top bar has no room for the page links: they are here.
                    <nav class="menu-pages" aria-label="Go to">
                        <a href=links::CHAT>"Chat"</a>
                        <a href=links::BOARD>"Board"</a>
                        {(user.role == Role::Admin).then(|| view! { <a href=links::ADMIN>"Admin"</a> })}
                    </nav>
                    <ProfilePicture id=user.id name=name.clone()/>
                    <DisplayNameForm id=user.id username=name.clone()/>
                    <StatusForm/>
                    {(!guest).then(|| view! { <PasswordForm/> })}
                    {(!guest).then(|| view! { <super::BotsButton/> })}
                    <YourData/>
                    <DeleteAccountForm guest=guest/>
                </div>
            </details>
        })
    }
}

/// The picture others see beside your name (v1.25): choose one, or take it away.
#[component]
fn ProfilePicture(id: i64, name: String) -> impl IntoView {
    let chat = use_context::<crate::live::Chat>();
    let input = NodeRef::<leptos::html::Input>::new();
    let said = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let picture = profile_memo(id, Profiles::picture);
    let has_picture = move || picture.with(Option::is_some);
    // The server's answer: shown here at once (the event tells the other tabs and people).
    let done = move |answer: Result<protocol::Profile, String>, success: &str| {
        busy.set(false);
        match answer {
            Ok(profile) => {
                if let Some(chat) = chat {
                    chat.learn_profile(profile);
                }
                said.set(Some(success.to_owned()));
            }
            Err(problem) => said.set(Some(problem)),
        }
    };
    let chosen = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input
                .get_untracked()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                return;
            };
            if let Some(input) = input.get_untracked() {
                // The same file chosen again is a change again.
                input.set_value("");
            }
            busy.set(true);
            said.set(Some("Uploading…".into()));
            leptos::task::spawn_local(async move {
                done(crate::api::set_avatar(file).await, "Picture saved.");
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, done);
    };
    let remove = move |_| {
        #[cfg(feature = "hydrate")]
        {
            busy.set(true);
            leptos::task::spawn_local(async move {
                done(crate::api::remove_avatar().await, "Picture removed.");
            });
        }
    };
    view! {
        <section class="account-section avatar-form" aria-labelledby="avatar-title">
            <h2 id="avatar-title">"Profile picture"</h2>
            <div class="inline-form">
                {avatar(id, &name)}
                <input
                    id="avatar-file"
                    class="visually-hidden"
                    type="file"
                    accept="image/png,image/jpeg,image/gif,image/webp"
                    aria-label="Picture file"
                    tabindex="-1"
                    node_ref=input
                    on:change=chosen
                />
                <div class="avatar-actions">
                <button
                    id="choose-avatar"
                    type="button"
                    class="quiet"
                    prop:disabled=move || busy.get()
                    on:click=move |_| {
                        if let Some(input) = input.get_untracked() {
                            input.click();
                        }
                    }
                >
                    {move || if has_picture() { "Change picture…" } else { "Choose a picture…" }}
                </button>
                {move || has_picture().then(|| view! {
                    <button
                        id="remove-avatar"
                        type="button"
                        class="quiet"
                        prop:disabled=move || busy.get()
                        on:click=remove
                    >
                        "Remove"
                    </button>
                })}
                </div>
            </div>
            <p class="hint" role="status">{move || said.get()}</p>
        </section>
    }
}

/// The name you go by (v1.26): shown in place of your username, which stays how people
/// mention you.
#[component]
fn DisplayNameForm(id: i64, username: String) -> impl IntoView {
    let chat = use_context::<crate::live::Chat>();
    // Only a change of this person's own name moves the field.
    let current = profile_memo(id, Profiles::name);
    let text = RwSignal::new(String::new());
    // The field shows the name known now, and follows it (another tab's change) until the
    // person types; what they typed stays until it is saved.
    let typed = RwSignal::new(false);
    Effect::new(move |_| {
        let known = current.get().unwrap_or_default();
        if !typed.get_untracked() {
            text.set(known);
        }
    });
    let said = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chat) = chat else { return };
        let name = text.get_untracked();
        chat.set_display_name(name, move |done| {
            if done.is_ok() {
                typed.set(false);
            }
            said.set(Some(match done {
                Ok(profile) if profile.name.is_none() => "You go by your username.".into(),
                Ok(_) => "Name saved.".into(),
                Err(problem) => problem,
            }));
        });
    };
    view! {
        <form class="account-section name-form" on:submit=submit>
            <label for="display-name">"Your name"</label>
            <div class="inline-form">
                <input
                    id="display-name"
                    maxlength=validate::DISPLAY_NAME_MAX.to_string()
                    placeholder=username.clone()
                    autocomplete="nickname"
                    aria-describedby="display-name-hint display-name-said"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        typed.set(true);
                        text.set(event_target_value(&ev));
                    }
                />
                <button id="save-name" type="submit" class="quiet">"Save"</button>
            </div>
            <p id="display-name-hint" class="hint">
                {format!("People still mention you as @{username}.")}
            </p>
            <p id="display-name-said" class="hint" role="status">{move || said.get()}</p>
        </form>
    }
}

/// The status line others see next to your name in the people directory.
#[component]
fn StatusForm() -> impl IntoView {
    let chat = use_context::<crate::live::Chat>();
    let text = RwSignal::new(String::new());
    let said = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chat) = chat else { return };
        chat.set_status(text.get_untracked(), move |done| {
            said.set(Some(match done {
                Ok(()) if text.get_untracked().trim().is_empty() => "Status cleared.".into(),
                Ok(()) => "Status saved.".into(),
                Err(problem) => problem,
            }));
        });
    };
    view! {
        <form class="account-section status-form" on:submit=submit>
            <label for="status-text">"Your status"</label>
            <div class="inline-form">
                <input
                    id="status-text"
                    maxlength=validate::STATUS_MAX.to_string()
                    placeholder="e.g. in meetings until 3"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button id="save-status" type="submit" class="quiet">"Save"</button>
            </div>
            <p class="hint" role="status">{move || said.get()}</p>
        </form>
    }
}

/// A link that downloads the caller's data as a zip.
#[component]
fn YourData() -> impl IntoView {
    view! {
        <section class="account-section" aria-labelledby="your-data">
            <h2 id="your-data">"Your data"</h2>
            <p class="hint">"Your profile, every message you wrote and the files you sent, as a zip."</p>
            <a id="export-data" class="button quiet" href=links::EXPORT download="tertulia-export.zip">
                "Download your data"
            </a>
        </section>
    }
}

/// Deleting the account: what happens to its messages, the password (accounts), a confirmation.
#[component]
fn DeleteAccountForm(guest: bool) -> impl IntoView {
    let session = use_session();
    let chat = use_context::<crate::live::Chat>();
    let keep = RwSignal::new(true);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let messages = if keep.get_untracked() {
            MessagesOnDelete::Keep
        } else {
            MessagesOnDelete::Remove
        };
        let given = (!guest).then(|| password.get_untracked());
        #[cfg(feature = "hydrate")]
        {
            let what = if messages == MessagesOnDelete::Keep {
                "Your messages stay, shown as from a deleted user."
            } else {
                "Your messages are removed too."
            };
            if !crate::desktop::confirm(&format!(
                "Delete your account? This cannot be undone. {what} Your files are removed."
            )) {
                return;
            }
            busy.set(true);
            leptos::task::spawn_local(async move {
                match crate::api::delete_account(given, messages).await {
                    Ok(()) => {
                        // Nothing of the account stays on this device either.
                        if let Some(chat) = chat {
                            chat.forget_outbox();
                        }
                        if let Some(me) = session.user.get_untracked() {
                            crate::offline::forget(me.id);
                        }
                        session.user.set(None);
                    }
                    Err(message) => error.set(Some(message)),
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (messages, given, session, chat);
    };
    let open = RwSignal::new(false);
    view! {
        <section class="danger-zone">
        <button
            id="delete-account-open"
            type="button"
            class="quiet danger-link"
            aria-expanded=move || open.get().to_string()
            aria-controls="delete-account"
            on:click=move |_| open.update(|shown| *shown = !*shown)
        >
            "Delete account…"
        </button>
        <form
            id="delete-account"
            class="password-form delete-account"
            hidden=move || !open.get()
            on:submit=submit
        >
            <fieldset>
                <legend class="hint">"Your messages"</legend>
                <label class="choice">
                    <input
                        type="radio"
                        name="delete-messages"
                        value=MessagesOnDelete::Keep.as_str()
                        prop:checked=move || keep.get()
                        on:change=move |_| keep.set(true)
                    />
                    "Keep them, shown as from a deleted user"
                </label>
                <label class="choice">
                    <input
                        type="radio"
                        name="delete-messages"
                        value=MessagesOnDelete::Remove.as_str()
                        prop:checked=move || !keep.get()
                        on:change=move |_| keep.set(false)
                    />
                    "Remove them too"
                </label>
            </fieldset>
            {(!guest).then(|| view! {
                <label for="delete-password">"Your password"</label>
                <input
                    id="delete-password"
                    type="password"
                    autocomplete="current-password"
                    maxlength=validate::PASSWORD_MAX.to_string()
                    required
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            })}
            <button type="submit" class="danger" disabled=move || busy.get()>"Delete my account"</button>
            {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
        </form>
        </section>
    }
}

/// Current password, new password twice.
#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (old, fresh) = (current.get_untracked(), new.get_untracked());
        if fresh != again.get_untracked() {
            outcome.set(Some(Err("the new passwords differ".into())));
            return;
        }
        if let Err(error) = validate::new_password(&fresh) {
            outcome.set(Some(Err(error.message)));
            return;
        }
        busy.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let result = crate::api::change_password(old, fresh).await.map(|()| {
                current.set(String::new());
                new.set(String::new());
                again.set(String::new());
                "Password changed; your other sessions are signed out.".to_owned()
            });
            outcome.set(Some(result));
            busy.set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (old, fresh);
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      value: RwSignal<String>,
                      autocomplete: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input
                id=id
                type="password"
                autocomplete=autocomplete
                maxlength=validate::PASSWORD_MAX.to_string()
                required
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
    };
    view! {
        <form id="password-form" class="password-form" on:submit=submit>
            <h2>"Change password"</h2>
            {field("current-password", "Current password", current, "current-password")}
            {field("new-password", "New password", new, "new-password")}
            {field("repeat-password", "New password again", again, "new-password")}
            <button type="submit" class="primary" disabled=move || busy.get()>"Change password"</button>
            {move || outcome.get().map(|result| match result {
                Ok(done) => view! { <p class="ok" role="status">{done}</p> }.into_any(),
                Err(error) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
            })}
        </form>
    }
}
