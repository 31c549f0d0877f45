//! The outbox across tabs, against a model of the browser's shared storage and of the server,
//! under every interleaving proptest finds: tabs write in rooms, ask what to send, get
//! answers, lose their connection (what was on its way may or may not have reached the
//! server), are closed or reloaded (a new tab), and learn of each other's changes late.
//!
//! Checked: no entry is ever in flight from two tabs at once; the server stores each entry
//! once (by its key, as it does by `client_id`) and, per room and writer, in the order
//! written; and once every tab is connected and has caught up with storage, everything
//! written is delivered and the storage is empty.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sync::outbox::{Answer, Command, Entry, Outbox, Turn};

#[derive(Debug)]
struct Tab {
    id: String,
    outbox: Outbox<String>,
    /// Sends on their way: the entry.
    in_flight: Vec<Entry<String>>,
    connected: bool,
}

#[derive(Debug, Default)]
struct World {
    tabs: Vec<Tab>,
    storage: BTreeMap<String, Entry<String>>,
    /// What the server stored, in order: (room, writer tab, key).
    stored: Vec<(String, String, String)>,
    /// Who wrote each key (the first owner).
    writer: BTreeMap<String, String>,
    clock: i64,
    next_tab: u32,
    next_key: u32,
}

#[derive(Debug, Clone)]
enum Step {
    Write { tab: usize, room: usize },
    Next { tab: usize },
    Answer { tab: usize, reached: bool },
    Drop { tab: usize, reached: bool },
    Connect { tab: usize },
    Sync { tab: usize },
    Reload { tab: usize },
}

fn step() -> impl Strategy<Value = Step> {
    let tab = 0..3usize;
    prop_oneof![
        1 => (tab.clone(), 0..2usize).prop_map(|(tab, room)| Step::Write { tab, room }),
        3 => tab.clone().prop_map(|tab| Step::Next { tab }),
        3 => (tab.clone(), any::<bool>()).prop_map(|(tab, reached)| Step::Answer { tab, reached }),
        1 => (tab.clone(), any::<bool>()).prop_map(|(tab, reached)| Step::Drop { tab, reached }),
        1 => tab.clone().prop_map(|tab| Step::Connect { tab }),
        2 => tab.clone().prop_map(|tab| Step::Sync { tab }),
        1 => tab.prop_map(|tab| Step::Reload { tab }),
    ]
}

impl World {
    fn new() -> Self {
        let mut world = Self::default();
        for _ in 0..3 {
            let tab = world.open_tab();
            world.tabs.push(tab);
        }
        world
    }

    fn open_tab(&mut self) -> Tab {
        self.next_tab += 1;
        let mut outbox = Outbox::new();
        outbox.load(self.storage.values().cloned());
        Tab {
            id: format!("tab-{}", self.next_tab),
            outbox,
            in_flight: Vec::new(),
            connected: true,
        }
    }

    fn live(&self) -> BTreeSet<String> {
        self.tabs.iter().map(|t| t.id.clone()).collect()
    }

    fn apply(&mut self, tab: usize, commands: Vec<Command<String>>) {
        for command in commands {
            match command {
                Command::Store(entry) => {
                    self.storage.insert(entry.key.clone(), entry);
                }
                Command::Remove(key) => {
                    self.storage.remove(&key);
                }
                Command::Send(entry) => {
                    let elsewhere =
                        self.tabs.iter().enumerate().any(|(n, t)| {
                            n != tab && t.in_flight.iter().any(|e| e.key == entry.key)
                        });
                    assert!(!elsewhere, "{} is in flight from two tabs", entry.key);
                    self.tabs[tab].in_flight.push(entry);
                }
            }
        }
    }

    fn receive(&mut self, entry: &Entry<String>) {
        if !self.stored.iter().any(|(_, _, key)| *key == entry.key) {
            let writer = self.writer[&entry.key].clone();
            self.stored
                .push((entry.room.clone(), writer, entry.key.clone()));
        }
    }

    fn run(&mut self, step: Step) {
        self.clock += 1;
        let now = self.clock;
        match step {
            Step::Write { tab, room } => {
                self.next_key += 1;
                let key = format!("k{}", self.next_key);
                let owner = self.tabs[tab].id.clone();
                self.writer.insert(key.clone(), owner.clone());
                let entry = Entry {
                    key,
                    room: format!("room{room}"),
                    written_at: now,
                    owner,
                    failed: None,
                    payload: String::new(),
                };
                let command = self.tabs[tab].outbox.write(entry);
                self.apply(tab, vec![command]);
            }
            Step::Next { tab } => {
                let live = self.live();
                let t = &mut self.tabs[tab];
                let connected = t.connected;
                let turn = Turn {
                    now,
                    tab: &t.id,
                    leader: tab == 0,
                    live_tabs: Some(&live),
                };
                let commands = t.outbox.next(turn, |_| connected);
                self.apply(tab, commands);
            }
            Step::Answer { tab, reached } => {
                if self.tabs[tab].in_flight.is_empty() {
                    return;
                }
                let entry = self.tabs[tab].in_flight.remove(0);
                // `reached: false`: no answer in time (the message may have been stored all
                // the same, its answer lost).
                let answer = if reached {
                    self.receive(&entry);
                    Answer::Delivered
                } else {
                    if self.clock % 2 == 0 {
                        self.receive(&entry);
                    }
                    Answer::NoAnswer("slow".into())
                };
                let commands = self.tabs[tab].outbox.answered(&entry.key, answer, now);
                self.apply(tab, commands);
            }
            Step::Drop { tab, reached } => {
                let lost = std::mem::take(&mut self.tabs[tab].in_flight);
                if reached {
                    lost.iter().for_each(|e| self.receive(e));
                }
                let t = &mut self.tabs[tab];
                t.connected = false;
                t.outbox.disconnected();
            }
            Step::Connect { tab } => self.tabs[tab].connected = true,
            Step::Sync { tab } => {
                let stored: Vec<_> = self.storage.values().cloned().collect();
                self.tabs[tab].outbox.load(stored);
            }
            Step::Reload { tab } => {
                let lost = std::mem::take(&mut self.tabs[tab].in_flight);
                // Whatever was on its way may have arrived.
                lost.iter().for_each(|e| self.receive(e));
                self.tabs[tab] = self.open_tab();
            }
        }
    }

    /// Everyone connected, answers arriving, tabs in sync: until nothing is left.
    fn settle(&mut self) {
        for tab in &mut self.tabs {
            tab.connected = true;
        }
        for round in 0..1_000 {
            let waiting = self.storage.values().any(|e| e.failed.is_none());
            if !waiting && self.tabs.iter().all(|t| t.in_flight.is_empty()) {
                return;
            }
            for tab in 0..self.tabs.len() {
                self.run(Step::Sync { tab });
                self.run(Step::Next { tab });
                while !self.tabs[tab].in_flight.is_empty() {
                    self.run(Step::Answer { tab, reached: true });
                }
            }
            // Past any wait after a send that got no answer.
            self.clock += 10_000;
            assert!(round < 999, "never settled: {:#?}", self.storage);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn every_entry_is_stored_once_in_order_by_one_tab(steps in prop::collection::vec(step(), 0..80)) {
        let mut world = World::new();
        for step in steps {
            world.run(step);
        }
        world.settle();
        // Everything written arrived once, but for what failed (three sends with no answer)
        // and is kept, with its text, for the reader to send again.
        let failed: BTreeSet<_> = world.storage.values().filter(|e| e.failed.is_some()).map(|e| e.key.clone()).collect();
        let keys: BTreeSet<_> = world.stored.iter().map(|(_, _, k)| k.clone()).collect();
        prop_assert_eq!(keys.len(), world.stored.len());
        let written: BTreeSet<_> = world.writer.keys().cloned().collect();
        let missing: Vec<_> = written.difference(&keys).filter(|k| !failed.contains(*k)).collect();
        prop_assert!(missing.is_empty(), "never stored: {missing:?}");
        // Per room and writer, in the order written (keys grow with time).
        let mut last: BTreeMap<(String, String), u32> = BTreeMap::new();
        for (room, writer, key) in &world.stored {
            let n: u32 = key[1..].parse().unwrap();
            let previous = last.insert((room.clone(), writer.clone()), n);
            prop_assert!(previous.is_none_or(|p| p < n), "{key} after {previous:?} in {room}");
        }
    }
}
