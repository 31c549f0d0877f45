//! The identity API: guests, accounts, sessions, and the shape of every answer.

use crate::common::{Answer, Socket, TestServer, auth};
use axum::http::StatusCode;
use protocol::http::{
    AuthRes, Credentials, Endpoint, Guest, GuestReq, Health, HealthRes, Login, Logout, Me, MeRes,
    Register,
};
use protocol::{ConnectRefusal, Empty, ErrorCode, Role, links};
use serde_json::json;

fn cookie_of(answer: &Answer) -> String {
    answer.headers["set-cookie"].to_str().unwrap().to_owned()
}

fn guest_named(name: &str) -> GuestReq {
    GuestReq {
        username: name.into(),
    }
}

fn credentials(name: &str, password: &str) -> Credentials {
    Credentials {
        username: name.into(),
        password: password.into(),
    }
}

fn auth_res(answer: &Answer) -> AuthRes {
    serde_json::from_value(answer.body.clone())
        .unwrap_or_else(|e| panic!("not an auth answer ({e}): {}", answer.body))
}

#[tokio::test]
async fn guest_sign_in_sets_a_safe_cookie_and_returns_a_token() {
    let server = TestServer::spawn().await;
    let answer = server.api::<Guest>(&guest_named("ana"), &[]).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let body = auth_res(&answer);
    assert_eq!(body.user.username, "ana");
    assert_eq!(body.user.role, Role::Guest);
    let token = body.token.expect("a program (no Origin) gets the token");
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
    let answer = server.api::<Guest>(&guest_named("ana"), &[]).await;
    let cookie = cookie_of(&answer);
    assert!(cookie.contains("; Secure"));
    // A `Secure` cookie carries the `__Host-` prefix (host-only, `/`, Secure).
    assert!(cookie.starts_with("__Host-tertulia_session="), "{cookie}");
}

#[tokio::test]
async fn guest_names_must_be_valid_and_free_case_insensitively() {
    let server = TestServer::spawn().await;
    server.guest("Ana").await;
    let taken = server.api::<Guest>(&guest_named("aNA"), &[]).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.code(), ErrorCode::Conflict);
    for bad in [
        json!({"username": ""}),
        json!({"username": "a b"}),
        json!({"username": "x".repeat(33)}),
        json!({"name": "x"}),
        json!({"username": 7}),
    ] {
        let answer = server.post(Guest::PATH, bad.clone(), &[]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        // `code()` decodes the whole error body: a code and a message string.
        assert_eq!(answer.code(), ErrorCode::BadRequest);
    }
}

#[tokio::test]
async fn malformed_bodies_get_the_error_shape() {
    let server = TestServer::spawn().await;
    let request = axum::http::Request::post(Guest::PATH)
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let answer = server.call(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), ErrorCode::BadRequest);
    let request = axum::http::Request::post(Guest::PATH)
        .header("content-type", "text/plain")
        .body(axum::body::Body::from(r#"{"username":"ana"}"#))
        .unwrap();
    assert_eq!(server.call(request).await.code(), ErrorCode::BadRequest);
    // Too large a body, the wrong method, and a path that is no endpoint: the same shape.
    let big = json!({ "username": "x".repeat(32 * 1024) });
    let answer = server.post(Guest::PATH, big, &[]).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(answer.code(), ErrorCode::TooLong);
    let answer = server.get(Guest::PATH, &[]).await;
    assert_eq!(
        answer.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        answer.body
    );
    assert_eq!(answer.code(), ErrorCode::BadRequest);
    for path in ["/api/nope", "/api/auth/guest/extra", "/api/", "/api"] {
        let answer = server.get(path, &[]).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.body
        );
        assert_eq!(answer.code(), ErrorCode::NotFound, "{path}");
    }
}

#[tokio::test]
async fn guests_can_be_switched_off() {
    let server = TestServer::spawn_with(|c| c.guests = false).await;
    let answer = server.api::<Guest>(&guest_named("ana"), &[]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn first_account_is_admin_later_ones_members() {
    let server = TestServer::spawn().await;
    server.guest("visitor").await;
    let (first, _) = server.register("ana", "correct horse").await;
    let (second, _) = server.register("bea", "battery staple").await;
    assert_eq!(first.role, Role::Admin);
    assert_eq!(second.role, Role::Member);
    let taken = server
        .api::<Register>(&credentials("ANA", "whatever1"), &[])
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let weak = server
        .api::<Register>(&credentials("cy", "short"), &[])
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn login_does_not_reveal_whether_an_account_exists() {
    let server = TestServer::spawn().await;
    server.register("ana", "correct horse").await;
    server.guest("visitor").await;
    let ok = server
        .api::<Login>(&credentials("ANA", "correct horse"), &[])
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(auth_res(&ok).user.username, "ana");
    let mut bodies = Vec::new();
    for (name, password) in [
        ("ana", "wrong password"),
        ("nobody", "correct horse"),
        ("visitor", "anything"),
        ("bad name!", "x"),
    ] {
        let answer = server.api::<Login>(&credentials(name, password), &[]).await;
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
        let me = server.api::<Me>(&Empty {}, &headers).await;
        assert_eq!(me.status, StatusCode::OK);
        let me: MeRes = serde_json::from_value(me.body).unwrap();
        assert_eq!(me.user.id, user.id);
    }
    assert_eq!(
        server.api::<Me>(&Empty {}, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server
            .api::<Me>(&Empty {}, &[("authorization", "Bearer forged")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let out = server
        .api::<Logout>(&Empty {}, &[("cookie", cookie.as_str())])
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(cookie_of(&out).contains("Max-Age=0"));
    assert_eq!(
        server
            .api::<Me>(&Empty {}, &[("authorization", bearer.as_str())])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let refused = Socket::connect(&server, protocol::events::chat::NS, auth(&token), &[]).await;
    assert_eq!(
        refused.err().as_deref(),
        Some(ConnectRefusal::Unauthorized.as_str()),
        "a revoked token cannot connect"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_throttled_per_ip() {
    let server = TestServer::spawn_with(|c| c.auth_burst = 3).await;
    server.register("ana", "correct horse").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = server.api::<Login>(&credentials("ana", "guess"), &[]).await;
        statuses.push(answer.status);
    }
    assert_eq!(statuses[..2], [StatusCode::UNAUTHORIZED; 2]);
    assert_eq!(statuses[2..], [StatusCode::TOO_MANY_REQUESTS; 2]);
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_csp() {
    let server = TestServer::spawn().await;
    let page = server.get(links::HOME, &[]).await;
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
    let page = server
        .get(links::HOME, &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["content-encoding"], "gzip");
    let plain = server.get(links::HOME, &[]).await;
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

#[tokio::test]
async fn health_answers_ready_until_the_node_drains() {
    let server = TestServer::spawn().await;
    let answer = server.api::<Health>(&Empty {}, &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let health: HealthRes = serde_json::from_value(answer.body).unwrap();
    assert!(health.ready);
    assert_eq!(health.node, server.app.node_id());

    server.app.drain().await;
    let answer = server.api::<Health>(&Empty {}, &[]).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let health: HealthRes = serde_json::from_value(answer.body).unwrap();
    assert!(
        !health.ready,
        "a draining node must leave the load balancer's rotation"
    );
}

#[tokio::test]
async fn livez_answers_while_the_process_does_and_readyz_names_what_fails() {
    let server = TestServer::spawn().await;
    let text = |answer: &Answer| answer.body.as_str().expect("plain text").to_owned();
    let live = server.get(links::LIVEZ, &[]).await;
    assert_eq!((live.status, text(&live)), (StatusCode::OK, "ok\n".into()));
    let ready = server.get(links::READYZ, &[]).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(text(&ready), "database ok\nredis not used\ndraining no\n");
    assert_eq!(ready.headers["cache-control"], "no-store");

    server.app.drain().await;
    let ready = server.get(links::READYZ, &[]).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text(&ready).contains("draining yes"), "{}", text(&ready));
    // Alive all the same: nothing to restart.
    assert_eq!(server.get(links::LIVEZ, &[]).await.status, StatusCode::OK);

    // A node whose database is gone is not ready, and says why.
    let lost = TestServer::spawn().await;
    lost.store().close().await;
    let ready = lost.get(links::READYZ, &[]).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text(&ready).contains("database failed"), "{}", text(&ready));
    assert_eq!(lost.get(links::LIVEZ, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn pages_are_rendered_for_the_signed_in_user_and_admin_is_403_for_others() {
    let server = TestServer::spawn().await;
    let (user, token) = server.guest("ana").await;
    let cookie = format!("{}={token}", server::SESSION_COOKIE);

    // Signed in: the first HTML already names the user (the top bar and the session meta).
    let chat = server.get(links::CHAT, &[("cookie", &cookie)]).await;
    assert_eq!(chat.status, StatusCode::OK);
    assert!(chat.html().contains("tertulia-session"));
    assert!(
        chat.html()
            .contains(&format!("class=\"me-name\">{}<", user.username)),
        "the signed-in page from the first byte"
    );

    // Not an admin: a real 403 page.
    let admin = server.get(links::ADMIN, &[("cookie", &cookie)]).await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    assert!(admin.html().contains("This page is for admins."));

    // Signed out: the session meta says so, and nothing names a user.
    let home = server.get(links::HOME, &[]).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.html()
            .contains("name=\"tertulia-session\" content=\"\"")
    );
    assert!(!home.html().contains("me-name\">"));

    // A revoked session is a signed-out page.
    let bearer = format!("Bearer {token}");
    server
        .api::<protocol::http::Logout>(&Empty {}, &[("authorization", &bearer)])
        .await;
    let after = server.get(links::CHAT, &[("cookie", &cookie)]).await;
    assert!(!after.html().contains(&user.username));
}

/// Posts the start page's form as a browser without script would.
async fn post_form(server: &TestServer, fields: &str, origin: Option<&str>) -> Answer {
    let mut request = axum::http::Request::post(links::SIGN_IN_FORM)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request
            .header("origin", origin)
            .header("host", "localhost:3000");
    }
    server
        .call(
            request
                .body(axum::body::Body::from(fields.to_owned()))
                .unwrap(),
        )
        .await
}

#[tokio::test]
async fn the_start_form_signs_in_without_script_and_says_what_failed() {
    let server = TestServer::spawn().await;
    let same_site = Some("http://localhost:3000");

    // A guest: redirected to the chat with the session cookie, which signs the chat page in.
    let answer = post_form(&server, "mode=guest&username=ana", same_site).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers["location"], links::CHAT);
    let cookie = cookie_of(&answer);
    let pair = cookie.split(';').next().unwrap();
    let chat = server.get(links::CHAT, &[("cookie", pair)]).await;
    assert!(chat.html().contains("class=\"me-name\">ana<"));

    // A taken name: back to the start page with the mode, the name and the code, no cookie.
    let taken = post_form(&server, "mode=guest&username=ANA", same_site).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER);
    assert_eq!(
        taken.headers["location"],
        links::start::page(
            links::start::Mode::Guest,
            Some("ANA"),
            Some(ErrorCode::Conflict.as_str())
        )
        .as_str()
    );
    assert!(taken.headers.get("set-cookie").is_none());
    let page = server
        .get(taken.headers["location"].to_str().unwrap(), &[])
        .await;
    assert!(page.html().contains("The name `ANA` is taken or reserved"));

    // Accounts: sign up, then a wrong password, then the right one.
    let signup = "mode=signup&username=bea&password=correct+horse+battery";
    let created = post_form(&server, signup, same_site).await;
    assert_eq!(created.headers["location"], links::CHAT);
    let wrong = post_form(&server, "mode=signin&username=bea&password=nope", same_site).await;
    assert!(
        wrong.headers["location"]
            .to_str()
            .unwrap()
            .ends_with("failed=unauthorized")
    );
    let page = server
        .get(wrong.headers["location"].to_str().unwrap(), &[])
        .await;
    assert!(page.html().contains("Wrong username or password"));
    assert!(
        page.html().contains("value=\"bea\""),
        "the name typed is kept"
    );
    let right = "mode=signin&username=bea&password=correct+horse+battery";
    assert_eq!(
        post_form(&server, right, same_site).await.headers["location"],
        links::CHAT
    );

    // Garbage is a clear failure, never a server error; another site cannot post it at all.
    let garbage = post_form(&server, "mode=%ZZ&&username=%00", same_site).await;
    assert_eq!(garbage.status, StatusCode::SEE_OTHER);
    assert!(
        garbage.headers["location"]
            .to_str()
            .unwrap()
            .contains("failed=bad_request")
    );
    let foreign = post_form(
        &server,
        "mode=guest&username=eve",
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert!(server.store().user_by_name("eve").await.unwrap().is_none());
}

#[tokio::test]
async fn the_start_form_shares_the_sign_in_budget() {
    let server = TestServer::spawn().await;
    let mut limited = false;
    for attempt in 0..50 {
        let fields = format!("mode=signin&username=nobody{attempt}&password=x");
        let answer = post_form(&server, &fields, None).await;
        if answer.headers["location"]
            .to_str()
            .unwrap()
            .ends_with(ErrorCode::RateLimited.as_str())
        {
            limited = true;
            break;
        }
    }
    assert!(
        limited,
        "sign-in attempts by form are throttled like the API's"
    );
    let api = server.api::<Guest>(&guest_named("late"), &[]).await;
    assert_eq!(
        api.code(),
        ErrorCode::RateLimited,
        "one budget for both doors"
    );
}

#[tokio::test]
async fn the_emoji_catalogue_is_served_to_anyone_and_cacheable() {
    use protocol::http::{Emoji, EmojiCatalog, Endpoint};
    let server = TestServer::spawn().await;
    let answer = server.get(Emoji::PATH, &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert!(
        answer.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let catalog: EmojiCatalog = serde_json::from_value(answer.body).unwrap();
    assert!(catalog.groups.iter().any(|g| g == "Smileys & Emotion"));
    let rocket = catalog.emoji.iter().find(|e| e.emoji == "🚀").unwrap();
    assert_eq!(rocket.shortcodes, ["rocket"]);
    // Each one is a reaction the server takes.
    let (ana, _) = server.chat_guest("ana").await;
    ana.join(protocol::events::GENERAL_ROOM).await;
    let said = ana
        .say(protocol::events::GENERAL_ROOM, "react to me")
        .await
        .unwrap()
        .message;
    for info in catalog.emoji.iter().step_by(240) {
        ana.ok(&protocol::ReactReq {
            id: said.id,
            emoji: info.emoji.clone(),
            active: true,
        })
        .await;
        ana.ok(&protocol::ReactReq {
            id: said.id,
            emoji: info.emoji.clone(),
            active: false,
        })
        .await;
    }
}
