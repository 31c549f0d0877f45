//! The Engine.IO heartbeat, with its period shortened: the server pings at the interval its
//! open packet announces; a client that answers is kept and served, and one that stops
//! answering is closed after the timeout and leaves its rooms like any other disconnect, on
//! the websocket and on the polling transport.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use protocol::events::{GENERAL_ROOM, chat::NS};
use protocol::{JoinReq, UserLeft};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::common::{TestServer, WAIT};
use crate::raw::Ws;
use crate::wait::bounded;

const PING_INTERVAL_MS: u64 = 40;
const PING_TIMEOUT_MS: u64 = 200;
/// Engine.IO's ping and pong packets.
const PING: &str = "2";
const PONG: &str = "3";

async fn server() -> TestServer {
    TestServer::spawn_with(|c| {
        c.ping_interval_ms = PING_INTERVAL_MS;
        c.ping_timeout_ms = PING_TIMEOUT_MS;
    })
    .await
}

/// The next text frame (answering nothing).
async fn next_text(ws: &mut Ws) -> String {
    loop {
        match ws.next().await {
            Some(Ok(WsMessage::Text(text))) => return text.to_string(),
            Some(Ok(_)) => {}
            other => panic!("the connection ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn answered_pings_keep_a_websocket_served_past_the_timeout() {
    let server = server().await;
    let (_, token) = server.guest("ana").await;
    let (mut ws, open) = bounded(
        "the open packet",
        crate::raw::open_with_handshake(server.addr),
    )
    .await;
    assert_eq!(open["pingInterval"], PING_INTERVAL_MS, "{open}");
    assert_eq!(open["pingTimeout"], PING_TIMEOUT_MS, "{open}");
    crate::raw::connect(&mut ws, NS, &token).await;

    // Pings answered for three timeouts: a silent client would be gone by then.
    let started = Instant::now();
    let answered = bounded("pings answered for three timeouts", async {
        let mut pings = 0;
        while started.elapsed() < Duration::from_millis(3 * PING_TIMEOUT_MS) {
            if next_text(&mut ws).await == PING {
                pings += 1;
                ws.send(WsMessage::text(PONG)).await.unwrap();
            }
        }
        pings
    })
    .await;
    assert!(answered >= 3, "{answered} pings in three timeouts");
    let joined = crate::raw::request(&mut ws, 1, &JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true, "{joined}");
}

#[tokio::test]
async fn a_websocket_that_stops_answering_is_closed_and_leaves_its_rooms() {
    let server = server().await;
    // Bea's client answers the fast pings by itself and stays.
    let (mut bea, _) = server.chat_guest("bea").await;
    bea.join(GENERAL_ROOM).await;
    let (_, token) = server.guest("ana").await;
    let mut ana = crate::raw::connected(server.addr, NS, &token).await;
    let joined = crate::raw::request(&mut ana, 1, &JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true, "{joined}");

    // From now on Ana reads the pings but never answers.
    let silent_since = Instant::now();
    assert!(
        crate::raw::closed_within(&mut ana, WAIT).await,
        "the server closes a connection that does not answer its pings"
    );
    assert!(silent_since.elapsed() >= Duration::from_millis(PING_TIMEOUT_MS));
    let left = bea
        .next_where::<UserLeft>(|left| left.0.user.username == "ana")
        .await;
    assert_eq!(left.0.room, GENERAL_ROOM);
    bea.still_served("bea outlived the heartbeat").await;
}

#[tokio::test]
async fn polling_answers_keep_a_session_and_silence_closes_it() {
    let server = server().await;
    let (_, token) = server.guest("ana").await;
    let session = crate::raw::Polling::open(server.addr).await;
    session.connect(NS, &token).await;

    // Pings answered for three timeouts.
    let started = Instant::now();
    let answered = bounded("pings answered over polling for three timeouts", async {
        let mut pings = 0;
        while started.elapsed() < Duration::from_millis(3 * PING_TIMEOUT_MS) {
            let (status, packets) = session.poll().await;
            assert_eq!(status, 200, "{packets:?}");
            if packets.iter().any(|packet| packet == PING) {
                pings += 1;
                assert_eq!(session.post(&[PONG.to_owned()]).await, 200);
            }
        }
        pings
    })
    .await;
    assert!(answered >= 3, "{answered} pings in three timeouts");
    let joined = session.request(1, &JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true, "{joined}");

    // Polls that never answer: the session ends (a close packet, then an unknown session).
    bounded("the session closed", async {
        loop {
            let (status, packets) = session.poll().await;
            if status != 200 || packets.iter().any(|packet| packet == "1") {
                return;
            }
        }
    })
    .await;
}
