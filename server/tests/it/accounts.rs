//! Accounts and names: `create-admin` says what it does and never promotes a guest, reserved
//! and look-alike names are refused, names are free again once a guest's session ends, and
//! requests for a host that is not this site are refused (DNS rebinding).

use crate::common::TestServer;
use axum::http::StatusCode;
use protocol::http::{Credentials, Guest, GuestReq, Logout, Register};
use protocol::{ErrorCode, Role};
use server::{CreateAdmin, CreateAdminError, Outcome};

fn request(name: &str, password: Option<&str>) -> CreateAdmin {
    CreateAdmin {
        username: name.into(),
        password: password.map(Into::into),
        promote: false,
        evict_guest: false,
    }
}

#[tokio::test]
async fn create_admin_never_promotes_a_squatting_guest() {
    let server = TestServer::spawn().await;
    let store = server.store();
    // A guest took `admin` before names were reserved (or through the store directly).
    // Stamped now: the server's housekeeping (which may run at any moment) leaves a guest this
    // young alone between its user row and its session, as it does a real sign-in.
    let now = crate::common::now_ms();
    let squatter = store.create_guest("admin", now).await.unwrap();
    store
        .create_session(squatter.id, "h", None, now, i64::MAX)
        .await
        .unwrap();
    let refused = server
        .app
        .create_admin(request("admin", Some("long enough pw")))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CreateAdminError::GuestHoldsName(_)),
        "{refused}"
    );
    assert!(refused.to_string().contains("--evict-guest"));
    let promote = CreateAdmin {
        promote: true,
        ..request("admin", None)
    };
    assert!(matches!(
        server.app.create_admin(promote).await.unwrap_err(),
        CreateAdminError::GuestHoldsName(_)
    ));
    assert_eq!(
        store.user_by_id(squatter.id).await.unwrap().unwrap().role,
        Role::Guest
    );
    // Asked explicitly: the guest's sessions end, the name is freed, a real account is made.
    let evict = CreateAdmin {
        evict_guest: true,
        ..request("admin", Some("long enough pw"))
    };
    let outcome = server.app.create_admin(evict).await.unwrap();
    assert_eq!(outcome, Outcome::EvictedAndCreated("admin".into()));
    assert!(store.session_user("h", now + 1).await.unwrap().is_none());
    let admin = store.user_by_name("admin").await.unwrap().unwrap();
    assert_ne!(admin.user.id, squatter.id);
    assert_eq!(admin.user.role, Role::Admin);
    assert!(admin.password_hash.is_some());
}

#[tokio::test]
async fn create_admin_is_explicit_about_existing_accounts() {
    let server = TestServer::spawn().await;
    let store = server.store();
    store.create_account("first", "h", 1).await.unwrap();
    let bea = store.create_account("bea", "h", 2).await.unwrap();
    assert_eq!(bea.role, Role::Member);
    // Exists: nothing happens without --promote.
    let refused = server
        .app
        .create_admin(request("bea", None))
        .await
        .unwrap_err();
    assert!(matches!(refused, CreateAdminError::Exists(_)));
    assert!(refused.to_string().contains("--promote"));
    // A password would be ignored: refuse rather than pretend.
    let with_password = CreateAdmin {
        promote: true,
        ..request("bea", Some("another password"))
    };
    assert!(matches!(
        server.app.create_admin(with_password).await.unwrap_err(),
        CreateAdminError::PasswordIgnored(_)
    ));
    let promote = CreateAdmin {
        promote: true,
        ..request("BEA", None)
    };
    assert_eq!(
        server.app.create_admin(promote.clone()).await.unwrap(),
        Outcome::Promoted("bea".into())
    );
    assert_eq!(
        server.app.create_admin(promote).await.unwrap(),
        Outcome::AlreadyAdmin("bea".into())
    );
    // A new account needs a password, a valid one.
    assert!(matches!(
        server
            .app
            .create_admin(request("cy", None))
            .await
            .unwrap_err(),
        CreateAdminError::PasswordNeeded(_)
    ));
    assert!(matches!(
        server
            .app
            .create_admin(request("cy", Some("short")))
            .await
            .unwrap_err(),
        CreateAdminError::InvalidPassword(_)
    ));
    assert_eq!(
        server
            .app
            .create_admin(request("cy", Some("long enough pw")))
            .await
            .unwrap(),
        Outcome::Created("cy".into())
    );
    assert!(matches!(
        server
            .app
            .create_admin(request("a\u{200B}b", Some("long enough pw")))
            .await
            .unwrap_err(),
        CreateAdminError::InvalidName(_)
    ));
}

#[tokio::test]
async fn reserved_and_lookalike_names_are_refused() {
    let server = TestServer::spawn().await;
    let guest = |name: &str| GuestReq {
        username: name.into(),
    };
    for reserved in ["admin", "Admin", "ROOT", "support", "system", "Tertulia"] {
        let answer = server.api::<Guest>(&guest(reserved), &[]).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{reserved}");
        assert_eq!(answer.code(), ErrorCode::Conflict);
    }
    // `аdmin` with a Cyrillic а: mixed alphabets are refused outright.
    let cyrillic = server.api::<Guest>(&guest("\u{0430}dmin"), &[]).await;
    assert_eq!(cyrillic.status, StatusCode::BAD_REQUEST);
    // Fillers and invisible characters.
    for invisible in [
        "\u{3164}",
        "\u{3164}\u{3164}",
        "\u{115F}",
        "ana\u{200B}",
        "\u{2800}",
    ] {
        let answer = server.api::<Guest>(&guest(invisible), &[]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{invisible:?}");
    }
    let register = server
        .api::<Register>(
            &Credentials {
                username: "\u{FF41}dmin".into(), // fullwidth a: NFKC makes it `admin`
                password: "long enough pw".into(),
            },
            &[],
        )
        .await;
    assert_eq!(register.status, StatusCode::CONFLICT);
    // A look-alike of a taken name is taken.
    server.guest("bob").await;
    let zero = server.api::<Guest>(&guest("b0b"), &[]).await;
    assert_eq!(zero.status, StatusCode::CONFLICT);
    // Normal names in any single script are fine.
    for fine in ["José", "Дмитрий", "山田", "zoë_2"] {
        server.guest(fine).await;
    }
}

#[tokio::test]
async fn a_guest_name_is_free_again_after_sign_out() {
    let server = TestServer::spawn().await;
    let (ana, token) = server.guest("ana").await;
    let bearer = format!("Bearer {token}");
    let out = server
        .api::<Logout>(&protocol::Empty {}, &[("authorization", &bearer)])
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let (again, _) = server.guest("ana").await;
    assert_ne!(again.id, ana.id, "a new guest took the freed name");
    assert_eq!(
        server
            .store()
            .user_by_id(ana.id)
            .await
            .unwrap()
            .unwrap()
            .username,
        "ana",
        "the old guest's messages keep their name"
    );
}

#[tokio::test]
async fn expired_guests_are_released_by_housekeeping() {
    let server = TestServer::spawn().await;
    let store = server.store();
    let guest = store.create_guest("ghost", 0).await.unwrap();
    store
        .create_session(guest.id, "old", None, 0, 1)
        .await
        .unwrap();
    server.app.housekeeping().await.unwrap();
    assert!(store.user_by_name("ghost").await.unwrap().is_none());
    server.guest("ghost").await;
}

#[tokio::test]
async fn housekeeping_leaves_a_guest_who_is_still_signing_in() {
    let server = TestServer::spawn().await;
    let store = server.store();
    // The user row exists, its session is not stored yet (guest sign-in is two writes).
    let now = crate::common::now_ms();
    store.create_guest("newcomer", now).await.unwrap();
    server.app.housekeeping().await.unwrap();
    assert!(store.user_by_name("newcomer").await.unwrap().is_some());
}

#[tokio::test]
async fn requests_for_other_host_names_are_refused() {
    let server = TestServer::spawn().await;
    let rebinding = server.get("/", &[("host", "evil.example:3000")]).await;
    assert_eq!(rebinding.status, StatusCode::MISDIRECTED_REQUEST);
    let api = server
        .get(
            <protocol::http::Me as protocol::http::Endpoint>::PATH,
            &[("host", "evil.example")],
        )
        .await;
    assert_eq!(api.status, StatusCode::MISDIRECTED_REQUEST);
    for fine in ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "10.1.2.3"] {
        let page = server.get("/", &[("host", fine)]).await;
        assert_ne!(page.status, StatusCode::MISDIRECTED_REQUEST, "{fine}");
    }
    let named =
        TestServer::spawn_with(|c| c.public_url = Some("https://chat.example.org".into())).await;
    let ok = named.get("/", &[("host", "chat.example.org")]).await;
    assert_ne!(ok.status, StatusCode::MISDIRECTED_REQUEST);
    let other = named.get("/", &[("host", "chat.example.org.evil")]).await;
    assert_eq!(other.status, StatusCode::MISDIRECTED_REQUEST);
}

/// One address flooding sign-ins holds at most its share of the password-hashing queue (as many
/// places as hashes run at once): someone signing in from another address meanwhile gets in,
/// and a bystander's message is still answered within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_flood_from_one_address_leaves_room_for_the_others() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let server = TestServer::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.hash_concurrency = 1;
        c.auth_burst = 100_000;
    })
    .await;
    // The owner's browser is a known device (the name itself is held back by the flood's
    // failures; a known device is what lets its owner in, see the next test).
    let registered = server
        .api::<Register>(
            &Credentials {
                username: "victim".into(),
                password: "victim password 1".into(),
            },
            &[],
        )
        .await;
    let device = known_device_cookie(&registered);
    let bystander = server.bystander("bob").await;
    let login = |name: &str, password: &str| {
        serde_json::to_string(&protocol::http::Credentials {
            username: name.into(),
            password: password.into(),
        })
        .unwrap()
    };
    let from = |address: &'static str| {
        [
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", address),
        ]
    };
    let path = <protocol::http::Login as protocol::http::Endpoint>::PATH;
    // Twenty clients behind one address keep trying wrong passwords.
    let stop = Arc::new(AtomicBool::new(false));
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let first_tx = Arc::new(std::sync::Mutex::new(Some(first_tx)));
    let addr = server.addr;
    let flood: Vec<_> = (0..20)
        .map(|_| {
            let (stop, first_tx, body) = (stop.clone(), first_tx.clone(), login("victim", "guess"));
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while !stop.load(Ordering::Acquire) {
                    let (status, answer) =
                        crate::raw::http_with(addr, "POST", path, &from("198.51.100.7"), &body)
                            .await;
                    statuses.push((status, answer.contains("busy signing people in")));
                    if let Some(first) = first_tx.lock().unwrap().take() {
                        let _ = first.send(());
                    }
                }
                statuses
            })
        })
        .collect();
    first_rx.await.unwrap();
    // The queue is under pressure now; the owner signs in from elsewhere.
    let (status, answer) = crate::raw::http_with(
        addr,
        "POST",
        path,
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", "203.0.113.9"),
            ("Cookie", device.as_str()),
        ],
        &login("victim", "victim password 1"),
    )
    .await;
    assert_eq!(status, 200, "the owner got in during the flood: {answer}");
    bystander.still_served("during the flood").await;
    stop.store(true, Ordering::Release);
    let mut statuses = Vec::new();
    for task in flood {
        statuses.extend(task.await.unwrap());
    }
    assert!(
        statuses.iter().all(|(s, _)| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|(s, busy)| *s == 429 && *busy),
        "the flood was refused beyond its share of the hashing queue"
    );
}

/// `server create-admin --evict-guest` runs as another process: it ends the squatting guest's
/// sessions in the database, and the running server closes that guest's open sockets at its
/// next session check (as it does a session that expires while connected); others stay.
#[tokio::test]
async fn sessions_ended_by_another_process_close_their_sockets() {
    use crate::common::{Socket, auth};
    use protocol::events::{GENERAL_ROOM, chat};
    let path = std::env::temp_dir().join(format!(
        "tertulia-evict-{}-{}.db",
        std::process::id(),
        crate::common::now_ms()
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut config = server::Config::for_tests(&url);
    config.session_check_ms = 50;
    let store = store::Store::connect(&url).await.unwrap();
    let server = TestServer::spawn_on(config.clone(), store).await;
    let (mut squatter, _) = server.chat_guest("admin2").await;
    let bystander = server.bystander("bob").await;
    // A session that ends on its own while its socket is open.
    let now = crate::common::now_ms();
    let brief = server.store().create_guest("brief", now).await.unwrap();
    server
        .store()
        .create_session(
            brief.id,
            &server::token_hash("brief-token"),
            None,
            now,
            now + 300,
        )
        .await
        .unwrap();
    let mut expiring = Socket::connect(&server, chat::NS, auth("brief-token"), &[])
        .await
        .unwrap();

    let outcome = server::create_admin(
        &config,
        CreateAdmin {
            evict_guest: true,
            ..request("admin2", Some("long enough pw"))
        },
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::EvictedAndCreated("admin2".into()));
    assert!(
        squatter.disconnected().await,
        "the evicted guest's socket closes"
    );
    assert!(
        expiring.disconnected().await,
        "an expired session's socket closes"
    );
    bystander.still_served("still here").await;
    bystander.join(GENERAL_ROOM).await;
    drop(server);
    let _ = std::fs::remove_file(&path);
}

/// Guessing one account's password is slowed down per name, whatever the addresses: after five
/// failures the name is held back (a name that is no account the same way, so the answer tells
/// nothing), but the owner's browser, known from an earlier sign-in, still gets in, and a
/// success starts the count again. Other names are not affected.
#[tokio::test]
async fn failed_sign_ins_hold_a_name_back_but_not_its_owners_browser() {
    use protocol::http::Login;
    let server = TestServer::spawn_with(|c| c.auth_burst = 100_000).await;
    let credentials = |name: &str, password: &str| Credentials {
        username: name.into(),
        password: password.into(),
    };
    let registered = server
        .api::<Register>(&credentials("victim", "victim password 1"), &[])
        .await;
    assert_eq!(registered.status, StatusCode::CREATED);
    let device = known_device_cookie(&registered);
    assert!(registered.headers.get_all("set-cookie").iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with("tertulia_device=") && v.contains("HttpOnly"))
    }));
    server.register("bystander", "bystander password").await;
    let chatter = server.bystander("chatter").await;
    let login = async |name: &str, password: &str, cookie: Option<&str>| {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
        server
            .api::<Login>(&credentials(name, password), &headers)
            .await
    };

    for name in ["victim", "ghost"] {
        for _ in 0..5 {
            assert_eq!(
                login(name, "a wrong guess", None).await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let held = login(name, "victim password 1", None).await;
        assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
        assert_eq!(held.code(), ErrorCode::RateLimited);
        assert!(
            held.body.to_string().contains("too many failed sign-ins"),
            "{}",
            held.body
        );
        chatter.still_served("others chat on").await;
    }
    // The owner's browser is not held back, and its success clears the count.
    let owner = login("victim", "victim password 1", Some(&device)).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
    assert!(
        !owner
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.starts_with("tertulia_device="))),
        "a known device keeps its cookie"
    );
    assert_eq!(
        login("victim", "one more wrong guess", None).await.status,
        StatusCode::UNAUTHORIZED,
        "counting from zero again"
    );
    // Guesses sent at once cannot slip through together while the first is hashed: after four
    // failures, of ten at once exactly one is checked (and fails); the others are held back.
    for _ in 0..4 {
        login("racer", "a wrong guess", None).await;
    }
    let burst: Vec<_> = (0..10)
        .map(|_| login("racer", "a wrong guess", None))
        .collect();
    let statuses: Vec<StatusCode> = futures_util::future::join_all(burst)
        .await
        .into_iter()
        .map(|answer| answer.status)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        1,
        "{statuses:?}"
    );
    // A cookie of another account's device is no key to this one.
    for _ in 0..5 {
        login("bystander", "a wrong guess", None).await;
    }
    assert_eq!(
        login("bystander", "bystander password", Some(&device))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// The `name=value` of the known-device cookie an answer sets.
fn known_device_cookie(answer: &crate::common::Answer) -> String {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tertulia_device="))
        .and_then(|v| v.split(';').next())
        .expect("a known-device cookie")
        .to_owned()
}
