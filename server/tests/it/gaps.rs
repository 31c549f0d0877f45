//! The smaller gaps: CSP `connect-src 'self'`, HSTS and the `__Host-` cookie on https
//! deployments, the Origin check comparing scheme too, the session token in JSON only for
//! programs, admin push URLs, the admin role read again on every admin event, the last admin.
//! (Logs that never show a token whatever the filter: `tests/deployed/logs.rs`, on the real
//! binary.)

use crate::common::{Socket, TestServer, auth};
use axum::http::StatusCode;
use protocol::events::admin;
use protocol::http::{Guest, GuestReq, Me, PushNotification};
use protocol::{ErrorCode, PushReq, PushTarget, Request, Role, SetRoleReq};

#[tokio::test]
async fn pages_may_only_connect_to_their_own_origin() {
    let server = TestServer::spawn().await;
    let page = server.get("/", &[]).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert!(!csp.contains("ws:") && !csp.contains("wss:"), "{csp}");
}

#[tokio::test]
async fn https_deployments_get_hsts_and_a_host_prefixed_cookie() {
    let server = TestServer::spawn_with(|c| c.secure_cookies = true).await;
    let signed_in = server
        .api::<Guest>(
            &GuestReq {
                username: "ana".into(),
            },
            &[],
        )
        .await;
    let cookie = signed_in.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-tertulia_session="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    assert!(
        signed_in.headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = server
        .api::<Me>(&protocol::Empty {}, &[("cookie", &pair)])
        .await;
    assert_eq!(me.status, StatusCode::OK);
    // The plain name is not read on such a deployment (a sibling site could have set it).
    let token = pair.split_once('=').unwrap().1;
    let planted = format!("tertulia_session={token}");
    let me = server
        .api::<Me>(&protocol::Empty {}, &[("cookie", &planted)])
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let plain = TestServer::spawn().await;
    assert!(
        !plain
            .get("/", &[])
            .await
            .headers
            .contains_key("strict-transport-security")
    );
}

#[tokio::test]
async fn the_origin_check_compares_the_scheme() {
    let server = TestServer::spawn_with(|c| c.secure_cookies = true).await;
    let signed_in = server
        .api::<Guest>(
            &GuestReq {
                username: "ana".into(),
            },
            &[],
        )
        .await;
    let cookie = signed_in.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let host = server.addr.to_string();
    let socket_with = |origin: String| {
        let cookie = cookie.clone();
        let host = host.clone();
        let server = &server;
        async move {
            Socket::connect(
                server,
                protocol::events::chat::NS,
                None,
                &[("cookie", &cookie), ("origin", &origin), ("host", &host)],
            )
            .await
        }
    };
    // The site is https (secure cookies): an http page on the same host and port is another
    // origin.
    assert!(socket_with(format!("http://{host}")).await.is_err());
    assert!(socket_with(format!("https://{host}")).await.is_ok());
}

#[tokio::test]
async fn the_token_is_in_the_json_only_for_programs() {
    let server = TestServer::spawn().await;
    let host = server.addr.to_string();
    let origin = format!("http://{host}");
    let browser = server
        .api::<Guest>(
            &GuestReq {
                username: "ana".into(),
            },
            &[("origin", &origin), ("host", &host)],
        )
        .await;
    assert_eq!(browser.status, StatusCode::CREATED);
    assert!(browser.body.get("token").is_none(), "{}", browser.body);
    assert!(browser.headers.contains_key("set-cookie"));
    let fetch_metadata = server
        .api::<Guest>(
            &GuestReq {
                username: "bea".into(),
            },
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
    assert!(fetch_metadata.body.get("token").is_none());
    let program = server
        .api::<Guest>(
            &GuestReq {
                username: "cy".into(),
            },
            &[],
        )
        .await;
    assert!(program.body["token"].is_string());
}

#[tokio::test]
async fn push_urls_with_backslashes_are_refused() {
    let server = TestServer::spawn().await;
    let (admin, token) = server.register("boss", "long enough pw").await;
    let bearer = format!("Bearer {token}");
    for url in ["/\\evil.example", "/chat\\..\\x", "/ok\u{7}"] {
        let push = PushReq {
            to: PushTarget::User(admin.id),
            kind: "announcement".into(),
            title: "t".into(),
            body: "b".into(),
            url: Some(url.into()),
        };
        let answer = server
            .api::<PushNotification>(&push, &[("authorization", &bearer)])
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{url:?}");
        assert_eq!(answer.code(), ErrorCode::BadRequest);
    }
}

#[tokio::test]
async fn the_admin_role_is_read_again_on_every_admin_event() {
    let server = TestServer::spawn().await;
    let (_, first) = server.register("first", "long enough pw").await;
    let (second, token) = server.register("second", "long enough pw").await;
    server
        .store()
        .set_role(second.id, Role::Admin)
        .await
        .unwrap();
    let mut stale = Socket::connect(&server, admin::NS, auth(&token), &[])
        .await
        .unwrap();
    // Demoted behind the socket's back (by another admin, or in the database).
    server
        .store()
        .set_role(second.id, Role::Member)
        .await
        .unwrap();
    let refused = stale
        .call(&SetRoleReq {
            username: "first".into(),
            role: Role::Member,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(
        stale.disconnected().await,
        "the stale admin socket is closed"
    );
    let first_admin = Socket::connect(&server, admin::NS, auth(&first), &[]).await;
    assert!(first_admin.is_ok(), "first is still an admin");
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let server = TestServer::spawn().await;
    let (_, ana_token) = server.register("ana", "long enough pw").await;
    let (bea, bea_token) = server.register("bea", "long enough pw").await;
    server.store().set_role(bea.id, Role::Admin).await.unwrap();
    let ana = Socket::connect(&server, admin::NS, auth(&ana_token), &[])
        .await
        .unwrap();
    let bea_socket = Socket::connect(&server, admin::NS, auth(&bea_token), &[])
        .await
        .unwrap();
    let demote = |name: &str| {
        vec![
            serde_json::to_value(SetRoleReq {
                username: name.into(),
                role: Role::Member,
            })
            .unwrap(),
        ]
    };
    // The one demoted first may lose her socket before her own answer arrives: that is
    // not a success either.
    let (a, b) = tokio::join!(
        ana.try_raw(SetRoleReq::EVENT, demote("bea")),
        bea_socket.try_raw(SetRoleReq::EVENT, demote("ana"))
    );
    let accepted = |answer: &Result<Vec<serde_json::Value>, String>| {
        answer.as_ref().is_ok_and(|args| {
            serde_json::from_value::<protocol::Ack<protocol::SetRoleRes>>(args[0].clone())
                .is_ok_and(|ack| matches!(ack, protocol::Ack::Ok(_)))
        })
    };
    let succeeded = usize::from(accepted(&a)) + usize::from(accepted(&b));
    assert!(succeeded <= 1, "both demotions went through: {a:?} {b:?}");
    let admins = [
        server
            .store()
            .user_by_name("ana")
            .await
            .unwrap()
            .unwrap()
            .user
            .role,
        server
            .store()
            .user_by_name("bea")
            .await
            .unwrap()
            .unwrap()
            .user
            .role,
    ];
    assert_eq!(
        admins.iter().filter(|role| **role == Role::Admin).count(),
        1,
        "exactly one admin is left"
    );
}
