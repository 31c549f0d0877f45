//! The rate limiter under many subjects: a check locks one shard and looks at one bucket,
//! whatever the number of subjects; only the periodic sweep walks them all. (Timings are
//! printed, not asserted: `bench/` measures speed.)

use std::time::{Duration, Instant};

use server::client_addr::AddrKey;
use server::live::limits::{Action, Quota, RateLimiter, Subject};

fn limiter() -> RateLimiter {
    RateLimiter::new([
        (
            Action::Events,
            Quota {
                burst: 10,
                period: Duration::from_secs(60),
            },
        ),
        (
            Action::EventsFromAddr,
            Quota {
                burst: 100,
                period: Duration::from_secs(60),
            },
        ),
    ])
}

#[test]
fn twenty_thousand_subjects_then_a_thousand_checks_walk_nothing() {
    let limiter = limiter();
    for id in 0..20_000 {
        let addr = AddrKey::of(std::net::IpAddr::from([
            10,
            0,
            (id / 256) as u8,
            (id % 256) as u8,
        ]));
        assert!(limiter.charge(Action::Events, id, addr, 1));
    }
    assert_eq!(limiter.len(), 40_000, "a bucket per user and per address");
    let started = Instant::now();
    for n in 0..1_000 {
        let id = (n * 17) % 20_000;
        let addr = AddrKey::of(std::net::IpAddr::from([
            10,
            0,
            (id / 256) as u8,
            (id % 256) as u8,
        ]));
        limiter.charge(Action::Events, id, addr, 1);
    }
    let elapsed = started.elapsed();
    assert_eq!(limiter.swept(), 0, "no check walked the buckets");
    println!("1,000 checks among 40,000 buckets: {elapsed:?}");
    // Subjects keep their own budgets.
    let busy = AddrKey::of(std::net::IpAddr::from([192, 0, 2, 1]));
    for _ in 0..10 {
        assert!(limiter.charge(Action::Events, 99_999, busy, 1));
    }
    assert!(!limiter.charge(Action::Events, 99_999, busy, 1));
    assert!(limiter.check(Action::Events, Subject::User(99_998), 1));
}

#[test]
fn the_sweep_forgets_idle_subjects() {
    let limiter = limiter();
    for id in 0..1_000 {
        limiter.check(Action::Events, Subject::User(id), 1);
    }
    // Not refilled yet: kept.
    assert_eq!(limiter.sweep(), 1_000);
    assert_eq!(limiter.swept(), 1_000);
}
