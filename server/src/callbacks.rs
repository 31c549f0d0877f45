//! Calls to the addresses of bots' slash commands (v1.29): a signed JSON post, answered with
//! JSON. Addresses are anybody's choice (a bot's owner registers them), so the calls go through
//! the link previews' guarded client: public addresses only (after DNS) unless the operator
//! allows a network (`TERTULIA_BOT_CALLBACK_ALLOW`), no redirect, 5 s, a 16 KiB answer, and a
//! few calls at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hmac::{Hmac, Mac};
use protocol::{CommandAnswer, CommandCall};
use reqwest::header::{HeaderMap, HeaderValue, USER_AGENT};
use sha2::Sha256;
use thiserror::Error;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::Config;
use crate::links::address::AddressPolicy;
use crate::links::fetch::{FetchError, Fetcher, Limits, Lookup, SystemLookup};

/// The header holding the call's time (ms), which the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-tertulia-timestamp";

/// The header holding the signature: `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub const SIGNATURE_HEADER: &str = "x-tertulia-signature";

/// Calls running at once; past them a command is refused `rate_limited`.
pub const AT_ONCE: usize = 16;

/// Calls to one bot running at once (one slow program cannot take every turn).
pub const PER_BOT: usize = 4;

/// Longest answer read, in bytes.
pub const ANSWER_MAX: usize = 16 * 1024;

/// Longest a call may take, answer included.
pub const CALL_TIME: Duration = Duration::from_secs(5);

/// How the calls introduce themselves.
const AGENT: &str = concat!(
    "Tertulia/",
    env!("CARGO_PKG_VERSION"),
    " (slash command; +https://github.com/tertulia)"
);

/// What a call's limits are.
fn limits() -> Limits {
    Limits {
        connect: Duration::from_secs(3),
        total: CALL_TIME,
        redirects: 0,
        page_bytes: ANSWER_MAX,
        image_bytes: 0,
    }
}

/// Why a call gave no answer.
#[derive(Debug, Error)]
pub enum CallError {
    /// The address is not one this server calls.
    #[error("its address is not one this server may call")]
    Refused,
    /// Too many calls are running.
    #[error("too many commands are running; try again in a moment")]
    Busy,
    /// No answer, a failing one, or one that is no [`CommandAnswer`].
    #[error("{0}")]
    Failed(String),
}

/// The command callers of this node. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Callbacks {
    fetcher: Option<Fetcher>,
    turns: Arc<Semaphore>,
    /// Calls running per bot (absent: none).
    per_bot: Arc<Mutex<HashMap<i64, usize>>>,
}

/// One of a bot's [`PER_BOT`] turns; given back when dropped.
struct BotTurn(Arc<Mutex<HashMap<i64, usize>>>, i64);

impl Drop for BotTurn {
    fn drop(&mut self) {
        let mut running = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = running.get_mut(&self.1) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.1);
            }
        }
    }
}

impl Callbacks {
    /// Callers allowed as the settings say.
    #[must_use]
    pub(crate) fn new(config: &Config) -> Self {
        Self::with_lookup(config, Arc::new(SystemLookup))
    }

    /// As [`Self::new`], resolving names with `lookup`.
    #[must_use]
    pub(crate) fn with_lookup(config: &Config, lookup: Arc<dyn Lookup>) -> Self {
        let policy = AddressPolicy {
            public: true,
            allowed: config.bot_callback_allow.clone(),
        };
        let fetcher = Fetcher::new(policy, lookup, limits())
            .inspect_err(|error| {
                tracing::error!(%error, "bot commands are off: the HTTP client did not start");
            })
            .ok();
        Self {
            fetcher,
            turns: Arc::new(Semaphore::new(AT_ONCE)),
            per_bot: Arc::default(),
        }
    }

    /// Whether `raw` is an address a command may have: it parses, and a literal address in it
    /// is one this server may call (names are judged at each call, after DNS).
    ///
    /// # Errors
    /// [`CallError::Refused`].
    pub(crate) fn check(&self, raw: &str) -> Result<Url, CallError> {
        let url = Url::parse(raw).map_err(|_| CallError::Refused)?;
        let fetcher = self.fetcher.as_ref().ok_or(CallError::Refused)?;
        fetcher.check(&url).map_err(|_| CallError::Refused)?;
        Ok(url)
    }

    /// A turn of bot `bot`, if it has fewer than [`PER_BOT`] calls running.
    fn bot_turn(&self, bot: i64) -> Option<BotTurn> {
        let mut running = self.per_bot.lock().unwrap_or_else(PoisonError::into_inner);
        let count = running.entry(bot).or_insert(0);
        if *count >= PER_BOT {
            return None;
        }
        *count += 1;
        Some(BotTurn(self.per_bot.clone(), bot))
    }

    /// Posts `call` to `url` of bot `bot`, signed with `secret`; the bot's answer (`None` for
    /// nothing to say).
    ///
    /// # Errors
    /// Whatever kept an answer from coming. A name that resolves to an address this server
    /// may not call is told as an address that cannot be reached (and logged as what it is):
    /// the answer must not map the operator's network for a bot's owner.
    pub(crate) async fn call(
        &self,
        bot: i64,
        url: &str,
        secret: &str,
        call: &CommandCall,
    ) -> Result<Option<CommandAnswer>, CallError> {
        let url = self.check(url)?;
        let fetcher = self.fetcher.as_ref().ok_or(CallError::Refused)?;
        let _bot_turn = self.bot_turn(bot).ok_or(CallError::Busy)?;
        let _turn = self
            .turns
            .clone()
            .try_acquire_owned()
            .map_err(|_| CallError::Busy)?;
        let body = serde_json::to_vec(call).map_err(|e| CallError::Failed(e.to_string()))?;
        let timestamp = call.ts.to_string();
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(AGENT));
        let signed = [
            (TIMESTAMP_HEADER, timestamp.clone()),
            (SIGNATURE_HEADER, signature(secret, &timestamp, &body)),
        ];
        for (name, value) in signed {
            let value =
                HeaderValue::from_str(&value).map_err(|e| CallError::Failed(e.to_string()))?;
            headers.insert(name, value);
        }
        let answer = fetcher
            .post_json(&url, headers, body)
            .await
            .map_err(|error| match error {
                FetchError::Refused => {
                    tracing::info!(host = ?url.host_str(), "a command's address resolved to one this server may not call");
                    CallError::Failed("it could not be reached".into())
                }
                FetchError::Status(status) => CallError::Failed(format!("it answered {status}")),
                FetchError::TooLarge(_) => {
                    CallError::Failed(format!("its answer is larger than {ANSWER_MAX} bytes"))
                }
                FetchError::ContentType(kind) => {
                    CallError::Failed(format!("its answer is {kind:?}, not JSON"))
                }
                FetchError::Redirects => CallError::Failed("it answered with a redirect".into()),
                FetchError::Scheme => CallError::Refused,
                FetchError::Http(error) if error.is_timeout() => {
                    CallError::Failed("it did not answer in time".into())
                }
                FetchError::Http(_) => CallError::Failed("it could not be reached".into()),
            })?;
        if answer.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&answer)
            .map(Some)
            .map_err(|_| CallError::Failed("its answer is not {text, visibility}".into()))
    }
}

/// The signature of a call made at `timestamp` with `body`: `v1=` and the hex HMAC-SHA256 of
/// `"<timestamp>.<body>"` keyed with `secret`.
#[must_use]
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_are_hmac_sha256_of_the_timestamp_and_body() {
        // Computed apart, with Python's `hmac.new(b"s3cret", b'1700000000000.{"a":1}',
        // hashlib.sha256).hexdigest()`.
        assert_eq!(
            super::signature("s3cret", "1700000000000", br#"{"a":1}"#),
            "v1=8a6f992378d0d47b6fcdf1cc8d72e46ba5c789b2c9d3a538be31fe07d598ba6d"
        );
    }
}
