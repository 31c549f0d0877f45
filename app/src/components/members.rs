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

/// The member list of the active room.
#[component]
pub fn MembersPane() -> impl IntoView {
    let chat = expect_context::<Chat>();
    // Recomputed when the room on screen changes, not for events elsewhere.
    let members = Memo::new(move |_| chat.with_shown(|view| view.members.clone()));
    let members = move || members.get();
    let me = move || chat.me.get().map(|u| u.id);
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
                                            on:click=move |_| {
                                                chat.drawer.set(Drawer::Closed);
                                                chat.dm(name.clone());
                                            }
                                        >
                                            "✉"
                                        </button>
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
