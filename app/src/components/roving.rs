//! One tab stop for the messages of the timeline (a "roving tabindex"): the message last
//! focused, or else the newest, takes Tab with its own buttons and links; every other message
//! and everything in it is out of the tab order. Up and Down (and Home, End) move between
//! messages. Without it every message adds two to six stops, and a keyboard user tabs through
//! the whole history to reach the composer.
//!
//! A message is drawn anew when it changes (a reaction, an edit): if it had the focus, the
//! focus goes to its new drawing instead of falling to the page.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement, KeyboardEvent};

/// Elements that take focus by themselves.
const FOCUSABLE: [&str; 5] = ["A", "BUTTON", "INPUT", "TEXTAREA", "SELECT"];

/// The messages of the timeline `list`, in order.
fn messages(list: &Element) -> Vec<Element> {
    let mut found = Vec::new();
    let mut child = list.first_element_child();
    while let Some(element) = child {
        if element.class_list().contains("msg") {
            found.push(element.clone());
        }
        child = element.next_element_sibling();
    }
    found
}

/// The message `id`'s element, as `data-id` says.
fn message_id(element: &Element) -> Option<i64> {
    element.get_attribute("data-id")?.parse().ok()
}

/// Puts `element` and everything focusable in it in the tab order (`stop`) or out of it.
fn set_stop(element: &Element, stop: bool) {
    let _ = element.set_attribute("tabindex", if stop { "0" } else { "-1" });
    set_stop_inside(element, stop);
}

/// [`set_stop`] for what is inside an element that does not take focus itself.
fn set_stop_inside(element: &Element, stop: bool) {
    let mut child = element.first_element_child();
    while let Some(inner) = child {
        if FOCUSABLE.contains(&inner.tag_name().as_str()) {
            let _ = inner.set_attribute("tabindex", if stop { "0" } else { "-1" });
        } else {
            set_stop_inside(&inner, stop);
        }
        child = inner.next_element_sibling();
    }
}

/// Makes `current` (or, when it is not on screen, the newest message) the timeline's one tab
/// stop, and gives the focus back to `current` if what had the focus in it was just drawn
/// anew (`focused`: the element last focused in a message). Called after every change of
/// what the timeline shows.
pub fn apply(list: &Element, current: Option<i64>, focused: Option<&Element>) {
    let all = messages(list);
    let stop = current
        .and_then(|id| all.iter().position(|m| message_id(m) == Some(id)))
        .or_else(|| all.len().checked_sub(1));
    for (index, message) in all.iter().enumerate() {
        set_stop(message, Some(index) == stop);
    }
    // Only the same message drawn anew gets it back (not the newest after a deletion, which
    // would scroll the reader away).
    let redrawn = current.and_then(|id| all.iter().find(|m| message_id(m) == Some(id)));
    if let (Some(focused), Some(message)) = (focused, redrawn)
        && !focused.is_connected()
        && focus_lost()
        && let Some(message) = message.dyn_ref::<HtmlElement>()
    {
        let _ = message.focus();
    }
}

/// Whether the focus fell to the page (what had it was removed).
fn focus_lost() -> bool {
    leptos::web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| {
            d.active_element()
                .is_none_or(|a| Some(a) == d.body().map(Into::into))
        })
}

/// Gives the focus to message `id` if the focus fell to the page (the button that had it is
/// gone), making it the tab stop.
pub fn focus_if_lost(list: &Element, id: i64, current: RwSignal<Option<i64>>) {
    if !focus_lost() {
        return;
    }
    if let Some(message) = messages(list)
        .into_iter()
        .find(|m| message_id(m) == Some(id))
    {
        current.set(Some(id));
        apply(list, Some(id), None);
        if let Some(message) = message.dyn_ref::<HtmlElement>() {
            // Where the reader was stays put: no scrolling the message into view.
            let options = leptos::web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = message.focus_with_options(&options);
        }
    }
}

/// The message an event happened in.
fn message_of(ev: &leptos::ev::Event) -> Option<Element> {
    ev.target()?
        .dyn_into::<Element>()
        .ok()?
        .closest("li.msg")
        .ok()
        .flatten()
}

/// Focus went somewhere in a message: it becomes the tab stop, and the element is kept in
/// `focused` (see [`apply`]).
pub fn on_focus(
    ev: &leptos::ev::Event,
    current: RwSignal<Option<i64>>,
    focused: StoredValue<Option<Element>, LocalStorage>,
) {
    // Only focus inside a message counts (not the "load older" button).
    let in_message = message_of(ev).is_some();
    let target = ev.target().and_then(|t| t.dyn_into::<Element>().ok());
    focused.set_value(target.filter(|_| in_message));
    if let Some(id) = message_of(ev).as_ref().and_then(message_id)
        && current.get_untracked() != Some(id)
    {
        current.set(Some(id));
    }
}

/// Up, Down, Home and End on a message move to another message (not while typing in it, and
/// not with a modifier: Shift+arrows still select text).
pub fn on_key(ev: &KeyboardEvent, list: &Element, current: RwSignal<Option<i64>>) {
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|t| matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA"));
    if typing || ev.shift_key() || ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
        return;
    }
    let Some(here) = message_of(ev) else { return };
    let all = messages(list);
    let Some(index) = all.iter().position(|m| *m == here) else {
        return;
    };
    let to = match ev.key().as_str() {
        "ArrowUp" => index.checked_sub(1),
        "ArrowDown" => Some(index + 1).filter(|i| *i < all.len()),
        "Home" => Some(0),
        "End" => all.len().checked_sub(1),
        _ => return,
    };
    // At either end the key keeps its usual meaning (scrolling the timeline).
    let Some(target) = to.and_then(|i| all.get(i)) else {
        return;
    };
    ev.prevent_default();
    current.set(message_id(target));
    apply(list, message_id(target), None);
    if let Some(target) = target.dyn_ref::<HtmlElement>() {
        let _ = target.focus();
    }
}
