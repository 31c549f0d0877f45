//! Who is on the other end: the client's IP address (taken from `X-Forwarded-For` /
//! `Forwarded` only when the connection comes from a trusted proxy), and the key per-address
//! limits use (IPv6 addresses are grouped by /64, the block one subscriber usually has).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::config::Config;

/// The address limits count against: IPv4 as is, IPv6 cut to its /64 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddrKey(IpAddr);

impl AddrKey {
    /// The key of an address (IPv4-mapped IPv6 counts as the IPv4 address).
    #[must_use]
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let segments = v6.segments();
                    Self(IpAddr::V6(Ipv6Addr::new(
                        segments[0],
                        segments[1],
                        segments[2],
                        segments[3],
                        0,
                        0,
                        0,
                        0,
                    )))
                }
            },
        }
    }
}

impl fmt::Display for AddrKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// The client of a request (or of a socket's handshake), resolved once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address.
    pub ip: IpAddr,
    /// Its key for per-address limits.
    pub key: AddrKey,
}

impl ClientAddr {
    /// A client at `ip`.
    #[must_use]
    pub fn new(ip: IpAddr) -> Self {
        Self {
            ip,
            key: AddrKey::of(ip),
        }
    }

    /// Resolves the client from the connection's peer and, when the peer is a trusted proxy,
    /// the forwarding headers: the right-most address that is not a trusted proxy.
    #[must_use]
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> Self {
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        if trusted.is_empty() || !is_trusted(&peer) {
            return Self::new(peer);
        }
        let mut client = peer;
        for hop in forwarded_chain(headers).into_iter().rev() {
            let Some(ip) = hop else {
                break; // unreadable entry: nothing to its left can be trusted either
            };
            client = ip;
            if !is_trusted(&ip) {
                break;
            }
        }
        Self::new(client)
    }
}

/// The addresses a request passed through, client first: `X-Forwarded-For` (all such
/// headers, in order) or, without it, the `for=` parameters of `Forwarded`. `None` marks an
/// entry that is not an IP address (`unknown`, an obfuscated name...).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| parse_hop(hop.trim()))
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:5`, `2001:db8::1`, `[2001:db8::1]:5`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
}

/// Middleware: resolves every request's [`ClientAddr`] once and stores it in the request's
/// extensions (socket handshakes keep it in `req_parts`).
pub async fn resolve_client(
    State(config): State<Arc<Config>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let client = ClientAddr::resolve(peer, request.headers(), &config.trusted_proxies);
    request.extensions_mut().insert(client);
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(client_of(&parts.extensions))
    }
}

/// The client stored by [`resolve_client`] (the unspecified address if it did not run).
#[must_use]
pub fn client_of(extensions: &axum::http::Extensions) -> ClientAddr {
    extensions
        .get::<ClientAddr>()
        .copied()
        .unwrap_or_else(|| ClientAddr::new(IpAddr::from([0, 0, 0, 0])))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn ipv6_is_grouped_by_64() {
        assert_eq!(
            AddrKey::of(ip("2001:db8:1:2:aaaa::1")),
            AddrKey::of(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            AddrKey::of(ip("2001:db8:1:2::1")),
            AddrKey::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            AddrKey::of(ip("::ffff:10.0.0.1")),
            AddrKey::of(ip("10.0.0.1"))
        );
        assert_eq!(AddrKey::of(ip("2001:db8::1")).to_string(), "2001:db8::/64");
    }

    #[test]
    fn forwarding_headers_are_ignored_without_trusted_proxies() {
        let h = headers(&[("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(
            ClientAddr::resolve(ip("9.9.9.9"), &h, &[]).ip,
            ip("9.9.9.9")
        );
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            ClientAddr::resolve(ip("9.9.9.9"), &h, &trusted).ip,
            ip("9.9.9.9"),
            "the peer is not a proxy we trust"
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        // A client forging its own X-Forwarded-For: the proxy appends the real address.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 1.2.3.4, 10.0.0.2")]);
        assert_eq!(
            ClientAddr::resolve(ip("10.0.0.1"), &h, &trusted).ip,
            ip("1.2.3.4")
        );
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::17]:4711\";proto=https",
        )]);
        assert_eq!(
            ClientAddr::resolve(ip("10.0.0.1"), &h, &trusted).ip,
            ip("2001:db8::17")
        );
        let h = headers(&[("x-forwarded-for", "1.2.3.4:5678")]);
        assert_eq!(
            ClientAddr::resolve(ip("10.0.0.1"), &h, &trusted).ip,
            ip("1.2.3.4")
        );
        // Only proxies in the chain: the left-most one is as far as we can see.
        let h = headers(&[("x-forwarded-for", "10.0.0.5")]);
        assert_eq!(
            ClientAddr::resolve(ip("10.0.0.1"), &h, &trusted).ip,
            ip("10.0.0.5")
        );
        // An unreadable entry stops the walk at the last trusted hop.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, unknown, 10.0.0.3")]);
        assert_eq!(
            ClientAddr::resolve(ip("10.0.0.1"), &h, &trusted).ip,
            ip("10.0.0.3")
        );
    }
}
