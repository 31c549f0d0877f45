//! A thread beside the room (v1.22): its root, its replies and a box to reply in. On a wide
//! screen it is a column of its own; on a phone it covers the room, with a way back.

use leptos::prelude::*;

use super::attachments::FilesFor;
use super::message::{Place, render_row_in};
use crate::live::Chat;
use crate::model::{LengthNote, RoomView, Row};
use crate::time;

/// The thread column, while a thread is open.
#[component]
pub fn ThreadPane() -> impl IntoView {
    let chat = expect_context::<Chat>();
    view! {
        <Show when=move || chat.thread.get().is_some() && chat.active.get().is_some()>
            <ThreadView/>
        </Show>
    }
}

/// What a thread shows: loading, gone, or its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    /// Its first page is on its way.
    Loading,
    /// Read, and its root is not a message of this room (deleted as a row, or never one).
    Missing,
    /// The rows, and whether earlier replies may exist.
    Rows(Vec<Row>, bool),
}

#[component]
fn ThreadView() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let shown = Memo::new(move |_| {
        let root = chat.thread.get()?;
        chat.with_shown(|view: &RoomView| {
            let rows = view.thread_rows(root, time::live_day_of());
            let read = view.thread_pages.get(&root).map(|pages| pages.more);
            let has_root = view.message(root).is_some();
            match read {
                _ if has_root => Shown::Rows(rows, read.unwrap_or(false)),
                None => Shown::Loading,
                Some(_) if rows.is_empty() => Shown::Missing,
                Some(more) => Shown::Rows(rows, more),
            }
        })
    });
    let label = move || chat.with_shown(RoomView::label).unwrap_or_default();
    let list = NodeRef::<leptos::html::Ol>::new();
    let close = move || {
        let root = chat.thread.get_untracked();
        chat.thread.set(None);
        // Back to the message the thread hangs from.
        #[cfg(feature = "hydrate")]
        if let Some(element) = root
            .and_then(|root| {
                web_sys::window()?
                    .document()?
                    .query_selector(&format!("#log li[data-id=\"{root}\"]"))
                    .ok()
                    .flatten()
            })
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            let _ = element.focus();
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = root;
    };
    // What the open thread shows is read (a thread the reader follows keeps a marker): on
    // each change, when the page comes back into view, and when the room's own page arrives
    // (a thread opened from a list or a notification may show before its root is loaded).
    Effect::new(move |_| {
        let _ = chat.shown.get();
        if matches!(shown.get(), Some(Shown::Rows(..))) {
            chat.read_open_thread();
        }
    });
    // New replies scroll into view when the reader is at the bottom (or just opened it).
    Effect::new(move |previous: Option<usize>| {
        let count = match shown.get() {
            Some(Shown::Rows(rows, _)) => rows.len(),
            _ => 0,
        };
        if let Some(el) = list.get() {
            let near = previous.is_none_or(|before| {
                before == 0 || el.scroll_height() - el.scroll_top() - el.client_height() < 160
            });
            if count != previous.unwrap_or(usize::MAX) && near {
                el.set_scroll_top(el.scroll_height());
            }
        }
        count
    });
    view! {
        <aside
            class="thread-pane"
            aria-labelledby="thread-title"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" && !ev.default_prevented() {
                    ev.stop_propagation();
                    close();
                }
            }
        >
            <header class="thread-head">
                <button
                    id="close-thread"
                    type="button"
                    class="quiet"
                    aria-label="Close the thread"
                    title="Close the thread (Esc)"
                    on:click=move |_| close()
                >
                    "←"
                </button>
                <h2 id="thread-title">"Thread" <span class="thread-room">{label}</span></h2>
            </header>
            <ol id="thread-log" class="timeline thread-log" node_ref=list aria-live="polite">
                {move || match shown.get() {
                    Some(Shown::Loading) | None => view! {
                        <li class="hint thread-note">"Loading the thread…"</li>
                    }
                    .into_any(),
                    Some(Shown::Missing) => view! {
                        <li class="hint thread-note">"This thread is not here any more."</li>
                    }
                    .into_any(),
                    Some(Shown::Rows(_, more)) => more.then(|| view! {
                        <li class="older">
                            <button
                                type="button"
                                class="quiet"
                                on:click=move |_| {
                                    let Some(root) = chat.thread.get_untracked() else {
                                        return;
                                    };
                                    // From where the pages read so far reach back to.
                                    let oldest = chat
                                        .with_shown_untracked(|view| {
                                            view.thread_pages.get(&root).map(|pages| pages.oldest)
                                        })
                                        .flatten();
                                    chat.load_thread(root, oldest);
                                }
                            >
                                "Load earlier replies"
                            </button>
                        </li>
                    })
                    .into_any(),
                }}
                <For
                    each=move || match shown.get() {
                        Some(Shown::Rows(rows, _)) => rows,
                        _ => Vec::new(),
                    }
                    key=Row::key
                    children=move |row| render_row_in(row, chat, Place::Thread)
                />
            </ol>
            <ThreadTypingLine/>
            <ThreadComposer/>
        </aside>
    }
}

/// "ana is typing…" a reply in the open thread (v1.27).
#[component]
fn ThreadTypingLine() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = move || {
        let root = chat.thread.get()?;
        let typists = chat
            .with_shown(|view| view.typing_in(Some(root)))
            .unwrap_or_default();
        super::room::typing_words(&chat.names_of(&typists))
    };
    view! { <p id="thread-typing-line" class="typing-line" aria-live="polite">{text}</p> }
}

/// The box to reply in the open thread: Enter sends, Shift+Enter starts a new line.
#[component]
fn ThreadComposer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Textarea>::new();
    // A thread of a deleted message takes no more replies (the server refuses them).
    let closed = Memo::new(move |_| {
        let root = chat.thread.get();
        chat.with_shown(|view| {
            root.and_then(|root| view.message(root))
                .is_some_and(|m| m.deleted)
        })
        .unwrap_or(false)
    });
    let writable = move || chat.conn.get() != crate::model::ConnState::Connecting && !closed.get();
    let length = Memo::new(move |_| LengthNote::of(&text.get()));
    let typing = super::room::TypingSignal::new(chat, chat.thread.into());
    // Closing the thread (or leaving the room) ends typing in it at once.
    on_cleanup(move || typing.sent());
    // Each thread starts empty, with the box ready to write in. A thread closing takes no
    // focus: the close gave it back to the root's message (this box is on its way out).
    Effect::new(move |_| {
        let open = chat.thread.get().is_some();
        typing.sent();
        text.set(String::new());
        if open && let Some(area) = input.get_untracked() {
            let _ = area.focus();
        }
    });
    // The thread's own files (see `uploads::thread_slot`).
    let slot = Signal::derive(move || match (chat.active.get(), chat.thread.get()) {
        (Some(key), Some(root)) => crate::uploads::thread_slot(&key, root),
        _ => String::new(),
    });
    let has_files = move || {
        chat.uploads
            .with(|u| u.ready(&slot.get()).is_some_and(|files| !files.is_empty()))
    };
    let online = move || chat.conn.get() == crate::model::ConnState::Connected;
    let send = move || {
        let Some(root) = chat.thread.get_untracked() else {
            return;
        };
        let body = text.get_untracked();
        let files = chat.uploads.with_untracked(|u| {
            u.ready(&slot.get_untracked())
                .is_some_and(|f| !f.is_empty())
        });
        if (body.trim().is_empty() && !files)
            || !writable()
            || LengthNote::of(&body).is_some_and(LengthNote::is_over)
        {
            return;
        }
        if chat.send_in_thread(root, body) {
            text.set(String::new());
            typing.sent();
        }
    };
    view! {
        <Show when=move || closed.get()>
            <p class="hint thread-closed" role="status">
                "The message this thread hangs from was deleted: it takes no more replies."
            </p>
        </Show>
        <form
            class="composer thread-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
            on:paste=move |ev: leptos::ev::ClipboardEvent| {
                super::attachments::paste_files(&ev, chat, FilesFor::Thread);
            }
        >
            <super::attachments::UploadTray waiting_in=slot id="thread-upload-tray"/>
            <textarea
                id="thread-input"
                node_ref=input
                rows="1"
                dir="auto"
                aria-label="Reply in the thread"
                aria-describedby="thread-length-note"
                disabled=move || !writable()
                placeholder="Reply…"
                prop:value=move || text.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    typing.input(!value.trim().is_empty());
                    text.set(value);
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <super::attachments::AttachButton
                to=FilesFor::Thread
                id="thread-attach"
                title="Attach files (or paste them here)"
                label="Attach files to the reply"
                disabled=Signal::derive(move || !online() || closed.get())
            />
            <button
                type="submit"
                class="primary"
                disabled=move || !writable() || (text.with(|t| t.trim().is_empty()) && !has_files()) || length.get().is_some_and(LengthNote::is_over)
            >
                "Reply"
            </button>
            <p
                id="thread-length-note"
                class="length-note"
                class:over=move || length.get().is_some_and(LengthNote::is_over)
                role="status"
                hidden=move || length.get().is_none()
            >
                {move || length.get().map(LengthNote::text)}
            </p>
        </form>
    }
}
