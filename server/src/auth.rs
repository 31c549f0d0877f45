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
use protocol::User;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::Store;

use crate::error::{AppError, AppResult};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tertulia_session";

/// Current time in Unix milliseconds.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes).
///
/// # Errors
/// [`AppError::Internal`] if hashing fails.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash. With no hash (unknown user or guest) a dummy hash
/// is checked instead, so the answer takes as long whether or not the account exists.
pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY
        .get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(b"not a real password", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone();
    let known = hash.is_some();
    let hash = hash.unwrap_or(dummy);
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
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

/// The token a request carries: `Authorization: Bearer` first, then the session cookie.
#[must_use]
pub fn request_token(headers: &HeaderMap) -> Option<(String, CredentialSource)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some((token.trim().to_owned(), CredentialSource::Token));
    }
    cookie_token(headers).map(|token| (token, CredentialSource::Cookie))
}

/// The session cookie's value, if present.
#[must_use]
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// Resolves a token to its live session's user.
///
/// # Errors
/// [`AppError::Internal`] on a database failure.
pub async fn user_for_token(store: &Store, token: &str) -> AppResult<Option<User>> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(store.session_user(&token_hash(token), now_ms()).await?)
}

/// Starts a session for `user` and returns its token.
///
/// # Errors
/// [`AppError::Internal`] on a database failure.
pub async fn start_session(store: &Store, user: &User, days: u32) -> AppResult<String> {
    let token = new_token();
    let now = now_ms();
    let expires = now + i64::from(days) * 24 * 3600 * 1000;
    store
        .create_session(user.id, &token_hash(&token), now, expires)
        .await?;
    Ok(token)
}

/// `Set-Cookie` value for a new session: HttpOnly, SameSite=Lax, `Secure` when asked.
#[must_use]
pub fn session_cookie(token: &str, days: u32, secure: bool) -> HeaderValue {
    let max_age = u64::from(days) * 24 * 3600;
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` value that deletes the session cookie.
#[must_use]
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether a request's `Origin` is allowed: the server's own origin (same host as the request's
/// `Host` header) or one listed in `allowed`. A request without `Origin` is not a cross-site
/// browser request and passes.
#[must_use]
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((host, origin_host), (Some(host), Some(origin_host)) if host.eq_ignore_ascii_case(origin_host))
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
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(Some(hash.clone()), "correct horse".into()).await);
        assert!(!verify_password(Some(hash), "wrong".into()).await);
        assert!(!verify_password(None, "anything".into()).await);
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
            request_token(&map),
            Some(("fromheader".into(), CredentialSource::Token))
        );
        let map = headers(&[("cookie", "a=1; tertulia_session=abc; b=2")]);
        assert_eq!(
            request_token(&map),
            Some(("abc".into(), CredentialSource::Cookie))
        );
        assert_eq!(
            request_token(&headers(&[("cookie", "tertulia_session=")])),
            None
        );
    }

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let cookie = session_cookie("t", 30, false).to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"));
        assert!(
            session_cookie("t", 30, true)
                .to_str()
                .unwrap()
                .contains("; Secure")
        );
        assert!(
            cleared_cookie(false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn origins() {
        let own = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(origin_allowed(&own, &[]));
        let evil = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(!origin_allowed(&evil, &[]));
        assert!(origin_allowed(&evil, &["http://evil.example/".into()]));
        let lookalike = headers(&[
            ("host", "chat.example"),
            ("origin", "http://chat.example.evil.example"),
        ]);
        assert!(!origin_allowed(&lookalike, &[]));
        assert!(
            origin_allowed(&headers(&[("host", "x")]), &[]),
            "no Origin: not a browser"
        );
        assert!(!origin_allowed(&headers(&[("origin", "null")]), &[]));
    }
}
