//! Passwords, session tokens, cookies and origins: everything that decides who a request is.
//!
//! Tokens are 256 random bits, handed to the client once (cookie and/or JSON) and stored only as
//! their SHA-256 hash, so a leaked database does not leak live sessions. Passwords are hashed
//! with argon2id on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::client_addr::AddrKey;
use crate::error::{AppError, AppResult};

/// Name of the session cookie over plain HTTP.
pub const SESSION_COOKIE: &str = "tertulia_session";

/// Name of the session cookie when cookies are `Secure`: the `__Host-` prefix makes browsers
/// refuse it unless it is `Secure`, host-only and for `/`, so a sibling subdomain cannot plant
/// or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-tertulia_session";

/// The session cookie's name for this deployment.
#[must_use]
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Runs password hashing (19 MiB and tens of milliseconds of CPU each) a few at a time, with
/// a short queue; when the queue is full a sign-in is refused at once with `rate_limited`
/// instead of piling up memory and latency for everyone. One client address holds at most
/// `per_address` places, and a place (with its slot) is held until its hash ends, even when
/// the caller has given up.
#[derive(Debug)]
pub struct HashGate {
    running: Arc<tokio::sync::Semaphore>,
    /// Callers waiting or running; at most `capacity`.
    admitted: Arc<AtomicUsize>,
    capacity: usize,
    /// Places held per client address; at most `per_address` each.
    by_address: Arc<Mutex<HashMap<AddrKey, usize>>>,
    per_address: usize,
}

/// Waiters allowed per hashing slot.
const QUEUE_PER_SLOT: usize = 4;

/// A place in the queue; given back when dropped.
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One of an address's places; given back when dropped.
struct Share(Arc<Mutex<HashMap<AddrKey, usize>>>, AddrKey);

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.1) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.1);
            }
        }
    }
}

impl HashGate {
    /// A gate running `concurrency` hashes at once.
    #[must_use]
    pub fn new(concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            running: Arc::new(tokio::sync::Semaphore::new(concurrency)),
            admitted: Arc::default(),
            capacity: concurrency * (1 + QUEUE_PER_SLOT),
            by_address: Arc::default(),
            per_address: concurrency,
        }
    }

    /// Runs `work` on the blocking pool when a slot is free, for a caller at `address` (`None`
    /// for the server's own commands).
    ///
    /// # Errors
    /// `rate_limited` when `address` holds its share of the queue already, or the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        address: Option<AddrKey>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let busy = || {
            AppError::new(
                protocol::ErrorCode::RateLimited,
                "the server is busy signing people in; try again in a moment",
            )
        };
        // The address's share first: a flood refused there never counts against everyone.
        let share = match address {
            Some(address) => Some(self.take_share(address).ok_or_else(busy)?),
            None => None,
        };
        let admitted = self.admitted.fetch_add(1, Ordering::AcqRel);
        let admission = Admission(self.admitted.clone());
        if admitted >= self.capacity {
            tracing::warn!("password hashing is saturated; refusing a sign-in");
            return Err(busy());
        }
        let slot = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::internal("waiting for a hashing slot", e))?;
        // Slot, place and share go with the work: a caller that gives up (a client that
        // disconnects) frees none of them while its hash still runs.
        tokio::task::spawn_blocking(move || {
            let _held = (slot, admission, share);
            work()
        })
        .await
        .map_err(|e| AppError::internal("hashing on the blocking pool", e))
    }

    /// A place for `address`; `None` when the address holds its share already.
    fn take_share(&self, address: AddrKey) -> Option<Share> {
        let mut held = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(address).or_insert(0);
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(Share(self.by_address.clone(), address))
    }
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes), through `gate`.
///
/// # Errors
/// `rate_limited` when hashing is saturated; an internal fault if hashing fails.
pub async fn hash_password(
    gate: &HashGate,
    address: Option<AddrKey>,
    password: String,
) -> AppResult<String> {
    gate.run(address, move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::invariant(format!("hashing a password: {e}")))
    })
    .await?
}

/// Checks a password against a stored hash, through `gate`. With no hash (unknown user or
/// guest) a dummy hash is checked instead, so the answer takes as long whether or not the
/// account exists.
///
/// # Errors
/// `rate_limited` when hashing is saturated.
pub async fn verify_password(
    gate: &HashGate,
    address: Option<AddrKey>,
    hash: Option<String>,
    password: String,
) -> AppResult<bool> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let known = hash.is_some();
    gate.run(address, move || {
        let dummy = DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(b"not a real password", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        });
        let hash = hash.as_deref().unwrap_or(dummy);
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
}

/// A new random session token (URL-safe base64 of 32 bytes).
#[must_use]
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token.
#[must_use]
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a request's credential came from: this decides whether CSRF / Origin checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// The browser's session cookie (ambient: needs an Origin check).
    Cookie,
    /// `Authorization: Bearer` or a Socket.IO `auth.token` (explicit).
    Token,
}

/// The token a request carries: `Authorization: Bearer` first, then the session cookie
/// (named as [`cookie_name`] says for this deployment).
#[must_use]
pub fn request_token(headers: &HeaderMap, secure: bool) -> Option<(String, CredentialSource)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some((token.trim().to_owned(), CredentialSource::Token));
    }
    cookie_token(headers, secure).map(|token| (token, CredentialSource::Cookie))
}

/// The session cookie's value, if present.
#[must_use]
pub fn cookie_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    named_cookie(headers, cookie_name(secure))
}

/// The value of the cookie `wanted`, if the request carries a non-empty one.
pub(crate) fn named_cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Whether a request comes from a program rather than a web page: browsers send `Origin` on
/// every POST and `Sec-Fetch-Site` on every request. Only such clients get the session token
/// in a JSON answer; a page's scripts never see it (browsers use the HttpOnly cookie).
#[must_use]
pub fn is_program(headers: &HeaderMap) -> bool {
    !headers.contains_key(header::ORIGIN) && !headers.contains_key("sec-fetch-site")
}

/// `Set-Cookie` value for a new session: HttpOnly, SameSite=Lax, and `Secure` with the
/// `__Host-` name when asked.
#[must_use]
pub fn session_cookie(token: &str, days: u32, secure: bool) -> HeaderValue {
    let max_age = u64::from(days) * 24 * 3600;
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The cookie that marks a browser its owner signed in from before (a known device: failed
/// sign-ins of others do not hold it back); `__Host-` with secure cookies.
#[must_use]
pub fn device_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-tertulia_device"
    } else {
        "tertulia_device"
    }
}

/// The known-device token a request carries, if any.
#[must_use]
pub fn device_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    named_cookie(headers, device_cookie_name(secure))
}

/// `Set-Cookie` value for a new known-device token: HttpOnly, SameSite=Lax, kept 400 days
/// (the most browsers keep a cookie).
#[must_use]
pub fn device_cookie(token: &str, secure: bool) -> HeaderValue {
    let name = device_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        400 * 24 * 3600
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` value that deletes the session cookie.
#[must_use]
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let gate = HashGate::new(2);
        let hash = hash_password(&gate, None, "correct horse".into())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(
            verify_password(&gate, None, Some(hash.clone()), "correct horse".into())
                .await
                .unwrap()
        );
        assert!(
            !verify_password(&gate, None, Some(hash), "wrong".into())
                .await
                .unwrap()
        );
        assert!(
            !verify_password(&gate, None, None, "anything".into())
                .await
                .unwrap()
        );
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn bearer_wins_over_cookie() {
        let map = headers(&[
            ("cookie", "theme=dark; tertulia_session=fromcookie"),
            ("authorization", "Bearer fromheader"),
        ]);
        assert_eq!(
            request_token(&map, false),
            Some(("fromheader".into(), CredentialSource::Token))
        );
        let map = headers(&[("cookie", "a=1; tertulia_session=abc; b=2")]);
        assert_eq!(
            request_token(&map, false),
            Some(("abc".into(), CredentialSource::Cookie))
        );
        assert_eq!(
            request_token(&headers(&[("cookie", "tertulia_session=")]), false),
            None
        );
    }

    #[test]
    fn secure_deployments_read_only_the_host_prefixed_cookie() {
        let planted = headers(&[("cookie", "tertulia_session=planted")]);
        assert_eq!(cookie_token(&planted, true), None);
        let real = headers(&[("cookie", "__Host-tertulia_session=real")]);
        assert_eq!(cookie_token(&real, true).as_deref(), Some("real"));
        assert_eq!(cookie_token(&real, false), None);
    }

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let cookie = session_cookie("t", 30, false).to_str().unwrap().to_owned();
        assert!(cookie.starts_with("tertulia_session=t;"));
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"));
        let secure = session_cookie("t", 30, true).to_str().unwrap().to_owned();
        assert!(secure.starts_with("__Host-tertulia_session=t;"));
        assert!(secure.contains("; Secure") && secure.contains("Path=/"));
        assert!(!secure.contains("Domain"));
        assert!(
            cleared_cookie(false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn programs_and_browsers() {
        assert!(is_program(&headers(&[(
            "content-type",
            "application/json"
        )])));
        assert!(!is_program(&headers(&[("origin", "http://x")])));
        assert!(!is_program(&headers(&[("sec-fetch-site", "same-origin")])));
    }

    #[tokio::test]
    async fn a_saturated_hash_gate_refuses_at_once() {
        let gate = std::sync::Arc::new(HashGate::new(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = std::sync::Arc::new(std::sync::Mutex::new(hold));
        let mut running = Vec::new();
        for _ in 0..(1 + QUEUE_PER_SLOT) {
            let gate = gate.clone();
            let hold = hold.clone();
            running.push(tokio::spawn(async move {
                gate.run(None, move || {
                    let _ = hold.lock().unwrap().recv();
                })
                .await
            }));
        }
        tokio::task::yield_now().await;
        while gate.admitted.load(std::sync::atomic::Ordering::Acquire) < 1 + QUEUE_PER_SLOT {
            tokio::task::yield_now().await;
        }
        let refused = gate.run(None, || ()).await.unwrap_err();
        assert_eq!(refused.code(), protocol::ErrorCode::RateLimited);
        for _ in 0..(1 + QUEUE_PER_SLOT) {
            release.send(()).unwrap();
        }
        for task in running {
            task.await.unwrap().unwrap();
        }
        assert!(gate.run(None, || ()).await.is_ok());
    }

    fn address(last: u8) -> AddrKey {
        AddrKey::of(std::net::IpAddr::from([192, 0, 2, last]))
    }

    #[tokio::test]
    async fn one_address_cannot_take_the_whole_queue() {
        let gate = std::sync::Arc::new(HashGate::new(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run(Some(address(1)), move || {
                    let _ = started.send(());
                    let _ = hold.recv();
                })
                .await
            })
        };
        running.await.unwrap();
        // The same address again: its share (one, with one hash at a time) is taken.
        let refused = gate.run(Some(address(1)), || ()).await.unwrap_err();
        assert_eq!(refused.code(), protocol::ErrorCode::RateLimited);
        // Another address waits its turn and gets it.
        let other = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(Some(address(2)), || 7).await })
        };
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(other.await.unwrap().unwrap(), 7);
        // Its share is given back.
        assert!(gate.run(Some(address(1)), || ()).await.is_ok());
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_keeps_its_slot_until_its_hash_ends() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let gate = std::sync::Arc::new(HashGate::new(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let finished = std::sync::Arc::new(AtomicBool::new(false));
        let quitter = {
            let (gate, finished) = (gate.clone(), finished.clone());
            tokio::spawn(async move {
                gate.run(Some(address(1)), move || {
                    let _ = started.send(());
                    let _ = hold.recv();
                    finished.store(true, Ordering::Release);
                })
                .await
            })
        };
        running.await.unwrap();
        quitter.abort();
        let _ = quitter.await;
        // The address's place is still held too.
        let refused = gate.run(Some(address(1)), || ()).await.unwrap_err();
        assert_eq!(refused.code(), protocol::ErrorCode::RateLimited);
        // The next hash starts only once the abandoned one has ended: given time to start
        // (it must not), then the abandoned one is let finish.
        let (next_started, next_starting) = tokio::sync::oneshot::channel::<()>();
        let next = {
            let (gate, finished) = (gate.clone(), finished.clone());
            tokio::spawn(async move {
                gate.run(Some(address(2)), move || {
                    let _ = next_started.send(());
                    finished.load(Ordering::Acquire)
                })
                .await
            })
        };
        let early =
            tokio::time::timeout(std::time::Duration::from_millis(300), next_starting).await;
        assert!(
            early.is_err(),
            "the next hash started beside the abandoned one"
        );
        release.send(()).unwrap();
        assert!(
            next.await.unwrap().unwrap(),
            "it ran beside the abandoned hash"
        );
    }
}
