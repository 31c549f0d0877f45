//! Connections before HTTP: silent and half-open connections are closed after the header
//! timeout, idle HTTP/2 connections time out, excess connections get a clean refusal, and
//! Engine.IO sessions that never CONNECT (or keep failing to) are closed. Each attack leaves
//! another user's messages acked within a second.

use std::time::{Duration, Instant};

use crate::common::{TestServer, WAIT};
use futures_util::SinkExt;
use protocol::events::chat::NS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Reads until the server closes the connection (or `WAIT` passes); returns what it sent and
/// when it closed.
async fn read_until_closed(tcp: &mut TcpStream) -> Option<(Vec<u8>, Instant)> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(WAIT, tcp.read_to_end(&mut received)).await;
    match read {
        Ok(_) => Some((received, Instant::now())),
        Err(_) => None,
    }
}

/// Opens a silent connection; `connected` fires once the server side exists, then it waits
/// for the server to close it and says how long it was open and what it received.
async fn silent(
    addr: std::net::SocketAddr,
    connected: tokio::sync::oneshot::Sender<()>,
) -> (Vec<u8>, Duration) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let opened = Instant::now();
    let _ = connected.send(());
    let (answer, closed) = read_until_closed(&mut tcp)
        .await
        .expect("every connection is closed by the server");
    (answer, closed - opened)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_silent_connections_are_capped_and_closed() {
    rlimit::increase_nofile_limit(u64::MAX).unwrap();
    let server = TestServer::spawn_with(|c| {
        c.header_timeout_secs = 1;
        c.max_connections_per_ip = 500;
    })
    .await;
    let bystander = server.bystander("bea").await;
    let addr = server.addr;
    // Opened in waves of 100 (each wave once the previous one is connected), none closed by
    // the client: the server must hold at most 500 of them and close each one itself.
    let mut tasks = Vec::new();
    for wave in 0..100 {
        let mut connected = Vec::new();
        for _ in 0..100 {
            let (tx, rx) = tokio::sync::oneshot::channel();
            tasks.push(tokio::spawn(silent(addr, tx)));
            connected.push(rx);
        }
        for rx in connected {
            rx.await.unwrap();
        }
        if wave % 20 == 0 {
            bystander.still_served(&format!("during wave {wave}")).await;
        }
    }
    let mut refused_at_once = 0;
    let mut answered_503 = 0;
    let mut held_then_closed = 0;
    for task in tasks {
        let (answer, open_for) = task.await.unwrap();
        if answer.starts_with(b"HTTP/1.1 503") {
            answered_503 += 1;
        }
        if open_for < Duration::from_millis(500) {
            refused_at_once += 1;
        } else {
            assert!(
                open_for >= Duration::from_millis(900),
                "a silent connection was closed before the header timeout"
            );
            held_then_closed += 1;
        }
    }
    assert_eq!(refused_at_once + held_then_closed, 10_000);
    assert!(
        refused_at_once >= 5_000,
        "most were refused at once: {refused_at_once}"
    );
    // The bystander's own connection is one of the address's 500.
    assert!(
        held_then_closed >= 499,
        "the first 499 were held: {held_then_closed}"
    );
    assert!(answered_503 > 0, "excess connections are told why");
    bystander.still_served("after the attack").await;
}

#[tokio::test]
async fn a_stalled_http2_preface_is_cut_off() {
    let server = TestServer::spawn_with(|c| c.header_timeout_secs = 1).await;
    let bystander = server.bystander("bea").await;
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    tcp.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap(); // 16 of the preface's 24 bytes
    bystander.still_served("during the stall").await;
    let (_, closed) = read_until_closed(&mut tcp)
        .await
        .expect("the server closed the stalled connection");
    let waited = closed - started;
    assert!(
        waited >= Duration::from_millis(900),
        "closed too early: {waited:?}"
    );
}

#[tokio::test]
async fn an_http2_connection_without_a_request_is_cut_off() {
    let server = TestServer::spawn_with(|c| c.header_timeout_secs = 1).await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (_client, connection) = h2::client::handshake(tcp).await.unwrap();
    let ended = tokio::time::timeout(WAIT, connection).await;
    assert!(
        ended.is_ok(),
        "a full preface with no request is still cut off"
    );
}

#[tokio::test]
async fn an_idle_http2_connection_times_out() {
    let server = TestServer::spawn_with(|c| c.idle_timeout_secs = 1).await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (mut client, connection) = h2::client::handshake(tcp).await.unwrap();
    let connection = tokio::spawn(connection);
    let request = http::Request::get(format!("http://{}/api/me", server.addr))
        .body(())
        .unwrap();
    let (response, _) = client.send_request(request, true).unwrap();
    let response = response.await.unwrap();
    assert_eq!(
        response.status(),
        http::StatusCode::UNAUTHORIZED,
        "HTTP/2 works"
    );
    let idle_since = Instant::now();
    let ended = tokio::time::timeout(WAIT, connection).await;
    assert!(ended.is_ok(), "the idle connection was closed");
    assert!(idle_since.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn excess_connections_get_a_clean_503() {
    let server = TestServer::spawn_with(|c| c.max_connections = 20).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut extra = TcpStream::connect(server.addr).await.unwrap();
    extra
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut extra).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after"));
    drop(held);
}

#[tokio::test]
async fn a_session_that_never_connects_a_namespace_is_closed() {
    let server = TestServer::spawn_with(|c| c.connect_timeout_secs = 1).await;
    let bystander = server.bystander("bea").await;
    let mut ws = crate::raw::open(server.addr).await;
    let started = Instant::now();
    bystander.still_served("meanwhile").await;
    assert!(crate::raw::closed_within(&mut ws, WAIT).await);
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn new_socket_sessions_per_address_are_rate_limited() {
    let server = TestServer::spawn_with(|c| c.handshake_burst = 3).await;
    for _ in 0..3 {
        crate::raw::Polling::open(server.addr).await;
    }
    let (status, _) = crate::raw::http(
        server.addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        "",
    )
    .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn repeated_failed_connects_close_the_session() {
    let server = TestServer::spawn().await;
    let bystander = server.bystander("bea").await;
    let mut ws = crate::raw::open(server.addr).await;
    let refusal = protocol::ConnectRefusal::Unauthorized.as_str();
    for attempt in 0..server::limits::FAILED_CONNECTS {
        ws.send(WsMessage::text(crate::raw::connect_frame(NS, "guessed")))
            .await
            .unwrap();
        let frames = crate::wait::bounded("a CONNECT_ERROR", async {
            loop {
                let frame = futures_util::StreamExt::next(&mut ws)
                    .await
                    .unwrap()
                    .unwrap();
                let text = frame.to_text().unwrap().to_owned();
                if text.starts_with("44") {
                    return text;
                }
            }
        })
        .await;
        assert!(frames.contains(refusal), "attempt {attempt}: {frames}");
    }
    // One more failure and the whole session goes.
    ws.send(WsMessage::text(crate::raw::connect_frame(NS, "guessed")))
        .await
        .unwrap();
    assert!(crate::raw::closed_within(&mut ws, WAIT).await);
    bystander.still_served("unaffected").await;
}

#[tokio::test]
async fn a_namespace_left_and_connected_again_at_once_is_connected() {
    use protocol::events::{GENERAL_ROOM, notifications};
    use protocol::{CreateRoomReq, JoinReq};
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    // `/notifications` keeps the Engine.IO connection open while `/chat` comes and goes.
    let mut ws = crate::raw::connected(server.addr, notifications::NS, &token).await;
    crate::raw::connect(&mut ws, NS, &token).await;
    // Rooms joined: leaving them is work for the disconnect handler.
    let mut id = 0;
    for room in [GENERAL_ROOM, "one", "two"] {
        id += 1;
        if room != GENERAL_ROOM {
            let create = CreateRoomReq {
                name: room.into(),
                topic: None,
                private: false,
            };
            assert_eq!(crate::raw::request(&mut ws, id, &create).await["ok"], true);
            id += 1;
        }
        let join = JoinReq::new(room);
        assert_eq!(crate::raw::request(&mut ws, id, &join).await["ok"], true);
    }
    // What `socket.disconnect(); socket.connect()` sends: DISCONNECT, then CONNECT at once.
    ws.send(WsMessage::text(format!("41{NS},"))).await.unwrap();
    tokio::time::timeout(WAIT, crate::raw::connect(&mut ws, NS, &token))
        .await
        .expect("the second CONNECT is answered");
    let join = JoinReq::new(GENERAL_ROOM);
    assert_eq!(
        crate::raw::request(&mut ws, id + 1, &join).await["ok"],
        true
    );
}

/// A connection that sends its request one byte at a time (each byte within the idle timeout)
/// is still closed at the header timeout, counted from when it opened, not from its last byte;
/// others are answered meanwhile.
#[tokio::test]
async fn a_request_dripped_one_byte_at_a_time_is_cut_off_at_the_header_timeout() {
    let server = TestServer::spawn_with(|c| c.header_timeout_secs = 1).await;
    let bystander = server.bystander("bob").await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let opened = Instant::now();
    let (mut reading, mut writing) = tcp.into_split();
    let drip = tokio::spawn(async move {
        // Headers that never end, a byte every 100 ms: never silent for long.
        let request = b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ".repeat(20);
        for byte in request {
            if writing.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    bystander.still_served("while someone drips").await;
    let mut received = Vec::new();
    let closed = tokio::time::timeout(WAIT, reading.read_to_end(&mut received)).await;
    assert!(closed.is_ok(), "the dripping connection was never closed");
    let open_for = opened.elapsed();
    assert!(
        open_for < Duration::from_millis(2_500),
        "closed after {open_for:?}, not at the 1 s header timeout"
    );
    drip.abort();
}
