//! The join queue against a model: any sequence proptest finds of rooms asked for (some to be
//! shown, in any letter case), reconnects and a worker taking rooms. Every room asked for on
//! the connection of the moment is joined exactly once (until asked for again), nothing asked
//! on an earlier connection is joined, the room to show is joined next, and exactly one worker
//! runs while anything waits.

use std::collections::BTreeSet;

use proptest::prelude::*;
use sync::joins::room_key;
use sync::{JoinQueue, Show};

const ROOMS: [&str; 5] = ["general", "Design", "design-review", "ops", "Lunch"];

#[derive(Debug, Clone)]
enum Op {
    /// Rooms asked for (indexes into `ROOMS`, upper-cased when `shout`), maybe one to show.
    Ask {
        rooms: Vec<usize>,
        shown: Option<usize>,
        shout: bool,
    },
    /// The connection dropped and came back.
    Reconnect,
    /// The worker takes the next room (if a worker runs).
    Next,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            prop::collection::vec(0..ROOMS.len(), 0..5),
            prop::option::of(0..ROOMS.len()),
            any::<bool>()
        )
            .prop_map(|(rooms, shown, shout)| Op::Ask {
                rooms,
                shown,
                shout
            }),
        Just(Op::Reconnect),
        Just(Op::Next),
        Just(Op::Next),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn every_room_asked_is_joined_once_on_its_connection(ops in prop::collection::vec(op(), 1..60)) {
        let mut queue = JoinQueue::new();
        let mut connection = 0u64;
        // The model: room keys waiting on the connection of the moment, and whether a worker runs.
        let mut pending = BTreeSet::new();
        let mut worker = false;
        let mut shown_next: Option<String> = None;
        let mut to_show = BTreeSet::new();
        for op in ops {
            match op {
                Op::Ask { rooms, shown, shout } => {
                    let name = |i: usize| if shout { ROOMS[i].to_uppercase() } else { ROOMS[i].to_owned() };
                    let names: Vec<String> = rooms.iter().map(|&i| name(i)).collect();
                    let shown_name = shown.map(name);
                    let show = Show::UnlessMoved { on_screen: None };
                    let start = queue.ask(names.clone(), shown_name.as_deref().map(|n| (n, show)), connection);
                    prop_assert_eq!(start, !worker, "a worker is started exactly when none runs");
                    worker = true;
                    pending.extend(names.iter().map(|n| room_key(n)));
                    let shown_key = shown_name.map(|n| room_key(&n));
                    if let Some(key) = shown_key.filter(|key| names.iter().any(|n| &room_key(n) == key)) {
                        to_show.insert(key.clone());
                        shown_next = Some(key);
                    }
                }
                Op::Reconnect => {
                    connection += 1;
                    pending.clear();
                    to_show.clear();
                    shown_next = None;
                }
                Op::Next if worker => {
                    match queue.next(connection) {
                        Some((room, show)) => {
                            let key = room_key(&room);
                            prop_assert!(pending.remove(&key), "{} joined but not waiting", room);
                            if let Some(expected) = shown_next.take() {
                                prop_assert_eq!(&key, &expected, "the room to show goes first");
                            }
                            prop_assert_eq!(show != Show::No, to_show.remove(&key), "shown as asked");
                        }
                        None => {
                            prop_assert!(pending.is_empty(), "left waiting: {:?}", pending);
                            worker = false;
                        }
                    }
                }
                Op::Next => {}
            }
            prop_assert_eq!(queue.is_running(), worker);
        }
        // The worker runs on to the end: everything still waiting is joined, once.
        if worker {
            while let Some((room, _)) = queue.next(connection) {
                prop_assert!(pending.remove(&room_key(&room)), "{} joined twice", room);
            }
        }
        prop_assert!(pending.is_empty(), "never joined: {:?}", pending);
        prop_assert!(!queue.is_running());
    }
}
