//! What to do when the server refuses a namespace (its CONNECT answered with an error).
//!
//! A passing refusal (`rate_limited`: too many tabs open; `internal`: the server could not
//! check, e.g. its Redis is away) is asked for again after a growing, jittered delay, and the
//! reader is told once, on the first; `unauthorized` on the chat's namespace means the session
//! is over; any other refusal of the chat's namespace is told. Each namespace counts its own
//! refusals, from zero again once it connects.

use std::collections::HashMap;

use protocol::ConnectRefusal;
use socket_client::Backoff;

/// The delays between asks for a namespace refused for a passing reason.
pub const ASK_AGAIN_BACKOFF: Backoff = Backoff {
    base_ms: 2_000,
    max_ms: 60_000,
    jitter: 0.5,
};

/// What the driver does about a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnRefusal {
    /// The session is over: sign this page out.
    SignOut,
    /// Ask for the namespace again after `after_ms`, if it is still refused on the connection
    /// of the moment; with `tell`, say why now.
    AskAgain {
        /// The delay before asking again.
        after_ms: u64,
        /// Whether to tell the reader (the first refusal of the main namespace).
        tell: bool,
    },
    /// Tell the reader the chat is refused, and leave it so.
    Tell,
    /// Nothing (a side namespace the page does without).
    Nothing,
}

/// Refusals counted per namespace since it last connected.
#[derive(Debug, Default)]
pub struct Refusals {
    main: String,
    counts: HashMap<String, u32>,
}

impl Refusals {
    /// Counts for a connection whose main namespace (the one whose refusal the reader is told
    /// about) is `main`.
    #[must_use]
    pub fn new(main: &str) -> Self {
        Self {
            main: main.to_owned(),
            counts: HashMap::new(),
        }
    }

    /// `ns` connected: its next refusal is a first one again.
    pub fn connected(&mut self, ns: &str) {
        self.counts.remove(ns);
    }

    /// `ns` was refused with `message` (the server's CONNECT error); `random` is uniform in
    /// `[0, 1)` (the backoff's jitter).
    pub fn refused(&mut self, ns: &str, message: &str, random: f64) -> OnRefusal {
        let main = ns == self.main;
        match ConnectRefusal::parse(message) {
            Some(ConnectRefusal::Unauthorized) if main => OnRefusal::SignOut,
            Some(ConnectRefusal::RateLimited | ConnectRefusal::Internal) => {
                let count = self.counts.entry(ns.to_owned()).or_default();
                let attempt = *count;
                *count = count.saturating_add(1);
                OnRefusal::AskAgain {
                    after_ms: ASK_AGAIN_BACKOFF.delay_ms(attempt, random),
                    tell: main && attempt == 0,
                }
            }
            _ if main => OnRefusal::Tell,
            _ => OnRefusal::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use protocol::events::{chat, notifications};

    const MAIN: &str = chat::NS;
    const SIDE: &str = notifications::NS;
    const LIMITED: &str = ConnectRefusal::RateLimited.as_str();
    const INTERNAL: &str = ConnectRefusal::Internal.as_str();
    const UNAUTHORIZED: &str = ConnectRefusal::Unauthorized.as_str();
    const FORBIDDEN: &str = ConnectRefusal::Forbidden.as_str();

    #[test]
    fn a_passing_refusal_is_asked_again_later_and_told_once() {
        let mut refusals = Refusals::new(MAIN);
        let asks: Vec<OnRefusal> = (0..3)
            .map(|_| refusals.refused(MAIN, LIMITED, 0.5))
            .collect();
        assert_eq!(
            asks,
            [
                OnRefusal::AskAgain {
                    after_ms: 2_000,
                    tell: true
                },
                OnRefusal::AskAgain {
                    after_ms: 4_000,
                    tell: false
                },
                OnRefusal::AskAgain {
                    after_ms: 8_000,
                    tell: false
                },
            ]
        );
        // Connected at last: a later refusal is a first one again.
        refusals.connected(MAIN);
        assert_eq!(
            refusals.refused(MAIN, INTERNAL, 0.5),
            OnRefusal::AskAgain {
                after_ms: 2_000,
                tell: true
            }
        );
    }

    #[test]
    fn each_namespace_counts_its_own_and_a_side_one_is_never_told() {
        let mut refusals = Refusals::new(MAIN);
        let _ = refusals.refused(MAIN, LIMITED, 0.5);
        assert_eq!(
            refusals.refused(SIDE, LIMITED, 0.5),
            OnRefusal::AskAgain {
                after_ms: 2_000,
                tell: false
            }
        );
        assert_eq!(
            refusals.refused(MAIN, LIMITED, 0.5),
            OnRefusal::AskAgain {
                after_ms: 4_000,
                tell: false
            }
        );
    }

    #[test]
    fn an_ended_session_signs_out_and_other_refusals_are_told() {
        let mut refusals = Refusals::new(MAIN);
        assert_eq!(
            refusals.refused(MAIN, UNAUTHORIZED, 0.5),
            OnRefusal::SignOut
        );
        assert_eq!(refusals.refused(MAIN, FORBIDDEN, 0.5), OnRefusal::Tell);
        assert_eq!(
            refusals.refused(MAIN, "a reason from the future", 0.5),
            OnRefusal::Tell
        );
        assert_eq!(
            refusals.refused(SIDE, UNAUTHORIZED, 0.5),
            OnRefusal::Nothing
        );
        assert_eq!(refusals.refused(SIDE, FORBIDDEN, 0.5), OnRefusal::Nothing);
    }

    #[test]
    fn the_delay_stops_growing_at_a_minute() {
        let mut refusals = Refusals::new(MAIN);
        let last = (0..40)
            .map(|_| refusals.refused(MAIN, INTERNAL, 0.99))
            .last();
        let Some(OnRefusal::AskAgain { after_ms, .. }) = last else {
            panic!("asked again: {last:?}");
        };
        assert!(after_ms <= 60_000, "{after_ms}");
    }
}
