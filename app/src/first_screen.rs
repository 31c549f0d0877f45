//! `/chat`'s first screen, drawn by the server: the signed-in person's rooms and the last page
//! of the room that will be on screen, so the page reads before (and without) its script. The
//! server finds it for the request (a [`ServerFirstScreen`] in the request's extensions),
//! renders the chat from it and writes it into the document (`<meta name="tertulia-first-screen">`);
//! the browser starts from the same data, which keeps hydration in step, then connects and
//! catches up as after any start.

use serde::{Deserialize, Serialize};

use crate::offline::Snapshot;

/// The `<meta>` that carries the first screen into the document.
pub const FIRST_SCREEN_META: &str = "tertulia-first-screen";

/// The cookie naming the room last on screen in this browser (URL-encoded), so the server
/// draws that room first. Written by the page; the server checks it against the person's
/// rooms.
pub const ROOM_COOKIE: &str = "tertulia_room";

/// The rooms to list and the room to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstScreen {
    /// The person's rooms in their list's order; only the shown one carries messages.
    pub rooms: Snapshot,
    /// The room on screen (one of `rooms`), if any.
    pub show: Option<String>,
    /// Whom the person blocks (their messages are drawn folded).
    #[serde(default)]
    pub blocked: Vec<protocol::Author>,
}

/// What the server found for the page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFirstScreen(pub FirstScreen);

/// The first screen this page starts from: the server's while it renders, the document's while
/// the browser hydrates that render (`None` on other pages, or when the server had none).
#[must_use]
pub fn initial() -> Option<FirstScreen> {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        use_context::<http::request::Parts>()?
            .extensions
            .get::<ServerFirstScreen>()
            .map(|first| first.0.clone())
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let meta = leptos::prelude::document()
            .query_selector(&format!("meta[name=\"{FIRST_SCREEN_META}\"]"))
            .ok()??;
        // Read once: a later visit to `/chat` within the same page load starts from the live
        // chat instead.
        let content = meta.get_attribute("content")?;
        meta.remove();
        serde_json::from_str(&content).ok()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    None
}

/// The `<meta>` carrying the server's first screen (server side; nothing without one).
pub fn meta() -> Option<impl leptos::IntoView> {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::*;
        let first = initial()?;
        let content = serde_json::to_string(&first).ok()?;
        Some(view! { <meta name=FIRST_SCREEN_META content=content/> })
    }
    #[cfg(not(feature = "ssr"))]
    None::<()>
}

/// Remembers `room` as the one on screen, for the server's next first screen.
pub fn remember_room(room: &str) {
    #[cfg(feature = "hydrate")]
    set_room_cookie(&protocol::links::encode_query(room), 31_536_000);
    #[cfg(not(feature = "hydrate"))]
    let _ = room;
}

/// Forgets the remembered room (signing out: the next person on this device starts afresh).
#[cfg(feature = "hydrate")]
pub fn forget_room() {
    set_room_cookie("", 0);
}

/// Writes [`ROOM_COOKIE`] (`value` already encoded), kept `max_age` seconds (0: gone).
#[cfg(feature = "hydrate")]
fn set_room_cookie(value: &str, max_age: u32) {
    let cookie = format!("{ROOM_COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Lax");
    // `document.cookie` (web-sys has it on `HtmlDocument` only).
    let _ = js_sys::Reflect::set(
        &leptos::prelude::document(),
        &"cookie".into(),
        &cookie.into(),
    );
}

/// The room a [`ROOM_COOKIE`] value names (`None` if it does not decode).
#[must_use]
pub fn room_of_cookie(value: &str) -> Option<String> {
    protocol::links::decode_query(value).filter(|name| !name.is_empty())
}
