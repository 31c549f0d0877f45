//! The quick switcher (Ctrl+K or Cmd+K): type part of a room's or a person's name, pick with
//! the arrow keys and Enter. Rooms open (joining them if needed); people open a DM.

use leptos::prelude::*;

use crate::live::Chat;
use crate::model::Rooms;

/// One thing the switcher can open.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A room by name (in the list or the directory).
    Room(String),
    /// A direct conversation with someone present in the room on screen.
    Person(String),
}

impl Target {
    fn label(&self) -> String {
        match self {
            Self::Room(name) => format!("# {name}"),
            Self::Person(name) => format!("@ {name}"),
        }
    }
}

/// At most this many matches are listed.
const SHOWN: usize = 8;

/// What matches `query` (case-insensitively, anywhere in the name): the user's rooms, then
/// the other rooms, then people.
fn matches(chat: Chat, query: &str) -> Vec<Target> {
    let query = query.trim().to_lowercase();
    let hit = |name: &str| name.to_lowercase().contains(&query);
    let mut found: Vec<Target> = chat.rooms.with_untracked(|rooms| {
        rooms
            .ordered()
            .into_iter()
            .filter(|view| hit(&view.label()) || hit(&view.name))
            .map(|view| Target::Room(view.name.clone()))
            .collect()
    });
    let listed = |name: &str| chat.rooms.with_untracked(|rooms| rooms.get(name).is_some());
    chat.directory.with_untracked(|directory| {
        for room in directory {
            if room.dm_with.is_none() && !listed(&room.name) && hit(&room.name) {
                found.push(Target::Room(room.name.clone()));
            }
        }
    });
    let me = chat.me.with_untracked(|me| me.as_ref().map(|u| u.id));
    if let Some(key) = chat.active.get_untracked() {
        chat.rooms.with_untracked(|rooms| {
            for user in rooms
                .get(&key)
                .map(|v| v.members.as_slice())
                .unwrap_or_default()
            {
                if Some(user.id) != me && hit(&user.username) {
                    found.push(Target::Person(user.username.clone()));
                }
            }
        });
    }
    found.truncate(SHOWN);
    found
}

fn open(chat: Chat, target: &Target) {
    match target {
        Target::Room(name) => {
            let listed = chat
                .rooms
                .with_untracked(|rooms| rooms.get(&Rooms::key(name)).is_some());
            if listed {
                chat.select(name);
            } else {
                chat.join(name.clone(), true);
            }
        }
        Target::Person(name) => chat.dm(name.clone()),
    }
}

/// The switcher dialog, opened from anywhere in the chat with Ctrl+K / Cmd+K.
#[component]
pub fn QuickSwitcher() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let shown = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0_usize);
    let input = NodeRef::<leptos::html::Input>::new();
    let found = move || matches(chat, &query.get());

    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        if (ev.ctrl_key() || ev.meta_key()) && key.eq_ignore_ascii_case("k") {
            ev.prevent_default();
            query.set(String::new());
            selected.set(0);
            shown.set(true);
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
    let choose = move |target: Target| {
        close();
        open(chat, &target);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            close();
        }
        "ArrowDown" => {
            ev.prevent_default();
            let count = found().len().max(1);
            selected.update(|s| *s = (*s + 1) % count);
        }
        "ArrowUp" => {
            ev.prevent_default();
            let count = found().len().max(1);
            selected.update(|s| *s = (*s + count - 1) % count);
        }
        "Enter" => {
            ev.prevent_default();
            if let Some(target) = found().get(selected.get_untracked()).cloned() {
                choose(target);
            }
        }
        _ => {}
    };

    view! {
        <Show when=move || shown.get()>
            <div class="switcher-backdrop" on:click=move |_| close()></div>
            <div id="switcher" class="switcher" role="dialog" aria-modal="true" aria-label="Go to a room or a person">
                <input
                    id="switcher-input"
                    node_ref=input
                    type="text"
                    role="combobox"
                    aria-expanded="true"
                    aria-controls="switcher-list"
                    aria-activedescendant=move || format!("switch-{}", selected.get())
                    aria-label="Room or person"
                    placeholder="Go to a room or a person…"
                    autocomplete="off"
                    prop:value=move || query.get()
                    on:input=move |ev| {
                        query.set(event_target_value(&ev));
                        selected.set(0);
                    }
                    on:keydown=on_keydown
                />
                <ul id="switcher-list" role="listbox" aria-label="Matches">
                    {move || {
                        found()
                            .into_iter()
                            .enumerate()
                            .map(|(n, target)| {
                                let label = target.label();
                                view! {
                                    <li
                                        id=format!("switch-{n}")
                                        role="option"
                                        aria-selected=move || (selected.get() == n).to_string()
                                        class:selected=move || selected.get() == n
                                        on:click=move |_| choose(target.clone())
                                    >
                                        {label}
                                    </li>
                                }
                            })
                            .collect::<Vec<_>>()
                    }}
                </ul>
            </div>
        </Show>
    }
}
