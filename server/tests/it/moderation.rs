//! Moderation over loopback: removing members, muting, banning, and the audit log admins see.

use crate::common::{Socket, TestServer, auth, create_room};
use protocol::events::{AuditAction, GENERAL_ROOM, admin, chat};
use protocol::http::{Credentials, Login};
use protocol::{
    AuditEntry, AuditReq, BanReq, DeleteReq, DmReq, EditReq, ErrorCode, GroupDmReq, InviteReq,
    KickReq, MuteReq, ReactReq, RoomRemoved, UnbanReq,
};

fn mute(room: &str, username: &str, minutes: u32) -> MuteReq {
    MuteReq {
        room: room.into(),
        username: username.into(),
        minutes,
    }
}

/// The first account (an admin) on `/admin` and on `/chat`.
async fn admin(server: &TestServer) -> (Socket, Socket) {
    let (_, token) = server.register("boss", "correct horse battery").await;
    let watch = Socket::connect(server, admin::NS, auth(&token), &[])
        .await
        .unwrap();
    let chat = Socket::connect(server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    (watch, chat)
}

#[tokio::test]
async fn the_creator_removes_a_member_who_loses_the_room_at_once() {
    let server = TestServer::spawn().await;
    let (mut watch, _) = admin(&server).await;
    let (owner, _) = server.chat_guest("owner").await;
    let (mut ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    owner.ok(&create_room("den", true)).await;
    for name in ["ana", "bea"] {
        owner
            .ok(&InviteReq {
                room: "den".into(),
                username: name.into(),
            })
            .await;
    }
    ana.join("den").await;
    bea.join("den").await;

    // Only the creator (or an admin) may; nobody removes the creator.
    let kick = |who: &str| KickReq {
        room: "den".into(),
        username: who.into(),
    };
    assert_eq!(bea.refused(&kick("ana")).await, ErrorCode::Forbidden);
    assert_eq!(owner.refused(&kick("owner")).await, ErrorCode::Forbidden);
    assert_eq!(owner.refused(&kick("nobody")).await, ErrorCode::NotFound);
    owner.ok(&kick("ana")).await;
    assert_eq!(
        ana.next::<RoomRemoved>().await,
        RoomRemoved { room: "den".into() }
    );
    assert_eq!(
        ana.refused(&protocol::JoinReq::new("den")).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        owner.refused(&kick("ana")).await,
        ErrorCode::NotFound,
        "no longer a member"
    );
    // Another member cannot bring her back; the creator can.
    let invite_ana = InviteReq {
        room: "den".into(),
        username: "ana".into(),
    };
    let refused = bea.call(&invite_ana).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        refused.message.contains("only its creator or an admin"),
        "{}",
        refused.message
    );
    assert_eq!(
        ana.refused(&protocol::JoinReq::new("den")).await,
        ErrorCode::NotFound
    );
    owner.ok(&invite_ana).await;
    ana.join("den").await;
    // Let back in, she is an ordinary member again: anyone may invite her after a leave.
    ana.ok(&protocol::LeaveRoomReq { room: "den".into() }).await;
    bea.ok(&invite_ana).await;
    // Public rooms have no members to remove.
    owner.ok(&create_room("square", false)).await;
    assert_eq!(
        owner
            .refused(&KickReq {
                room: "square".into(),
                username: "bea".into()
            })
            .await,
        ErrorCode::BadRequest
    );

    let entry = watch.next::<AuditEntry>().await;
    assert_eq!(
        (
            entry.actor.as_str(),
            entry.action.as_str(),
            entry.target.as_deref(),
            entry.room.as_deref()
        ),
        (
            "owner",
            AuditAction::Kick.as_str(),
            Some("ana"),
            Some("den")
        )
    );
}

#[tokio::test]
async fn a_muted_person_cannot_speak_in_that_room_until_it_ends() {
    let server = TestServer::spawn().await;
    let (_watch, boss) = admin(&server).await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    boss.join(GENERAL_ROOM).await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let before = ana
        .say(GENERAL_ROOM, "said before")
        .await
        .unwrap()
        .message
        .id;
    let theirs = bea.say(GENERAL_ROOM, "a thought").await.unwrap().message.id;
    let react = |id, active| ReactReq {
        id,
        emoji: "👍".into(),
        active,
    };
    ana.ok(&react(theirs, true)).await;

    assert_eq!(
        bea.refused(&mute(GENERAL_ROOM, "ana", 10)).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        boss.refused(&mute(GENERAL_ROOM, "ana", 20_000)).await,
        ErrorCode::BadRequest
    );
    boss.ok(&mute(GENERAL_ROOM, "ana", 10)).await;
    let refused = ana.say(GENERAL_ROOM, "can I talk?").await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(refused.message.contains("muted"), "{}", refused.message);
    // Nor by rewriting an old message, nor with a reaction; taking one back is allowed.
    let edit = EditReq {
        id: before,
        text: "said something else".into(),
    };
    assert_eq!(ana.refused(&edit).await, ErrorCode::Forbidden);
    assert_eq!(
        ana.refused(&react(before, true)).await,
        ErrorCode::Forbidden
    );
    ana.ok(&react(theirs, false)).await;
    bea.say(GENERAL_ROOM, "others still can").await.unwrap();
    // Elsewhere the mute does not apply; lifting it lets ana speak again.
    ana.ok(&create_room("own", false)).await;
    ana.join("own").await;
    ana.say("own", "here I can").await.unwrap();
    boss.ok(&mute(GENERAL_ROOM, "ana", 0)).await;
    ana.say(GENERAL_ROOM, "thanks").await.unwrap();
    ana.ok(&edit).await;

    let entries = _watch.ok(&AuditReq::default()).await.entries;
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [AuditAction::Unmute.as_str(), AuditAction::Mute.as_str()]
    );
    assert_eq!(entries[1].detail.as_deref(), Some("10 min"));
}

#[tokio::test]
async fn a_banned_account_is_disconnected_and_cannot_sign_in_until_unbanned() {
    let server = TestServer::spawn().await;
    let (watch, _) = admin(&server).await;
    let (_, token) = server.register("eve", "correct horse battery").await;
    let mut eve = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    eve.join(GENERAL_ROOM).await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;

    // Only admins, never themselves or another admin.
    assert_eq!(
        watch
            .refused(&BanReq {
                username: "boss".into(),
                ..BanReq::default()
            })
            .await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        watch
            .refused(&BanReq {
                username: "nobody".into(),
                ..BanReq::default()
            })
            .await,
        ErrorCode::NotFound
    );
    assert!(
        Socket::connect(&server, admin::NS, auth(&token), &[])
            .await
            .is_err()
    );

    watch
        .ok(&BanReq {
            username: "eve".into(),
            ..BanReq::default()
        })
        .await;
    assert!(eve.disconnected().await, "disconnected at once");
    assert!(
        Socket::connect(&server, chat::NS, auth(&token), &[])
            .await
            .is_err(),
        "the session ended"
    );
    let credentials = Credentials {
        username: "eve".into(),
        password: "correct horse battery".into(),
    };
    assert_eq!(
        server.api::<Login>(&credentials, &[]).await.code(),
        ErrorCode::Forbidden
    );
    ana.say(GENERAL_ROOM, "still here").await.unwrap();

    watch
        .ok(&UnbanReq(BanReq {
            username: "eve".into(),
            ..BanReq::default()
        }))
        .await;
    assert_eq!(
        server.api::<Login>(&credentials, &[]).await.status,
        axum::http::StatusCode::OK
    );
    let actions: Vec<AuditAction> = watch
        .ok(&AuditReq::default())
        .await
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, [AuditAction::Unban, AuditAction::Ban]);
}

#[tokio::test]
async fn a_moderator_deleting_someone_elses_message_is_audited() {
    let server = TestServer::spawn().await;
    let (mut watch, boss) = admin(&server).await;
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(GENERAL_ROOM).await;
    boss.join(GENERAL_ROOM).await;
    let said = ana.say(GENERAL_ROOM, "spam").await.unwrap().message;
    boss.ok(&DeleteReq { id: said.id }).await;
    let entry = watch.next::<AuditEntry>().await;
    assert_eq!(
        (entry.action.as_str(), entry.target.as_deref()),
        (AuditAction::Delete.as_str(), Some("ana"))
    );
}

#[tokio::test]
async fn the_audit_log_answer_fits_in_one_packet() {
    // A small packet limit stands in for a hundred entries about long names.
    let server = TestServer::spawn_with(|c| {
        c.max_payload = 4 * 1024;
        c.event_budget = 100_000;
    })
    .await;
    let (watch, boss) = admin(&server).await;
    let long = format!("a{}", "n".repeat(protocol::validate::USERNAME_MAX - 1));
    let (target, _) = server.chat_guest(&long).await;
    target.join(GENERAL_ROOM).await;
    for n in 0..30 {
        boss.ok(&mute(GENERAL_ROOM, &long, n % 5 + 1)).await;
    }
    let entries = watch.ok(&AuditReq { limit: Some(100) }).await.entries;
    assert!(
        !entries.is_empty() && entries.len() < 30,
        "{} entries",
        entries.len()
    );
    // The newest ones, newest first.
    assert!(entries.windows(2).all(|w| w[0].id > w[1].id));
}

/// A kick racing a join never leaves the kicked user inside: whichever order the two take,
/// afterwards the user gets none of the room's messages and is not among its people.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_racing_a_join_leaves_the_user_outside() {
    let server = TestServer::spawn_with(|config| {
        config.max_rooms_per_guest = 100;
        config.room_create_burst = 100;
        config.join_burst = 1_000;
        config.message_burst = 1_000;
        config.event_budget = 100_000;
    })
    .await;
    let (owner, _) = server.chat_guest("owner").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    for round in 0..30 {
        let den = format!("den{round}");
        owner.ok(&create_room(&den, true)).await;
        owner.join(&den).await;
        owner
            .ok(&InviteReq {
                room: den.clone(),
                username: "bea".into(),
            })
            .await;
        let kick = KickReq {
            room: den.clone(),
            username: "bea".into(),
        };
        let join = protocol::JoinReq::new(den.clone());
        let (kicked, _joined) = tokio::join!(owner.call(&kick), bea.call(&join));
        assert!(kicked.is_ok(), "round {round}: {kicked:?}");
        // The room's next message is queued to everyone in its channel before its ack; an
        // answer to bea comes after anything queued to her before it.
        owner.say(&den, "after the kick").await.unwrap();
        bea.ok(&protocol::RoomsReq {}).await;
        let leaked = bea
            .try_next_within::<protocol::Message>(std::time::Duration::ZERO)
            .await;
        assert!(
            leaked.as_ref().is_none_or(|m| m.room != den),
            "round {round}: the kicked user got {leaked:?}"
        );
        let people = owner
            .ok(&protocol::MembersReq {
                room: den.clone(),
                ..protocol::MembersReq::default()
            })
            .await;
        assert!(
            people.users.iter().all(|user| user.username != "bea"),
            "round {round}: bea is still among the room's people"
        );
    }
}

/// A guest signs in through the trusted proxy from `address`; the HTTP status and the token.
async fn guest_from(server: &TestServer, name: &str, address: &str) -> (u16, Option<String>) {
    let body = serde_json::to_string(&protocol::http::GuestReq {
        username: name.into(),
    })
    .unwrap();
    let (status, answer) = crate::raw::http_with(
        server.addr,
        "POST",
        <protocol::http::Guest as protocol::http::Endpoint>::PATH,
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", address),
        ],
        &body,
    )
    .await;
    let token = serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned));
    (status, token)
}

/// Discord's "ban and delete messages": one action bans the account, refuses new guests from
/// the addresses it used, and removes what it made in the last hours (messages on everyone's
/// screen, its rooms, its files), older messages and other people's staying; unbanning lifts
/// the address ban. A bystander is answered within a second throughout.
#[tokio::test]
async fn a_ban_can_take_the_addresses_and_what_was_made_lately() {
    let server = TestServer::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let (mut watch, _) = admin(&server).await;
    let (created, token) = guest_from(&server, "eve", "198.51.100.7").await;
    assert_eq!(created, 201);
    let token = token.expect("a token for a non-browser client");
    let eve = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    eve.join(GENERAL_ROOM).await;
    let (mut bob, _, bob_token) = server.chat_guest_with_token("bob").await;
    bob.join(GENERAL_ROOM).await;

    // Something eve wrote three hours ago, and what she does now.
    let store = server.store();
    let general = store.room_by_name(GENERAL_ROOM).await.unwrap().unwrap();
    let eve_user = store.user_by_name("eve").await.unwrap().unwrap().user;
    let (old, _) = store
        .insert_message(
            &general,
            &eve_user,
            "from before",
            crate::common::now_ms() - 3 * 3_600_000,
            None,
        )
        .await
        .unwrap();
    let spam = eve.say(GENERAL_ROOM, "spam").await.unwrap().message;
    let bobs = bob.say(GENERAL_ROOM, "hello").await.unwrap().message;
    eve.ok(&create_room("eve-spam", false)).await;
    bob.join("eve-spam").await;
    let (status, file) = crate::files::upload(
        &server,
        &token,
        GENERAL_ROOM,
        "a.png",
        &crate::files::png(8, 8),
    )
    .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{file}");
    let file_url = file["url"].as_str().unwrap().to_owned();

    // Out of range.
    assert_eq!(
        watch
            .refused(&BanReq {
                username: "eve".into(),
                remove_hours: Some(protocol::validate::BAN_REMOVE_HOURS_MAX + 1),
                addresses: true,
            })
            .await,
        ErrorCode::BadRequest
    );
    watch
        .ok(&BanReq {
            username: "eve".into(),
            remove_hours: Some(1),
            addresses: true,
        })
        .await;

    // Bob sees the spam go and the room close; nothing else of anyone's is touched.
    let deleted = bob.next::<protocol::MessageDeleted>().await;
    assert_eq!((deleted.room.as_str(), deleted.id), (GENERAL_ROOM, spam.id));
    assert_eq!(bob.next::<protocol::RoomClosed>().await.room, "eve-spam");
    bob.still_served("still here").await;
    let message = |id| async move { store.message(id).await.unwrap().unwrap().message };
    assert!(message(spam.id).await.deleted);
    assert_eq!(message(old.id).await.text, "from before");
    assert_eq!(message(bobs.id).await.text, "hello");
    let bearer = format!("Bearer {bob_token}");
    assert_eq!(
        server
            .get(&file_url, &[("authorization", bearer.as_str())])
            .await
            .status,
        axum::http::StatusCode::NOT_FOUND,
        "the file is gone"
    );

    // Her address cannot bring her back; other addresses still can come in.
    assert_eq!(guest_from(&server, "eve2", "198.51.100.7").await.0, 403);
    assert_eq!(guest_from(&server, "dan", "198.51.100.8").await.0, 201);

    // One action, logged as such (the closed room too).
    let mut logged = Vec::new();
    while logged.len() < 3 {
        let entry = watch.next::<AuditEntry>().await;
        logged.push((entry.action, entry.detail));
    }
    assert!(
        logged.contains(&(
            AuditAction::Ban,
            Some("and new accounts from its 2 addresses".into())
        )),
        "{logged:?}"
    );
    assert!(
        logged.contains(&(
            AuditAction::RemoveContent,
            Some("1 message, 1 room, 1 file from the last 1 h".into())
        )),
        "{logged:?}"
    );
    assert!(
        logged
            .iter()
            .any(|(action, _)| *action == AuditAction::CloseRoom)
    );

    watch
        .ok(&UnbanReq(BanReq {
            username: "eve".into(),
            ..BanReq::default()
        }))
        .await;
    assert_eq!(guest_from(&server, "eve2", "198.51.100.7").await.0, 201);
}

/// Someone muted, let speak again or removed is told so at once, in their notifications (kept
/// for them if they are away), not only when they next try to write.
#[tokio::test]
async fn a_muted_or_removed_person_is_told() {
    let server = TestServer::spawn().await;
    let (owner, _) = server.chat_guest("owner").await;
    let (bea, _, bea_token) = server.chat_guest_with_token("bea").await;
    let mut notes = Socket::connect(
        &server,
        protocol::events::notifications::NS,
        auth(&bea_token),
        &[],
    )
    .await
    .unwrap();
    owner.ok(&create_room("den", true)).await;
    owner
        .ok(&InviteReq {
            room: "den".into(),
            username: "bea".into(),
        })
        .await;
    bea.join("den").await;
    let mut next_moderation = async || {
        notes
            .next_where::<protocol::Notification>(|n| {
                n.kind == protocol::events::NotificationKind::Moderation
            })
            .await
    };
    owner.ok(&mute("den", "bea", 15)).await;
    let muted = next_moderation().await;
    assert_eq!(muted.title, "owner muted you in den for 15 minutes");
    assert_eq!(
        muted.url.as_deref(),
        Some(protocol::links::room("den").as_str())
    );
    owner.ok(&mute("den", "bea", 0)).await;
    assert_eq!(
        next_moderation().await.title,
        "owner lifted your mute in den"
    );
    owner
        .ok(&KickReq {
            room: "den".into(),
            username: "bea".into(),
        })
        .await;
    assert_eq!(next_moderation().await.title, "owner removed you from den");
}

#[tokio::test]
async fn a_banned_account_is_no_one_to_write_to_or_invite() {
    let server = TestServer::spawn().await;
    let (admin_socket, _) = admin(&server).await;
    let (ana, _) = server.chat_guest("ana").await;
    let (_bea, _) = server.chat_guest("bea").await;
    let (_cy, _) = server.chat_guest("cy").await;
    let (_eve, _) = server.chat_guest("eve").await;
    admin_socket
        .ok(&BanReq {
            username: "eve".into(),
            ..BanReq::default()
        })
        .await;
    // The same answer as for a name nobody has: the directory leaves banned accounts out too.
    let group = |names: &[&str]| GroupDmReq {
        usernames: names.iter().map(|name| (*name).to_owned()).collect(),
    };
    assert_eq!(
        ana.refused(&group(&["bea", "eve"])).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        ana.refused(&DmReq {
            username: "eve".into()
        })
        .await,
        ErrorCode::NotFound
    );
    ana.ok(&create_room("den", true)).await;
    ana.join("den").await;
    assert_eq!(
        ana.refused(&InviteReq {
            room: "den".into(),
            username: "eve".into(),
        })
        .await,
        ErrorCode::NotFound
    );
    // The others are reached as before.
    ana.ok(&group(&["bea", "cy"])).await;
    ana.ok(&DmReq {
        username: "bea".into(),
    })
    .await;
}
