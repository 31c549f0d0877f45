//! `/chat`: the chat itself. `?room=NAME` opens a room directly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::components::{Header, MembersPane, QuickSwitcher, RoomPane, Sidebar};
use crate::live::Chat as LiveChat;
use crate::live::Drawer;
use crate::model::Rooms;
use crate::session::use_session;

/// The chat page.
#[component]
pub fn Chat() -> impl IntoView {
    let session = use_session();
    let chat = expect_context::<LiveChat>();
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
    // The tab's connection outlives the page (the board and admin pages share it): start it
    // if this is the first page, else show the room asked for, or the one left on screen.
    Effect::new(move |_| {
        if let Some(user) = session.user.get() {
            let first_room = query.with_untracked(|q| q.get(protocol::links::ROOM_PARAM));
            chat.reading.set(true);
            if !chat.is_started() {
                chat.start(user, first_room, move || session.user.set(None));
            } else if let Some(room) = first_room {
                chat.open(room);
            } else {
                chat.reopen_active();
            }
        }
    });
    on_cleanup(move || {
        chat.reading.set(false);
        chat.drawer.set(Drawer::Closed);
    });

    // Following a link to `?room=NAME` (e.g. from a notification) opens that room...
    let location = use_location();
    Effect::new(move |previous: Option<Option<String>>| {
        let room = query.with(|q| q.get(protocol::links::ROOM_PARAM));
        let connected = chat.conn.get() == crate::model::ConnState::Connected;
        let on_screen = |name: &str| chat.active.get_untracked() == Some(Rooms::key(name));
        if connected
            && previous.is_some()
            && previous.as_ref() != Some(&room)
            && let Some(room) = room.clone()
            && !on_screen(&room)
        {
            chat.join(room, true);
        }
        if connected { room } else { previous.flatten() }
    });
    // A clicked browser notification asks to go somewhere in the app.
    let follow_link = use_navigate();
    Effect::new(move |_| {
        if let Some(url) = chat
            .go_to
            .get()
            .filter(|u| u.starts_with('/') && !u.starts_with("//"))
        {
            chat.go_to.set(None);
            follow_link(&url, NavigateOptions::default());
        }
    });
    // ...and the address follows the room on screen, so a reload or a shared link opens it.
    let follow = use_navigate();
    Effect::new(move |_| {
        let Some(key) = chat.active.get() else {
            return;
        };
        let Some(name) = chat
            .rooms
            .with_untracked(|rooms| rooms.get(&key).map(|v| v.name.clone()))
        else {
            return;
        };
        let shown = query.with_untracked(|q| q.get(protocol::links::ROOM_PARAM));
        if shown.as_deref().map(Rooms::key) != Some(key) {
            follow(
                &protocol::links::room(&name),
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..NavigateOptions::default()
                },
            );
        }
    });
    // ...and `#m<id>` scrolls to that message once it is on screen.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let hash = location.hash.get();
        // Again whenever the room on screen (or what it shows) changes.
        let _ = chat.shown.get();
        let Some(id) = protocol::links::parse_message_anchor(&hash) else {
            return;
        };
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&protocol::links::message_anchor(id)))
        {
            element.scroll_into_view();
            let _ = element.class_list().add_1("highlight");
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = location;

    // The unread count in the tab's title is live, so the browser keeps it. The server renders
    // the plain name: leptos_meta writes the title once the page's reactive owner may be gone,
    // and reading a signal then panics (the `sandboxed-arenas` check), which cut the page off.
    #[cfg(feature = "hydrate")]
    let title = move || match chat.rooms.with(|rooms| rooms.unread())
        + chat.unread_notifications() as u32
    {
        0 => "Tertulia".to_owned(),
        n => format!("({n}) Tertulia"),
    };
    #[cfg(not(feature = "hydrate"))]
    let title = "Tertulia";

    view! {
        <Title text=title/>
        <div class="app" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Escape" {
                chat.drawer.set(Drawer::Closed);
            }
        }>
            <a class="skip-link" href="#msg">"Skip to the message box"</a>
            <Header/>
            <div class="layout">
                <Sidebar/>
                <RoomPane/>
                <MembersPane/>
            </div>
            <QuickSwitcher/>
            <Show when=move || chat.drawer.get() != Drawer::Closed>
                <button
                    type="button"
                    class="backdrop"
                    aria-label="Close the panel"
                    on:click=move |_| chat.drawer.set(Drawer::Closed)
                ></button>
            </Show>
        </div>
    }
}
