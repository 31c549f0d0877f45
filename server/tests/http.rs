//! The identity API: guests, accounts, sessions, and the shape of every answer.

mod common;

use axum::http::StatusCode;
use common::{Socket, TestServer};
use serde_json::json;

fn cookie_of(answer: &common::Answer) -> String {
    answer.headers["set-cookie"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn guest_sign_in_sets_a_safe_cookie_and_returns_a_token() {
    let server = TestServer::spawn().await;
    let answer = server
        .post("/api/auth/guest", json!({"username": "ana"}), &[])
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.body["user"]["username"], "ana");
    assert_eq!(answer.body["user"]["role"], "guest");
    let token = answer.body["token"].as_str().unwrap();
    let cookie = cookie_of(&answer);
    assert!(cookie.starts_with(&format!("tertulia_session={token};")));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    assert!(!cookie.contains("Secure"), "plain http by default");
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let server = TestServer::spawn_with(|c| c.secure_cookies = true).await;
    let answer = server
        .post("/api/auth/guest", json!({"username": "ana"}), &[])
        .await;
    assert!(cookie_of(&answer).contains("; Secure"));
}

#[tokio::test]
async fn guest_names_must_be_valid_and_free_case_insensitively() {
    let server = TestServer::spawn().await;
    server.guest("Ana").await;
    let taken = server
        .post("/api/auth/guest", json!({"username": "aNA"}), &[])
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["error"]["code"], "conflict");
    for bad in [
        json!({"username": ""}),
        json!({"username": "a b"}),
        json!({"username": "x".repeat(33)}),
        json!({"name": "x"}),
        json!({"username": 7}),
    ] {
        let answer = server.post("/api/auth/guest", bad.clone(), &[]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.body["error"]["code"], "bad_request");
        assert!(answer.body["error"]["message"].is_string());
    }
}

#[tokio::test]
async fn malformed_bodies_get_the_error_shape() {
    let server = TestServer::spawn().await;
    let request = axum::http::Request::post("/api/auth/guest")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let answer = server.call(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["error"]["code"], "bad_request");
    let request = axum::http::Request::post("/api/auth/guest")
        .header("content-type", "text/plain")
        .body(axum::body::Body::from(r#"{"username":"ana"}"#))
        .unwrap();
    assert_eq!(
        server.call(request).await.body["error"]["code"],
        "bad_request"
    );
}

#[tokio::test]
async fn guests_can_be_switched_off() {
    let server = TestServer::spawn_with(|c| c.guests = false).await;
    let answer = server
        .post("/api/auth/guest", json!({"username": "ana"}), &[])
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["error"]["code"], "forbidden");
}

#[tokio::test]
async fn first_account_is_admin_later_ones_members() {
    let server = TestServer::spawn().await;
    server.guest("visitor").await;
    let (first, _) = server.register("ana", "correct horse").await;
    let (second, _) = server.register("bea", "battery staple").await;
    assert_eq!(first.role, protocol::Role::Admin);
    assert_eq!(second.role, protocol::Role::Member);
    let taken = server
        .post(
            "/api/auth/register",
            json!({"username": "ANA", "password": "whatever1"}),
            &[],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let weak = server
        .post(
            "/api/auth/register",
            json!({"username": "cy", "password": "short"}),
            &[],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn login_does_not_reveal_whether_an_account_exists() {
    let server = TestServer::spawn().await;
    server.register("ana", "correct horse").await;
    server.guest("visitor").await;
    let ok = server
        .post(
            "/api/auth/login",
            json!({"username": "ANA", "password": "correct horse"}),
            &[],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["user"]["username"], "ana");
    let mut bodies = Vec::new();
    for (name, password) in [
        ("ana", "wrong password"),
        ("nobody", "correct horse"),
        ("visitor", "anything"),
        ("bad name!", "x"),
    ] {
        let answer = server
            .post(
                "/api/auth/login",
                json!({"username": name, "password": password}),
                &[],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        bodies.push(answer.body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "identical answers: {bodies:?}"
    );
}

#[tokio::test]
async fn me_accepts_cookie_or_bearer_and_logout_revokes_both() {
    let server = TestServer::spawn().await;
    let (user, token) = server.guest("ana").await;
    let cookie = format!("tertulia_session={token}");
    let bearer = format!("Bearer {token}");
    for headers in [
        [("cookie", cookie.as_str())],
        [("authorization", bearer.as_str())],
    ] {
        let me = server.get("/api/me", &headers).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["user"]["id"], user.id);
    }
    assert_eq!(
        server.get("/api/me", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server
            .get("/api/me", &[("authorization", "Bearer forged")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let out = server
        .post(
            "/api/auth/logout",
            json!({}),
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(cookie_of(&out).contains("Max-Age=0"));
    assert_eq!(
        server
            .get("/api/me", &[("authorization", bearer.as_str())])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let refused = Socket::connect(&server, "/chat", Some(json!({"token": token})), &[]).await;
    assert_eq!(
        refused.err().as_deref(),
        Some("unauthorized"),
        "a revoked token cannot connect"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_throttled_per_ip() {
    let server = TestServer::spawn_with(|c| c.auth_burst = 3).await;
    server.register("ana", "correct horse").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = server
            .post(
                "/api/auth/login",
                json!({"username": "ana", "password": "guess"}),
                &[],
            )
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(statuses[..2], [StatusCode::UNAUTHORIZED; 2]);
    assert_eq!(statuses[2..], [StatusCode::TOO_MANY_REQUESTS; 2]);
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_csp() {
    let server = TestServer::spawn().await;
    let page = server.get("/", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("'nonce-"));
    assert!(!csp.contains("unsafe-inline"));
    let html = page.body.as_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    let missing = server.get("/no/such/page", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_are_compressed_when_the_client_accepts_it() {
    let server = TestServer::spawn().await;
    let page = server.get("/", &[("accept-encoding", "gzip")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["content-encoding"], "gzip");
    let plain = server.get("/", &[]).await;
    assert!(plain.headers.get("content-encoding").is_none());
    // Engine.IO polling is left to the socket layer, uncompressed.
    let handshake = server
        .get(
            "/socket.io/?EIO=4&transport=polling",
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(handshake.status, StatusCode::OK);
    assert!(handshake.headers.get("content-encoding").is_none());
}
