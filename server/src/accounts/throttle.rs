//! How failed sign-ins slow down guessing one account's password, whatever the addresses the
//! guesses come from: after [`FREE_FAILURES`] failures within [`WINDOW`] the name is held back
//! for a delay that doubles with each further failure, up to [`DELAY_MAX`]. The owner is not
//! locked out: a browser that signed in to the account before (a known device) is not held
//! back, and a success clears the count. Names that do not exist are counted the same way, so
//! the answer tells nothing about which names are accounts.

use std::time::Duration;

/// Failures within the window before the name is held back.
pub const FREE_FAILURES: u32 = 5;

/// How long failures are remembered: a failure after a quiet hour counts from one again.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// The longest a name is held back after one failure.
pub const DELAY_MAX: Duration = Duration::from_secs(15 * 60);

/// How long (ms) the name is held back after its `failures`-th failure in the window: nothing
/// before [`FREE_FAILURES`], then 1 s, 2 s, 4 s... up to [`DELAY_MAX`].
#[must_use]
pub fn delay_ms(failures: u32) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    let max = i64::try_from(DELAY_MAX.as_millis()).unwrap_or(i64::MAX);
    (1_000_i64 << doublings).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_after_the_free_failures_and_stops_growing() {
        let delays: Vec<i64> = (1..=9).map(delay_ms).collect();
        assert_eq!(delays, [0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000]);
        assert_eq!(delay_ms(14), 512_000);
        assert_eq!(delay_ms(15), 900_000, "capped at 15 minutes");
        assert_eq!(delay_ms(u32::MAX), 900_000);
    }
}
