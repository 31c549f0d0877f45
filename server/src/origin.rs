//! Which hosts and origins are this site: the `Host` check against DNS rebinding and the
//! `Origin` check for cookie-authenticated requests and socket handshakes (scheme included).

use std::net::IpAddr;

use axum::http::{HeaderMap, header};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    #[cfg(test)]
    fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// A site address `scheme://host[:port]` (no path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    scheme: Scheme,
    /// Lower-case host; IPv6 addresses keep their brackets.
    host: String,
    port: Option<u16>,
}

impl PublicUrl {
    /// Parses `http(s)://host[:port]`, with an optional trailing `/`.
    ///
    /// # Errors
    /// What is wrong, in words.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else {
            return Err("must start with http:// or https://".into());
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err("give only scheme, host and port, without a path".into());
        }
        let (host, port) = split_authority(authority).ok_or("the host is missing or malformed")?;
        Ok(Self { scheme, host, port })
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    #[cfg(test)]
    #[must_use]
    pub fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{port}", self.scheme.as_str(), self.host),
            None => format!("{}://{}", self.scheme.as_str(), self.host),
        }
    }
}

/// Splits `host[:port]` into a lower-case host (brackets kept for IPv6) and port.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &authority[..end + 2];
        match &rest[end + 1..] {
            "" => (host, None),
            tail => (host, Some(tail.strip_prefix(':')?.parse().ok()?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse().ok()?)),
            None => (authority, None),
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    valid.then_some((host, port))
}

fn is_ip_literal(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok()
}

/// The site's own addresses and the extra origins allowed to use its cookie.
#[derive(Debug, Clone)]
pub struct Site {
    public: Option<PublicUrl>,
    allowed: Vec<PublicUrl>,
    /// Scheme of the site when no public URL says it.
    default_scheme: Scheme,
}

impl Site {
    /// From the settings (already validated by [`crate::Config::validate`]).
    #[must_use]
    pub fn new(public_url: Option<&str>, allowed_origins: &[String], secure: bool) -> Self {
        Self {
            public: public_url.and_then(|url| PublicUrl::parse(url).ok()),
            allowed: allowed_origins
                .iter()
                .filter_map(|origin| PublicUrl::parse(origin).ok())
                .collect(),
            default_scheme: if secure { Scheme::Https } else { Scheme::Http },
        }
    }

    /// Whether a request's `Host` (or HTTP/2 authority) names this site: an IP address, or
    /// `localhost`, or the public URL's host, or an allowed origin's host. Any other name is
    /// refused: a page on an attacker's domain that resolves to this server (DNS rebinding)
    /// sends its own name.
    #[must_use]
    pub fn host_allowed(&self, host: &str) -> bool {
        let Some((host, _)) = split_authority(host) else {
            return false;
        };
        is_ip_literal(&host)
            || host == "localhost"
            || self
                .public
                .iter()
                .chain(&self.allowed)
                .any(|url| url.host == host)
    }

    /// Whether a request's `Origin` may use the session cookie: this site (the public URL, or
    /// the `Host` it was sent to with the site's scheme) or an allowed origin. A request
    /// without `Origin` is not a cross-site browser request and passes.
    #[must_use]
    pub fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
            return true;
        };
        let Ok(origin) = PublicUrl::parse(origin) else {
            return false;
        };
        if self.allowed.contains(&origin) {
            return true;
        }
        if let Some(public) = &self.public {
            return *public == origin;
        }
        let Some((host, port)) = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(split_authority)
        else {
            return false;
        };
        origin
            == PublicUrl {
                scheme: self.default_scheme,
                host,
                port,
            }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn public_urls() {
        let url = PublicUrl::parse("https://Chat.Example.org/").unwrap();
        assert_eq!(url.origin(), "https://chat.example.org");
        assert_eq!(
            PublicUrl::parse("http://[::1]:3000").unwrap().origin(),
            "http://[::1]:3000"
        );
        assert!(PublicUrl::parse("chat.example.org").is_err());
        assert!(PublicUrl::parse("https://chat.example.org/path").is_err());
        assert!(PublicUrl::parse("https://user@chat.example.org").is_err());
        assert!(PublicUrl::parse("https://").is_err());
    }

    #[test]
    fn hosts() {
        let site = Site::new(Some("https://chat.example.org"), &[], true);
        assert!(site.host_allowed("chat.example.org"));
        assert!(site.host_allowed("CHAT.example.org:443"));
        assert!(site.host_allowed("127.0.0.1:3000"));
        assert!(site.host_allowed("[::1]:3000"));
        assert!(site.host_allowed("localhost:3000"));
        assert!(!site.host_allowed("evil.example:3000"), "DNS rebinding");
        assert!(!site.host_allowed("chat.example.org.evil.example"));
        assert!(!site.host_allowed(""));
        let local = Site::new(None, &[], false);
        assert!(local.host_allowed("127.0.0.1:3000"));
        assert!(!local.host_allowed("rebind.example:3000"));
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let site = Site::new(None, &["https://app.example".into()], false);
        let own = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(site.origin_allowed(&own));
        let wrong_scheme = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://127.0.0.1:3000"),
        ]);
        assert!(!site.origin_allowed(&wrong_scheme));
        let wrong_port = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:4000"),
        ]);
        assert!(!site.origin_allowed(&wrong_port));
        let evil = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(!site.origin_allowed(&evil));
        let listed = headers(&[("host", "x"), ("origin", "https://app.example")]);
        assert!(site.origin_allowed(&listed));
        assert!(!site.origin_allowed(&headers(&[("origin", "null")])));
        assert!(
            site.origin_allowed(&headers(&[("host", "x")])),
            "no Origin: not a browser"
        );
        let secure = Site::new(Some("https://chat.example"), &[], true);
        assert!(secure.origin_allowed(&headers(&[("origin", "https://chat.example")])));
        assert!(!secure.origin_allowed(&headers(&[("origin", "http://chat.example")])));
    }
}
