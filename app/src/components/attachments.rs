//! Files on their way into the next message: the tray above the composer (name, progress,
//! failure, remove), and dropping files on the conversation.

use leptos::prelude::*;

use crate::live::Chat;
use crate::uploads::{UploadState, human_size};

/// The uploads waiting in `waiting_in` (the room on screen's composer when not given; see
/// [`crate::uploads::thread_slot`]), each with its progress or what went wrong.
#[component]
pub fn UploadTray(
    /// Where the files wait. (Not `slot`: the view macro keeps that word for slots.)
    #[prop(optional, into)]
    waiting_in: Option<Signal<String>>,
    /// The list's element id.
    #[prop(default = "upload-tray")]
    id: &'static str,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let items = move || {
        let key = match waiting_in {
            Some(place) => place.get(),
            None => chat.active.get().unwrap_or_default(),
        };
        chat.uploads
            .with(|uploads| uploads.in_room(&key).cloned().collect::<Vec<_>>())
    };
    view! {
        <Show when=move || !items().is_empty()>
            <ul id=id class="upload-tray" aria-label="Files to send">
                <For each=items key=|upload| (upload.key, upload.percent(), matches!(upload.state, UploadState::Done(_))) let:upload>
                    {
                        let key = upload.key;
                        let (status, failed) = match &upload.state {
                            UploadState::Sending { .. } => (format!("{} %", upload.percent()), false),
                            UploadState::Done(_) => (human_size(upload.size), false),
                            UploadState::Failed(reason) => (reason.clone(), true),
                        };
                        let sending = matches!(upload.state, UploadState::Sending { .. });
                        view! {
                            <li class="upload" class:failed=failed class:sending=sending>
                                <span class="file-name">{upload.name.clone()}</span>
                                <span class="upload-status" role=failed.then_some("alert")>{status}</span>
                                {sending.then(|| view! {
                                    <progress max="100" value=upload.percent().to_string() aria-label=format!("Uploading {}", upload.name)></progress>
                                })}
                                <button
                                    type="button"
                                    class="quiet remove-upload"
                                    aria-label=format!("Remove {}", upload.name)
                                    title="Remove"
                                    on:click=move |_| chat.uploads.update(|u| u.remove(key))
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
        </Show>
    }
}

/// The files of a `FileList` (from a file input, a paste or a drop).
#[cfg(feature = "hydrate")]
#[must_use]
pub fn file_list(list: Option<leptos::web_sys::FileList>) -> Vec<leptos::web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|n| list.get(n)).collect()
}

/// Which message box files are attached to: the room's own, or the open thread's (v1.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilesFor {
    /// The composer of the room on screen.
    Room,
    /// The box of the thread open beside it.
    Thread,
}

impl FilesFor {
    /// Uploads `files` for this box.
    #[cfg(feature = "hydrate")]
    fn attach(self, chat: Chat, files: Vec<leptos::web_sys::File>) {
        match self {
            Self::Room => chat.attach(files),
            Self::Thread => chat.attach_to_thread(files),
        }
    }
}

/// A paste into a message box: files on the clipboard are attached (and not pasted as text).
pub fn paste_files(ev: &leptos::ev::ClipboardEvent, chat: Chat, to: FilesFor) {
    #[cfg(feature = "hydrate")]
    {
        let files = file_list(ev.clipboard_data().and_then(|data| data.files()));
        if !files.is_empty() {
            ev.prevent_default();
            to.attach(chat, files);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, chat, to);
}

/// The paper clip of a message box, and the hidden file input it opens (`{id}-input`).
#[component]
pub fn AttachButton(
    /// The box the files go with.
    to: FilesFor,
    /// The button's element id.
    id: &'static str,
    /// Its tooltip.
    title: &'static str,
    /// Its accessible name.
    label: &'static str,
    /// Whether it is off (uploads need the connection).
    #[prop(into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let file_input = NodeRef::<leptos::html::Input>::new();
    view! {
        <input
            id=format!("{id}-input")
            node_ref=file_input
            type="file"
            multiple
            class="visually-hidden"
            tabindex="-1"
            aria-hidden="true"
            on:change=move |ev: leptos::ev::Event| {
                #[cfg(feature = "hydrate")]
                {
                    use leptos::wasm_bindgen::JsCast;
                    if let Some(input) = ev
                        .target()
                        .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
                    {
                        to.attach(chat, file_list(input.files()));
                        input.set_value("");
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = (ev, chat, to);
            }
        />
        <button
            id=id
            type="button"
            class="quiet attach"
            title=title
            aria-label=label
            disabled=move || disabled.get()
            on:click=move |_| {
                if let Some(input) = file_input.get_untracked() {
                    input.click();
                }
            }
        >
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z"></path>
            </svg>
        </button>
    }
}
