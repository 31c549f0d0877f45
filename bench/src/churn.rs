//! The churn scenario: receivers whose TCP connections are cut abruptly (a reset, as when a
//! phone changes networks) every few seconds while senders go on at a steady rate; each
//! receiver reconnects at once and recovers what it missed the way its server allows:
//!
//! * [`Recovery::Contract`] (Tertulia): the same guest token, CONNECT, `join`, then
//!   `history {after: cursor}` read to its end, the cursor kept by the contract's `prev` rule
//!   (`sync::Cursor`, the browser's own);
//! * [`Recovery::SessionState`] (Node socket.io with `connectionStateRecovery`): CONNECT with
//!   the session id and the offset of the last packet received; the server replays what was
//!   missed and restores the rooms (a `join` only when it could not);
//! * [`Recovery::None`] (bare socketioxide): CONNECT and `join`; what was sent meanwhile is lost.
//!
//! Every message's text names its sender and number, so each receiver knows exactly which of
//! its room's messages it holds; the result counts what was delivered, what arrived twice as a
//! live event (a duplicate a client cannot tell from a new message without ids), and how long
//! reconnecting and recovering took.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use protocol::events::chat::{HISTORY, JOIN, MESSAGE};
use serde_json::{Value, json};

use crate::client::{Conn, Joined, Page, create_rooms, event_args, message_key, summary_ms};
use crate::{random_fraction, wire};

/// How a receiver gets back what it missed while disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Tertulia's contract: `history {after}` from the `prev`-chain cursor.
    Contract,
    /// Socket.IO's connection state recovery: `pid` and `offset` in CONNECT.
    SessionState,
    /// Nothing: reconnect and join again.
    None,
}

/// The shape of a churn run.
#[derive(Debug, Clone)]
pub struct Churn {
    pub addr: String,
    pub recovery: Recovery,
    /// Clients in all (senders included).
    pub clients: usize,
    pub rooms: usize,
    /// Clients that send (never cut).
    pub senders: usize,
    /// Messages per second, all senders together.
    pub rate: f64,
    pub seconds: u64,
    /// A receiver is cut after a random time between half and one and a half of this.
    pub cut_every: Duration,
    /// Loopback source addresses the clients are spread over.
    pub sources: usize,
}

/// What one receiver counted.
#[derive(Default)]
struct Tally {
    /// Messages held, by key.
    held: HashSet<u64>,
    /// Messages that came as a live (or replayed) `message` event.
    live: HashSet<u64>,
    /// Live `message` events carrying a message that had already come as one: a duplicate
    /// that only ids can tell from a new message.
    duplicates: u64,
    /// Messages held already when a page or a live event brought them again (the overlap of
    /// a catch-up page with live events, dropped by id as the contract says).
    reread: u64,
    /// Milliseconds from a cut to the namespace connected and the room joined again.
    reconnect_ms: Vec<f64>,
    /// Milliseconds from a cut to everything missed recovered.
    recovered_ms: Vec<f64>,
    /// Reconnects that failed (and were tried again).
    failed: u64,
}

/// One receiver's state across its connections.
struct Receiver {
    n: usize,
    room: String,
    source: IpAddr,
    token: Option<String>,
    cursor: sync::Cursor,
    /// Socket.IO's recovery session: its id and the offset of the last packet received.
    pid: Option<String>,
    offset: Option<String>,
    tally: Tally,
}

impl Receiver {
    fn new(n: usize, room: String, source: IpAddr) -> Self {
        Self {
            n,
            room,
            source,
            token: None,
            cursor: sync::Cursor::new(),
            pid: None,
            offset: None,
            tally: Tally::default(),
        }
    }

    /// A live or replayed `42/chat,["message",{...}(,offset)]`.
    fn on_event(&mut self, frame: &str, recovery: Recovery) {
        let Some(args) = event_args(frame, MESSAGE) else {
            return;
        };
        let Some(message) = args.first() else { return };
        if let Some(key) = message["text"]
            .as_str()
            .and_then(|text| message_key(text, 'c'))
        {
            if !self.tally.live.insert(key) {
                self.tally.duplicates += 1;
            } else if !self.tally.held.insert(key) {
                self.tally.reread += 1;
            }
        }
        match recovery {
            Recovery::Contract => {
                if let Some(id) = message["id"].as_i64() {
                    self.cursor.live(id, message["prev"].as_i64());
                }
            }
            Recovery::SessionState => {
                if let Some(offset) = args.get(1).and_then(Value::as_str) {
                    self.offset = Some(offset.to_owned());
                }
            }
            Recovery::None => {}
        }
    }

    /// Messages of a page (join's or history's): held, each once.
    fn on_page(&mut self, messages: &[Value]) {
        for message in messages {
            if let Some(key) = message["text"]
                .as_str()
                .and_then(|text| message_key(text, 'c'))
                && !self.tally.held.insert(key)
            {
                self.tally.reread += 1;
            }
        }
    }

    /// Connects (again), joins unless the server restored the session, and recovers what
    /// was missed. Returns the connection and when it was joined.
    async fn connect(&mut self, churn: &Churn, first: bool) -> Result<(Conn, Instant)> {
        let recovery = churn.recovery;
        if self.token.is_none() && recovery == Recovery::Contract {
            self.token = Some(
                crate::guest_token(&churn.addr, self.source, &format!("churn{}", self.n)).await?,
            );
        }
        let auth = match (recovery, &self.token, &self.pid, &self.offset) {
            (Recovery::Contract, Some(token), _, _) => Some(json!({ "token": token })),
            (Recovery::SessionState, _, Some(pid), Some(offset)) => {
                Some(json!({ "pid": pid, "offset": offset }))
            }
            _ => None,
        };
        let (mut conn, connected) = Conn::open(&churn.addr, self.source, auth.as_ref(), &mut |f| {
            self.on_event(f, recovery);
        })
        .await?;
        // Socket.IO restored the session when it answers with the session id it was given.
        let restored = !first
            && recovery == Recovery::SessionState
            && self.pid.is_some()
            && connected["pid"].as_str() == self.pid.as_deref();
        if let Some(pid) = connected["pid"].as_str() {
            self.pid = Some(pid.to_owned());
        }
        if !restored {
            let joined = conn
                .call(JOIN, json!({ "room": self.room }), &mut |f| {
                    self.on_event(f, recovery);
                })
                .await?;
            let page = serde_json::from_value::<Joined>(joined)
                .unwrap_or_default()
                .history;
            self.on_page(&page);
            if recovery == Recovery::Contract && first {
                self.cursor
                    .complete_through(page.last().and_then(|m| m["id"].as_i64()));
            }
        }
        let joined_at = Instant::now();
        if recovery == Recovery::Contract && !first {
            self.catch_up(&mut conn).await?;
        }
        Ok((conn, joined_at))
    }

    /// `history {after: cursor}` until a page is not full: every message missed is held.
    async fn catch_up(&mut self, conn: &mut Conn) -> Result<()> {
        const PAGE: usize = 100;
        let mut after = self.cursor.resume_after().unwrap_or(0);
        loop {
            let answer = conn
                .call(
                    HISTORY,
                    json!({ "room": self.room, "after": after, "limit": PAGE }),
                    &mut |f| self.on_event(f, Recovery::Contract),
                )
                .await?;
            let page = serde_json::from_value::<Page>(answer).unwrap_or_default();
            self.on_page(&page.messages);
            let newest = page.messages.last().and_then(|m| m["id"].as_i64());
            if page.messages.len() < PAGE && !page.more {
                self.cursor.complete_through(newest.or(Some(after)));
                return Ok(());
            }
            after = newest.unwrap_or(after);
        }
    }
}

/// A receiver's life: connect, hold the connection for a while, cut it, reconnect and
/// recover, until `end`; then stay connected for the tail.
async fn receive(churn: Arc<Churn>, mut receiver: Receiver, end: Instant, tail: Instant) -> Tally {
    let mut cut_at: Option<Instant> = None;
    let mut first = true;
    let mut cuts: u64 = receiver.n as u64 * 7919;
    loop {
        let (mut conn, joined_at) = match receiver.connect(&churn, first).await {
            Ok(connected) => connected,
            Err(_) => {
                receiver.tally.failed += 1;
                if Instant::now() > tail {
                    return receiver.tally;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        first = false;
        if let Some(cut) = cut_at.take() {
            let ms = |at: Instant| at.duration_since(cut).as_secs_f64() * 1000.0;
            receiver.tally.reconnect_ms.push(ms(joined_at));
            receiver.tally.recovered_ms.push(ms(Instant::now()));
        }
        cuts += 1;
        let hold = churn.cut_every.mul_f64(0.5 + random_fraction(cuts));
        let until = (Instant::now() + hold).min(end);
        let until = if until >= end { tail } else { until };
        while let Ok(Some(frame)) = conn.next_until(until.into()).await {
            receiver.on_event(&frame, churn.recovery);
        }
        if Instant::now() >= tail {
            return receiver.tally;
        }
        // The cut: a reset, no close frame, no FIN.
        let _ = conn.reset_on_close();
        drop(conn);
        cut_at = Some(Instant::now());
    }
}

/// A sender: connects once and sends `c <sender> <seq>` to its room at a steady pace;
/// returns how many it sent.
async fn send(churn: Arc<Churn>, n: usize, room: String, end: Instant) -> Result<u64> {
    let mut sender = Receiver::new(n, room.clone(), wire::source(n, churn.sources));
    let (mut conn, _) = sender.connect(&churn, true).await?;
    let interval = Duration::from_secs_f64(churn.senders as f64 / churn.rate);
    let mut next_send = tokio::time::Instant::now();
    let mut seq: u64 = 0;
    while Instant::now() < end {
        // Between two sends, read (and drop) what arrives, answering pings.
        while conn.next_until(next_send).await?.is_some() {}
        let text = format!("c {n} {seq}");
        let payload = json!({ "room": room, "text": text, "client_id": format!("c{n}-{seq}") });
        conn.call(MESSAGE, payload, &mut |_| {}).await?;
        seq += 1;
        next_send += interval;
    }
    Ok(seq)
}

/// Runs the scenario; the JSON result.
///
/// # Errors
/// The rooms cannot be made or a sender fails.
pub async fn run(churn: Churn) -> Result<Value> {
    let churn = Arc::new(churn);
    create_rooms(
        &churn.addr,
        churn.recovery == Recovery::Contract,
        "ch",
        churn.rooms,
    )
    .await?;
    let receivers = churn.clients.saturating_sub(churn.senders);
    // Everyone connects first (the receivers' first connections are not cuts).
    let started = Instant::now();
    let end = started + Duration::from_secs(churn.seconds) + Duration::from_secs(5);
    let tail = end + Duration::from_secs(5);
    let done = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for r in 0..receivers {
        let n = churn.senders + r;
        let receiver = Receiver::new(
            n,
            format!("ch{}", n % churn.rooms),
            wire::source(n, churn.sources),
        );
        let churn = churn.clone();
        let done = done.clone();
        let room = receiver.room.clone();
        tasks.push(tokio::spawn(async move {
            let tally = receive(churn, receiver, end, tail).await;
            done.lock().expect("tallies").push((room, tally));
        }));
        if r % 64 == 63 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // The senders start once the receivers had five seconds to connect.
    tokio::time::sleep_until((started + Duration::from_secs(5)).into()).await;
    let mut senders = Vec::new();
    for n in 0..churn.senders {
        let room = format!("ch{}", n % churn.rooms);
        senders.push((
            room.clone(),
            n,
            tokio::spawn(send(churn.clone(), n, room, end)),
        ));
    }
    let mut sent: HashMap<String, Vec<(usize, u64)>> = HashMap::new();
    for (room, n, task) in senders {
        let count = task.await.context("sender")?.context("sender")?;
        sent.entry(room).or_default().push((n, count));
    }
    for task in tasks {
        task.await.context("receiver")?;
    }
    let tallies = std::mem::take(&mut *done.lock().expect("tallies"));
    let (mut expected, mut delivered, mut duplicates, mut reread, mut failed) = (0, 0, 0, 0, 0);
    let (mut reconnects, mut recoveries) = (Vec::new(), Vec::new());
    for (room, tally) in &tallies {
        for (sender, count) in sent.get(room).map(Vec::as_slice).unwrap_or_default() {
            expected += count;
            delivered += (0..*count)
                .filter(|seq| tally.held.contains(&(((*sender as u64) << 32) | seq)))
                .count() as u64;
        }
        duplicates += tally.duplicates;
        reread += tally.reread;
        failed += tally.failed;
        reconnects.extend_from_slice(&tally.reconnect_ms);
        recoveries.extend_from_slice(&tally.recovered_ms);
    }
    let messages: u64 = sent.values().flatten().map(|(_, count)| count).sum();
    Ok(json!({
        "scenario": "churn",
        "receivers": tallies.len(),
        "messages": messages,
        "expected": expected,
        "delivered": delivered,
        "delivered_pct": if expected == 0 { 0.0 } else { (delivered as f64 * 10_000.0 / expected as f64).floor() / 100.0 },
        "duplicates": duplicates,
        "reread": reread,
        "failed_reconnects": failed,
        "reconnect": summary_ms(&reconnects),
        "recovery": summary_ms(&recoveries),
    }))
}
