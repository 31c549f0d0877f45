//! Message search: a dialog opened from the room header (or Ctrl/Cmd+Shift+F) that asks the
//! server, lists the newest matches with the words found highlighted, and opens a match in its
//! room with the messages around it.

use leptos::prelude::*;
use protocol::SearchHit;

use crate::live::Chat;
use crate::time;

/// What the dialog shows under the search box.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Nothing asked yet.
    Idle,
    /// Waiting for the server.
    Searching,
    /// The matches (maybe none).
    Found(Vec<SearchHit>),
    /// The server refused or could not be reached.
    Failed(String),
}

/// The snippet as text with `<mark>`ed words (DOM nodes, never HTML).
fn marked(snippet: &str, highlights: &[[u32; 2]]) -> Vec<AnyView> {
    let chars: Vec<char> = snippet.chars().collect();
    let mut parts = Vec::new();
    let mut at = 0_usize;
    for [from, to] in highlights {
        let (from, to) = (*from as usize, (*to as usize).min(chars.len()));
        if from < at || from >= to {
            continue;
        }
        parts.push(chars[at..from].iter().collect::<String>().into_any());
        let word: String = chars[from..to].iter().collect();
        parts.push(view! { <mark>{word}</mark> }.into_any());
        at = to;
    }
    parts.push(chars[at..].iter().collect::<String>().into_any());
    parts
}

/// The search button and dialog.
#[component]
pub fn MessageSearch() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let shown = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let this_room = RwSignal::new(false);
    let outcome = RwSignal::new(Outcome::Idle);
    let input = NodeRef::<leptos::html::Input>::new();

    let open = move || {
        outcome.set(Outcome::Idle);
        shown.set(true);
    };
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.shift_key() && ev.key().eq_ignore_ascii_case("f")
        {
            ev.prevent_default();
            open();
        }
    });
    on_cleanup(move || handle.remove());
    Effect::new(move |_| {
        if shown.get()
            && let Some(field) = input.get()
        {
            let _ = field.focus();
        }
    });
    let close = move || shown.set(false);
    let run = move || {
        let q = query.get_untracked();
        if q.trim().is_empty() {
            return;
        }
        let room = this_room
            .get_untracked()
            .then(|| chat.with_shown_untracked(|v| v.name.clone()))
            .flatten();
        outcome.set(Outcome::Searching);
        chat.search(q, room, move |answer| {
            outcome.set(match answer {
                Ok(hits) => Outcome::Found(hits),
                Err(problem) => Outcome::Failed(problem),
            });
        });
    };
    let choose = move |hit: &SearchHit| {
        close();
        chat.reveal(hit.message.room.clone(), hit.message.id, hit.message.thread);
    };

    view! {
        <button
            id="open-search"
            type="button"
            class="quiet"
            title="Search messages (Ctrl+Shift+F)"
            aria-label="Search messages"
            on:click=move |_| open()
        >
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M15.5 14h-.79l-.28-.27a6.5 6.5 0 1 0-.7.7l.27.28v.79l5 5 1.5-1.5-5-5zm-6 0a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9z"></path>
            </svg>
        </button>
        <Show when=move || shown.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div
                id="search-dialog"
                class="switcher search"
                role="dialog"
                aria-modal="true"
                aria-label="Search messages"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
            >
                <form
                    class="search-form"
                    role="search"
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        run();
                    }
                >
                    <input
                        id="search-input"
                        node_ref=input
                        type="search"
                        aria-label="Words to find"
                        placeholder="Search messages…"
                        autocomplete="off"
                        maxlength=protocol::validate::SEARCH_MAX.to_string()
                        prop:value=move || query.get()
                        on:input=move |ev| query.set(event_target_value(&ev))
                    />
                    <label class="search-scope">
                        <input
                            id="search-this-room"
                            type="checkbox"
                            prop:checked=move || this_room.get()
                            on:change=move |ev| this_room.set(event_target_checked(&ev))
                        />
                        "This room only"
                    </label>
                    <button type="submit" class="primary">"Search"</button>
                </form>
                <div id="search-results" aria-live="polite">
                    {move || match outcome.get() {
                        Outcome::Idle => view! { <p class="hint">"Every word must appear; the start of a word is enough."</p> }.into_any(),
                        Outcome::Searching => view! { <p class="hint">"Searching…"</p> }.into_any(),
                        Outcome::Failed(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
                        Outcome::Found(hits) if hits.is_empty() => view! { <p class="hint">"No messages found."</p> }.into_any(),
                        Outcome::Found(hits) => view! {
                            <ul class="search-hits" aria-label="Messages found">
                                {hits.into_iter().map(|hit| {
                                    let label = chat
                                        .rooms
                                        .with_untracked(|rooms| rooms.get(&hit.message.room).map(|v| v.label()))
                                        .unwrap_or_else(|| hit.message.room.clone());
                                    let snippet = marked(&hit.snippet, &hit.highlights);
                                    let meta = format!("{} · {}", hit.message.user.username, time::full(hit.message.ts));
                                    view! {
                                        <li>
                                            <button type="button" class="search-hit" on:click=move |_| choose(&hit)>
                                                <span class="hit-room">{label}</span>
                                                <span class="hit-meta">{meta}</span>
                                                <span class="hit-text">{snippet}</span>
                                            </button>
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
