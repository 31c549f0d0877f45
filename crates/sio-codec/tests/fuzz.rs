//! Property tests of the codecs on stable Rust: decoding any text never panics, and what the
//! encoders write decodes back to the same packet. Cases are bounded so the normal test run
//! stays quick (`PROPTEST_CASES=100000 cargo test -p sio-codec --test fuzz` for a long run).

use proptest::prelude::*;
use serde_json::{Map, Value};
use sio_codec::{EnginePacket, Packet};

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

/// A namespace as the contract allows it: `/` or `/name` without a comma.
fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_owned()), "/[^,]{1,12}"]
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        (
            namespace(),
            prop::option::of(prop::collection::btree_map(
                "[a-z]{1,6}",
                json_exact(),
                0..4
            ))
        )
            .prop_map(|(ns, data)| Packet::Connect {
                ns,
                data: data.map(|m| Value::Object(m.into_iter().collect())),
            }),
        namespace().prop_map(|ns| Packet::Disconnect { ns }),
        (
            namespace(),
            prop::option::of(any::<u64>()),
            ".{0,16}",
            prop::collection::vec(json_exact(), 0..4)
        )
            .prop_map(|(ns, id, event, args)| Packet::Event {
                ns,
                id,
                event,
                args
            }),
        (
            namespace(),
            any::<u64>(),
            prop::collection::vec(json_exact(), 0..4)
        )
            .prop_map(|(ns, id, args)| Packet::Ack { ns, id, args }),
        (namespace(), ".{0,24}").prop_map(|(ns, message)| Packet::ConnectError { ns, message }),
    ]
}

/// Text that often looks like a frame: a packet type, maybe a namespace, maybe an id, then
/// anything.
fn frame_like() -> impl Strategy<Value = String> {
    (
        "[0-9b]?",
        prop::option::of("/[a-z,]{0,6}"),
        prop::option::of("[0-9]{1,22}"),
        prop_oneof![".{0,40}", json().prop_map(|v| v.to_string())],
    )
        .prop_map(|(kind, ns, id, rest)| {
            format!(
                "{kind}{}{}{rest}",
                ns.unwrap_or_default(),
                id.unwrap_or_default()
            )
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn socket_io_packets_round_trip(packet in packet()) {
        let frame = packet.encode();
        prop_assert_eq!(Packet::decode(&frame), Ok(packet));
    }

    #[test]
    fn decoding_any_text_never_panics(text in prop_oneof![".{0,64}", frame_like()]) {
        let _ = Packet::decode(&text);
        let _ = EnginePacket::decode(&text);
        if let Ok(EnginePacket::Message(inner)) = EnginePacket::decode(&text) {
            let _ = Packet::decode(&inner);
        }
    }

    #[test]
    fn engine_packets_round_trip(data in "[^\u{0}]{0,32}", kind in 1u8..7) {
        let packet = match kind {
            1 => EnginePacket::Close,
            2 => EnginePacket::Ping(data),
            3 => EnginePacket::Pong(data),
            4 => EnginePacket::Message(data),
            5 => EnginePacket::Upgrade,
            _ => EnginePacket::Noop,
        };
        prop_assert_eq!(EnginePacket::decode(&packet.encode()), Ok(packet));
    }
}
