//! `/chat` over loopback with a real Socket.IO client: the contract's events, acks and errors.

use crate::common::{Socket, TestServer, auth, code, names};
use protocol::events::{GENERAL_ROOM, chat};
use protocol::{
    Ack, Author, ConnectRefusal, CreateRoomReq, ErrorCode, HistoryReq, HistoryRes, InviteReq,
    JoinReq, LeaveReq, Members, Message, MessageReq, MessageRes, Occupancy, Presence, Request,
    Role, Room, RoomsReq, RoomsRes, ServerEvent, Typing, TypingReq, UserJoined, UserLeft, Welcome,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The body of a raw ack that must be a success.
fn accepted<T: DeserializeOwned>(ack: &Value) -> T {
    match serde_json::from_value::<Ack<T>>(ack.clone()) {
        Ok(Ack::Ok(body)) => body,
        Ok(Ack::Err(error)) => panic!("refused: {error}"),
        Err(error) => panic!("not an ack ({error}): {ack}"),
    }
}

/// Waits for the next `E` event and checks that its JSON is exactly `expected`'s (no field
/// more, none less).
async fn next_exactly<E: ServerEvent + Serialize>(socket: &mut Socket, expected: &E) {
    let value = socket.next_named(E::EVENT).await;
    assert_eq!(value, serde_json::to_value(expected).unwrap());
}

fn room_names(rooms: &RoomsRes) -> Vec<String> {
    rooms.rooms.iter().map(|r| r.name.clone()).collect()
}

fn texts(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.text.clone()).collect()
}

fn history(room: &str) -> HistoryReq {
    HistoryReq {
        room: room.into(),
        ..HistoryReq::default()
    }
}

fn typing(room: &str, active: bool) -> TypingReq {
    TypingReq {
        room: room.into(),
        active,
        thread: None,
    }
}

fn create(name: &str) -> CreateRoomReq {
    CreateRoomReq {
        name: name.into(),
        topic: None,
        private: false,
    }
}

fn invite(room: &str, username: &str) -> InviteReq {
    InviteReq {
        room: room.into(),
        username: username.into(),
    }
}

fn join(room: &str) -> JoinReq {
    JoinReq::new(room)
}

#[tokio::test]
async fn connect_without_credentials_is_unauthorized() {
    let server = TestServer::spawn().await;
    let unauthorized = Some(ConnectRefusal::Unauthorized.as_str());
    let refused = Socket::connect(&server, chat::NS, None, &[]).await;
    assert_eq!(refused.err().as_deref(), unauthorized);
    let refused = Socket::connect(&server, chat::NS, auth("forged"), &[]).await;
    assert_eq!(refused.err().as_deref(), unauthorized);
    let refused = Socket::connect(&server, chat::NS, Some(json!({"token": 42})), &[]).await;
    assert_eq!(refused.err().as_deref(), unauthorized);
}

#[tokio::test]
async fn welcome_names_the_user_and_the_server_time() {
    let server = TestServer::spawn().await;
    let (mut ana, user) = server.chat_guest("ana").await;
    let welcome = ana.next::<Welcome>().await;
    assert_eq!(welcome.user.username, "ana");
    assert_eq!(welcome.user.id, user.id);
    assert_eq!(welcome.user.role, Role::Guest);
    assert!(welcome.server_time > 1_700_000_000_000);
}

#[tokio::test]
async fn general_exists_and_rooms_lists_it_with_live_counts() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    let rooms = ana.ok(&RoomsReq {}).await;
    let general = rooms.rooms.iter().find(|r| r.name == GENERAL_ROOM).unwrap();
    assert_eq!(general.members, 1);
    assert!(!general.private);
    assert!(general.topic.is_some());
}

#[tokio::test]
async fn join_returns_room_members_and_the_last_50_messages_oldest_first() {
    // 55 messages in a row would (rightly) trip the default flood limit.
    let server = TestServer::spawn_with(|config| config.message_burst = 100).await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    for n in 0..55 {
        ana.say(GENERAL_ROOM, &format!("m{n}")).await.unwrap();
    }
    let (bea, _) = server.chat_guest("bea").await;
    // Room names are case-insensitive.
    let ack = bea.join(&GENERAL_ROOM.to_uppercase()).await;
    assert_eq!(ack.room.name, GENERAL_ROOM);
    assert_eq!(ack.room.members, 2);
    assert_eq!(names(&ack.members), ["ana", "bea"]);
    let history = &ack.history;
    assert_eq!(history.len(), 50);
    assert_eq!(history[0].text, "m5");
    assert_eq!(history[49].text, "m54");
    let ids: Vec<i64> = history.iter().map(|m| m.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
}

#[tokio::test]
async fn a_message_reaches_every_member_with_server_stamped_author() {
    let server = TestServer::spawn().await;
    let (mut ana, ana_user) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    let (mut outsider, _) = server.chat_guest("cy").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    // The client's claims about author, id and time are ignored.
    let ack = ana
        .raw(
            MessageReq::EVENT,
            json!({"room": GENERAL_ROOM, "text": "  hola  ", "user": {"id": 999, "username": "mallory"}, "id": 1, "ts": 0}),
        )
        .await;
    let MessageRes { message } = accepted(&ack);
    assert_eq!(message.text, "hola");
    assert_eq!(message.room, GENERAL_ROOM);
    assert_eq!(
        message.user,
        Author {
            id: ana_user.id,
            username: "ana".into()
        }
    );
    assert!(message.ts > 1_700_000_000_000);
    assert_eq!(bea.next::<Message>().await, message);
    assert_eq!(
        ana.next::<Message>().await,
        message,
        "the sender's sockets get it too"
    );
    // Someone who has not joined gets nothing: their next event is from a room they join.
    outsider.join(GENERAL_ROOM).await;
    ana.say(GENERAL_ROOM, "second").await.unwrap();
    assert_eq!(outsider.next::<Message>().await.text, "second");
}

#[tokio::test]
async fn message_validation_errors_use_the_contract_codes() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    assert_eq!(
        ana.say(GENERAL_ROOM, "   \n ").await.unwrap_err().code,
        ErrorCode::EmptyMessage
    );
    assert_eq!(
        ana.say(GENERAL_ROOM, &"x".repeat(4001))
            .await
            .unwrap_err()
            .code,
        ErrorCode::TooLong
    );
    assert!(
        ana.say(GENERAL_ROOM, &"é".repeat(4000)).await.is_ok(),
        "4000 characters is fine"
    );
    assert_eq!(
        ana.say("nowhere", "hi").await.unwrap_err().code,
        ErrorCode::NotMember
    );
    assert_eq!(
        ana.say("bad/name", "hi").await.unwrap_err().code,
        ErrorCode::BadRequest
    );
    server
        .store()
        .create_room("quiet", None, false, store::RoomKind::Room, 1, 0)
        .await
        .unwrap();
    assert_eq!(
        ana.say("quiet", "hi").await.unwrap_err().code,
        ErrorCode::NotMember,
        "exists, but not joined"
    );
}

#[tokio::test]
async fn wrong_payload_types_get_bad_request_on_every_event() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    let cases = [
        (JoinReq::EVENT, json!({"room": 1})),
        (JoinReq::EVENT, json!(GENERAL_ROOM)),
        (LeaveReq::EVENT, json!({})),
        (MessageReq::EVENT, json!({"room": GENERAL_ROOM, "text": 5})),
        (
            MessageReq::EVENT,
            json!({"room": GENERAL_ROOM, "text": "x", "client_id": {"a": 1}}),
        ),
        (MessageReq::EVENT, json!(null)),
        (
            TypingReq::EVENT,
            json!({"room": GENERAL_ROOM, "active": "yes"}),
        ),
        (
            HistoryReq::EVENT,
            json!({"room": GENERAL_ROOM, "limit": "ten"}),
        ),
        (HistoryReq::EVENT, json!({"room": GENERAL_ROOM, "limit": 0})),
        (
            HistoryReq::EVENT,
            json!({"room": GENERAL_ROOM, "limit": 101}),
        ),
        (
            HistoryReq::EVENT,
            json!({"room": GENERAL_ROOM, "before": "x"}),
        ),
        (CreateRoomReq::EVENT, json!({"name": ["x"]})),
        (CreateRoomReq::EVENT, json!({"name": "ok", "private": "no"})),
        (InviteReq::EVENT, json!({"room": GENERAL_ROOM})),
    ];
    for (event, payload) in cases {
        let ack = ana.raw(event, payload.clone()).await;
        assert_eq!(
            code(&ack),
            ErrorCode::BadRequest,
            "{event} {payload}: {ack}"
        );
    }
    // No argument at all: read as `{}`, which `join` cannot do without (the error names the
    // missing field) and `rooms` needs nothing more than; and an unknown event.
    let ack = ana.try_raw(JoinReq::EVENT, vec![]).await.unwrap();
    assert_eq!(code(&ack[0]), ErrorCode::BadRequest);
    assert!(ack[0].to_string().contains("room"), "{}", ack[0]);
    let ack = ana.try_raw(RoomsReq::EVENT, vec![]).await.unwrap();
    let protocol::Ack::Ok(rooms) =
        serde_json::from_value::<protocol::Ack<RoomsRes>>(ack[0].clone()).expect("an ack")
    else {
        panic!("{} without a payload refused: {}", RoomsReq::EVENT, ack[0]);
    };
    assert!(room_names(&rooms).contains(&GENERAL_ROOM.to_owned()));
    assert_eq!(
        code(&ana.raw("shout", json!({})).await),
        ErrorCode::BadRequest
    );
    // The connection survived all of it.
    assert!(ana.say(GENERAL_ROOM, "still here").await.is_ok());
}

#[tokio::test]
async fn a_failed_event_without_ack_answers_with_an_error_event() {
    let server = TestServer::spawn().await;
    let (mut ana, _) = server.chat_guest("ana").await;
    ana.send(&MessageReq {
        room: GENERAL_ROOM.into(),
        text: "not joined".into(),
        client_id: None,
        reply_to: None,
        attachments: Vec::new(),
        thread: None,
    })
    .await;
    let error = ana.next_error().await;
    assert_eq!(error.code, ErrorCode::NotMember);
    assert!(error.message.contains(GENERAL_ROOM), "{error}");
}

#[tokio::test]
async fn resend_with_the_same_client_id_is_stored_once() {
    let server = TestServer::spawn().await;
    let (mut ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    let request = MessageReq {
        room: GENERAL_ROOM.into(),
        text: "once".into(),
        client_id: Some("c-1".into()),
        reply_to: None,
        attachments: Vec::new(),
        thread: None,
    };
    let first = ana.ok(&request).await;
    let again = ana.ok(&request).await;
    assert_eq!(first.message, again.message);
    // The answer names the key, as the room's event does (v1.24): a tab whose answer is late
    // knows its message by the event.
    assert_eq!(first.message.client_id.as_deref(), Some("c-1"));
    let said = ana.say(GENERAL_ROOM, "after").await.unwrap();
    assert_eq!(said.message.client_id, None);
    // One broadcast for the first send, none for the resend.
    let event = ana.next::<Message>().await;
    assert_eq!(
        (event.text.as_str(), event.client_id.as_deref()),
        ("once", Some("c-1"))
    );
    assert_eq!(ana.next::<Message>().await.text, "after");
    // Read again later, a message carries no key.
    let HistoryRes { messages, .. } = ana.ok(&history(GENERAL_ROOM)).await;
    assert!(messages.iter().all(|m| m.client_id.is_none()));
    let HistoryRes { messages, .. } = ana.ok(&history(GENERAL_ROOM)).await;
    assert_eq!(texts(&messages), ["once", "after"]);
    // The same key in another room is not a resend: refused, not answered with "once".
    ana.ok(&create("elsewhere")).await;
    ana.join("elsewhere").await;
    let elsewhere = MessageReq {
        room: "elsewhere".into(),
        ..request
    };
    assert_eq!(ana.refused(&elsewhere).await, ErrorCode::Conflict);
    let HistoryRes { messages, .. } = ana.ok(&history("elsewhere")).await;
    assert!(messages.is_empty());
}

#[tokio::test]
async fn history_pages_before_and_after() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(
            ana.say(GENERAL_ROOM, &format!("m{n}"))
                .await
                .unwrap()
                .message
                .id,
        );
    }
    let latest = ana
        .ok(&HistoryReq {
            limit: Some(3),
            ..history(GENERAL_ROOM)
        })
        .await;
    assert_eq!(texts(&latest.messages), ["m7", "m8", "m9"]);
    let older = ana
        .ok(&HistoryReq {
            before: Some(ids[7]),
            limit: Some(2),
            ..history(GENERAL_ROOM)
        })
        .await;
    assert_eq!(texts(&older.messages), ["m5", "m6"]);
    let catch_up = ana
        .ok(&HistoryReq {
            after: Some(ids[6]),
            ..history(GENERAL_ROOM)
        })
        .await;
    assert_eq!(texts(&catch_up.messages), ["m7", "m8", "m9"]);
    assert_eq!(ana.refused(&history("nope")).await, ErrorCode::NotFound);
}

#[tokio::test]
async fn typing_reaches_others_but_not_the_typist_and_expires_after_its_ttl() {
    // The contract's TTL is 5 s (`Config` keeps it by default); 400 ms here, to not wait.
    let server = TestServer::spawn_with(|c| c.typing_ttl_ms = 400).await;
    let (mut ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    ana.send(&typing(GENERAL_ROOM, true)).await;
    let started_typing = bea.next::<Typing>().await;
    assert_eq!(started_typing.room, GENERAL_ROOM);
    assert_eq!(started_typing.user.username, "ana");
    assert!(started_typing.active);
    let started = std::time::Instant::now();
    let ended = bea.next::<Typing>().await;
    assert!(!ended.active);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(300),
        "expired too early: {waited:?}"
    );
    // Ana never saw her own typing: her first event after joining is the message she sends now.
    ana.say(GENERAL_ROOM, "done").await.unwrap();
    let expected = [
        Welcome::EVENT,
        Members::EVENT,
        UserJoined::EVENT,
        Occupancy::EVENT,
        protocol::SavedRoom::EVENT,
    ];
    let event = crate::wait::bounded("an event other than the greeting's", async {
        loop {
            let (event, _) = ana.next_any().await;
            if !expected.contains(&event.as_str()) {
                return event;
            }
        }
    })
    .await;
    assert_eq!(event, Message::EVENT);
}

#[tokio::test]
async fn sending_a_message_ends_typing() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    ana.send(&typing(GENERAL_ROOM, true)).await;
    assert!(bea.next::<Typing>().await.active);
    ana.say(GENERAL_ROOM, "sent").await.unwrap();
    let stopped = bea.next::<Typing>().await;
    assert!(!stopped.active);
    assert_eq!(
        ana.refused(&typing("elsewhere", true)).await,
        ErrorCode::NotMember
    );
}

/// Typing a thread reply (v1.27): the event names the thread; moving to the room's own box
/// ends it in the thread first; a reply sent in the thread ends it there. (Each `typing` asks
/// for an ack here, so that they are handled in order.)
#[tokio::test]
async fn typing_in_a_thread_says_so_and_moves_with_the_typist() {
    let server = TestServer::spawn().await;
    let (mut ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let root = ana.say(GENERAL_ROOM, "root").await.unwrap().message.id;
    let in_thread = TypingReq {
        thread: Some(root),
        ..typing(GENERAL_ROOM, true)
    };
    ana.ok(&in_thread).await;
    let started = bea.next::<Typing>().await;
    assert_eq!((started.active, started.thread), (true, Some(root)));
    // A renewal in the same place tells nobody; moving to the room ends it in the thread.
    ana.ok(&in_thread).await;
    ana.ok(&typing(GENERAL_ROOM, true)).await;
    let left_thread = bea.next::<Typing>().await;
    assert_eq!(
        (left_thread.active, left_thread.thread),
        (false, Some(root))
    );
    let in_room = bea.next::<Typing>().await;
    assert_eq!((in_room.active, in_room.thread), (true, None));
    // Back in the thread.
    ana.ok(&in_thread).await;
    assert_eq!(bea.next::<Typing>().await.thread, None);
    assert_eq!(bea.next::<Typing>().await.thread, Some(root));
    // The room's box says, late, that it stopped: the typing in the thread goes on, and is
    // what a move back to the room ends.
    ana.ok(&typing(GENERAL_ROOM, false)).await;
    ana.ok(&typing(GENERAL_ROOM, true)).await;
    let moved_out = bea.next::<Typing>().await;
    assert_eq!((moved_out.active, moved_out.thread), (false, Some(root)));
    let moved_in = bea.next::<Typing>().await;
    assert_eq!((moved_in.active, moved_in.thread), (true, None));
    ana.ok(&in_thread).await;
    assert_eq!(bea.next::<Typing>().await.thread, None);
    assert_eq!(bea.next::<Typing>().await.thread, Some(root));
    // A reply sent in the thread ends it there.
    let reply = MessageReq {
        room: GENERAL_ROOM.into(),
        text: "a reply".into(),
        thread: Some(root),
        ..MessageReq::default()
    };
    ana.ok(&reply).await;
    let stopped = bea.next::<Typing>().await;
    assert_eq!((stopped.active, stopped.thread), (false, Some(root)));
    // A thread is a positive id.
    ana.send(&TypingReq {
        thread: Some(0),
        ..typing(GENERAL_ROOM, true)
    })
    .await;
    assert_eq!(ana.next_error().await.code, ErrorCode::BadRequest);
}

#[tokio::test]
async fn a_user_with_two_tabs_is_one_member_and_leaves_with_the_last_tab() {
    let server = TestServer::spawn().await;
    let (ana, token) = server.guest("ana").await;
    let tab1 = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let tab2 = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let (mut bea, _) = server.chat_guest("bea").await;
    bea.join(GENERAL_ROOM).await;

    tab1.join(GENERAL_ROOM).await;
    assert_eq!(bea.next::<UserJoined>().await.0.user.username, "ana");
    assert_eq!(names(&bea.next::<Members>().await.users), ["ana", "bea"]);
    let ack = tab2.join(GENERAL_ROOM).await;
    assert_eq!(names(&ack.members), ["ana", "bea"], "still one ana");

    // The first tab leaves: ana is still present, so nobody is told she left.
    tab1.ok(&LeaveReq {
        room: GENERAL_ROOM.into(),
    })
    .await;
    assert_eq!(
        tab1.say(GENERAL_ROOM, "gone?").await.unwrap_err().code,
        ErrorCode::NotMember
    );
    tab2.say(GENERAL_ROOM, "still here").await.unwrap();
    assert_eq!(bea.next::<Message>().await.text, "still here");

    // The last tab goes away: now she left.
    tab2.close();
    next_exactly(
        &mut bea,
        &UserLeft(Presence {
            room: GENERAL_ROOM.into(),
            user: ana,
        }),
    )
    .await;
    assert_eq!(names(&bea.next::<Members>().await.users), ["bea"]);
}

#[tokio::test]
async fn create_room_validates_and_refuses_duplicates_case_insensitively() {
    let server = TestServer::spawn().await;
    let (ana, ana_user) = server.chat_guest("ana").await;
    let created = ana
        .ok(&CreateRoomReq {
            topic: Some("novels".into()),
            ..create("  Book Club ")
        })
        .await;
    assert_eq!(
        created.room,
        Room {
            name: "Book Club".into(),
            topic: Some("novels".into()),
            members: 0,
            private: false,
            dm_with: None,
            dm_group: Vec::new(),
            created_by: Some(ana_user.id),
        }
    );
    assert_eq!(ana.refused(&create("book club")).await, ErrorCode::Conflict);
    assert_eq!(
        ana.refused(&create(&GENERAL_ROOM.to_uppercase())).await,
        ErrorCode::Conflict
    );
    assert_eq!(ana.refused(&create("")).await, ErrorCode::BadRequest);
    assert_eq!(
        ana.refused(&create("<script>")).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        ana.refused(&create(&"x".repeat(65))).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        ana.refused(&CreateRoomReq {
            topic: Some("t".repeat(201)),
            ..create("ok")
        })
        .await,
        ErrorCode::TooLong
    );
    assert_eq!(ana.join("BOOK CLUB").await.room.name, "Book Club");
}

#[tokio::test]
async fn private_rooms_are_invisible_and_unjoinable_without_an_invite() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    let (cy, _) = server.chat_guest("cy").await;
    ana.ok(&CreateRoomReq {
        private: true,
        ..create("secret")
    })
    .await;
    ana.join("secret").await;
    ana.say("secret", "classified").await.unwrap();

    let secret = "secret".to_owned();
    assert!(room_names(&ana.ok(&RoomsReq {}).await).contains(&secret));
    assert!(!room_names(&cy.ok(&RoomsReq {}).await).contains(&secret));
    // Guessing the name looks exactly like a room that does not exist.
    assert_eq!(cy.refused(&join("secret")).await, ErrorCode::NotFound);
    assert_eq!(cy.refused(&join("no such room")).await, ErrorCode::NotFound);
    assert_eq!(cy.refused(&history("secret")).await, ErrorCode::NotFound);
    assert_eq!(
        cy.say("secret", "let me in").await.unwrap_err().code,
        ErrorCode::NotMember
    );
    assert_eq!(
        cy.refused(&invite("secret", "cy")).await,
        ErrorCode::NotFound
    );

    // A member invites bea; she can see, join and read it.
    ana.ok(&invite("secret", "BEA")).await;
    assert_eq!(
        ana.refused(&invite("secret", "nobody")).await,
        ErrorCode::NotFound
    );
    let ack = bea.join("secret").await;
    assert_eq!(ack.history[0].text, "classified");
    ana.say("secret", "come in").await.unwrap();
    assert_eq!(bea.next::<Message>().await.text, "come in");
    assert!(!room_names(&cy.ok(&RoomsReq {}).await).contains(&secret));
}

#[tokio::test]
async fn a_message_flood_is_rate_limited_without_affecting_others() {
    let server = TestServer::spawn_with(|config| config.message_burst = 5).await;
    let (flooder, _) = server.chat_guest("flood").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    flooder.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let mut outcomes = Vec::new();
    for n in 0..8 {
        let answer = flooder.say(GENERAL_ROOM, &format!("spam {n}")).await;
        // `None`: accepted; otherwise the refusal's code.
        outcomes.push(answer.err().map(|error| error.code));
    }
    assert_eq!(outcomes[..5], [None; 5]);
    assert!(
        outcomes[5..]
            .iter()
            .all(|c| *c == Some(ErrorCode::RateLimited)),
        "{outcomes:?}"
    );
    // Bea is not affected, and the flooder is still connected.
    assert!(bea.say(GENERAL_ROOM, "calm").await.is_ok());
    assert_eq!(
        flooder.say(GENERAL_ROOM, "more").await.unwrap_err().code,
        ErrorCode::RateLimited
    );
    let stored = server.store().messages_since(0).await.unwrap();
    assert_eq!(stored, 6, "5 from the flooder, 1 from bea");
    let mut seen = Vec::new();
    while seen.len() < 6 {
        seen.push(bea.next::<Message>().await.text);
    }
    assert_eq!(seen.last().map(String::as_str), Some("calm"));
}

/// A resend whose first answer was lost is answered with the original even when its author
/// is past the message rate (it stores nothing); a new message is still refused (v1.24).
#[tokio::test]
async fn a_resend_past_the_rate_limit_is_answered_with_the_original() {
    let server = TestServer::spawn_with(|config| config.message_burst = 2).await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    let request = |text: &str, key: &str| MessageReq {
        room: GENERAL_ROOM.into(),
        text: text.into(),
        client_id: Some(key.into()),
        reply_to: None,
        attachments: Vec::new(),
        thread: None,
    };
    let first = ana.ok(&request("one", "k-1")).await;
    ana.ok(&request("two", "k-2")).await;
    assert_eq!(
        ana.refused(&request("three", "k-3")).await,
        ErrorCode::RateLimited
    );
    let again = ana.ok(&request("one", "k-1")).await;
    assert_eq!(again.message, first.message);
    assert_eq!(again.message.client_id.as_deref(), Some("k-1"));
    // Still too fast for something new, and a key from before is no way around it.
    assert_eq!(
        ana.refused(&request("three", "k-3")).await,
        ErrorCode::RateLimited
    );
    assert_eq!(server.store().messages_since(0).await.unwrap(), 2);
}

/// socketioxide sends the CONNECT ack before it spawns the connect handler; an event sent the
/// moment the ack arrives must still find its handler (they are registered in a middleware).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_sent_right_after_the_connect_ack_is_answered() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    // 300 rounds of `rooms` + `join` by one user: far more than the default work budget.
    let server = TestServer::spawn_with(|config| {
        config.join_burst = 1000;
        config.event_budget = 10_000;
    })
    .await;
    let (_, token) = server.guest("eager").await;
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", server.addr);
    let ns = chat::NS;
    let connect = format!(r#"40{ns},{{"token":"{token}"}}"#);
    let connected = format!("40{ns},");
    let rooms_frame = format!(r#"42{ns},6["{}",{{}}]"#, RoomsReq::EVENT);
    let join_frame = format!(
        r#"42{ns},7["{}",{{"room":"{GENERAL_ROOM}"}}]"#,
        JoinReq::EVENT
    );
    let join_ack = format!("43{ns},7[");
    for attempt in 0..300 {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .unwrap();
        ws.send(WsMessage::text(connect.as_str())).await.unwrap();
        let answered = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            loop {
                let frame = ws.next().await.unwrap().unwrap();
                let text = frame.to_text().unwrap().to_owned();
                if text.starts_with(&connected) {
                    // Pipelined, as a browser does on `connect`: no await between the two.
                    ws.feed(WsMessage::text(rooms_frame.as_str()))
                        .await
                        .unwrap();
                    ws.feed(WsMessage::text(join_frame.as_str())).await.unwrap();
                    ws.flush().await.unwrap();
                } else if text.starts_with(&join_ack) {
                    return text;
                }
            }
        })
        .await;
        let ack =
            answered.unwrap_or_else(|_| panic!("attempt {attempt}: the join was never answered"));
        let ack: Vec<Value> = serde_json::from_str(&ack[join_ack.len() - 1..]).unwrap();
        let joined: protocol::JoinRes = accepted(&ack[0]);
        assert_eq!(joined.room.name, GENERAL_ROOM);
    }
}
