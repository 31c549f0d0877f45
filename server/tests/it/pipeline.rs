//! The one request pipeline: every event costs from one budget, in-flight work per socket is
//! bounded, acks fit in a packet, and text is checked for control characters. Each attack is
//! refused or bounded while another user's message is still acked within a second.

use std::time::Duration;

use crate::common::{TestServer, WAIT};
use futures_util::SinkExt;
use protocol::events::GENERAL_ROOM;
use protocol::{CreateRoomReq, ErrorCode, HistoryReq, MarkReadReq, Request, RoomsReq, TypingReq};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test]
async fn reads_draw_on_the_same_budget_as_writes() {
    // 30 units a minute: rooms costs 2, history 3.
    let server = TestServer::spawn_with(|c| c.event_budget = 30).await;
    let bystander = server.bystander("bea").await;
    let (ana, _) = server.chat_guest("ana").await;
    let mut served = 0;
    let refused = loop {
        match ana.call(&RoomsReq {}).await {
            Ok(_) => served += 1,
            Err(body) => break body.code,
        }
        assert!(served < 100, "reads were never limited");
    };
    assert_eq!(refused, ErrorCode::RateLimited);
    // 30 units at 2 each, plus whatever refilled (half a unit a second) while the test ran.
    assert!((15..20).contains(&served), "{served} reads");
    assert_eq!(
        ana.refused(&HistoryReq {
            room: GENERAL_ROOM.into(),
            ..HistoryReq::default()
        })
        .await,
        ErrorCode::RateLimited,
        "a heavier read is refused too"
    );
    bystander.still_served("others are not affected").await;
}

#[tokio::test]
async fn the_budget_is_checked_before_the_payload_is_used() {
    let server = TestServer::spawn_with(|c| c.event_budget = 10).await;
    let (ana, _) = server.chat_guest("ana").await;
    for _ in 0..5 {
        ana.ok(&RoomsReq {}).await;
    }
    // Spent: even a malformed request is refused for the budget, not examined.
    let ack = ana.raw(HistoryReq::EVENT, json!({"room": 5})).await;
    assert_eq!(crate::common::code(&ack), ErrorCode::RateLimited);
}

#[tokio::test]
async fn typing_over_budget_is_dropped_without_an_error_event() {
    let server = TestServer::spawn_with(|c| c.event_budget = 12).await;
    let (mut ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await; // 2 units
    for _ in 0..20 {
        ana.send(&TypingReq {
            room: GENERAL_ROOM.into(),
            active: true,
            thread: None,
        })
        .await;
    }
    // The budget is spent (a room costs 10 units: minutes of refill at 12 a minute)...
    let expensive = CreateRoomReq {
        name: "later".into(),
        topic: None,
        private: false,
    };
    assert_eq!(ana.refused(&expensive).await, ErrorCode::RateLimited);
    // ...yet the ten refused typing notices (sent without an ack) raised no `error` event,
    // as a failed event without an ack otherwise would.
    let quiet = tokio::time::timeout(Duration::from_millis(500), ana.next_error()).await;
    assert!(quiet.is_err(), "unexpected error event: {quiet:?}");
    ana.raw_emit(
        CreateRoomReq::EVENT,
        serde_json::to_value(&expensive).unwrap(),
    )
    .await;
    assert_eq!(
        ana.next_error().await.code,
        ErrorCode::RateLimited,
        "other events over budget do answer"
    );
}

#[tokio::test]
async fn a_socket_firing_2000_history_requests_without_reading_is_cut_off() {
    let server = TestServer::spawn().await;
    let bystander = server.bystander("bea").await;
    let (_, token) = server.guest("mallory").await;
    let mut ws = crate::raw::connected(server.addr, protocol::events::chat::NS, &token).await;
    let request = HistoryReq {
        room: GENERAL_ROOM.into(),
        limit: Some(100),
        ..HistoryReq::default()
    };
    for id in 0..2_000 {
        if ws
            .feed(WsMessage::text(crate::raw::request_frame(id, &request)))
            .await
            .is_err()
        {
            break; // already cut off
        }
        if id % 100 == 0 {
            let _ = ws.flush().await;
        }
        if id % 400 == 0 {
            bystander
                .still_served(&format!("during the flood {id}"))
                .await;
        }
    }
    let _ = ws.flush().await;
    bystander.still_served("after the flood").await;
    assert!(
        crate::raw::closed_within(&mut ws, WAIT).await,
        "a socket that keeps exceeding its limits loses its connection"
    );
    bystander.still_served("after the cut").await;
}

#[tokio::test]
async fn events_in_flight_per_socket_are_bounded() {
    // A generous budget, so only the in-flight bound can refuse.
    let server = TestServer::spawn_with(|c| {
        c.event_budget = 100_000;
        c.max_in_flight = 2;
    })
    .await;
    let (_, token) = server.guest("ana").await;
    let mut ws = crate::raw::connected(server.addr, protocol::events::chat::NS, &token).await;
    // Ten requests pipelined in one go: at most two run at once, the others are refused.
    for id in 0..10 {
        ws.feed(WsMessage::text(crate::raw::request_frame(
            id,
            &HistoryReq {
                room: GENERAL_ROOM.into(),
                ..HistoryReq::default()
            },
        )))
        .await
        .unwrap();
    }
    ws.flush().await.unwrap();
    let frames = crate::raw::drain(&mut ws, Duration::from_secs(2)).await;
    let acks: Vec<&String> = frames.iter().filter(|f| f.starts_with("43")).collect();
    assert_eq!(acks.len(), 10, "every request is answered: {frames:?}");
    let refused = acks
        .iter()
        .filter(|a| a.contains(ErrorCode::RateLimited.as_str()))
        .count();
    assert!(refused >= 1, "some requests were refused: {acks:?}");
    assert!(refused <= 8, "at least the first two ran: {acks:?}");
}

#[tokio::test]
async fn a_history_page_that_would_not_fit_in_a_packet_is_cut() {
    let server = TestServer::spawn_with(|c| {
        c.max_payload = 32 * 1024;
        c.message_burst = 1_000;
        c.event_budget = 100_000;
    })
    .await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    let mut ids = Vec::new();
    for n in 0..40 {
        let text = format!("{n:02} {}", "x".repeat(3_000));
        ids.push(ana.say(GENERAL_ROOM, &text).await.unwrap().message.id);
    }
    let page = ana
        .ok(&HistoryReq {
            room: GENERAL_ROOM.into(),
            limit: Some(100),
            ..HistoryReq::default()
        })
        .await;
    assert!(page.more, "the page was cut");
    assert!(page.messages.len() < 40 && !page.messages.is_empty());
    let size = serde_json::to_vec(&page).unwrap().len();
    assert!(size < 32 * 1024, "{size} bytes");
    let last = page.messages.last().unwrap().id;
    assert_eq!(last, *ids.last().unwrap(), "paging back keeps the newest");
    // Paging from the edge received reaches every message exactly once.
    let mut seen: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    let mut before = page.messages.first().map(|m| m.id);
    while let Some(edge) = before {
        let older = ana
            .ok(&HistoryReq {
                room: GENERAL_ROOM.into(),
                before: Some(edge),
                limit: Some(100),
                ..HistoryReq::default()
            })
            .await;
        if older.messages.is_empty() {
            break;
        }
        let mut chunk: Vec<i64> = older.messages.iter().map(|m| m.id).collect();
        chunk.extend(seen);
        seen = chunk;
        before = older.messages.first().map(|m| m.id);
    }
    assert_eq!(seen, ids);
    // Catching up (`after`) keeps the oldest first and also says when it was cut.
    let catch_up = ana
        .ok(&HistoryReq {
            room: GENERAL_ROOM.into(),
            after: Some(ids[0] - 1),
            limit: Some(100),
            ..HistoryReq::default()
        })
        .await;
    assert!(catch_up.more);
    assert_eq!(catch_up.messages[0].id, ids[0]);
}

#[tokio::test]
async fn control_characters_are_refused_in_text() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    for text in [
        "esc \u{1b}[2J",
        "bell\u{7}",
        "nul\0",
        "del\u{7f}x",
        "c1 \u{9b}x",
    ] {
        let refused = ana.say(GENERAL_ROOM, text).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::BadRequest, "{text:?}");
    }
    let kept = ana.say(GENERAL_ROOM, "tab\tand\r\nnew line").await.unwrap();
    assert_eq!(kept.message.text, "tab\tand\nnew line");
    let topic = ana
        .refused(&CreateRoomReq {
            name: "quiet".into(),
            topic: Some("a\u{1b}b".into()),
            private: false,
        })
        .await;
    assert_eq!(topic, ErrorCode::BadRequest);
}

#[tokio::test]
async fn unknown_events_are_answered_and_a_flood_of_them_is_cut_off() {
    let server = TestServer::spawn().await;
    let bystander = server.bystander("bea").await;
    let (_, token) = server.guest("mallory").await;
    let mut ws = crate::raw::connected(server.addr, protocol::events::chat::NS, &token).await;
    let mut cut = false;
    for id in 0..500 {
        let frame = crate::raw::event_frame(
            protocol::events::chat::NS,
            "no such event",
            Some(id),
            &json!({}),
        );
        if ws.send(WsMessage::text(frame)).await.is_err() {
            cut = true;
            break;
        }
    }
    cut = cut || crate::raw::closed_within(&mut ws, WAIT).await;
    assert!(cut, "500 unknown events in a row end the connection");
    bystander.still_served("still here").await;
}

#[tokio::test]
async fn notifications_and_admin_events_use_the_same_pipeline() {
    let server = TestServer::spawn_with(|c| c.event_budget = 10).await;
    let (_, token) = server.guest("ana").await;
    let notes = crate::common::Socket::connect(
        &server,
        protocol::events::notifications::NS,
        crate::common::auth(&token),
        &[],
    )
    .await
    .unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..20 {
        outcomes.push(notes.call(&MarkReadReq { ids: vec![1] }).await.is_ok());
    }
    // 10 units at 1 each, plus a little refill (one unit every six seconds).
    let accepted = outcomes.iter().filter(|ok| **ok).count();
    assert!((10..13).contains(&accepted), "{accepted} accepted");
    assert!(
        outcomes[..10].iter().all(|ok| *ok),
        "the first ten fit the budget"
    );
}
