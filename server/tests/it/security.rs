//! Attacks on the socket layer, each refused without hurting anyone else.

use crate::common::{Socket, TestServer, WAIT, auth};
use axum::http::StatusCode;
use futures_util::SinkExt;
use protocol::events::{GENERAL_ROOM, chat, notifications};
use protocol::http::{Credentials, Login, Logout, Me};
use protocol::{ConnectRefusal, Empty, ErrorCode, JoinReq, MessageReq, Request};
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn login(password: &str) -> Credentials {
    Credentials {
        username: "ana".into(),
        password: password.into(),
    }
}

#[tokio::test]
async fn a_cookie_handshake_from_a_foreign_origin_is_refused() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let cookie = format!("tertulia_session={token}");
    let own_origin = server.base_url();
    // Same origin: fine.
    let ok = Socket::connect(
        &server,
        chat::NS,
        None,
        &[("cookie", &cookie), ("origin", &own_origin)],
    )
    .await;
    assert!(ok.is_ok(), "{:?}", ok.err());
    // Another site riding on the victim's cookie: refused before any session exists.
    let evil = Socket::connect(
        &server,
        chat::NS,
        None,
        &[("cookie", &cookie), ("origin", "http://evil.example")],
    )
    .await;
    let error = evil.err().unwrap();
    assert!(error.contains("403"), "{error}");
    // A token client may come from anywhere: a token is not an ambient credential.
    let token_client = Socket::connect(
        &server,
        chat::NS,
        auth(&token),
        &[("origin", "http://other.example")],
    )
    .await;
    assert!(token_client.is_ok());
}

#[tokio::test]
async fn an_allowed_origin_may_use_the_cookie() {
    let server =
        TestServer::spawn_with(|c| c.allowed_origins = vec!["https://chat.example".into()]).await;
    let (_, token) = server.guest("ana").await;
    let cookie = format!("tertulia_session={token}");
    let ok = Socket::connect(
        &server,
        chat::NS,
        None,
        &[("cookie", &cookie), ("origin", "https://chat.example")],
    )
    .await;
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[tokio::test]
async fn cookie_authenticated_posts_from_a_foreign_origin_are_refused() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let cookie = format!("tertulia_session={token}");
    let forged = server
        .api::<Logout>(
            &Empty {},
            &[
                ("cookie", &cookie),
                ("origin", "http://evil.example"),
                ("host", "127.0.0.1"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.code(), ErrorCode::Forbidden);
    // The session survived the forged logout.
    assert_eq!(
        server
            .api::<Me>(&Empty {}, &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_oversize_websocket_frame_closes_only_that_connection() {
    // The smallest packet limit allowed (any one message must fit).
    let server = TestServer::spawn_with(|c| c.max_payload = 32 * 1024).await;
    let (_, token) = server.guest("mallory").await;
    let bea = server.bystander("bea").await;
    let mut ws = crate::raw::connected(server.addr, chat::NS, &token).await;
    let huge = crate::raw::event_frame(
        chat::NS,
        MessageReq::EVENT,
        None,
        &MessageReq {
            room: GENERAL_ROOM.into(),
            text: "x".repeat(64 * 1024),
            client_id: None,
            reply_to: None,
            attachments: Vec::new(),
            thread: None,
        },
    );
    let _ = ws.send(WsMessage::text(huge)).await;
    assert!(
        crate::raw::closed_within(&mut ws, WAIT).await,
        "the oversize frame must end the connection"
    );
    assert!(bea.say(GENERAL_ROOM, "unaffected").await.is_ok());
}

#[tokio::test]
async fn a_packet_announcing_many_binary_attachments_is_refused() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("mallory").await;
    let bea = server.bystander("bea").await;
    let mut ws = crate::raw::connected(server.addr, chat::NS, &token).await;
    let announcement = format!(
        r#"4510000-{},["{}",{{"_placeholder":true,"num":0}}]"#,
        chat::NS,
        MessageReq::EVENT
    );
    ws.send(WsMessage::text(announcement)).await.unwrap();
    assert!(
        crate::raw::closed_within(&mut ws, WAIT).await,
        "the announcement must end the connection"
    );
    assert!(bea.say(GENERAL_ROOM, "unaffected").await.is_ok());
}

#[tokio::test]
async fn garbage_frames_do_not_hurt_other_users() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("mallory").await;
    let bea = server.bystander("bea").await;
    let mut ws = crate::raw::connected(server.addr, chat::NS, &token).await;
    let ns = chat::NS;
    for frame in [
        "4".to_owned(),
        format!("42{ns},["),
        format!("42{ns},[1,2]"),
        format!("42{ns},{{}}"),
        "9".to_owned(),
        format!("43{ns},999[]"),
        // An unterminated array.
        format!(
            r#"42{ns},["{}",{{"room":"{GENERAL_ROOM}"}}"#,
            JoinReq::EVENT
        ),
    ] {
        let _ = ws.send(WsMessage::text(frame)).await;
    }
    let _ = ws.send(WsMessage::binary(vec![0u8; 10])).await;
    // Undecodable packets end the sender's own connection, and only that one.
    assert!(crate::raw::closed_within(&mut ws, WAIT).await);
    assert!(bea.say(GENERAL_ROOM, "unaffected").await.is_ok());
}

#[tokio::test]
async fn too_many_sockets_for_one_user_are_refused() {
    let server = TestServer::spawn_with(|c| c.max_sockets_per_user = 2).await;
    let (_, token) = server.guest("ana").await;
    let _one = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let _two = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let third = Socket::connect(&server, chat::NS, auth(&token), &[]).await;
    assert_eq!(
        third.err().as_deref(),
        Some(ConnectRefusal::RateLimited.as_str())
    );
}

#[tokio::test]
async fn passwords_are_never_stored_or_logged_in_clear() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::spawn().await;
    let secret = "tr0ub4dor&3-unique";
    server.register("ana", secret).await;
    let signed_in = server.api::<Login>(&login(secret), &[]).await;
    assert_eq!(signed_in.status, StatusCode::OK);
    server
        .api::<Login>(&login(&format!("{secret}x")), &[])
        .await;

    let record = server.store().user_by_name("ana").await.unwrap().unwrap();
    let hash = record.password_hash.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(secret));
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("account registered"),
        "the capture works: {logs}"
    );
    assert!(!logs.contains(secret), "the password leaked into the logs");
}

#[tokio::test]
async fn too_many_sockets_from_one_ip_are_refused_whoever_they_are() {
    let server = TestServer::spawn_with(|c| c.max_sockets_per_ip = 2).await;
    let _ana = server.chat_guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let notes = Socket::connect(&server, notifications::NS, auth(&bea_token), &[]).await;
    assert!(
        notes.is_ok(),
        "the cap counts every namespace: two sockets so far"
    );
    let third = Socket::connect(&server, chat::NS, auth(&bea_token), &[]).await;
    assert_eq!(
        third.err().as_deref(),
        Some(ConnectRefusal::RateLimited.as_str())
    );
}

#[tokio::test]
async fn one_ip_shares_a_message_quota_across_its_users() {
    let server = TestServer::spawn_with(|c| {
        c.message_burst = 3;
        c.ip_quota_factor = 1;
    })
    .await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    for n in 0..3 {
        assert!(ana.say(GENERAL_ROOM, &format!("a{n}")).await.is_ok());
    }
    // Bea's own quota is untouched, but her address has used it all.
    assert_eq!(
        bea.say(GENERAL_ROOM, "b").await.unwrap_err().code,
        ErrorCode::RateLimited
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::spawn_with(|c| c.header_timeout_secs = 1).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(WAIT, tcp.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the server kept a half-sent request open");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "closed too early"
    );
    // hyper answers 408 or just closes; either way no page was served.
    assert!(!String::from_utf8_lossy(&buffer).contains("200 OK"));
}
