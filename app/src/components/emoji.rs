//! Picking any emoji (v1.17): a searchable picker over the server's catalogue, used for
//! reactions ("More reactions…" opens it over the conversation) and in the composer (the
//! smiley button). The catalogue is loaded once, the first time something needs it.

use std::sync::Arc;

use leptos::prelude::*;
use protocol::http::EmojiCatalog;

use crate::emoji;
use crate::live::Chat;

/// Results shown for a search.
const RESULTS_MAX: usize = 120;

/// Emoji a row of the grid holds (arrow keys move by rows of this many).
const COLUMNS: usize = 8;

/// Starts loading the catalogue, once per page (in the browser; the server's render has no
/// use for it).
pub fn load(chat: Chat) {
    if chat.emoji_asked.get_untracked() {
        return;
    }
    chat.emoji_asked.set(true);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        match crate::api::emoji_catalog().await {
            Some(catalog) => {
                chat.emoji_failed.set(false);
                chat.emoji.set(Some(Arc::new(catalog)));
            }
            // Asked again the next time someone types or opens a picker.
            None => {
                chat.emoji_asked.set(false);
                chat.emoji_failed.set(true);
            }
        }
    });
}

/// The catalogue, once loaded (asking for it the first time).
pub fn catalog(chat: Chat) -> Option<Arc<EmojiCatalog>> {
    load(chat);
    chat.emoji.get()
}

/// A searchable emoji picker: a search box, the groups, and a grid. Enter in the box picks the
/// first result; arrow keys move through the grid; Escape closes.
#[component]
pub fn EmojiPicker(
    /// Called with the chosen emoji.
    on_pick: Callback<String>,
    /// Called when Escape closes the picker.
    on_close: Callback<()>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let query = RwSignal::new(String::new());
    let group = RwSignal::new(0_usize);
    let search_box = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search_box.get() {
            let _ = input.focus();
        }
    });
    let shown = Memo::new(move |_| {
        // Read first: typing (or another group) tries a failed load again.
        let query = query.get();
        let group_shown = group.get();
        let catalog = catalog(chat)?;
        let found: Vec<(String, String)> = if query.trim().is_empty() {
            emoji::in_group(&catalog, group_shown)
                .map(|info| (info.emoji.clone(), info.name.clone()))
                .collect()
        } else {
            emoji::search(&catalog, &query, RESULTS_MAX)
                .into_iter()
                .map(|info| (info.emoji.clone(), info.name.clone()))
                .collect()
        };
        Some(found)
    });
    let groups = move || {
        let catalog = catalog(chat)?;
        let tabs = catalog
            .groups
            .iter()
            .enumerate()
            .map(|(n, name)| {
                let icon = emoji::in_group(&catalog, n)
                    .next()
                    .map(|info| info.emoji.clone())
                    .unwrap_or_default();
                view! {
                    <button
                        type="button"
                        class="quiet emoji-group"
                        title=name.clone()
                        aria-label=name.clone()
                        aria-pressed=move || (group.get() == n && query.with(|q| q.trim().is_empty())).to_string()
                        on:click=move |_| {
                            query.set(String::new());
                            group.set(n);
                        }
                    >
                        {icon}
                    </button>
                }
            })
            .collect_view();
        Some(tabs)
    };
    let pick = move |emoji: String| on_pick.run(emoji);
    let on_search_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        // The best match of a search (not the first of a group nobody searched).
        "Enter" if !ev.is_composing() && query.with_untracked(|q| !q.trim().is_empty()) => {
            ev.prevent_default();
            if let Some((first, _)) = shown
                .get_untracked()
                .and_then(|found| found.into_iter().next())
            {
                pick(first);
            }
        }
        "ArrowDown" => {
            ev.prevent_default();
            focus_cell(&ev, 0);
        }
        _ => {}
    };
    view! {
        <div
            class="emoji-full"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    ev.stop_propagation();
                    on_close.run(());
                }
            }
        >
            <input
                class="emoji-search"
                type="search"
                node_ref=search_box
                placeholder="Search emoji"
                aria-label="Search emoji"
                autocomplete="off"
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=on_search_key
            />
            <div class="emoji-groups" role="group" aria-label="Emoji groups">{groups}</div>
            <div
                class="emoji-grid"
                role="group"
                aria-label=move || if query.with(|q| q.trim().is_empty()) { "Emoji" } else { "Emoji found" }
                on:keydown=move_in_grid
            >
                {move || match shown.get() {
                    None if chat.emoji_failed.get() => view! {
                        <p class="emoji-note">"The emoji could not be loaded (offline?). Type to try again."</p>
                    }
                    .into_any(),
                    None => view! { <p class="emoji-note">"Loading emoji…"</p> }.into_any(),
                    Some(found) if found.is_empty() => {
                        view! { <p class="emoji-note">"No emoji matches that."</p> }.into_any()
                    }
                    Some(found) => found
                        .into_iter()
                        .enumerate()
                        .map(|(n, (emoji, name))| {
                            let chosen = emoji.clone();
                            view! {
                                <button
                                    type="button"
                                    class="quiet emoji-cell"
                                    data-cell=n
                                    title=name.clone()
                                    aria-label=name
                                    tabindex=if n == 0 { "0" } else { "-1" }
                                    on:click=move |_| pick(chosen.clone())
                                >
                                    {emoji}
                                </button>
                            }
                        })
                        .collect_view()
                        .into_any(),
                }}
            </div>
        </div>
    }
}

/// Arrow keys in the grid: left and right by one, up and down by a row.
fn move_in_grid(ev: leptos::ev::KeyboardEvent) {
    let step: isize = match ev.key().as_str() {
        "ArrowLeft" => -1,
        "ArrowRight" => 1,
        "ArrowUp" => -(COLUMNS as isize),
        "ArrowDown" => COLUMNS as isize,
        _ => return,
    };
    ev.prevent_default();
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let here = ev
            .target()
            .and_then(|target| target.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|element| element.get_attribute("data-cell"))
            .and_then(|cell| cell.parse::<isize>().ok());
        if let Some(here) = here {
            focus_cell(
                &ev,
                usize::try_from((here + step).max(0)).unwrap_or_default(),
            );
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = step;
}

/// Gives the keyboard to cell `n` of the picker the event happened in (the last cell when
/// there are fewer).
fn focus_cell(ev: &leptos::ev::KeyboardEvent, n: usize) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let picker = ev
            .target()
            .and_then(|target| target.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|element| element.closest(".emoji-full").ok().flatten());
        let Some(picker) = picker else { return };
        let Ok(cells) = picker.query_selector_all(".emoji-cell") else {
            return;
        };
        let count = cells.length();
        if count == 0 {
            return;
        }
        let target = u32::try_from(n).unwrap_or(u32::MAX).min(count - 1);
        for index in 0..count {
            if let Some(cell) = cells
                .item(index)
                .and_then(|node| node.dyn_into::<leptos::web_sys::HtmlElement>().ok())
            {
                let _ = cell.set_attribute("tabindex", if index == target { "0" } else { "-1" });
                if index == target {
                    let _ = cell.focus();
                }
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, n);
}

/// "More reactions": the full picker over the conversation for the message in
/// [`Chat::reacting_more`]; the pick reacts (or takes the reaction back), and the keyboard
/// goes back to the message.
#[component]
pub fn ReactionDialog() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let close = move || {
        if let Some(id) = chat.reacting_more.get_untracked() {
            chat.reacting_more.set(None);
            focus_message(id);
        }
    };
    view! {
        {move || chat.reacting_more.get().map(|id| {
            let on_pick = Callback::new(move |emoji: String| {
                emoji::used(&emoji);
                chat.toggle_reaction(id, emoji);
                close();
            });
            let on_close = Callback::new(move |()| close());
            view! {
                <div class="emoji-backdrop" on:click=move |_| close()></div>
                <div
                    id="reaction-dialog"
                    class="emoji-dialog"
                    role="dialog"
                    aria-modal="true"
                    aria-label="Add a reaction"
                    // Escape from anywhere in it (the picker handles its own first).
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
                >
                    <div class="emoji-dialog-bar">
                        <h2>"Add a reaction"</h2>
                        <button type="button" class="quiet" on:click=move |_| close()>"Close"</button>
                    </div>
                    <EmojiPicker on_pick=on_pick on_close=on_close/>
                </div>
            }
        })}
    }
}

/// Gives the keyboard back to message `id` in the timeline.
fn focus_message(id: i64) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let row = leptos::prelude::document()
            .get_element_by_id(&protocol::links::message_anchor(id))
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(row) = row {
            let _ = row.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}
