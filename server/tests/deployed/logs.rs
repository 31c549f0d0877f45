//! What the server binary writes to its log, with every filter opened (`RUST_LOG=trace`):
//! never a session token, although the socket libraries print whole CONNECT packets at debug
//! level. Run as a process, so it is the binary's own logging set-up that is checked.

use protocol::events::{GENERAL_ROOM, chat};
use protocol::{JoinReq, MessageReq, Request};

use crate::processes::{ServerProcess, free_port, scratch};

#[tokio::test]
async fn session_tokens_never_reach_the_logs_whatever_the_filter() {
    let (logs, token, _) = a_message_sent_with_the_log(&[("RUST_LOG", "trace")]).await;
    assert!(
        logs.contains("event{"),
        "the text format shows the event's span"
    );
    assert!(!logs.contains(&token), "a session token was logged");
}

#[tokio::test]
async fn json_lines_carry_the_node_and_the_requests_user_and_event_and_no_token() {
    let (logs, token, ana) = a_message_sent_with_the_log(&[
        ("RUST_LOG", "trace"),
        ("TERTULIA_LOG_FORMAT", "json"),
        ("TERTULIA_NODE_ID", "n7"),
    ])
    .await;
    assert!(!logs.contains(&token), "a session token was logged");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(lines.len() > 10, "{logs}");
    for line in &lines {
        assert!(line["ts"].is_u64() && line["level"].is_string(), "{line}");
    }
    // Once the node is known, every line names it; a handled event's lines carry its user.
    let known = lines
        .iter()
        .position(|line| line["node"] == "n7")
        .expect("lines naming the node");
    assert!(lines[known..].iter().all(|line| line["node"] == "n7"));
    let handled: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["event"] == MessageReq::EVENT)
        .collect();
    assert!(!handled.is_empty(), "{logs}");
    assert!(
        handled.iter().any(|line| line["user"] == ana),
        "{handled:?}"
    );
}

/// A guest signs in, joins and sends a message to a server started with `env`: its output so
/// far, the guest's session token and user id.
async fn a_message_sent_with_the_log(env: &[(&str, &str)]) -> (String, String, i64) {
    let dir = scratch(&format!("logs-{}", env.len()));
    let server = ServerProcess::start(free_port(), &dir.join("tertulia.db"), env).await;
    let (ana, token) = crate::peer::guest(server.addr, "ana").await;
    let mut ws = crate::raw::connected(server.addr, chat::NS, &token).await;
    let joined = crate::raw::request(&mut ws, 1, &JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true, "{joined}");
    let said = crate::raw::request(
        &mut ws,
        2,
        &MessageReq {
            room: GENERAL_ROOM.into(),
            text: "hello".into(),
            ..MessageReq::default()
        },
    )
    .await;
    assert_eq!(said["ok"], true, "{said}");
    // The handled event's own trace lines show the capture works (and that trace is on).
    // `event=message` (or quoted) in text, `"event":"message"` in JSON.
    let name = MessageReq::EVENT;
    let markers = [
        format!("event={name}"),
        format!("event=\"{name}\""),
        format!("\"event\":\"{name}\""),
    ];
    let handled = |logs: &str| markers.iter().any(|marker| logs.contains(marker.as_str()));
    crate::wait::bounded("the message's trace lines", async {
        while !handled(&server.output()) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    (server.output(), token, ana.id)
}
