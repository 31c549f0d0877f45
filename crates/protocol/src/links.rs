//! The app's pages and deep links, as notifications and the UI write them.

/// The chat page.
pub const CHAT: &str = "/chat";
/// The live occupancy board.
pub const BOARD: &str = "/board";
/// The admin page.
pub const ADMIN: &str = "/admin";
/// The start (sign-in) page.
pub const HOME: &str = "/";

/// The path segments of the pages, for routers that match segment by segment.
pub mod segments {
    /// [`super::CHAT`] without its slash.
    pub const CHAT: &str = "chat";
    /// [`super::BOARD`] without its slash.
    pub const BOARD: &str = "board";
    /// [`super::ADMIN`] without its slash.
    pub const ADMIN: &str = "admin";
}

/// Where the start page's form posts (`application/x-www-form-urlencoded` fields
/// [`start::MODE`], `username`, `password`) when the page's script has not run: the answer is
/// `303` to [`CHAT`] with the session cookie, or `303` back to [`start::page`] saying what failed.
pub const SIGN_IN_FORM: &str = "/sign-in";

/// For machines: `200 ok` while the server process answers (no database, no Redis) (v1.7).
pub const LIVEZ: &str = "/livez";

/// For machines: `200` when this node can serve (database, Redis in a cluster, not shutting
/// down), else `503`; a plain-text line per check (v1.7).
pub const READYZ: &str = "/readyz";

/// For operators: Prometheus metrics (text format 0.0.4), served only when the server turns
/// them on, and then behind a bearer token if it sets one (v1.8).
pub const METRICS: &str = "/metrics";

/// `GET`: a zip of the caller's data (`account.json`, `messages.json`, `files.json` and the
/// files they uploaded under `files/`), as a download (v1.9).
pub const EXPORT: &str = "/api/me/export";

/// `GET ?user=<name>`: an admin downloads someone's data, as [`EXPORT`] gives it (v1.9).
pub const ADMIN_EXPORT: &str = "/api/admin/export";

/// The query parameter of [`ADMIN_EXPORT`] naming the account.
pub const ADMIN_EXPORT_USER: &str = "user";

/// `POST` a file here (`multipart/form-data` with the fields [`files::ROOM`] and
/// [`files::FILE`]); the answer is `201` with an [`crate::Attachment`].
pub const FILES: &str = "/api/files";

/// The upload form's fields.
pub mod files {
    /// The field naming the room the file is for (send it before the file).
    pub const ROOM: &str = "room";
    /// The field carrying the file (its `filename` is kept as the attachment's name).
    pub const FILE: &str = "file";
}

/// Where members of its room download an attachment: `/api/files/<id>`.
#[must_use]
pub fn file(id: &str) -> String {
    format!("{FILES}/{id}")
}

/// An image attachment's bounded preview: `/api/files/<id>/preview`.
#[must_use]
pub fn file_preview(id: &str) -> String {
    format!("{FILES}/{id}/preview")
}

/// Where signed-in people fetch the images of link previews (v1.16): `GET
/// /api/link-images/<id>`.
pub const LINK_IMAGES: &str = "/api/link-images";

/// A link preview's image: `/api/link-images/<id>`.
#[must_use]
pub fn link_image(id: &str) -> String {
    format!("{LINK_IMAGES}/{id}")
}

/// `POST` the caller's new profile picture here as the request body (an image, v1.25), or
/// `DELETE` it; both answer `200` with the caller's [`crate::Profile`].
pub const MY_AVATAR: &str = "/api/me/avatar";

/// Where signed-in people fetch profile pictures (v1.25): `GET /api/avatars/<id>`.
pub const AVATARS: &str = "/api/avatars";

/// A profile picture: `/api/avatars/<id>` (a new id for each picture, so it is cached for
/// good).
#[must_use]
pub fn avatar(id: &str) -> String {
    format!("{AVATARS}/{id}")
}

/// Where programs post to a room's incoming webhooks (v1.19): `POST /api/hooks/<id>/<secret>`.
pub const HOOKS: &str = "/api/hooks";

/// A webhook's address: `/api/hooks/<id>/<secret>`.
#[must_use]
pub fn webhook(id: &str, secret: &str) -> String {
    format!("{HOOKS}/{id}/{secret}")
}

/// The start page's modes and query parameters (`/?mode=signin&username=ana&failed=conflict`).
pub mod start {
    use super::{HOME, encode_query};

    /// The query parameter (and form field) naming the mode.
    pub const MODE: &str = "mode";
    /// The query parameter carrying the name typed, back from a failed form post.
    pub const USERNAME: &str = "username";
    /// The query parameter carrying the error code of a failed form post.
    pub const FAILED: &str = "failed";

    /// What the start page's form does.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Mode {
        /// Pick a free name for this session.
        #[default]
        Guest,
        /// Sign in to an account.
        SignIn,
        /// Create an account.
        SignUp,
    }

    impl Mode {
        /// Every mode, in the order the page shows them.
        pub const ALL: [Self; 3] = [Self::Guest, Self::SignIn, Self::SignUp];

        /// The mode as written in the query string and the form.
        #[must_use]
        pub fn as_str(self) -> &'static str {
            match self {
                Self::Guest => "guest",
                Self::SignIn => "signin",
                Self::SignUp => "signup",
            }
        }

        /// Reads a mode; anything unknown is [`Mode::Guest`].
        #[must_use]
        pub fn parse(text: &str) -> Self {
            Self::ALL
                .into_iter()
                .find(|mode| mode.as_str() == text)
                .unwrap_or_default()
        }
    }

    /// The start page in `mode`, optionally with the name typed and the code of what failed.
    #[must_use]
    pub fn page(mode: Mode, username: Option<&str>, failed: Option<&str>) -> String {
        let mut url = format!("{HOME}?{MODE}={}", mode.as_str());
        if let Some(name) = username {
            url.push_str(&format!("&{USERNAME}={}", encode_query(name)));
        }
        if let Some(code) = failed {
            url.push_str(&format!("&{FAILED}={}", encode_query(code)));
        }
        url
    }
}

/// The query parameter of [`CHAT`] that names the room to open.
pub const ROOM_PARAM: &str = "room";

/// `/chat?room=<name>`: opens a room.
#[must_use]
pub fn room(name: &str) -> String {
    format!("{CHAT}?{ROOM_PARAM}={}", encode_query(name))
}

/// `/chat?room=<name>#m<id>`: opens a room at one message.
#[must_use]
pub fn message(room_name: &str, id: i64) -> String {
    format!("{}#{}", room(room_name), message_anchor(id))
}

/// The query parameter of [`CHAT`] that names the thread to open beside the room (v1.22).
pub const THREAD_PARAM: &str = "thread";

/// `/chat?room=<name>&thread=<root>`: opens a room with a thread beside it (v1.22).
#[must_use]
pub fn thread(room_name: &str, root: i64) -> String {
    format!("{}&{THREAD_PARAM}={root}", room(room_name))
}

/// `/chat?room=<name>&thread=<root>#m<id>`: opens a thread at one of its messages (v1.22).
#[must_use]
pub fn thread_message(room_name: &str, root: i64, id: i64) -> String {
    format!("{}#{}", thread(room_name, root), message_anchor(id))
}

/// Where message `id` of a room is shown: in the room, or in its thread (`thread`: the root).
#[must_use]
pub fn message_in_place(room_name: &str, id: i64, thread: Option<i64>) -> String {
    match thread {
        Some(root) => thread_message(room_name, root, id),
        None => message(room_name, id),
    }
}

/// The element id (and URL fragment) of a message in the page: `m<id>`.
#[must_use]
pub fn message_anchor(id: i64) -> String {
    format!("m{id}")
}

/// The message id a fragment such as `#m42` (or `m42`) points at.
#[must_use]
pub fn parse_message_anchor(fragment: &str) -> Option<i64> {
    fragment
        .trim_start_matches('#')
        .strip_prefix('m')?
        .parse()
        .ok()
}

/// The room a [`room`] or [`message`] link opens (`None` for any other link).
#[must_use]
pub fn room_of(url: &str) -> Option<String> {
    decode_query(chat_param(url, ROOM_PARAM)?)
}

/// The thread a [`thread`] or [`thread_message`] link opens: its root (`None` for any other
/// link).
#[must_use]
pub fn thread_of(url: &str) -> Option<i64> {
    chat_param(url, THREAD_PARAM)?.parse().ok()
}

/// The raw value of query parameter `name` of a [`CHAT`] link (`None` for any other link).
fn chat_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.strip_prefix(CHAT)?.strip_prefix('?')?;
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// Reverses [`encode_query`] (and reads `+` as a space); `None` for broken escapes or UTF-8.
#[must_use]
pub fn decode_query(value: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.bytes();
    while let Some(byte) = rest.next() {
        match byte {
            b'%' => {
                let hex = [rest.next()?, rest.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                bytes.push(u8::from_str_radix(hex, 16).ok()?);
            }
            b'+' => bytes.push(b' '),
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

/// Percent-encodes a value for a query string (everything but `A-Z a-z 0-9 - _ .`).
#[must_use]
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_match_paths() {
        assert_eq!(format!("/{}", segments::CHAT), CHAT);
        assert_eq!(format!("/{}", segments::BOARD), BOARD);
        assert_eq!(format!("/{}", segments::ADMIN), ADMIN);
    }

    #[test]
    fn start_page_links_round_trip() {
        for mode in start::Mode::ALL {
            assert_eq!(start::Mode::parse(mode.as_str()), mode);
        }
        assert_eq!(start::Mode::parse("<script>"), start::Mode::Guest);
        assert_eq!(
            start::page(start::Mode::SignIn, Some("ana b"), Some("unauthorized")),
            "/?mode=signin&username=ana%20b&failed=unauthorized"
        );
        assert_eq!(start::page(start::Mode::Guest, None, None), "/?mode=guest");
    }

    #[test]
    fn file_links() {
        assert_eq!(file("ab12"), "/api/files/ab12");
        assert_eq!(file_preview("ab12"), "/api/files/ab12/preview");
        assert_eq!(link_image("ab12"), "/api/link-images/ab12");
    }

    #[test]
    fn links_encode_room_names() {
        assert_eq!(room("Book club"), "/chat?room=Book%20club");
        assert_eq!(message("café", 7), "/chat?room=caf%C3%A9#m7");
        assert_eq!(encode_query("a&b=c"), "a%26b%3Dc");
        assert_eq!(parse_message_anchor("#m42"), Some(42));
        assert_eq!(parse_message_anchor("m7"), Some(7));
        assert_eq!(parse_message_anchor("#x1"), None);
        assert_eq!(
            room_of(&message("café bar", 7)).as_deref(),
            Some("café bar")
        );
        assert_eq!(room_of("/chat?room=a+b").as_deref(), Some("a b"));
        assert_eq!(room_of("/board?room=x"), None);
        assert_eq!(room_of("/chat?room=%ZZ"), None);
        assert_eq!(room_of("/chat?room=%E9"), None);
    }

    #[test]
    fn thread_links_name_the_room_and_the_root() {
        assert_eq!(thread("Book club", 4), "/chat?room=Book%20club&thread=4");
        assert_eq!(thread_message("dev", 4, 9), "/chat?room=dev&thread=4#m9");
        assert_eq!(
            message_in_place("dev", 9, Some(4)),
            thread_message("dev", 4, 9)
        );
        assert_eq!(message_in_place("dev", 9, None), message("dev", 9));
        assert_eq!(
            room_of(&thread_message("café", 4, 9)).as_deref(),
            Some("café")
        );
    }
}
