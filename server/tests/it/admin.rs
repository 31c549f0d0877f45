//! `/admin`: who may connect, live stats that match reality, role changes and closing rooms;
//! plus the single occupancy broadcaster of `/chat`.

use crate::common::{Socket, TestServer, auth, code};
use protocol::events::{GENERAL_ROOM, admin, chat};
use protocol::http::Logout;
use protocol::{
    CloseRoomReq, ConnectRefusal, CreateRoomReq, DeleteReq, Empty, ErrorCode, JoinReq, LeaveReq,
    MuteReq, Occupancy, Request, Role, RoomClosed, RoomStats, ServerEvent, SetRoleReq, Stats,
};
use serde::Serialize;
use serde_json::json;

/// The first account, hence an admin. (`root`, the name these tests used to give it, is now
/// reserved.)
const ADMIN_NAME: &str = "boss";

/// A server whose periodic broadcasts (`stats` every second, `occupancy` every 5 s) come every
/// 100 ms, so tests that wait for the next one do not wait in real seconds.
async fn quick_server() -> TestServer {
    TestServer::spawn_with(|c| {
        c.stats_period_ms = 100;
        c.occupancy_period_ms = 100;
    })
    .await
}

async fn admin_socket(server: &TestServer) -> (Socket, String) {
    let (_, token) = server.register(ADMIN_NAME, "correct horse").await;
    let socket = Socket::connect(server, admin::NS, auth(&token), &[])
        .await
        .expect("admin connects");
    (socket, token)
}

/// Waits for a `stats` event that satisfies `done`.
async fn stats_until(admin: &mut Socket, done: impl Fn(&Stats) -> bool) -> Stats {
    admin.next_where::<Stats>(done).await
}

fn room<'a>(stats: &'a Stats, name: &str) -> &'a RoomStats {
    stats
        .rooms
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no {name} in {stats:?}"))
}

/// Waits for the next `E` event and checks that its JSON is exactly `expected`'s (no field
/// more, none less).
async fn next_exactly<E: ServerEvent + Serialize>(socket: &mut Socket, expected: &E) {
    let value = socket.next_named(E::EVENT).await;
    assert_eq!(value, serde_json::to_value(expected).unwrap());
}

fn set_role(username: &str, role: Role) -> SetRoleReq {
    SetRoleReq {
        username: username.into(),
        role,
    }
}

fn create(name: &str) -> CreateRoomReq {
    CreateRoomReq {
        name: name.into(),
        topic: None,
        private: false,
    }
}

fn close(room: &str) -> CloseRoomReq {
    CloseRoomReq { room: room.into() }
}

#[tokio::test]
async fn guests_and_members_are_forbidden_and_strangers_unauthorized() {
    let server = quick_server().await;
    server.register(ADMIN_NAME, "correct horse").await;
    let (_, member) = server.register("mem", "correct horse").await;
    let (_, guest) = server.guest("visitor").await;
    for token in [member, guest] {
        let refused = Socket::connect(&server, admin::NS, auth(&token), &[]).await;
        assert_eq!(
            refused.err().as_deref(),
            Some(ConnectRefusal::Forbidden.as_str())
        );
    }
    let refused = Socket::connect(&server, admin::NS, None, &[]).await;
    assert_eq!(
        refused.err().as_deref(),
        Some(ConnectRefusal::Unauthorized.as_str())
    );
}

#[tokio::test]
async fn stats_equal_the_scripted_reality() {
    let server = quick_server().await;
    let (mut admin, _) = admin_socket(&server).await;
    // Two users, three /chat sockets; ana in general and books, bea in general.
    let (ana1, _, ana_token) = server.chat_guest_with_token("ana").await;
    let ana2 = Socket::connect(&server, chat::NS, auth(&ana_token), &[])
        .await
        .unwrap();
    let (bea, _) = server.chat_guest("bea").await;
    ana1.ok(&create("books")).await;
    ana1.join(GENERAL_ROOM).await;
    ana2.join("books").await;
    bea.join(GENERAL_ROOM).await;
    for text in ["one", "two", "three"] {
        ana1.say(GENERAL_ROOM, text).await.unwrap();
    }
    bea.say(GENERAL_ROOM, "four").await.unwrap();
    ana2.say("books", "five").await.unwrap();

    let stats = stats_until(&mut admin, |s| s.messages_total == 5 && s.sockets == 3).await;
    assert_eq!(stats.connected_users, 2);
    assert_eq!(stats.sockets, 3);
    assert_eq!(stats.messages_last_minute, 5);
    assert_eq!(room(&stats, GENERAL_ROOM).members, 2);
    assert_eq!(room(&stats, GENERAL_ROOM).messages, 4);
    assert_eq!(room(&stats, "books").members, 1);
    assert_eq!(room(&stats, "books").messages, 1);
    // `uptime_s` is a whole number of seconds: `Stats` would not decode otherwise.

    // People leave: the numbers follow.
    bea.close();
    ana2.close();
    let stats = stats_until(&mut admin, |s| s.sockets == 1).await;
    assert_eq!(stats.connected_users, 1);
    assert_eq!(room(&stats, GENERAL_ROOM).members, 1);
    assert_eq!(room(&stats, "books").members, 0);
}

#[tokio::test]
async fn admins_change_roles_but_not_their_own() {
    let server = quick_server().await;
    let (admin, _) = admin_socket(&server).await;
    server.register("mem", "correct horse").await;
    server.guest("visitor").await;
    let answer = admin.ok(&set_role("MEM", Role::Admin)).await;
    assert_eq!(answer.user.role, Role::Admin);
    assert_eq!(
        admin.refused(&set_role(ADMIN_NAME, Role::Member)).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        admin.refused(&set_role("visitor", Role::Member)).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        admin.refused(&set_role("nobody", Role::Member)).await,
        ErrorCode::NotFound
    );
    // A role that does not exist.
    let ack = admin
        .raw(
            SetRoleReq::EVENT,
            json!({"username": "mem", "role": "root"}),
        )
        .await;
    assert_eq!(code(&ack), ErrorCode::BadRequest);
}

#[tokio::test]
async fn a_demoted_admin_loses_the_live_view() {
    let server = quick_server().await;
    let (admin, _) = admin_socket(&server).await;
    let (_, other_token) = server.register("second", "correct horse").await;
    admin.ok(&set_role("second", Role::Admin)).await;
    let mut second = Socket::connect(&server, admin::NS, auth(&other_token), &[])
        .await
        .unwrap();
    admin.ok(&set_role("second", Role::Member)).await;
    assert!(second.disconnected().await);
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_powers_on_an_open_chat_socket_at_once() {
    let server = quick_server().await;
    let (admin, _) = admin_socket(&server).await;
    let (_, second_token) = server.register("second", "correct horse").await;
    admin.ok(&set_role("second", Role::Admin)).await;
    // Connected as an admin; the socket stays open through the demotion.
    let second = Socket::connect(&server, chat::NS, auth(&second_token), &[])
        .await
        .unwrap();
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    second.join(GENERAL_ROOM).await;
    let first = ana.say(GENERAL_ROOM, "one").await.unwrap().message;
    let later = ana.say(GENERAL_ROOM, "two").await.unwrap().message;
    second.ok(&DeleteReq { id: first.id }).await;
    admin.ok(&set_role("second", Role::Member)).await;
    assert_eq!(
        second.refused(&DeleteReq { id: later.id }).await,
        ErrorCode::Forbidden
    );
    let mute = MuteReq {
        room: GENERAL_ROOM.into(),
        username: "ana".into(),
        minutes: 5,
    };
    assert_eq!(second.refused(&mute).await, ErrorCode::Forbidden);
    // Promoted again, the same socket may moderate again.
    admin.ok(&set_role("second", Role::Admin)).await;
    second.ok(&mute).await;
}

#[tokio::test]
async fn closing_a_room_removes_everyone_from_it() {
    let server = quick_server().await;
    let (admin, _) = admin_socket(&server).await;
    let (mut ana, _) = server.chat_guest("ana").await;
    ana.ok(&create("doomed")).await;
    ana.join("doomed").await;
    admin.ok(&close("DOOMED")).await;
    next_exactly(
        &mut ana,
        &RoomClosed {
            room: "doomed".into(),
        },
    )
    .await;
    assert_eq!(
        ana.say("doomed", "hello?").await.unwrap_err().code,
        ErrorCode::NotMember
    );
    assert_eq!(
        ana.refused(&JoinReq::new("doomed")).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        admin.refused(&close(GENERAL_ROOM)).await,
        ErrorCode::Forbidden
    );
    assert_eq!(admin.refused(&close("doomed")).await, ErrorCode::NotFound);
}

#[tokio::test]
async fn occupancy_counts_follow_joins_leaves_and_disconnects() {
    let server = quick_server().await;
    let (mut watcher, _) = server.chat_guest("watcher").await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let general = |o: &Occupancy| {
        o.rooms
            .iter()
            .find(|r| r.name == GENERAL_ROOM)
            .unwrap()
            .members
    };
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let occupancy = watcher
        .next_where::<Occupancy>(|occupancy| general(occupancy) == 2)
        .await;
    assert!(occupancy.ts > 0);
    ana.ok(&LeaveReq {
        room: GENERAL_ROOM.into(),
    })
    .await;
    bea.close();
    watcher
        .next_where::<Occupancy>(|occupancy| general(occupancy) == 0)
        .await;
}

#[tokio::test]
async fn exactly_one_occupancy_task_runs_however_many_clients_connect() {
    let server = quick_server().await;
    let mut sockets = Vec::new();
    for n in 0..20 {
        sockets.push(server.chat_guest(&format!("user{n}")).await.0);
    }
    // Every socket gets one `occupancy` per period (100 ms here), not one per connection:
    // with a task per connection, twenty would come every period. Counted over a second
    // (time is what is measured here).
    let mut watcher = sockets.pop().unwrap();
    watcher.next::<Occupancy>().await;
    let mut seen = 0;
    let window = tokio::time::sleep(std::time::Duration::from_secs(1));
    tokio::pin!(window);
    loop {
        tokio::select! {
            () = &mut window => break,
            occupancy = watcher.try_next::<Occupancy>() => {
                if occupancy.is_some() {
                    seen += 1;
                }
            }
        }
    }
    assert!(
        (4..=15).contains(&seen),
        "about ten broadcasts in a second at one every 100 ms, got {seen}"
    );
}

#[tokio::test]
async fn logout_disconnects_that_sessions_sockets() {
    let server = quick_server().await;
    let (mut ana, _, token) = server.chat_guest_with_token("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let bearer = format!("Bearer {token}");
    let out = server
        .api::<Logout>(&Empty {}, &[("authorization", &bearer)])
        .await;
    assert_eq!(out.status, axum::http::StatusCode::NO_CONTENT);
    assert!(ana.disconnected().await);
    bea.join(GENERAL_ROOM).await;
}
