//! Blocking (v1.11): the blocked person's DMs, invites and mentions never reach the one who
//! blocked them, the DM leaves the blocker's list and does not come back, and nobody else is
//! affected. Mentions and DM pings come from one bounded queue per node, in order.

use crate::common::{Socket, TestServer, auth};
use protocol::events::{GENERAL_ROOM, NotificationKind, notifications};
use protocol::{
    BlockReq, Blocks, BlocksReq, CreateRoomReq, DmReq, EditReq, ErrorCode, InviteReq, Notification,
    ReactReq, RoomRemoved, UnblockReq,
};

fn block(username: &str) -> BlockReq {
    BlockReq {
        username: username.into(),
    }
}

fn dm(username: &str) -> DmReq {
    DmReq {
        username: username.into(),
    }
}

async fn notifications_socket(server: &TestServer, token: &str) -> Socket {
    Socket::connect(server, notifications::NS, auth(token), &[])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_blocked_person_cannot_reach_you_by_dm_invite_or_mention() {
    let server = TestServer::spawn().await;
    let (mut ana, ana_user, ana_token) = server.chat_guest_with_token("ana").await;
    let (eve, _) = server.chat_guest("eve").await;
    let (bob, _) = server.chat_guest("bob").await;
    let mut ana_notes = notifications_socket(&server, &ana_token).await;
    for socket in [&ana, &eve, &bob] {
        socket.join(GENERAL_ROOM).await;
    }
    let room = eve.ok(&dm("ana")).await.room.name;
    eve.join(&room).await;
    let before = eve.say(&room, "hello ana").await.unwrap().message;

    // Bad asks.
    assert_eq!(ana.refused(&block("ana")).await, ErrorCode::BadRequest);
    assert_eq!(ana.refused(&block("nobody")).await, ErrorCode::NotFound);

    ana.ok(&block("EVE")).await;
    assert_eq!(
        ana.next::<RoomRemoved>().await.room,
        room,
        "the DM leaves her list"
    );
    let list = ana.next::<Blocks>().await;
    assert_eq!(
        list.users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["eve"],
        "every socket of hers learns the new list"
    );
    assert_eq!(ana.ok(&BlocksReq::default()).await, list);

    // Eve can no longer write to her, in any way.
    assert_eq!(
        eve.say(&room, "are you there?").await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(eve.refused(&dm("ana")).await, ErrorCode::Forbidden);
    assert_eq!(
        eve.refused(&EditReq {
            id: before.id,
            text: "something worse".into(),
        })
        .await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        eve.refused(&ReactReq {
            id: before.id,
            emoji: "👎".into(),
            active: true,
        })
        .await,
        ErrorCode::Forbidden
    );
    eve.ok(&CreateRoomReq {
        name: "lair".into(),
        topic: None,
        private: true,
    })
    .await;
    assert_eq!(
        eve.refused(&InviteReq {
            room: "lair".into(),
            username: "ana".into(),
        })
        .await,
        ErrorCode::Forbidden
    );
    // Nor may Ana write to Eve while she blocks her.
    assert_eq!(ana.refused(&dm("eve")).await, ErrorCode::Forbidden);
    assert!(
        !server
            .store()
            .saved_rooms(ana_user.id)
            .await
            .unwrap()
            .iter()
            .any(|saved| saved.room.name == room),
        "the DM did not come back into her list"
    );

    // A mention from Eve is dropped; one from Bob, queued after it, arrives first and alone.
    eve.say(GENERAL_ROOM, "@ana look at me").await.unwrap();
    bob.say(GENERAL_ROOM, "@ana lunch?").await.unwrap();
    // (Her DM ping from before the block is already there.)
    let note = ana_notes
        .next_where::<Notification>(|note| note.kind == NotificationKind::Mention)
        .await;
    assert_eq!(note.body, "@ana lunch?");
    let mentions: Vec<String> = server
        .store()
        .unread_notifications(ana_user.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|note| note.kind == NotificationKind::Mention)
        .map(|note| note.body)
        .collect();
    assert_eq!(mentions, ["@ana lunch?"], "nothing from eve");
    bob.still_served("others are unaffected").await;

    // Unblocked, Eve can write again.
    ana.ok(&UnblockReq(block("eve"))).await;
    assert_eq!(ana.next::<Blocks>().await, Blocks::default());
    eve.say(&room, "sorry").await.unwrap();
    eve.say(GENERAL_ROOM, "@ana truce?").await.unwrap();
    ana_notes
        .next_where::<Notification>(|note| note.body == "@ana truce?")
        .await;
}

/// A burst of mentions is worked through by the node's one queue, in order, none lost.
#[tokio::test]
async fn a_burst_of_mentions_is_queued_and_delivered_in_order() {
    let server = TestServer::spawn_with(|c| {
        c.message_burst = 1_000;
    })
    .await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_, bea_token) = server.guest("bea").await;
    let mut bea = notifications_socket(&server, &bea_token).await;
    ana.join(GENERAL_ROOM).await;
    for n in 0..50 {
        ana.say(GENERAL_ROOM, &format!("@bea {n}")).await.unwrap();
    }
    for n in 0..50 {
        assert_eq!(bea.next::<Notification>().await.body, format!("@bea {n}"));
    }
}
