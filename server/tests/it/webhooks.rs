//! Incoming webhooks over loopback (v1.19): a room's creator makes one, a program posts
//! through its secret address, the room sees the message from a bot; who may manage them,
//! what a post must be, and what stops working when a webhook is deleted.

use axum::http::StatusCode;
use protocol::events::{GENERAL_ROOM, NotificationKind, chat, notifications};
use protocol::{
    BanReq, CreateWebhookReq, CreateWebhookRes, DeleteWebhookReq, DmReq, ErrorCode, HistoryReq,
    InviteReq, Message, MuteReq, Notification, PeopleReq, User, WebhooksReq, validate,
};
use serde_json::json;

use crate::common::{Answer, Socket, TestServer, auth, create_room};

fn hook(room: &str, name: &str) -> CreateWebhookReq {
    CreateWebhookReq {
        room: room.into(),
        name: name.into(),
    }
}

/// A `history` request for the newest page of `room`.
fn last_page(room: &str) -> HistoryReq {
    HistoryReq {
        room: room.into(),
        ..HistoryReq::default()
    }
}

/// A registered account on `/chat` (the first account of a server is its admin: tests make
/// theirs first).
async fn member(server: &TestServer, name: &str) -> (Socket, User) {
    let (user, token) = server.register(name, "correct horse battery").await;
    let socket = Socket::connect(server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    (socket, user)
}

async fn post(server: &TestServer, url: &str, text: &str) -> Answer {
    server.post(url, json!({ "text": text }), &[]).await
}

#[tokio::test]
async fn a_program_posts_through_the_secret_address_and_the_room_sees_a_bot() {
    let server = TestServer::spawn().await;
    member(&server, "chief").await;
    let (owner, owner_user) = member(&server, "owner").await;
    let (mut bea, _, bea_token) = server.chat_guest_with_token("bea").await;
    let mut bea_notes = Socket::connect(&server, notifications::NS, auth(&bea_token), &[])
        .await
        .unwrap();
    owner.ok(&create_room("builds", false)).await;
    owner.join("builds").await;
    bea.join("builds").await;

    let CreateWebhookRes { webhook, url } = owner.ok(&hook("builds", "ci")).await;
    assert_eq!(webhook.room, "builds");
    assert_eq!(webhook.bot.username, "ci");
    assert_eq!(webhook.created_by.as_ref().unwrap().id, owner_user.id);
    assert!(validate::webhook_id(&webhook.id).is_ok());
    assert!(
        url.starts_with(&format!("/api/hooks/{}/", webhook.id)),
        "{url}"
    );
    // The list shows it, never its secret.
    let listed = owner
        .ok(&WebhooksReq {
            room: "builds".into(),
        })
        .await;
    assert_eq!(listed.webhooks, std::slice::from_ref(&webhook));
    let secret = url.rsplit('/').next().unwrap();
    assert!(!serde_json::to_string(&listed).unwrap().contains(secret));

    // A program (no session, no cookie) posts; the room gets it from the bot, mentions work.
    let answer = post(&server, &url, "build 41 failed, @bea please look").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let id = answer.body["id"].as_i64().unwrap();
    let seen = bea.next::<Message>().await;
    assert_eq!((seen.id, seen.room.as_str()), (id, "builds"));
    assert_eq!(seen.user.id, webhook.bot.id);
    assert_eq!(seen.user.username, "ci");
    assert!(seen.bot);
    let note = bea_notes.next::<Notification>().await;
    assert_eq!(note.kind, NotificationKind::Mention);
    assert_eq!(note.title, "ci mentioned you in builds");
    // History reads it back as a bot's.
    let page = bea.ok(&last_page("builds")).await.messages;
    let stored = page.iter().find(|m| m.id == id).unwrap();
    assert!(stored.bot);
    let said = bea.say("builds", "on it").await.unwrap().message;
    assert!(!said.bot);

    // The bot is no person: not written to, not in the directory, cannot sign in or take its
    // name.
    assert_eq!(
        bea.refused(&DmReq {
            username: "ci".into()
        })
        .await,
        ErrorCode::BadRequest
    );
    let people = bea.ok(&PeopleReq::default()).await.people;
    assert!(people.iter().all(|p| p.user.username != "ci"));
    let login = server
        .post(
            "/api/auth/login",
            json!({"username": "ci", "password": "anything at all"}),
            &[],
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    let guest = server
        .post("/api/auth/guest", json!({"username": "CI"}), &[])
        .await;
    assert_eq!(guest.code(), ErrorCode::Conflict);

    // Deleted: the address takes nothing more; what it posted stays.
    owner
        .ok(&DeleteWebhookReq {
            id: webhook.id.clone(),
        })
        .await;
    let gone = post(&server, &url, "after the end").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), ErrorCode::NotFound);
    assert!(
        owner
            .ok(&WebhooksReq {
                room: "builds".into()
            })
            .await
            .webhooks
            .is_empty()
    );
    let page = bea.ok(&last_page("builds")).await.messages;
    assert!(
        page.iter()
            .any(|m| m.id == id && m.bot && m.user.username == "ci")
    );
    assert_eq!(
        owner.refused(&DeleteWebhookReq { id: webhook.id }).await,
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn only_the_room_s_moderators_manage_webhooks() {
    let server = TestServer::spawn().await;
    let (admin, _) = member(&server, "boss").await;
    let (owner, _) = member(&server, "owner").await;
    let (cy, _) = member(&server, "cy").await;
    let (outsider, _) = member(&server, "olga").await;
    let (bea, _) = server.chat_guest("bea").await;
    // Guests make no webhooks, not even in a room of their own.
    bea.ok(&create_room("beas", false)).await;
    assert_eq!(
        bea.refused(&hook("beas", "mine")).await,
        ErrorCode::Forbidden
    );
    owner.ok(&create_room("den", true)).await;
    for name in ["bea", "cy"] {
        owner
            .ok(&InviteReq {
                room: "den".into(),
                username: name.into(),
            })
            .await;
    }
    let made = owner.ok(&hook("den", "deploys")).await;

    // A member who does not moderate: forbidden; an outsider does not see the room at all.
    assert_eq!(cy.refused(&hook("den", "mine")).await, ErrorCode::Forbidden);
    assert_eq!(
        cy.refused(&WebhooksReq { room: "den".into() }).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        cy.refused(&DeleteWebhookReq {
            id: made.webhook.id.clone()
        })
        .await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        outsider.refused(&hook("den", "x")).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        outsider
            .refused(&DeleteWebhookReq {
                id: made.webhook.id.clone()
            })
            .await,
        ErrorCode::NotFound
    );
    // Nobody but an admin moderates the general room.
    assert_eq!(
        cy.refused(&hook(GENERAL_ROOM, "spam")).await,
        ErrorCode::Forbidden
    );
    let news = admin.ok(&hook(GENERAL_ROOM, "news")).await;
    assert_eq!(news.webhook.room, GENERAL_ROOM);
    // A private room stays out of sight of an admin who is not in it.
    assert_eq!(
        admin.refused(&WebhooksReq { room: "den".into() }).await,
        ErrorCode::NotFound
    );

    // A DM has none.
    let dm = owner
        .ok(&DmReq {
            username: "bea".into(),
        })
        .await
        .room
        .name;
    assert_eq!(
        owner.refused(&hook(&dm, "dmbot")).await,
        ErrorCode::BadRequest
    );

    // Names follow the username rules and must be free.
    assert_eq!(
        owner.refused(&hook("den", "bea")).await,
        ErrorCode::Conflict
    );
    assert_eq!(
        owner.refused(&hook("den", "DEPLOYS")).await,
        ErrorCode::Conflict
    );
    assert_eq!(
        owner.refused(&hook("den", "a b")).await,
        ErrorCode::BadRequest
    );
    assert_eq!(owner.refused(&hook("den", "")).await, ErrorCode::BadRequest);
    assert_eq!(
        owner.refused(&DeleteWebhookReq { id: "nope".into() }).await,
        ErrorCode::BadRequest
    );
    // At most WEBHOOKS_MAX a room.
    for n in 1..validate::WEBHOOKS_MAX {
        owner.ok(&hook("den", &format!("hook{n}"))).await;
    }
    assert_eq!(
        owner.refused(&hook("den", "onemore")).await,
        ErrorCode::Conflict
    );

    // A private room's webhook posts to its members only.
    let posted = post(&server, &made.url, "deployed v2").await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    let page = bea.ok(&last_page("den")).await.messages;
    assert!(page.iter().any(|m| m.text == "deployed v2" && m.bot));
    assert_eq!(
        outsider.refused(&last_page("den")).await,
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn a_post_is_judged_like_a_message_and_a_wrong_address_learns_nothing() {
    let server = TestServer::spawn().await;
    member(&server, "chief").await;
    let (owner, _) = member(&server, "owner").await;
    owner.ok(&create_room("alerts", false)).await;
    owner.join("alerts").await;
    let made = owner.ok(&hook("alerts", "monitor")).await;
    let url = made.url.clone();
    let id = made.webhook.id.clone();

    // Wrong secret, unknown id, malformed id: the same 404.
    for wrong in [
        format!("/api/hooks/{id}/not-the-secret"),
        format!(
            "/api/hooks/0000000000000000/{}",
            url.rsplit('/').next().unwrap()
        ),
        "/api/hooks/zz/secret".to_owned(),
    ] {
        let answer = post(&server, &wrong, "hi").await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{wrong}");
        assert_eq!(answer.code(), ErrorCode::NotFound);
    }
    // The text follows the message rules.
    assert_eq!(
        post(&server, &url, "   ").await.code(),
        ErrorCode::EmptyMessage
    );
    assert_eq!(
        post(&server, &url, &"x".repeat(4001)).await.code(),
        ErrorCode::TooLong
    );
    assert_eq!(
        post(&server, &url, "bell \u{7}").await.code(),
        ErrorCode::BadRequest
    );
    let missing = server.post(&url, json!({"content": "hi"}), &[]).await;
    assert_eq!(missing.code(), ErrorCode::BadRequest);
    let not_json = server
        .call(
            axum::http::Request::post(&url)
                .header("content-type", "text/plain")
                .body(axum::body::Body::from("{\"text\":\"hi\"}"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.code(), ErrorCode::BadRequest);
    // Extra fields (Slack's) are ignored.
    let slack = server
        .post(
            &url,
            json!({"text": "disk at 91%", "username": "x", "icon_emoji": ":fire:"}),
            &[],
        )
        .await;
    assert_eq!(slack.status, StatusCode::OK, "{}", slack.body);

    // The bot has a person's message budget: a flood is refused, nothing else is.
    let mut limited = false;
    for n in 0..200 {
        let answer = post(&server, &url, &format!("alert {n}")).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(answer.code(), ErrorCode::RateLimited);
            limited = true;
            break;
        }
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    assert!(limited, "a webhook's posts are rate limited");
    server
        .bystander("bo")
        .await
        .still_served("people still talk")
        .await;
}

#[tokio::test]
async fn a_muted_bot_is_refused_and_a_banned_maker_s_webhook_stops() {
    let server = TestServer::spawn().await;
    let (_, token) = server.register("boss", "correct horse battery").await;
    let (owner, _) = member(&server, "owner").await;
    owner.ok(&create_room("alerts", false)).await;
    owner.join("alerts").await;
    let made = owner.ok(&hook("alerts", "monitor")).await;
    // A moderator can mute a noisy bot like anyone.
    owner
        .ok(&MuteReq {
            room: "alerts".into(),
            username: "monitor".into(),
            minutes: 10,
        })
        .await;
    let muted = post(&server, &made.url, "still here").await;
    assert_eq!(muted.status, StatusCode::FORBIDDEN);
    assert_eq!(muted.code(), ErrorCode::Forbidden);

    // An admin bans the webhook's maker: the address stops answering.
    let other = owner.ok(&hook("alerts", "pager")).await;
    assert_eq!(
        post(&server, &other.url, "paging").await.status,
        StatusCode::OK
    );
    let admin = Socket::connect(&server, protocol::events::admin::NS, auth(&token), &[])
        .await
        .unwrap();
    admin
        .ok(&BanReq {
            username: "owner".into(),
            ..BanReq::default()
        })
        .await;
    let stopped = post(&server, &other.url, "after the ban").await;
    assert_eq!(stopped.code(), ErrorCode::NotFound);
}
