//! Pinned messages over loopback (v1.14): who may pin, that the room sees it live, what the
//! list and a catch-up read back, and the refusals (outsiders, members, blocked DMs, the
//! limit, deleted messages).

use crate::common::{Socket, TestServer, auth, create_room};
use protocol::events::{GENERAL_ROOM, chat};
use protocol::validate::PINS_MAX;
use protocol::{
    BlockReq, ChangesReq, DeleteReq, DmReq, ErrorCode, HistoryReq, InviteReq, MessagePinned,
    PinReq, PinsReq,
};

fn pin(id: i64, pinned: bool) -> PinReq {
    PinReq { id, pinned }
}

fn pins(room: &str) -> PinsReq {
    PinsReq { room: room.into() }
}

#[tokio::test]
async fn the_creator_pins_and_everyone_in_the_room_sees_it_live() {
    let server = TestServer::spawn().await;
    let (owner, owner_user) = server.chat_guest("owner").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    owner.ok(&create_room("plans", false)).await;
    owner.join("plans").await;
    bea.join("plans").await;
    let said = owner.say("plans", "the agenda").await.unwrap().message;
    let theirs = bea.say("plans", "my notes").await.unwrap().message;

    // A member who does not moderate the room may not pin, not even their own message.
    assert_eq!(
        bea.refused(&pin(theirs.id, true)).await,
        ErrorCode::Forbidden
    );
    owner.ok(&pin(said.id, true)).await;
    let seen = bea.next::<MessagePinned>().await;
    assert_eq!(
        (seen.room.as_str(), seen.id, seen.pinned),
        ("plans", said.id, true)
    );
    assert_eq!(seen.by.id, owner_user.id);

    // The list, the message itself and a catch-up all read it back as pinned.
    let listed = bea.ok(&pins("plans")).await.messages;
    assert_eq!(listed.len(), 1);
    let pinned = listed[0].pinned.as_ref().expect("pinned");
    assert_eq!((pinned.by.id, pinned.ts), (owner_user.id, seen.ts));
    let page = bea
        .ok(&HistoryReq {
            room: "plans".into(),
            ..HistoryReq::default()
        })
        .await
        .messages;
    assert!(page.iter().any(|m| m.id == said.id && m.pinned.is_some()));
    let changed = bea
        .ok(&ChangesReq {
            room: "plans".into(),
            since: seen.ts - 1,
            limit: None,
        })
        .await
        .messages;
    assert!(
        changed
            .iter()
            .any(|m| m.id == said.id && m.pinned.is_some())
    );

    // Pinning again changes nothing and says nothing; unpinning is seen live too.
    owner.ok(&pin(said.id, true)).await;
    owner.ok(&pin(said.id, false)).await;
    let seen = bea.next::<MessagePinned>().await;
    assert_eq!((seen.id, seen.pinned), (said.id, false));
    assert!(bea.ok(&pins("plans")).await.messages.is_empty());
}

#[tokio::test]
async fn an_admin_pins_anywhere_and_outsiders_see_nothing() {
    let server = TestServer::spawn().await;
    // The first account registered is an admin.
    let (_, token) = server.register("boss", "correct horse battery").await;
    let boss = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let (owner, _) = server.chat_guest("owner").await;
    let (outsider, _) = server.chat_guest("outsider").await;
    owner.ok(&create_room("den", true)).await;
    owner.join("den").await;
    let secret = owner.say("den", "members only").await.unwrap().message;
    // Someone who cannot see the room learns nothing of it: not the message, not its pins.
    assert_eq!(
        outsider.refused(&pin(secret.id, true)).await,
        ErrorCode::NotFound
    );
    assert_eq!(outsider.refused(&pins("den")).await, ErrorCode::NotFound);

    boss.join(GENERAL_ROOM).await;
    let general = boss
        .say(GENERAL_ROOM, "welcome, all")
        .await
        .unwrap()
        .message;
    boss.ok(&pin(general.id, true)).await;
    assert_eq!(
        outsider.ok(&pins(GENERAL_ROOM)).await.messages[0].id,
        general.id
    );
    owner
        .ok(&InviteReq {
            room: "den".into(),
            username: "outsider".into(),
        })
        .await;
    assert!(outsider.ok(&pins("den")).await.messages.is_empty());
}

#[tokio::test]
async fn either_person_pins_in_a_dm_until_one_blocks_the_other() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let dm = ana
        .ok(&DmReq {
            username: "bea".into(),
        })
        .await
        .room;
    ana.join(&dm.name).await;
    bea.join(&dm.name).await;
    let said = ana.say(&dm.name, "the address").await.unwrap().message;
    bea.ok(&pin(said.id, true)).await;
    ana.ok(&pin(said.id, false)).await;
    bea.ok(&BlockReq {
        username: "ana".into(),
    })
    .await;
    assert_eq!(ana.refused(&pin(said.id, true)).await, ErrorCode::Forbidden);
}

#[tokio::test]
async fn a_room_holds_a_bounded_number_of_pins_and_deleted_messages_lose_theirs() {
    // Fifty-one messages and pins in a row, past the budgets of a person typing.
    let server = TestServer::spawn_with(|c| {
        c.message_burst = 1_000;
        c.event_budget = 100_000;
    })
    .await;
    let (owner, _) = server.chat_guest("owner").await;
    owner.ok(&create_room("board", false)).await;
    owner.join("board").await;
    let mut ids = Vec::new();
    for n in 0..=PINS_MAX {
        ids.push(
            owner
                .say("board", &format!("note {n}"))
                .await
                .unwrap()
                .message
                .id,
        );
    }
    for id in &ids[..PINS_MAX] {
        owner.ok(&pin(*id, true)).await;
    }
    assert_eq!(
        owner.refused(&pin(ids[PINS_MAX], true)).await,
        ErrorCode::Conflict
    );

    // A deleted message leaves the list and frees its place; it cannot be pinned again.
    owner.ok(&DeleteReq { id: ids[0] }).await;
    let listed = owner.ok(&pins("board")).await.messages;
    assert_eq!(listed.len(), PINS_MAX - 1);
    assert!(listed.iter().all(|m| m.id != ids[0]));
    owner.ok(&pin(ids[PINS_MAX], true)).await;
    assert_eq!(owner.refused(&pin(ids[0], true)).await, ErrorCode::NotFound);
    assert_eq!(
        owner.refused(&pin(9_999_999, true)).await,
        ErrorCode::NotFound
    );
}
