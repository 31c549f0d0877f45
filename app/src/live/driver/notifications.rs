//! Notifications: the bell list, toasts, browser notifications, marking read.

use super::*;

impl Chat {
    /// Marks notifications read, here and on the server.
    pub fn mark_read(&self, ids: Vec<i64>) {
        self.notifications.update(|list| {
            for note in list.iter_mut().filter(|n| ids.contains(&n.id)) {
                note.read = true;
            }
        });
        let Some(socket) = self.socket() else { return };
        spawn_local(async move {
            let _ = socket.request(&MarkReadReq { ids }).await;
        });
    }

    /// Marks every notification read, here and on the server.
    pub fn mark_all_read(&self) {
        self.notifications.update(|list| {
            for note in list.iter_mut() {
                note.read = true;
            }
        });
        let Some(socket) = self.socket() else { return };
        spawn_local(async move {
            let _ = socket.request(&MarkAllReadReq {}).await;
        });
    }

    /// Whether a notification is about the room the user is reading right now (for one into
    /// a thread, with that thread open).
    pub(super) fn is_reading(&self, note: &Notification) -> bool {
        let Some(url) = note.url.as_deref() else {
            return false;
        };
        let thread_shown = match protocol::links::thread_of(url) {
            Some(root) => self.thread.get_untracked() == Some(root),
            None => true,
        };
        protocol::links::room_of(url).is_some_and(|room| {
            self.is_on_screen()
                && thread_shown
                && self.active.get_untracked() == Some(Rooms::key(&room))
        })
    }

    /// A toast for a notification, unless it is a DM ping from a muted room (mentions
    /// always show).
    pub(super) fn wants_toast(&self, note: &Notification) -> bool {
        let Some(room) = note.url.as_deref().and_then(protocol::links::room_of) else {
            return true;
        };
        let muted = self
            .rooms
            .with_untracked(|rooms| rooms.get(&room).is_some_and(|v| v.muted));
        !(muted && note.kind != NotificationKind::Mention)
    }
}

pub(super) fn wire_notifications(socket: &Socket, chat: Chat) {
    socket.on(move |note: Notification| {
        let known = chat
            .notifications
            .with_untracked(|list| list.iter().any(|n| n.id == note.id));
        if known {
            return;
        }
        if matches!(note.kind, NotificationKind::Invite | NotificationKind::Dm) {
            chat.refresh_directory();
        }
        chat.notifications
            .update(|list| list.insert(0, note.clone()));
        // Stored before this page opened: in the bell, not toasted again on every load.
        let from_before = chat
            .toasts_since
            .get_value()
            .is_none_or(|since| note.ts < since);
        // A moderator's action is news even in the room on screen.
        if note.kind != NotificationKind::Moderation && chat.is_reading(&note) {
            // Already on screen: nothing to catch up on.
            chat.mark_read(vec![note.id]);
        } else if !from_before && chat.wants_toast(&note) {
            let id = note.id;
            let url = note.url.clone();
            crate::desktop::show_if_hidden(&note, move || {
                chat.mark_read(vec![id]);
                chat.go_to.set(url);
            });
            chat.toast.set(Some(note));
        }
    });
}
