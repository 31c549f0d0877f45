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
