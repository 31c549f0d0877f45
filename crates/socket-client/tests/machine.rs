//! The client state machine driven by hand: literal server frames in, frames and events out.
//! The machine knows Socket.IO, not Tertulia's contract (the event names here are arbitrary),
//! except for `restarting`, the server's notice that a reconnect should not wait.

use protocol::events::{admin::NS as ADMIN, chat::NS as CHAT, notifications::NS as NOTES};
use serde_json::json;
use sio_codec::Packet;
use socket_client::{AckError, Backoff, Config, EmitError, Machine, NsState, Output, Status};

const OPEN: &str =
    r#"0{"sid":"s1","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":200}"#;

fn config() -> Config {
    Config {
        backoff: Backoff {
            base_ms: 100,
            max_ms: 1_000,
            jitter: 0.0,
        },
        connect_timeout_ms: 2_000,
        ack_timeout_ms: 300,
        seed: 7,
    }
}

fn drain(machine: &mut Machine) -> Vec<Output> {
    std::iter::from_fn(|| machine.poll_output()).collect()
}

fn sent(outputs: &[Output]) -> Vec<&str> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send(frame) => Some(frame.as_str()),
            _ => None,
        })
        .collect()
}

/// The frame of a CONNECT_ERROR for `ns`.
fn refusal(ns: &str, message: &str) -> String {
    let packet = Packet::ConnectError {
        ns: ns.into(),
        message: message.into(),
    };
    format!("4{}", packet.encode())
}

/// A machine whose link is open and `/chat` connected, outputs drained.
fn connected() -> Machine {
    let mut m = Machine::new(config());
    m.connect_namespace(CHAT, Some(json!({"token": "t"})));
    m.start(0);
    m.handle_open(0);
    m.handle_frame(0, OPEN);
    m.handle_frame(0, r#"40/chat,{"sid":"n1"}"#);
    drain(&mut m);
    m
}

#[test]
fn handshake_then_connects_each_namespace_with_auth() {
    let mut m = Machine::new(config());
    m.connect_namespace(CHAT, Some(json!({"token": "t"})));
    m.connect_namespace(NOTES, None);
    m.start(0);
    assert_eq!(
        drain(&mut m),
        [Output::Status(Status::Connecting), Output::OpenTransport]
    );
    m.handle_open(5);
    m.handle_frame(5, OPEN);
    let out = drain(&mut m);
    assert_eq!(out[0], Output::Status(Status::Connected));
    assert_eq!(
        sent(&out),
        [r#"40/chat,{"token":"t"}"#, "40/notifications,"]
    );
    m.handle_frame(6, r#"40/chat,{"sid":"a"}"#);
    m.handle_frame(6, r#"40/notifications,{"sid":"b"}"#);
    assert_eq!(
        drain(&mut m),
        [
            Output::Connected { ns: CHAT.into() },
            Output::Connected { ns: NOTES.into() }
        ]
    );
    assert_eq!(m.namespace(CHAT), Some(&NsState::Connected));
}

#[test]
fn answers_every_ping_with_a_pong() {
    let mut m = connected();
    m.handle_frame(10, "2");
    m.handle_frame(20, "2");
    assert_eq!(sent(&drain(&mut m)), ["3", "3"]);
}

#[test]
fn a_link_without_pings_is_declared_dead_and_reconnects() {
    let mut m = connected();
    // pingInterval + pingTimeout = 1500 ms after the open at t=0.
    assert_eq!(m.next_deadline(), Some(1_500));
    m.handle_tick(1_499);
    assert!(drain(&mut m).is_empty());
    m.handle_tick(1_500);
    let out = drain(&mut m);
    assert!(out.contains(&Output::CloseTransport));
    assert!(out.contains(&Output::Disconnected {
        ns: CHAT.into(),
        by_server: false
    }));
    assert_eq!(m.status(), Status::Reconnecting { attempt: 1 });
    // First retry after the base delay.
    assert_eq!(m.next_deadline(), Some(1_600));
    m.handle_tick(1_600);
    assert_eq!(drain(&mut m), [Output::OpenTransport]);
}

#[test]
fn pings_push_the_dead_link_deadline_forward() {
    let mut m = connected();
    m.handle_frame(1_000, "2");
    assert_eq!(m.next_deadline(), Some(2_500));
    m.handle_tick(1_600);
    assert!(!drain(&mut m).contains(&Output::CloseTransport));
}

#[test]
fn reconnect_backs_off_exponentially_and_resets_after_success() {
    let mut m = connected();
    let mut now = 0;
    let mut delays = Vec::new();
    m.handle_close(now);
    for _ in 0..5 {
        let retry_at = m.next_deadline().unwrap();
        delays.push(retry_at - now);
        now = retry_at;
        m.handle_tick(now);
        assert!(drain(&mut m).contains(&Output::OpenTransport));
        m.handle_close(now); // the attempt fails
    }
    assert_eq!(delays, [100, 200, 400, 800, 1_000]);
    // A successful attempt resets the backoff and reconnects the namespace.
    now = m.next_deadline().unwrap();
    m.handle_tick(now);
    m.handle_frame(now, OPEN);
    let out = drain(&mut m);
    assert!(out.contains(&Output::Status(Status::Connected)));
    assert_eq!(sent(&out), [r#"40/chat,{"token":"t"}"#]);
    m.handle_close(now);
    assert_eq!(m.next_deadline(), Some(now + 100));
}

#[test]
fn jitter_spreads_retries() {
    let mut config = config();
    config.backoff.jitter = 0.5;
    let retry = |seed| {
        let mut m = Machine::new(Config {
            seed,
            ..config.clone()
        });
        m.start(0);
        m.handle_frame(0, OPEN);
        m.handle_close(0);
        m.next_deadline().unwrap()
    };
    let delays: Vec<u64> = (1..20).map(retry).collect();
    assert!(delays.iter().all(|d| (50..=150).contains(d)), "{delays:?}");
    assert!(
        delays.iter().any(|d| *d != delays[0]),
        "no jitter: {delays:?}"
    );
}

#[test]
fn handshake_timeout_retries() {
    let mut m = Machine::new(config());
    m.start(0);
    drain(&mut m);
    m.handle_tick(2_000);
    let out = drain(&mut m);
    assert!(out.contains(&Output::CloseTransport));
    assert_eq!(m.status(), Status::Reconnecting { attempt: 1 });
}

#[test]
fn emit_with_ack_resolves_on_the_matching_ack() {
    let mut m = connected();
    let id = m
        .emit(0, CHAT, "enter", vec![json!({"room": "lobby"})], true)
        .unwrap()
        .unwrap();
    assert_eq!(
        sent(&drain(&mut m)),
        [format!(r#"42/chat,{id}["enter",{{"room":"lobby"}}]"#)]
    );
    // An ack for another namespace with the same id is not ours.
    m.handle_frame(1, &format!(r#"43/other,{id}[{{"ok":true}}]"#));
    assert!(drain(&mut m).is_empty());
    m.handle_frame(1, &format!(r#"43/chat,{id}[{{"ok":true}}]"#));
    assert_eq!(
        drain(&mut m),
        [Output::Ack {
            id,
            result: Ok(vec![json!({"ok": true})])
        }]
    );
    // A duplicate ack is ignored.
    m.handle_frame(2, &format!(r#"43/chat,{id}[{{"ok":true}}]"#));
    assert!(drain(&mut m).is_empty());
}

#[test]
fn emit_without_ack_has_no_id() {
    let mut m = connected();
    let id = m
        .emit(
            0,
            CHAT,
            "note",
            vec![json!({"room": "r", "active": true})],
            false,
        )
        .unwrap();
    assert_eq!(id, None);
    let out = drain(&mut m);
    let frames = sent(&out);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        Packet::decode(frames[0].strip_prefix('4').unwrap()).unwrap(),
        Packet::Event {
            ns: CHAT.into(),
            id: None,
            event: "note".into(),
            args: vec![json!({"room": "r", "active": true})],
        }
    );
}

#[test]
fn ack_times_out() {
    let mut m = connected();
    let id = m
        .emit(100, CHAT, "list", vec![json!({})], true)
        .unwrap()
        .unwrap();
    drain(&mut m);
    assert_eq!(m.next_deadline(), Some(400));
    m.handle_tick(400);
    assert_eq!(
        drain(&mut m),
        [Output::Ack {
            id,
            result: Err(AckError::Timeout)
        }]
    );
}

#[test]
fn pending_acks_fail_when_the_link_drops() {
    let mut m = connected();
    let id = m.emit(0, CHAT, "list", vec![], true).unwrap().unwrap();
    drain(&mut m);
    m.handle_close(10);
    assert!(drain(&mut m).contains(&Output::Ack {
        id,
        result: Err(AckError::Disconnected)
    }));
}

#[test]
fn emit_refused_while_not_connected_or_too_large() {
    let mut m = Machine::new(config());
    m.connect_namespace(CHAT, None);
    assert_eq!(
        m.emit(0, CHAT, "x", vec![], false),
        Err(EmitError::NotConnected(CHAT.into()))
    );
    let mut m = connected();
    assert!(matches!(
        m.emit(0, CHAT, "text", vec![json!("x".repeat(300))], true),
        Err(EmitError::TooLarge { max: 200, .. })
    ));
    assert_eq!(
        m.emit(0, "/nowhere", "x", vec![], false),
        Err(EmitError::NotConnected("/nowhere".into()))
    );
}

#[test]
fn connect_error_is_surfaced_and_not_retried() {
    let mut m = connected();
    m.connect_namespace(ADMIN, None);
    drain(&mut m);
    m.handle_frame(1, &refusal(ADMIN, "denied"));
    assert_eq!(
        drain(&mut m),
        [Output::ConnectError {
            ns: ADMIN.into(),
            message: "denied".into()
        }]
    );
    assert_eq!(m.namespace(ADMIN), Some(&NsState::Refused("denied".into())));
    // A reconnect of the link does not retry the refused namespace...
    m.handle_close(2);
    let retry_at = m.next_deadline().unwrap();
    m.handle_tick(retry_at);
    m.handle_frame(retry_at, OPEN);
    assert_eq!(sent(&drain(&mut m)), [r#"40/chat,{"token":"t"}"#]);
    // ...but asking again (new credentials) does.
    m.connect_namespace(ADMIN, Some(json!({"token": "new"})));
    assert_eq!(sent(&drain(&mut m)), [r#"40/admin,{"token":"new"}"#]);
}

#[test]
fn a_link_left_without_namespaces_closes_until_one_is_asked_for() {
    let mut m = Machine::new(config());
    m.connect_namespace(CHAT, None);
    m.start(0);
    m.handle_frame(0, OPEN);
    drain(&mut m);
    m.handle_frame(1, &refusal(CHAT, "busy"));
    let outputs = drain(&mut m);
    // Kept open, the server would close it after its connect timeout and the machine would
    // reconnect to ask for nothing, for ever: it closes instead, and schedules nothing.
    assert!(outputs.contains(&Output::CloseTransport), "{outputs:?}");
    assert_eq!(m.status(), Status::Unused);
    assert_eq!(m.next_deadline(), None);
    m.handle_close(2);
    assert!(drain(&mut m).is_empty());
    // Asking again opens the link at once and sends the CONNECT once it is open.
    m.connect_namespace(CHAT, None);
    let at = m.next_deadline().unwrap();
    assert!(at <= 3);
    m.handle_tick(3);
    assert_eq!(
        drain(&mut m),
        [
            Output::Status(Status::Reconnecting { attempt: 1 }),
            Output::OpenTransport
        ]
    );
    m.handle_frame(3, OPEN);
    assert_eq!(sent(&drain(&mut m)), [r#"40/chat,"#]);
    assert_eq!(m.status(), Status::Connected);
}

#[test]
fn the_last_namespace_ended_by_the_server_closes_the_link() {
    let mut m = connected();
    m.connect_namespace(NOTES, None);
    m.handle_frame(1, r#"40/notifications,{"sid":"n2"}"#);
    drain(&mut m);
    m.handle_frame(2, "41/notifications,");
    assert!(!drain(&mut m).contains(&Output::CloseTransport));
    m.handle_frame(3, "41/chat,");
    assert!(drain(&mut m).contains(&Output::CloseTransport));
    assert_eq!(m.status(), Status::Unused);
    assert_eq!(m.next_deadline(), None);
}

#[test]
fn the_link_closes_when_its_last_wanted_namespace_is_refused_after_a_reconnect() {
    let mut m = connected();
    m.connect_namespace(NOTES, None);
    m.handle_frame(0, &refusal(NOTES, "denied"));
    drain(&mut m);
    // The link drops: /chat is retried, and refused this time too.
    m.handle_close(1);
    let retry_at = m.next_deadline().unwrap();
    m.handle_tick(retry_at);
    m.handle_frame(retry_at, OPEN);
    assert_eq!(sent(&drain(&mut m)), [r#"40/chat,{"token":"t"}"#]);
    m.handle_frame(retry_at, &refusal(CHAT, "denied"));
    assert!(drain(&mut m).contains(&Output::CloseTransport));
    assert_eq!(m.status(), Status::Unused);
}

#[test]
fn server_disconnect_of_a_namespace_is_not_retried() {
    let mut m = connected();
    m.handle_frame(1, "41/chat,");
    // The only namespace ended: the link closes rather than reconnect for nothing.
    assert_eq!(
        drain(&mut m),
        [
            Output::Disconnected {
                ns: CHAT.into(),
                by_server: true
            },
            Output::CloseTransport,
            Output::Status(Status::Unused)
        ]
    );
    assert_eq!(m.namespace(CHAT), Some(&NsState::Kicked));
    assert_eq!(m.next_deadline(), None);
}

#[test]
fn events_are_delivered_for_connected_namespaces_only() {
    let mut m = connected();
    m.handle_frame(1, r#"42/chat,["text",{"text":"hi"}]"#);
    m.handle_frame(1, r#"42/stranger,["text",{"text":"no"}]"#);
    assert_eq!(
        drain(&mut m),
        [Output::Event {
            ns: CHAT.into(),
            event: "text".into(),
            args: vec![json!({"text": "hi"})]
        }]
    );
}

#[test]
fn malformed_frames_are_reported_and_ignored() {
    let mut m = connected();
    for frame in ["", "x", "4", "42/chat,[", "451-/chat,[\"a\"]", "0{"] {
        m.handle_frame(1, frame);
    }
    let out = drain(&mut m);
    assert!(
        out.iter().all(|o| matches!(o, Output::ProtocolError(_))),
        "{out:?}"
    );
    assert_eq!(m.status(), Status::Connected);
    assert_eq!(m.namespace(CHAT), Some(&NsState::Connected));
}

#[test]
fn a_restart_notice_makes_the_next_reconnect_immediate_once() {
    let mut m = connected();
    let notice = format!(r#"42/chat,["{}",{{}}]"#, protocol::events::RESTARTING);
    m.handle_frame(10, &notice);
    assert!(
        drain(&mut m).contains(&Output::Event {
            ns: CHAT.into(),
            event: protocol::events::RESTARTING.into(),
            args: vec![json!({})],
        }),
        "the notice still reaches the application"
    );
    m.handle_close(20);
    assert_eq!(
        m.next_deadline(),
        Some(20),
        "no backoff delay after the notice"
    );
    // Only once: a later drop waits as usual.
    m.handle_tick(20);
    m.handle_frame(20, OPEN);
    drain(&mut m);
    m.handle_close(30);
    assert_eq!(m.next_deadline(), Some(130));
}

#[test]
fn a_restart_notice_expires() {
    let mut m = connected();
    let notice = format!(r#"42/chat,["{}",{{}}]"#, protocol::events::RESTARTING);
    m.handle_frame(10, &notice);
    // The restart never came; a drop much later is an ordinary one and backs off.
    let later = 10 + socket_client::RESTART_NOTICE_MS + 1;
    m.handle_close(later);
    assert_eq!(m.next_deadline(), Some(later + 100));
}

#[test]
fn server_close_packet_reconnects() {
    let mut m = connected();
    m.handle_frame(5, "1");
    assert_eq!(m.status(), Status::Reconnecting { attempt: 1 });
}

#[test]
fn offline_pauses_retries_and_online_reconnects_at_once() {
    let mut m = connected();
    m.set_online(10, false);
    let out = drain(&mut m);
    assert!(out.contains(&Output::CloseTransport));
    assert_eq!(m.status(), Status::Offline);
    assert_eq!(m.next_deadline(), None);
    m.set_online(20, true);
    assert!(drain(&mut m).contains(&Output::OpenTransport));
    assert_eq!(m.status(), Status::Reconnecting { attempt: 1 });
}

#[test]
fn close_is_final_until_started_again() {
    let mut m = connected();
    m.close();
    let out = drain(&mut m);
    assert!(out.contains(&Output::CloseTransport));
    assert_eq!(m.status(), Status::Closed);
    m.handle_close(5);
    assert_eq!(m.next_deadline(), None);
    m.start(6);
    assert!(drain(&mut m).contains(&Output::OpenTransport));
}

#[test]
fn a_stale_open_packet_is_ignored() {
    let mut m = connected();
    m.handle_frame(1, OPEN);
    assert!(drain(&mut m).is_empty());
}

#[test]
fn leaving_a_namespace_tells_the_server_and_forgets_it() {
    let mut m = connected();
    // Asked for, not yet answered: still left, so the server does not keep it open.
    m.connect_namespace(ADMIN, None);
    assert_eq!(sent(&drain(&mut m)), ["40/admin,"]);
    m.disconnect_namespace(ADMIN);
    assert_eq!(sent(&drain(&mut m)), ["41/admin,"]);
    // A late CONNECT answer for it is ignored; `/chat` is untouched.
    m.handle_frame(1, r#"40/admin,{"sid":"late"}"#);
    assert!(drain(&mut m).is_empty());
    assert_eq!(m.namespace(ADMIN), None);
    assert_eq!(m.namespace(CHAT), Some(&NsState::Connected));
    // Not reconnected after the link drops and opens again.
    m.handle_close(2);
    m.handle_tick(1_000);
    m.handle_open(1_000);
    m.handle_frame(1_000, OPEN);
    assert_eq!(sent(&drain(&mut m)), [r#"40/chat,{"token":"t"}"#]);
}
