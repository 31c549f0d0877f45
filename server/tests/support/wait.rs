//! Waiting with an overall bound: every loop a test waits in ends, one way or the other. Each
//! event a test awaits has its own bound (`WAIT`); a loop that skips events until the one it
//! wants could still go on for ever while other events keep coming, so the whole loop is
//! bounded too.
#![allow(dead_code)] // each test binary uses a subset

use std::future::Future;
use std::time::Duration;

/// How long one loop of waiting may take in all, whatever it waits for inside.
pub const LOOP_WAIT: Duration = Duration::from_secs(120);

/// Runs `wait` to its end, failing the test (naming `what`) if that takes longer than `limit`.
pub async fn within<T>(what: &str, limit: Duration, wait: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, wait)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {limit:?}"))
}

/// [`within`] [`LOOP_WAIT`].
pub async fn bounded<T>(what: &str, wait: impl Future<Output = T>) -> T {
    within(what, LOOP_WAIT, wait).await
}
