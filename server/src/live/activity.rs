//! When each person with the app open last acted (typed, clicked, came back to a tab), in
//! memory: the directory shows someone who has not acted for a while as away. An entry lives
//! while its user has a `/chat` socket.

use std::collections::HashMap;
use std::sync::Mutex;

/// The last activity of each user, in ms since the epoch (only ever moves forward).
#[derive(Debug, Default)]
pub struct LastActivity {
    last: Mutex<HashMap<i64, i64>>,
}

impl LastActivity {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, i64>> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `user` acted at `at_ms` (an earlier time than the one held changes nothing).
    pub fn touch(&self, user: i64, at_ms: i64) {
        let mut last = self.lock();
        let held = last.entry(user).or_insert(at_ms);
        *held = (*held).max(at_ms);
    }

    /// Forgets `user` (their last `/chat` socket went).
    pub fn forget(&self, user: i64) {
        self.lock().remove(&user);
    }

    /// When each of `users` last acted, for those who have the app open.
    #[must_use]
    pub fn last_active(&self, users: &[i64]) -> HashMap<i64, i64> {
        let last = self.lock();
        users
            .iter()
            .filter_map(|user| last.get(user).map(|at| (*user, *at)))
            .collect()
    }
}
