//! The HTTP API: every endpoint's method, path, body and answer ([`Endpoint`]), and the
//! bodies of the identity API (`/api/auth/*`, `/api/me`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Empty, ErrorBody, PushReq, PushRes, User};

/// One endpoint of the JSON API.
pub trait Endpoint {
    /// HTTP method.
    const METHOD: Method;
    /// Path, e.g. `/api/me`.
    const PATH: &'static str;
    /// The JSON body it takes ([`Empty`] for none).
    type Body: Serialize + DeserializeOwned + Send + 'static;
    /// The JSON answer on success ([`Empty`] for a body-less answer).
    type Response: Serialize + DeserializeOwned + Send + 'static;
}

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// The method's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

macro_rules! endpoints {
    ($($(#[$doc:meta])* $name:ident: $method:ident $path:literal, $body:ty => $res:ty;)*) => {
        $($(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl Endpoint for $name {
            const METHOD: Method = Method::$method;
            const PATH: &'static str = $path;
            type Body = $body;
            type Response = $res;
        })*

        /// Every endpoint as `(method, path)`.
        pub const ENDPOINTS: &[(Method, &str)] = &[$((Method::$method, $path)),*];
    };
}

endpoints! {
    /// Create an account: 201 `{user, token?}` + session cookie.
    Register: Post "/api/auth/register", Credentials => AuthRes;
    /// Sign in: 200 `{user, token?}` + session cookie.
    Login: Post "/api/auth/login", Credentials => AuthRes;
    /// Sign in as a guest with a free name: 201 `{user, token?}` + session cookie.
    Guest: Post "/api/auth/guest", GuestReq => AuthRes;
    /// Sign out: 204, the session revoked and the cookie cleared.
    Logout: Post "/api/auth/logout", Empty => Empty;
    /// Who am I: 200 `{user}` or 401.
    Me: Get "/api/me", Empty => MeRes;
    /// Change your password (registered accounts): 204; your other sessions end (v1.4).
    ChangePassword: Post "/api/me/password", ChangePasswordReq => Empty;
    /// Delete your account (v1.9): 204, every session ended and the cookie cleared.
    DeleteAccount: Post "/api/me/delete", DeleteAccountReq => Empty;
    /// Admins push a notification: 202 `{id, delivered}`.
    PushNotification: Post "/api/notifications", PushReq => PushRes;
    /// Whether this node serves (for load balancers): 200 `{node, ready: true}`, or 503
    /// `{node, ready: false}` while it shuts down or cannot reach its database or Redis.
    Health: Get "/api/health", Empty => HealthRes;
    /// The emoji a client offers (v1.17): 200 [`EmojiCatalog`], to anyone, cacheable.
    Emoji: Get "/api/emoji", Empty => EmojiCatalog;
    /// Colour a fenced code block (v1.18): 200 [`Highlighted`], to anyone signed in.
    Highlight: Post "/api/highlight", HighlightReq => Highlighted;
}

/// `POST /api/highlight` (v1.18): a fenced code block of a message and the language its fence
/// names (```` ```rust ````).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HighlightReq {
    /// The fence's language: a name or file extension (`rust`, `rs`, `Python`, `c++`), see
    /// [`crate::validate::code_language`].
    pub lang: String,
    /// The block's text, at most [`crate::validate::MESSAGE_MAX`] characters.
    pub code: String,
}

/// The answer to [`HighlightReq`]: the code cut into tokens whose texts, joined in order, are
/// exactly the code that was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Highlighted {
    /// The language the server read the code as (`Rust`), or none when it knows no language
    /// by that name (then one token holds the whole code, without a kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The tokens, in order.
    pub tokens: Vec<CodeToken>,
}

/// A run of code of one [`TokenKind`] (or of none: plain text, whitespace, punctuation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeToken {
    /// The text, verbatim.
    pub text: String,
    /// What it is, when it is something a reader tells apart by colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TokenKind>,
}

/// What a [`CodeToken`] is. A later version may add kinds: a client shows a kind it does not
/// know as plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A comment.
    Comment,
    /// A keyword, or a word of the language's own (`fn`, `let`, `pub`).
    Keyword,
    /// A string or character literal, a regular expression.
    String,
    /// A number.
    Number,
    /// A named constant, a literal such as `true`, `null`, `self`, an escape in a string.
    Constant,
    /// A function's or method's name, where it is defined or called.
    Function,
    /// A type, class or module name.
    Type,
    /// A markup tag's name (`div`).
    Tag,
    /// An attribute or annotation (`href=`, `#[derive]`, `@Override`), a property's name.
    Attribute,
    /// An operator (`+`, `&&`, `=>`).
    Operator,
    /// A kind this client does not know (read from a later version).
    #[serde(other)]
    Other,
}

impl TokenKind {
    /// Every kind a server sends, as written on the wire.
    pub const ALL: [Self; 10] = [
        Self::Comment,
        Self::Keyword,
        Self::String,
        Self::Number,
        Self::Constant,
        Self::Function,
        Self::Type,
        Self::Tag,
        Self::Attribute,
        Self::Operator,
    ];

    /// The kind's name on the wire (`other` for one this client does not know).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Comment => "comment",
            Self::Keyword => "keyword",
            Self::String => "string",
            Self::Number => "number",
            Self::Constant => "constant",
            Self::Function => "function",
            Self::Type => "type",
            Self::Tag => "tag",
            Self::Attribute => "attribute",
            Self::Operator => "operator",
            Self::Other => "other",
        }
    }
}

/// `GET /api/emoji` (v1.17): every emoji of the server's Unicode version a client may offer
/// (reactions take any one emoji; this is the list to pick from), grouped as Unicode groups
/// them, each with its name and `:shortcodes:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmojiCatalog {
    /// The groups' names, in order (`Smileys & Emotion`, …).
    pub groups: Vec<String>,
    /// The emoji, in the Unicode order (groups in order).
    pub emoji: Vec<EmojiInfo>,
}

/// One emoji of the [`EmojiCatalog`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmojiInfo {
    /// The emoji itself.
    pub emoji: String,
    /// Its Unicode name, e.g. `party popper`.
    pub name: String,
    /// Its shortcodes without colons (`tada`), the usual one first; possibly none.
    pub shortcodes: Vec<String>,
    /// Its group: an index into [`EmojiCatalog::groups`].
    pub group: u8,
}

/// `POST /api/me/delete` (v1.9): an account's password (none for a guest) and what happens to
/// its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteAccountReq {
    /// The account's password (registered accounts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Its messages: kept (as from a deleted user) or removed.
    pub messages: crate::MessagesOnDelete,
}

/// `POST /api/auth/register` and `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Username.
    pub username: String,
    /// Password in clear (only ever over the request body).
    pub password: String,
}

/// `POST /api/me/password` (v1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordReq {
    /// The password now.
    pub current: String,
    /// The new one ([`crate::validate::new_password`]).
    pub new: String,
}

/// `POST /api/auth/guest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestReq {
    /// Desired display name; must be free.
    pub username: String,
}

/// Successful authentication: the user and, for non-browser clients, a bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRes {
    /// The signed-in user.
    pub user: User,
    /// Session token, only for clients that are not browsers (requests without `Origin` and
    /// `Sec-Fetch-Site`): a page's scripts never see it; browsers use the HttpOnly cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeRes {
    /// The signed-in user.
    pub user: User,
}

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthRes {
    /// The node that answered.
    pub node: String,
    /// Whether it serves: connected to its database (and Redis, in a cluster), not shutting
    /// down.
    pub ready: bool,
}

/// Every HTTP error body: `{"error":{code,message}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpError {
    /// The error.
    pub error: ErrorBody,
}
