//! Each user's list of rooms and read markers (PROTOCOL.md v1.2) over loopback with a real
//! Socket.IO client: the same list and unread counts on every tab and device, kept live.

use crate::common::{Socket, TestServer, auth, create_room};
use protocol::events::{GENERAL_ROOM, chat};
use protocol::{
    DmReq, ErrorCode, HideRoomReq, InviteReq, LeaveRoomReq, MarkRoomReadReq, MessageReq,
    MuteRoomReq, ReadMarker, RoomCreated, RoomRemoved, SavedRoom, SavedRoomsReq, UserLeft,
};

async fn second_tab(server: &TestServer, token: &str) -> Socket {
    Socket::connect(server, chat::NS, auth(token), &[])
        .await
        .expect("connect")
}

async fn listed(socket: &Socket) -> Vec<(String, u64)> {
    socket
        .ok(&SavedRoomsReq {})
        .await
        .rooms
        .into_iter()
        .map(|saved| (saved.room.name, saved.unread))
        .collect()
}

fn mark(room: &str, id: i64) -> MarkRoomReadReq {
    MarkRoomReadReq {
        room: room.into(),
        id,
    }
}

#[tokio::test]
async fn joined_rooms_follow_the_user_to_another_tab_live() {
    let server = TestServer::spawn().await;
    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    ana.join(GENERAL_ROOM).await;
    ana.ok(&create_room("cats", false)).await;
    ana.join("cats").await;

    let mut other_tab = second_tab(&server, &token).await;
    assert_eq!(
        listed(&other_tab).await,
        [(GENERAL_ROOM.to_owned(), 0), ("cats".to_owned(), 0)],
        "a new tab lists the rooms joined elsewhere, in joining order"
    );

    ana.ok(&create_room("dogs", false)).await;
    ana.join("dogs").await;
    let saved: SavedRoom = other_tab.next().await;
    assert_eq!(saved.room.name, "dogs");
    assert!(!saved.muted);

    // Leaving a room on this socket only is not leaving it for good.
    ana.ok(&protocol::LeaveReq {
        room: "dogs".into(),
    })
    .await;
    assert_eq!(listed(&ana).await.len(), 3);
}

#[tokio::test]
async fn read_markers_count_unread_and_move_on_every_device() {
    let server = TestServer::spawn().await;
    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        ids.push(bea.say(GENERAL_ROOM, text).await.unwrap().message.id);
    }
    let mine = ana.say(GENERAL_ROOM, "mine").await.unwrap().message.id;

    let mut phone = second_tab(&server, &token).await;
    assert_eq!(
        listed(&phone).await,
        [(GENERAL_ROOM.to_owned(), 3)],
        "three from bea are unread; ana's own message is not"
    );

    let marker = ana.ok(&mark(GENERAL_ROOM, ids[1])).await;
    assert_eq!(
        marker,
        ReadMarker {
            room: GENERAL_ROOM.into(),
            last_read: ids[1],
            unread: 1,
            through: Some(mine),
        },
        "one unread, counted against the newest message"
    );
    let seen: ReadMarker = phone.next().await;
    assert_eq!(seen, marker, "the other device sees the marker move");

    let back = ana.ok(&mark(GENERAL_ROOM, ids[0])).await;
    assert_eq!(back.last_read, ids[1], "a read marker never moves back");

    let (carl, _) = server.chat_guest("carl").await;
    assert_eq!(
        carl.refused(&mark(GENERAL_ROOM, ids[2])).await,
        ErrorCode::NotMember,
        "a room not in one's list has no marker"
    );
}

#[tokio::test]
async fn a_dm_appears_in_both_lists_and_comes_back_after_hiding() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;

    let dm = ana
        .ok(&DmReq {
            username: "bea".into(),
        })
        .await
        .room;
    let arrived: SavedRoom = bea.next().await;
    assert_eq!(arrived.room.name, dm.name);
    assert_eq!(arrived.room.dm_with.as_deref(), Some("ana"));

    bea.ok(&HideRoomReq {
        room: dm.name.clone(),
    })
    .await;
    let removed: RoomRemoved = bea.next().await;
    assert_eq!(removed.room, dm.name);
    assert!(listed(&bea).await.is_empty());

    ana.join(&dm.name).await;
    ana.say(&dm.name, "still there?").await.unwrap();
    let back: SavedRoom = bea.next().await;
    assert_eq!(
        back.room.name, dm.name,
        "a new message brings a hidden DM back"
    );
    assert_eq!(back.unread, 1);
}

#[tokio::test]
async fn hiding_a_room_takes_every_tab_of_the_user_out_of_it() {
    let server = TestServer::spawn().await;
    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    let mut other_tab = second_tab(&server, &token).await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.ok(&create_room("cats", false)).await;
    ana.join("cats").await;
    other_tab.join("cats").await;
    bea.join("cats").await;

    ana.ok(&HideRoomReq {
        room: "Cats".into(),
    })
    .await;
    let removed: RoomRemoved = other_tab.next().await;
    assert_eq!(removed.room, "cats");
    let left: UserLeft = bea.next().await;
    assert_eq!(left.0.user.username, "ana");
    let refused = other_tab
        .refused(&MessageReq {
            room: "cats".into(),
            text: "hello?".into(),
            client_id: None,
            reply_to: None,
            attachments: Vec::new(),
            thread: None,
        })
        .await;
    assert_eq!(refused, ErrorCode::NotMember);
    assert_eq!(
        ana.refused(&HideRoomReq {
            room: "cats".into()
        })
        .await,
        ErrorCode::NotMember
    );
}

#[tokio::test]
async fn invites_and_mutes_reach_the_lists_and_leaving_for_good_removes() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.ok(&create_room("secret", true)).await;
    ana.ok(&InviteReq {
        room: "secret".into(),
        username: "bea".into(),
    })
    .await;
    let invited: SavedRoom = bea.next().await;
    assert_eq!(invited.room.name, "secret");
    assert!(invited.room.private);

    bea.ok(&MuteRoomReq {
        room: "secret".into(),
        muted: true,
    })
    .await;
    let muted: SavedRoom = bea.next().await;
    assert!(muted.muted);
    assert!(bea.ok(&SavedRoomsReq {}).await.rooms[0].muted);

    bea.ok(&LeaveRoomReq {
        room: "secret".into(),
    })
    .await;
    let removed: RoomRemoved = bea.next().await;
    assert_eq!(removed.room, "secret");
    assert!(listed(&bea).await.is_empty());
}

#[tokio::test]
async fn new_public_rooms_appear_in_everyones_directory() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.ok(&create_room("hidden", true)).await;
    ana.ok(&create_room("open", false)).await;
    let created: RoomCreated = bea.next().await;
    assert_eq!(
        created.room.name, "open",
        "a private room is never announced; the public one is"
    );
    assert!(!created.room.private);
}

/// A new DM of several quick messages: whatever reaches the recipient first (the room in their
/// list, the join's answer, live messages), the join's read marker and history give the
/// exact unread count: the messages from others after the marker, counted up to `through`,
/// and nothing after `through` is missing from the history or the live events (v1.6).
#[tokio::test]
async fn a_join_answers_with_the_read_marker_that_counts_exactly() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    let dm = ana
        .ok(&DmReq {
            username: "bea".into(),
        })
        .await
        .room
        .name;
    ana.join(&dm).await;
    let mut sent = Vec::new();
    for n in 0..4 {
        sent.push(
            ana.say(&dm, &format!("quick {n}"))
                .await
                .unwrap()
                .message
                .id,
        );
    }
    let joined = bea.join(&dm).await;
    let read = joined.read.expect("the joiner's read marker");
    let through = read.through.expect("counted against a message");
    let counted_in_history = joined
        .history
        .iter()
        .filter(|m| m.id > read.last_read && m.id <= through && m.user.username != "bea")
        .count() as u64;
    assert_eq!(read.unread, counted_in_history, "{read:?}");
    assert_eq!(
        read.unread, 4,
        "the four quick messages are unread: {read:?}"
    );
    assert_eq!(through, *sent.last().unwrap());
    // A message after the join comes live, above `through`.
    let later = ana.say(&dm, "later").await.unwrap().message.id;
    let live = bea.next_where::<protocol::Message>(|m| m.id == later).await;
    assert!(live.id > through);
}
