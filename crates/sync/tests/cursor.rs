//! The catch-up cursor against a model room: messages stored in id order (ids shared with
//! other rooms, so not consecutive), arriving live in any order proptest finds, some never
//! (the connection dropped), and catch-ups read to the end now and then. Wherever the
//! connection drops, resuming with `history {after: cursor}` gives back every message the
//! client does not hold.

use std::collections::BTreeSet;

use proptest::prelude::*;
use sync::Cursor;

#[derive(Debug, Clone)]
struct Case {
    /// The room's message ids, increasing, and `prev` of each.
    ids: Vec<i64>,
    /// The order they arrive live (indexes into `ids`); a prefix is all that arrives.
    order: Vec<usize>,
    arrived: usize,
    /// After how many arrivals a catch-up read everything stored so far to the end.
    catch_up_at: Option<usize>,
    /// What the client held when it started (the newest of the join's page).
    start: i64,
}

fn case() -> impl Strategy<Value = Case> {
    (1..40usize, 0..5i64)
        .prop_flat_map(|(n, start)| {
            let gaps = prop::collection::vec(1..4i64, n);
            let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
            (Just(start), gaps, order, 0..=n, prop::option::of(0..=n))
        })
        .prop_map(|(start, gaps, order, arrived, catch_up_at)| {
            let mut id = start;
            let ids = gaps
                .into_iter()
                .map(|gap| {
                    id += gap;
                    id
                })
                .collect();
            Case {
                ids,
                order,
                arrived,
                catch_up_at,
                start,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn resuming_from_the_cursor_skips_nothing(case in case()) {
        let prev = |index: usize| if index == 0 { case.start } else { case.ids[index - 1] };
        let mut cursor = Cursor::new();
        cursor.complete_through(Some(case.start));
        let mut held = BTreeSet::new();
        for (n, &index) in case.order[..case.arrived].iter().enumerate() {
            if case.catch_up_at == Some(n) {
                // A catch-up reads everything stored (all of `ids`) to the end.
                held.extend(case.ids.iter().copied());
                cursor.complete_through(case.ids.last().copied());
            }
            cursor.live(case.ids[index], Some(prev(index)));
            held.insert(case.ids[index]);
        }
        let resume = cursor.resume_after().unwrap();
        prop_assert!(resume >= case.start);
        let after_resume: BTreeSet<i64> = case.ids.iter().copied().filter(|id| *id > resume).collect();
        let all: BTreeSet<i64> = case.ids.iter().copied().collect();
        let recovered: BTreeSet<i64> = held.union(&after_resume).copied().collect();
        prop_assert_eq!(recovered, all);
        // And it is as far as it can be: everything up to `resume` is held, the message just
        // after it is not.
        if let Some(next) = case.ids.iter().find(|id| **id > resume) {
            prop_assert!(!held.contains(next));
        }
    }
}
