//! Reconnection delays: exponential growth with a cap and random jitter.

/// Exponential backoff with jitter, as socket.io-client does it.
///
/// The n-th retry waits `min(max, base * 2^n)`, spread by ±`jitter` (a fraction) so that many
/// clients dropped together do not all come back in the same millisecond.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay before the first retry, in milliseconds.
    pub base_ms: u64,
    /// Upper bound for any delay, in milliseconds.
    pub max_ms: u64,
    /// Fraction (0–1) by which a delay is randomly shortened or lengthened.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_ms: 500,
            max_ms: 10_000,
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// Delay before retry number `attempt` (0-based); `random` is uniform in `[0, 1)`.
    #[must_use]
    pub fn delay_ms(&self, attempt: u32, random: f64) -> u64 {
        let exp = self
            .base_ms
            .saturating_mul(1u64.checked_shl(attempt.min(32)).unwrap_or(u64::MAX));
        let capped = exp.min(self.max_ms) as f64;
        let spread = capped * self.jitter.clamp(0.0, 1.0);
        let delay = capped - spread + 2.0 * spread * random.clamp(0.0, 1.0);
        (delay.round() as u64).min(self.max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_without_jitter() {
        let backoff = Backoff {
            base_ms: 100,
            max_ms: 1_000,
            jitter: 0.0,
        };
        let delays: Vec<u64> = (0..6).map(|n| backoff.delay_ms(n, 0.7)).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_000, 1_000]);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let backoff = Backoff {
            base_ms: 1_000,
            max_ms: 60_000,
            jitter: 0.5,
        };
        assert_eq!(backoff.delay_ms(0, 0.0), 500);
        assert_eq!(backoff.delay_ms(0, 0.5), 1_000);
        assert_eq!(backoff.delay_ms(0, 0.999_999), 1_500);
        assert_eq!(backoff.delay_ms(1, 0.0), 1_000);
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let backoff = Backoff::default();
        assert!(backoff.delay_ms(u32::MAX, 1.0) <= backoff.max_ms);
        assert!(backoff.delay_ms(64, 0.0) <= backoff.max_ms);
    }
}
