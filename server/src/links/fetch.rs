//! An HTTP client that only ever connects where [`AddressPolicy`] permits: every host name is
//! resolved by the client's own resolver, which refuses an answer holding any address the
//! policy does not permit, and the client connects to exactly the addresses it checked (no
//! second lookup an attacker's DNS could answer differently). Literal addresses in a link or in
//! a redirect are checked before any request; redirects are few; answers are bounded in time,
//! size and type; no proxy from the environment is used.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use thiserror::Error;
use url::{Host, Url};

use super::address::AddressPolicy;

/// How the client introduces itself.
pub const USER_AGENT: &str = concat!(
    "Tertulia/",
    env!("CARGO_PKG_VERSION"),
    " (link preview; +https://github.com/tertulia)"
);

/// Why a link gave nothing.
#[derive(Debug, Error)]
pub enum FetchError {
    /// The link or a redirect leads to an address this server may not fetch from.
    #[error("the address is not one previews are fetched from")]
    Refused,
    /// Not an `http(s)` link with a host.
    #[error("not an http(s) link")]
    Scheme,
    /// More redirects than allowed.
    #[error("too many redirects")]
    Redirects,
    /// The answer was not a success.
    #[error("the server answered {0}")]
    Status(u16),
    /// The answer was not of a type read for previews.
    #[error("unexpected content type {0:?}")]
    ContentType(String),
    /// The answer was larger than allowed.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// Resolving, connecting, TLS, a timeout or the connection failed.
    #[error("fetching: {0}")]
    Http(reqwest::Error),
}

impl From<reqwest::Error> for FetchError {
    fn from(error: reqwest::Error) -> Self {
        // The resolver's and the redirect policy's own refusals come back wrapped.
        let mut source: Option<&(dyn StdError + 'static)> = Some(&error);
        while let Some(inner) = source {
            if let Some(ours) = inner.downcast_ref::<Refusal>() {
                return match ours {
                    Refusal::Address => Self::Refused,
                    Refusal::Scheme => Self::Scheme,
                    Refusal::Redirects => Self::Redirects,
                };
            }
            source = inner.source();
        }
        Self::Http(error)
    }
}

/// A refusal raised inside the client (resolver, redirect policy), found again by
/// [`FetchError::from`].
#[derive(Debug, Error)]
enum Refusal {
    #[error("the address is not one previews are fetched from")]
    Address,
    #[error("not an http(s) link")]
    Scheme,
    #[error("too many redirects")]
    Redirects,
}

/// How a host name becomes addresses (the system's resolver; tests answer as they please).
pub trait Lookup: Send + Sync + 'static {
    /// The addresses of `host`.
    fn lookup(&self, host: String)
    -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;
}

/// The system's resolver (`getaddrinfo`, on a blocking thread).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(
        &self,
        host: String,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>> {
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(found.map(|address| address.ip()).collect())
        })
    }
}

/// The client's resolver: a lookup whose answer must be wholly permitted.
struct Guarded {
    lookup: Arc<dyn Lookup>,
    policy: Arc<AddressPolicy>,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let (lookup, policy) = (self.lookup.clone(), self.policy.clone());
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = lookup.lookup(host).await?;
            // One address not permitted spoils the answer: a name that resolves to a public
            // and a private address is someone's trick.
            if addresses.is_empty() || !addresses.iter().all(|ip| policy.permits(*ip)) {
                return Err(Box::new(Refusal::Address) as Box<dyn StdError + Send + Sync>);
            }
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

/// What one fetch may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connecting (each address tried).
    pub connect: Duration,
    /// A whole request, redirects and body included.
    pub total: Duration,
    /// Redirects followed.
    pub redirects: usize,
    /// Bytes of a page read (the rest is not: the head is at the start).
    pub page_bytes: usize,
    /// Bytes of an image (a larger one is not used).
    pub image_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            total: Duration::from_secs(6),
            redirects: 4,
            page_bytes: 512 * 1024,
            image_bytes: 5 * 1024 * 1024,
        }
    }
}

/// The image types read for previews.
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The page types read for previews.
const PAGE_TYPES: [&str; 2] = ["text/html", "application/xhtml+xml"];

/// Fetches pages and images for previews, only where the policy permits.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    limits: Limits,
}

impl Fetcher {
    /// A fetcher resolving names with `lookup`.
    ///
    /// # Errors
    /// When the TLS backend cannot start.
    pub fn new(
        policy: AddressPolicy,
        lookup: Arc<dyn Lookup>,
        limits: Limits,
    ) -> Result<Self, FetchError> {
        let policy = Arc::new(policy);
        let for_redirects = policy.clone();
        let redirects = limits.redirects;
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(Guarded {
                lookup,
                policy: policy.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > redirects {
                    return attempt.error(Refusal::Redirects);
                }
                match check(&for_redirects, attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(refusal) => attempt.error(refusal),
                }
            }))
            .connect_timeout(limits.connect)
            .timeout(limits.total)
            .user_agent(USER_AGENT)
            .referer(false)
            .build()?;
        Ok(Self {
            client,
            policy,
            limits,
        })
    }

    /// Whether `url` may be fetched at all (its scheme, and its host when it is an address);
    /// names are judged when resolved.
    ///
    /// # Errors
    /// [`FetchError::Scheme`] or [`FetchError::Refused`].
    pub fn check(&self, url: &Url) -> Result<(), FetchError> {
        check(&self.policy, url).map_err(|refusal| match refusal {
            Refusal::Address => FetchError::Refused,
            Refusal::Scheme | Refusal::Redirects => FetchError::Scheme,
        })
    }

    /// The first [`Limits::page_bytes`] of the HTML page at `url`, and the address it was
    /// found at (after redirects).
    ///
    /// # Errors
    /// Whatever stopped it.
    pub async fn page(&self, url: &Url) -> Result<(Url, Vec<u8>), FetchError> {
        self.get(
            url,
            "text/html,application/xhtml+xml;q=0.9",
            &PAGE_TYPES,
            self.limits.page_bytes,
            true,
        )
        .await
    }

    /// The image at `url`, whole (PNG, JPEG, GIF or WebP, at most [`Limits::image_bytes`]).
    ///
    /// # Errors
    /// Whatever stopped it.
    pub async fn image(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        let (_, bytes) = self
            .get(
                url,
                "image/png,image/jpeg,image/gif,image/webp",
                &IMAGE_TYPES,
                self.limits.image_bytes,
                false,
            )
            .await?;
        Ok(bytes)
    }

    async fn get(
        &self,
        url: &Url,
        accept: &str,
        types: &[&str],
        max: usize,
        cut: bool,
    ) -> Result<(Url, Vec<u8>), FetchError> {
        self.check(url)?;
        let mut response = self
            .client
            .get(url.clone())
            .header(ACCEPT, accept)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let kind = content_type(&response);
        if !types.contains(&kind.as_str()) {
            return Err(FetchError::ContentType(kind));
        }
        let announced = announced_length(&response);
        if !cut && announced.is_some_and(|length| length > max as u64) {
            return Err(FetchError::TooLarge(max));
        }
        let found_at = response.url().clone();
        let body = read_body(&mut response, max, cut).await?;
        Ok((found_at, body))
    }

    /// Posts the JSON `body` to `url` with `headers` (redirects as the limits say) and reads
    /// the answer: its status and at most [`Limits::page_bytes`] of its body, which must be
    /// JSON unless it is empty.
    ///
    /// # Errors
    /// Whatever stopped it; a status that is no success is [`FetchError::Status`].
    pub async fn post_json(
        &self,
        url: &Url,
        headers: reqwest::header::HeaderMap,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, FetchError> {
        self.check(url)?;
        let mut response = self
            .client
            .post(url.clone())
            .headers(headers)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let max = self.limits.page_bytes;
        let announced = announced_length(&response);
        if announced.is_some_and(|length| length > max as u64) {
            return Err(FetchError::TooLarge(max));
        }
        let kind = content_type(&response);
        let body = read_body(&mut response, max, false).await?;
        if !body.is_empty() && kind != "application/json" {
            return Err(FetchError::ContentType(kind));
        }
        Ok(body)
    }
}

/// An answer's content type, its essence only (`text/html`), lower case; empty without one.
fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The length an answer announces, if it announces one that reads as a number.
fn announced_length(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
}

/// At most `max` bytes of an answer's body: the first `max` when `cut`, else
/// [`FetchError::TooLarge`] as soon as it passes them.
async fn read_body(
    response: &mut reqwest::Response,
    max: usize,
    cut: bool,
) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - body.len();
        if chunk.len() > room {
            if !cut {
                return Err(FetchError::TooLarge(max));
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn check(policy: &AddressPolicy, url: &Url) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Scheme);
    }
    match url.host() {
        Some(Host::Ipv4(ip)) if !policy.permits(IpAddr::V4(ip)) => Err(Refusal::Address),
        Some(Host::Ipv6(ip)) if !policy.permits(IpAddr::V6(ip)) => Err(Refusal::Address),
        Some(_) => Ok(()),
        None => Err(Refusal::Scheme),
    }
}
