//! Behind a reverse proxy: the client address comes from `X-Forwarded-For` / `Forwarded` only
//! when the connection comes from a proxy listed in `TRUSTED_PROXIES` (the right-most address
//! that is not a trusted proxy), and per-address limits group IPv6 clients by /64.

use crate::common::{Socket, TestServer, auth};
use protocol::ConnectRefusal;
use protocol::events::chat::NS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server behind a proxy on 127.0.0.1 that allows one socket per client address (and one TCP
/// connection per address, which the proxy itself is exempt from).
async fn behind_proxy() -> TestServer {
    TestServer::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.max_sockets_per_ip = 1;
        c.max_connections_per_ip = 1;
    })
    .await
}

async fn socket_from(
    server: &TestServer,
    token: &str,
    forwarded_for: &str,
) -> Result<Socket, String> {
    Socket::connect(
        server,
        NS,
        auth(token),
        &[("x-forwarded-for", forwarded_for)],
    )
    .await
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_told_apart() {
    let server = behind_proxy().await;
    let (_, ana) = server.guest("ana").await;
    let (_, bea) = server.guest("bea").await;
    let _a = socket_from(&server, &ana, "203.0.113.7").await.unwrap();
    let _b = socket_from(&server, &bea, "203.0.113.8")
        .await
        .expect("another client behind the same proxy");
    let again = socket_from(&server, &bea, "203.0.113.7").await;
    assert_eq!(
        again.err().as_deref(),
        Some(ConnectRefusal::RateLimited.as_str()),
        "the same client address is capped"
    );
    // A client cannot hide behind an address it writes itself: the proxy appends the real one.
    let spoofed = socket_from(&server, &bea, "198.51.100.1, 203.0.113.7").await;
    assert_eq!(
        spoofed.err().as_deref(),
        Some(ConnectRefusal::RateLimited.as_str())
    );
}

#[tokio::test]
async fn ipv6_clients_share_their_64() {
    let server = behind_proxy().await;
    let (_, ana) = server.guest("ana").await;
    let (_, bea) = server.guest("bea").await;
    let _a = socket_from(&server, &ana, "2001:db8:1:2::1").await.unwrap();
    let neighbour = socket_from(&server, &bea, "2001:db8:1:2:ffff::9").await;
    assert_eq!(
        neighbour.err().as_deref(),
        Some(ConnectRefusal::RateLimited.as_str()),
        "same /64"
    );
    assert!(socket_from(&server, &bea, "2001:db8:1:3::1").await.is_ok());
}

#[tokio::test]
async fn without_trusted_proxies_forwarding_headers_are_ignored() {
    let server = TestServer::spawn_with(|c| c.max_sockets_per_ip = 1).await;
    let (_, ana) = server.guest("ana").await;
    let (_, bea) = server.guest("bea").await;
    let _a = socket_from(&server, &ana, "203.0.113.7").await.unwrap();
    let b = socket_from(&server, &bea, "203.0.113.8").await;
    assert_eq!(
        b.err().as_deref(),
        Some(ConnectRefusal::RateLimited.as_str()),
        "both come from 127.0.0.1, whatever they claim"
    );
}

/// `POST` a guest sign-in over TCP through "the proxy" for `client`; returns the status.
async fn guest_from(server: &TestServer, name: &str, client: &str) -> u16 {
    use protocol::http::{Endpoint, Guest};
    let body = serde_json::json!({ "username": name }).to_string();
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: {client}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        Guest::PATH,
        server.addr,
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap()
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_real_client() {
    let server = TestServer::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.auth_burst = 2;
    })
    .await;
    assert_eq!(guest_from(&server, "a1", "203.0.113.7").await, 201);
    assert_eq!(guest_from(&server, "a2", "203.0.113.7").await, 201);
    assert_eq!(guest_from(&server, "a3", "203.0.113.7").await, 429);
    assert_eq!(
        guest_from(&server, "b1", "203.0.113.8").await,
        201,
        "another client behind the same proxy is not affected"
    );
}
