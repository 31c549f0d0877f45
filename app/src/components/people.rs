//! The people directory: everyone on this server, searchable, with who is online, away (online
//! but not acting for a while) or offline. Picking
//! someone opens your DM with them, whether or not you share a room or they are online;
//! ticking two to seven people starts (or reopens) a group conversation with them.

use leptos::prelude::*;
use protocol::Person;

use super::members::role_badge;
use super::message::{avatar, handle_if_named, shown_name};
use crate::live::{Chat, Drawer};

/// The "People" button and the directory it opens.
#[component]
pub fn PeopleDirectory() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let people = RwSignal::new(Vec::<Person>::new());
    let more = RwSignal::new(false);
    let loaded = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Answers to an older query are dropped.
    let asked = StoredValue::new(0_u64);
    let input = NodeRef::<leptos::html::Input>::new();
    // Ticked for a group conversation, in the order ticked (kept across searches).
    let picked = RwSignal::new(Vec::<String>::new());
    let others_max = protocol::validate::GROUP_DM_PEOPLE_MAX - 1;

    let load = move |after: Option<String>| {
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        let appending = after.is_some();
        chat.find_people(query.get_untracked(), after, move |answer| {
            // An older ask's answer, or the dialog closed meanwhile (its values gone).
            if asked.try_get_value() != Some(this) {
                return;
            }
            loaded.set(true);
            match answer {
                Ok(page) => {
                    problem.set(None);
                    more.set(page.more);
                    if appending {
                        people.update(|list| list.extend(page.people));
                    } else {
                        people.set(page.people);
                    }
                }
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    // The first page when the directory opens, and again once typing pauses.
    let typed = StoredValue::new(0_u64);
    Effect::new(move |previous: Option<bool>| {
        let _ = query.get();
        let is_open = open.get();
        if is_open {
            if previous == Some(true) {
                typed.update_value(|n| *n += 1);
                let this = typed.get_value();
                set_timeout(
                    move || {
                        // The dialog may be gone by then (another page opened).
                        if typed.try_get_value() == Some(this) {
                            load(None);
                        }
                    },
                    super::switcher::TYPING_PAUSE,
                );
            } else {
                load(None);
            }
        }
        is_open
    });
    Effect::new(move |_| {
        if open.get()
            && let Some(field) = input.get()
        {
            let _ = field.focus();
        }
    });
    let close = move || open.set(false);
    let write_to = move |name: String| {
        close();
        chat.drawer.set(Drawer::Closed);
        chat.dm(name);
    };
    let me = move || chat.me.with_untracked(|me| me.as_ref().map(|u| u.id));
    let toggle = move |name: String, on: bool| {
        picked.update(|list| {
            list.retain(|other| other != &name);
            if on && list.len() < others_max {
                list.push(name);
            }
        });
    };
    let start_group = move || {
        let names = picked.get_untracked();
        if names.len() < protocol::validate::GROUP_DM_OTHERS_MIN {
            return;
        }
        // The picks stay until the group opens: a refusal is shown here, to correct.
        chat.group_dm(names, move |done| match done {
            Ok(()) => {
                picked.set(Vec::new());
                close();
                chat.drawer.set(Drawer::Closed);
            }
            Err(text) => problem.set(Some(text)),
        });
    };

    view! {
        <button
            type="button"
            id="people-button"
            class="people-button"
            on:click=move |_| {
                query.set(String::new());
                loaded.set(false);
                picked.set(Vec::new());
                problem.set(None);
                open.set(true);
            }
        >
            "People…"
        </button>
        <Show when=move || open.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div
                id="people-dialog"
                class="switcher people-dialog"
                role="dialog"
                aria-modal="true"
                aria-label="People"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
            >
                <div class="people-head">
                    <h2>"People"</h2>
                    <button type="button" class="quiet" aria-label="Close" on:click=move |_| close()>"✕"</button>
                </div>
                <input
                    id="people-search"
                    node_ref=input
                    type="search"
                    aria-label="Find someone"
                    placeholder="Find someone by name…"
                    autocomplete="off"
                    maxlength=protocol::validate::PEOPLE_QUERY_MAX.to_string()
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
                <ul id="people-list" class="people-list" aria-label="People">
                    <For
                        each=move || people.get()
                        key=|person| (person.user.id, person.online, person.away)
                        children=move |person| {
                            let name = person.user.username.clone();
                            let is_me = me() == Some(person.user.id);
                            view! {
                                <li class="person" data-user=name.clone()>
                                    {avatar(person.user.id, &name)}
                                    <span class="person-who">
                                        <span class="person-name">
                                            {shown_name(person.user.id, &name)}
                                            " "
                                            {handle_if_named(person.user.id, &name)}
                                        </span>
                                        {person.status.clone().map(|status| view! {
                                            <span class="person-status">{status}</span>
                                        })}
                                    </span>
                                    {if person.bot {
                                        view! { <span class="bot-badge">"bot"</span> }.into_any()
                                    } else {
                                        role_badge(person.user.role).into_any()
                                    }}
                                    {presence(&person, is_me)}
                                    {if is_me {
                                        view! { <span class="you">"(you)"</span> }.into_any()
                                    } else {
                                        let label = format!("Message {name}");
                                        let pick_label = format!("Add {name} to a group");
                                        let pick_title = pick_label.clone();
                                        let ticked = {
                                            let name = name.clone();
                                            Signal::derive(move || picked.with(|list| list.contains(&name)))
                                        };
                                        let full = move || picked.with(Vec::len) >= others_max;
                                        let pick_name = name.clone();
                                        let name = name.clone();
                                        view! {
                                            <label class="pick-person" title=pick_title>
                                                <input
                                                    type="checkbox"
                                                    class="pick-box"
                                                    aria-label=pick_label
                                                    prop:checked=ticked
                                                    disabled=move || full() && !ticked.get()
                                                    on:change=move |ev| toggle(pick_name.clone(), event_target_checked(&ev))
                                                />
                                            </label>
                                            <button
                                                type="button"
                                                class="quiet message-person"
                                                aria-label=label
                                                on:click=move |_| write_to(name.clone())
                                            >
                                                <span class="message-icon" aria-hidden="true">"✉"</span>
                                                <span class="message-word">"Message"</span>
                                            </button>
                                        }
                                        .into_any()
                                    }}
                                </li>
                            }
                        }
                    />
                </ul>
                {move || {
                    (loaded.get() && problem.with(Option::is_none) && people.with(Vec::is_empty))
                        .then(|| view! { <p class="hint">"Nobody by that name."</p> })
                }}
                {move || problem.get().map(|text| view! { <p class="hint" role="alert">{text}</p> })}
                <Show when=move || !picked.with(Vec::is_empty)>
                    <div id="group-bar" class="group-bar" role="group" aria-label="New group conversation">
                        <ul class="group-picked" aria-label="In the group">
                            <For
                                each=move || picked.get()
                                key=String::clone
                                children=move |name| {
                                    let label = format!("Take {name} out of the group");
                                    let out = name.clone();
                                    view! {
                                        <li class="chip">
                                            {name}
                                            <button
                                                type="button"
                                                class="quiet chip-remove"
                                                aria-label=label
                                                on:click=move |_| toggle(out.clone(), false)
                                            >
                                                "✕"
                                            </button>
                                        </li>
                                    }
                                }
                            />
                        </ul>
                        {move || {
                            let n = picked.with(Vec::len);
                            if n < protocol::validate::GROUP_DM_OTHERS_MIN {
                                view! { <p class="hint">"Tick one more person for a group."</p> }.into_any()
                            } else if n >= others_max {
                                view! { <p class="hint">{format!("A group holds {} people, you included.", others_max + 1)}</p> }.into_any()
                            } else {
                                ().into_any()
                            }
                        }}
                        <button
                            id="start-group"
                            type="button"
                            class="primary"
                            disabled=move || picked.with(Vec::len) < protocol::validate::GROUP_DM_OTHERS_MIN
                            on:click=move |_| start_group()
                        >
                            {move || format!("Start a group of {}", picked.with(Vec::len) + 1)}
                        </button>
                    </div>
                </Show>
                <Show when=move || more.get()>
                    <button
                        type="button"
                        class="quiet"
                        on:click=move |_| {
                            let last = people.with_untracked(|list| list.last().map(|p| p.user.username.clone()));
                            load(last);
                        }
                    >
                        "More people"
                    </button>
                </Show>
            </div>
        </Show>
    }
}

/// Someone's presence as the directory and their card show it: a dot (filled online,
/// half-filled away, hollow offline) and the word. You are online to yourself, whatever the
/// server last heard.
pub(super) fn presence(person: &Person, is_me: bool) -> impl IntoView + use<> {
    let word = match (person.online || is_me, person.away && !is_me) {
        (false, _) => "offline",
        (true, true) => "away",
        (true, false) => "online",
    };
    view! {
        <span class="presence" class:is-online=word == "online" class:is-away=word == "away">
            <span class="presence-dot" aria-hidden="true"></span>
            <span class="presence-word">{word}</span>
        </span>
    }
}
