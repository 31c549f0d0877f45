//! The reconnect storm after a deploy: `clients` connected clients, each in `rooms_each`
//! rooms, while senders post at a steady rate; the server is restarted under them (by the
//! script, once [`Storm::ready_file`] exists). Every client comes back the way the browser
//! does — `socket_client::Backoff`'s delays, CONNECT with its token, `saved_rooms`, a `join`
//! per room, and `history {after}` from each room's `prev` cursor (`sync::Cursor`) — retrying
//! whatever a limit refuses. Senders resend an unanswered message with its `client_id`.
//!
//! Reported: how long until every client was back and caught up, each client's time p50/p99,
//! how many answers were refusals (by code), and what any client is missing at the end
//! (every message a sender had acked, in each of the client's rooms).
//!
//! With [`Storm::catch_up`] off (the bare socketioxide reference, which has neither saved
//! rooms nor history), a client comes back with CONNECT and its joins only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use protocol::events::chat::{HISTORY, JOIN, MESSAGE, SAVED_ROOMS};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::client::{
    CallError, Conn, Joined, Page, create_rooms, event_args, message_key, summary_ms,
};
use crate::{random_fraction, wire};

/// The shape of a storm.
#[derive(Debug, Clone)]
pub struct Storm {
    pub addr: String,
    /// Whether clients sign in as guests (Tertulia) or connect without auth.
    pub guests: bool,
    /// Whether clients read `saved_rooms` and catch up with `history` (Tertulia).
    pub catch_up: bool,
    pub clients: usize,
    /// Rooms in all.
    pub rooms: usize,
    /// Rooms each client is in.
    pub rooms_each: usize,
    /// Clients that send (not counted in `clients`).
    pub senders: usize,
    /// Messages per second, all senders together.
    pub rate: f64,
    /// Loopback source addresses the clients are spread over.
    pub sources: usize,
    /// Created once every client is in its rooms and the senders are going: restart now.
    pub ready_file: PathBuf,
    /// How long senders go on after the ready file was written.
    pub send_after_ready: Duration,
    /// How long after the senders' time is up they go on waiting for clients not back yet.
    pub deadline: Duration,
}

/// What the clients share: counts and times.
#[derive(Default)]
struct Shared {
    /// Clients in all their rooms (before the restart).
    ready: AtomicUsize,
    /// When the first client lost its connection (the restart).
    first_lost: Mutex<Option<Instant>>,
    /// Each client's time from losing its connection to caught up, ms.
    back_ms: Mutex<Vec<f64>>,
    /// When the last client was caught up.
    last_back: Mutex<Option<Instant>>,
    /// Refusals by error code.
    refusals: Mutex<BTreeMap<String, u64>>,
    /// Connection attempts that failed.
    failed_attempts: AtomicUsize,
}

impl Shared {
    fn refused(&self, code: &str) {
        *self
            .refusals
            .lock()
            .expect("refusals")
            .entry(code.to_owned())
            .or_default() += 1;
    }
}

/// One client's rooms, cursors and what it holds.
struct Client {
    n: usize,
    token: Option<String>,
    rooms: Vec<String>,
    cursors: HashMap<String, sync::Cursor>,
    held: HashSet<u64>,
}

impl Client {
    fn on_frame(&mut self, frame: &str) {
        let Some(args) = event_args(frame, MESSAGE) else {
            return;
        };
        let Some(message) = args.first() else { return };
        if let Some(key) = message["text"]
            .as_str()
            .and_then(|text| message_key(text, 's'))
        {
            self.held.insert(key);
        }
        if let (Some(room), Some(id)) = (message["room"].as_str(), message["id"].as_i64())
            && let Some(cursor) = self.cursors.get_mut(room)
        {
            cursor.live(id, message["prev"].as_i64());
        }
    }

    fn on_page(&mut self, messages: &[Value]) {
        for message in messages {
            if let Some(key) = message["text"]
                .as_str()
                .and_then(|text| message_key(text, 's'))
            {
                self.held.insert(key);
            }
        }
    }

    /// Calls until the answer is not a refusal by a limit (`rate_limited`: wait a second and
    /// ask again, as the browser's sync engine does), counting refusals.
    async fn call_retrying(
        &mut self,
        conn: &mut Conn,
        shared: &Shared,
        event: &str,
        payload: Value,
    ) -> Result<Value, CallError> {
        loop {
            match conn
                .call(event, payload.clone(), &mut |frame| self.on_frame(frame))
                .await
            {
                Err(error) if error.code() == Some(protocol::ErrorCode::RateLimited) => {
                    shared.refused(protocol::ErrorCode::RateLimited.as_str());
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    if let Some(code) = error.code() {
                        shared.refused(code.as_str());
                    }
                    return Err(error);
                }
                answer => return answer,
            }
        }
    }

    /// Connects, joins every room (reading `saved_rooms` first, as the browser does) and
    /// catches each up. `first`: the cursors start at each join's page.
    async fn come_in(&mut self, storm: &Storm, shared: &Shared, first: bool) -> Result<Conn> {
        let source = wire::source(self.n, storm.sources);
        if storm.guests && self.token.is_none() {
            let name = format!("storm{}", self.n);
            self.token = Some(crate::guest_token(&storm.addr, source, &name).await?);
        }
        let auth = self.token.as_ref().map(|token| json!({ "token": token }));
        let (mut conn, _) = Conn::open(&storm.addr, source, auth.as_ref(), &mut |frame| {
            self.on_frame(frame);
        })
        .await?;
        if storm.catch_up && !first {
            self.call_retrying(&mut conn, shared, SAVED_ROOMS, json!({}))
                .await?;
        }
        for room in self.rooms.clone() {
            let joined = self
                .call_retrying(&mut conn, shared, JOIN, json!({ "room": room }))
                .await?;
            let page = serde_json::from_value::<Joined>(joined)
                .unwrap_or_default()
                .history;
            self.on_page(&page);
            if first {
                self.cursors
                    .entry(room)
                    .or_default()
                    .complete_through(page.last().and_then(|m| m["id"].as_i64()));
            }
        }
        if storm.catch_up && !first {
            for room in self.rooms.clone() {
                self.catch_up(&mut conn, shared, &room).await?;
            }
        }
        Ok(conn)
    }

    /// `history {after: cursor}` until a page is not full.
    async fn catch_up(&mut self, conn: &mut Conn, shared: &Shared, room: &str) -> Result<()> {
        const PAGE: usize = 100;
        let mut after = self
            .cursors
            .get(room)
            .and_then(sync::Cursor::resume_after)
            .unwrap_or(0);
        loop {
            let answer = self
                .call_retrying(
                    conn,
                    shared,
                    HISTORY,
                    json!({ "room": room, "after": after, "limit": PAGE }),
                )
                .await?;
            let page = serde_json::from_value::<Page>(answer).unwrap_or_default();
            self.on_page(&page.messages);
            let newest = page.messages.last().and_then(|m| m["id"].as_i64());
            if page.messages.len() < PAGE && !page.more {
                self.cursors
                    .entry(room.to_owned())
                    .or_default()
                    .complete_through(newest.or(Some(after)));
                return Ok(());
            }
            after = newest.unwrap_or(after);
        }
    }
}

/// A client's life: in, connected until the restart, back in with backoff, connected until
/// `finish` says so. Returns the client (what it holds).
async fn live(
    storm: Arc<Storm>,
    shared: Arc<Shared>,
    mut client: Client,
    mut finish: watch::Receiver<bool>,
) -> Client {
    let mut conn = loop {
        match client.come_in(&storm, &shared, true).await {
            Ok(conn) => break conn,
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    shared.ready.fetch_add(1, Ordering::AcqRel);
    // Connected until the server goes away.
    loop {
        tokio::select! {
            frame = conn.next_frame() => match frame {
                Ok(frame) => client.on_frame(&frame),
                Err(_) => break,
            },
            _ = finish.changed() => return client,
        }
    }
    let lost = Instant::now();
    shared
        .first_lost
        .lock()
        .expect("first lost")
        .get_or_insert(lost);
    let backoff = socket_client::Backoff::default();
    let mut attempt: u32 = 0;
    let mut conn = loop {
        let wait = backoff.delay_ms(
            attempt,
            random_fraction(((client.n as u64) << 8) | u64::from(attempt)),
        );
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait)) => {}
            _ = finish.changed() => return client,
        }
        match client.come_in(&storm, &shared, false).await {
            Ok(conn) => break conn,
            Err(_) => {
                shared.failed_attempts.fetch_add(1, Ordering::AcqRel);
                attempt += 1;
            }
        }
    };
    let back = Instant::now();
    shared
        .back_ms
        .lock()
        .expect("times")
        .push(back.duration_since(lost).as_secs_f64() * 1000.0);
    {
        let mut last = shared.last_back.lock().expect("last back");
        if last.is_none_or(|last| back > last) {
            *last = Some(back);
        }
    }
    loop {
        tokio::select! {
            frame = conn.next_frame() => match frame {
                Ok(frame) => client.on_frame(&frame),
                Err(_) => return client,
            },
            _ = finish.changed() => return client,
        }
    }
}

/// A sender: posts `s <n> <seq>` to its room at its share of the rate until `stop`; after a
/// lost connection it comes back with backoff and resends the unanswered message under the
/// same `client_id`. Returns the keys the server acked.
async fn send(
    storm: Arc<Storm>,
    shared: Arc<Shared>,
    n: usize,
    room: String,
    stop: Arc<tokio::sync::Notify>,
) -> Vec<u64> {
    let mut sender = Client {
        n,
        token: None,
        rooms: vec![room.clone()],
        cursors: HashMap::new(),
        held: HashSet::new(),
    };
    let interval = Duration::from_secs_f64(storm.senders as f64 / storm.rate);
    let mut acked = Vec::new();
    let mut seq: u64 = 0;
    let mut attempt: u32 = 0;
    let stopped = stop.notified();
    tokio::pin!(stopped);
    loop {
        let mut conn = match sender.come_in(&storm, &shared, true).await {
            Ok(conn) => conn,
            Err(_) => {
                let wait = socket_client::Backoff::default()
                    .delay_ms(attempt, random_fraction(n as u64 + u64::from(attempt)));
                attempt += 1;
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(wait)) => continue,
                    () = &mut stopped => return acked,
                }
            }
        };
        attempt = 0;
        loop {
            let text = format!("s {n} {seq}");
            let payload = json!({ "room": room, "text": text, "client_id": format!("s{n}-{seq}") });
            match conn.call(MESSAGE, payload, &mut |_| {}).await {
                Ok(_) => {
                    acked.push(message_key(&text, 's').expect("a key"));
                    seq += 1;
                }
                Err(CallError::Refused { .. }) => {}
                Err(CallError::Connection(_)) => break,
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = &mut stopped => return acked,
            }
        }
    }
}

/// Runs the storm; the JSON result.
///
/// # Errors
/// The rooms cannot be made, the clients do not all get in, or the ready file cannot be
/// written.
pub async fn run(storm: Storm) -> Result<Value> {
    let storm = Arc::new(storm);
    create_rooms(&storm.addr, storm.guests, "st", storm.rooms).await?;
    let shared = Arc::new(Shared::default());
    let (finish, finished) = watch::channel(false);
    let started = Instant::now();
    let mut clients = Vec::new();
    for c in 0..storm.clients {
        let stride = (storm.rooms / storm.rooms_each.max(1)).max(1);
        let rooms = (0..storm.rooms_each)
            .map(|k| format!("st{}", (c + k * stride) % storm.rooms))
            .collect();
        let client = Client {
            n: storm.senders + c,
            token: None,
            rooms,
            cursors: HashMap::new(),
            held: HashSet::new(),
        };
        clients.push(tokio::spawn(live(
            storm.clone(),
            shared.clone(),
            client,
            finished.clone(),
        )));
        if c % 32 == 31 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    while shared.ready.load(Ordering::Acquire) < storm.clients {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "only {} of {} clients got in",
            shared.ready.load(Ordering::Acquire),
            storm.clients
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all_in = started.elapsed();
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut senders = Vec::new();
    for n in 0..storm.senders {
        let room = format!("st{}", n % storm.rooms);
        let task = tokio::spawn(send(
            storm.clone(),
            shared.clone(),
            n,
            room.clone(),
            stop.clone(),
        ));
        senders.push((room, task));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    std::fs::write(&storm.ready_file, b"ready\n").context("ready file")?;
    let ready_at = Instant::now();
    tokio::time::sleep(storm.send_after_ready).await;
    // Senders stop once every client is back (or the deadline passed).
    while shared.back_ms.lock().expect("times").len() < storm.clients
        && ready_at.elapsed() < storm.send_after_ready + storm.deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.notify_waiters();
    let mut acked: HashMap<String, Vec<u64>> = HashMap::new();
    for (room, task) in senders {
        acked
            .entry(room)
            .or_default()
            .extend(task.await.context("sender")?);
    }
    // The last live deliveries, then everyone stops.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = finish.send(true);
    let (mut missing, mut clients_missing) = (0u64, 0u64);
    for task in clients {
        let client = task.await.context("client")?;
        let lacks = client
            .rooms
            .iter()
            .filter_map(|room| acked.get(room))
            .flatten()
            .filter(|key| !client.held.contains(key))
            .count() as u64;
        missing += lacks;
        clients_missing += u64::from(lacks > 0);
    }
    let back = shared.back_ms.lock().expect("times").clone();
    let first_lost = *shared.first_lost.lock().expect("first lost");
    let last_back = *shared.last_back.lock().expect("last back");
    let storm_s = first_lost
        .zip(last_back)
        .map(|(lost, back)| back.duration_since(lost).as_secs_f64());
    let messages: usize = acked.values().map(Vec::len).sum();
    Ok(json!({
        "scenario": "storm",
        "clients": storm.clients,
        "rooms_each": storm.rooms_each,
        "all_in_s": all_in.as_secs_f64(),
        "back": back.len(),
        "storm_s": storm_s,
        "client_back": summary_ms(&back),
        "failed_attempts": shared.failed_attempts.load(Ordering::Acquire),
        "refusals": *shared.refusals.lock().expect("refusals"),
        "messages": messages,
        "missing": missing,
        "clients_missing": clients_missing,
    }))
}
