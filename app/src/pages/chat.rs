//! `/chat`: the chat itself. `?room=NAME` opens a room directly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::{Header, MembersPane, RoomPane, Sidebar, Toast};
use crate::live::Chat as LiveChat;
use crate::session::use_session;

/// The chat page.
#[component]
pub fn Chat() -> impl IntoView {
    let session = use_session();
    let chat = LiveChat::new();
    provide_context(chat);
    let query = use_query_map();

    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.checked.get() && session.user.get().is_none() {
            navigate(
                "/",
                NavigateOptions {
                    replace: true,
                    ..NavigateOptions::default()
                },
            );
        }
    });
    Effect::new(move |_| {
        if let Some(user) = session.user.get() {
            let first_room = query.with_untracked(|q| q.get("room"));
            chat.start(user, first_room, move || session.user.set(None));
        }
    });
    on_cleanup(move || chat.close());

    let title = move || match chat.rooms.with(|rooms| rooms.unread()) {
        0 => "Tertulia".to_owned(),
        n => format!("({n}) Tertulia"),
    };

    view! {
        <Title text=title/>
        <div class="app">
            <Header/>
            <div class="layout">
                <Sidebar/>
                <RoomPane/>
                <MembersPane/>
            </div>
            <Toast/>
        </div>
    }
}
