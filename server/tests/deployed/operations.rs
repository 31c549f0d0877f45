//! The operator's side of the real binary: metrics on their own address and behind their token
//! (`TERTULIA_METRICS_ADDR`, `TERTULIA_METRICS_TOKEN`), and a token too short to be a secret
//! refused at start with a clear message.

use std::process::{Command, Stdio};

use protocol::events::{GENERAL_ROOM, chat};
use protocol::links::METRICS;
use protocol::{JoinReq, MessageReq, Request};

use crate::processes::{ServerProcess, free_port, scratch};

const TOKEN: &str = "a-metrics-token-for-tests";

#[tokio::test]
async fn the_binary_serves_metrics_on_their_own_address_behind_the_token() {
    let dir = scratch("metrics");
    let metrics_port = free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let server = ServerProcess::start(
        free_port(),
        &dir.join("tertulia.db"),
        &[
            ("TERTULIA_METRICS_ADDR", metrics_addr.as_str()),
            ("TERTULIA_METRICS_TOKEN", TOKEN),
            ("TERTULIA_NODE_ID", "ops-1"),
        ],
    )
    .await;
    let (_, token) = crate::peer::guest(server.addr, "ana").await;
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

    let metrics_addr = metrics_addr.parse().unwrap();
    let (status, _) = crate::raw::http(metrics_addr, "GET", METRICS, "").await;
    assert_eq!(
        status, 401,
        "the token is needed on the metrics address too"
    );
    let bearer = format!("Bearer {TOKEN}");
    let scrape = |addr| {
        let bearer = bearer.clone();
        async move {
            crate::raw::http_with(addr, "GET", METRICS, &[("Authorization", &bearer)], "").await
        }
    };
    let (status, text) = scrape(metrics_addr).await;
    assert_eq!(status, 200, "{text}");
    let labels = [
        format!(r#"event="{}""#, MessageReq::EVENT),
        format!(r#"namespace="{}""#, chat::NS),
        r#"outcome="ok""#.to_owned(),
        r#"node="ops-1""#.to_owned(),
    ];
    let sent = text.lines().find(|line| {
        line.starts_with("tertulia_events_total{")
            && labels.iter().all(|label| line.contains(label.as_str()))
    });
    assert!(
        sent.is_some_and(|line| line.ends_with(" 1")),
        "one message counted:\n{text}"
    );
    // With a token, the main address answers too.
    let (status, text) = scrape(server.addr).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("tertulia_sockets{"), "{text}");
}

#[test]
fn a_short_metrics_token_is_refused_at_start() {
    let dir = scratch("metrics-short-token");
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("t.db").display()),
        )
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("TERTULIA_METRICS_TOKEN", "Qz7-tok3n")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("TERTULIA_METRICS_TOKEN"), "{said}");
    assert!(
        !said.contains("Qz7-tok3n"),
        "the token itself is not printed: {said}"
    );
}
