//! The quick switcher (Ctrl+K or Cmd+K): type part of a room's or a person's name, pick with
//! the arrow keys and Enter. Rooms open (joining them if needed); people open a DM.

use leptos::prelude::*;
use protocol::User;

use crate::live::Chat;
use crate::model::Rooms;

/// One thing the switcher can open.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A room by name (in the list or the directory), with what to show for it: a DM as the
    /// other person, a private room with a lock.
    Room(String, String),
    /// A direct conversation with someone (present in the room on screen, or found in the
    /// people directory).
    Person(String),
}

impl Target {
    fn label(&self) -> String {
        match self {
            Self::Room(_, shown) => shown.clone(),
            Self::Person(name) => format!("@ {name}"),
        }
    }
}

/// How long typing must pause before the people directory is asked.
pub(super) const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

/// At most this many matches are listed.
const SHOWN: usize = 8;

/// What matches `query` (case-insensitively, anywhere in the name): the user's rooms, then
/// the other rooms, then people in the room on screen, then `found` (people the directory
/// answered for this query).
fn matches(chat: Chat, query: &str, found_people: &[User]) -> Vec<Target> {
    let query = query.trim().to_lowercase();
    let hit = |name: &str| name.to_lowercase().contains(&query);
    let mut found: Vec<Target> = chat.rooms.with_untracked(|rooms| {
        rooms
            .ordered()
            .into_iter()
            .filter(|view| hit(&view.label()) || (!view.is_direct() && hit(&view.name)))
            .map(|view| {
                let kind = if view.is_group() {
                    Kind::Group
                } else if view.is_direct() {
                    Kind::Direct
                } else if view.private {
                    Kind::Private
                } else {
                    Kind::Public
                };
                Target::Room(view.name.clone(), room_label(&view.label(), kind))
            })
            .collect()
    });
    let listed = |name: &str| chat.rooms.with_untracked(|rooms| rooms.get(name).is_some());
    chat.directory.with_untracked(|directory| {
        for room in directory {
            let direct = room.dm_with.is_some() || !room.dm_group.is_empty();
            if !direct && !listed(&room.name) && hit(&room.name) {
                found.push(Target::Room(
                    room.name.clone(),
                    room_label(
                        &room.name,
                        if room.private {
                            Kind::Private
                        } else {
                            Kind::Public
                        },
                    ),
                ));
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
    let my_name = chat
        .me
        .with_untracked(|me| me.as_ref().map(|u| u.username.clone()));
    for name in found_people.iter().map(|person| &person.username) {
        let person = Target::Person(name.clone());
        if Some(name) != my_name.as_ref() && hit(name) {
            found.push(person);
        }
    }
    // Each once: a DM in the list and its person (present, or found) show the same.
    let mut seen = std::collections::HashSet::new();
    found.retain(|target| seen.insert(target.label()));
    found.truncate(SHOWN);
    found
}

/// What kind of room a switcher line is.
#[derive(Clone, Copy)]
enum Kind {
    Public,
    Private,
    Direct,
    Group,
}

/// How the switcher shows a room: `@ peer` for a DM, `👥 ana, bea` for a group, `🔒 name` for
/// a private room, `# name` for a public one.
fn room_label(label: &str, kind: Kind) -> String {
    match kind {
        Kind::Direct => format!("@ {}", label.trim_start_matches('@')),
        Kind::Group => format!("👥 {label}"),
        Kind::Private => format!("🔒 {label}"),
        Kind::Public => format!("# {label}"),
    }
}

fn open(chat: Chat, target: &Target) {
    match target {
        Target::Room(name, _) => {
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

/// People from the whole directory for `name` (people whose names contain it; nothing for
/// `None` or a blank name): asked once typing pauses (each ask costs from the person's work
/// budget), an answer to an older name dropped. The asking component may be gone by the time
/// the timer fires or the answer comes (another page opened): then its values are too, and
/// nothing is done. Used by this switcher and by the message box's `@` completion.
pub(super) fn directory_people(chat: Chat, name: Memo<Option<String>>) -> RwSignal<Vec<User>> {
    let found = RwSignal::new(Vec::<User>::new());
    let asked = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let name = name.get();
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        let Some(name) = name.filter(|name| !name.trim().is_empty()) else {
            found.set(Vec::new());
            return;
        };
        set_timeout(
            move || {
                if asked.try_get_value() != Some(this) {
                    return;
                }
                chat.find_people(name, None, move |answer| {
                    if asked.try_get_value() == Some(this)
                        && let Ok(page) = answer
                    {
                        found.try_set(page.people.into_iter().map(|p| p.user).collect());
                    }
                });
            },
            TYPING_PAUSE,
        );
    });
    found
}

/// The switcher dialog, opened from anywhere in the chat with Ctrl+K / Cmd+K.
#[component]
pub fn QuickSwitcher() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let shown = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0_usize);
    let input = NodeRef::<leptos::html::Input>::new();
    // People of the whole directory whose names contain the query, while the switcher shows.
    let asked_for = Memo::new(move |_| shown.get().then(|| query.get()));
    let directory = directory_people(chat, asked_for);
    let found = move || directory.with(|people| matches(chat, &query.get(), people));

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
            <div
                id="switcher"
                class="switcher"
                role="dialog"
                aria-modal="true"
                aria-label="Go to a room or a person"
                on:keydown=|ev: leptos::ev::KeyboardEvent| super::dialog::keep_tab_inside(&ev)
            >
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
