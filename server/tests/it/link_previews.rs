//! Link previews (v1.16) over loopback: a message's first link becomes a preview the room is
//! told of, and the fetcher never reaches an address it may not (SSRF): loopback, private and
//! metadata addresses, names resolving to them, redirects to them, DNS answers that change
//! between two lookups; with oversized, slow and mistyped answers bounded.
//!
//! The "internet" here is a small HTTP server on 127.0.0.2, allowed by the policy; the
//! "victim" is one on 127.0.0.1 that counts every request it gets (it must get none).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use protocol::events::GENERAL_ROOM;
use protocol::{EditReq, HistoryReq, MessagePreview};
use server::links::address::AddressPolicy;
use server::links::fetch::{FetchError, Fetcher, Limits, Lookup, SystemLookup};
use url::Url;

use crate::common::TestServer;

/// A tiny PNG (3×2, opaque).
fn png() -> Vec<u8> {
    let image = image::RgbImage::from_pixel(3, 2, image::Rgb([200, 30, 30]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// Where the test servers listen.
#[derive(Clone)]
struct Sites {
    /// The allowed site (127.0.0.2).
    site: SocketAddr,
    /// The victim (127.0.0.1), counting requests.
    victim: SocketAddr,
    hits: Arc<AtomicUsize>,
    /// Requests for the site's `/page/article`.
    article_hits: Arc<AtomicUsize>,
}

async fn page(State(sites): State<Sites>, Path(name): Path<String>) -> Response {
    let html = |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body);
    let victim = sites.victim;
    let port = sites.site.port();
    match name.as_str() {
        "article" => {
            sites.article_hits.fetch_add(1, Ordering::SeqCst);
            html(
                r#"<!doctype html><html><head><title>Plain title</title>
            <meta property="og:title" content="The &quot;big&quot; release">
            <meta property="og:description" content="What changed, and why.">
            <meta property="og:site_name" content="Example News">
            <meta property="og:image" content="/image.png">
            </head><body>hello</body></html>"#
                    .to_owned(),
            )
            .into_response()
        }
        "second" => html("<title>Second page</title>".to_owned()).into_response(),
        "image.png" => ([(header::CONTENT_TYPE, "image/png")], png()).into_response(),
        // The image lives on the victim: the page previews, without it.
        "victim-image" => html(format!(
            "<title>Has a forbidden image</title>\
             <meta property=og:image content='http://{victim}/image.png'>"
        ))
        .into_response(),
        "to-victim" => redirect(&format!("http://{victim}/article")),
        "to-localhost" => redirect(&format!("http://localhost:{}/article", victim.port())),
        "to-metadata" => redirect("http://169.254.169.254/latest/meta-data/"),
        // Private networks (a router's admin page, a service inside the operator's network).
        "to-private-10" => redirect("http://10.0.0.1/admin"),
        "to-private-192" => redirect("http://192.168.1.1/"),
        "to-private-172" => redirect("http://172.16.0.1/"),
        "to-private-v6" => redirect("http://[fd00::1]/"),
        "to-file" => redirect("file:///etc/passwd"),
        "loop" => redirect("/page/loop"),
        "to-article" => redirect(&format!("http://127.0.0.2:{port}/page/article")),
        "json" => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"title":"no"}"#,
        )
            .into_response(),
        "huge" => {
            // The title comes first; what follows is far more than a page may be.
            let mut body = "<title>Huge but titled</title>".to_owned();
            body.push_str(&"<p>filler</p>".repeat(400_000));
            html(body).into_response()
        }
        "huge-image" => html(
            "<title>Huge image</title><meta property=og:image content=/page/huge-png>".to_owned(),
        )
        .into_response(),
        "huge-png" => (
            [(header::CONTENT_TYPE, "image/png")],
            vec![0u8; 8 * 1024 * 1024],
        )
            .into_response(),
        "slow" => {
            // Headers at once, then a byte now and then, forever.
            let drip = futures_util::stream::unfold(0u64, |n| async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((
                    Ok::<_, io::Error>(axum::body::Bytes::from_static(b" ")),
                    n + 1,
                ))
            });
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from_stream(drip))
                .unwrap()
        }
        "missing" => StatusCode::NOT_FOUND.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_owned())]).into_response()
}

/// Starts the allowed site and the victim on the same port of 127.0.0.2 and 127.0.0.1.
async fn sites() -> Sites {
    let hits = Arc::new(AtomicUsize::new(0));
    for _ in 0..20 {
        let site = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
        let port = site.local_addr().unwrap().port();
        let Ok(victim) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await else {
            continue;
        };
        let sites = Sites {
            site: site.local_addr().unwrap(),
            victim: victim.local_addr().unwrap(),
            hits: hits.clone(),
            article_hits: Arc::default(),
        };
        let app = Router::new()
            .route("/page/{name}", get(page))
            .route(
                "/image.png",
                get(|| async { ([(header::CONTENT_TYPE, "image/png")], png()) }),
            )
            .with_state(sites.clone());
        tokio::spawn(async move { axum::serve(site, app).await });
        let counted = hits.clone();
        let victim_app = Router::new().fallback(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { "<title>secret admin page</title>" }
        });
        tokio::spawn(async move { axum::serve(victim, victim_app).await });
        return sites;
    }
    panic!("no port free on both 127.0.0.1 and 127.0.0.2");
}

/// Names the tests resolve: `site.test` is the allowed site, `victim.test` the victim,
/// `both.test` both at once, `rebind.test` the site on its first lookup and the victim after;
/// anything else goes to the system.
struct TestLookup {
    lookups: AtomicUsize,
}

impl Lookup for TestLookup {
    fn lookup(
        &self,
        host: String,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>> {
        let site: IpAddr = "127.0.0.2".parse().unwrap();
        let victim: IpAddr = "127.0.0.1".parse().unwrap();
        let nth = self.lookups.fetch_add(1, Ordering::SeqCst);
        let answer = match host.as_str() {
            "site.test" => Some(vec![site]),
            "victim.test" => Some(vec![victim]),
            "both.test" => Some(vec![site, victim]),
            "rebind.test" => Some(vec![if nth == 0 { site } else { victim }]),
            _ => None,
        };
        match answer {
            Some(answer) => Box::pin(async move { Ok(answer) }),
            None => SystemLookup.lookup(host),
        }
    }
}

fn policy() -> AddressPolicy {
    AddressPolicy {
        public: false,
        allowed: vec!["127.0.0.2/32".parse().unwrap()],
    }
}

fn limits() -> Limits {
    Limits {
        connect: Duration::from_secs(2),
        total: Duration::from_millis(800),
        redirects: 3,
        page_bytes: 64 * 1024,
        image_bytes: 1024 * 1024,
    }
}

fn fetcher() -> Fetcher {
    let lookup = Arc::new(TestLookup {
        lookups: AtomicUsize::new(0),
    });
    Fetcher::new(policy(), lookup, limits()).unwrap()
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[tokio::test]
async fn the_fetcher_reads_allowed_pages_and_never_reaches_a_forbidden_address() {
    let sites = sites().await;
    let (site, victim) = (sites.site, sites.victim);
    let port = site.port();
    let fetcher = fetcher();

    // The allowed site, by address and by name.
    let (found_at, html) = fetcher
        .page(&url(&format!("http://{site}/page/article")))
        .await
        .unwrap();
    assert_eq!(found_at.path(), "/page/article");
    assert!(String::from_utf8_lossy(&html).contains("big"));
    fetcher
        .page(&url(&format!("http://site.test:{port}/page/second")))
        .await
        .unwrap();
    // A redirect within the allowed site is followed.
    let (found_at, _) = fetcher
        .page(&url(&format!("http://{site}/page/to-article")))
        .await
        .unwrap();
    assert_eq!(found_at.path(), "/page/article");

    // Forbidden: the victim by address (in every spelling the URL parser knows), by a name
    // resolving to it (the system's `localhost`, a test name, a name answering with an allowed
    // and a forbidden address), and every redirect to it or to cloud metadata.
    let refused = [
        format!("http://{victim}/page/article"),
        format!("http://127.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://victim.test:{port}/"),
        format!("http://both.test:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://{site}/page/to-victim"),
        format!("http://{site}/page/to-localhost"),
        format!("http://{site}/page/to-metadata"),
    ];
    for link in &refused {
        let error = fetcher.page(&url(link)).await.unwrap_err();
        assert!(matches!(error, FetchError::Refused), "{link}: {error:?}");
    }
    // With public addresses allowed (the default setting), private networks are still
    // refused, directly and by redirect, before any connection is tried: a router's admin
    // page, a service inside the operator's network, carrier-grade NAT, IPv6 unique-local and
    // link-local addresses.
    let public = Fetcher::new(
        AddressPolicy {
            public: true,
            ..policy()
        },
        Arc::new(TestLookup {
            lookups: AtomicUsize::new(0),
        }),
        limits(),
    )
    .unwrap();
    let private = [
        "http://10.0.0.1/admin".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://172.16.0.1/".to_owned(),
        "http://100.64.0.1/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        "http://[fe80::1]/".to_owned(),
        format!("http://{site}/page/to-private-10"),
        format!("http://{site}/page/to-private-192"),
        format!("http://{site}/page/to-private-172"),
        format!("http://{site}/page/to-private-v6"),
        format!("http://{site}/page/to-victim"),
    ];
    for link in &private {
        let error = public.page(&url(link)).await.unwrap_err();
        assert!(matches!(error, FetchError::Refused), "{link}: {error:?}");
    }
    // The same fetcher still reads the allowed site (so the refusals above are the ranges').
    public
        .page(&url(&format!("http://{site}/page/second")))
        .await
        .unwrap();
    // Other schemes, redirect loops.
    let error = fetcher
        .page(&url(&format!("http://{site}/page/to-file")))
        .await
        .unwrap_err();
    // A redirect to another scheme is not followed: the answer stays the redirect, no page.
    assert!(matches!(error, FetchError::Status(302)), "{error:?}");
    assert!(matches!(
        fetcher.page(&url("file:///etc/passwd")).await,
        Err(FetchError::Scheme)
    ));
    assert!(matches!(
        fetcher
            .page(&url(&format!("http://{site}/page/loop")))
            .await,
        Err(FetchError::Redirects)
    ));

    // A name that answers the allowed site first and the victim on the next lookup (DNS
    // rebinding): a connection is made to the very answer that was checked, without a second
    // lookup an attacker could answer differently; the next connection's lookup is checked
    // again, and refused.
    let lookup = Arc::new(TestLookup {
        lookups: AtomicUsize::new(0),
    });
    let rebinding = Fetcher::new(policy(), lookup.clone(), limits()).unwrap();
    rebinding
        .page(&url(&format!("http://rebind.test:{port}/page/second")))
        .await
        .unwrap();
    assert_eq!(
        lookup.lookups.load(Ordering::SeqCst),
        1,
        "one lookup, checked"
    );
    let fresh = Fetcher::new(policy(), lookup.clone(), limits()).unwrap();
    assert!(matches!(
        fresh
            .page(&url(&format!("http://rebind.test:{port}/page/second")))
            .await,
        Err(FetchError::Refused)
    ));
    assert_eq!(lookup.lookups.load(Ordering::SeqCst), 2);

    assert_eq!(
        sites.hits.load(Ordering::SeqCst),
        0,
        "the victim was reached"
    );
}

#[tokio::test]
async fn hostile_answers_are_bounded_in_size_time_and_type() {
    let sites = sites().await;
    let site = sites.site;
    let fetcher = fetcher();

    // A page far larger than allowed is read up to the limit (its title is at the start).
    let (_, html) = fetcher
        .page(&url(&format!("http://{site}/page/huge")))
        .await
        .unwrap();
    assert_eq!(html.len(), limits().page_bytes);
    // An image larger than allowed is not used at all.
    assert!(matches!(
        fetcher
            .image(&url(&format!("http://{site}/page/huge-png")))
            .await,
        Err(FetchError::TooLarge(_))
    ));
    // A page that never ends is given up within the time allowed.
    let started = Instant::now();
    assert!(matches!(
        fetcher
            .page(&url(&format!("http://{site}/page/slow")))
            .await,
        Err(FetchError::Http(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(5));
    // Wrong types and failures.
    assert!(matches!(
        fetcher.page(&url(&format!("http://{site}/page/json"))).await,
        Err(FetchError::ContentType(kind)) if kind == "application/json"
    ));
    assert!(matches!(
        fetcher
            .image(&url(&format!("http://{site}/page/article")))
            .await,
        Err(FetchError::ContentType(_))
    ));
    assert!(matches!(
        fetcher
            .page(&url(&format!("http://{site}/page/missing")))
            .await,
        Err(FetchError::Status(404))
    ));
    assert_eq!(sites.hits.load(Ordering::SeqCst), 0);
}

/// A server whose previews fetch from the test site only.
async fn previewing_server() -> TestServer {
    TestServer::spawn_with(|config| {
        config.link_previews = true;
        config.link_preview_public = false;
        config.link_preview_allow = vec!["127.0.0.2/32".parse().unwrap()];
    })
    .await
}

#[tokio::test]
async fn a_links_preview_reaches_the_room_and_reads_back_with_the_message() {
    let sites = sites().await;
    let site = sites.site;
    let server = previewing_server().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let link = format!("http://{site}/page/article");
    let said = ana
        .say(
            GENERAL_ROOM,
            &format!("`http://{site}/page/second` is old; read {link} now"),
        )
        .await
        .unwrap()
        .message;

    let event = bea.next::<MessagePreview>().await;
    assert_eq!((event.room.as_str(), event.id), (GENERAL_ROOM, said.id));
    let preview = event.preview.expect("a preview");
    assert_eq!(preview.url, link);
    assert_eq!(preview.title, "The \"big\" release");
    assert_eq!(
        preview.description.as_deref(),
        Some("What changed, and why.")
    );
    assert_eq!(preview.site, "Example News");
    let image = preview.image_url.clone().expect("an image");
    assert!(image.starts_with("/api/link-images/"), "{image}");

    // The image is served from here, to people signed in, as the bounded copy.
    let (_, token) = server.guest("cid").await;
    let bearer = format!("Bearer {token}");
    let signed_in = [("authorization", bearer.as_str())];
    let answer = server.get(&image, &signed_in).await;
    assert_eq!(answer.status, StatusCode::OK);
    // An opaque image's copy is a JPEG.
    assert_eq!(answer.headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(
        server.get(&image, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let unknown = format!("/api/link-images/{}", "ab".repeat(16));
    assert_eq!(
        server.get(&unknown, &signed_in).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server
            .get("/api/link-images/..%2F..%2Fetc", &signed_in)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // History carries it.
    let page = bea
        .ok(&HistoryReq {
            room: GENERAL_ROOM.into(),
            before: None,
            after: None,
            limit: Some(10),
            ..HistoryReq::default()
        })
        .await;
    let read = page.messages.iter().find(|m| m.id == said.id).unwrap();
    assert_eq!(read.preview.as_deref(), Some(&preview));

    // The same link again: the kept preview, no second fetch.
    assert_eq!(sites.article_hits.load(Ordering::SeqCst), 1);
    let again = ana.say(GENERAL_ROOM, &link).await.unwrap().message;
    let event = bea
        .next_where::<MessagePreview>(|event| event.id == again.id)
        .await;
    assert_eq!(
        event.preview.as_ref().map(|p| &p.title),
        Some(&preview.title)
    );
    assert_eq!(sites.article_hits.load(Ordering::SeqCst), 1, "fetched once");

    // An edit to another link previews that one; an edit without a link has none.
    let second = format!("http://{site}/page/second");
    let edited = ana
        .ok(&EditReq {
            id: said.id,
            text: format!("actually {second}"),
        })
        .await
        .message;
    assert_eq!(edited.preview, None);
    let event = bea
        .next_where::<MessagePreview>(|event| event.id == said.id)
        .await;
    assert_eq!(
        event.preview.as_ref().map(|p| p.url.as_str()),
        Some(second.as_str())
    );
    let edited = ana
        .ok(&EditReq {
            id: said.id,
            text: "no link any more".into(),
        })
        .await
        .message;
    assert_eq!(edited.preview, None);
    assert_eq!(sites.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn links_to_forbidden_addresses_get_no_preview_and_reach_nothing() {
    let sites = sites().await;
    let (site, victim) = (sites.site, sites.victim);
    let server = previewing_server().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let forbidden = [
        format!("http://{victim}/page/article"),
        format!("http://localhost:{}/page/article", victim.port()),
        format!("http://{site}/page/to-victim"),
        format!("http://{site}/page/to-metadata"),
        format!("http://{site}/page/json"),
    ];
    let mut ids = Vec::new();
    for link in &forbidden {
        ids.push(
            ana.say(GENERAL_ROOM, &format!("look {link}"))
                .await
                .unwrap()
                .message
                .id,
        );
    }
    // A page whose image is on a forbidden address previews without it.
    let last = ana
        .say(GENERAL_ROOM, &format!("http://{site}/page/victim-image"))
        .await
        .unwrap()
        .message;
    let event = bea.next::<MessagePreview>().await;
    assert_eq!(event.id, last.id, "only the allowed page previews");
    let preview = event.preview.unwrap();
    assert_eq!(preview.title, "Has a forbidden image");
    assert_eq!(preview.image_url, None);
    // Each forbidden link was tried and kept as giving nothing (no event says so: the store
    // is asked until it does).
    crate::wait::within(
        "the forbidden links tried",
        Duration::from_secs(30),
        async {
            loop {
                let mut tried = 0;
                for link in &forbidden {
                    let fetched = server.store().link_fetched(link).await.unwrap();
                    assert!(!fetched.is_some_and(|(_, found)| found), "{link} previewed");
                    tried += usize::from(fetched.is_some());
                }
                if tried == forbidden.len() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        },
    )
    .await;
    for id in ids {
        let record = server.store().message(id).await.unwrap().unwrap();
        assert_eq!(record.message.preview, None);
    }
    assert_eq!(
        sites.hits.load(Ordering::SeqCst),
        0,
        "the victim was reached"
    );
}

#[tokio::test]
async fn previews_are_off_when_the_setting_says_so() {
    let sites = sites().await;
    let server = TestServer::spawn_with(|config| {
        config.link_previews = false;
        config.link_preview_public = false;
        config.link_preview_allow = vec!["127.0.0.2/32".parse().unwrap()];
    })
    .await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let link = format!("http://{}/page/article", sites.site);
    ana.say(GENERAL_ROOM, &link).await.unwrap();
    assert!(
        bea.try_next_within::<MessagePreview>(Duration::from_millis(500))
            .await
            .is_none()
    );
}
