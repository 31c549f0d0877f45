//! A single server over its SQLite file, killed (SIGKILL) in the middle of a burst and started
//! again: every acknowledged message survives, none is stored twice although clients resend
//! what was not acknowledged, and reconnecting clients catch up on everything.

use crate::peer::{Peer, as_stored};
use crate::processes::{ServerProcess, free_port, scratch};
use protocol::Message;
use protocol::events::GENERAL_ROOM;

const BURST: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarts_with_every_acknowledged_message() {
    let dir = scratch("crash");
    let db = dir.join("tertulia.db");
    let port = free_port();
    let env = [("TERTULIA_MESSAGE_BURST", "1000")];
    let mut server = Some(ServerProcess::start(port, &db, &env).await);
    let addr = server.as_ref().unwrap().addr;
    let mut ana = Peer::enter(addr, None, "ana", GENERAL_ROOM).await;
    let mut bea = Peer::enter(addr, None, "bea", GENERAL_ROOM).await;

    let ana_burst = async {
        let mut acked = Vec::new();
        for i in 0..BURST {
            acked.push(ana.say(&format!("ana {i}"), &format!("ana-{i}")).await);
            if i == BURST / 4 {
                server.take().expect("running").kill();
                server = Some(ServerProcess::start(port, &db, &env).await);
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
    assert!(ana.connects >= 2 && bea.connects >= 2, "both reconnected");

    let mut reader = Peer::enter(addr, None, "cid", GENERAL_ROOM).await;
    let stored = reader.read_all().await;
    for author in ["ana", "bea"] {
        let texts: Vec<&str> = stored
            .iter()
            .filter(|m| m.user.username == author)
            .map(|m| m.text.as_str())
            .collect();
        let expected: Vec<String> = (0..BURST).map(|i| format!("{author} {i}")).collect();
        assert_eq!(
            texts, expected,
            "{author}'s messages, stored once each, in order"
        );
    }
    for acked in ana_acked.iter().chain(&bea_acked) {
        assert!(
            stored.contains(&as_stored(acked)),
            "acked message {acked:?} survived"
        );
    }
    // Both caught up on what they missed while the server was down.
    let ids: Vec<i64> = stored.iter().map(|m: &Message| m.id).collect();
    for peer in [&mut ana, &mut bea] {
        peer.until("every stored message", |p| {
            ids.iter().all(|id| p.known.contains_key(id))
        })
        .await;
        let known: Vec<i64> = peer.known.keys().copied().collect();
        assert_eq!(known, ids, "{} has every message", peer.name);
    }
}
