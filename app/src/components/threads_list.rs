//! The threads you follow (v1.30): a "Threads…" button in the room list opens them, the one
//! with the newest reply first, each with its room, its root, its replies and how many of them
//! are new to you; choosing one opens it beside its room at its newest reply.

use leptos::prelude::*;
use protocol::FollowedThread;

use crate::live::{Chat, Drawer};
use crate::time;

/// The "Threads…" button and the list it opens.
#[component]
pub fn ThreadsList() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let open = RwSignal::new(false);
    let items = RwSignal::new(Vec::<FollowedThread>::new());
    let next = RwSignal::new(None::<i64>);
    let loaded = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Answers to an older request are dropped.
    let asked = StoredValue::new(0_u64);

    let load = move |before: Option<i64>| {
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        chat.threads(before, move |answer| {
            if asked.get_value() != this {
                return;
            }
            loaded.set(true);
            match answer {
                Ok(page) => {
                    problem.set(None);
                    next.set(page.next);
                    if before.is_some() {
                        items.update(|list| list.extend(page.threads));
                    } else {
                        items.set(page.threads);
                    }
                }
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    Effect::new(move |_| {
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
    let choose = move |thread: &FollowedThread| {
        close();
        chat.drawer.set(Drawer::Closed);
        let root = &thread.root;
        let newest = root.replies.map_or(root.id, |summary| summary.last_id);
        chat.reveal(root.room.clone(), newest, Some(root.id));
    };

    view! {
        <button
            type="button"
            id="threads-button"
            node_ref=opener
            class="people-button"
            on:click=move |_| {
                loaded.set(false);
                open.set(true);
            }
        >
            "Threads…"
        </button>
        <Show when=move || open.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div
                id="threads-dialog"
                class="switcher pins"
                role="dialog"
                aria-modal="true"
                aria-labelledby="threads-title"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
            >
                <div class="dialog-head">
                    <h2 id="threads-title">"Threads you follow"</h2>
                    <button type="button" class="quiet" node_ref=close_button on:click=move |_| close()>"Close"</button>
                </div>
                <div id="threads-list" aria-live="polite">
                    <Show when=move || problem.get().is_some()>
                        <p class="form-error" role="alert">{move || problem.get()}</p>
                    </Show>
                    <Show when=move || loaded.get() && items.with(Vec::is_empty) && problem.get().is_none()>
                        <p class="hint">"No threads yet. You follow a thread when you start one, reply in one, or are mentioned in one."</p>
                    </Show>
                    <Show when=move || !loaded.get()>
                        <p class="hint">"Loading…"</p>
                    </Show>
                    <ul class="search-hits threads-list" aria-label="Threads you follow">
                        <For
                            each=move || items.get()
                            key=|thread| (thread.root.id, thread.root.replies.map(|r| r.last_id), thread.unread)
                            children=move |thread| thread_row(thread, choose)
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

/// One thread of the list: a button that opens it.
fn thread_row(
    thread: FollowedThread,
    choose: impl Fn(&FollowedThread) + Copy + 'static,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let root = &thread.root;
    let room = chat
        .rooms
        .with_untracked(|rooms| rooms.get(&root.room).map(|v| v.label()))
        .unwrap_or_else(|| root.room.clone());
    let replies = root.replies.map_or(0, |summary| summary.count);
    let last = root.replies.map_or(root.ts, |summary| summary.last_ts);
    let meta = format!(
        "{} · {replies} {} · last {}",
        root.user.username,
        if replies == 1 { "reply" } else { "replies" },
        time::full(last)
    );
    let excerpt = if root.text.is_empty() {
        "📎".to_owned()
    } else {
        protocol::validate::excerpt(&root.text)
    };
    // What this client read since the server counted (a mark on its way) counts too.
    let newest = root.replies.map(|summary| summary.last_id);
    let read_here = chat
        .rooms
        .with_untracked(|rooms| rooms.get(&root.room).and_then(|v| v.thread_marker(root.id)));
    let unread = if read_here.is_some() && read_here >= newest {
        0
    } else {
        thread.unread
    };
    let has_unread = unread > 0;
    let unread_label = match unread {
        0 => String::new(),
        n if n >= 999 => "999+ new".to_owned(),
        n => format!("{n} new"),
    };
    view! {
        <li>
            <button
                type="button"
                class="search-hit"
                class:unread=has_unread
                on:click=move |_| choose(&thread)
            >
                <span class="hit-room">{room}</span>
                <span class="hit-meta">{meta}</span>
                <span class="hit-text">{excerpt}</span>
                {has_unread.then(|| view! { <span class="thread-unread">{unread_label}</span> })}
            </button>
        </li>
    }
}
