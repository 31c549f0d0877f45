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
/// instead of piling up memory and latency for everyone.
#[derive(Debug)]
pub struct HashGate {
    running: tokio::sync::Semaphore,
    /// Callers waiting or running; at most `capacity`.
    admitted: std::sync::atomic::AtomicUsize,
    capacity: usize,
}

/// Waiters allowed per hashing slot.
const QUEUE_PER_SLOT: usize = 4;

impl HashGate {
    /// A gate running `concurrency` hashes at once.
    #[must_use]
    pub fn new(concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            running: tokio::sync::Semaphore::new(concurrency),
            admitted: std::sync::atomic::AtomicUsize::new(0),
            capacity: concurrency * (1 + QUEUE_PER_SLOT),
        }
    }

    /// Runs `work` on the blocking pool when a slot is free.
    ///
    /// # Errors
    /// `rate_limited` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        use std::sync::atomic::Ordering;
        let admitted = self.admitted.fetch_add(1, Ordering::AcqRel);
        let _admission = scopeguard(|| {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
        });
        if admitted >= self.capacity {
            tracing::warn!("password hashing is saturated; refusing a sign-in");
            return Err(AppError::new(
                protocol::ErrorCode::RateLimited,
                "the server is busy signing people in; try again in a moment",
            ));
        }
        let _slot = self
            .running
            .acquire()
            .await
            .map_err(|e| AppError::internal("waiting for a hashing slot", e))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::internal("hashing on the blocking pool", e))
    }
}

/// Runs `f` when dropped.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes), through `gate`.
///
/// # Errors
/// `rate_limited` when hashing is saturated; an internal fault if hashing fails.
pub async fn hash_password(gate: &HashGate, password: String) -> AppResult<String> {
    gate.run(move || {
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
    hash: Option<String>,
    password: String,
) -> AppResult<bool> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let known = hash.is_some();
    gate.run(move || {
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
    let wanted = cookie_name(secure);
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
        let hash = hash_password(&gate, "correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(
            verify_password(&gate, Some(hash.clone()), "correct horse".into())
                .await
                .unwrap()
        );
        assert!(
            !verify_password(&gate, Some(hash), "wrong".into())
                .await
                .unwrap()
        );
        assert!(
            !verify_password(&gate, None, "anything".into())
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
                gate.run(move || {
                    let _ = hold.lock().unwrap().recv();
                })
                .await
            }));
        }
        tokio::task::yield_now().await;
        while gate.admitted.load(std::sync::atomic::Ordering::Acquire) < 1 + QUEUE_PER_SLOT {
            tokio::task::yield_now().await;
        }
        let refused = gate.run(|| ()).await.unwrap_err();
        assert_eq!(refused.code(), protocol::ErrorCode::RateLimited);
        for _ in 0..(1 + QUEUE_PER_SLOT) {
            release.send(()).unwrap();
        }
        for task in running {
            task.await.unwrap().unwrap();
        }
        assert!(gate.run(|| ()).await.is_ok());
    }
}
