//! The room list: joined rooms with unread counts, the directory, and room creation.

use leptos::prelude::*;

use crate::live::{Chat, Drawer};
use crate::model::{Rooms, room_label};

/// The left column.
#[component]
pub fn Sidebar() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let joined = move || {
        chat.rooms.with(|rooms| {
            rooms
                .ordered()
                .into_iter()
                .map(|view| {
                    (
                        view.name.clone(),
                        view.unread_count(),
                        view.private && !view.is_direct(),
                        view.label(),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let others = move || {
        let joined = chat.rooms.with(|rooms| rooms.order.clone());
        chat.directory
            .get()
            .into_iter()
            .filter(|room| !joined.contains(&Rooms::key(&room.name)))
            .collect::<Vec<_>>()
    };
    view! {
        <nav
            id="rooms-drawer"
            class="sidebar"
            class:open=move || chat.drawer.get() == Drawer::Rooms
            aria-label="Rooms"
        >
            <h2>"Your rooms"</h2>
            <ul id="joined" class="room-list">
                <For
                    each=joined
                    key=|(name, unread, _, label)| (name.clone(), *unread, label.clone())
                    children=move |(name, unread, locked, label)| {
                        let key = Rooms::key(&name);
                        let active = Signal::derive(move || {
                            chat.active.get().as_deref() == Some(key.as_str())
                        });
                        // A link, so the list works before the script runs (the server draws
                        // the room it names); once it runs, a click puts the room on screen.
                        let select = {
                            let name = name.clone();
                            move |ev: leptos::ev::MouseEvent| {
                                if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
                                    ev.prevent_default();
                                    chat.select(&name);
                                }
                            }
                        };
                        let leave = {
                            let name = name.clone();
                            move |_| chat.leave_for_good(name.clone())
                        };
                        view! {
                            <li class="room-item" class:active=active data-room=name.clone()>
                                <a
                                    class="room-link"
                                    href=protocol::links::room(&name)
                                    aria-current=move || if active.get() { "true" } else { "false" }
                                    on:click=select
                                >
                                    {locked.then_some("🔒 ")}
                                    <span class="room-name">{label.clone()}</span>
                                    {(unread > 0)
                                        .then(|| {
                                            let shown = if unread > 999 {
                                                "999+".to_owned()
                                            } else {
                                                unread.to_string()
                                            };
                                            view! {
                                                <span class="unread" aria-label=format!("{shown} unread")>
                                                    {shown.clone()}
                                                </span>
                                            }
                                        })}
                                </a>
                                <button
                                    type="button"
                                    class="quiet leave"
                                    title=format!("Leave {label}")
                                    aria-label=format!("Leave {label}")
                                    on:click=leave
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <h2>"More rooms"</h2>
            <ul id="directory" class="room-list">
                <For
                    each=others
                    key=|room| (room.name.clone(), room.members)
                    children=move |room| {
                        let name = room.name.clone();
                        view! {
                            <li class="room-item" data-room=room.name.clone()>
                                <button
                                    type="button"
                                    class="room-link"
                                    title=room.topic.clone().unwrap_or_default()
                                    on:click=move |_| chat.join(name.clone(), true)
                                >
                                    {(room.private && room.dm_with.is_none() && room.dm_group.is_empty()).then_some("🔒 ")}
                                    <span class="room-name">
                                        {room_label(&room.name, room.dm_with.as_deref(), &room.dm_group)}
                                    </span>
                                    <span class="online" title="people here now" aria-label=format!("{} online", room.members)>
                                        <span class="online-dot" aria-hidden="true"></span>
                                        {room.members}
                                    </span>
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <super::people::PeopleDirectory/>
            <super::bookmarks::SavedList/>
            <super::threads_list::ThreadsList/>
            <CreateRoom/>
        </nav>
    }
}

/// The "new room" form.
#[component]
fn CreateRoom() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let name = RwSignal::new(String::new());
    let topic = RwSignal::new(String::new());
    let private = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let form = NodeRef::<leptos::html::Details>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match protocol::validate::room_name(&name.get_untracked()) {
            Ok(valid) => {
                error.set(None);
                // The form is cleared and closed once the room exists; a refusal keeps what
                // was typed (the privacy too, so a retry cannot create a public room).
                chat.create_room(
                    valid,
                    topic.get_untracked(),
                    private.get_untracked(),
                    move |created| match created {
                        Ok(()) => {
                            if let Some(details) = form.get_untracked() {
                                details.set_open(false);
                            }
                            name.set(String::new());
                            topic.set(String::new());
                            private.set(false);
                        }
                        Err(problem) => error.set(Some(problem)),
                    },
                );
            }
            Err(problem) => error.set(Some(problem.message)),
        }
    };
    view! {
        <details class="create-room" node_ref=form>
            <summary>"New room"</summary>
            <form class="stack" on:submit=submit>
                <label for="room-name">"Name"</label>
                <input
                    id="room-name"
                    maxlength="64"
                    required
                    placeholder="e.g. book club"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <label for="room-topic">"Topic (optional)"</label>
                <input
                    id="room-topic"
                    maxlength="200"
                    prop:value=move || topic.get()
                    on:input=move |ev| topic.set(event_target_value(&ev))
                />
                <label class="check">
                    <input
                        id="room-private"
                        type="checkbox"
                        prop:checked=move || private.get()
                        on:change=move |ev| private.set(event_target_checked(&ev))
                    />
                    " Private (invite only)"
                </label>
                <p class="form-error" role="alert">{move || error.get()}</p>
                <button id="create-room" type="submit" class="primary">"Create"</button>
            </form>
        </details>
    }
}
