//! The unread count against a model of the server, under every interleaving proptest finds:
//! others and the reader send messages, another device moves the read marker, the reader reads
//! here, the connection drops (what was on its way is lost) and comes back with a join, and
//! the events on their way arrive in any order. Once the client is connected and everything
//! on its way has arrived, its count is the server's truth: the messages from others after the
//! read marker.

use std::collections::BTreeSet;

use proptest::prelude::*;
use sync::UnreadCount;

/// Messages a join's history carries (the contract's default page).
const HISTORY: usize = 50;

/// What the model server stores.
#[derive(Debug, Default)]
struct Server {
    /// Every message: (id, sent by the reader).
    messages: Vec<(i64, bool)>,
    /// The reader's read marker.
    last_read: i64,
}

impl Server {
    fn newest(&self) -> i64 {
        self.messages.last().map_or(0, |(id, _)| *id)
    }

    /// `{last_read, unread, through}` as the server answers it.
    fn marker(&self) -> Marker {
        let through = self.newest();
        let unread = self
            .messages
            .iter()
            .filter(|(id, mine)| !mine && *id > self.last_read && *id <= through)
            .count() as u64;
        Marker {
            last_read: self.last_read,
            unread,
            through,
        }
    }

    fn send(&mut self, mine: bool) -> i64 {
        let id = self.newest() + 1;
        self.messages.push((id, mine));
        id
    }

    /// `mark_room_read {id}`: the newest message up to `id`; a marker never moves back.
    fn read(&mut self, id: i64) {
        let up_to = self
            .messages
            .iter()
            .map(|(m, _)| *m)
            .filter(|m| *m <= id)
            .max()
            .unwrap_or(0);
        self.last_read = self.last_read.max(up_to);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Marker {
    last_read: i64,
    unread: u64,
    through: i64,
}

/// What is on its way to the client.
#[derive(Debug, Clone)]
enum Event {
    /// A live `message`.
    Live(i64, bool),
    /// A `read_marker` (another device, or the answer to our `mark_room_read`).
    Marker(Marker),
    /// A `join` answer: the latest messages, then the marker counted after them.
    Joined(Vec<(i64, bool)>, Marker),
}

/// The client under test: its count, the messages it has, its connection.
#[derive(Debug, Default)]
struct Client {
    unread: UnreadCount,
    have: BTreeSet<i64>,
    following: bool,
    on_the_way: Vec<Event>,
}

impl Client {
    fn receive(&mut self, event: Event) {
        match event {
            Event::Live(id, mine) => {
                self.have.insert(id);
                self.unread.message(id, mine);
            }
            Event::Marker(m) => self.unread.marker(m.last_read, m.unread, Some(m.through)),
            Event::Joined(history, m) => {
                for (id, mine) in history {
                    self.have.insert(id);
                    self.unread.message(id, mine);
                }
                self.unread.marker(m.last_read, m.unread, Some(m.through));
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// Someone else sends a message.
    OtherSends,
    /// The reader sends one (from this client or another device).
    ReaderSends,
    /// The reader's other device reads up to the n-th message from the end.
    OtherDeviceReads(usize),
    /// The reader reads here, up to the newest message this client has.
    ReadsHere,
    /// One of the events on its way arrives (chosen by index: any order).
    Arrives(usize),
    /// The connection drops: what is on its way is lost.
    Drops,
    /// The client joins (again).
    Joins,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::OtherSends),
        1 => Just(Step::ReaderSends),
        1 => (0usize..8).prop_map(Step::OtherDeviceReads),
        1 => Just(Step::ReadsHere),
        6 => any::<usize>().prop_map(Step::Arrives),
        1 => Just(Step::Drops),
        1 => Just(Step::Joins),
    ]
}

/// A join: the answer, then (as the client does after every join) a read made here that the
/// server has not confirmed, reported again.
fn join(server: &mut Server, client: &mut Client) {
    client.following = true;
    let start = server.messages.len().saturating_sub(HISTORY);
    let history = server.messages[start..].to_vec();
    client
        .on_the_way
        .push(Event::Joined(history, server.marker()));
    if let Some(id) = client.unread.unreported_read() {
        server.read(id);
        client.on_the_way.push(Event::Marker(server.marker()));
    }
}

fn run(steps: &[Step]) -> (Server, Client) {
    let mut server = Server::default();
    let mut client = Client::default();
    for step in steps {
        match step {
            Step::OtherSends | Step::ReaderSends => {
                let mine = matches!(step, Step::ReaderSends);
                let id = server.send(mine);
                if client.following {
                    client.on_the_way.push(Event::Live(id, mine));
                }
            }
            Step::OtherDeviceReads(back) => {
                let ids: Vec<i64> = server.messages.iter().map(|(id, _)| *id).collect();
                if let Some(id) = ids.iter().rev().nth(*back) {
                    server.read(*id);
                    if client.following {
                        client.on_the_way.push(Event::Marker(server.marker()));
                    }
                }
            }
            Step::ReadsHere => {
                if let Some(&newest) = client.have.last() {
                    client.unread.read_through(newest);
                    if client.following {
                        server.read(newest);
                        client.on_the_way.push(Event::Marker(server.marker()));
                    }
                }
            }
            Step::Arrives(pick) => {
                if !client.on_the_way.is_empty() {
                    let at = pick % client.on_the_way.len();
                    let event = client.on_the_way.remove(at);
                    client.receive(event);
                }
            }
            Step::Drops => {
                client.following = false;
                client.on_the_way.clear();
            }
            Step::Joins => join(&mut server, &mut client),
        }
    }
    // Back online, and everything on its way arrives.
    if !client.following {
        join(&mut server, &mut client);
    }
    while !client.on_the_way.is_empty() {
        let event = client.on_the_way.remove(0);
        client.receive(event);
    }
    (server, client)
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 2_000;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_count_is_the_servers_truth_once_everything_arrived(
        steps in prop::collection::vec(step(), 0..120)
    ) {
        let (server, client) = run(&steps);
        let truth = server.marker();
        prop_assert_eq!(client.unread.last_read(), truth.last_read, "read marker");
        prop_assert_eq!(client.unread.count(), truth.unread, "unread count");
    }
}

/// The case a person met: a new DM of four quick messages, which reach the recipient partly in
/// the join's history and partly live, in any order with the room's marker.
#[test]
fn four_quick_messages_in_a_new_dm_are_four_unread_in_every_order() {
    for split in 0..=4 {
        for marker_first in [false, true] {
            let mut server = Server::default();
            let mut client = Client::default();
            for _ in 0..split {
                server.send(false);
            }
            join(&mut server, &mut client);
            for _ in split..4 {
                let id = server.send(false);
                client.on_the_way.push(Event::Live(id, false));
            }
            if !marker_first {
                client.on_the_way.reverse();
            }
            while !client.on_the_way.is_empty() {
                let event = client.on_the_way.remove(0);
                client.receive(event);
            }
            assert_eq!(
                client.unread.count(),
                4,
                "split {split}, marker first {marker_first}"
            );
        }
    }
}
