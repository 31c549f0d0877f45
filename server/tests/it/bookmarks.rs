//! Saved messages over loopback (v1.15): private to each person, heard on all their devices,
//! read back on messages and in the list (paged), and the refusals (outsiders, deleted
//! messages, rooms left, the limit).

use crate::common::TestServer;
use protocol::events::GENERAL_ROOM;
use protocol::{
    CreateRoomReq, DeleteReq, ErrorCode, HistoryReq, InviteReq, KickReq, MessageSaved,
    SaveMessageReq, SavedMessagesReq,
};

fn save(id: i64, saved: bool) -> SaveMessageReq {
    SaveMessageReq { id, saved }
}

fn page(before: Option<i64>, limit: i64) -> SavedMessagesReq {
    SavedMessagesReq {
        before,
        limit: Some(limit),
    }
}

#[tokio::test]
async fn a_saved_message_is_private_and_every_device_of_its_owner_hears_of_it() {
    let server = TestServer::spawn().await;
    let (ana, _, token) = server.chat_guest_with_token("ana").await;
    let mut ana_phone = crate::common::Socket::connect(
        &server,
        protocol::events::chat::NS,
        crate::common::auth(&token),
        &[],
    )
    .await
    .unwrap();
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let first = bea
        .say(GENERAL_ROOM, "the wifi password")
        .await
        .unwrap()
        .message;
    let second = bea
        .say(GENERAL_ROOM, "the door code")
        .await
        .unwrap()
        .message;

    ana.ok(&save(first.id, true)).await;
    let heard = ana_phone.next::<MessageSaved>().await;
    assert_eq!(
        (heard.id, heard.saved, heard.room.as_str()),
        (first.id, true, GENERAL_ROOM)
    );
    ana.ok(&save(second.id, true)).await;
    ana.ok(&save(second.id, true)).await;

    // Read back: on the messages for Ana only, and in her list, the latest saved first.
    let newest = HistoryReq {
        room: GENERAL_ROOM.into(),
        ..HistoryReq::default()
    };
    let mine = ana.ok(&newest).await.messages;
    assert!(
        mine.iter()
            .filter(|m| m.id == first.id || m.id == second.id)
            .all(|m| m.saved)
    );
    assert!(bea.ok(&newest).await.messages.iter().all(|m| !m.saved));
    let listed = ana.ok(&page(None, 1)).await;
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].message.id, second.id);
    let rest = ana.ok(&page(listed.next, 1)).await;
    assert_eq!(rest.items[0].message.id, first.id);
    assert_eq!(rest.next, None);
    assert!(bea.ok(&page(None, 50)).await.items.is_empty());
    // Bea heard nothing of it: the first `message_saved` she gets is her own.
    let hers = bea.say(GENERAL_ROOM, "noted").await.unwrap().message;
    bea.ok(&save(hers.id, true)).await;
    assert_eq!(bea.next::<MessageSaved>().await.id, hers.id);

    ana.ok(&save(first.id, false)).await;
    let heard = ana_phone.next_where::<MessageSaved>(|e| !e.saved).await;
    assert_eq!(heard.id, first.id);
    assert_eq!(ana.ok(&page(None, 50)).await.items.len(), 1);
    assert_eq!(ana.refused(&page(None, 0)).await, ErrorCode::BadRequest);
}

#[tokio::test]
async fn what_cannot_be_seen_cannot_be_saved_and_leaves_the_list() {
    let server = TestServer::spawn().await;
    let (owner, _) = server.chat_guest("owner").await;
    let (ana, _) = server.chat_guest("ana").await;
    owner
        .ok(&CreateRoomReq {
            name: "den".into(),
            topic: None,
            private: true,
        })
        .await;
    owner.join("den").await;
    let secret = owner.say("den", "members only").await.unwrap().message;
    assert_eq!(
        ana.refused(&save(secret.id, true)).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        ana.refused(&save(9_999_999, true)).await,
        ErrorCode::NotFound
    );

    // Let in, Ana saves it; removed, it is no longer listed (nor readable through the list).
    owner
        .ok(&InviteReq {
            room: "den".into(),
            username: "ana".into(),
        })
        .await;
    ana.ok(&save(secret.id, true)).await;
    assert_eq!(ana.ok(&page(None, 50)).await.items.len(), 1);
    owner
        .ok(&KickReq {
            room: "den".into(),
            username: "ana".into(),
        })
        .await;
    assert!(ana.ok(&page(None, 50)).await.items.is_empty());
    // She can still take it out of her list; taking out what was never in it says nothing
    // about whether the message exists.
    ana.ok(&save(secret.id, false)).await;
    ana.ok(&save(9_999_999, false)).await;

    // A deleted message leaves every list.
    ana.join(GENERAL_ROOM).await;
    let mine = ana.say(GENERAL_ROOM, "gone soon").await.unwrap().message;
    ana.ok(&save(mine.id, true)).await;
    ana.ok(&DeleteReq { id: mine.id }).await;
    assert!(ana.ok(&page(None, 50)).await.items.is_empty());
    assert_eq!(ana.refused(&save(mine.id, true)).await, ErrorCode::NotFound);
}
