//! Profile pictures over loopback (v1.25): set through the HTTP API, squared and kept at one
//! size, served to the signed-in only, told to every `/chat` socket, read by id with
//! `profiles`; replaced, removed and refused as the contract says.

use crate::common::{Answer, Socket, TestServer, auth};
use crate::files::png;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use protocol::links;
use protocol::validate::{AVATAR_SIDE, AVATAR_UPLOAD_MAX, PROFILES_MAX};
use protocol::{ErrorCode, Profile, ProfilesReq};

const PASSWORD: &str = "correct horse battery";

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `POST /api/me/avatar` with `bytes` as the body.
pub(crate) async fn set_picture(server: &TestServer, token: &str, bytes: Vec<u8>) -> Answer {
    let request = Request::post(links::MY_AVATAR)
        .header(header::AUTHORIZATION, bearer(token))
        .body(Body::from(bytes))
        .unwrap();
    server.call(request).await
}

async fn remove_picture(server: &TestServer, token: &str) -> Answer {
    let request = Request::delete(links::MY_AVATAR)
        .header(header::AUTHORIZATION, bearer(token))
        .body(Body::empty())
        .unwrap();
    server.call(request).await
}

/// The picture at `url` as `token` gets it: status, content type, bytes.
async fn fetch(
    server: &TestServer,
    url: &str,
    token: Option<&str>,
) -> (StatusCode, String, Vec<u8>) {
    let mut request = Request::get(url);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, bearer(token));
    }
    let (status, headers, bytes) =
        crate::files::call(server, request.body(Body::empty()).unwrap()).await;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, bytes.to_vec())
}

/// Whether the bytes of the picture at `url` are on the server's disk.
fn on_disk(server: &TestServer, url: &str) -> bool {
    let id = url.rsplit('/').next().unwrap();
    server
        .app
        .config()
        .files_dir
        .join(&id[..2])
        .join(format!("{id}.preview"))
        .exists()
}

fn profile_of(answer: &Answer) -> Profile {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_value(answer.body.clone()).unwrap()
}

#[tokio::test]
async fn a_picture_is_squared_served_to_the_signed_in_and_told_to_everyone() {
    let server = TestServer::spawn().await;
    let (ana, ana_token) = server.register("ana", PASSWORD).await;
    let (mut bea, bea_user) = server.chat_guest("bea").await;
    let (_, bea_token) = server.guest("cid").await;

    let set = profile_of(&set_picture(&server, &ana_token, png(300, 200)).await);
    assert_eq!(set.id, ana.id);
    let url = set.avatar.clone().expect("a picture");
    assert!(url.starts_with(links::AVATARS), "{url}");
    assert!(on_disk(&server, &url));
    // Everyone connected is told, with the same profile.
    assert_eq!(bea.next::<Profile>().await, set);

    let (status, content_type, bytes) = fetch(&server, &url, Some(&bea_token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "image/jpeg");
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (picture.width(), picture.height()),
        (AVATAR_SIDE, AVATAR_SIDE)
    );
    assert_eq!(fetch(&server, &url, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        fetch(&server, &links::avatar("not-an-id"), Some(&bea_token))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    // Read by id: the accounts asked about, in id order; an unknown id is left out.
    let answer = bea
        .ok(&ProfilesReq {
            ids: vec![bea_user.id, 9_999, ana.id, ana.id],
        })
        .await;
    let mut expected = vec![
        set.clone(),
        Profile {
            id: bea_user.id,
            avatar: None,
            name: None,
        },
    ];
    expected.sort_by_key(|p| p.id);
    assert_eq!(answer.profiles, expected);

    // A new picture replaces the old one, which is no longer served.
    let again = profile_of(&set_picture(&server, &ana_token, png(64, 64)).await);
    assert_ne!(again.avatar, set.avatar);
    assert_eq!(bea.next::<Profile>().await, again);
    assert_eq!(
        fetch(&server, &url, Some(&bea_token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        !on_disk(&server, &url),
        "the replaced picture's bytes are gone"
    );
    let new_url = again.avatar.clone().unwrap();
    assert_eq!(
        fetch(&server, &new_url, Some(&bea_token)).await.0,
        StatusCode::OK
    );

    // Taken away: told, and gone.
    let removed = profile_of(&remove_picture(&server, &ana_token).await);
    assert_eq!(
        removed,
        Profile {
            id: ana.id,
            avatar: None,
            name: None,
        }
    );
    assert_eq!(bea.next::<Profile>().await, removed);
    assert_eq!(
        fetch(&server, &new_url, Some(&bea_token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(!on_disk(&server, &new_url));
    // Nothing to take away is no error, and tells nobody: the next news Bea gets is the
    // picture Ana sets after it.
    assert_eq!(
        profile_of(&remove_picture(&server, &ana_token).await),
        removed
    );
    let last = profile_of(&set_picture(&server, &ana_token, png(50, 50)).await);
    assert_eq!(bea.next::<Profile>().await, last);
}

#[tokio::test]
async fn what_is_no_picture_is_refused_and_changes_nothing() {
    let server = TestServer::spawn_with(|config| config.guest_uploads = false).await;
    let (ana, token) = server.register("ana", PASSWORD).await;
    let kept = profile_of(&set_picture(&server, &token, png(40, 40)).await);

    for (bytes, code) in [
        (Vec::new(), ErrorCode::BadRequest),
        (b"hello, not a picture".to_vec(), ErrorCode::BadRequest),
        // A PNG's signature with nothing decodable after it.
        (png(40, 40)[..60].to_vec(), ErrorCode::BadRequest),
    ] {
        let answer = set_picture(&server, &token, bytes).await;
        assert_eq!(answer.code(), code, "{}", answer.body);
    }
    // Too large: refused from the declared length, before the body is read.
    let request = Request::post(links::MY_AVATAR)
        .header(header::AUTHORIZATION, bearer(&token))
        .header(header::CONTENT_LENGTH, AVATAR_UPLOAD_MAX + 1)
        .body(Body::from(vec![0u8; 16]))
        .unwrap();
    let answer = server.call(request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.code(), ErrorCode::TooLong);
    // And when it streams past the limit without saying so.
    let mut big = png(40, 40);
    big.resize(usize::try_from(AVATAR_UPLOAD_MAX).unwrap() + 1, 0);
    assert_eq!(
        set_picture(&server, &token, big).await.code(),
        ErrorCode::TooLong
    );

    // Nobody signed in; a guest on a server that takes files from accounts only.
    let request = Request::post(links::MY_AVATAR)
        .body(Body::from(png(40, 40)))
        .unwrap();
    assert_eq!(server.call(request).await.status, StatusCode::UNAUTHORIZED);
    let (_, guest_token) = server.guest("bea").await;
    assert_eq!(
        set_picture(&server, &guest_token, png(40, 40)).await.code(),
        ErrorCode::Forbidden
    );

    // Ana still shows the picture she had.
    let socket = Socket::connect(&server, protocol::events::chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let answer = socket.ok(&ProfilesReq { ids: vec![ana.id] }).await;
    assert_eq!(answer.profiles, [kept]);
    // `profiles` asks about 1 to 100 people.
    assert_eq!(
        socket.refused(&ProfilesReq { ids: Vec::new() }).await,
        ErrorCode::BadRequest
    );
    let too_many = ProfilesReq {
        ids: (1..=i64::try_from(PROFILES_MAX).unwrap() + 1).collect(),
    };
    assert_eq!(socket.refused(&too_many).await, ErrorCode::BadRequest);
}

#[tokio::test]
async fn a_deleted_accounts_picture_goes_with_it() {
    let server = TestServer::spawn().await;
    // The first account is the admin, who cannot leave while the only one.
    server.register("olga", PASSWORD).await;
    let (ana, token) = server.register("ana", PASSWORD).await;
    let (mut bea, _, bea_token) = server.chat_guest_with_token("bea").await;
    let url = profile_of(&set_picture(&server, &token, png(80, 60)).await)
        .avatar
        .unwrap();
    bea.next::<Profile>().await;
    assert_eq!(
        fetch(&server, &url, Some(&bea_token)).await.0,
        StatusCode::OK
    );
    let answer = server
        .api::<protocol::http::DeleteAccount>(
            &protocol::http::DeleteAccountReq {
                password: Some(PASSWORD.into()),
                messages: protocol::MessagesOnDelete::Keep,
            },
            &[("authorization", &bearer(&token))],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert_eq!(
        fetch(&server, &url, Some(&bea_token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(!on_disk(&server, &url));
    // Those who showed it hear that it is gone.
    let gone = bea.next::<Profile>().await;
    assert_eq!((gone.id, gone.avatar), (ana.id, None));
}

/// A page on another site cannot change or take away the picture of someone signed in there
/// with the cookie.
#[tokio::test]
async fn a_foreign_page_cannot_change_a_picture_with_the_cookie() {
    let server = TestServer::spawn().await;
    let (ana, token) = server.guest("ana").await;
    let kept = profile_of(&set_picture(&server, &token, png(40, 40)).await);
    let cookie = format!("tertulia_session={token}");
    for request in [
        Request::post(links::MY_AVATAR).body(Body::from(png(30, 30))),
        Request::delete(links::MY_AVATAR).body(Body::empty()),
    ] {
        let mut request = request.unwrap();
        let headers = request.headers_mut();
        headers.insert(header::COOKIE, cookie.parse().unwrap());
        headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        headers.insert(header::HOST, "127.0.0.1".parse().unwrap());
        let answer = server.call(request).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    }
    let socket = Socket::connect(&server, protocol::events::chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let answer = socket.ok(&ProfilesReq { ids: vec![ana.id] }).await;
    assert_eq!(answer.profiles, [kept]);
}

#[tokio::test]
async fn an_admin_takes_away_an_offensive_picture_and_name_and_the_log_says_so() {
    let server = TestServer::spawn().await;
    let (_, chief_token) = server.register("chief", "correct horse battery").await;
    let (ana_user, ana_token) = server.register("ana", "correct horse battery").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    let set = profile_of(&set_picture(&server, &ana_token, png(100, 100)).await);
    let url = set.avatar.clone().unwrap();
    assert_eq!(bea.next::<Profile>().await, set);
    let ana = Socket::connect(&server, protocol::events::chat::NS, auth(&ana_token), &[])
        .await
        .unwrap();
    ana.ok(&protocol::SetDisplayNameReq {
        name: "Rude Name".into(),
    })
    .await;
    let _: Profile = bea.next().await;

    let clear = protocol::ClearProfileReq {
        username: Some("ana".into()),
        id: None,
    };
    // Only an admin may.
    let refused =
        Socket::connect(&server, protocol::events::admin::NS, auth(&ana_token), &[]).await;
    assert!(refused.is_err(), "a member has no /admin");
    let mut admin = Socket::connect(
        &server,
        protocol::events::admin::NS,
        auth(&chief_token),
        &[],
    )
    .await
    .unwrap();
    let mut ana_notes = Socket::connect(
        &server,
        protocol::events::notifications::NS,
        auth(&ana_token),
        &[],
    )
    .await
    .unwrap();
    admin.ok(&clear).await;
    // She is told why.
    let told: protocol::Notification = ana_notes.next().await;
    assert_eq!(told.kind, protocol::events::NotificationKind::Moderation);
    assert!(
        told.title.contains("picture and display name"),
        "{}",
        told.title
    );
    // Everyone hears she shows by her username again; the bytes are gone.
    assert_eq!(
        bea.next::<Profile>().await,
        Profile {
            id: ana_user.id,
            avatar: None,
            name: None,
        }
    );
    assert!(!on_disk(&server, &url));
    let entry: protocol::AuditEntry = admin.next().await;
    assert_eq!(entry.action, protocol::events::AuditAction::ClearProfile);
    assert_eq!(entry.target.as_deref(), Some("ana"));
    assert_eq!(entry.detail.as_deref(), Some("picture and display name"));
    // Her account is untouched: she may choose another; by id works too, and clearing
    // nothing tells nobody (Bea's next profile event is Ana's next change).
    let again = profile_of(&set_picture(&server, &ana_token, png(40, 40)).await);
    assert_eq!(bea.next::<Profile>().await, again);
    let by_id = protocol::ClearProfileReq {
        username: None,
        id: Some(ana_user.id),
    };
    admin.ok(&by_id).await;
    let cleared: Profile = bea.next().await;
    assert_eq!(cleared.avatar, None);
    admin.ok(&by_id).await;
    let last = ana
        .ok(&protocol::SetDisplayNameReq { name: "Ana".into() })
        .await;
    assert_eq!(bea.next::<Profile>().await, last);
    for refused in [
        protocol::ClearProfileReq {
            username: Some("nobody".into()),
            id: None,
        },
        protocol::ClearProfileReq {
            username: None,
            id: Some(999_999),
        },
    ] {
        assert_eq!(admin.refused(&refused).await, ErrorCode::NotFound);
    }
    assert_eq!(
        admin.refused(&protocol::ClearProfileReq::default()).await,
        ErrorCode::BadRequest
    );
}
