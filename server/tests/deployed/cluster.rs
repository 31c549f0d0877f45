//! The cluster as deployed: `deploy/cluster.sh` runs Redis 7, PostgreSQL, two nodes and nginx
//! on loopback. Clients connect through nginx, pinned to a node by its routing cookie; nodes
//! and Redis are then killed, restarted or drained under traffic, and every client must end
//! up with every stored message exactly once, in order, and a true picture of who is there.
//!
//! They need redis-server, nginx and PostgreSQL (`scripts/setup.sh` installs them), so a plain
//! `cargo test` skips them; `scripts/test.sh` runs them with
//! `cargo test -p server --test deployed -- --ignored --test-threads 1`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::peer::{Peer, as_stored};
use crate::processes::{Cluster, alive, signal};
use protocol::events::{GENERAL_ROOM, chat};
use protocol::{JoinReq, MembersReq, Message};

/// Messages each sender sends in a burst.
const BURST: usize = 60;

/// How long after a node's death the others must have announced that its users left
/// (PROTOCOL.md, "Several server nodes").
const DEPARTURE_BOUND: Duration = Duration::from_secs(15);

/// Every message `author` sent with texts `"<author> <i>"`, i < count, stored exactly once,
/// in sending order.
fn assert_stored_once_in_order(stored: &[Message], author: &str, count: usize) {
    let mine: Vec<&Message> = stored
        .iter()
        .filter(|m| m.user.username == author)
        .collect();
    let texts: Vec<String> = mine.iter().map(|m| m.text.clone()).collect();
    let expected: Vec<String> = (0..count).map(|i| format!("{author} {i}")).collect();
    assert_eq!(
        texts, expected,
        "{author}'s messages, stored once each, in order"
    );
}

/// A client ends up with exactly what is stored, got nothing twice live, and got each
/// author's messages in the order they were sent.
async fn assert_saw_everything(peer: &mut Peer, stored: &[Message]) {
    let ids: Vec<i64> = stored.iter().map(|m| m.id).collect();
    peer.until("every stored message", |p| {
        ids.iter().all(|id| p.known.contains_key(id))
    })
    .await;
    let known: Vec<i64> = peer.known.keys().copied().collect();
    assert_eq!(known, ids, "{} has every stored message", peer.name);
    let mut live_count: HashMap<i64, usize> = HashMap::new();
    for message in &peer.live {
        *live_count.entry(message.id).or_default() += 1;
    }
    let twice: Vec<_> = live_count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{} got messages twice: {twice:?}",
        peer.name
    );
    // One author's messages arrive in the order they were sent.
    let mut last_by_author: HashMap<i64, i64> = HashMap::new();
    for message in &peer.live {
        let last = last_by_author.entry(message.user.id).or_insert(0);
        assert!(
            message.id > *last,
            "{} got {}'s message {} after {}",
            peer.name,
            message.user.username,
            message.id,
            last
        );
        *last = message.id;
    }
}

/// The room's history as a newcomer reads it.
async fn stored_history(cluster: &Cluster, reader: &str) -> Vec<Message> {
    let mut reader = Peer::enter(cluster.addr, None, reader, GENERAL_ROOM).await;
    reader.read_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server, nginx and PostgreSQL: scripts/test.sh runs it"]
async fn a_killed_node_loses_no_message_and_its_users_are_seen_leaving() {
    let cluster = Cluster::start("kill", 18100, 2, &[("TERTULIA_MESSAGE_BURST", "1000")]).await;
    let mut ana = Peer::enter(cluster.addr, Some("n1"), "ana", GENERAL_ROOM).await;
    let mut bea = Peer::enter(cluster.addr, Some("n2"), "bea", GENERAL_ROOM).await;
    // Someone on node 1 who will not come back: a raw socket straight to the node.
    let (_, token) = crate::peer::guest(cluster.addr, "cid").await;
    let mut cid = crate::raw::connected(cluster.node_addr(1), chat::NS, &token).await;
    crate::raw::request(&mut cid, 1, &JoinReq::new(GENERAL_ROOM)).await;
    bea.until("cid's arrival on the other node", |p| {
        p.arrivals.iter().any(|name| name == "cid")
    })
    .await;

    // Both send a burst; node 1 dies (SIGKILL) in the middle of ana's.
    let node1 = cluster.node_pid(1);
    let mut killed_at = None;
    let ana_burst = async {
        let mut acked = Vec::new();
        for i in 0..BURST {
            acked.push(ana.say(&format!("ana {i}"), &format!("ana-{i}")).await);
            if i == BURST / 4 {
                signal(node1, "KILL");
                killed_at = Some(Instant::now());
            }
        }
        acked
    };
    let bea_burst = async {
        let mut acked = Vec::new();
        for i in 0..BURST {
            acked.push(bea.say(&format!("bea {i}"), &format!("bea-{i}")).await);
        }
        acked
    };
    let (ana_acked, bea_acked) = tokio::join!(ana_burst, bea_burst);
    let killed_at = killed_at.expect("node 1 was killed");
    assert!(ana.connects >= 2, "ana moved to the surviving node");
    assert_eq!(bea.connects, 1, "bea's node never went away");

    // cid was only on node 1: the survivor announces her departure, then asks every client
    // to re-read what node 1 may have stored without broadcasting.
    bea.until_within("cid's departure", DEPARTURE_BOUND * 2, |p| {
        p.departures.iter().any(|(name, _)| name == "cid")
    })
    .await;
    let (_, heard_at) = bea
        .departures
        .iter()
        .find(|(name, _)| name == "cid")
        .unwrap();
    let took = heard_at.duration_since(killed_at);
    assert!(
        took <= DEPARTURE_BOUND,
        "cid's departure was announced {took:?} after her node died"
    );
    assert!(
        !bea.departures.iter().any(|(name, _)| name == "bea"),
        "bea never left"
    );
    bea.until("a resync notice", |p| !p.resyncs.is_empty())
        .await;
    let mut handled = 0;
    bea.handle_resyncs(&mut handled).await;
    ana.until("a resync notice", |p| !p.resyncs.is_empty())
        .await;
    let mut handled = 0;
    ana.handle_resyncs(&mut handled).await;

    let stored = stored_history(&cluster, "dan").await;
    assert_stored_once_in_order(&stored, "ana", BURST);
    assert_stored_once_in_order(&stored, "bea", BURST);
    for acked in ana_acked.iter().chain(&bea_acked) {
        assert!(
            stored.contains(&as_stored(acked)),
            "acked message {acked:?} is stored"
        );
    }
    assert_saw_everything(&mut ana, &stored).await;
    assert_saw_everything(&mut bea, &stored).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server, nginx and PostgreSQL: scripts/test.sh runs it"]
async fn after_redis_loses_everything_clients_reconnect_and_broadcasts_resume() {
    let mut cluster = Cluster::start("redis", 18200, 2, &[]).await;
    let mut ana = Peer::enter(cluster.addr, Some("n1"), "ana", GENERAL_ROOM).await;
    let mut bea = Peer::enter(cluster.addr, Some("n2"), "bea", GENERAL_ROOM).await;
    let before = ana.say("ana 0", "ana-0").await;
    bea.until("ana's first message", |p| p.known.contains_key(&before.id))
        .await;

    // Redis dies and comes back empty: presence, counts and subscriptions are gone.
    cluster.restart_redis().await;
    ana.until("reconnected after the Redis restart", |p| p.connects >= 2)
        .await;
    bea.until("reconnected after the Redis restart", |p| p.connects >= 2)
        .await;
    ana.ensure_joined().await;
    bea.ensure_joined().await;

    // Presence was rebuilt in the new Redis, across nodes.
    let members = bea
        .request(&MembersReq {
            room: GENERAL_ROOM.into(),
            offset: None,
        })
        .await;
    let names: Vec<&str> = members.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["ana", "bea"]);

    // Broadcasts cross nodes again.
    let after = ana.say("ana 1", "ana-1").await;
    bea.until("ana's message after the restart", |p| {
        p.live.iter().any(|m| m.id == after.id)
    })
    .await;
    let reply = bea.say("bea 0", "bea-0").await;
    ana.until("bea's reply", |p| p.live.iter().any(|m| m.id == reply.id))
        .await;

    let stored = stored_history(&cluster, "dan").await;
    assert_stored_once_in_order(&stored, "ana", 2);
    assert_saw_everything(&mut ana, &stored).await;
    assert_saw_everything(&mut bea, &stored).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs redis-server, nginx and PostgreSQL: scripts/test.sh runs it"]
async fn a_draining_node_hands_its_clients_to_the_others() {
    let cluster = Cluster::start("drain", 18300, 2, &[]).await;
    let mut ana = Peer::enter(cluster.addr, Some("n1"), "ana", GENERAL_ROOM).await;
    let mut bea = Peer::enter(cluster.addr, Some("n2"), "bea", GENERAL_ROOM).await;

    let node1 = cluster.node_pid(1);
    signal(node1, "TERM");
    ana.until("the restarting notice", |p| p.restarts == 1)
        .await;
    ana.until("reconnected to the other node", |p| p.connects >= 2)
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(node1) {
        assert!(Instant::now() < deadline, "node 1 did not exit within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        cluster.node_log(1).contains("draining"),
        "node 1 drained: {}",
        cluster.node_log(1)
    );

    let back = ana.say("ana 0", "ana-0").await;
    bea.until("ana's message from her new node", |p| {
        p.live.iter().any(|m| m.id == back.id)
    })
    .await;
    assert_eq!(bea.connects, 1, "bea's node stayed up");
}

#[tokio::test]
#[ignore = "needs redis-server, nginx and PostgreSQL: scripts/test.sh runs it"]
async fn the_probe_sends_through_one_node_and_times_the_arrival_through_the_other() {
    let cluster = Cluster::start("probe", 18400, 2, &[]).await;
    let probe = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .arg("probe")
            .arg(format!("http://{}", cluster.node_addr(1)))
            .arg("--via")
            .arg(format!("http://{}", cluster.node_addr(2)))
            .args(["--username", "probe-bot", "--register"])
            .args(extra)
            .env("TERTULIA_PROBE_PASSWORD", "probe-password-1")
            .env("RUST_LOG", "warn");
        command.output().expect("the binary runs")
    };
    let output = probe(&[]);
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("arrived through"), "{said}");
    // Past its threshold the probe fails with status 1 (what a monitor alerts on).
    let output = probe(&["--threshold-ms", "0"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}
