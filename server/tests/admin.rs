//! `/admin`: who may connect, live stats that match reality, role changes and closing rooms;
//! plus the single occupancy broadcaster of `/chat`.

mod common;

use std::sync::atomic::Ordering;

use common::{Socket, TestServer, code};
use serde_json::{Value, json};

async fn admin_socket(server: &TestServer) -> (Socket, String) {
    let (_, token) = server.register("root", "correct horse").await;
    let socket = Socket::connect(server, "/admin", Some(json!({ "token": token })), &[])
        .await
        .expect("admin connects");
    (socket, token)
}

/// Waits for a `stats` event that satisfies `done`.
async fn stats_until(admin: &mut Socket, done: impl Fn(&Value) -> bool) -> Value {
    loop {
        let stats = admin.next("stats").await;
        if done(&stats) {
            return stats;
        }
    }
}

fn room<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {stats}"))
}

#[tokio::test]
async fn guests_and_members_are_forbidden_and_strangers_unauthorized() {
    let server = TestServer::spawn().await;
    server.register("root", "correct horse").await;
    let (_, member) = server.register("mem", "correct horse").await;
    let (_, guest) = server.guest("visitor").await;
    for token in [member, guest] {
        let refused =
            Socket::connect(&server, "/admin", Some(json!({ "token": token })), &[]).await;
        assert_eq!(refused.err().as_deref(), Some("forbidden"));
    }
    let refused = Socket::connect(&server, "/admin", None, &[]).await;
    assert_eq!(refused.err().as_deref(), Some("unauthorized"));
}

#[tokio::test]
async fn stats_equal_the_scripted_reality() {
    let server = TestServer::spawn().await;
    let (mut admin, _) = admin_socket(&server).await;
    // Two users, three /chat sockets; ana in general and books, bea in general.
    let (ana1, _, ana_token) = server.chat_guest_with_token("ana").await;
    let ana2 = Socket::connect(&server, "/chat", Some(json!({ "token": ana_token })), &[])
        .await
        .unwrap();
    let (bea, _) = server.chat_guest("bea").await;
    ana1.request("create_room", json!({"name": "books"})).await;
    ana1.join("general").await;
    ana2.join("books").await;
    bea.join("general").await;
    for text in ["one", "two", "three"] {
        ana1.say("general", text).await;
    }
    bea.say("general", "four").await;
    ana2.say("books", "five").await;

    let stats = stats_until(&mut admin, |s| {
        s["messages_total"] == 5 && s["sockets"] == 3
    })
    .await;
    assert_eq!(stats["connected_users"], 2);
    assert_eq!(stats["sockets"], 3);
    assert_eq!(stats["messages_last_minute"], 5);
    assert_eq!(room(&stats, "general")["members"], 2);
    assert_eq!(room(&stats, "general")["messages"], 4);
    assert_eq!(room(&stats, "books")["members"], 1);
    assert_eq!(room(&stats, "books")["messages"], 1);
    assert!(stats["uptime_s"].as_u64().is_some());

    // People leave: the numbers follow.
    bea.close();
    ana2.close();
    let stats = stats_until(&mut admin, |s| s["sockets"] == 1).await;
    assert_eq!(stats["connected_users"], 1);
    assert_eq!(room(&stats, "general")["members"], 1);
    assert_eq!(room(&stats, "books")["members"], 0);
}

#[tokio::test]
async fn admins_change_roles_but_not_their_own() {
    let server = TestServer::spawn().await;
    let (admin, _) = admin_socket(&server).await;
    server.register("mem", "correct horse").await;
    server.guest("visitor").await;
    let ack = admin
        .request("set_role", json!({"username": "MEM", "role": "admin"}))
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["user"]["role"], "admin");
    assert_eq!(
        code(
            &admin
                .request("set_role", json!({"username": "root", "role": "member"}))
                .await
        ),
        "forbidden"
    );
    assert_eq!(
        code(
            &admin
                .request("set_role", json!({"username": "visitor", "role": "member"}))
                .await
        ),
        "bad_request"
    );
    assert_eq!(
        code(
            &admin
                .request("set_role", json!({"username": "nobody", "role": "member"}))
                .await
        ),
        "not_found"
    );
    assert_eq!(
        code(
            &admin
                .request("set_role", json!({"username": "mem", "role": "root"}))
                .await
        ),
        "bad_request"
    );
}

#[tokio::test]
async fn a_demoted_admin_loses_the_live_view() {
    let server = TestServer::spawn().await;
    let (admin, _) = admin_socket(&server).await;
    let (_, other_token) = server.register("second", "correct horse").await;
    admin
        .request("set_role", json!({"username": "second", "role": "admin"}))
        .await;
    let mut second = Socket::connect(
        &server,
        "/admin",
        Some(json!({ "token": other_token })),
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        admin
            .request("set_role", json!({"username": "second", "role": "member"}))
            .await["ok"],
        true
    );
    assert!(second.disconnected().await);
}

#[tokio::test]
async fn closing_a_room_removes_everyone_from_it() {
    let server = TestServer::spawn().await;
    let (admin, _) = admin_socket(&server).await;
    let (mut ana, _) = server.chat_guest("ana").await;
    ana.request("create_room", json!({"name": "doomed"})).await;
    ana.join("doomed").await;
    assert_eq!(
        admin.request("close_room", json!({"room": "DOOMED"})).await["ok"],
        true
    );
    assert_eq!(ana.next("room_closed").await, json!({"room": "doomed"}));
    assert_eq!(code(&ana.say("doomed", "hello?").await), "not_member");
    assert_eq!(
        code(&ana.request("join", json!({"room": "doomed"})).await),
        "not_found"
    );
    assert_eq!(
        code(
            &admin
                .request("close_room", json!({"room": "general"}))
                .await
        ),
        "forbidden"
    );
    assert_eq!(
        code(&admin.request("close_room", json!({"room": "doomed"})).await),
        "not_found"
    );
}

#[tokio::test]
async fn occupancy_counts_follow_joins_leaves_and_disconnects() {
    let server = TestServer::spawn().await;
    let (mut watcher, _) = server.chat_guest("watcher").await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let general = |o: &Value| {
        o["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "general")
            .unwrap()["members"]
            .clone()
    };
    ana.join("general").await;
    bea.join("general").await;
    loop {
        let occupancy = watcher.next("occupancy").await;
        assert!(occupancy["ts"].as_i64().unwrap() > 0);
        if general(&occupancy) == 2 {
            break;
        }
    }
    ana.request("leave", json!({"room": "general"})).await;
    bea.close();
    loop {
        if general(&watcher.next("occupancy").await) == 0 {
            break;
        }
    }
}

#[tokio::test]
async fn exactly_one_occupancy_task_runs_however_many_clients_connect() {
    let server = TestServer::spawn().await;
    let mut sockets = Vec::new();
    for n in 0..20 {
        sockets.push(server.chat_guest(&format!("user{n}")).await.0);
    }
    assert_eq!(server.app.state.occupancy_tasks.load(Ordering::SeqCst), 1);
    // And every socket gets one `occupancy` per period, not one per connection.
    let mut watcher = sockets.pop().unwrap();
    let first = watcher.next("occupancy").await["ts"].as_i64().unwrap();
    let second = watcher.next("occupancy").await["ts"].as_i64().unwrap();
    assert!(
        second - first >= 4_000,
        "one broadcast every 5 s, got {first} then {second}"
    );
}

#[tokio::test]
async fn logout_disconnects_that_sessions_sockets() {
    let server = TestServer::spawn().await;
    let (mut ana, _, token) = server.chat_guest_with_token("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let bearer = format!("Bearer {token}");
    let out = server
        .post("/api/auth/logout", json!({}), &[("authorization", &bearer)])
        .await;
    assert_eq!(out.status, axum::http::StatusCode::NO_CONTENT);
    assert!(ana.disconnected().await);
    bea.join("general").await;
}
