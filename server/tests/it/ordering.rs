//! A room's messages sent by several people at once: the live `message` events may arrive out
//! of id order, and a client that resumed from "the newest id I saw" could skip one. The
//! `prev` links (v1.7) give a cursor from which a catch-up skips none: checked here at every
//! point where the reader's connection could have dropped.

use std::collections::BTreeSet;

use crate::common::TestServer;
use protocol::events::GENERAL_ROOM;
use protocol::{HistoryReq, Message};
use sync::Cursor;

const SENDERS: usize = 4;
const EACH: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catch_up_from_the_cursor_skips_no_message_wherever_the_connection_drops() {
    let server = TestServer::spawn_with(|c| {
        c.message_burst = 1_000;
        c.event_budget = 100_000;
    })
    .await;
    let (mut reader, _) = server.chat_guest("reader").await;
    let joined = reader.join(GENERAL_ROOM).await;
    let start = joined.history.last().map_or(0, |m| m.id);

    let mut senders = tokio::task::JoinSet::new();
    for n in 0..SENDERS {
        let (socket, _) = server.chat_guest(&format!("sender{n}")).await;
        socket.join(GENERAL_ROOM).await;
        senders.spawn(async move {
            for k in 0..EACH {
                socket
                    .say(GENERAL_ROOM, &format!("{n}/{k}"))
                    .await
                    .expect("stored");
            }
        });
    }
    let mut arrivals: Vec<Message> = Vec::new();
    while arrivals.len() < SENDERS * EACH {
        let message: Message = reader
            .next_where(|m: &Message| m.room == GENERAL_ROOM && m.id > start)
            .await;
        arrivals.push(message);
    }
    while let Some(done) = senders.join_next().await {
        done.unwrap();
    }

    // What the room holds after `start`, read page by page.
    let mut stored: Vec<i64> = Vec::new();
    let mut after = start;
    loop {
        let page = reader
            .ok(&HistoryReq {
                room: GENERAL_ROOM.into(),
                after: Some(after),
                limit: Some(100),
                ..HistoryReq::default()
            })
            .await;
        let Some(last) = page.messages.last().map(|m| m.id) else {
            break;
        };
        stored.extend(page.messages.iter().map(|m| m.id));
        after = last;
    }
    let arrived: BTreeSet<i64> = arrivals.iter().map(|m| m.id).collect();
    assert_eq!(stored.len(), SENDERS * EACH);
    assert_eq!(
        arrived,
        stored.iter().copied().collect(),
        "each arrived once"
    );

    // Every live message names the room's message just before it.
    let mut sorted = arrivals.clone();
    sorted.sort_by_key(|m| m.id);
    let mut previous = start;
    for message in &sorted {
        assert_eq!(message.prev, Some(previous), "message {}", message.id);
        previous = message.id;
    }

    // Cut the reader's connection after each arrival: resuming with `history {after}` from
    // the cursor gives back every message it did not get; from the newest id seen, not always.
    let mut naive_skips = 0;
    for cut in 0..=arrivals.len() {
        let got = &arrivals[..cut];
        let mut cursor = Cursor::new();
        cursor.complete_through(Some(start));
        for message in got {
            cursor.live(message.id, message.prev);
        }
        let resume = cursor.resume_after().expect("a cursor");
        let held: BTreeSet<i64> = got
            .iter()
            .map(|m| m.id)
            .chain(stored.iter().copied().filter(|id| *id > resume))
            .collect();
        assert_eq!(
            held.len(),
            stored.len(),
            "cut after {cut}: resumed after {resume}"
        );
        let newest_seen = got.iter().map(|m| m.id).max().unwrap_or(start);
        let naive = got.iter().filter(|m| m.id <= newest_seen).count()
            + stored.iter().filter(|id| **id > newest_seen).count();
        if naive < stored.len() {
            naive_skips += 1;
        }
    }
    let out_of_order = arrivals.windows(2).filter(|w| w[1].id < w[0].id).count();
    eprintln!(
        "{out_of_order} of {} live messages arrived after one with a higher id; resuming from the newest id seen would have skipped a message at {naive_skips} of {} cut points",
        arrivals.len(),
        arrivals.len() + 1
    );
}
