//! Profile basics over loopback: changing a password (other sessions end), and room topics
//! changed by the room's creator or an admin, seen live by everyone who can see the room.

use crate::common::{Socket, TestServer, auth};
use axum::http::StatusCode;
use protocol::events::chat;
use protocol::http::{ChangePassword, ChangePasswordReq, Credentials, Login, Me};
use protocol::{CreateRoomReq, DmReq, Empty, ErrorCode, RoomUpdated, SetTopicReq, validate};

const OLD: &str = "correct horse battery";
const NEW: &str = "staple battery horse";

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn change(current: &str, new: &str) -> ChangePasswordReq {
    ChangePasswordReq {
        current: current.into(),
        new: new.into(),
    }
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions_and_keeps_this_one() {
    let server = TestServer::spawn().await;
    let (_, here) = server.register("ana", OLD).await;
    let login = Credentials {
        username: "ana".into(),
        password: OLD.into(),
    };
    let elsewhere = server.api::<Login>(&login, &[]).await;
    assert_eq!(elsewhere.status, StatusCode::OK);
    let elsewhere = elsewhere.body["token"].as_str().unwrap().to_owned();
    let mut other_tab = Socket::connect(&server, chat::NS, auth(&elsewhere), &[])
        .await
        .unwrap();
    let this_tab = Socket::connect(&server, chat::NS, auth(&here), &[])
        .await
        .unwrap();

    // Wrong current password, a too short new one: refused, nothing changes.
    let header = bearer(&here);
    let answer = server
        .api::<ChangePassword>(&change("guess", NEW), &[("authorization", &header)])
        .await;
    assert_eq!(answer.code(), ErrorCode::Forbidden);
    let answer = server
        .api::<ChangePassword>(&change(OLD, "short"), &[("authorization", &header)])
        .await;
    assert_eq!(answer.code(), ErrorCode::BadRequest);

    let answer = server
        .api::<ChangePassword>(&change(OLD, NEW), &[("authorization", &header)])
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    // The other session is over, its socket disconnected; this one goes on.
    assert!(other_tab.disconnected().await);
    let me = server
        .api::<Me>(&Empty {}, &[("authorization", &bearer(&elsewhere))])
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let me = server
        .api::<Me>(&Empty {}, &[("authorization", &header)])
        .await;
    assert_eq!(me.status, StatusCode::OK);
    this_tab.join(protocol::events::GENERAL_ROOM).await;
    // Only the new password signs in now.
    assert_eq!(
        server.api::<Login>(&login, &[]).await.code(),
        ErrorCode::Unauthorized
    );
    let login = Credentials {
        username: "ana".into(),
        password: NEW.into(),
    };
    assert_eq!(
        server.api::<Login>(&login, &[]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn guests_have_no_password_to_change() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("gus").await;
    let answer = server
        .api::<ChangePassword>(&change("", NEW), &[("authorization", &bearer(&token))])
        .await;
    assert_eq!(answer.code(), ErrorCode::Forbidden);
    let answer = server.api::<ChangePassword>(&change(OLD, NEW), &[]).await;
    assert_eq!(answer.code(), ErrorCode::Unauthorized);
}

fn topic(room: &str, text: Option<&str>) -> SetTopicReq {
    SetTopicReq {
        room: room.into(),
        topic: text.map(Into::into),
    }
}

#[tokio::test]
async fn the_creator_or_an_admin_sets_a_topic_that_everyone_sees() {
    let server = TestServer::spawn().await;
    let (_, boss) = server.register("boss", OLD).await;
    let admin = Socket::connect(&server, chat::NS, auth(&boss), &[])
        .await
        .unwrap();
    let (owner, _) = server.chat_guest("owner").await;
    let (ana, _) = server.chat_guest("ana").await;
    // Someone who follows no room still hears about public rooms (their directory).
    let (mut watcher, _) = server.chat_guest("watcher").await;
    owner
        .ok(&CreateRoomReq {
            name: "books".into(),
            topic: None,
            private: false,
        })
        .await;
    owner
        .ok(&CreateRoomReq {
            name: "den".into(),
            topic: Some("secret plans".into()),
            private: true,
        })
        .await;

    assert_eq!(
        ana.refused(&topic("books", Some("mine"))).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        owner
            .refused(&topic("books", Some(&"x".repeat(validate::TOPIC_MAX + 1))))
            .await,
        ErrorCode::TooLong
    );
    assert_eq!(
        owner.refused(&topic("books", Some("two\nlines"))).await,
        ErrorCode::BadRequest
    );
    let dm = ana
        .ok(&DmReq {
            username: "owner".into(),
        })
        .await
        .room
        .name;
    assert_eq!(
        ana.refused(&topic(&dm, Some("us"))).await,
        ErrorCode::BadRequest
    );

    // A private room's topic is news only to its members: the watcher's next update is the
    // public room's.
    owner.ok(&topic("den", Some("new plans"))).await;
    let set = owner.ok(&topic("books", Some("  Novels, mostly "))).await;
    assert_eq!(set.room.topic.as_deref(), Some("Novels, mostly"));
    let seen: RoomUpdated = watcher.next().await;
    assert_eq!(seen.room, set.room);
    // An admin may change any room's topic; an empty one clears it.
    let cleared = admin.ok(&topic("books", Some(" "))).await;
    assert_eq!(cleared.room.topic, None);
    let seen: RoomUpdated = watcher.next().await;
    assert_eq!(seen.room.topic, None);
    let listed = ana.ok(&protocol::RoomsReq {}).await;
    let books = listed
        .rooms
        .iter()
        .find(|room| room.name == "books")
        .unwrap();
    assert_eq!(books.topic, None);
}
