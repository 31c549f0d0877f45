//! What every modal dialog does with the keyboard (WAI-ARIA's dialog pattern): Escape closes
//! it, and Tab and Shift+Tab go round its controls without ever leaving it, since what is
//! behind it cannot be used while it is open.

use leptos::ev::KeyboardEvent;

/// What a control of a dialog that Tab can reach looks like (disabled ones and those taken out
/// of the tab order excepted).
#[cfg(feature = "hydrate")]
const TABBABLE: &str = "a[href]:not([tabindex='-1']), button:not([disabled]):not([tabindex='-1']), \
     input:not([disabled]):not([tabindex='-1']), select:not([disabled]):not([tabindex='-1']), \
     textarea:not([disabled]):not([tabindex='-1']), [tabindex]:not([tabindex='-1'])";

/// The keys of a modal dialog, for the `on:keydown` of its `role="dialog"` element: Escape
/// calls `close`, Tab stays inside.
pub fn modal_keys(ev: &KeyboardEvent, close: impl FnOnce()) {
    if ev.key() == "Escape" {
        ev.prevent_default();
        close();
    } else {
        keep_tab_inside(ev);
    }
}

/// Tab and Shift+Tab go round the controls of the dialog the event is handled on (its
/// `current_target`): from the last to the first and back; from outside it, to its first or
/// last.
pub fn keep_tab_inside(ev: &KeyboardEvent) {
    #[cfg(feature = "hydrate")]
    if ev.key() == "Tab" {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{Element, HtmlElement};
        let Some(dialog) = ev
            .current_target()
            .and_then(|target| target.dyn_into::<Element>().ok())
        else {
            return;
        };
        let Ok(found) = dialog.query_selector_all(TABBABLE) else {
            return;
        };
        // Only what is shown (a control in a closed part has no offset parent).
        let controls: Vec<HtmlElement> = (0..found.length())
            .filter_map(|index| found.item(index))
            .filter_map(|node| node.dyn_into::<HtmlElement>().ok())
            .filter(|control| control.offset_parent().is_some())
            .collect();
        let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
            ev.prevent_default();
            return;
        };
        let active = leptos::prelude::document().active_element();
        let at = |control: &HtmlElement| {
            active.as_ref().is_some_and(|active| {
                let control: &Element = control;
                active == control
            })
        };
        // Focus somewhere else in the dialog (a control out of the tab order) moves on as
        // the browser moves it; focus outside it comes back in.
        let inside = active.as_ref().is_some_and(|active| {
            let node: &leptos::web_sys::Node = active;
            dialog.contains(Some(node))
        });
        if ev.shift_key() && (at(first) || !inside) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && (at(last) || !inside) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}
