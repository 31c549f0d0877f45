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
            let moderates = view.dm_with.is_none()
                && (me.role == protocol::Role::Admin || view.created_by == Some(me.id));
            moderates.then(|| (view.name.clone(), view.private))
        })
        .flatten()
    })
}

/// What a moderator of the room on screen (its creator, or an admin) can do to someone in it:
/// mute them for a while, lift the mute, remove them from a private room.
fn moderation(
    chat: Chat,
    moderating: Memo<Option<(String, bool)>>,
    name: String,
) -> Option<impl IntoView> {
    let (room, private) = moderating.get()?;
    let act = {
        let (room, name) = (room.clone(), name.clone());
        move |minutes: u32| chat.mute_member(room.clone(), name.clone(), minutes)
    };
    let (mute_short, mute_long, unmute) = (act.clone(), act.clone(), act);
    let remove = move || chat.kick_member(room.clone(), name.clone());
    // Open while choosing; any choice closes it.
    let open = RwSignal::new(false);
    Some(view! {
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
                aria-label="Moderate"
                title="Moderate"
                on:click=move |ev| {
                    ev.prevent_default();
                    open.update(|o| *o = !*o);
                }
            >
                "⋯"
            </summary>
            <div class="member-actions" role="group" aria-label="Moderate">
                <button type="button" class="quiet" on:click=move |_| { open.set(false); mute_short(15) }>"Mute 15 min"</button>
                <button type="button" class="quiet" on:click=move |_| { open.set(false); mute_long(60) }>"Mute 1 hour"</button>
                <button type="button" class="quiet" on:click=move |_| { open.set(false); unmute(0) }>"Unmute"</button>
                {private.then(|| view! {
                    <button type="button" class="quiet danger" on:click=move |_| { open.set(false); remove() }>"Remove from room"</button>
                })}
            </div>
        </details>
    })
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
                            <li class="member" class:self=is_me data-user=user.username.clone()>
                                <span class="dot" aria-hidden="true"></span>
                                <span class="name">{user.username.clone()}</span>
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
                                        {move || moderation(chat, moderating, name.clone())}
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
