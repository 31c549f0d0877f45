//! Your bots (v1.28): a button in the account menu opens a dialog that lists the bots you own
//! (an admin: every bot), makes one (its API token is shown this once, with a Copy button and
//! an example), gives one a new token, and deletes one after a confirmation.

use leptos::prelude::*;
use protocol::{Bot, BotTokenRes, events::chat};

use super::webhooks::{copy, page_origin};
use crate::live::Chat;
use crate::time;

/// What the dialog's list shows.
#[derive(Debug, Clone, PartialEq)]
enum Listing {
    /// Waiting for the server.
    Loading,
    /// The bots (maybe none), the newest first.
    Bots(Vec<Bot>),
    /// The server refused or could not be reached.
    Failed(String),
}

/// The "Bots" button of the account menu and its dialog.
#[component]
pub fn BotsButton() -> impl IntoView {
    let Some(chat) = use_context::<Chat>() else {
        return ().into_any();
    };
    let shown = RwSignal::new(false);
    let listing = RwSignal::new(Listing::Loading);
    let made = RwSignal::new(None::<BotTokenRes>);
    let problem = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let creating = RwSignal::new(false);
    // Which row asks "Delete?" (or "New token?") a second time, by the bot's id.
    let confirming = RwSignal::new(None::<(i64, Ask)>);
    let reload = move || {
        chat.bots(move |answer| {
            listing.set(match answer {
                Ok(bots) => Listing::Bots(bots),
                Err(problem) => Listing::Failed(problem),
            });
        });
    };
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
        // The token goes with the dialog: it is not left in the page.
        made.set(None);
        if let Some(button) = opener.get_untracked() {
            let _ = button.focus();
        }
    };
    let create = move || {
        let wanted = name.get_untracked().trim().to_owned();
        if wanted.is_empty() || creating.get_untracked() {
            return;
        }
        creating.set(true);
        problem.set(None);
        chat.create_bot(wanted, move |answer| {
            creating.set(false);
            match answer {
                Ok(created) => {
                    made.set(Some(created));
                    name.set(String::new());
                    reload();
                }
                // The name stays, to be corrected.
                Err(refusal) => problem.set(Some(refusal)),
            }
        });
    };
    let act = move |id: i64, ask: Ask| {
        if confirming.get_untracked() != Some((id, ask)) {
            confirming.set(Some((id, ask)));
            return;
        }
        confirming.set(None);
        problem.set(None);
        let after = move || {
            // The row's button may go: the keyboard stays in the dialog.
            if let Some(input) = name_input.get_untracked() {
                let _ = input.focus();
            }
        };
        match ask {
            Ask::Delete => chat.delete_bot(id, move |answer| {
                match answer {
                    Ok(()) => {
                        if made.get_untracked().is_some_and(|m| m.bot.id == id) {
                            made.set(None);
                        }
                        reload();
                    }
                    Err(refusal) => problem.set(Some(refusal)),
                }
                after();
            }),
            Ask::NewToken => chat.bot_token(id, move |answer| match answer {
                Ok(renewed) => made.set(Some(renewed)),
                Err(refusal) => {
                    problem.set(Some(refusal));
                    after();
                }
            }),
        }
    };

    view! {
        <button
            id="open-bots"
            node_ref=opener
            type="button"
            class="quiet"
            on:click=move |_| open()
        >
            "Bots…"
        </button>
        <Show when=move || shown.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div
                id="bots-dialog"
                class="switcher webhooks bots"
                role="dialog"
                aria-modal="true"
                aria-labelledby="bots-title"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
            >
                <div class="dialog-head">
                    <h2 id="bots-title">"Bots"</h2>
                    <button type="button" class="quiet" on:click=move |_| close()>"Close"</button>
                </div>
                <p class="hint">
                    "A bot is an account for a program: it signs in with its token, speaks the "
                    "same Socket.IO contract as this app (see docs/PROTOCOL.md), shows as a bot, "
                    "and can answer its own /commands. It stops if your account does."
                </p>
                <form
                    class="webhook-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        create();
                    }
                >
                    <label for="bot-name">"Bot name"</label>
                    <input
                        id="bot-name"
                        node_ref=name_input
                        type="text"
                        maxlength="32"
                        autocomplete="off"
                        placeholder="deploy-bot"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <button
                        type="submit"
                        id="create-bot"
                        disabled=move || creating.get() || name.get().trim().is_empty()
                    >
                        "Create bot"
                    </button>
                </form>
                {move || problem.get().map(|problem| view! { <p class="form-error" role="alert">{problem}</p> })}
                {move || made.get().map(|made| view! { <NewToken made/> })}
                <div id="bot-list" aria-live="polite">
                    {move || match listing.get() {
                        Listing::Loading => view! { <p class="hint">"Loading…"</p> }.into_any(),
                        Listing::Failed(problem) => view! { <p class="form-error" role="alert">{problem}</p> }.into_any(),
                        Listing::Bots(bots) if bots.is_empty() => view! {
                            <p class="hint">"No bots yet."</p>
                        }.into_any(),
                        Listing::Bots(bots) => view! {
                            <ul class="webhook-list" aria-label="Bots">
                                {bots.into_iter().map(|bot| bot_row(bot, confirming, act)).collect_view()}
                            </ul>
                        }.into_any(),
                    }}
                </div>
            </div>
        </Show>
    }
    .into_any()
}

/// What a row's button asks to do, a second click confirming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Give the bot a new token (the old one stops working).
    NewToken,
    /// Delete the bot.
    Delete,
}

/// One bot of the list, with its New token and Delete buttons.
fn bot_row(
    bot: Bot,
    confirming: RwSignal<Option<(i64, Ask)>>,
    act: impl Fn(i64, Ask) + Copy + 'static,
) -> impl IntoView {
    let id = bot.id;
    let asking = move |ask: Ask| confirming.get() == Some((id, ask));
    let made_by = match &bot.owner {
        Some(owner) => format!("{} · made {}", owner.username, time::full(bot.created_ts)),
        None => format!("made {}", time::full(bot.created_ts)),
    };
    let (name, name2) = (bot.username.clone(), bot.username.clone());
    view! {
        <li>
            <span class="webhook-name">
                {bot.username.clone()}
                " "<span class="bot-badge">"bot"</span>
            </span>
            <span class="hint">{made_by}</span>
            <button
                type="button"
                class="quiet bot-token"
                class:danger=move || asking(Ask::NewToken)
                aria-label=move || if asking(Ask::NewToken) {
                    format!("Really replace the token of {name}? The old one stops working")
                } else {
                    format!("New token for {name}")
                }
                on:click=move |_| act(id, Ask::NewToken)
            >
                {move || if asking(Ask::NewToken) { "Really replace?" } else { "New token" }}
            </button>
            <button
                type="button"
                class="quiet delete-webhook delete-bot"
                class:danger=move || asking(Ask::Delete)
                aria-label=move || if asking(Ask::Delete) {
                    format!("Really delete the bot {name2}?")
                } else {
                    format!("Delete the bot {name2}")
                }
                on:click=move |_| act(id, Ask::Delete)
            >
                {move || if asking(Ask::Delete) { "Really delete?" } else { "Delete" }}
            </button>
        </li>
    }
}

/// A bot's new token, shown once: selectable, copyable, with an example.
#[component]
fn NewToken(made: BotTokenRes) -> impl IntoView {
    // Whether the last Copy worked (`None`: not tried).
    let copied = RwSignal::new(None::<bool>);
    let token = made.token.clone();
    let field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = field.get() {
            let _ = input.focus();
        }
    });
    let example = format!(
        "io(\"{}{}\", {{ auth: {{ token: \"{}\" }} }})",
        page_origin(),
        chat::NS,
        made.token
    );
    view! {
        <div class="webhook-made" role="status">
            <p>
                "The token of "<strong>{made.bot.username.clone()}</strong>" is shown only now; "
                "whoever has it speaks as the bot, so keep it like a password."
            </p>
            <div class="webhook-url">
                <input
                    id="bot-token"
                    node_ref=field
                    type="text"
                    readonly
                    aria-label="The bot's API token"
                    value=made.token.clone()
                />
                <button
                    type="button"
                    id="copy-bot-token"
                    on:click=move |_| {
                        let token = token.clone();
                        copy(token, move |done| {
                            copied.set(Some(done));
                            if !done && let Some(input) = field.get_untracked() {
                                let _ = input.focus();
                                #[cfg(feature = "hydrate")]
                                input.select();
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
                <p class="hint" role="status">"This browser does not let the page copy: the token is selected, press Ctrl+C (⌘C)."</p>
            })}
            <p class="hint">"With socket.io-client, for example:"</p>
            <pre class="webhook-example"><code>{example}</code></pre>
        </div>
    }
}
