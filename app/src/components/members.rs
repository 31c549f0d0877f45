//! Who is in the room on screen.

use leptos::prelude::*;

use crate::live::Chat;

/// The member list of the active room.
#[component]
pub fn MembersPane() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let members = move || {
        let key = chat.active.get()?;
        chat.rooms
            .with(|rooms| rooms.get(&key).map(|view| view.members.clone()))
    };
    let me = move || chat.me.get().map(|u| u.id);
    view! {
        <aside class="members" aria-label="People in this room">
            <h2>"In this room " <span class="count">{move || members().map(|m| m.len()).unwrap_or(0)}</span></h2>
            <ul id="members">
                <For
                    each=move || members().unwrap_or_default()
                    key=|user| user.id
                    children=move |user| {
                        let is_me = me() == Some(user.id);
                        view! {
                            <li class="member" class:me=is_me>
                                <span class="dot" aria-hidden="true"></span>
                                <span class="name">{user.username.clone()}</span>
                                {is_me.then(|| view! { <span class="you">" (you)"</span> })}
                            </li>
                        }
                    }
                />
            </ul>
        </aside>
    }
}
