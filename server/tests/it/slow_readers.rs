//! Slow readers cannot pin memory: a client that stops reading is disconnected once its
//! outbound queue (`TERTULIA_OUTBOUND_QUEUE` packets, each at most the max payload) is full,
//! over WebSocket and over long-polling. It never receives a packet that follows one it lost,
//! its presence is cleaned up (so the connection was released, not just marked), and everyone
//! else keeps chatting.

use crate::common::{TestServer, WAIT};
use protocol::events::GENERAL_ROOM;
use protocol::events::chat::NS;
use protocol::{JoinReq, Message, UserLeft};

/// A server whose queue is small and whose limits let one sender flood.
async fn server() -> TestServer {
    TestServer::spawn_with(|c| {
        c.outbound_queue = 16;
        c.message_burst = 1_000_000;
        c.event_budget = 1_000_000;
    })
    .await
}

/// Most messages sent before a client that reads nothing must have been cut off: its queue
/// (16 packets) plus what the kernel buffers on loopback (a few MiB of 3 KB messages). The
/// Engine.IO heartbeat would also end such a connection, but only after its 25 s ping
/// interval, thousands of messages later: this bound tells the two apart.
const CUT_OFF_WITHIN: usize = 5_000;

/// Sends large messages until `watcher` sees `name` leave; returns the ids sent before that.
async fn flood_until_left(
    sender: &crate::common::Socket,
    watcher: &mut crate::common::Socket,
    name: &str,
) -> Vec<i64> {
    let text = "y".repeat(3_000);
    let mut sent = Vec::new();
    for n in 0..CUT_OFF_WITHIN {
        let started = std::time::Instant::now();
        let message = sender
            .say(GENERAL_ROOM, &format!("{n} {text}"))
            .await
            .expect("the sender is never refused");
        assert!(
            started.elapsed() < crate::common::RESPONSIVE,
            "the sender's ack was held up by the slow reader"
        );
        sent.push(message.message.id);
        if n % 50 == 0
            && let Some(UserLeft(left)) = watcher
                .try_next_within::<UserLeft>(std::time::Duration::from_millis(1))
                .await
        {
            assert_eq!(left.user.username, name);
            return sent;
        }
    }
    panic!("{name} still connected after {CUT_OFF_WITHIN} messages it never read");
}

/// The `message` ids in raw frames, in order.
fn message_ids(frames: &[String]) -> Vec<i64> {
    let prefix = format!("42{NS},");
    frames
        .iter()
        .filter_map(|frame| frame.strip_prefix(&prefix))
        .filter_map(|json| serde_json::from_str::<(String, Message)>(json).ok())
        .filter(|(event, _)| event == <Message as protocol::ServerEvent>::EVENT)
        .map(|(_, message)| message.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_that_stops_reading_is_disconnected() {
    let server = server().await;
    let mut watcher = server.bystander("watcher").await;
    let sender = server.bystander("sender").await;
    let (_, token) = server.guest("slow").await;
    let mut slow = crate::raw::open_with_small_window(server.addr).await;
    crate::raw::connect(&mut slow, NS, &token).await;
    let joined = crate::raw::request(&mut slow, 1, &JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true);
    // From here on `slow` reads nothing.
    let sent = flood_until_left(&sender, &mut watcher, "slow").await;
    sender.still_served("after the slow reader is gone").await;
    // What it did receive is the start of the stream, with no gap: nothing after a lost one.
    let received = message_ids(&crate::raw::drain(&mut slow, WAIT).await);
    assert!(received.len() < sent.len(), "it was cut off before the end");
    assert_eq!(received, sent[..received.len()], "no gap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_client_that_stops_polling_is_disconnected() {
    let server = server().await;
    let mut watcher = server.bystander("watcher").await;
    let sender = server.bystander("sender").await;
    let (_, token) = server.guest("sleepy").await;
    let polling = crate::raw::Polling::open(server.addr).await;
    polling.connect(NS, &token).await;
    let joined = polling.request(1, &JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true);
    // It never polls again: 16 packets later its session is closed.
    let sent = flood_until_left(&sender, &mut watcher, "sleepy").await;
    assert!(sent.len() < 200, "closed after {} messages", sent.len());
    let (status, _) = polling.poll().await;
    assert_ne!(status, 200, "the session is gone");
}

#[tokio::test]
async fn a_reading_client_keeps_up_under_the_same_flood() {
    let server = server().await;
    let mut reader = server.bystander("reader").await;
    let sender = server.bystander("sender").await;
    for n in 0..300 {
        sender.say(GENERAL_ROOM, &format!("m{n}")).await.unwrap();
    }
    // A client that reads gets all of it, in order, and is never cut off.
    let mut last = 0;
    for _ in 0..300 {
        let message = reader.next::<Message>().await;
        assert!(message.id > last);
        last = message.id;
    }
    reader.still_served("still connected").await;
}

/// How many connections were cut for `reason` (`tertulia_connections_cut_total`).
fn cut_for(server: &TestServer, reason: &str) -> u64 {
    let label = format!("reason=\"{reason}\"");
    server
        .app
        .metrics_text()
        .lines()
        .find(|line| line.starts_with("tertulia_connections_cut_total{") && line.contains(&label))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// A polling client in `general` that will never poll again.
async fn sleeper(server: &TestServer, name: &str) -> crate::raw::Polling {
    let (_, token) = server.guest(name).await;
    let polling = crate::raw::Polling::open(server.addr).await;
    polling.connect(NS, &token).await;
    let joined = polling.request(1, &JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true);
    polling
}

/// Connections from one address that do not read hold at most the address's outbound budget
/// between them: past it, the one holding the most is cut first, long before its own queue
/// fills; the next goes when it alone passes the budget. Readers from the same address (they
/// hold next to nothing) and the sender are not touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_past_its_outbound_budget_loses_its_biggest_holder_first() {
    let server = TestServer::spawn_with(|c| {
        c.outbound_queue = 128;
        // About 60 of the 3 KB messages below, for every connection of the address together.
        c.outbound_per_ip_bytes = 180_000;
        c.outbound_check_ms = 10;
        c.message_burst = 1_000_000;
        c.event_budget = 1_000_000;
    })
    .await;
    let mut watcher = server.bystander("watcher").await;
    let sender = server.bystander("sender").await;
    let text = "z".repeat(3_000);
    let _early = sleeper(&server, "early").await;
    for n in 0..30 {
        sender
            .say(GENERAL_ROOM, &format!("{n} {text}"))
            .await
            .unwrap();
    }
    let _late = sleeper(&server, "late").await;
    let mut left = Vec::new();
    for n in 0..400 {
        let started = std::time::Instant::now();
        sender
            .say(GENERAL_ROOM, &format!("{n} {text}"))
            .await
            .expect("the sender is never refused");
        assert!(started.elapsed() < crate::common::RESPONSIVE);
        while let Some(UserLeft(gone)) = watcher
            .try_next_within::<UserLeft>(std::time::Duration::from_millis(1))
            .await
        {
            left.push(gone.user.username);
        }
        if left.len() == 2 {
            break;
        }
    }
    assert_eq!(
        left,
        ["early", "late"],
        "the biggest holder first, then the other"
    );
    assert_eq!(cut_for(&server, "outbound_budget"), 2);
    assert_eq!(
        cut_for(&server, "outbound_overflow"),
        0,
        "cut by the address's budget, not by a full queue of their own"
    );
    sender.still_served("the readers stay").await;
    watcher.still_served("the readers stay").await;
}
