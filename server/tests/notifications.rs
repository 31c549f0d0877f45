//! `/notifications` and `POST /api/notifications`: delivery to every tab, offline storage,
//! mark_read, channels, mentions and DM pings.

mod common;

use axum::http::StatusCode;
use common::{Socket, TestServer, code};
use serde_json::{Value, json};

async fn notifications_socket(server: &TestServer, token: &str) -> Socket {
    Socket::connect(
        server,
        "/notifications",
        Some(json!({ "token": token })),
        &[],
    )
    .await
    .expect("connect /notifications")
}

async fn push(server: &TestServer, admin_token: &str, body: Value) -> common::Answer {
    let bearer = format!("Bearer {admin_token}");
    server
        .post("/api/notifications", body, &[("authorization", &bearer)])
        .await
}

#[tokio::test]
async fn a_push_to_a_user_reaches_both_of_their_tabs() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register("root", "correct horse").await;
    let (bea, bea_token) = server.guest("bea").await;
    let mut tab1 = notifications_socket(&server, &bea_token).await;
    let mut tab2 = notifications_socket(&server, &bea_token).await;
    let answer = push(
        &server,
        &admin,
        json!({"to": {"user": bea.id}, "kind": "announcement", "title": "Hello", "body": "Welcome!", "url": "/chat"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert_eq!(answer.body["delivered"], 2);
    let id = answer.body["id"].as_i64().unwrap();
    for tab in [&mut tab1, &mut tab2] {
        let note = tab.next("notification").await;
        assert_eq!(note["id"], id);
        assert_eq!(note["kind"], "announcement");
        assert_eq!(note["title"], "Hello");
        assert_eq!(note["body"], "Welcome!");
        assert_eq!(note["url"], "/chat");
        assert_eq!(note["read"], false);
        assert!(note["ts"].as_i64().unwrap() > 0);
    }
}

#[tokio::test]
async fn an_offline_user_gets_it_once_on_connect_until_marked_read() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register("root", "correct horse").await;
    let (bea, bea_token) = server.guest("bea").await;
    let answer = push(
        &server,
        &admin,
        json!({"to": {"user": bea.id}, "kind": "k", "title": "While away", "body": ""}),
    )
    .await;
    assert_eq!(answer.body["delivered"], 0);
    let id = answer.body["id"].as_i64().unwrap();

    let mut socket = notifications_socket(&server, &bea_token).await;
    let note = socket.next("notification").await;
    assert_eq!(note["id"], id);
    // Exactly once: the next thing this socket receives is a fresh push, not a repeat.
    push(
        &server,
        &admin,
        json!({"to": {"user": bea.id}, "kind": "k", "title": "Second", "body": ""}),
    )
    .await;
    assert_eq!(socket.next("notification").await["title"], "Second");

    // mark_read persists: a new connection gets only the unread one.
    assert_eq!(
        socket.request("mark_read", json!({"ids": [id]})).await["ok"],
        true
    );
    let mut again = notifications_socket(&server, &bea_token).await;
    assert_eq!(again.next("notification").await["title"], "Second");
    let unread = server.store().unread_notifications(bea.id).await.unwrap();
    assert_eq!(unread.len(), 1);
    assert_eq!(
        code(&socket.request("mark_read", json!({"ids": "all"})).await),
        "bad_request"
    );
}

#[tokio::test]
async fn only_admins_may_push() {
    let server = TestServer::spawn().await;
    server.register("root", "correct horse").await;
    let (_, member) = server.register("mem", "correct horse").await;
    let (bea, guest) = server.guest("bea").await;
    let body = json!({"to": {"user": bea.id}, "kind": "k", "title": "t", "body": "b"});
    for token in [&member, &guest] {
        let answer = push(&server, token, body.clone()).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.body["error"]["code"], "forbidden");
    }
    let anonymous = server.post("/api/notifications", body, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn push_payloads_are_validated() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register("root", "correct horse").await;
    let (bea, _) = server.guest("bea").await;
    let cases = [
        (
            json!({"to": {"user": 9999}, "kind": "k", "title": "t", "body": ""}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"to": {"nobody": 1}, "kind": "k", "title": "t", "body": ""}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"to": {"user": bea.id}, "kind": "k", "title": "", "body": ""}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"to": {"user": bea.id}, "kind": "k", "title": "t", "body": "", "url": "javascript:alert(1)"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"to": {"channel": "bad name!"}, "kind": "k", "title": "t", "body": ""}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"to": {"user": bea.id}, "kind": "k", "title": "t".repeat(201), "body": ""}),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (body, status) in cases {
        let answer = push(&server, &admin, body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }
}

#[tokio::test]
async fn channel_pushes_reach_subscribers_only() {
    let server = TestServer::spawn().await;
    let (_, admin) = server.register("root", "correct horse").await;
    let (_, ana_token) = server.guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let mut ana = notifications_socket(&server, &ana_token).await;
    let bea = notifications_socket(&server, &bea_token).await;
    assert_eq!(
        ana.request("subscribe", json!({"channel": "News"})).await["ok"],
        true
    );
    assert_eq!(
        code(
            &ana.request("subscribe", json!({"channel": "no spaces"}))
                .await
        ),
        "bad_request"
    );
    let answer = push(
        &server,
        &admin,
        json!({"to": {"channel": "news"}, "kind": "news", "title": "Extra", "body": ""}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.body["delivered"], 1);
    assert_eq!(ana.next("notification").await["title"], "Extra");
    assert_eq!(
        bea.request("unsubscribe", json!({"channel": "news"})).await["ok"],
        true
    );
    assert_eq!(
        ana.request("unsubscribe", json!({"channel": "news"})).await["ok"],
        true
    );
    let answer = push(
        &server,
        &admin,
        json!({"to": {"channel": "news"}, "kind": "news", "title": "Nobody", "body": ""}),
    )
    .await;
    assert_eq!(answer.body["delivered"], 0);
}

#[tokio::test]
async fn a_mention_notifies_the_mentioned_user_with_a_link() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let mut bea = notifications_socket(&server, &bea_token).await;
    ana.join("general").await;
    let sent = ana
        .say("general", "hey @BEA, look (and @ana, @nobody)")
        .await;
    let id = sent["message"]["id"].as_i64().unwrap();
    let note = bea.next("notification").await;
    assert_eq!(note["kind"], "mention");
    assert_eq!(note["title"], "ana mentioned you in general");
    assert_eq!(note["body"], "hey @BEA, look (and @ana, @nobody)");
    assert_eq!(note["url"], format!("/chat?room=general#m{id}"));
}

#[tokio::test]
async fn mentions_from_a_private_room_reach_only_members() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (cy_user, cy_token) = server.guest("cy").await;
    let mut cy = notifications_socket(&server, &cy_token).await;
    ana.request("create_room", json!({"name": "secret", "private": true}))
        .await;
    ana.join("secret").await;
    ana.say("secret", "@cy cannot see this").await;
    // A mention in a public room does arrive, and it is the first thing she receives.
    ana.join("general").await;
    ana.say("general", "@cy hello").await;
    assert_eq!(cy.next("notification").await["body"], "@cy hello");
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
    let ack = ana.request("dm", json!({"username": "bea"})).await;
    assert_eq!(ack["ok"], true, "{ack}");
    let room = ack["room"]["name"].as_str().unwrap().to_owned();
    assert_eq!(ack["room"]["private"], true);
    assert_eq!(ack["room"]["dm_with"], "bea");
    // The same room from the other side, named after the other person.
    let theirs = bea.request("dm", json!({"username": "ana"})).await;
    assert_eq!(theirs["room"]["name"], room.as_str());
    assert_eq!(theirs["room"]["dm_with"], "ana");
    // Nobody else can see or join it, nor invite into it.
    assert_eq!(
        code(&cy.request("join", json!({"room": room})).await),
        "not_found"
    );
    ana.join(&room).await;
    assert_eq!(
        code(
            &ana.request("invite", json!({"room": room, "username": "cy"}))
                .await
        ),
        "forbidden"
    );
    assert_eq!(
        code(&ana.request("dm", json!({"username": "ana"})).await),
        "bad_request"
    );
    assert_eq!(
        code(&ana.request("dm", json!({"username": "nobody"})).await),
        "not_found"
    );
    assert_eq!(
        code(&ana.request("create_room", json!({"name": "dm-1-2"})).await),
        "bad_request"
    );
    // Bea has not opened the conversation: she gets a `dm` notification.
    ana.say(&room, "psst").await;
    let note = bea_notes.next("notification").await;
    assert_eq!(note["kind"], "dm");
    assert_eq!(note["title"], "ana sent you a message");
    assert_eq!(note["body"], "psst");
}

#[tokio::test]
async fn an_invite_notifies_the_invitee() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let mut bea = notifications_socket(&server, &bea_token).await;
    ana.request("create_room", json!({"name": "Book Club", "private": true}))
        .await;
    assert_eq!(
        ana.request("invite", json!({"room": "book club", "username": "bea"}))
            .await["ok"],
        true
    );
    let note = bea.next("notification").await;
    assert_eq!(note["kind"], "invite");
    assert_eq!(note["title"], "ana invited you to Book Club");
    assert_eq!(note["url"], "/chat?room=Book%20Club");
}
