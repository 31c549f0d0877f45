//! `/notifications` and `POST /api/notifications`: delivery to every tab, offline storage,
//! mark_read, channels, mentions and DM pings.

use crate::common::{Answer, Socket, TestServer, auth, code};
use axum::http::StatusCode;
use protocol::events::{GENERAL_ROOM, NotificationKind, notifications};
use protocol::http::{Endpoint, PushNotification};
use protocol::{
    CreateRoomReq, DmReq, ErrorCode, InviteReq, JoinReq, MarkReadReq, Notification, PushReq,
    PushRes, PushTarget, Request, SubscribeReq, UnsubscribeReq, links,
};
use serde_json::{Value, json};

/// The first account, hence an admin. (`root`, the name these tests used to give it, is now
/// reserved.)
const ADMIN_NAME: &str = "boss";

async fn notifications_socket(server: &TestServer, token: &str) -> Socket {
    Socket::connect(server, notifications::NS, auth(token), &[])
        .await
        .expect("connect /notifications")
}

async fn push(server: &TestServer, admin_token: &str, body: &PushReq) -> Answer {
    let bearer = format!("Bearer {admin_token}");
    server
        .api::<PushNotification>(body, &[("authorization", &bearer)])
        .await
}

/// A push with a body that is not a `PushReq`.
async fn push_raw(server: &TestServer, admin_token: &str, body: Value) -> Answer {
    let bearer = format!("Bearer {admin_token}");
    server
        .post(PushNotification::PATH, body, &[("authorization", &bearer)])
        .await
}

/// A push of `kind` with `title` and an empty body to `to`.
fn note(to: PushTarget, kind: &str, title: &str) -> PushReq {
    PushReq {
        to,
        kind: kind.into(),
        title: title.into(),
        body: String::new(),
        url: None,
    }
}

fn pushed(answer: &Answer) -> PushRes {
    serde_json::from_value(answer.body.clone())
        .unwrap_or_else(|e| panic!("not a push answer ({e}): {}", answer.body))
}

fn create_private(name: &str) -> CreateRoomReq {
    CreateRoomReq {
        name: name.into(),
        topic: None,
        private: true,
    }
}

#[tokio::test]
async fn a_push_to_a_user_reaches_both_of_their_tabs() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register(ADMIN_NAME, "correct horse").await;
    let (bea, bea_token) = server.guest("bea").await;
    let mut tab1 = notifications_socket(&server, &bea_token).await;
    let mut tab2 = notifications_socket(&server, &bea_token).await;
    let answer = push(
        &server,
        &admin,
        &PushReq {
            to: PushTarget::User(bea.id),
            kind: "announcement".into(),
            title: "Hello".into(),
            // Line breaks as a form on Windows sends them, read as `\n` (PROTOCOL.md).
            body: "Welcome!\r\nSecond line\rthird".into(),
            url: Some(links::CHAT.into()),
        },
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let sent = pushed(&answer);
    assert_eq!(sent.delivered, 2);
    for tab in [&mut tab1, &mut tab2] {
        let note = tab.next::<Notification>().await;
        assert_eq!(note.id, sent.id);
        assert_eq!(note.kind, NotificationKind::from("announcement"));
        assert_eq!(note.title, "Hello");
        assert_eq!(note.body, "Welcome!\nSecond line\nthird");
        assert_eq!(note.url.as_deref(), Some(links::CHAT));
        assert!(!note.read);
        assert!(note.ts > 0);
    }
}

#[tokio::test]
async fn an_offline_user_gets_it_once_on_connect_until_marked_read() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register(ADMIN_NAME, "correct horse").await;
    let (bea, bea_token) = server.guest("bea").await;
    let answer = push(
        &server,
        &admin,
        &note(PushTarget::User(bea.id), "k", "While away"),
    )
    .await;
    let sent = pushed(&answer);
    assert_eq!(sent.delivered, 0);
    let id = sent.id;

    let mut socket = notifications_socket(&server, &bea_token).await;
    assert_eq!(socket.next::<Notification>().await.id, id);
    // Exactly once: the next thing this socket receives is a fresh push, not a repeat.
    push(
        &server,
        &admin,
        &note(PushTarget::User(bea.id), "k", "Second"),
    )
    .await;
    assert_eq!(socket.next::<Notification>().await.title, "Second");

    // mark_read persists: a new connection gets only the unread one.
    socket.ok(&MarkReadReq { ids: vec![id] }).await;
    let mut again = notifications_socket(&server, &bea_token).await;
    assert_eq!(again.next::<Notification>().await.title, "Second");
    let unread = server.store().unread_notifications(bea.id).await.unwrap();
    assert_eq!(unread.len(), 1);
    let ack = socket.raw(MarkReadReq::EVENT, json!({"ids": "all"})).await;
    assert_eq!(code(&ack), ErrorCode::BadRequest);
}

#[tokio::test]
async fn only_admins_may_push() {
    let server = TestServer::spawn().await;
    server.register(ADMIN_NAME, "correct horse").await;
    let (_, member) = server.register("mem", "correct horse").await;
    let (bea, guest) = server.guest("bea").await;
    let body = PushReq {
        body: "b".into(),
        ..note(PushTarget::User(bea.id), "k", "t")
    };
    for token in [&member, &guest] {
        let answer = push(&server, token, &body).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.code(), ErrorCode::Forbidden);
    }
    let anonymous = server.api::<PushNotification>(&body, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn push_payloads_are_validated() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register(ADMIN_NAME, "correct horse").await;
    let (bea, _) = server.guest("bea").await;
    let cases = [
        (
            note(PushTarget::User(9999), "k", "t"),
            StatusCode::NOT_FOUND,
        ),
        (
            note(PushTarget::User(bea.id), "k", ""),
            StatusCode::BAD_REQUEST,
        ),
        (
            PushReq {
                url: Some("javascript:alert(1)".into()),
                ..note(PushTarget::User(bea.id), "k", "t")
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            note(PushTarget::Channel("bad name!".into()), "k", "t"),
            StatusCode::BAD_REQUEST,
        ),
        (
            note(PushTarget::User(bea.id), "k", &"t".repeat(201)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (body, status) in cases {
        let answer = push(&server, &admin, &body).await;
        assert_eq!(answer.status, status, "{body:?}: {}", answer.body);
    }
    // A recipient that is neither a user nor a channel.
    let body = json!({"to": {"nobody": 1}, "kind": "k", "title": "t", "body": ""});
    let answer = push_raw(&server, &admin, body.clone()).await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "{body}: {}",
        answer.body
    );
}

#[tokio::test]
async fn channel_pushes_reach_subscribers_only() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register(ADMIN_NAME, "correct horse").await;
    let (_, ana_token) = server.guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let mut ana = notifications_socket(&server, &ana_token).await;
    let bea = notifications_socket(&server, &bea_token).await;
    ana.ok(&SubscribeReq {
        channel: "News".into(),
    })
    .await;
    assert_eq!(
        ana.refused(&SubscribeReq {
            channel: "no spaces".into(),
        })
        .await,
        ErrorCode::BadRequest
    );
    let answer = push(
        &server,
        &admin,
        &note(PushTarget::Channel("news".into()), "news", "Extra"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(pushed(&answer).delivered, 1);
    assert_eq!(ana.next::<Notification>().await.title, "Extra");
    bea.ok(&UnsubscribeReq {
        channel: "news".into(),
    })
    .await;
    ana.ok(&UnsubscribeReq {
        channel: "news".into(),
    })
    .await;
    let answer = push(
        &server,
        &admin,
        &note(PushTarget::Channel("news".into()), "news", "Nobody"),
    )
    .await;
    assert_eq!(pushed(&answer).delivered, 0);
}

#[tokio::test]
async fn a_mention_notifies_the_mentioned_user_with_a_link() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let mut bea = notifications_socket(&server, &bea_token).await;
    ana.join(GENERAL_ROOM).await;
    let text = "hey @BEA, look (and @ana, @nobody)";
    let sent = ana.say(GENERAL_ROOM, text).await.unwrap();
    let id = sent.message.id;
    let note = bea.next::<Notification>().await;
    assert_eq!(note.kind, NotificationKind::Mention);
    assert_eq!(note.title, format!("ana mentioned you in {GENERAL_ROOM}"));
    assert_eq!(note.body, text);
    assert_eq!(note.url, Some(links::message(GENERAL_ROOM, id)));
}

#[tokio::test]
async fn mentions_from_a_private_room_reach_only_members() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (cy_user, cy_token) = server.guest("cy").await;
    let mut cy = notifications_socket(&server, &cy_token).await;
    ana.ok(&create_private("secret")).await;
    ana.join("secret").await;
    ana.say("secret", "@cy cannot see this").await.unwrap();
    // A mention in a public room does arrive, and it is the first thing she receives.
    ana.join(GENERAL_ROOM).await;
    ana.say(GENERAL_ROOM, "@cy hello").await.unwrap();
    assert_eq!(cy.next::<Notification>().await.body, "@cy hello");
    let stored = server
        .store()
        .unread_notifications(cy_user.id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "nothing from the private room: {stored:?}");
}

#[tokio::test]
async fn a_dm_is_a_private_room_of_two_that_pings_the_absent_peer() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _, bea_token) = server.chat_guest_with_token("bea").await;
    let (cy, _) = server.chat_guest("cy").await;
    let mut bea_notes = notifications_socket(&server, &bea_token).await;
    let dm = |username: &str| DmReq {
        username: username.into(),
    };
    let ours = ana.ok(&dm("bea")).await.room;
    let room = ours.name.clone();
    assert!(ours.private);
    assert_eq!(ours.dm_with.as_deref(), Some("bea"));
    // The same room from the other side, named after the other person.
    let theirs = bea.ok(&dm("ana")).await.room;
    assert_eq!(theirs.name, room);
    assert_eq!(theirs.dm_with.as_deref(), Some("ana"));
    // Nobody else can see or join it, nor invite into it.
    assert_eq!(
        cy.refused(&JoinReq::new(room.clone())).await,
        ErrorCode::NotFound
    );
    ana.join(&room).await;
    assert_eq!(
        ana.refused(&InviteReq {
            room: room.clone(),
            username: "cy".into(),
        })
        .await,
        ErrorCode::Forbidden
    );
    assert_eq!(ana.refused(&dm("ana")).await, ErrorCode::BadRequest);
    assert_eq!(ana.refused(&dm("nobody")).await, ErrorCode::NotFound);
    assert_eq!(
        ana.refused(&CreateRoomReq {
            name: "dm-1-2".into(),
            topic: None,
            private: false,
        })
        .await,
        ErrorCode::BadRequest
    );
    // Bea has not opened the conversation: she gets a `dm` notification.
    ana.say(&room, "psst").await.unwrap();
    let note = bea_notes.next::<Notification>().await;
    assert_eq!(note.kind, NotificationKind::Dm);
    assert_eq!(note.title, "ana sent you a message");
    assert_eq!(note.body, "psst");
}

#[tokio::test]
async fn an_invite_notifies_the_invitee() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let mut bea = notifications_socket(&server, &bea_token).await;
    ana.ok(&create_private("Book Club")).await;
    ana.ok(&InviteReq {
        room: "book club".into(),
        username: "bea".into(),
    })
    .await;
    let note = bea.next::<Notification>().await;
    assert_eq!(note.kind, NotificationKind::Invite);
    assert_eq!(note.title, "ana invited you to Book Club");
    assert_eq!(note.url, Some(links::room("Book Club")));
}

#[tokio::test]
async fn a_dm_pings_once_per_unread_streak_and_not_while_it_is_being_read() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, bea_user, bea_token) = server.chat_guest_with_token("bea").await;
    let mut bea_notes = notifications_socket(&server, &bea_token).await;
    let room = ana
        .ok(&DmReq {
            username: "bea".into(),
        })
        .await
        .room
        .name;
    ana.join(&room).await;
    ana.join(GENERAL_ROOM).await;
    let dm_pings = || async {
        server
            .store()
            .unread_notifications(bea_user.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.kind == NotificationKind::Dm)
            .count()
    };
    // A mention in general after each step: once it arrives, the DM's own pings are done.
    let mut sentinel = 0;
    let mut settle = async |bea_notes: &mut Socket| {
        sentinel += 1;
        let text = format!("@bea sentinel {sentinel}");
        ana.say(GENERAL_ROOM, &text).await.unwrap();
        bea_notes
            .next_where::<Notification>(|note| note.body == text)
            .await;
    };

    // Bea follows the DM (every tab follows its saved rooms) but has not read it: one ping.
    bea.join(&room).await;
    let first = ana.say(&room, "one").await.unwrap().message;
    ana.say(&room, "two").await.unwrap();
    // The ping itself arrives (the tasks of two quick messages may run in either order).
    bea_notes
        .next_where::<Notification>(|note| note.kind == NotificationKind::Dm)
        .await;
    settle(&mut bea_notes).await;
    assert_eq!(dm_pings().await, 1, "one ping for the unread streak");

    // She reads it; while she is reading, new messages ping nobody.
    bea.ok(&protocol::MarkRoomReadReq {
        room: room.clone(),
        id: first.id + 1,
    })
    .await;
    ana.say(&room, "three").await.unwrap();
    settle(&mut bea_notes).await;
    assert_eq!(dm_pings().await, 1, "no ping while the DM is being read");
}
