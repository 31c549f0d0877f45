//! Who is signed in, in the top bar; for an account (not a guest), a menu to change the
//! password (the account's other sessions end).

use leptos::prelude::*;
use protocol::{Role, validate};

use super::message::avatar;
use crate::session::use_session;

/// The signed-in name and role; accounts open a menu with "Change password".
#[component]
pub fn AccountMenu() -> impl IntoView {
    let session = use_session();
    move || {
        let user = session.user.get()?;
        let name = user.username.clone();
        let badge = view! {
            {avatar(&name)}
            <span class="me-name">{name.clone()}</span>
            <span class="role">{user.role.as_str()}</span>
        };
        Some(if user.role == Role::Guest {
            view! { <span class="me" title="Signed in as a guest">{badge}</span> }.into_any()
        } else {
            view! {
                <details id="account" class="me account">
                    <summary title="Your account">{badge}</summary>
                    <div class="account-panel">
                        <PasswordForm/>
                    </div>
                </details>
            }
            .into_any()
        })
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
