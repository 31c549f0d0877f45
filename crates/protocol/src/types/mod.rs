//! The JSON payloads of `docs/PROTOCOL.md`, by concern. Ids are `i64`, timestamps `ts` are Unix
//! milliseconds. Every type is re-exported here and at the crate's root, so users write
//! `protocol::JoinReq` whichever file defines it.

mod bots;
mod integrations;
mod messages;
mod moderation;
mod notifications;
mod people;
mod presence;
mod room_list;
mod rooms;

pub use bots::*;
pub use integrations::*;
pub use messages::*;
pub use moderation::*;
pub use notifications::*;
pub use people::*;
pub use presence::*;
pub use room_list::*;
pub use rooms::*;

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn message_round_trips_in_contract_shape() {
        let value = json!({"id": 1, "room": "general", "user": {"id": 2, "username": "ana"}, "text": "hi", "ts": 3});
        let message: Message = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&message).unwrap(), value);
    }

    #[test]
    fn a_thread_reads_back_and_the_newer_summary_wins() {
        let value = json!({"id": 7, "room": "general", "user": {"id": 2, "username": "ana"},
            "text": "me too", "ts": 9, "thread": 3,
            "replies": {"count": 2, "last_id": 7, "last_ts": 9}});
        let reply: Message = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(reply.thread, Some(3));
        assert_eq!(serde_json::to_value(&reply).unwrap(), value);
        let older = ThreadSummary {
            count: 1,
            last_id: 5,
            last_ts: 8,
        };
        let newer = reply.replies.unwrap();
        assert_eq!(older.newer(Some(newer)), newer);
        assert_eq!(newer.newer(Some(older)), newer);
        assert_eq!(older.newer(None), older);
        // Requests without the v1.22 fields mean what they meant before.
        let join: JoinReq = serde_json::from_value(json!({"room": "general"})).unwrap();
        assert!(!join.main);
        let history: HistoryReq = serde_json::from_value(json!({"room": "general"})).unwrap();
        assert_eq!((history.main, history.thread), (false, None));
        assert_eq!(
            serde_json::to_value(JoinReq::new("general")).unwrap(),
            json!({"room": "general"})
        );
    }

    #[test]
    fn client_id_accepts_strings_and_numbers() {
        let a: MessageReq =
            serde_json::from_value(json!({"room": "r", "text": "t", "client_id": "abc"})).unwrap();
        let b: MessageReq =
            serde_json::from_value(json!({"room": "r", "text": "t", "client_id": 7})).unwrap();
        let c: MessageReq = serde_json::from_value(json!({"room": "r", "text": "t"})).unwrap();
        assert_eq!(a.client_id.as_deref(), Some("abc"));
        assert_eq!(b.client_id.as_deref(), Some("7"));
        assert_eq!(c.client_id, None);
        assert!(
            serde_json::from_value::<MessageReq>(
                json!({"room": "r", "text": "t", "client_id": [1]})
            )
            .is_err()
        );
    }

    #[test]
    fn wrong_types_are_rejected() {
        assert!(serde_json::from_value::<JoinReq>(json!({"room": 5})).is_err());
        assert!(serde_json::from_value::<JoinReq>(json!("general")).is_err());
        assert!(
            serde_json::from_value::<TypingReq>(json!({"room": "r", "active": "yes"})).is_err()
        );
        assert!(
            serde_json::from_value::<HistoryReq>(json!({"room": "r", "limit": "ten"})).is_err()
        );
    }

    #[test]
    fn create_room_defaults() {
        let req: CreateRoomReq = serde_json::from_value(json!({"name": "x"})).unwrap();
        assert_eq!(req.topic, None);
        assert!(!req.private);
    }

    #[test]
    fn roles_use_wire_names() {
        for role in [Role::Guest, Role::Member, Role::Admin] {
            assert_eq!(serde_json::to_value(role).unwrap(), json!(role.as_str()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
