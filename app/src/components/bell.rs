//! The notification bell: unread count, the list, and a short-lived toast for new ones.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use protocol::Notification;

use crate::desktop::{self, Permission};
use crate::live::Chat;
use crate::time;

/// Opens a notification: marks it read and follows its link (same-site paths only).
fn open(chat: Chat, note: &Notification, go: Callback<String>) {
    chat.mark_read(vec![note.id]);
    if let Some(url) = note
        .url
        .clone()
        .filter(|u| u.starts_with('/') && !u.starts_with("//"))
    {
        go.run(url);
    }
}

/// A `Copy` handle on the router's navigation.
fn use_go() -> Callback<String> {
    let navigate = use_navigate();
    Callback::new(move |url: String| navigate(&url, Default::default()))
}

/// The bell in the top bar, with its dropdown list.
#[component]
pub fn Bell() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let open_list = RwSignal::new(false);
    let unread = move || chat.unread_notifications();
    let go = use_go();
    let mark_all = move |_| chat.mark_all_read();
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open_list.get_untracked() {
            open_list.set(false);
            focus_bell();
        }
    };
    view! {
        <div class="bell-wrap" on:keydown=close_on_escape>
            <button
                id="bell"
                type="button"
                class="quiet bell"
                aria-haspopup="dialog"
                aria-controls="note-list"
                aria-expanded=move || open_list.get().to_string()
                aria-label=move || format!("Notifications: {} unread", unread())
                on:click=move |_| open_list.update(|o| *o = !*o)
            >
                <svg class="bell-icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1z"></path>
                </svg>
                <Show when=move || { unread() > 0 }>
                    <span id="bell-count" class="badge">{unread}</span>
                </Show>
            </button>
            <Show when=move || open_list.get()>
                <div id="note-list" class="note-list" role="dialog" aria-label="Notifications">
                    <div class="note-head">
                        <strong>"Notifications"</strong>
                        <button type="button" class="quiet" on:click=mark_all>"Mark all read"</button>
                    </div>
                    <DeviceNotifications/>
                    <Show
                        when=move || chat.notifications.with(|l| !l.is_empty())
                        fallback=|| view! { <p class="empty-note">"Nothing yet."</p> }
                    >
                        <ul>
                            <For
                                each=move || chat.notifications.get()
                                key=|note| (note.id, note.read)
                                children={
                                    move |note: Notification| {
                                        let clicked = note.clone();
                                        view! {
                                            <li class="note" class:unread=!note.read>
                                                <button
                                                    type="button"
                                                    class="note-link"
                                                    on:click=move |_| {
                                                        open(chat, &clicked, go);
                                                        open_list.set(false);
                                                    }
                                                >
                                                    <span class="note-title">{note.title.clone()}</span>
                                                    <span class="note-body">{note.body.clone()}</span>
                                                    <time datetime=time::iso(note.ts)>{time::clock(note.ts)}</time>
                                                </button>
                                            </li>
                                        }
                                    }
                                }
                            />
                        </ul>
                    </Show>
                </div>
            </Show>
        </div>
    }
}

fn focus_bell() {
    #[cfg(feature = "hydrate")]
    if let Some(bell) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("bell"))
    {
        use wasm_bindgen::JsCast;
        if let Ok(bell) = bell.dyn_into::<web_sys::HtmlElement>() {
            let _ = bell.focus();
        }
    }
}

/// Offers browser notifications for when the tab is hidden (asked only on this click).
#[component]
fn DeviceNotifications() -> impl IntoView {
    let permission = RwSignal::new(desktop::permission());
    let ask = move |_| desktop::ask(move |answer| permission.set(answer));
    view! {
        {move || match permission.get() {
            Permission::Ask => {
                view! {
                    <button id="enable-desktop" type="button" class="quiet device-notes" on:click=ask>
                        "Notify me on this device when the tab is hidden"
                    </button>
                }
                    .into_any()
            }
            Permission::Granted => {
                view! { <p class="device-notes">"Notifications on this device are on."</p> }
                    .into_any()
            }
            Permission::Denied => {
                view! {
                    <p class="device-notes">"Notifications are blocked in this browser's settings."</p>
                }
                    .into_any()
            }
            Permission::Unsupported => ().into_any(),
        }}
    }
}

/// A toast for the newest notification; click to open it.
#[component]
pub fn NoteToast() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let go = use_go();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(shown) = chat.toast.get() {
            gloo_timers::callback::Timeout::new(6_000, move || {
                if chat.toast.try_get_untracked().flatten().map(|n| n.id) == Some(shown.id) {
                    let _ = chat.toast.try_set(None);
                }
            })
            .forget();
        }
    });
    view! {
        {move || {
            chat.toast
                .get()
                .map(|note| {
                    let clicked = note.clone();
                    view! {
                        <div id="note-toast" class="note-toast" role="status">
                            <button
                                type="button"
                                class="note-link"
                                on:click=move |_| {
                                    open(chat, &clicked, go);
                                    chat.toast.set(None);
                                }
                            >
                                <span class="note-title">{note.title.clone()}</span>
                                <span class="note-body">{note.body.clone()}</span>
                            </button>
                            <button type="button" class="quiet" aria-label="Dismiss" on:click=move |_| chat.toast.set(None)>
                                "×"
                            </button>
                        </div>
                    }
                })
        }}
    }
}
