//! Attachments over loopback: uploading to a room, sending with a message, downloading with
//! the right headers, and who may do each; content sniffing; previews; oversized uploads
//! refused before they are read.

use crate::common::{TestServer, WAIT};
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use protocol::links::{self, files as fields};
use protocol::{
    Attachment, CreateRoomReq, DeleteReq, ErrorCode, HistoryReq, InviteReq, Message, MessageReq,
    MessageRes,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const BOUNDARY: &str = "tertulia-test-boundary";
const GENERAL: &str = protocol::events::GENERAL_ROOM;

/// A `multipart/form-data` body with the given parts: `(name, filename, bytes)`.
pub(crate) fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match filename {
            Some(file) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: image/png\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The router's raw answer: status, headers, bytes.
pub(crate) async fn call(
    server: &TestServer,
    request: Request<Body>,
) -> (StatusCode, header::HeaderMap, Bytes) {
    let response = server.app.router().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes)
}

/// Uploads `bytes` as `filename` to `room` with a bearer token.
pub(crate) async fn upload(
    server: &TestServer,
    token: &str,
    room: &str,
    filename: &str,
    bytes: &[u8],
) -> (StatusCode, serde_json::Value) {
    let body = form(&[
        (fields::ROOM, None, room.as_bytes()),
        (fields::FILE, Some(filename), bytes),
    ]);
    post_form(server, Some(token), body).await
}

async fn post_form(
    server: &TestServer,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let mut request = Request::post(links::FILES).header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let (status, _, bytes) = call(server, request.body(Body::from(body)).unwrap()).await;
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

async fn download(
    server: &TestServer,
    token: Option<&str>,
    url: &str,
) -> (StatusCode, header::HeaderMap, Bytes) {
    let mut request = Request::get(url);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    call(server, request.body(Body::empty()).unwrap()).await
}

fn error_code(body: &serde_json::Value) -> ErrorCode {
    serde_json::from_value::<protocol::http::HttpError>(body.clone())
        .unwrap_or_else(|e| panic!("not an error ({e}): {body}"))
        .error
        .code
}

/// A real PNG photo-like image of `width` × `height`.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn with_files(room: &str, text: &str, files: &[&str]) -> MessageReq {
    MessageReq {
        room: room.into(),
        text: text.into(),
        attachments: files.iter().map(|id| (*id).to_owned()).collect(),
        ..MessageReq::default()
    }
}

#[tokio::test]
async fn members_upload_send_and_download_files_and_outsiders_cannot() {
    let server = TestServer::spawn().await;
    let (owner, _, owner_token) = server.chat_guest_with_token("owner").await;
    let (mut ana, _, ana_token) = server.chat_guest_with_token("ana").await;
    let (bea, _, bea_token) = server.chat_guest_with_token("bea").await;
    owner
        .ok(&CreateRoomReq {
            name: "den".into(),
            topic: None,
            private: true,
        })
        .await;
    owner
        .ok(&InviteReq {
            room: "den".into(),
            username: "ana".into(),
        })
        .await;
    owner.join("den").await;
    ana.join("den").await;

    // An outsider cannot upload to a private room (it does not exist for them).
    let photo = png(1200, 800);
    let (status, body) = upload(&server, &bea_token, "den", "photo.png", &photo).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, ErrorCode::NotFound)
    );

    // The owner uploads a photo; its name is made safe and its type found in the content.
    let (status, body) = upload(&server, &owner_token, "den", "../../holiday.png", &photo).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let attachment: Attachment = serde_json::from_value(body).unwrap();
    assert_eq!(attachment.name, "holiday.png");
    assert_eq!(attachment.size, photo.len() as u64);
    assert_eq!(attachment.content_type, "image/png");
    assert_eq!(attachment.url, links::file(&attachment.id));
    let preview_url = attachment
        .preview_url
        .clone()
        .expect("an image has a preview");

    // Until it is sent, only the uploader sees it.
    let (status, _, _) = download(&server, Some(&ana_token), &attachment.url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, bytes) = download(&server, Some(&owner_token), &attachment.url).await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, photo.len()));

    // Nobody else can send it; the uploader sends it once, with no text, and the room sees it.
    let refused = bea
        .refused(&with_files(GENERAL, "mine now", &[&attachment.id]))
        .await;
    assert_eq!(refused, ErrorCode::NotMember);
    bea.join(GENERAL).await;
    let refused = bea
        .refused(&with_files(GENERAL, "mine now", &[&attachment.id]))
        .await;
    assert_eq!(refused, ErrorCode::BadRequest);
    let sent: MessageRes = owner.ok(&with_files("den", "  ", &[&attachment.id])).await;
    assert_eq!(sent.message.text, "");
    assert_eq!(sent.message.attachments, std::slice::from_ref(&attachment));
    let seen: Message = ana.next().await;
    assert_eq!(seen.attachments, std::slice::from_ref(&attachment));
    let again = owner
        .refused(&with_files("den", "twice", &[&attachment.id]))
        .await;
    assert_eq!(again, ErrorCode::BadRequest);
    // An empty message is still refused without files.
    assert_eq!(
        owner.refused(&with_files("den", " ", &[])).await,
        ErrorCode::EmptyMessage
    );

    // Members download it, with headers that keep the browser from running or sniffing it.
    let (status, headers, bytes) = download(&server, Some(&ana_token), &attachment.url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&bytes[..], &photo[..]);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"holiday.png\"; filename*=UTF-8''holiday.png"
    );
    assert!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    // The preview is a bounded image, shown inline.
    let (status, headers, bytes) = download(&server, Some(&ana_token), &preview_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let preview = image::load_from_memory(&bytes).unwrap();
    assert_eq!((preview.width(), preview.height()), (480, 320));

    // Outsiders and anonymous callers get nothing.
    let (status, _, _) = download(&server, Some(&bea_token), &attachment.url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = download(&server, Some(&bea_token), &preview_url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = download(&server, None, &attachment.url).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = download(&server, Some(&ana_token), "/api/files/..%2F..%2Fetc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // History carries the files; deleting the message deletes them.
    let history = ana
        .ok(&HistoryReq {
            room: "den".into(),
            before: None,
            after: None,
            limit: None,
            ..HistoryReq::default()
        })
        .await;
    let last = history.messages.last().unwrap();
    assert_eq!(last.attachments, std::slice::from_ref(&attachment));
    let on_disk = server.app.file_path(&attachment.id, false);
    assert!(on_disk.exists());
    owner
        .ok(&DeleteReq {
            id: sent.message.id,
        })
        .await;
    let (status, _, _) = download(&server, Some(&ana_token), &attachment.url).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!on_disk.exists());
    assert!(!server.app.file_path(&attachment.id, true).exists());
}

#[tokio::test]
async fn the_content_decides_the_type_not_the_name() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let page = b"<html><script>alert(document.cookie)</script></html>";
    let (status, body) = upload(&server, &token, GENERAL, "cat.png", page).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let attachment: Attachment = serde_json::from_value(body).unwrap();
    assert_eq!(attachment.content_type, "text/plain; charset=utf-8");
    assert_eq!(attachment.preview_url, None);
    let (status, headers, _) = download(&server, Some(&token), &attachment.url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );

    // Bytes that claim to be a PNG but are not decodable: kept as a file, no preview.
    let broken = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRbroken";
    let (status, body) = upload(&server, &token, GENERAL, "broken.png", broken).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let attachment: Attachment = serde_json::from_value(body).unwrap();
    assert_eq!(
        (attachment.content_type.as_str(), attachment.preview_url),
        ("image/png", None)
    );
}

#[tokio::test]
async fn malformed_forms_get_clear_errors() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let bad = |body: &serde_json::Value| error_code(body);

    // Not a form at all.
    let answer = server
        .post(
            links::FILES,
            serde_json::json!({ fields::ROOM: GENERAL }),
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(answer.code(), ErrorCode::BadRequest);
    // The file before the room, an unknown field, a missing file, an empty file.
    let (status, body) = post_form(
        &server,
        Some(&token),
        form(&[
            (fields::FILE, Some("a.txt"), b"hi"),
            (fields::ROOM, None, GENERAL.as_bytes()),
        ]),
    )
    .await;
    assert_eq!(
        (status, bad(&body)),
        (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
    );
    let (status, body) = post_form(
        &server,
        Some(&token),
        form(&[
            (fields::ROOM, None, GENERAL.as_bytes()),
            ("extra", None, b"x"),
        ]),
    )
    .await;
    assert_eq!(
        (status, bad(&body)),
        (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
    );
    let (status, _) = post_form(
        &server,
        Some(&token),
        form(&[(fields::ROOM, None, GENERAL.as_bytes())]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = upload(&server, &token, GENERAL, "empty.txt", b"").await;
    assert_eq!(
        (status, bad(&body)),
        (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
    );
    // No session; an unknown room.
    let (status, _) = post_form(
        &server,
        None,
        form(&[(fields::ROOM, None, GENERAL.as_bytes())]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = upload(&server, &token, "nowhere", "a.txt", b"hi").await;
    assert_eq!(
        (status, bad(&body)),
        (StatusCode::NOT_FOUND, ErrorCode::NotFound)
    );
    // Nothing half written is left behind.
    let tmp = server.app.config().files_dir.join("tmp");
    let left = std::fs::read_dir(&tmp).map(|dir| dir.count()).unwrap_or(0);
    assert_eq!(left, 0, "partial uploads left in {}", tmp.display());
}

#[tokio::test]
async fn a_cookie_upload_from_another_site_is_refused() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let body = form(&[
        (fields::ROOM, None, GENERAL.as_bytes()),
        (fields::FILE, Some("a.txt"), b"hi"),
    ]);
    let request = Request::post(links::FILES)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::COOKIE, format!("tertulia_session={token}"))
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from(body))
        .unwrap();
    let (status, _, _) = call(&server, request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Sends a request head over TCP, then up to `body_bytes` of body (chunked when no length is
/// declared) while reading the answer; returns the status line and the body bytes written
/// by the time the answer arrived.
async fn oversized_upload(
    server: &TestServer,
    token: &str,
    declared: Option<u64>,
    body_bytes: u64,
) -> (String, u64) {
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let length = match declared {
        Some(length) => format!("Content-Length: {length}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_owned(),
    };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{length}\r\n",
        links::FILES,
        server.addr
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let chunked = declared.is_none();
    let feeder = {
        let written = written.clone();
        tokio::spawn(async move {
            let mut first = form(&[(fields::ROOM, None, GENERAL.as_bytes())]);
            // Drop the closing boundary: the file part follows.
            first.truncate(first.len() - (BOUNDARY.len() + 6));
            first.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
                     filename=\"huge.bin\"\r\n\r\n"
                )
                .as_bytes(),
            );
            let filler = vec![b'x'; 64 * 1024];
            let mut pieces = vec![first];
            let mut sent = 0;
            while sent < body_bytes {
                pieces.push(filler.clone());
                sent += filler.len() as u64;
                for piece in pieces.drain(..) {
                    let framed = if chunked {
                        let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
                        framed.extend_from_slice(&piece);
                        framed.extend_from_slice(b"\r\n");
                        framed
                    } else {
                        piece
                    };
                    if writer.write_all(&framed).await.is_err() {
                        return;
                    }
                    written.fetch_add(framed.len() as u64, std::sync::atomic::Ordering::SeqCst);
                }
            }
        })
    };
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(WAIT, async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = reader.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the connection closed without an answer");
            answer.extend_from_slice(&buffer[..n]);
        }
    })
    .await
    .expect("an answer while the body is still coming");
    let at_answer = written.load(std::sync::atomic::Ordering::SeqCst);
    feeder.abort();
    let status = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    (status, at_answer)
}

/// The message of an error answer.
fn error_message(body: &serde_json::Value) -> String {
    serde_json::from_value::<protocol::http::HttpError>(body.clone())
        .unwrap_or_else(|e| panic!("not an error ({e}): {body}"))
        .error
        .message
}

#[tokio::test]
async fn guests_from_one_address_share_one_budget_and_an_address_has_a_budget_too() {
    // Every client of this test comes from the same address: its budget is 3 × 10,000.
    let server = TestServer::spawn_with(|c| {
        c.upload_quota = 10_000;
        c.ip_quota_factor = 3;
    })
    .await;
    let bytes = |n: usize| vec![b'a'; n];
    let (_, ana) = server.guest("ana").await;
    let (_, bea) = server.guest("bea").await;
    let (status, body) = upload(&server, &ana, GENERAL, "a.txt", &bytes(6_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A second guest does not bring a fresh budget.
    let (status, body) = upload(&server, &bea, GENERAL, "b.txt", &bytes(6_000)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), ErrorCode::RateLimited);
    assert!(
        error_message(&body).contains("guests from your network"),
        "{body}"
    );
    // Members have their own quotas, within the address's.
    let (_, cy) = server.register("cy", "correct horse battery").await;
    let (_, dan) = server.register("dan", "correct horse battery").await;
    let (_, eve) = server.register("eve", "correct horse battery").await;
    for (token, name) in [(&cy, "c.txt"), (&dan, "d.txt")] {
        let (status, body) = upload(&server, token, GENERAL, name, &bytes(9_000)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // 24,000 of the address's 30,000 are spent: Eve's 9,000 would pass it.
    let (status, body) = upload(&server, &eve, GENERAL, "e.txt", &bytes(9_000)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        error_message(&body).contains("your network may upload"),
        "{body}"
    );
    let (status, body) = upload(&server, &eve, GENERAL, "e.txt", &bytes(5_000)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_operator_can_keep_guests_from_uploading() {
    let server = TestServer::spawn_with(|c| c.guest_uploads = false).await;
    let (_, guest) = server.guest("ana").await;
    let (status, body) = upload(&server, &guest, GENERAL, "a.txt", b"hello").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        error_message(&body).contains("registered accounts only"),
        "{body}"
    );
    let (_, member) = server.register("bea", "correct horse battery").await;
    let (status, body) = upload(&server, &member, GENERAL, "b.txt", b"hello").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_full_files_budget_stops_uploads_and_nothing_else() {
    let server = TestServer::spawn_with(|c| c.files_budget = 10_000).await;
    let (ana, _, ana_token) = server.chat_guest_with_token("ana").await;
    let (_, bea) = server.register("bea", "correct horse battery").await;
    ana.join(GENERAL).await;
    let (status, body) = upload(&server, &ana_token, GENERAL, "a.txt", &[b'a'; 6_000]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let file: Attachment = serde_json::from_value(body).unwrap();
    let (status, body) = upload(&server, &bea, GENERAL, "b.txt", &[b'b'; 6_000]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        error_message(&body).contains("space for files is full"),
        "{body}"
    );
    // Everything else goes on: messages, with the file already uploaded too.
    let sent: MessageRes = ana
        .ok(&with_files(GENERAL, "here it is", &[&file.id]))
        .await;
    ana.say(GENERAL, "and more").await.unwrap();
    // Deleting the message frees its file's space.
    ana.ok(&DeleteReq {
        id: sent.message.id,
    })
    .await;
    let (status, body) = upload(&server, &bea, GENERAL, "b.txt", &[b'b'; 6_000]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn uploads_stop_at_each_users_daily_quota() {
    let server = TestServer::spawn_with(|c| c.upload_quota = 10_000).await;
    let (_, ana) = server.guest("ana").await;
    // A member: guests from one address share one budget (below).
    let (_, bea) = server.register("bea", "correct horse battery").await;
    let bytes = |n: usize| vec![b'a'; n];
    let (status, body) = upload(
        &server,
        &ana,
        protocol::events::GENERAL_ROOM,
        "one.txt",
        &bytes(6_000),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // 4,000 bytes are left: a 6,000-byte file is refused (and not kept), a 3,000-byte one not.
    let (status, body) = upload(
        &server,
        &ana,
        protocol::events::GENERAL_ROOM,
        "two.txt",
        &bytes(6_000),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_code(&body), ErrorCode::RateLimited);
    let (status, body) = upload(
        &server,
        &ana,
        protocol::events::GENERAL_ROOM,
        "three.txt",
        &bytes(3_000),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = upload(
        &server,
        &ana,
        protocol::events::GENERAL_ROOM,
        "four.txt",
        &bytes(2_000),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Someone else's quota is their own.
    let (status, body) = upload(
        &server,
        &bea,
        protocol::events::GENERAL_ROOM,
        "one.txt",
        &bytes(6_000),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_50_mb_upload_is_refused_without_the_server_reading_it() {
    const FIFTY_MB: u64 = 50 * 1024 * 1024;
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("ana").await;
    let limit = server.app.config().max_upload;
    assert_eq!(limit, protocol::validate::UPLOAD_MAX_DEFAULT);

    // Declared too large: refused from the headers alone, before any body byte is sent.
    let (status, written) = oversized_upload(&server, &token, Some(FIFTY_MB), 0).await;
    assert!(status.contains(" 413 "), "{status}");
    assert_eq!(written, 0);

    // Streamed without a length: refused once the limit is passed, long before 50 MB; the
    // bytes went to a partial file, which is gone.
    let (status, written) = oversized_upload(&server, &token, None, FIFTY_MB).await;
    assert!(status.contains(" 413 "), "{status}");
    assert!(
        written < limit + 16 * 1024 * 1024,
        "the server read {written} bytes of a 50 MB upload"
    );
    // The partial file is removed before the answer is written.
    let tmp = server.app.config().files_dir.join("tmp");
    assert_eq!(
        std::fs::read_dir(&tmp).map(|dir| dir.count()).unwrap_or(0),
        0
    );

    // A file at the limit is fine.
    let exact = vec![0u8; usize::try_from(limit).unwrap()];
    let (status, body) = upload(&server, &token, GENERAL, "exact.bin", &exact).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let attachment: Attachment = serde_json::from_value(body).unwrap();
    assert_eq!(
        (attachment.size, attachment.content_type.as_str()),
        (limit, "application/octet-stream")
    );
}

/// An upload of `png` as `token`, as a request for the router.
fn upload_request(token: &str, png: &[u8]) -> Request<Body> {
    let body = form(&[
        (fields::ROOM, None, GENERAL.as_bytes()),
        (fields::FILE, Some("big.png"), png),
    ]);
    Request::post(links::FILES)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap()
}

/// At most two images decode at once, even when clients give up: a decode keeps its turn until
/// it ends, so uploads that wait are not let in beside decodes still running for clients that
/// left. Others' messages are answered meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_give_up_do_not_free_a_decode_turn() {
    let server = TestServer::spawn().await;
    let (_, token) = server.guest("pia").await;
    let bystander = server.bystander("bob").await;
    // 4,000 × 4,000 pixels: 48 MB decoded, a few hundred KB on disk, some time to decode.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(4_000, 4_000, image::Rgb([90, 140, 200]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let router = server.app.router();
    let send = |count: usize| -> Vec<tokio::task::JoinHandle<_>> {
        (0..count)
            .map(|_| tokio::spawn(router.clone().oneshot(upload_request(&token, &png))))
            .collect()
    };
    // Two clients give up while their images decode.
    let quitters = send(2);
    let started = std::time::Instant::now();
    while server.metric("tertulia_previews_in_progress") < 2 {
        assert!(started.elapsed() < WAIT, "the two decodes did not start");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    for quitter in &quitters {
        quitter.abort();
    }
    // Four patient uploads: never more than two decodes at once.
    let patient = send(4);
    let mut most = 0;
    while !patient.iter().all(tokio::task::JoinHandle::is_finished) {
        most = most.max(server.metric("tertulia_previews_in_progress"));
        assert!(started.elapsed() < WAIT * 3, "the uploads did not finish");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(most <= 2, "{most} decodes ran at once");
    bystander.still_served("still answered").await;
    for upload in patient {
        let response = upload.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let attachment: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(attachment["preview_url"].is_string(), "{attachment}");
    }
}
