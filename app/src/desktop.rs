//! What the app asks of the browser itself: opt-in notifications (the Notification API) for
//! when the tab is hidden — permission is only ever asked from a click, nothing is shown
//! without it — and the confirmation dialog before actions that cannot be undone.

use protocol::Notification;

/// Whether the browser can show notifications and what the user said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// No Notification API (or rendering on the server).
    Unsupported,
    /// Not asked yet.
    Ask,
    /// Allowed.
    Granted,
    /// Refused (only the browser's settings can change it).
    Denied,
}

/// Asks the person to confirm with the browser's dialog; `false` if they decline (or there is
/// no browser).
#[must_use]
pub fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        false
    }
}

/// What the browser allows now.
#[must_use]
pub fn permission() -> Permission {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::NotificationPermission as P;
        let supported = web_sys::window()
            .is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false));
        if !supported {
            return Permission::Unsupported;
        }
        match web_sys::Notification::permission() {
            P::Granted => Permission::Granted,
            P::Denied => Permission::Denied,
            _ => Permission::Ask,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    Permission::Unsupported
}

/// Asks for permission (call it from a click); `done` gets the answer.
pub fn ask(done: impl FnOnce(Permission) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let Ok(promise) = web_sys::Notification::request_permission() else {
            done(permission());
            return;
        };
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            done(permission());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    done(Permission::Unsupported);
}

/// Shows `note` as a system notification if allowed and the page is hidden; clicking it
/// brings the tab forward and runs `open`.
pub fn show_if_hidden(note: &Notification, open: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        if !hidden || permission() != Permission::Granted {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(&note.body);
        options.set_tag(&format!("tertulia-{}", note.id));
        let Ok(shown) = web_sys::Notification::new_with_options(&note.title, &options) else {
            return;
        };
        let on_click = wasm_bindgen::closure::Closure::once_into_js(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
            }
            open();
        });
        shown.set_onclick(Some(on_click.unchecked_ref()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (note, open);
}
