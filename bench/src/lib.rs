//! What the load tools share: signing a guest in over plain TCP (no HTTP client, so the
//! tools measure the server, not a client library).

use anyhow::{Context, Result, bail};
use protocol::http::{AuthRes, Endpoint, Guest, GuestReq};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `POST /api/auth/guest` over a plain TCP connection; returns the token.
pub async fn guest_token(addr: &str, name: &str) -> Result<String> {
    let body = serde_json::to_string(&GuestReq {
        username: name.to_owned(),
    })?;
    let mut tcp = tokio::net::TcpStream::connect(addr)
        .await
        .context("connecting")?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        Guest::PATH,
        body.len()
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tcp.read_to_string(&mut response).await?;
    let (head, json) = response.split_once("\r\n\r\n").context("no HTTP body")?;
    if !head.starts_with("HTTP/1.1 201") {
        bail!(
            "guest sign-in failed: {}",
            head.lines().next().unwrap_or(head)
        );
    }
    let answer: AuthRes = serde_json::from_str(json.trim()).context("auth body")?;
    answer.token.context("no token")
}
