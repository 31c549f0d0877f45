//! Middlewares every request passes: the `Host` check (DNS rebinding), CSRF / Origin checks
//! for cookie-authenticated requests and socket handshakes, the handshake rate, and security
//! headers on every response.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::socket_head::{is_socket_io, opens_session};
use super::state::NodeId;
use crate::auth::{CredentialSource, cookie_token, named_cookie, request_token};
use crate::client_addr::client_of;
use crate::config::Config;
use crate::error::AppError;
use crate::hub::Hub;
use crate::live::limits::{Action, Subject};
use crate::origin::Site;
use crate::services::Services;

/// Refuses requests for a host that is not this site (a page on another domain that resolves
/// to this server, as in DNS rebinding, names its own host). Requests without a host name
/// (HTTP/1.0, in-process calls) have nothing to check.
pub async fn host_guard(State(site): State<Arc<Site>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(ToString::to_string));
    if let Some(host) = host
        && !site.host_allowed(&host)
    {
        tracing::warn!(%host, "request for a host that is not this site refused");
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "This server does not answer for that host name.\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// Refuses state-changing API calls that ride on the session cookie from a foreign origin.
/// Bearer-token calls are not ambient credentials and pass.
pub async fn csrf_guard(State(hub): State<Hub>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let by_cookie = matches!(
        request_token(request.headers(), hub.config.secure_cookies),
        Some((_, CredentialSource::Cookie))
    );
    if unsafe_method && by_cookie && !hub.site.origin_allowed(request.headers()) {
        return AppError::forbidden("cross-site request refused").into_response();
    }
    next.run(request).await
}

/// Page requests (not the API, the socket or a static file) learn who is signed in, so the
/// server renders the signed-in page from the first byte (see `app::session`).
pub async fn page_session(
    State(services): State<Services>,
    mut request: Request,
    next: Next,
) -> Response {
    let hub = &services.hub;
    let path = request.uri().path();
    let is_page = request.method() == axum::http::Method::GET
        && !(path.starts_with("/api/")
            || path == protocol::links::LIVEZ
            || path == protocol::links::READYZ
            || is_socket_io(path)
            || path.starts_with("/pkg/")
            || path.contains('.'));
    let mut signed_in = false;
    if is_page {
        let is_chat = path == protocol::links::CHAT && is_document_request(request.headers());
        let user = match cookie_token(request.headers(), hub.config.secure_cookies) {
            Some(token) => services
                .accounts
                .session_user(&token)
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "looking up a page's session");
                    None
                }),
            None => None,
        };
        signed_in = user.is_some();
        let client = client_of(request.extensions());
        if is_chat
            && let Some(user) = &user
            && hub
                .live
                .charge(Action::Events, user.id, client.key, FIRST_SCREEN_COST)
                .await
        {
            let asked = request
                .uri()
                .path_and_query()
                .and_then(|url| protocol::links::room_of(url.as_str()))
                .filter(|name| !name.trim().is_empty());
            let remembered = named_cookie(request.headers(), app::first_screen::ROOM_COOKIE)
                .and_then(|value| app::first_screen::room_of_cookie(&value));
            let first = first_screen(&services, user, asked, remembered).await;
            request
                .extensions_mut()
                .insert(app::first_screen::ServerFirstScreen(first));
        }
        request
            .extensions_mut()
            .insert(app::session::ServerSession(user));
    }
    let mut response = next.run(request).await;
    if signed_in {
        // Someone's own page (their rooms and messages): never kept by a shared cache, and
        // asked for again rather than reused.
        let headers = response.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        headers.append(header::VARY, HeaderValue::from_static("cookie"));
    }
    response
}

/// What drawing `/chat`'s first screen costs from the person's work budget: the socket events
/// it stands for (`saved_rooms`, `history`, `blocks`, 3 each). A spent budget draws no first
/// screen (the page still renders; the chat then loads over the socket).
const FIRST_SCREEN_COST: u32 = 9;

/// Whether a request is a page load (a navigation), not a script's fetch of the page (such
/// as the service worker keeping a copy): `Sec-Fetch-Dest: document`, or no such header
/// (older browsers, programs).
fn is_document_request(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-dest")
        .is_none_or(|dest| dest.as_bytes() == b"document")
}

/// What `/chat` shows first for `user` (see `app::first_screen`): the room its address asks
/// for, else the one this browser's cookie remembers; nothing drawn if the store fails.
async fn first_screen(
    services: &Services,
    user: &protocol::User,
    asked: Option<String>,
    remembered: Option<String>,
) -> app::first_screen::FirstScreen {
    services
        .chat
        .first_screen(user, asked.as_deref(), remembered.as_deref())
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "drawing the chat's first screen");
            app::first_screen::FirstScreen::default()
        })
}

/// Guards Socket.IO requests before any Engine.IO session exists: handshakes that carry the
/// session cookie from a foreign origin are refused (the socket library never looks at
/// `Origin`), and new sessions per client address are rate-limited.
pub async fn socket_guard(State(hub): State<Hub>, request: Request, next: Next) -> Response {
    if !is_socket_io(request.uri().path()) {
        return next.run(request).await;
    }
    if cookie_token(request.headers(), hub.config.secure_cookies).is_some()
        && !hub.site.origin_allowed(request.headers())
    {
        tracing::warn!(origin = ?request.headers().get(header::ORIGIN), "socket handshake from a foreign origin refused");
        return (StatusCode::FORBIDDEN, "cross-site socket refused").into_response();
    }
    if opens_session(request.uri()) {
        let client = client_of(request.extensions());
        if !hub
            .live
            .check(Action::Handshake, Subject::Addr(client.key), 1)
            .await
        {
            tracing::warn!(client = %client.key, "too many new socket sessions");
            return AppError::rate_limited().into_response();
        }
    }
    next.run(request).await
}

/// The cookie naming the node that answered, for a cluster's proxy to route a client back to
/// the same node (long-polling needs every request of a session on one node).
pub const NODE_COOKIE: &str = "tertulia_node";

/// In a cluster, sets [`NODE_COOKIE`] on responses to clients that do not carry this node's.
pub async fn node_cookie(
    State(hub): State<Hub>,
    State(node): State<NodeId>,
    request: Request,
    next: Next,
) -> Response {
    if !hub.live.is_shared() {
        return next.run(request).await;
    }
    let wanted = format!("{NODE_COOKIE}={node}");
    let has_it = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim() == wanted);
    let secure = if hub.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let mut response = next.run(request).await;
    if !has_it
        && let Ok(cookie) =
            HeaderValue::from_str(&format!("{wanted}; Path=/; HttpOnly; SameSite=Lax{secure}"))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Adds nosniff, framing and referrer headers to every response, HSTS when the site is served
/// over https, and a CSP without inline scripts where the page shell did not already set one
/// with its nonce.
pub async fn security_headers(
    State(config): State<Arc<Config>>,
    request: Request,
    next: Next,
) -> Response {
    let caching = asset_cache_control(request.uri().path());
    let mut response = next.run(request).await;
    if let Some(policy) = caching
        && response.status().is_success()
    {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if config.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&app::csp::policy(None))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// How long browsers may keep a file of the site's `pkg/` directory: for good when its name
/// carries a content hash (`chat.<hash>.wasm`: a new build has a new name), otherwise only
/// after asking again.
fn asset_cache_control(path: &str) -> Option<&'static str> {
    let name = path.strip_prefix("/pkg/")?;
    let mut parts = name.split('.');
    let hashed = matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(_), Some(hash), Some("js" | "wasm" | "css"), None)
            if hash.len() >= 8 && hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    );
    Some(if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    })
}

#[cfg(test)]
mod tests {
    use super::asset_cache_control;

    #[test]
    fn only_hashed_assets_are_cached_for_good() {
        let forever = Some("public, max-age=31536000, immutable");
        assert_eq!(asset_cache_control("/pkg/chat.Ab12Cd34Ef.wasm"), forever);
        assert_eq!(asset_cache_control("/pkg/chat.Ab12Cd34Ef.css"), forever);
        assert_eq!(asset_cache_control("/pkg/chat.js"), Some("no-cache"));
        assert_eq!(asset_cache_control("/pkg/chat_bg.wasm"), Some("no-cache"));
        assert_eq!(asset_cache_control(protocol::links::CHAT), None);
        assert_eq!(asset_cache_control("/favicon.svg"), None);
    }
}
