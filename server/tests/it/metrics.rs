//! Metrics (v1.8): `/metrics` is off by default, needs its token on the main address, is served
//! on its own address, counts what happened, and passes `promtool check metrics` (Debian's
//! `prometheus` package; required when `TERTULIA_TEST_REQUIRE_SERVICES` is set, as in CI).

use std::collections::HashMap;

use axum::http::StatusCode;
use protocol::events::{GENERAL_ROOM, chat};
use protocol::links::METRICS;
use protocol::{CreateRoomReq, ErrorCode, MessageReq};

use crate::common::{TestServer, WAIT};
use crate::raw;

const TOKEN: &str = "metrics-token-0123456789";

/// One sample of the text format: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// The samples of a scrape (label values here never hold `,` `"` or `}`).
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect("label=value");
                    (key.to_owned(), value.trim_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("a number"),
            }
        })
        .collect()
}

/// The value of the series `name` with (at least) these labels.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|sample| {
            sample.name == name
                && labels
                    .iter()
                    .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(value))
        })
        .map(|sample| sample.value)
}

#[tokio::test]
async fn metrics_are_off_unless_turned_on() {
    let server = TestServer::spawn().await;
    let answer = server.get(METRICS, &[]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(!answer.body.to_string().contains("tertulia_"));
}

#[tokio::test]
async fn the_main_address_serves_metrics_only_with_the_token() {
    let server =
        TestServer::spawn_with(|config| config.metrics_token = Some(TOKEN.to_owned().into())).await;
    let refused = server.get(METRICS, &[]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.headers.contains_key("www-authenticate"));
    let wrong = server
        .get(
            METRICS,
            &[("authorization", "Bearer metrics-token-012345678")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {TOKEN}");
    let scraped = server
        .get(METRICS, &[("authorization", bearer.as_str())])
        .await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert_eq!(
        scraped.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = scraped.body.as_str().expect("text");
    let node = server.app.node_id();
    assert!(
        text.contains(&format!(
            r#"tertulia_build_info{{version="{}",node="{node}"}} 1"#,
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_count_what_happened_and_pass_promtool() {
    let server = TestServer::spawn_with(|config| config.message_burst = 2).await;
    // The metrics address, as `TERTULIA_METRICS_ADDR` serves it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, server.app.metrics_router()).into_future());

    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    for text in ["one", "two"] {
        ana.say(GENERAL_ROOM, text).await.expect("within the burst");
    }
    let refused = ana
        .refused(&MessageReq {
            room: GENERAL_ROOM.into(),
            text: "three".into(),
            ..MessageReq::default()
        })
        .await;
    assert_eq!(refused, ErrorCode::RateLimited);
    // A new room is written in a transaction.
    ana.ok(&CreateRoomReq {
        name: "ops".into(),
        topic: None,
        private: false,
    })
    .await;
    let unknown = ana.raw("no_such_event", serde_json::json!({})).await;
    assert_eq!(crate::common::code(&unknown), ErrorCode::BadRequest);

    let (status, text) = tokio::time::timeout(WAIT, raw::http(metrics_addr, "GET", METRICS, ""))
        .await
        .expect("the metrics address answers");
    assert_eq!(status, 200, "{text}");
    let all = samples(&text);
    let node = server.app.node_id();
    assert!(
        all.iter()
            .all(|s| s.labels.get("node").map(String::as_str) == Some(node)),
        "every series names the node"
    );
    let message = [("namespace", chat::NS), ("event", chat::MESSAGE)];
    let ok = [message.as_slice(), &[("outcome", "ok")]].concat();
    assert_eq!(value(&all, "tertulia_events_total", &ok), Some(2.0));
    let limited = [
        message.as_slice(),
        &[("outcome", ErrorCode::RateLimited.as_str())],
    ]
    .concat();
    assert_eq!(value(&all, "tertulia_events_total", &limited), Some(1.0));
    assert_eq!(
        value(&all, "tertulia_event_seconds_count", &message),
        Some(3.0),
        "every answer is timed"
    );
    assert_eq!(
        value(
            &all,
            "tertulia_rate_limited_total",
            &[("limit", "messages")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &all,
            "tertulia_events_total",
            &[
                ("event", "(unknown)"),
                ("outcome", ErrorCode::BadRequest.as_str())
            ]
        ),
        Some(1.0),
        "unknown events are counted under one name"
    );
    assert_eq!(
        value(&all, "tertulia_sockets", &[("namespace", chat::NS)]),
        Some(1.0)
    );
    assert!(value(&all, "tertulia_connections", &[]).unwrap() >= 1.0);
    assert!(value(&all, "tertulia_http_responses_total", &[("class", "2xx")]).unwrap() >= 1.0);
    assert!(value(&all, "tertulia_db_statement_seconds_count", &[]).unwrap() > 0.0);
    // SQLite stores new messages through the group commit: two batches (or one of two rows).
    assert_eq!(value(&all, "tertulia_db_batch_rows_sum", &[]), Some(2.0));
    assert!(value(&all, "tertulia_db_transaction_wait_seconds_count", &[]).unwrap() > 0.0);
    assert!(value(&all, "tertulia_process_resident_memory_bytes", &[]).unwrap() > 0.0);
    assert_eq!(value(&all, "tertulia_cluster_nodes", &[]), Some(1.0));

    promtool_accepts(&text);
}

/// `promtool check metrics` finds no problem in `text`.
fn promtool_accepts(text: &str) {
    use std::io::Write;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            assert!(
                std::env::var_os("TERTULIA_TEST_REQUIRE_SERVICES").is_none(),
                "promtool is needed (scripts/setup.sh installs Debian's prometheus): {error}"
            );
            eprintln!("promtool not installed: the metrics were not linted");
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A connection the server closes for idling is counted, and so is one turned away.
#[tokio::test]
async fn cut_and_refused_connections_are_counted() {
    let server = TestServer::spawn_with(|config| {
        config.header_timeout_secs = 1;
        config.max_connections_per_ip = 1;
    })
    .await;
    let idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // A second connection from the same address is turned away with a 503.
    let (status, _) = raw::http(server.addr, "GET", "/livez", "").await;
    assert_eq!(status, 503);
    // The first one sent nothing: it is cut (header timeout) within the test's wait.
    let mut buf = [0u8; 1];
    let closed = tokio::time::timeout(WAIT, async {
        use tokio::io::AsyncReadExt;
        let mut idle = idle;
        idle.read(&mut buf).await
    })
    .await;
    assert!(
        matches!(closed, Ok(Ok(0))),
        "the silent connection is closed"
    );
    let text = server.app.metrics_text();
    let all = samples(&text);
    assert_eq!(
        value(
            &all,
            "tertulia_connections_refused_total",
            &[("reason", "address_full")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &all,
            "tertulia_connections_cut_total",
            &[("reason", "slow_request")]
        ),
        Some(1.0)
    );
}

/// The Grafana dashboard in `deploy/` asks only for series the server has.
#[tokio::test]
async fn the_dashboard_uses_only_real_metrics() {
    let server = TestServer::spawn().await;
    let known = server.app.metric_names();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/grafana/tertulia.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the dashboard")).unwrap();
    let mut queries = Vec::new();
    strings(&dashboard, &mut queries);
    let mut used = std::collections::BTreeSet::new();
    for query in &queries {
        let mut rest = query.as_str();
        while let Some(at) = rest.find("tertulia_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &rest[at + name.len()..];
            used.insert(name);
        }
    }
    assert!(
        used.len() > 15,
        "the dashboard shows most metrics: {used:?}"
    );
    let unknown: Vec<&String> = used.iter().filter(|name| !known.contains(name)).collect();
    assert!(
        unknown.is_empty(),
        "the dashboard asks for {unknown:?}; the server has {known:?}"
    );
}

/// Every string in a JSON document.
fn strings(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => into.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| strings(item, into)),
        serde_json::Value::Object(fields) => fields.values().for_each(|item| strings(item, into)),
        _ => {}
    }
}
