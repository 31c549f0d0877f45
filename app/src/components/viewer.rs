//! The image viewer: an image in a message opens over the conversation, as large as the screen
//! allows, with its name, size and a download link; Escape, the close button or a click beside
//! it closes it. (A click with a modifier key, or without script, still opens the file itself.)

use leptos::prelude::*;

use crate::live::Chat;

/// The viewer, shown while [`Chat::viewing`] holds an image.
#[component]
pub fn ImageViewer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let close = move || chat.viewing.set(None);
    // What had the keyboard when the viewer opened (the image's link) gets it back on close.
    #[cfg(feature = "hydrate")]
    {
        let opener = StoredValue::new_local(None::<leptos::web_sys::HtmlElement>);
        Effect::new(move |was_open: Option<bool>| {
            use leptos::wasm_bindgen::JsCast;
            let open = chat.viewing.with(Option::is_some);
            let document = leptos::prelude::document();
            if open && was_open != Some(true) {
                let active = document
                    .active_element()
                    .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
                opener.set_value(active);
            } else if !open
                && was_open == Some(true)
                && let Some(element) = opener.get_value()
            {
                let _ = element.focus();
            }
            open
        });
    }
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if chat.viewing.with(Option::is_some)
            && let Some(button) = close_button.get()
        {
            let _ = button.focus();
        }
    });
    view! {
        {move || chat.viewing.get().map(|file| {
            let size = crate::uploads::human_size(file.size);
            view! {
                <div class="viewer-backdrop" on:click=move |_| close()></div>
                <div
                    id="image-viewer"
                    class="viewer"
                    role="dialog"
                    aria-modal="true"
                    aria-label=file.name.clone()
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
                >
                    <div class="viewer-bar">
                        <span class="viewer-name">{file.name.clone()}</span>
                        <span class="viewer-size">{size}</span>
                        <a class="button quiet" href=file.url.clone() download=file.name.clone()>"Download"</a>
                        <button type="button" class="quiet" node_ref=close_button on:click=move |_| close()>"Close"</button>
                    </div>
                    <img class="viewer-image" src=file.url.clone() alt=file.name.clone()/>
                </div>
            }
        })}
    }
}
