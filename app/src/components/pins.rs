//! The room's pinned messages: a button in the room header opens a dialog that lists them
//! (read from the server, again whenever a pin changes while it is open); choosing one shows
//! it in the timeline with the messages around it, and whoever may pin can unpin from here.

use leptos::prelude::*;
use protocol::Message;

use crate::live::Chat;
use crate::time;

/// What the dialog shows.
#[derive(Debug, Clone, PartialEq)]
enum Listing {
    /// Waiting for the server.
    Loading,
    /// The pinned messages (maybe none), the latest pinned first.
    Pins(Vec<Message>),
    /// The server refused or could not be reached.
    Failed(String),
}

/// The "Pinned" button and its dialog, for the room on screen.
#[component]
pub fn PinnedMessages() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let shown = RwSignal::new(false);
    let listing = RwSignal::new(Listing::Loading);
    // The room's name only: news in the room (messages, typing) does not read the pins again.
    let room = Memo::new(move |_| chat.with_shown(|view| view.name.clone()));
    // Unpinning from here: the same people who pin (see the message toolbar).
    let may_pin = move || {
        let me = chat.me.get();
        chat.with_shown(|view| {
            view.is_direct()
                || me.as_ref().is_some_and(|me| {
                    me.role == protocol::Role::Admin || view.created_by == Some(me.id)
                })
        }) == Some(true)
    };
    // Read while open: when it opens, when another room is shown, when a pin changes.
    Effect::new(move |_| {
        let _ = chat.pin_news.get();
        if !shown.get() {
            return;
        }
        let Some(room) = room.get() else { return };
        chat.pins(room, move |answer| {
            listing.set(match answer {
                Ok(messages) => Listing::Pins(messages),
                Err(problem) => Listing::Failed(problem),
            });
        });
    });
    // The keyboard goes into the dialog (Escape closes it, Tab walks its list).
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if shown.get()
            && let Some(button) = close_button.get()
        {
            let _ = button.focus();
        }
    });
    let open = move || {
        listing.set(Listing::Loading);
        shown.set(true);
    };
    // Closing gives the keyboard back to the button that opened it.
    let opener = NodeRef::<leptos::html::Button>::new();
    let close = move || {
        shown.set(false);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    let choose = move |message: &Message| {
        close();
        chat.reveal(message.room.clone(), message.id, message.thread);
    };

    view! {
        <button
            id="open-pins"
            node_ref=opener
            type="button"
            class="quiet"
            title="Pinned messages"
            aria-label="Pinned messages"
            on:click=move |_| open()
        >
            {super::message::icon(super::message::PIN_ICON)}
        </button>
        <Show when=move || shown.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div
                id="pins-dialog"
                class="switcher pins"
                role="dialog"
                aria-modal="true"
                aria-labelledby="pins-title"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
            >
                <div class="dialog-head">
                    <h2 id="pins-title">"Pinned messages"</h2>
                    <button type="button" class="quiet" node_ref=close_button on:click=move |_| close()>"Close"</button>
                </div>
                <div id="pins-list" aria-live="polite">
                    {move || match listing.get() {
                        Listing::Loading => view! { <p class="hint">"Loading…"</p> }.into_any(),
                        Listing::Failed(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
                        Listing::Pins(pins) if pins.is_empty() => view! {
                            <p class="hint">"Nothing is pinned here yet. Whoever runs the room can pin a message from its toolbar."</p>
                        }.into_any(),
                        Listing::Pins(pins) => view! {
                            <ul class="search-hits pin-list" aria-label="Pinned messages">
                                {pins.into_iter().map(|message| {
                                    let id = message.id;
                                    let meta = format!("{} · {}", message.user.username, time::full(message.ts));
                                    let pinned_by = message
                                        .pinned
                                        .as_ref()
                                        .map(|pin| format!("Pinned by {}", pin.by.username))
                                        .unwrap_or_default();
                                    let excerpt = if message.text.is_empty() {
                                        "📎".to_owned()
                                    } else {
                                        protocol::validate::excerpt(&message.text)
                                    };
                                    view! {
                                        <li>
                                            <button type="button" class="search-hit" on:click=move |_| choose(&message)>
                                                <span class="hit-meta">{meta}</span>
                                                <span class="hit-text">{excerpt}</span>
                                                <span class="hit-room">{pinned_by}</span>
                                            </button>
                                            <Show when=may_pin>
                                                <button
                                                    type="button"
                                                    class="quiet unpin"
                                                    on:click=move |_| {
                                                        chat.set_pinned(id, false);
                                                        // The row goes: the keyboard stays in the dialog.
                                                        if let Some(button) = close_button.get_untracked() {
                                                            let _ = button.focus();
                                                        }
                                                    }
                                                >
                                                    "Unpin"
                                                </button>
                                            </Show>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }}
                </div>
            </div>
        </Show>
    }
}
