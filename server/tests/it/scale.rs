//! Rooms and notifications at scale: room caps, presence as deltas in large rooms with the full
//! list on request, notification retention and `mark_all_read`, leaving a private room (or
//! declining an invite), and room names being public.

use crate::common::{Socket, TestServer, auth, create_room, names};
use protocol::events::GENERAL_ROOM;
use protocol::events::{chat, notifications};
use protocol::{
    DmReq, ErrorCode, InviteReq, JoinReq, LeaveRoomReq, MarkAllReadReq, Members, MembersReq,
    Notification, PushReq, PushTarget, Role, UserJoined,
};

#[tokio::test]
async fn guests_members_and_the_server_have_room_caps() {
    let server = TestServer::spawn_with(|c| {
        c.max_rooms_per_guest = 2;
        c.max_rooms_per_user = 3;
        c.max_rooms = 6; // the always-open general room is one
    })
    .await;
    let (guest, _) = server.chat_guest("visitor").await;
    guest.ok(&create_room("g1", false)).await;
    guest.ok(&create_room("g2", true)).await;
    assert_eq!(
        guest.refused(&create_room("g3", false)).await,
        ErrorCode::Forbidden
    );
    let (_, token) = server.register("ana", "long enough pw").await; // first account: admin
    let (_, member_token) = server.register("bea", "long enough pw").await;
    let member = Socket::connect(&server, chat::NS, auth(&member_token), &[])
        .await
        .unwrap();
    member.ok(&create_room("m1", false)).await;
    member.ok(&create_room("m2", false)).await;
    member.ok(&create_room("m3", false)).await;
    assert_eq!(
        member.refused(&create_room("m4", false)).await,
        ErrorCode::Forbidden
    );
    // The server is full now (general + 2 + 3): no one else may open a room…
    let (late, _) = server.chat_guest("late").await;
    assert_eq!(
        late.refused(&create_room("l1", false)).await,
        ErrorCode::Forbidden
    );
    // …but an admin is never locked out by the server's cap.
    let admin = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    admin.ok(&create_room("a1", false)).await;
}

#[tokio::test]
async fn rooms_are_created_at_a_rate_per_account_and_address_that_admins_are_not_held_to() {
    let server = TestServer::spawn_with(|c| {
        c.room_create_burst = 2;
        c.ip_quota_factor = 2;
        c.max_rooms_per_user = 100;
    })
    .await;
    let (_, admin_token) = server.register("boss", "long enough pw").await;
    let (_, token) = server.register("ana", "long enough pw").await;
    let ana = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    ana.ok(&create_room("a1", false)).await;
    ana.ok(&create_room("a2", false)).await;
    assert_eq!(
        ana.refused(&create_room("a3", false)).await,
        ErrorCode::RateLimited
    );
    // Her joins are not held up by it.
    ana.join(GENERAL_ROOM).await;
    // One address: twice one account's burst in all.
    let (_, bea_token) = server.register("bea", "long enough pw").await;
    let bea = Socket::connect(&server, chat::NS, auth(&bea_token), &[])
        .await
        .unwrap();
    bea.ok(&create_room("b1", false)).await;
    bea.ok(&create_room("b2", false)).await;
    let (_, cy_token) = server.register("cy", "long enough pw").await;
    let cy = Socket::connect(&server, chat::NS, auth(&cy_token), &[])
        .await
        .unwrap();
    assert_eq!(
        cy.refused(&create_room("c1", false)).await,
        ErrorCode::RateLimited
    );
    let admin = Socket::connect(&server, chat::NS, auth(&admin_token), &[])
        .await
        .unwrap();
    for n in 0..5 {
        admin.ok(&create_room(&format!("x{n}"), false)).await;
    }
}

#[tokio::test]
async fn new_direct_conversations_have_a_daily_budget_and_reopening_one_is_free() {
    let server = TestServer::spawn_with(|c| c.dm_burst = 2).await;
    let (ana, _) = server.chat_guest("ana").await;
    for name in ["bea", "cy", "dan"] {
        server.chat_guest(name).await;
    }
    let dm = |username: &str| DmReq {
        username: username.into(),
    };
    ana.ok(&dm("bea")).await;
    ana.ok(&dm("cy")).await;
    assert_eq!(ana.refused(&dm("dan")).await, ErrorCode::RateLimited);
    // The conversations she has open again as often as she likes.
    ana.ok(&dm("bea")).await;
    ana.ok(&dm("cy")).await;
}

#[tokio::test]
async fn guests_together_hold_at_most_half_of_the_servers_rooms() {
    let server = TestServer::spawn_with(|c| {
        c.max_rooms_per_guest = 2;
        c.max_rooms = 6;
    })
    .await;
    let (first, _) = server.chat_guest("first").await;
    let (second, _) = server.chat_guest("second").await;
    first.ok(&create_room("g1", false)).await;
    first.ok(&create_room("g2", true)).await;
    second.ok(&create_room("g3", false)).await;
    // Three guest rooms are half of six: the next guest room is refused, though `second`
    // is under their own cap and the server under its own.
    assert_eq!(
        second.refused(&create_room("g4", false)).await,
        ErrorCode::Forbidden
    );
    let (_, member_token) = server.register("ana", "long enough pw").await;
    let member = Socket::connect(&server, chat::NS, auth(&member_token), &[])
        .await
        .unwrap();
    member.ok(&create_room("m1", false)).await;
}

#[tokio::test]
async fn a_name_taken_by_a_private_room_is_answered_like_any_taken_name() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    ana.ok(&create_room("hidden", true)).await;
    ana.ok(&create_room("open", false)).await;
    let private = bea.call(&create_room("Hidden", false)).await.unwrap_err();
    let public = bea.call(&create_room("Open", false)).await.unwrap_err();
    assert_eq!(private.code, ErrorCode::Conflict);
    assert_eq!(public.code, ErrorCode::Conflict);
    assert_eq!(
        private.message.replace("Hidden", "X"),
        public.message.replace("Open", "X"),
        "nothing tells a private room from a public one"
    );
}

#[tokio::test]
async fn a_join_answer_fits_however_long_the_names_of_those_present() {
    // A small packet limit stands in for a room of hundreds of people with long names.
    let server = TestServer::spawn_with(|c| {
        c.auth_burst = 1_000;
        c.max_payload = 4 * 1024;
    })
    .await;
    let (speaker, _) = server.chat_guest("speaker").await;
    speaker.join(GENERAL_ROOM).await;
    let mut crowd = Vec::new();
    for n in 0..100 {
        let name = format!("{n:02}{}", "x".repeat(protocol::validate::USERNAME_MAX - 2));
        let (socket, _) = server.chat_guest(&name).await;
        socket.join(GENERAL_ROOM).await;
        crowd.push(socket);
    }
    let said = speaker.say(GENERAL_ROOM, "latest").await.unwrap().message;
    let (late, _) = server.chat_guest("late").await;
    let joined = late.join(GENERAL_ROOM).await;
    let present = 102;
    assert!(
        !joined.members.is_empty() && joined.members.len() < present,
        "{} members listed",
        joined.members.len()
    );
    assert_eq!(joined.members_total, Some(present as u64));
    assert_eq!(joined.history.last().map(|m| m.id), Some(said.id));
    // The rest is a `members` request away.
    let rest = late
        .ok(&MembersReq {
            room: GENERAL_ROOM.into(),
            offset: Some(joined.members.len() as u64),
        })
        .await;
    assert_eq!(rest.total, present as u64);
    assert!(!rest.users.is_empty());
    assert!(rest.users.iter().all(|u| !joined.members.contains(u)));
}

#[tokio::test]
async fn large_rooms_get_deltas_and_the_full_list_on_request() {
    let max = server::limits::MEMBERS_BROADCAST_MAX;
    let server = TestServer::spawn_with(|c| c.auth_burst = 1_000).await;
    let (mut watcher, _) = server.chat_guest("watcher").await;
    watcher.join(GENERAL_ROOM).await;
    let mut crowd = Vec::new();
    for n in 0..max {
        let (socket, _) = server.chat_guest(&format!("p{n:03}")).await;
        socket.join(GENERAL_ROOM).await;
        crowd.push(socket);
    }
    // The room now holds max + 1 people; every arrival so far came with a full list while the
    // room was small enough. Drain them.
    crate::wait::bounded("the full lists to stop", async {
        while watcher
            .try_next_within::<Members>(std::time::Duration::from_millis(200))
            .await
            .is_some()
        {}
    })
    .await;
    let (late, _) = server.chat_guest("late").await;
    let joined = late.join(GENERAL_ROOM).await;
    assert_eq!(joined.members.len(), max + 2);
    // The watcher hears of the arrival as a delta, without a full list the size of the room.
    let UserJoined(arrival) = watcher.next::<UserJoined>().await;
    assert_eq!(arrival.user.username, "late");
    assert!(
        watcher
            .try_next_within::<Members>(std::time::Duration::from_millis(500))
            .await
            .is_none(),
        "no full list is broadcast in a room of {} people",
        max + 2
    );
    // The full list is a request away, a page at a time.
    let page = watcher
        .ok(&MembersReq {
            room: GENERAL_ROOM.into(),
            offset: None,
        })
        .await;
    assert_eq!(page.total, (max + 2) as u64);
    assert!(names(&page.users).contains(&"late".to_owned()));
    let tail = watcher
        .ok(&MembersReq {
            room: GENERAL_ROOM.into(),
            offset: Some(max as u64),
        })
        .await;
    assert_eq!(tail.users.len(), 2);
    // Only members may ask.
    let (outsider, _) = server.chat_guest("outsider").await;
    assert_eq!(
        outsider
            .refused(&MembersReq {
                room: GENERAL_ROOM.into(),
                offset: None,
            })
            .await,
        ErrorCode::NotMember
    );
}

#[tokio::test]
async fn a_member_can_leave_a_private_room_for_good_and_decline_an_invite() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let bea_tab1 = Socket::connect(&server, chat::NS, auth(&bea_token), &[])
        .await
        .unwrap();
    let bea_tab2 = Socket::connect(&server, chat::NS, auth(&bea_token), &[])
        .await
        .unwrap();
    ana.ok(&create_room("club", true)).await;
    ana.join("club").await;
    ana.ok(&InviteReq {
        room: "club".into(),
        username: "bea".into(),
    })
    .await;
    bea_tab1.join("club").await;
    bea_tab2.join("club").await;
    bea_tab1
        .ok(&LeaveRoomReq {
            room: "club".into(),
        })
        .await;
    // Both tabs are out, and the room is as invisible to her as to anyone not invited.
    assert_eq!(
        bea_tab2.say("club", "still here?").await.unwrap_err().code,
        ErrorCode::NotMember
    );
    assert_eq!(
        bea_tab2.refused(&JoinReq::new("club")).await,
        ErrorCode::NotFound
    );
    // Declining an invite is the same request.
    ana.ok(&InviteReq {
        room: "club".into(),
        username: "bea".into(),
    })
    .await;
    bea_tab1
        .ok(&LeaveRoomReq {
            room: "club".into(),
        })
        .await;
    assert_eq!(
        bea_tab1.refused(&JoinReq::new("club")).await,
        ErrorCode::NotFound
    );
    // Public rooms have nothing to leave for good.
    assert_eq!(
        ana.refused(&LeaveRoomReq {
            room: GENERAL_ROOM.into()
        })
        .await,
        ErrorCode::BadRequest
    );
}

#[tokio::test]
async fn notifications_keep_the_newest_and_can_all_be_marked_read() {
    let server = TestServer::spawn_with(|c| c.notification_retention = 10).await;
    let (_, admin_token) = server.register("boss", "long enough pw").await;
    let (ana, ana_token) = server.guest("ana").await;
    assert_eq!(
        server
            .store()
            .user_by_id(ana.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Guest
    );
    let bearer = format!("Bearer {admin_token}");
    for n in 0..15 {
        let push = PushReq {
            to: PushTarget::User(ana.id),
            kind: "announcement".into(),
            title: format!("n{n}"),
            body: String::new(),
            url: None,
        };
        let answer = server
            .api::<protocol::http::PushNotification>(&push, &[("authorization", &bearer)])
            .await;
        assert_eq!(answer.status, axum::http::StatusCode::ACCEPTED);
    }
    let mut notes = Socket::connect(&server, notifications::NS, auth(&ana_token), &[])
        .await
        .unwrap();
    let mut titles = Vec::new();
    for _ in 0..10 {
        titles.push(notes.next::<Notification>().await.title);
    }
    assert_eq!(
        titles.first().map(String::as_str),
        Some("n5"),
        "the oldest 5 were dropped"
    );
    assert_eq!(titles.last().map(String::as_str), Some("n14"));
    notes.ok(&MarkAllReadReq {}).await;
    assert!(
        server
            .store()
            .unread_notifications(ana.id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// `rooms` and `saved_rooms` cost what they answer, not what the user has: with 5,000 rooms
/// and 500 DMs each call is a handful of statements (before, one or two per room).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_lists_cost_a_bounded_number_of_queries_however_many_rooms() {
    let server = TestServer::spawn_with(|c| {
        // No background work in the middle of the count.
        c.occupancy_period_ms = 3_600_000;
        c.max_rooms = 100_000;
    })
    .await;
    let store = server.store();
    let (ana_socket, ana) = server.chat_guest("ana").await;
    for n in 0..5_000 {
        let room = store
            .create_room(
                &format!("room {n}"),
                None,
                false,
                store::RoomKind::Room,
                ana.id,
                1,
            )
            .await
            .unwrap();
        if n < 100 {
            store.save_room(ana.id, &room, None, 2).await.unwrap();
        }
    }
    for n in 0..500 {
        let other = store.create_guest(&format!("peer{n}"), 1).await.unwrap();
        let dm = store
            .create_room(
                &store::dm_name(ana.id, other.id),
                None,
                true,
                store::RoomKind::Dm,
                ana.id,
                1,
            )
            .await
            .unwrap();
        for member in [ana.id, other.id] {
            store.add_member(dm.id, member, 1).await.unwrap();
        }
        store.save_room(ana.id, &dm, None, 2).await.unwrap();
    }

    let before = server.metric("tertulia_db_statement_seconds_count");
    let rooms = ana_socket.ok(&protocol::RoomsReq {}).await;
    let used = server.metric("tertulia_db_statement_seconds_count") - before;
    assert!(used <= 4, "`{}` ran {used} statements", chat::ROOMS);
    assert!(rooms.more, "5,500 rooms do not fit in one answer");
    let dm = rooms
        .rooms
        .iter()
        .find(|room| room.dm_with.is_some())
        .expect("a DM");
    assert!(dm.dm_with.as_deref().unwrap().starts_with("peer"), "{dm:?}");

    let before = server.metric("tertulia_db_statement_seconds_count");
    let saved = ana_socket.ok(&protocol::SavedRoomsReq {}).await;
    let used = server.metric("tertulia_db_statement_seconds_count") - before;
    assert!(used <= 4, "`{}` ran {used} statements", chat::SAVED_ROOMS);
    let dms = saved
        .rooms
        .iter()
        .filter(|saved| saved.room.dm_with.is_some())
        .count();
    assert!(dms > 0, "DMs in the list, with their other person");
}
