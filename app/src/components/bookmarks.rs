//! Saved messages: a "Saved…" button in the room list opens the reader's saved list (the
//! latest saved first, page by page, read again when a message is saved or taken out on any
//! of their devices); choosing one shows it in its room, and each can be taken out here.

use leptos::prelude::*;
use protocol::SavedMessage;

use crate::live::{Chat, Drawer};
use crate::time;

/// The "Saved…" button and the list it opens.
#[component]
pub fn SavedList() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let open = RwSignal::new(false);
    let items = RwSignal::new(Vec::<SavedMessage>::new());
    let next = RwSignal::new(None::<i64>);
    let loaded = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Answers to an older request are dropped.
    let asked = StoredValue::new(0_u64);

    let load = move |before: Option<i64>| {
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        chat.saved_messages(before, move |answer| {
            if asked.get_value() != this {
                return;
            }
            loaded.set(true);
            match answer {
                Ok(page) => {
                    problem.set(None);
                    next.set(page.next);
                    if before.is_some() {
                        items.update(|list| list.extend(page.items));
                    } else {
                        items.set(page.items);
                    }
                }
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    // The first page when it opens, and again when the list changes on any device.
    Effect::new(move |_| {
        let _ = chat.saved_news.get();
        if open.get() {
            load(None);
        }
    });
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if open.get()
            && let Some(button) = close_button.get()
        {
            let _ = button.focus();
        }
    });
    // Closing gives the keyboard back to the button that opened it.
    let opener = NodeRef::<leptos::html::Button>::new();
    let close = move || {
        open.set(false);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    let choose = move |item: &SavedMessage| {
        close();
        chat.drawer.set(Drawer::Closed);
        chat.reveal(
            item.message.room.clone(),
            item.message.id,
            item.message.thread,
        );
    };

    view! {
        <button
            type="button"
            id="saved-button"
            node_ref=opener
            class="people-button"
            on:click=move |_| {
                loaded.set(false);
                open.set(true);
            }
        >
            "Saved…"
        </button>
        <Show when=move || open.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div
                id="saved-dialog"
                class="switcher pins"
                role="dialog"
                aria-modal="true"
                aria-labelledby="saved-title"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
            >
                <div class="dialog-head">
                    <h2 id="saved-title">"Saved messages"</h2>
                    <button type="button" class="quiet" node_ref=close_button on:click=move |_| close()>"Close"</button>
                </div>
                <div id="saved-list" aria-live="polite">
                    <Show when=move || problem.get().is_some()>
                        <p class="form-error" role="alert">{move || problem.get()}</p>
                    </Show>
                    <Show when=move || loaded.get() && items.with(Vec::is_empty) && problem.get().is_none()>
                        <p class="hint">"Nothing saved yet. Save a message from its toolbar to find it here later."</p>
                    </Show>
                    <Show when=move || !loaded.get()>
                        <p class="hint">"Loading…"</p>
                    </Show>
                    <ul class="search-hits saved-list" aria-label="Saved messages">
                        <For
                            each=move || items.get()
                            key=|item| (item.message.id, item.saved_ts)
                            children=move |item| {
                                let id = item.message.id;
                                let room = chat
                                    .rooms
                                    .with_untracked(|rooms| rooms.get(&item.message.room).map(|v| v.label()))
                                    .unwrap_or_else(|| item.message.room.clone());
                                let meta = format!("{} · {}", item.message.user.username, time::full(item.message.ts));
                                let excerpt = if item.message.text.is_empty() {
                                    "📎".to_owned()
                                } else {
                                    protocol::validate::excerpt(&item.message.text)
                                };
                                view! {
                                    <li>
                                        <button type="button" class="search-hit" on:click=move |_| choose(&item)>
                                            <span class="hit-room">{room}</span>
                                            <span class="hit-meta">{meta}</span>
                                            <span class="hit-text">{excerpt}</span>
                                        </button>
                                        <button
                                            type="button"
                                            class="quiet unpin"
                                            on:click=move |_| {
                                                chat.set_saved(id, false);
                                                // The row goes: the keyboard stays in the dialog.
                                                if let Some(button) = close_button.get_untracked() {
                                                    let _ = button.focus();
                                                }
                                            }
                                        >
                                            "Remove"
                                        </button>
                                    </li>
                                }
                            }
                        />
                    </ul>
                    <Show when=move || next.get().is_some()>
                        <button type="button" class="quiet" on:click=move |_| load(next.get_untracked())>"Show more"</button>
                    </Show>
                </div>
            </div>
        </Show>
    }
}
