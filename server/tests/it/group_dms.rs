//! Group conversations over loopback (v1.20): two to seven others and the sender, one room for
//! the same people whoever starts it, seen and written only by its members, pinging those who
//! are away; what a bad ask gets, and what a block does.

use protocol::events::{NotificationKind, notifications};
use protocol::{
    BlockReq, ErrorCode, GroupDmReq, HistoryReq, InviteReq, JoinReq, LeaveRoomReq, Notification,
    PinReq, SavedRoom, SavedRoomsReq, SetTopicReq, validate,
};

use crate::common::{Socket, TestServer, auth};

fn group(names: &[&str]) -> GroupDmReq {
    GroupDmReq {
        usernames: names.iter().map(|name| (*name).to_owned()).collect(),
    }
}

async fn notifications_socket(server: &TestServer, token: &str) -> Socket {
    Socket::connect(server, notifications::NS, auth(token), &[])
        .await
        .expect("connect /notifications")
}

#[tokio::test]
async fn a_group_is_one_private_room_for_its_people_that_pings_them() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _, bea_token) = server.chat_guest_with_token("bea").await;
    let (cy, _, cy_token) = server.chat_guest_with_token("cy").await;
    let (dan, _) = server.chat_guest("dan").await;
    let mut bea_notes = notifications_socket(&server, &bea_token).await;
    let mut cy_notes = notifications_socket(&server, &cy_token).await;

    let ours = ana.ok(&group(&["bea", "CY", "bea"])).await.room;
    assert!(ours.private);
    assert!(ours.name.starts_with("dm-"), "{}", ours.name);
    assert_eq!(ours.dm_group, ["bea", "cy"]);
    assert_eq!(ours.dm_with, None);
    assert_eq!(ours.created_by, None, "a group has no moderators");
    // The same people, whoever asks and in any order: the same room, named by the others.
    let theirs = cy.ok(&group(&["ana", "bea", "cy"])).await.room;
    assert_eq!(theirs.name, ours.name);
    assert_eq!(theirs.dm_group, ["ana", "bea"]);
    // It waits in everyone's list, before anyone wrote.
    let listed = bea.ok(&SavedRoomsReq {}).await.rooms;
    assert!(
        listed
            .iter()
            .any(|saved| saved.room.name == ours.name && saved.room.dm_group == ["ana", "cy"]),
        "{listed:?}"
    );
    let room = ours.name;

    // Outsiders cannot see it, join it, read it, or be let in.
    assert_eq!(
        dan.refused(&JoinReq::new(room.clone())).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        dan.refused(&HistoryReq {
            room: room.clone(),
            ..HistoryReq::default()
        })
        .await,
        ErrorCode::NotFound
    );
    ana.join(&room).await;
    assert_eq!(
        ana.refused(&InviteReq {
            room: room.clone(),
            username: "dan".into(),
        })
        .await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        ana.refused(&SetTopicReq {
            room: room.clone(),
            topic: Some("plans".into()),
        })
        .await,
        ErrorCode::BadRequest
    );

    // A message pings the members who are not reading it.
    let sent = ana.say(&room, "lunch at one?").await.unwrap().message;
    for notes in [&mut bea_notes, &mut cy_notes] {
        let note = notes.next::<Notification>().await;
        assert_eq!(note.kind, NotificationKind::Dm);
        assert_eq!(note.title, "ana wrote in a group conversation");
        assert_eq!(note.body, "lunch at one?");
    }
    let read = cy
        .ok(&HistoryReq {
            room: room.clone(),
            ..HistoryReq::default()
        })
        .await
        .messages;
    assert_eq!(read.last().map(|m| m.id), Some(sent.id));
    // Anyone in it may pin, as in a DM.
    bea.join(&room).await;
    bea.ok(&PinReq {
        id: sent.id,
        pinned: true,
    })
    .await;

    // Someone leaves: the others see the group without them; opening it again brings them
    // back.
    cy.ok(&LeaveRoomReq { room: room.clone() }).await;
    // Those who keep it in their list see it without her at once.
    let now = bea
        .next_where::<SavedRoom>(|saved| saved.room.name == room && saved.room.dm_group == ["ana"])
        .await;
    assert_eq!(now.room.dm_group, ["ana"]);
    assert_eq!(
        cy.refused(&HistoryReq {
            room: room.clone(),
            ..HistoryReq::default()
        })
        .await,
        ErrorCode::NotFound
    );
    assert_eq!(
        bea.ok(&group(&["ana", "cy"])).await.room.dm_group,
        ["ana", "cy"]
    );
    cy.join(&room).await;
}

#[tokio::test]
async fn a_group_needs_two_to_seven_others_who_exist_and_do_not_block_you() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let (cy, _) = server.chat_guest("cy").await;
    let mut others = vec!["bea".to_owned(), "cy".to_owned()];
    for n in 0..validate::GROUP_DM_PEOPLE_MAX - 2 {
        let name = format!("p{n}");
        server.guest(&name).await;
        others.push(name);
    }
    let refused = async |names: &[&str]| ana.refused(&group(names)).await;
    assert_eq!(refused(&[]).await, ErrorCode::BadRequest);
    assert_eq!(
        refused(&["bea"]).await,
        ErrorCode::BadRequest,
        "one other is a dm"
    );
    assert_eq!(refused(&["bea", "BEA"]).await, ErrorCode::BadRequest);
    assert_eq!(
        refused(&["bea", "ana"]).await,
        ErrorCode::BadRequest,
        "yourself is no other"
    );
    assert_eq!(refused(&["bea", "nobody"]).await, ErrorCode::NotFound);
    assert_eq!(refused(&["bea", "no body"]).await, ErrorCode::BadRequest);
    // Eight others are one too many; seven (and you) fit.
    let eight: Vec<&str> = others.iter().map(String::as_str).collect();
    assert_eq!(eight.len(), validate::GROUP_DM_PEOPLE_MAX);
    assert_eq!(refused(&eight).await, ErrorCode::BadRequest);
    let seven = ana.ok(&group(&eight[..7])).await.room;
    assert_eq!(seven.dm_group.len(), 7);
    let raw = ana
        .raw(
            protocol::events::chat::GROUP_DM,
            serde_json::json!({"usernames": "bea"}),
        )
        .await;
    assert_eq!(crate::common::code(&raw), ErrorCode::BadRequest);

    // A block stops a new group with that person, not the group that exists: there, as in a
    // room, the blocker's client folds the other's messages away.
    let room = ana.ok(&group(&["bea", "cy"])).await.room.name;
    cy.ok(&BlockReq {
        username: "ana".into(),
    })
    .await;
    assert_eq!(refused(&["bea", "cy"]).await, ErrorCode::Forbidden);
    ana.join(&room).await;
    bea.join(&room).await;
    ana.say(&room, "still here").await.unwrap();
    assert_eq!(
        ana.refused(&group(&["bea", "cy", "p0"])).await,
        ErrorCode::Forbidden
    );
}

/// A group draws on the daily budget of new conversations once per person it puts in a
/// conversation they are not in: starting one for seven costs seven; reopening it costs
/// nothing, unless it brings back someone who left.
#[tokio::test]
async fn a_new_group_costs_one_new_conversation_per_person_it_adds() {
    let server = TestServer::spawn_with(|c| c.dm_burst = 3).await;
    let (ana, _) = server.chat_guest("ana").await;
    let (cy, _) = server.chat_guest("cy").await;
    for name in ["bea", "dan"] {
        server.guest(name).await;
    }
    let room = ana.ok(&group(&["bea", "cy"])).await.room.name;
    // Two of three spent: a group adding two more is refused, whole.
    assert_eq!(
        ana.refused(&group(&["bea", "dan"])).await,
        ErrorCode::RateLimited
    );
    // Reopening the first one adds nobody: free.
    assert_eq!(ana.ok(&group(&["cy", "bea"])).await.room.name, room);
    // Cy leaves; bringing her back is one more.
    cy.ok(&LeaveRoomReq { room: room.clone() }).await;
    assert_eq!(ana.ok(&group(&["bea", "cy"])).await.room.name, room);
    cy.ok(&LeaveRoomReq { room: room.clone() }).await;
    assert_eq!(
        ana.refused(&group(&["bea", "cy"])).await,
        ErrorCode::RateLimited,
        "the budget of three is spent"
    );
}
