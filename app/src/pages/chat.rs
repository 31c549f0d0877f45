//! `/chat`: the chat itself. `?room=NAME` opens a room directly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::components::{Header, MembersPane, QuickSwitcher, RoomPane, Sidebar, ThreadPane};
use crate::live::Chat as LiveChat;
use crate::live::Drawer;
use crate::model::Rooms;
use crate::session::use_session;

/// The room the address asks for (`?room=NAME`; an empty name asks for none).
fn asked_room(query: &leptos_router::params::ParamsMap) -> Option<String> {
    query
        .get(protocol::links::ROOM_PARAM)
        .filter(|name| !name.trim().is_empty())
}

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
            let first_room = query.with_untracked(asked_room);
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
        let room = query.with(asked_room);
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
    // ...and the address follows the room on screen and the thread open beside it, so a reload
    // or a shared link opens them. (The thread the address asked for last, once opened: until
    // then the address keeps asking.)
    let thread_from_address = StoredValue::new(None::<(String, i64)>);
    let address_hash = location.hash;
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
        let thread = chat.thread.get();
        let (shown, shown_thread) = query.with_untracked(|q| {
            (
                q.get(protocol::links::ROOM_PARAM),
                q.get(protocol::links::THREAD_PARAM)
                    .and_then(|root| root.parse::<i64>().ok()),
            )
        });
        let same_room = shown.as_deref().map(Rooms::key).as_deref() == Some(key.as_str());
        // A thread the address asks for and that was not open yet is about to open (below):
        // the address keeps it.
        let about_to_open = same_room
            && thread.is_none()
            && shown_thread
                .is_some_and(|root| thread_from_address.get_value() != Some((key.clone(), root)));
        if about_to_open || (same_room && shown_thread == thread) {
            return;
        }
        let mut url = match thread {
            Some(root) => protocol::links::thread(&name, root),
            None => protocol::links::room(&name),
        };
        // Within one room the message pointed at stays pointed at.
        let hash = address_hash.get_untracked();
        if same_room && !hash.is_empty() {
            if !hash.starts_with('#') {
                url.push('#');
            }
            url.push_str(&hash);
        }
        follow(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..NavigateOptions::default()
            },
        );
    });
    // ...and `&thread=<root>` (a reload, a notification) opens that thread beside its room,
    // once the room is on screen.
    Effect::new(move |_| {
        let asked = query.with(|q| {
            let room = q.get(protocol::links::ROOM_PARAM)?;
            let root = q.get(protocol::links::THREAD_PARAM)?.parse::<i64>().ok()?;
            Some((Rooms::key(&room), root))
        });
        let Some((room, root)) = asked else {
            thread_from_address.set_value(None);
            return;
        };
        let connected = chat.conn.get() == crate::model::ConnState::Connected;
        if chat.active.get().as_deref() != Some(room.as_str()) || !connected {
            return;
        }
        if thread_from_address.get_value() == Some((room.clone(), root)) {
            return;
        }
        if chat.thread.get_untracked() != Some(root) {
            chat.open_thread(root);
        }
        thread_from_address.set_value(Some((room, root)));
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
        <div class="app chat-page" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Escape" {
                chat.drawer.set(Drawer::Closed);
            }
        }>
            <a class="skip-link" href="#msg">"Skip to the message box"</a>
            <Header/>
            <div class="layout" class:with-thread=move || chat.thread.get().is_some()>
                <Sidebar/>
                <RoomPane/>
                <ThreadPane/>
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
