//! `/chat` over loopback with a real Socket.IO client: the contract's events, acks and errors.

mod common;

use common::{Socket, TestServer, code, names};
use serde_json::json;

#[tokio::test]
async fn connect_without_credentials_is_unauthorized() {
    let server = TestServer::spawn().await;
    let refused = Socket::connect(&server, "/chat", None, &[]).await;
    assert_eq!(refused.err().as_deref(), Some("unauthorized"));
    let refused = Socket::connect(&server, "/chat", Some(json!({"token": "forged"})), &[]).await;
    assert_eq!(refused.err().as_deref(), Some("unauthorized"));
    let refused = Socket::connect(&server, "/chat", Some(json!({"token": 42})), &[]).await;
    assert_eq!(refused.err().as_deref(), Some("unauthorized"));
}

#[tokio::test]
async fn welcome_names_the_user_and_the_server_time() {
    let server = TestServer::spawn().await;
    let (mut ana, user) = server.chat_guest("ana").await;
    let welcome = ana.next("welcome").await;
    assert_eq!(welcome["user"]["username"], "ana");
    assert_eq!(welcome["user"]["id"], user.id);
    assert_eq!(welcome["user"]["role"], "guest");
    assert!(welcome["server_time"].as_i64().unwrap() > 1_700_000_000_000);
}

#[tokio::test]
async fn general_exists_and_rooms_lists_it_with_live_counts() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join("general").await;
    let ack = ana.request("rooms", json!({})).await;
    assert_eq!(ack["ok"], true);
    let general = ack["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "general")
        .unwrap();
    assert_eq!(general["members"], 1);
    assert_eq!(general["private"], false);
    assert!(general["topic"].is_string());
}

#[tokio::test]
async fn join_returns_room_members_and_the_last_50_messages_oldest_first() {
    // 55 messages in a row would (rightly) trip the default flood limit.
    let server = TestServer::spawn_with(|config| config.message_burst = 100).await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join("general").await;
    for n in 0..55 {
        assert_eq!(ana.say("general", &format!("m{n}")).await["ok"], true);
    }
    let (bea, _) = server.chat_guest("bea").await;
    let ack = bea.join("General").await;
    assert_eq!(ack["room"]["name"], "general");
    assert_eq!(ack["room"]["members"], 2);
    assert_eq!(names(&ack["members"]), ["ana", "bea"]);
    let history = ack["history"].as_array().unwrap();
    assert_eq!(history.len(), 50);
    assert_eq!(history[0]["text"], "m5");
    assert_eq!(history[49]["text"], "m54");
    let ids: Vec<i64> = history.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
}

#[tokio::test]
async fn a_message_reaches_every_member_with_server_stamped_author() {
    let server = TestServer::spawn().await;
    let (mut ana, ana_user) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    let (mut outsider, _) = server.chat_guest("cy").await;
    ana.join("general").await;
    bea.join("general").await;
    // The client's claims about author, id and time are ignored.
    let ack = ana
        .request(
            "message",
            json!({"room": "general", "text": "  hola  ", "user": {"id": 999, "username": "mallory"}, "id": 1, "ts": 0}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let message = &ack["message"];
    assert_eq!(message["text"], "hola");
    assert_eq!(message["room"], "general");
    assert_eq!(
        message["user"],
        json!({"id": ana_user.id, "username": "ana"})
    );
    assert!(message["ts"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(bea.next("message").await, *message);
    assert_eq!(
        ana.next("message").await,
        *message,
        "the sender's sockets get it too"
    );
    // Someone who has not joined gets nothing: their next event is from a room they join.
    outsider.join("general").await;
    ana.say("general", "second").await;
    assert_eq!(outsider.next("message").await["text"], "second");
}

#[tokio::test]
async fn message_validation_errors_use_the_contract_codes() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join("general").await;
    assert_eq!(code(&ana.say("general", "   \n ").await), "empty_message");
    assert_eq!(
        code(&ana.say("general", &"x".repeat(4001)).await),
        "too_long"
    );
    assert_eq!(
        ana.say("general", &"é".repeat(4000)).await["ok"],
        true,
        "4000 characters is fine"
    );
    assert_eq!(code(&ana.say("nowhere", "hi").await), "not_member");
    assert_eq!(code(&ana.say("bad/name", "hi").await), "bad_request");
    server
        .store()
        .create_room("quiet", None, false, store::RoomKind::Room, 1, 0)
        .await
        .unwrap();
    assert_eq!(
        code(&ana.say("quiet", "hi").await),
        "not_member",
        "exists, but not joined"
    );
}

#[tokio::test]
async fn wrong_payload_types_get_bad_request_on_every_event() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join("general").await;
    let cases = [
        ("join", json!({"room": 1})),
        ("join", json!("general")),
        ("leave", json!({})),
        ("message", json!({"room": "general", "text": 5})),
        (
            "message",
            json!({"room": "general", "text": "x", "client_id": {"a": 1}}),
        ),
        ("message", json!(null)),
        ("typing", json!({"room": "general", "active": "yes"})),
        ("history", json!({"room": "general", "limit": "ten"})),
        ("history", json!({"room": "general", "limit": 0})),
        ("history", json!({"room": "general", "limit": 101})),
        ("history", json!({"room": "general", "before": "x"})),
        ("create_room", json!({"name": ["x"]})),
        ("create_room", json!({"name": "ok", "private": "no"})),
        ("invite", json!({"room": "general"})),
    ];
    for (event, payload) in cases {
        let ack = ana.request(event, payload.clone()).await;
        assert_eq!(code(&ack), "bad_request", "{event} {payload}: {ack}");
    }
    // No argument at all, and an unknown event.
    let ack = ana.try_request("join", vec![]).await.unwrap();
    assert_eq!(code(&ack[0]), "bad_request");
    assert_eq!(code(&ana.request("shout", json!({})).await), "bad_request");
    // The connection survived all of it.
    assert_eq!(ana.say("general", "still here").await["ok"], true);
}

#[tokio::test]
async fn a_failed_event_without_ack_answers_with_an_error_event() {
    let server = TestServer::spawn().await;
    let (mut ana, _) = server.chat_guest("ana").await;
    ana.emit("message", json!({"room": "general", "text": "not joined"}))
        .await;
    let error = ana.next("error").await;
    assert_eq!(error["code"], "not_member");
    assert!(error["message"].as_str().unwrap().contains("general"));
}

#[tokio::test]
async fn resend_with_the_same_client_id_is_stored_once() {
    let server = TestServer::spawn().await;
    let (mut ana, _) = server.chat_guest("ana").await;
    ana.join("general").await;
    let payload = json!({"room": "general", "text": "once", "client_id": "c-1"});
    let first = ana.request("message", payload.clone()).await;
    let again = ana.request("message", payload).await;
    assert_eq!(first["message"], again["message"]);
    ana.say("general", "after").await;
    // One broadcast for the first send, none for the resend.
    assert_eq!(ana.next("message").await["text"], "once");
    assert_eq!(ana.next("message").await["text"], "after");
    let history = ana.request("history", json!({"room": "general"})).await;
    let texts: Vec<_> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, [json!("once"), json!("after")]);
}

#[tokio::test]
async fn history_pages_before_and_after() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join("general").await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            ana.say("general", &format!("m{n}")).await["message"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let texts = |ack: serde_json::Value| -> Vec<String> {
        ack["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let latest = ana
        .request("history", json!({"room": "general", "limit": 3}))
        .await;
    assert_eq!(texts(latest), ["m7", "m8", "m9"]);
    let older = ana
        .request(
            "history",
            json!({"room": "general", "before": ids[7], "limit": 2}),
        )
        .await;
    assert_eq!(texts(older), ["m5", "m6"]);
    let catch_up = ana
        .request("history", json!({"room": "general", "after": ids[6]}))
        .await;
    assert_eq!(texts(catch_up), ["m7", "m8", "m9"]);
    assert_eq!(
        code(&ana.request("history", json!({"room": "nope"})).await),
        "not_found"
    );
}

#[tokio::test]
async fn typing_reaches_others_but_not_the_typist_and_expires_after_5s() {
    let server = TestServer::spawn().await;
    let (mut ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join("general").await;
    bea.join("general").await;
    ana.emit("typing", json!({"room": "general", "active": true}))
        .await;
    let typing = bea.next("typing").await;
    assert_eq!(typing["room"], "general");
    assert_eq!(typing["user"]["username"], "ana");
    assert_eq!(typing["active"], true);
    let started = std::time::Instant::now();
    let ended = bea.next("typing").await;
    assert_eq!(ended["active"], false);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(4),
        "expired too early: {waited:?}"
    );
    // Ana never saw her own typing: her first event after joining is the message she sends now.
    ana.say("general", "done").await;
    let (event, _) = loop {
        let (event, value) = ana.next_any().await;
        if !matches!(
            event.as_str(),
            "welcome" | "members" | "user_joined" | "occupancy"
        ) {
            break (event, value);
        }
    };
    assert_eq!(event, "message");
}

#[tokio::test]
async fn sending_a_message_ends_typing() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join("general").await;
    bea.join("general").await;
    ana.emit("typing", json!({"room": "general", "active": true}))
        .await;
    assert_eq!(bea.next("typing").await["active"], true);
    ana.say("general", "sent").await;
    let stopped = bea.next("typing").await;
    assert_eq!(stopped["active"], false);
    assert_eq!(
        code(
            &ana.request("typing", json!({"room": "elsewhere", "active": true}))
                .await
        ),
        "not_member"
    );
}

#[tokio::test]
async fn a_user_with_two_tabs_is_one_member_and_leaves_with_the_last_tab() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let auth = Some(json!({ "token": token }));
    let tab1 = Socket::connect(&server, "/chat", auth.clone(), &[])
        .await
        .unwrap();
    let tab2 = Socket::connect(&server, "/chat", auth, &[]).await.unwrap();
    let (mut bea, _) = server.chat_guest("bea").await;
    bea.join("general").await;

    tab1.join("general").await;
    assert_eq!(bea.next("user_joined").await["user"]["username"], "ana");
    assert_eq!(names(&bea.next("members").await["users"]), ["ana", "bea"]);
    let ack = tab2.join("general").await;
    assert_eq!(names(&ack["members"]), ["ana", "bea"], "still one ana");

    // The first tab leaves: ana is still present, so nobody is told she left.
    assert_eq!(
        tab1.request("leave", json!({"room": "general"})).await["ok"],
        true
    );
    assert_eq!(code(&tab1.say("general", "gone?").await), "not_member");
    tab2.say("general", "still here").await;
    assert_eq!(bea.next("message").await["text"], "still here");

    // The last tab goes away: now she left.
    tab2.close();
    let left = bea.next("user_left").await;
    assert_eq!(
        left,
        json!({"room": "general", "user": left["user"].clone()})
    );
    assert_eq!(left["user"]["username"], "ana");
    assert_eq!(names(&bea.next("members").await["users"]), ["bea"]);
}

#[tokio::test]
async fn create_room_validates_and_refuses_duplicates_case_insensitively() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let ack = ana
        .request(
            "create_room",
            json!({"name": "  Book Club ", "topic": "novels"}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(
        ack["room"],
        json!({"name": "Book Club", "topic": "novels", "members": 0, "private": false})
    );
    assert_eq!(
        code(
            &ana.request("create_room", json!({"name": "book club"}))
                .await
        ),
        "conflict"
    );
    assert_eq!(
        code(&ana.request("create_room", json!({"name": "GENERAL"})).await),
        "conflict"
    );
    assert_eq!(
        code(&ana.request("create_room", json!({"name": ""})).await),
        "bad_request"
    );
    assert_eq!(
        code(
            &ana.request("create_room", json!({"name": "<script>"}))
                .await
        ),
        "bad_request"
    );
    assert_eq!(
        code(
            &ana.request("create_room", json!({"name": "x".repeat(65)}))
                .await
        ),
        "bad_request"
    );
    assert_eq!(
        code(
            &ana.request(
                "create_room",
                json!({"name": "ok", "topic": "t".repeat(201)})
            )
            .await
        ),
        "too_long"
    );
    assert_eq!(ana.join("BOOK CLUB").await["room"]["name"], "Book Club");
}

#[tokio::test]
async fn private_rooms_are_invisible_and_unjoinable_without_an_invite() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    let (cy, _) = server.chat_guest("cy").await;
    assert_eq!(
        ana.request("create_room", json!({"name": "secret", "private": true}))
            .await["ok"],
        true
    );
    ana.join("secret").await;
    ana.say("secret", "classified").await;

    let listed = |ack: serde_json::Value| names_of_rooms(&ack);
    assert!(listed(ana.request("rooms", json!({})).await).contains(&"secret".to_owned()));
    assert!(!listed(cy.request("rooms", json!({})).await).contains(&"secret".to_owned()));
    // Guessing the name looks exactly like a room that does not exist.
    assert_eq!(
        code(&cy.request("join", json!({"room": "secret"})).await),
        "not_found"
    );
    assert_eq!(
        code(&cy.request("join", json!({"room": "no such room"})).await),
        "not_found"
    );
    assert_eq!(
        code(&cy.request("history", json!({"room": "secret"})).await),
        "not_found"
    );
    assert_eq!(code(&cy.say("secret", "let me in").await), "not_member");
    assert_eq!(
        code(
            &cy.request("invite", json!({"room": "secret", "username": "cy"}))
                .await
        ),
        "not_found"
    );

    // A member invites bea; she can see, join and read it.
    assert_eq!(
        ana.request("invite", json!({"room": "secret", "username": "BEA"}))
            .await["ok"],
        true
    );
    assert_eq!(
        code(
            &ana.request("invite", json!({"room": "secret", "username": "nobody"}))
                .await
        ),
        "not_found"
    );
    let ack = bea.join("secret").await;
    assert_eq!(ack["history"][0]["text"], "classified");
    ana.say("secret", "welcome").await;
    assert_eq!(bea.next("message").await["text"], "welcome");
    assert!(!listed(cy.request("rooms", json!({})).await).contains(&"secret".to_owned()));
}

fn names_of_rooms(ack: &serde_json::Value) -> Vec<String> {
    ack["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_message_flood_is_rate_limited_without_affecting_others() {
    let server = TestServer::spawn_with(|config| config.message_burst = 5).await;
    let (flooder, _) = server.chat_guest("flood").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    flooder.join("general").await;
    bea.join("general").await;
    let mut outcomes = Vec::new();
    for n in 0..8 {
        let ack = flooder.say("general", &format!("spam {n}")).await;
        outcomes.push(if ack["ok"] == true {
            "ok".to_owned()
        } else {
            code(&ack).to_owned()
        });
    }
    assert_eq!(&outcomes[..5], ["ok"; 5]);
    assert!(
        outcomes[5..].iter().all(|c| c == "rate_limited"),
        "{outcomes:?}"
    );
    // Bea is not affected, and the flooder is still connected.
    assert_eq!(bea.say("general", "calm").await["ok"], true);
    assert_eq!(code(&flooder.say("general", "more").await), "rate_limited");
    let stored = server.store().messages_since(0).await.unwrap();
    assert_eq!(stored, 6, "5 from the flooder, 1 from bea");
    let mut seen = Vec::new();
    while seen.len() < 6 {
        seen.push(
            bea.next("message").await["text"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(seen.last().map(String::as_str), Some("calm"));
}

/// socketioxide sends the CONNECT ack before it spawns the connect handler; an event sent the
/// moment the ack arrives must still find its handler (they are registered in a middleware).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_sent_right_after_the_connect_ack_is_answered() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    let server = TestServer::spawn_with(|config| config.join_burst = 1000).await;
    let (_, token) = server.guest("eager").await;
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", server.addr);
    for attempt in 0..300 {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        ws.send(WsMessage::text(format!(r#"40/chat,{{"token":"{token}"}}"#)))
            .await
            .unwrap();
        let answered = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            loop {
                let frame = ws.next().await.unwrap().unwrap();
                let text = frame.to_text().unwrap().to_owned();
                if text.starts_with("40/chat,") {
                    // Pipelined, as a browser does on `connect`: no await between the two.
                    ws.feed(WsMessage::text(r#"42/chat,6["rooms",{}]"#))
                        .await
                        .unwrap();
                    ws.feed(WsMessage::text(r#"42/chat,7["join",{"room":"general"}]"#))
                        .await
                        .unwrap();
                    ws.flush().await.unwrap();
                } else if text.starts_with("43/chat,7[") {
                    return text;
                }
            }
        })
        .await;
        let ack =
            answered.unwrap_or_else(|_| panic!("attempt {attempt}: the join was never answered"));
        assert!(ack.contains(r#""ok":true"#), "{ack}");
    }
}
