//! Telling the server the person is at the keyboard (v1.21), without I/O: the directory shows
//! someone online who has not acted for a while as away. Every key, click or return to the tab
//! is activity; the server hears of it at most once a minute, and a new connection counts as
//! activity by itself.

/// How often at most the app reports activity, in milliseconds.
pub const REPORT_EVERY_MS: f64 = 60_000.0;

/// When activity was last reported (or a connection opened).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ActivityReports {
    last: Option<f64>,
}

impl ActivityReports {
    /// Whether activity at `now` (ms) is news for the server.
    #[must_use]
    pub fn is_due(&self, now: f64) -> bool {
        // A clock that went back (the computer's time was set) reports again.
        self.last
            .is_none_or(|last| now < last || now - last >= REPORT_EVERY_MS)
    }

    /// Activity at `now` was sent.
    pub fn sent(&mut self, now: f64) {
        self.last = Some(now);
    }

    /// A connection opened at `now`: the server counted that as activity.
    pub fn connected(&mut self, now: f64) {
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Acts at `now`, sending when due (as the driver does): whether it was sent.
    fn act(reports: &mut ActivityReports, now: f64) -> bool {
        let due = reports.is_due(now);
        if due {
            reports.sent(now);
        }
        due
    }

    #[test]
    fn activity_is_reported_at_most_once_a_minute() {
        let mut reports = ActivityReports::default();
        assert!(act(&mut reports, 1_000.0), "the first activity is news");
        assert!(!act(&mut reports, 2_000.0));
        assert!(!act(&mut reports, 1_000.0 + REPORT_EVERY_MS - 1.0));
        assert!(act(&mut reports, 1_000.0 + REPORT_EVERY_MS));
        assert!(!act(&mut reports, 1_000.0 + REPORT_EVERY_MS + 5.0));
    }

    #[test]
    fn an_unsent_report_stays_due() {
        let reports = ActivityReports::default();
        assert!(reports.is_due(1_000.0));
        assert!(
            reports.is_due(1_001.0),
            "nothing was sent, so it is still news"
        );
    }

    #[test]
    fn a_connection_counts_and_a_clock_set_back_reports_again() {
        let mut reports = ActivityReports::default();
        reports.connected(10_000.0);
        assert!(!act(&mut reports, 10_500.0), "the connection just said so");
        assert!(act(&mut reports, 500.0), "the clock went back");
    }
}
