//! One behaviour, one test, both backends: every test here runs against the memory backend and
//! against Redis, through the same [`Live`] interface the services use, so the two cannot
//! drift apart unnoticed.
//!
//! Redis comes from `TERTULIA_TEST_REDIS_URL` (`scripts/test.sh` starts a real Redis 7 and sets
//! it). Without it the Redis half is skipped with a note, unless
//! `TERTULIA_TEST_REQUIRE_SERVICES` is set (as in CI), in which case it fails: a missing
//! service must never pass silently. Every test uses its own key prefix, so they run in
//! parallel against one Redis.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use protocol::{Role, User};

use super::limits::{Action, Quota, Subject};
use super::redis::RedisLive;
use super::{Change, Departure, Full, Live};
use crate::client_addr::AddrKey;
use crate::metrics::Metrics;

/// The quotas every conformance test runs with.
fn quotas() -> Vec<(Action, Quota)> {
    vec![
        (
            Action::Message,
            Quota {
                burst: 3,
                period: Duration::from_secs(60),
            },
        ),
        (
            Action::MessageFromAddr,
            Quota {
                burst: 5,
                period: Duration::from_secs(60),
            },
        ),
        (
            // Refills: one token every 500 ms.
            Action::Join,
            Quota {
                burst: 2,
                period: Duration::from_secs(1),
            },
        ),
        (
            Action::Auth,
            Quota {
                burst: 0,
                period: Duration::from_secs(60),
            },
        ),
    ]
}

fn user(id: i64, name: &str) -> User {
    User {
        id,
        username: name.into(),
        role: Role::Member,
    }
}

fn addr(last: u8) -> AddrKey {
    AddrKey::of(std::net::IpAddr::from([192, 0, 2, last]))
}

/// The Redis URL to test against, if any (see the module's comment).
fn redis_url() -> Option<String> {
    match std::env::var("TERTULIA_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("TERTULIA_TEST_REQUIRE_SERVICES").is_none(),
                "TERTULIA_TEST_REQUIRE_SERVICES is set but TERTULIA_TEST_REDIS_URL is not: \
                 the Redis backend would go untested"
            );
            eprintln!("TERTULIA_TEST_REDIS_URL is not set: the Redis backend is not tested here");
            None
        }
    }
}

/// A Redis backend for node `node` under `prefix`.
async fn redis_node(url: &str, prefix: &str, node: &str) -> Live {
    let client = redis::Client::open(format!("{url}?protocol=resp3")).expect("a Redis URL");
    let conn = redis::aio::ConnectionManager::new(client)
        .await
        .expect("Redis answers");
    let metrics = Metrics::new(node);
    Live::redis(
        RedisLive::new(conn, prefix.to_owned(), node.to_owned(), metrics.clone()),
        quotas(),
        metrics,
    )
}

/// A key prefix no other test run uses.
fn fresh_prefix(test: &str) -> String {
    format!("conformance-{test}-{:016x}", rand::random::<u64>())
}

/// Runs `check` against the memory backend, then against Redis when there is one.
async fn on_both<F, Fut>(test: &str, check: F)
where
    F: Fn(Live) -> Fut,
    Fut: Future<Output = ()>,
{
    check(Live::memory(quotas(), Metrics::new("memory"))).await;
    if let Some(url) = redis_url() {
        check(redis_node(&url, &fresh_prefix(test), "node-a").await).await;
    }
}

/// Retries `probe` until it is true, for up to 5 s (for what Redis does in the background, such
/// as giving a seat back).
async fn eventually<F, Fut>(what: &str, probe: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !probe().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_user_arrives_with_their_first_socket_and_leaves_with_their_last() {
    on_both("presence", |live| async move {
        let (ana, bea) = (user(1, "ana"), user(2, "Bea"));
        live.connect("a1", &ana, 0).await.unwrap();
        live.connect("a2", &ana, 0).await.unwrap();
        live.connect("b1", &bea, 0).await.unwrap();
        let first = live.join("a1", 7).await.unwrap();
        assert_eq!(
            first,
            Some(Change {
                user_changed: true,
                count: 1
            })
        );
        let second_tab = live.join("a2", 7).await.unwrap();
        assert_eq!(
            second_tab,
            Some(Change {
                user_changed: false,
                count: 1
            })
        );
        assert_eq!(live.join("a2", 7).await.unwrap(), None, "already there");
        let bea_joins = live.join("b1", 7).await.unwrap();
        assert_eq!(
            bea_joins,
            Some(Change {
                user_changed: true,
                count: 2
            })
        );
        assert!(live.is_in("a1", 7).await.unwrap());
        assert!(!live.is_in("a1", 8).await.unwrap());
        assert_eq!(live.count(7).await.unwrap(), 2);
        assert_eq!(live.totals().await.unwrap(), (2, 3));
        // One tab of two leaves: the user stays.
        assert_eq!(
            live.leave("a1", 7).await.unwrap(),
            Some(Change {
                user_changed: false,
                count: 2
            })
        );
        assert_eq!(
            live.leave("a1", 7).await.unwrap(),
            None,
            "not there any more"
        );
        // The last tab goes away: the user leaves the room.
        let departures = live.disconnect("a2").await.unwrap();
        assert_eq!(
            departures,
            [Departure {
                user: 1,
                room: 7,
                change: Change {
                    user_changed: true,
                    count: 1
                }
            }]
        );
        assert_eq!(live.count(7).await.unwrap(), 1);
        assert_eq!(live.totals().await.unwrap(), (2, 2));
        assert!(live.disconnect("a2").await.unwrap().is_empty(), "once");
    })
    .await;
}

#[tokio::test]
async fn unknown_sockets_change_nothing() {
    on_both("unknown", |live| async move {
        assert_eq!(live.join("ghost", 1).await.unwrap(), None);
        assert_eq!(live.leave("ghost", 1).await.unwrap(), None);
        assert!(!live.is_in("ghost", 1).await.unwrap());
        assert!(live.disconnect("ghost").await.unwrap().is_empty());
        assert_eq!(live.count(1).await.unwrap(), 0);
        assert_eq!(live.totals().await.unwrap(), (0, 0));
    })
    .await;
}

#[tokio::test]
async fn members_are_listed_by_name_ignoring_case_in_pages() {
    on_both("member-pages", |live| async move {
        let names = ["dora", "Ana", "carl", "Bea", "eve"];
        for (i, name) in names.iter().enumerate() {
            let sid = format!("s{i}");
            live.connect(&sid, &user(i as i64 + 1, name), 0)
                .await
                .unwrap();
            live.join(&sid, 3).await.unwrap();
        }
        let (page, total) = live.members_page(3, 0, 2).await.unwrap();
        assert_eq!(total, 5);
        let listed: Vec<&str> = page.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(listed, ["Ana", "Bea"]);
        let (page, _) = live.members_page(3, 2, 10).await.unwrap();
        let listed: Vec<&str> = page.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(listed, ["carl", "dora", "eve"]);
        let (empty, total) = live.members_page(99, 0, 10).await.unwrap();
        assert!(empty.is_empty());
        assert_eq!(total, 0);
    })
    .await;
}

#[tokio::test]
async fn a_disconnect_leaves_every_room_of_the_socket() {
    on_both("departures", |live| async move {
        live.connect("s", &user(5, "eve"), 0).await.unwrap();
        for room in [10, 11, 12] {
            live.join("s", room).await.unwrap();
        }
        live.connect("t", &user(6, "fay"), 0).await.unwrap();
        live.join("t", 11).await.unwrap();
        let mut departures = live.disconnect("s").await.unwrap();
        departures.sort_by_key(|d| d.room);
        let seen: Vec<(i64, bool, usize)> = departures
            .iter()
            .map(|d| (d.room, d.change.user_changed, d.change.count))
            .collect();
        assert_eq!(seen, [(10, true, 0), (11, true, 1), (12, true, 0)]);
        let counts = live.counts(&[10, 11, 12]).await.unwrap();
        assert_eq!(counts, HashMap::from([(10, 0), (11, 1), (12, 0)]));
    })
    .await;
}

#[tokio::test]
async fn only_the_latest_typing_timer_ends_typing() {
    on_both("typing-timers", |live| async move {
        let ttl = Duration::from_secs(5);
        let first = live.typing_start(1, 7, None, ttl).await.unwrap();
        assert_eq!(first.was, None, "it began");
        let second = live.typing_start(1, 7, None, ttl).await.unwrap();
        assert_eq!(second.was, Some(None), "a renewal");
        assert_ne!(first.generation, second.generation);
        assert!(
            !live
                .typing_expire(1, 7, first.generation, None)
                .await
                .unwrap(),
            "an old timer"
        );
        assert!(
            live.typing_expire(1, 7, second.generation, None)
                .await
                .unwrap()
        );
        assert_eq!(live.typing_stop(1, 7).await.unwrap(), None, "already over");
        live.typing_start(1, 7, None, ttl).await.unwrap();
        assert_eq!(live.typing_stop(1, 7).await.unwrap(), Some(None));
        assert_eq!(live.typing_stop(1, 7).await.unwrap(), None);
        // Another room, another user: independent.
        live.typing_start(2, 7, None, ttl).await.unwrap();
        assert_eq!(live.typing_start(2, 8, None, ttl).await.unwrap().was, None);
    })
    .await;
}

/// One place per person and room (v1.27): typing in a thread, then in the room, moves the
/// state (and says where it was); a timer of the old place ends nothing.
#[tokio::test]
async fn typing_moves_between_a_room_and_its_threads() {
    on_both("typing-places", |live| async move {
        let ttl = Duration::from_secs(5);
        let in_thread = live.typing_start(4, 7, Some(40), ttl).await.unwrap();
        assert_eq!(in_thread.was, None);
        let in_room = live.typing_start(4, 7, None, ttl).await.unwrap();
        assert_eq!(in_room.was, Some(Some(40)));
        assert!(
            !live
                .typing_expire(4, 7, in_thread.generation, Some(40))
                .await
                .unwrap()
        );
        let elsewhere = live.typing_start(4, 7, Some(41), ttl).await.unwrap();
        assert_eq!(elsewhere.was, Some(None));
        // "Stopped in the room" said late, from the room's box, ends nothing in the thread.
        assert!(!live.typing_stop_at(4, 7, None).await.unwrap());
        assert_eq!(live.typing_stop(4, 7).await.unwrap(), Some(Some(41)));
        live.typing_start(4, 7, Some(41), ttl).await.unwrap();
        assert!(live.typing_stop_at(4, 7, Some(41)).await.unwrap());
        assert!(!live.typing_stop_at(4, 7, Some(41)).await.unwrap());
        // A timer ends its own state, place and all.
        let again = live.typing_start(4, 7, Some(41), ttl).await.unwrap();
        assert!(
            live.typing_expire(4, 7, again.generation, Some(41))
                .await
                .unwrap()
        );
        assert_eq!(live.typing_stop(4, 7).await.unwrap(), None);
    })
    .await;
}

/// The chat service ends typing when the TTL has passed (and tells the room): the state must
/// still be there for its timer to end, on both backends.
#[tokio::test]
async fn the_typing_timer_ends_typing_after_the_ttl() {
    on_both("typing-ttl", |live| async move {
        let ttl = Duration::from_millis(100);
        let started = live.typing_start(3, 9, None, ttl).await.unwrap();
        // What the timer does: wait the TTL, then end this generation.
        tokio::time::sleep(ttl).await;
        assert!(
            live.typing_expire(3, 9, started.generation, None)
                .await
                .unwrap(),
            "the timer finds the typing state it is to end"
        );
    })
    .await;
}

#[tokio::test]
async fn a_bucket_allows_its_burst_then_refuses() {
    on_both("bucket", |live| async move {
        let ana = Subject::User(1);
        for _ in 0..3 {
            assert!(live.check(Action::Message, ana, 1).await);
        }
        assert!(!live.check(Action::Message, ana, 1).await, "burst spent");
        assert!(
            live.check(Action::Message, Subject::User(2), 1).await,
            "per subject"
        );
        assert!(
            !live.check(Action::Message, Subject::User(3), 4).await,
            "a cost above the burst never passes"
        );
        assert!(
            live.check(Action::Events, ana, 1_000).await,
            "no quota: unlimited"
        );
        // The two refusals are counted under the limit's name, on either backend.
        let text = live.metrics().render();
        let counted = text
            .lines()
            .find(|line| {
                line.starts_with("tertulia_rate_limited_total")
                    && line.contains(r#"limit="messages""#)
            })
            .unwrap_or_else(|| panic!("no refusal counted:\n{text}"));
        assert!(counted.ends_with(" 2"), "{counted}");
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_zero_allows_nothing() {
    on_both("zero", |live| async move {
        let subject = Subject::Addr(addr(1));
        assert!(!live.check(Action::Auth, subject, 1).await);
        assert!(!live.check(Action::Auth, subject, 1).await);
        // A charge against a zero burst too (the user's quota here).
        assert!(!live.charge(Action::Auth, 1, addr(2), 1).await);
    })
    .await;
}

#[tokio::test]
async fn a_bucket_refills_over_its_period() {
    on_both("refill", |live| async move {
        let bea = Subject::User(2);
        assert!(live.check(Action::Join, bea, 2).await);
        assert!(!live.check(Action::Join, bea, 1).await);
        // One token comes back every 500 ms: waiting is what is being tested.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(live.check(Action::Join, bea, 1).await, "refilled");
    })
    .await;
}

#[tokio::test]
async fn a_charge_needs_room_in_the_users_and_the_addresses_bucket() {
    on_both("charge", |live| async move {
        let shared = addr(9);
        for _ in 0..3 {
            assert!(live.charge(Action::Message, 1, shared, 1).await);
        }
        assert!(
            !live.charge(Action::Message, 1, shared, 1).await,
            "the user's 3"
        );
        assert!(live.charge(Action::Message, 2, shared, 1).await);
        assert!(live.charge(Action::Message, 2, shared, 1).await);
        assert!(
            !live.charge(Action::Message, 3, shared, 1).await,
            "the address's 5 are spent, whoever asks"
        );
        assert!(live.charge(Action::Message, 3, addr(10), 1).await);
    })
    .await;
}

#[tokio::test]
async fn seats_are_capped_per_user_and_per_address_and_given_back() {
    on_both("seats", |live| async move {
        let (home, away) = (addr(1), addr(2));
        let first = live.seat(1, home, 2, 3).await.unwrap().unwrap();
        let _second = live.seat(1, home, 2, 3).await.unwrap().unwrap();
        assert_eq!(
            live.seat(1, away, 2, 3).await.unwrap().unwrap_err(),
            Full::User(2)
        );
        let _third = live.seat(2, home, 2, 3).await.unwrap().unwrap();
        assert_eq!(
            live.seat(3, home, 2, 3).await.unwrap().unwrap_err(),
            Full::Addr(3)
        );
        drop(first);
        let live = &live;
        eventually("a dropped seat is given back", || async move {
            live.seat(1, away, 2, 3).await.unwrap().is_ok()
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn someone_is_online_while_they_hold_a_seat() {
    on_both("online", |live| async move {
        assert!(live.online(&[1, 2]).await.unwrap().is_empty());
        let first = live.seat(1, addr(1), 5, 5).await.unwrap().unwrap();
        let _second = live.seat(1, addr(2), 5, 5).await.unwrap().unwrap();
        let _other = live.seat(3, addr(1), 5, 5).await.unwrap().unwrap();
        assert_eq!(
            live.online(&[1, 2, 3]).await.unwrap(),
            [1, 3].into_iter().collect()
        );
        assert!(live.online(&[]).await.unwrap().is_empty());
        drop(first);
        assert!(
            live.online(&[1]).await.unwrap().contains(&1),
            "one socket left"
        );
    })
    .await;
}

#[tokio::test]
async fn the_last_activity_only_moves_forward() {
    on_both("last-active", |live| async move {
        assert!(live.last_active(&[1, 2]).await.unwrap().is_empty());
        assert!(live.last_active(&[]).await.unwrap().is_empty());
        live.touch(1, 5_000).await.unwrap();
        live.touch(2, 7_000).await.unwrap();
        // A report that arrives late (from another node, say) does not move it back.
        live.touch(1, 4_000).await.unwrap();
        assert_eq!(
            live.last_active(&[1, 2, 3]).await.unwrap(),
            [(1, 5_000), (2, 7_000)].into_iter().collect()
        );
        live.touch(1, 9_000).await.unwrap();
        assert_eq!(live.last_active(&[1]).await.unwrap()[&1], 9_000);
        // Opening the app is acting; closing its last connection forgets it.
        live.connect("c1", &user(3, "cy"), 3_000).await.unwrap();
        live.connect("c2", &user(3, "cy"), 2_000).await.unwrap();
        assert_eq!(live.last_active(&[3]).await.unwrap()[&3], 3_000);
        live.disconnect("c1").await.unwrap();
        assert_eq!(live.last_active(&[3]).await.unwrap()[&3], 3_000, "one left");
        live.disconnect("c2").await.unwrap();
        assert!(live.last_active(&[3]).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn this_node_keeps_a_lease_it_holds() {
    on_both("lease", |live| async move {
        assert!(live.lease("duty", Duration::from_secs(10)).await);
        assert!(live.lease("duty", Duration::from_secs(10)).await, "renewed");
        assert!(live.lease("other duty", Duration::from_secs(10)).await);
    })
    .await;
}

/// In a cluster two nodes share one picture of presence, and one lease holder at a time.
#[tokio::test]
async fn two_redis_nodes_see_the_same_presence_and_one_lease_holder() {
    let Some(url) = redis_url() else { return };
    let prefix = fresh_prefix("nodes");
    let a = redis_node(&url, &prefix, "node-a").await;
    let b = redis_node(&url, &prefix, "node-b").await;
    a.connect("a1", &user(1, "ana"), 0).await.unwrap();
    b.connect("b1", &user(2, "bea"), 0).await.unwrap();
    a.join("a1", 4).await.unwrap();
    let change = b.join("b1", 4).await.unwrap().unwrap();
    assert_eq!(change.count, 2, "node b sees node a's member");
    assert!(b.is_in("a1", 4).await.unwrap());
    assert_eq!(a.totals().await.unwrap(), (2, 2));
    a.touch(1, 8_000).await.unwrap();
    b.touch(1, 6_000).await.unwrap();
    assert_eq!(
        b.last_active(&[1]).await.unwrap()[&1],
        8_000,
        "one activity, both nodes"
    );
    assert!(a.lease("duty", Duration::from_secs(2)).await);
    assert!(!b.lease("duty", Duration::from_secs(2)).await, "held by a");
    let b = &b;
    eventually(
        "b takes the lease once a stops renewing it",
        || async move { b.lease("duty", Duration::from_secs(2)).await },
    )
    .await;
    assert!(
        !a.lease("duty", Duration::from_secs(2)).await,
        "now held by b"
    );
}
