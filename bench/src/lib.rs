//! What the load tools share: signing a guest in over plain TCP and a minimal websocket
//! client ([`wire`]): no HTTP or websocket library, so the tools measure the server, not a
//! client library.

pub mod churn;
pub mod client;
pub mod storm;
pub mod wire;

use std::net::IpAddr;

use anyhow::{Context, Result, bail};
use protocol::http::{AuthRes, Endpoint, Guest, GuestReq};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `POST /api/auth/guest` over a plain TCP connection from `source`; returns the token.
///
/// # Errors
/// The connection fails or the server refuses (the status line is in the error).
pub async fn guest_token(addr: &str, source: IpAddr, name: &str) -> Result<String> {
    let body = serde_json::to_string(&GuestReq {
        username: name.to_owned(),
    })?;
    let mut tcp = wire::tcp(addr, source).await?;
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

/// A pseudo-random fraction in [0, 1) from a seed (splitmix64): jitter for the scenarios,
/// reproducible from run to run.
#[must_use]
pub fn random_fraction(seed: u64) -> f64 {
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_fractions_are_fractions_and_spread() {
        let values: Vec<f64> = (0..1000).map(super::random_fraction).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!((0.45..0.55).contains(&mean), "{mean}");
    }
}
