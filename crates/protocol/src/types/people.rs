//! Who people are on the wire: roles, users, message authors.

use serde::{Deserialize, Serialize};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A temporary identity with only a name.
    Guest,
    /// A registered account.
    Member,
    /// May see `/admin`, push notifications and change roles.
    Admin,
}

impl Role {
    /// The role as written on the wire and in the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Member => "member",
            Self::Admin => "admin",
        }
    }

    /// Parses the wire / database spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "guest" => Some(Self::Guest),
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// `{id, username, role}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Display name, unique case-insensitively.
    pub username: String,
    /// Role.
    pub role: Role,
}

/// The author of a message: `{id, username}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// User id.
    pub id: i64,
    /// Display name.
    pub username: String,
}

impl From<&User> for Author {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
        }
    }
}

/// `block` request (v1.11): `username`'s DMs, invites and mentions no longer reach the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockReq {
    /// Whom.
    pub username: String,
}

/// `unblock` request (v1.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnblockReq(pub BlockReq);

/// `blocks` request (v1.11); carries nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocksReq {}

/// Whom the caller blocks, by name (v1.11): the `blocks` ack, and the `blocks` event sent to
/// every `/chat` socket of the user when it changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocks {
    /// The blocked accounts, sorted by name.
    pub users: Vec<Author>,
}

/// `find_people` request (v1.12): the people of this server, by name, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleReq {
    /// Only names containing this (case and look-alikes folded), 1 to
    /// [`crate::validate::PEOPLE_QUERY_MAX`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The page after this name (the last `username` of the previous page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// At most this many (1–100, default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// Someone in the directory (v1.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Who.
    pub user: User,
    /// Whether they have the app open anywhere now.
    pub online: bool,
    /// Their status line, if they set one (v1.13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Online, but none of their apps has seen them act for a while (v1.21; see
    /// [`ActivityReq`]).
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub away: bool,
    /// A bot with an API token (v1.33; see `create_bot`): a program, which can be written to.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub bot: bool,
}

/// How someone shows (v1.25): `{id, avatar?, name?}`, the answer to `profiles`,
/// `set_display_name` and the `profile_updated` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// User id.
    pub id: i64,
    /// Their picture's address ([`crate::links::avatar`]), if they set one: a square
    /// [`crate::validate::AVATAR_SIDE`] pixels a side, for signed-in people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// The name they like to be called by, if they set one (v1.26; see
    /// [`crate::validate::display_name`]). Their `username` stays how they are mentioned and
    /// found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `set_display_name` request (v1.26): the caller's display name; empty clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDisplayNameReq {
    /// The name (see [`crate::validate::display_name`]).
    pub name: String,
}

/// `profiles` request (v1.25): 1 to [`crate::validate::PROFILES_MAX`] user ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilesReq {
    /// Whom.
    pub ids: Vec<i64>,
}

/// `profiles` ack (v1.25): the profiles of the ids that are accounts, in id order (an
/// unknown or deleted id is left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilesRes {
    /// Theirs.
    pub profiles: Vec<Profile>,
}

/// `activity` request (v1.21): the person is at the keyboard (they typed, clicked, or came
/// back to the tab). Clients send it at most once a minute while that goes on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityReq {}

/// `set_status` request (v1.13): the caller's status line; empty clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetStatusReq {
    /// One line, at most [`crate::validate::STATUS_MAX`] characters.
    pub status: String,
}

/// `find_people` ack (v1.12): sorted by name (case and look-alikes folded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleRes {
    /// This page.
    pub people: Vec<Person>,
    /// More follow: ask again with `after` set to the last name here.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}
