//! A room's incoming webhooks (v1.19), for whoever runs the room (its creator, or an admin): a
//! button in the room header opens a dialog that lists them, makes one (its secret address is
//! shown this once, with a Copy button and an example), and deletes one after a confirmation.

use leptos::prelude::*;
use protocol::Webhook;

use crate::live::Chat;
use crate::time;

/// What the dialog's list shows.
#[derive(Debug, Clone, PartialEq)]
enum Listing {
    /// Waiting for the server.
    Loading,
    /// The webhooks (maybe none), the newest first.
    Webhooks(Vec<Webhook>),
    /// The server refused or could not be reached.
    Failed(String),
}

/// A webhook just made: whose address is shown, and the address (from this page's origin).
#[derive(Debug, Clone, PartialEq)]
struct Made {
    /// The bot's name.
    name: String,
    /// The whole secret address.
    url: String,
}

/// The "Webhooks" button and its dialog, for a room on screen the reader runs (not a DM).
#[component]
pub fn RoomWebhooks() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let shown = RwSignal::new(false);
    let listing = RwSignal::new(Listing::Loading);
    let made = RwSignal::new(None::<Made>);
    let problem = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let creating = RwSignal::new(false);
    // Which row asks "Delete?" a second time.
    let confirming = RwSignal::new(None::<String>);
    let room = Memo::new(move |_| chat.with_shown(|view| view.name.clone()));
    let runs_room = move || {
        let me = chat.me.get();
        chat.with_shown(|view| {
            !view.is_direct()
                && me.as_ref().is_some_and(|me| {
                    me.role == protocol::Role::Admin || view.created_by == Some(me.id)
                })
        }) == Some(true)
    };
    let reload = move || {
        let Some(room) = room.get_untracked() else {
            return;
        };
        chat.webhooks(room, move |answer| {
            listing.set(match answer {
                Ok(webhooks) => Listing::Webhooks(webhooks),
                Err(problem) => Listing::Failed(problem),
            });
        });
    };
    // Another room on screen: the dialog closes (its list was that room's).
    Effect::new(move |_| {
        let _ = room.get();
        shown.set(false);
    });
    let name_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if shown.get()
            && let Some(input) = name_input.get()
        {
            let _ = input.focus();
        }
    });
    let opener = NodeRef::<leptos::html::Button>::new();
    let open = move || {
        listing.set(Listing::Loading);
        made.set(None);
        problem.set(None);
        confirming.set(None);
        shown.set(true);
        reload();
    };
    let close = move || {
        shown.set(false);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    let create = move || {
        let wanted = name.get_untracked().trim().to_owned();
        if wanted.is_empty() || creating.get_untracked() {
            return;
        }
        let Some(room) = room.get_untracked() else {
            return;
        };
        creating.set(true);
        problem.set(None);
        chat.create_webhook(room, wanted, move |answer| {
            creating.set(false);
            match answer {
                Ok(created) => {
                    // The server gives the whole address when it knows its public one.
                    let url = if created.url.starts_with('/') {
                        format!("{}{}", page_origin(), created.url)
                    } else {
                        created.url
                    };
                    made.set(Some(Made {
                        name: created.webhook.bot.username.clone(),
                        url,
                    }));
                    name.set(String::new());
                    reload();
                }
                // The name stays, to be corrected.
                Err(refusal) => problem.set(Some(refusal)),
            }
        });
    };
    let delete = move |id: String| {
        if confirming.get_untracked().as_deref() != Some(id.as_str()) {
            confirming.set(Some(id));
            return;
        }
        confirming.set(None);
        chat.delete_webhook(id, move |answer| {
            match answer {
                Ok(()) => reload(),
                Err(refusal) => problem.set(Some(refusal)),
            }
            // The row (and its button) goes: the keyboard stays in the dialog.
            if let Some(input) = name_input.get_untracked() {
                let _ = input.focus();
            }
        });
    };

    view! {
        <Show when=runs_room>
            <button
                id="open-webhooks"
                node_ref=opener
                type="button"
                class="quiet"
                title="Webhooks: let programs post here"
                aria-label="Webhooks"
                on:click=move |_| open()
            >
                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d=HOOK_ICON></path>
                </svg>
            </button>
        </Show>
        <Show when=move || shown.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div
                id="webhooks-dialog"
                class="switcher webhooks"
                role="dialog"
                aria-modal="true"
                aria-labelledby="webhooks-title"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
            >
                <div class="dialog-head">
                    <h2 id="webhooks-title">{move || format!("Webhooks of {}", room.get().unwrap_or_default())}</h2>
                    <button type="button" class="quiet" on:click=move |_| close()>"Close"</button>
                </div>
                <p class="hint">
                    "A webhook is a secret address where a program (CI, monitoring, a script) posts "
                    "messages to this room as a bot: send JSON "<code>"{\"text\": \"…\"}"</code>" to it."
                </p>
                <form
                    class="webhook-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        create();
                    }
                >
                    <label for="webhook-name">"Bot name"</label>
                    <input
                        id="webhook-name"
                        node_ref=name_input
                        type="text"
                        maxlength="32"
                        autocomplete="off"
                        placeholder="ci"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <button
                        type="submit"
                        id="create-webhook"
                        disabled=move || creating.get() || name.get().trim().is_empty()
                    >
                        "Create webhook"
                    </button>
                </form>
                {move || problem.get().map(|problem| view! { <p class="form-error" role="alert">{problem}</p> })}
                {move || made.get().map(|made| view! { <NewAddress made/> })}
                <div id="webhook-list" aria-live="polite">
                    {move || match listing.get() {
                        Listing::Loading => view! { <p class="hint">"Loading…"</p> }.into_any(),
                        Listing::Failed(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
                        Listing::Webhooks(webhooks) if webhooks.is_empty() => view! {
                            <p class="hint">"This room has no webhooks yet."</p>
                        }.into_any(),
                        Listing::Webhooks(webhooks) => view! {
                            <ul class="webhook-list" aria-label="This room's webhooks">
                                {webhooks.into_iter().map(|webhook| {
                                    let id = webhook.id.clone();
                                    let asking = {
                                        let id = id.clone();
                                        move || confirming.get().as_deref() == Some(id.as_str())
                                    };
                                    let label = asking.clone();
                                    let spoken = asking.clone();
                                    let bot = webhook.bot.username.clone();
                                    let made_by = match &webhook.created_by {
                                        Some(by) => format!("made by {} · {}", by.username, time::full(webhook.created_ts)),
                                        None => format!("made {}", time::full(webhook.created_ts)),
                                    };
                                    view! {
                                        <li>
                                            <span class="webhook-name">
                                                {webhook.bot.username.clone()}
                                                " "<span class="bot-badge">"bot"</span>
                                            </span>
                                            <span class="hint">{made_by}</span>
                                            <button
                                                type="button"
                                                class="quiet delete-webhook"
                                                class:danger=asking
                                                aria-label=move || if spoken() {
                                                    format!("Really delete the webhook {bot}?")
                                                } else {
                                                    format!("Delete the webhook {bot}")
                                                }
                                                on:click=move |_| delete(id.clone())
                                            >
                                                {move || if label() { "Really delete?" } else { "Delete" }}
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

/// A new webhook's secret address, shown once: selectable, copyable, with an example.
#[component]
fn NewAddress(made: Made) -> impl IntoView {
    // Whether the last Copy worked (`None`: not tried).
    let copied = RwSignal::new(None::<bool>);
    let url = made.url.clone();
    // The keyboard goes to the address, selected, ready to copy.
    let field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = field.get() {
            let _ = input.focus();
        }
    });
    let example = format!(
        "curl -X POST -H 'Content-Type: application/json' -d '{{\"text\": \"Hello from {}\"}}' {}",
        made.name, made.url
    );
    view! {
        <div class="webhook-made" role="status">
            <p>
                "The webhook "<strong>{made.name.clone()}</strong>" is ready. Its address is shown "
                "only now; whoever has it can post here, so keep it like a password."
            </p>
            <div class="webhook-url">
                <input
                    id="webhook-url"
                    node_ref=field
                    type="text"
                    readonly
                    aria-label="The webhook's secret address"
                    value=made.url.clone()
                    on:focus=move |ev| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                input.select();
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                />
                <button
                    type="button"
                    id="copy-webhook-url"
                    on:click=move |_| {
                        let url = url.clone();
                        copy(url, move |done| {
                            copied.set(Some(done));
                            if !done && let Some(input) = field.get_untracked() {
                                let _ = input.focus();
                            }
                        });
                    }
                >
                    {move || match copied.get() {
                        Some(true) => "Copied",
                        _ => "Copy",
                    }}
                </button>
            </div>
            {move || (copied.get() == Some(false)).then(|| view! {
                <p class="hint" role="status">"This browser does not let the page copy: the address is selected, press Ctrl+C (⌘C)."</p>
            })}
            <p class="hint">"For example:"</p>
            <pre class="webhook-example"><code>{example}</code></pre>
        </div>
    }
}

/// This page's origin (`https://chat.example`), which the server's relative address goes after.
pub(super) fn page_origin() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return origin;
    }
    String::new()
}

/// Puts `text` on the clipboard where the browser allows it (a secure page), then tells
/// `done` whether it did.
pub(super) fn copy(text: String, done: impl FnOnce(bool) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let Some(window) = web_sys::window() else {
            done(false);
            return;
        };
        // Absent on pages that are not secure (plain HTTP on a LAN address).
        let navigator = window.navigator();
        let available = js_sys::Reflect::get(navigator.as_ref(), &JsValue::from_str("clipboard"))
            .is_ok_and(|clipboard| !clipboard.is_undefined());
        if !available {
            done(false);
            return;
        }
        let promise = navigator.clipboard().write_text(&text);
        leptos::task::spawn_local(async move {
            done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        done(false);
    }
}

/// A hook: the webhooks button's icon.
const HOOK_ICON: &str = "M10.6 13.4a1 1 0 0 1 0-1.4l3.5-3.5a3 3 0 1 1 4.2 4.2l-2 2-1.4-1.4 2-2a1 1 0 1 0-1.4-1.4L12 13.4a1 1 0 0 1-1.4 0zm2.8-2.8a1 1 0 0 1 0 1.4l-3.5 3.5a3 3 0 1 1-4.2-4.2l2-2 1.4 1.4-2 2a1 1 0 1 0 1.4 1.4L12 10.6a1 1 0 0 1 1.4 0z";
