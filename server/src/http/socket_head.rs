//! Owned request heads for Engine.IO connections.
//!
//! socketioxide keeps each connection's HTTP request head (URI, headers, extensions) for as
//! long as the connection lives (`SocketRef::req_parts`). hyper parses the URI and the header
//! values as slices of the connection's read buffer, and axum's router stores a clone of the
//! URI as `OriginalUri`, so keeping the head kept that whole buffer: measured with heaptrack,
//! about 15 KiB per idle connection. This middleware gives Socket.IO requests a head of their
//! own (about 1 KiB for a browser) before the Socket.IO layer sees them; other requests are not
//! touched. Of the request's extensions it keeps only what the socket layers read: the client's
//! address and hyper's upgrade handle (the router's URI copies and path parameters went with
//! every connection too).

use axum::extract::Request;
use axum::http::{Extensions, HeaderMap, HeaderValue, Uri};
use axum::middleware::Next;
use axum::response::Response;

use crate::client_addr::ClientAddr;

/// Whether a request path is Engine.IO's (the Socket.IO endpoint).
pub(super) fn is_socket_io(path: &str) -> bool {
    path.starts_with("/socket.io")
}

/// Whether an Engine.IO request opens a session (it names no `sid` yet). Only these requests'
/// heads are kept for the session's lifetime; every later request of the session names it.
pub(super) fn opens_session(uri: &Uri) -> bool {
    !uri.query()
        .unwrap_or_default()
        .split('&')
        .any(|pair| pair.starts_with("sid="))
}

/// Replaces the URI and header values of a request that opens an Engine.IO session with
/// copies that own their bytes, and keeps only the extensions the socket layers read (the
/// session's later requests, such as every long-poll, are not touched).
pub async fn own_socket_request_head(mut request: Request, next: Next) -> Response {
    if is_socket_io(request.uri().path()) && opens_session(request.uri()) {
        own_head(&mut request);
    }
    next.run(request).await
}

/// Copies the URI and every header value into allocations of their own, and keeps of the
/// extensions only the [`ClientAddr`] and the upgrade handle (the websocket transport's).
fn own_head(request: &mut Request) {
    if let Ok(uri) = request.uri().to_string().parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    let mut kept = Extensions::new();
    if let Some(upgrade) = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
    {
        kept.insert(upgrade);
    }
    if let Some(addr) = request.extensions().get::<ClientAddr>() {
        kept.insert(*addr);
    }
    *request.extensions_mut() = kept;
    let mut headers = HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        headers.append(name.clone(), owned(value));
    }
    *request.headers_mut() = headers;
}

/// A copy of `value` that shares nothing with the buffer it was parsed from.
fn owned(value: &HeaderValue) -> HeaderValue {
    let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
    copy.set_sensitive(value.is_sensitive());
    copy
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use axum::body::{Body, Bytes};
    use axum::extract::OriginalUri;

    use super::*;

    /// Whether `part` lies inside `buffer`'s memory.
    fn inside(buffer: &Bytes, part: &[u8]) -> bool {
        buffer.as_ptr_range().contains(&part.as_ptr())
    }

    #[test]
    fn only_requests_without_a_session_id_open_a_session() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(opens_session(&uri("/socket.io/?EIO=4&transport=polling")));
        assert!(opens_session(&uri("/socket.io/?EIO=4&transport=websocket")));
        assert!(opens_session(&uri("/socket.io/")));
        assert!(opens_session(&uri("/socket.io/?EIO=4&xsid=1")));
        assert!(!opens_session(&uri(
            "/socket.io/?EIO=4&transport=polling&sid=abc"
        )));
        assert!(!opens_session(&uri(
            "/socket.io/?sid=abc&transport=websocket"
        )));
        assert!(is_socket_io("/socket.io/"));
        assert!(!is_socket_io("/api/me"));
    }

    #[test]
    fn the_head_no_longer_points_into_the_read_buffer() {
        // What hyper and axum do: one read buffer, the URI and the values as slices of it, and
        // the router's copy of the URI.
        let buffer = Bytes::from(
            "/socket.io/?EIO=4&transport=websocket|http://127.0.0.1:3000|tertulia_session=abc"
                .to_owned()
                .into_bytes(),
        );
        let uri = Uri::from_maybe_shared(buffer.slice(0..37)).unwrap();
        let origin = HeaderValue::from_maybe_shared(buffer.slice(38..59)).unwrap();
        let mut cookie = HeaderValue::from_maybe_shared(buffer.slice(60..)).unwrap();
        cookie.set_sensitive(true);
        assert!(
            inside(&buffer, origin.as_bytes()),
            "the setup shares the buffer"
        );
        let addr = ClientAddr::new(IpAddr::from([192, 0, 2, 7]));
        let mut request = Request::builder()
            .uri(uri.clone())
            .extension(OriginalUri(uri))
            .extension(addr)
            .header("origin", origin)
            .header("cookie", cookie.clone())
            .header("cookie", HeaderValue::from_static("second=1"))
            .body(Body::empty())
            .unwrap();

        own_head(&mut request);

        assert_eq!(
            request.uri().to_string(),
            "/socket.io/?EIO=4&transport=websocket"
        );
        assert!(!inside(&buffer, request.uri().path().as_bytes()));
        assert!(
            request.extensions().get::<OriginalUri>().is_none(),
            "the router's copy of the URI is not kept"
        );
        assert_eq!(request.extensions().get::<ClientAddr>(), Some(&addr));
        let origin = &request.headers()["origin"];
        assert_eq!(origin, "http://127.0.0.1:3000");
        assert!(!inside(&buffer, origin.as_bytes()));
        let cookies: Vec<_> = request.headers().get_all("cookie").iter().collect();
        assert_eq!(cookies, [&cookie, &HeaderValue::from_static("second=1")]);
        assert!(cookies[0].is_sensitive(), "sensitivity is kept");
        assert!(!inside(&buffer, cookies[0].as_bytes()));
    }
}
