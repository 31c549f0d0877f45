//! Open sockets per user and per client address, kept as counters (a CONNECT never walks the
//! sockets). A socket holds a [`Seat`] from the moment its CONNECT is accepted; the seat is
//! given back when the socket is dropped, whether it connected fully or was refused later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::client_addr::AddrKey;

#[derive(Debug, Default)]
struct Counts {
    by_user: HashMap<i64, usize>,
    by_addr: HashMap<AddrKey, usize>,
}

/// The counters. Cheap to share (`Arc` inside).
#[derive(Debug, Default, Clone)]
pub struct SocketCensus {
    counts: Arc<Mutex<Counts>>,
}

/// One socket's place in the census; dropping it frees the place.
#[derive(Debug)]
pub struct Seat {
    counts: Arc<Mutex<Counts>>,
    user: i64,
    addr: AddrKey,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        decrement(&mut counts.by_user, self.user);
        decrement(&mut counts.by_addr, self.addr);
    }
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: K) {
    if let Some(count) = map.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            map.remove(&key);
        }
    }
}

/// Which cap refused a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The user has `max_per_user` sockets.
    User(usize),
    /// The address has `max_per_addr` sockets.
    Addr(usize),
}

impl SocketCensus {
    /// Takes a seat for a socket of `user` from `addr`, unless a cap is reached.
    ///
    /// # Errors
    /// Which cap is full.
    pub fn seat(
        &self,
        user: i64,
        addr: AddrKey,
        max_per_user: usize,
        max_per_addr: usize,
    ) -> Result<Seat, Full> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let of_user = counts.by_user.get(&user).copied().unwrap_or(0);
        if of_user >= max_per_user {
            return Err(Full::User(of_user));
        }
        let of_addr = counts.by_addr.get(&addr).copied().unwrap_or(0);
        if of_addr >= max_per_addr {
            return Err(Full::Addr(of_addr));
        }
        *counts.by_user.entry(user).or_insert(0) += 1;
        *counts.by_addr.entry(addr).or_insert(0) += 1;
        Ok(Seat {
            counts: self.counts.clone(),
            user,
            addr,
        })
    }

    /// Which of `users` have a socket open.
    #[must_use]
    pub fn online(&self, users: &[i64]) -> std::collections::HashSet<i64> {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        users
            .iter()
            .copied()
            .filter(|user| counts.by_user.get(user).is_some_and(|n| *n > 0))
            .collect()
    }

    /// Open sockets of a user.
    #[cfg(test)]
    #[must_use]
    pub fn of_user(&self, user: i64) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_user
            .get(&user)
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seats_are_capped_and_given_back() {
        let census = SocketCensus::default();
        let addr = AddrKey::of("1.2.3.4".parse().unwrap());
        let other = AddrKey::of("5.6.7.8".parse().unwrap());
        let a = census.seat(1, addr, 2, 3).unwrap();
        let _b = census.seat(1, addr, 2, 3).unwrap();
        assert_eq!(census.seat(1, other, 2, 3).unwrap_err(), Full::User(2));
        let _c = census.seat(2, addr, 2, 3).unwrap();
        assert_eq!(census.seat(3, addr, 2, 3).unwrap_err(), Full::Addr(3));
        drop(a);
        assert_eq!(census.of_user(1), 1);
        assert!(census.seat(1, other, 2, 3).is_ok());
    }
}
