//! What the reader writes, as the outbox keeps it ([`sync::outbox`]): a message, an edit, a
//! deletion or a reaction, stored in this browser from the moment it is written until the
//! server confirms it, so nothing is lost to a dropped connection, a reload or a closed tab.
//!
//! Each entry is stored under its own key, [`storage_key`]: one user's entries never mix
//! with another's who signs in on the same browser, and tabs never overwrite each other.

use protocol::{Attachment, User};
use serde::{Deserialize, Serialize};

use crate::model::Line;

/// One thing written, waiting for the server.
pub type Entry = sync::outbox::Entry<Action>;

/// The outbox of the signed-in user in this tab.
pub type Outbox = sync::outbox::Outbox<Action>;

/// What an entry asks of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// `message`, with the entry's key as its `client_id`.
    Message {
        /// The room's name as the server spells it.
        room: String,
        /// The text (may be empty when there are files).
        text: String,
        /// The message it answers.
        reply_to: Option<i64>,
        /// The files it carries (uploaded already).
        attachments: Vec<Attachment>,
        /// The thread it replies in (v1.22; absent in entries stored before threads).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<i64>,
    },
    /// `edit`.
    Edit {
        /// The message.
        id: i64,
        /// Its new text.
        text: String,
    },
    /// `delete`.
    Delete {
        /// The message.
        id: i64,
    },
    /// `react`.
    React {
        /// The message.
        id: i64,
        /// The emoji.
        emoji: String,
        /// Add it, or take it back.
        active: bool,
    },
}

impl Action {
    /// The line a message shows while it waits (`None` for edits, deletions and
    /// reactions, which show on the message they change).
    #[must_use]
    pub fn pending_line(&self, key: &str, failed: Option<String>, me: &User) -> Option<Line> {
        match self {
            Self::Message {
                text,
                reply_to,
                attachments,
                thread,
                ..
            } => Some(Line::Pending {
                client_id: key.to_owned(),
                text: text.clone(),
                user: me.clone(),
                failed,
                reply_to: *reply_to,
                attachments: attachments.clone(),
                thread: *thread,
            }),
            _ => None,
        }
    }
}

/// Where the entries of `user` start in the browser's storage.
#[must_use]
pub fn storage_prefix(user: i64) -> String {
    format!("tertulia.outbox.{user}.")
}

/// Where one entry of `user` is stored.
#[must_use]
pub fn storage_key(user: i64, key: &str) -> String {
    format!("{}{key}", storage_prefix(user))
}

/// An entry as stored, or `None` if the stored text is not one (written by another version,
/// or damaged): such a value is left alone rather than sent.
#[must_use]
pub fn decode(stored: &str) -> Option<Entry> {
    serde_json::from_str(stored).ok()
}

/// The text an entry is stored as.
#[must_use]
pub fn encode(entry: &Entry) -> String {
    serde_json::to_string(entry).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Entry {
        Entry {
            key: "c-1".into(),
            room: "lobby".into(),
            written_at: 5,
            owner: "tab".into(),
            failed: None,
            payload: Action::Message {
                room: "Lobby".into(),
                text: "hola".into(),
                reply_to: Some(3),
                attachments: Vec::new(),
                thread: None,
            },
        }
    }

    #[test]
    fn an_entry_reads_back_as_stored() {
        let entry = message();
        assert_eq!(decode(&encode(&entry)), Some(entry));
        assert_eq!(decode("{\"key\":1}"), None);
        assert_eq!(decode("not json"), None);
    }

    #[test]
    fn only_messages_show_as_lines_of_their_own() {
        let me = User {
            id: 1,
            username: "ana".into(),
            role: protocol::Role::Member,
        };
        let line = message()
            .payload
            .pending_line("c-1", Some("muted".into()), &me);
        assert!(matches!(
            line,
            Some(Line::Pending { ref text, ref failed, .. }) if text == "hola" && failed.as_deref() == Some("muted")
        ));
        let edit = Action::Edit {
            id: 1,
            text: "x".into(),
        };
        assert_eq!(edit.pending_line("e-1", None, &me), None);
    }

    #[test]
    fn users_have_their_own_keys() {
        assert_ne!(storage_key(1, "a"), storage_key(11, "a"));
        assert!(storage_key(1, "a").starts_with(&storage_prefix(1)));
        assert!(!storage_key(11, "a").starts_with(&storage_prefix(1)));
    }
}
