//! Display names over loopback (v1.26): set with `set_display_name`, told to every `/chat`
//! socket, read with `profiles`; refused when they would pass for someone else or are no
//! name at all; gone with a deleted account.

use crate::common::TestServer;
use protocol::validate::DISPLAY_NAME_MAX;
use protocol::{ErrorCode, Profile, ProfilesReq, SetDisplayNameReq};

fn named(name: &str) -> SetDisplayNameReq {
    SetDisplayNameReq { name: name.into() }
}

#[tokio::test]
async fn a_display_name_is_told_to_everyone_and_read_by_id() {
    let server = TestServer::spawn().await;
    let (ana, ana_user) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;

    let set = ana.ok(&named("  Ana García  ")).await;
    assert_eq!(
        set,
        Profile {
            id: ana_user.id,
            avatar: None,
            name: Some("Ana García".into()),
        }
    );
    assert_eq!(bea.next::<Profile>().await, set);
    let read = bea
        .ok(&ProfilesReq {
            ids: vec![ana_user.id],
        })
        .await;
    assert_eq!(read.profiles, std::slice::from_ref(&set));

    // Empty clears it: her username shows again.
    let cleared = ana.ok(&named("")).await;
    assert_eq!(cleared.name, None);
    assert_eq!(bea.next::<Profile>().await, cleared);
    let read = bea
        .ok(&ProfilesReq {
            ids: vec![ana_user.id],
        })
        .await;
    assert_eq!(read.profiles[0].name, None);
}

#[tokio::test]
async fn no_one_passes_for_someone_else_and_a_name_is_one_visible_line() {
    let server = TestServer::spawn().await;
    let (eve, eve_user) = server.chat_guest("eve").await;
    let (_bea, _) = server.chat_guest("bea").await;
    for (name, code) in [
        ("bea", ErrorCode::Conflict),
        ("BEA", ErrorCode::Conflict),
        // A Cyrillic а in place of the Latin a.
        ("beа", ErrorCode::Conflict),
        // Reserved names, and how a deleted account shows.
        ("admin", ErrorCode::Conflict),
        ("Deleted User", ErrorCode::Conflict),
        ("Eve\nAdmin", ErrorCode::BadRequest),
        ("\u{200B}\u{200B}", ErrorCode::BadRequest),
        // Reads as "bea" (a right-to-left override), keyed as "aeb".
        ("\u{202E}aeb", ErrorCode::BadRequest),
        ("@bea", ErrorCode::BadRequest),
    ] {
        assert_eq!(eve.refused(&named(name)).await, code, "{name:?}");
    }
    let long = "e".repeat(DISPLAY_NAME_MAX + 1);
    assert_eq!(eve.refused(&named(&long)).await, ErrorCode::TooLong);
    // Her own username, in another case, is hers.
    assert_eq!(eve.ok(&named("EVE")).await.name.as_deref(), Some("EVE"));
    let read = eve
        .ok(&ProfilesReq {
            ids: vec![eve_user.id],
        })
        .await;
    assert_eq!(read.profiles[0].name.as_deref(), Some("EVE"));
}

#[tokio::test]
async fn a_deleted_accounts_name_goes_with_it() {
    let server = TestServer::spawn().await;
    let (ana, ana_user, token) = server.chat_guest_with_token("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.ok(&named("Ana García")).await;
    assert_eq!(
        bea.next::<Profile>().await.name.as_deref(),
        Some("Ana García")
    );
    let answer = server
        .api::<protocol::http::DeleteAccount>(
            &protocol::http::DeleteAccountReq {
                password: None,
                messages: protocol::MessagesOnDelete::Keep,
            },
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(
        answer.status,
        axum::http::StatusCode::NO_CONTENT,
        "{}",
        answer.body
    );
    let gone = bea.next::<Profile>().await;
    assert_eq!((gone.id, gone.avatar, gone.name), (ana_user.id, None, None));
    let read = bea
        .ok(&ProfilesReq {
            ids: vec![ana_user.id],
        })
        .await;
    assert!(read.profiles.is_empty());
}

#[tokio::test]
async fn the_directory_finds_people_by_their_display_name_too() {
    let server = TestServer::spawn().await;
    let (ana, ana_user) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    ana.ok(&named("Zoë Quintana")).await;
    let find = |q: &str| protocol::PeopleReq {
        q: Some(q.into()),
        ..protocol::PeopleReq::default()
    };
    for q in ["quintana", "ZOË Q", "ana"] {
        let found = bea.ok(&find(q)).await;
        let ids: Vec<i64> = found.people.iter().map(|p| p.user.id).collect();
        assert_eq!(ids, [ana_user.id], "{q}");
    }
    // Cleared, it finds her no more (her username still does).
    ana.ok(&named("")).await;
    assert!(bea.ok(&find("quintana")).await.people.is_empty());
}
