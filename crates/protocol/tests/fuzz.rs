//! Property tests of the payloads on stable Rust: decoding any JSON as a request or an answer
//! never panics, encoders round-trip, and the validation rules keep their promises. Cases are
//! bounded so the normal test run stays quick (`PROPTEST_CASES=100000 cargo test -p protocol
//! --test fuzz` for a long run).

use proptest::prelude::*;
use protocol::request::Request;
use protocol::{
    Ack, CreateRoomReq, DmReq, Empty, GroupDmReq, HistoryReq, InviteReq, JoinReq, MarkReadReq,
    MembersReq, MessageReq, MessageRes, SetRoleReq, TypingReq, validate,
};
use serde_json::{Map, Value};

fn config() -> ProptestConfig {
    let mut config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 512;
    }
    config
}

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_exact(),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
    ]
}

/// JSON without floating-point numbers (serde_json prints floats shortest-first, which does
/// not always read back to the same bits: not the codec's concern).
fn json_exact() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,8}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_json_payload_decodes_or_is_refused_without_panicking(value in json()) {
        fn attempt<R: Request>(value: &Value) {
            let _ = serde_json::from_value::<R>(value.clone());
            let _ = serde_json::from_value::<Ack<R::Response>>(value.clone());
        }
        attempt::<JoinReq>(&value);
        attempt::<MessageReq>(&value);
        attempt::<HistoryReq>(&value);
        attempt::<CreateRoomReq>(&value);
        attempt::<TypingReq>(&value);
        attempt::<InviteReq>(&value);
        attempt::<DmReq>(&value);
        attempt::<GroupDmReq>(&value);
        attempt::<MembersReq>(&value);
        attempt::<MarkReadReq>(&value);
        attempt::<SetRoleReq>(&value);
    }

    #[test]
    fn requests_round_trip(room in ".{0,70}", text in ".{0,80}", client_id in prop::option::of("[a-z0-9-]{1,20}"),
                           before in prop::option::of(any::<i64>()), limit in prop::option::of(any::<i64>()),
                           reply_to in prop::option::of(any::<i64>())) {
        let attachments = client_id.iter().map(|id| format!("{id:0>32}")).collect();
        let message = MessageReq { room: room.clone(), text, client_id, reply_to, attachments, thread: None };
        prop_assert_eq!(serde_json::from_value::<MessageReq>(serde_json::to_value(&message).unwrap()).unwrap(), message);
        let history = HistoryReq { room, before, after: None, limit, ..HistoryReq::default() };
        prop_assert_eq!(serde_json::from_value::<HistoryReq>(serde_json::to_value(&history).unwrap()).unwrap(), history);
    }

    #[test]
    fn validation_never_panics_and_keeps_its_promises(text in ".{0,80}") {
        if let Ok(name) = validate::username(&text) {
            prop_assert!(!name.is_empty() && name.chars().count() <= validate::USERNAME_MAX);
            prop_assert!(!name.chars().any(|c| c.is_control() || validate::is_invisible(c)));
        }
        if let Ok(name) = validate::room_name(&text) {
            prop_assert!(!name.is_empty() && name.chars().count() <= validate::ROOM_NAME_MAX);
            prop_assert!(!name.contains("  ") && name.trim() == name);
        }
        if let Ok(clean) = validate::message_text(&text) {
            prop_assert!(!clean.is_empty() && clean.trim() == clean);
            prop_assert!(!clean.chars().any(validate::is_refused_control));
        }
        let _ = validate::topic(Some(&text));
        let name = validate::file_name(&text);
        prop_assert!(!name.is_empty() && name.len() <= validate::FILE_NAME_MAX);
        prop_assert!(!name.contains(['/', '\\']) && !name.chars().any(char::is_control));
        prop_assert!(validate::avatar_hue(&text) < 360);
        let _ = validate::channel(&text);
        let _ = validate::notification(&text, &text, &text, Some(&text));
        let _ = validate::mentions(&text);
        if let Ok(emoji) = validate::emoji(&text) {
            prop_assert!(!emoji.is_empty() && emoji.len() <= validate::EMOJI_MAX_BYTES);
            prop_assert!(!emoji.chars().any(|c| c.is_alphabetic() || c.is_whitespace() || c.is_control()));
        }
        prop_assert!(validate::excerpt(&text).chars().count() <= validate::EXCERPT_MAX + 1);
        if let Ok(terms) = validate::search_terms(&text) {
            let (snippet, marks) = validate::snippet(&text, &terms);
            let length = snippet.chars().count() as u32;
            prop_assert!(marks.iter().all(|[from, to]| from < to && *to <= length));
        }
    }

    #[test]
    fn acks_round_trip(id in any::<i64>(), text in ".{0,40}") {
        let ack: Ack<Empty> = Ack::Ok(Empty {});
        prop_assert_eq!(serde_json::from_value::<Ack<Empty>>(serde_json::to_value(&ack).unwrap()).unwrap(), ack);
        let body = MessageRes { message: protocol::Message {
            id, room: "r".into(), user: protocol::Author { id, username: "u".into() }, text: text.clone(), ts: id,
            edited_ts: Some(id), deleted: id % 2 == 0,
            reactions: vec![protocol::Reaction { emoji: "👍".into(), count: 1, users: vec![id] }],
            reply_to: Some(protocol::ReplyPreview { id, user: protocol::Author { id, username: "v".into() }, excerpt: text.clone() }),
            attachments: vec![protocol::Attachment { id: "0".repeat(32), name: text, size: id.unsigned_abs(),
                content_type: "image/png".into(), url: "/api/files/x".into(), preview_url: None }],
            prev: Some(id.saturating_sub(1)),
            pinned: Some(protocol::Pin { by: protocol::Author { id, username: "w".into() }, ts: id }),
            saved: id % 3 == 0,
            preview: (id % 5 == 0).then(|| Box::new(protocol::LinkPreview {
                url: "https://example.org/".into(), site: "example.org".into(), title: "t".into(),
                description: None, image_url: Some("/api/link-images/x".into()) })),
            bot: id % 7 == 0,
            thread: (id % 11 == 0).then_some(id.saturating_sub(1)),
            replies: (id % 13 == 0).then_some(protocol::ThreadSummary { count: id.unsigned_abs(), last_id: id, last_ts: id }),
            thread_read: (id % 17 == 0).then_some(id),
            client_id: (id % 19 == 0).then(|| format!("c{id}")),
        } };
        let ack = Ack::Ok(body);
        prop_assert_eq!(serde_json::from_value::<Ack<MessageRes>>(serde_json::to_value(&ack).unwrap()).unwrap(), ack);
    }
}

#[cfg(feature = "names")]
proptest! {
    #![proptest_config(config())]

    #[test]
    fn name_rules_never_panic(text in ".{0,40}") {
        if let Ok(name) = protocol::names::username(&text) {
            prop_assert!(protocol::validate::username(&name).is_ok());
            prop_assert!(!protocol::names::unique_key(&name).is_empty());
        }
        let _ = protocol::names::room_name(&text);
        let _ = protocol::names::is_reserved_username(&text);
    }
}
