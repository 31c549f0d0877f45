//! What a new message triggers after its answer (mention notifications, DM pings), done by one
//! worker per node from a bounded queue: the work a burst of messages causes is bounded by the
//! queue, not one task per message, and a full queue holds the next author's answer back
//! (nothing is dropped).

use std::sync::{Arc, Mutex};

use protocol::{Message, User};
use store::{RoomKind, RoomRecord};
use tokio::sync::mpsc;

use super::Chat;

/// Messages waiting for their follow-ups, per node, before authors wait.
pub const FOLLOW_UPS_QUEUED: usize = 1_024;

/// A message whose follow-ups are to be done.
pub(super) struct FollowUp {
    pub(super) room: RoomRecord,
    pub(super) sender: User,
    pub(super) message: Message,
}

/// The queue of follow-ups. Cheap to clone.
#[derive(Clone)]
pub(super) struct FollowUps {
    queue: mpsc::Sender<FollowUp>,
    /// Taken once, by [`Chat::spawn_follow_ups`].
    worker: Arc<Mutex<Option<mpsc::Receiver<FollowUp>>>>,
}

impl FollowUps {
    pub(super) fn new() -> Self {
        let (queue, worker) = mpsc::channel(FOLLOW_UPS_QUEUED);
        Self {
            queue,
            worker: Arc::new(Mutex::new(Some(worker))),
        }
    }
}

/// Whether a message has follow-ups at all: a DM, a reply in a thread (its followers), or text
/// that may mention someone.
pub(super) fn has_follow_ups(room: &RoomRecord, message: &Message) -> bool {
    room.kind == RoomKind::Dm || message.thread.is_some() || message.text.contains('@')
}

impl Chat {
    /// Queues a new message's follow-ups, waiting while the queue is full.
    pub(super) async fn follow_up(&self, room: RoomRecord, sender: User, message: Message) {
        if !has_follow_ups(&room, &message) {
            return;
        }
        let item = FollowUp {
            room,
            sender,
            message,
        };
        if self.follow_ups.queue.send(item).await.is_err() {
            tracing::warn!("the follow-up worker is gone; a message's notifications are lost");
        }
    }

    /// Starts this node's follow-up worker (once; `None` if it runs already). The app keeps
    /// the handle and aborts it when it stops.
    #[must_use]
    pub fn spawn_follow_ups(&self) -> Option<tokio::task::JoinHandle<()>> {
        let mut worker = self
            .follow_ups
            .worker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()?;
        let chat = self.clone();
        Some(tokio::spawn(async move {
            while let Some(next) = worker.recv().await {
                chat.notify_recipients(next.room, next.sender, next.message)
                    .await;
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(kind: RoomKind) -> RoomRecord {
        RoomRecord {
            id: 1,
            name: "r".into(),
            topic: None,
            private: kind == RoomKind::Dm,
            kind,
            closed: false,
            owner: None,
        }
    }

    fn message(text: &str) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": 1, "room": "r", "user": {"id": 1, "username": "ana"}, "text": text, "ts": 0
        }))
        .unwrap()
    }

    #[test]
    fn only_dms_and_possible_mentions_have_follow_ups() {
        assert!(has_follow_ups(&room(RoomKind::Dm), &message("hi")));
        assert!(has_follow_ups(&room(RoomKind::Room), &message("hi @bea")));
        assert!(!has_follow_ups(&room(RoomKind::Room), &message("hi")));
    }
}
