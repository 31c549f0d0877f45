//! Who is in the room on screen.

use leptos::prelude::*;

use crate::live::{Chat, Drawer};

/// A small badge for admins and guests (members, the usual case, get none).
pub(super) fn role_badge(role: protocol::Role) -> Option<impl IntoView> {
    let title = match role {
        protocol::Role::Admin => "Administrator of this server",
        protocol::Role::Guest => "Signed in as a guest",
        protocol::Role::Member => return None,
    };
    let label = role.as_str();
    Some(view! {
        <span class=format!("role-badge role-{label}") title=title>{label}</span>
    })
}

/// The room on screen and whether it is private, if we moderate it (its creator, or an admin).
fn moderating(chat: Chat) -> Memo<Option<(String, bool)>> {
    Memo::new(move |_| {
        let me = chat.me.get()?;
        chat.with_shown(|view| {
            let moderates = !view.is_direct()
                && (me.role == protocol::Role::Admin || view.created_by == Some(me.id));
            moderates.then(|| (view.name.clone(), view.private))
        })
        .flatten()
    })
}

/// What one can do about someone else in the room: block or unblock them (anyone), and, for a
/// moderator of the room on screen (its creator, or an admin), mute them for a while, lift the
/// mute, remove them from a private room.
fn person_menu(
    chat: Chat,
    moderating: Memo<Option<(String, bool)>>,
    name: String,
    id: i64,
) -> impl IntoView {
    let label = format!("More about {name}");
    let block_name = name.clone();
    let moderation = move || {
        let (room, private) = moderating.get()?;
        let act = {
            let (room, name) = (room.clone(), name.clone());
            move |minutes: u32| chat.mute_member(room.clone(), name.clone(), minutes)
        };
        let (mute_short, mute_long, unmute) = (act.clone(), act.clone(), act);
        let remove = {
            let name = name.clone();
            move || chat.kick_member(room.clone(), name.clone())
        };
        Some(view! {
            <button type="button" class="quiet" on:click=move |_| mute_short(15)>"Mute 15 min"</button>
            <button type="button" class="quiet" on:click=move |_| mute_long(60)>"Mute 1 hour"</button>
            <button type="button" class="quiet" on:click=move |_| unmute(0)>"Unmute"</button>
            {private.then(|| view! {
                <button type="button" class="quiet danger" on:click=move |_| remove()>"Remove from room"</button>
            })}
        })
    };
    let blocked = Memo::new(move |_| chat.blocks(id));
    let toggle_block = move |_| chat.set_blocked(block_name.clone(), !blocked.get_untracked());
    // Open while choosing; any choice closes it.
    let open = RwSignal::new(false);
    view! {
        <details
            class="member-menu"
            prop:open=move || open.get()
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    open.set(false);
                }
            }
        >
            <summary
                class="quiet"
                aria-label=label
                title="More"
                on:click=move |ev| {
                    ev.prevent_default();
                    open.update(|o| *o = !*o);
                }
            >
                "⋯"
            </summary>
            // Any choice closes the menu (the click bubbles up here).
            <div class="member-actions" role="group" aria-label="Actions" on:click=move |_| open.set(false)>
                {moderation}
                <button type="button" class="quiet block" on:click=toggle_block>
                    {move || if blocked.get() { "Unblock" } else { "Block" }}
                </button>
            </div>
        </details>
    }
}

/// The member list of the active room.
#[component]
pub fn MembersPane() -> impl IntoView {
    let chat = expect_context::<Chat>();
    // Recomputed when the room on screen changes, not for events elsewhere.
    let members = Memo::new(move |_| chat.with_shown(|view| view.members.clone()));
    let members = move || members.get();
    let me = move || chat.me.get().map(|u| u.id);
    // Recomputed when the room on screen or our role changes, not per message.
    let moderating = moderating(chat);
    view! {
        <aside
            id="people-drawer"
            class="people"
            class:open=move || chat.drawer.get() == Drawer::People
            aria-label="People in this room"
        >
            <h2>"In this room " <span class="count">{move || members().map(|m| m.len()).unwrap_or(0)}</span></h2>
            <ul id="people">
                <For
                    each=move || members().unwrap_or_default()
                    key=|user| user.id
                    children=move |user| {
                        let is_me = me() == Some(user.id);
                        view! {
                            <li
                                class="member"
                                class:self=is_me
                                class:blocked=move || chat.blocks(user.id)
                                data-user=user.username.clone()
                            >
                                <span class="dot" aria-hidden="true"></span>
                                <span class="name" title=format!("@{}", user.username)>
                                    {super::message::shown_name(user.id, &user.username)}
                                </span>
                                {role_badge(user.role)}
                                {if is_me {
                                    view! { <span class="you">" (you)"</span> }.into_any()
                                } else {
                                    let name = user.username.clone();
                                    view! {
                                        <button
                                            type="button"
                                            class="quiet dm"
                                            title=format!("Message {name} privately")
                                            aria-label=format!("Message {name} privately")
                                            on:click={
                                                let name = name.clone();
                                                move |_| {
                                                    chat.drawer.set(Drawer::Closed);
                                                    chat.dm(name.clone());
                                                }
                                            }
                                        >
                                            "✉"
                                        </button>
                                        {person_menu(chat, moderating, name.clone(), user.id)}
                                    }
                                        .into_any()
                                }}
                            </li>
                        }
                    }
                />
            </ul>
        </aside>
    }
}
