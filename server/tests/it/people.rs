//! A person's data (v1.9): the export holds their profile, messages and files; deleting an
//! account keeps its messages (as from a deleted user) or removes them (live for the others),
//! removes its files, ends its sessions, frees its name; admins can do both for anyone, and
//! it is all in the moderation log.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use protocol::events::GENERAL_ROOM;
use protocol::http::{DeleteAccount, DeleteAccountReq, Login};
use protocol::links;
use protocol::{
    AuditReq, DeleteUserReq, ErrorCode, HistoryReq, MessageDeleted, MessageReq, MessagesOnDelete,
};
use serde_json::Value;

use crate::common::{Socket, TestServer, auth};

/// `GET path` with a bearer token: status and bytes.
async fn get(server: &TestServer, path: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, bytes) = crate::files::call(server, request).await;
    (status, bytes.to_vec())
}

/// The newest page of `general`.
fn latest_in_general() -> HistoryReq {
    HistoryReq {
        room: GENERAL_ROOM.into(),
        before: None,
        after: None,
        limit: None,
        ..HistoryReq::default()
    }
}

/// The entries of a zip, by name.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().into_owned(), content)
        })
        .collect()
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

async fn delete_own(
    server: &TestServer,
    token: &str,
    password: Option<&str>,
    messages: MessagesOnDelete,
) -> crate::common::Answer {
    let bearer = format!("Bearer {token}");
    server
        .api::<DeleteAccount>(
            &DeleteAccountReq {
                password: password.map(str::to_owned),
                messages,
            },
            &[("authorization", bearer.as_str())],
        )
        .await
}

#[tokio::test]
async fn an_export_holds_the_profile_every_message_and_every_file() {
    let server = TestServer::spawn().await;
    let (ana, user, token) = server.chat_guest_with_token("ana").await;
    ana.join(GENERAL_ROOM).await;
    let (status, file) =
        crate::files::upload(&server, &token, GENERAL_ROOM, "minutes.txt", b"the minutes").await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let id = file["id"].as_str().unwrap().to_owned();
    ana.ok(&MessageReq {
        room: GENERAL_ROOM.into(),
        text: "with a file".into(),
        attachments: vec![id.clone()],
        ..MessageReq::default()
    })
    .await;
    ana.say(GENERAL_ROOM, "second").await.unwrap();
    // Her profile: a display name and a picture.
    ana.ok(&protocol::SetDisplayNameReq {
        name: "Ana García".into(),
    })
    .await;
    let picture = crate::avatars::set_picture(&server, &token, crate::files::png(300, 200)).await;
    assert_eq!(picture.status, StatusCode::OK);
    // More than one page of messages (the export reads them 1,000 at a time).
    let general = server
        .store()
        .room_by_name(GENERAL_ROOM)
        .await
        .unwrap()
        .unwrap();
    for n in 0..1_200 {
        server
            .store()
            .insert_message(&general, &user, &format!("bulk {n}"), 10 + n, None)
            .await
            .unwrap();
    }
    // Someone else's message is not in ana's export.
    let bea = server.bystander("bea").await;
    bea.say(GENERAL_ROOM, "not ana's").await.unwrap();

    let (status, _) = get(&server, links::EXPORT, "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, bytes) = get(&server, links::EXPORT, &token).await;
    assert_eq!(status, StatusCode::OK);
    let zip = unzip(&bytes);
    let account = json(&zip["account.json"]);
    assert_eq!(account["user"]["username"], "ana");
    assert_eq!(account["user"]["id"], user.id);
    assert_eq!(account["display_name"], "Ana García");
    assert_eq!(account["avatar"], "avatar.jpg");
    let kept = image::load_from_memory(&zip["avatar.jpg"]).unwrap();
    assert_eq!((kept.width(), kept.height()), (256, 256));
    let texts: Vec<String> = json(&zip["messages.json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts.len(), 1_202);
    assert_eq!(texts[..3], ["with a file", "second", "bulk 0"]);
    assert_eq!(texts[1_201], "bulk 1199");
    let files = json(&zip["files.json"]);
    let path = files[0]["path"].as_str().unwrap();
    assert_eq!(files[0]["id"], id.as_str());
    assert_eq!(zip[path], b"the minutes");
    // Nothing of the export is left on the server's disk.
    let tmp = server.app.config().files_dir.join("tmp");
    let left = std::fs::read_dir(&tmp)
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "the zip was removed once sent");
}

#[tokio::test]
async fn deleting_an_account_keeps_its_messages_as_from_a_deleted_user() {
    let server = TestServer::spawn().await;
    // The first account is the admin; bea is a member.
    server.register("ada", "ada password 1").await;
    let (_, token) = server.register("bea", "bea password 1").await;
    let mut bea = Socket::connect(&server, protocol::events::chat::NS, auth(&token), &[])
        .await
        .unwrap();
    bea.join(GENERAL_ROOM).await;
    let (status, file) =
        crate::files::upload(&server, &token, GENERAL_ROOM, "notes.txt", b"notes").await;
    assert_eq!(status, StatusCode::CREATED);
    let said = bea
        .ok(&MessageReq {
            room: GENERAL_ROOM.into(),
            text: "bea was here".into(),
            attachments: vec![file["id"].as_str().unwrap().to_owned()],
            ..MessageReq::default()
        })
        .await;
    let file_url = links::file(file["id"].as_str().unwrap());

    let wrong = delete_own(&server, &token, Some("not it"), MessagesOnDelete::Keep).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let missing = delete_own(&server, &token, None, MessagesOnDelete::Keep).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let done = delete_own(
        &server,
        &token,
        Some("bea password 1"),
        MessagesOnDelete::Keep,
    )
    .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    assert!(bea.disconnected().await, "her socket is closed");

    // She cannot sign in; her name is free; her message stays, from a deleted user, its file gone.
    let login = server
        .api::<Login>(
            &protocol::http::Credentials {
                username: "bea".into(),
                password: "bea password 1".into(),
            },
            &[],
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    let (reader, _, reader_token) = server.chat_guest_with_token("cid").await;
    let history = reader.ok(&latest_in_general()).await;
    let kept = history
        .messages
        .iter()
        .find(|m| m.id == said.message.id)
        .expect("the message stays");
    assert_eq!(kept.text, "bea was here");
    assert_eq!(kept.user.username, store::ERASED_NAME);
    assert!(kept.attachments.is_empty(), "her files are gone");
    let (status, _) = get(&server, &file_url, &reader_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.register("bea", "a new bea 2").await;
}

#[tokio::test]
async fn a_guest_removing_its_messages_takes_them_off_everyones_screen() {
    let server = TestServer::spawn().await;
    let (mut dan, _) = server.chat_guest("dan").await;
    dan.join(GENERAL_ROOM).await;
    let (cid, _, token) = server.chat_guest_with_token("cid").await;
    cid.join(GENERAL_ROOM).await;
    let said = cid.say(GENERAL_ROOM, "soon gone").await.unwrap();
    // A guest has no password to give.
    let done = delete_own(&server, &token, None, MessagesOnDelete::Remove).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let deleted: MessageDeleted = dan
        .next_where(|e: &MessageDeleted| e.id == said.message.id)
        .await;
    assert_eq!(deleted.room, GENERAL_ROOM);
    let history = dan.ok(&latest_in_general()).await;
    assert!(history.messages.iter().all(|m| m.id != said.message.id));
    // In the moderation log, although the account (the actor) is gone.
    let log = server.store().audit_log(10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == protocol::events::AuditAction::DeleteUser
                && e.actor == "cid"
                && e.target.as_deref() == Some("cid")),
        "{log:?}"
    );
}

#[tokio::test]
async fn admins_export_and_delete_anyone_and_the_log_shows_it() {
    let server = TestServer::spawn().await;
    let (admin_user, admin_token) = server.register("rosa", "rosa password 1").await;
    assert_eq!(
        admin_user.role,
        protocol::Role::Admin,
        "the first account is admin"
    );
    let (_, member_token) = server.register("mel", "mel password 1").await;
    let (eve, _) = server.chat_guest("eve").await;
    eve.join(GENERAL_ROOM).await;
    eve.say(GENERAL_ROOM, "eve's words").await.unwrap();

    let path = format!("{}?{}=eve", links::ADMIN_EXPORT, links::ADMIN_EXPORT_USER);
    let (status, _) = get(&server, &path, &member_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members cannot");
    let (status, bytes) = get(&server, &path, &admin_token).await;
    assert_eq!(status, StatusCode::OK);
    let zip = unzip(&bytes);
    assert_eq!(json(&zip["messages.json"])[0]["text"], "eve's words");

    let admin = Socket::connect(
        &server,
        protocol::events::admin::NS,
        auth(&admin_token),
        &[],
    )
    .await
    .unwrap();
    admin
        .ok(&DeleteUserReq {
            username: "eve".into(),
            messages: MessagesOnDelete::Remove,
        })
        .await;
    // The last admin cannot delete itself, by either door.
    let refused = admin
        .refused(&DeleteUserReq {
            username: "rosa".into(),
            messages: MessagesOnDelete::Keep,
        })
        .await;
    assert_eq!(refused, ErrorCode::Forbidden);
    let own = delete_own(
        &server,
        &admin_token,
        Some("rosa password 1"),
        MessagesOnDelete::Keep,
    )
    .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let log = admin.ok(&AuditReq { limit: None }).await;
    let actions: Vec<(String, Option<String>)> = log
        .entries
        .iter()
        .map(|e| (e.action.as_str().to_owned(), e.target.clone()))
        .collect();
    let deleted = protocol::events::AuditAction::DeleteUser
        .as_str()
        .to_owned();
    let exported = protocol::events::AuditAction::Export.as_str().to_owned();
    assert!(
        actions.contains(&(deleted, Some("eve".into()))),
        "{actions:?}"
    );
    assert!(
        actions.contains(&(exported, Some("eve".into()))),
        "{actions:?}"
    );
}
