//! The people directory (v1.12): everyone reachable, by name, a page at a time, with who is
//! online; a person found there can be written to even if they share no room and are offline.

use crate::common::{Socket, TestServer, auth};
use protocol::events::{admin, chat};
use protocol::{
    ActivityReq, BanReq, BlockReq, DmReq, ErrorCode, PeopleReq, PeopleRes, SavedRoomsReq,
};
use std::time::Duration;

fn page(res: &PeopleRes) -> Vec<(&str, bool)> {
    res.people
        .iter()
        .map(|p| (p.user.username.as_str(), p.online))
        .collect()
}

#[tokio::test]
async fn everyone_is_listed_with_who_is_online_and_can_be_written_to() {
    let server = TestServer::spawn().await;
    let (_, boss_token) = server.register("boss", "correct horse battery").await;
    let watch = Socket::connect(&server, admin::NS, auth(&boss_token), &[])
        .await
        .unwrap();
    let (_, bob_token) = server.register("bob", "correct horse battery").await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_carl, _) = server.chat_guest("Carl").await;
    let (_eve, _) = server.chat_guest("eve").await;
    watch
        .ok(&BanReq {
            username: "eve".into(),
            ..BanReq::default()
        })
        .await;

    let all = ana.ok(&PeopleReq::default()).await;
    assert_eq!(
        page(&all),
        [
            ("ana", true),
            ("bob", false),
            ("boss", true),
            ("Carl", true)
        ],
        "by name, the banned left out, bob offline"
    );
    assert!(!all.more);
    let first = ana
        .ok(&PeopleReq {
            limit: Some(2),
            ..PeopleReq::default()
        })
        .await;
    assert_eq!(page(&first), [("ana", true), ("bob", false)]);
    assert!(first.more);
    let rest = ana
        .ok(&PeopleReq {
            after: Some("bob".into()),
            limit: Some(2),
            ..PeopleReq::default()
        })
        .await;
    assert_eq!(page(&rest), [("boss", true), ("Carl", true)]);
    let found = ana
        .ok(&PeopleReq {
            q: Some(" BO ".into()),
            ..PeopleReq::default()
        })
        .await;
    assert_eq!(page(&found), [("bob", false), ("boss", true)]);

    for bad in [
        PeopleReq {
            q: Some("x".repeat(33)),
            ..PeopleReq::default()
        },
        PeopleReq {
            limit: Some(0),
            ..PeopleReq::default()
        },
        PeopleReq {
            after: Some("x".repeat(300)),
            ..PeopleReq::default()
        },
    ] {
        assert_eq!(ana.refused(&bad).await, ErrorCode::BadRequest);
    }

    // Bob shares no room with Ana and is offline: she writes to him all the same, and the
    // conversation is in his list when he comes.
    let room = ana
        .ok(&DmReq {
            username: "bob".into(),
        })
        .await
        .room
        .name;
    ana.join(&room).await;
    ana.say(&room, "lunch tomorrow?").await.unwrap();
    let bob = Socket::connect(&server, chat::NS, auth(&bob_token), &[])
        .await
        .unwrap();
    let saved = bob.ok(&SavedRoomsReq {}).await.rooms;
    let dm = saved
        .iter()
        .find(|s| s.room.name == room)
        .expect("the DM is in his list");
    assert_eq!(dm.unread, 1);
    assert_eq!(
        page(
            &ana.ok(&PeopleReq {
                q: Some("bob".into()),
                ..PeopleReq::default()
            })
            .await
        ),
        [("bob", true)],
        "online now"
    );
}

/// A status line (v1.13) is one short line, shown to everyone in the directory, and cleared
/// by an empty one.
#[tokio::test]
async fn a_status_line_shows_in_the_directory() {
    use protocol::SetStatusReq;
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bob, _) = server.chat_guest("bob").await;
    let status = |text: &str| SetStatusReq {
        status: text.into(),
    };
    let bobs = async || {
        ana.ok(&PeopleReq {
            q: Some("bob".into()),
            ..PeopleReq::default()
        })
        .await
        .people
        .remove(0)
        .status
    };
    assert_eq!(bobs().await, None);
    bob.ok(&status("  in a meeting until 3  ")).await;
    assert_eq!(bobs().await.as_deref(), Some("in a meeting until 3"));
    assert_eq!(
        bob.refused(&status(&"x".repeat(protocol::validate::STATUS_MAX + 1)))
            .await,
        ErrorCode::TooLong
    );
    assert_eq!(
        bob.refused(&status("two\nlines")).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        bobs().await.as_deref(),
        Some("in a meeting until 3"),
        "unchanged"
    );
    bob.ok(&status("")).await;
    assert_eq!(bobs().await, None);
}

/// The directory's `away` (v1.21): online, but no activity for the server's `away_after`.
#[tokio::test]
async fn someone_online_who_stops_acting_shows_away_until_they_act_again() {
    let server = TestServer::spawn_with(|c| c.away_after_ms = 4_000).await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let ana_in_directory = || async {
        let found = bea
            .ok(&PeopleReq {
                q: Some("ana".into()),
                ..PeopleReq::default()
            })
            .await;
        let person = found.people.into_iter().next().expect("ana is listed");
        (person.online, person.away)
    };
    ana.ok(&ActivityReq {}).await;
    assert_eq!(ana_in_directory().await, (true, false), "online and acting");
    // Nothing from her for a while: away (still online).
    crate::wait::within("ana shows away", Duration::from_secs(20), async {
        while ana_in_directory().await != (true, true) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    // A key or a click in her app, reported: here again at once, on any node's answer.
    ana.ok(&ActivityReq {}).await;
    assert_eq!(ana_in_directory().await, (true, false));
    // Gone: offline, not away.
    ana.close();
    crate::wait::within("ana shows offline", Duration::from_secs(20), async {
        while ana_in_directory().await != (false, false) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn someone_who_blocked_you_is_listed_but_cannot_be_written_to() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (eve, _) = server.chat_guest("eve").await;
    eve.ok(&BlockReq {
        username: "ana".into(),
    })
    .await;
    // The directory is everyone's (a block is not a ban): Eve is listed, online...
    let all = ana.ok(&PeopleReq::default()).await;
    assert!(page(&all).contains(&("eve", true)), "{:?}", page(&all));
    // ...and writing to her is refused, saying so.
    assert_eq!(
        ana.refused(&DmReq {
            username: "eve".into()
        })
        .await,
        ErrorCode::Forbidden
    );
    // Eve, who blocked Ana, still finds her too.
    let theirs = eve.ok(&PeopleReq::default()).await;
    assert!(page(&theirs).contains(&("ana", true)));
}
