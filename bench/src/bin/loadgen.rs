//! `loadgen`: Socket.IO load over raw Engine.IO v4 websocket frames, against Tertulia or a
//! reference server implementing the same `/chat` events (`bench/src/bin/reference.rs`,
//! `bench/node/server.js`). Scenarios:
//!
//! * `fanout`: clients spread over rooms, some of them sending at a fixed total rate; every
//!   broadcast's latency (send → arrival) and every missing one is counted;
//! * `ramp`: `fanout` at rising rates; the highest with p99 < 100 ms and nothing lost;
//! * `connect`: how many clients per second get from nothing to joined (guest sign-in,
//!   websocket, CONNECT, `join`);
//! * `idle`: the server's resident memory per idle connected client.
//!
//! Each prints one JSON line on stdout (`scripts/bench-compare.sh` makes the table).
//!
//! The generator must not be what is measured. Its clients come from `--sources` loopback
//! addresses (the server sees as many clients' addresses, not one), speak websocket through
//! the minimal [`bench::wire`] client, and every result says how busy the generator's own
//! CPU was: a step where it passed [`GENERATOR_CEILING`] is marked `generator_bound` and
//! never reported as the server's maximum. With `--pid`, the server's CPU time is read too,
//! so each step also reports deliveries per second of server CPU: an efficiency no generator
//! ceiling can flatter.
//! A message's text carries its sender, sequence number and send time, so a receiver knows
//! its latency and which messages it missed; a client the server disconnects is counted
//! apart (it was told), a message missing at a client still connected is a silent loss.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bench::wire;
use clap::{Args as ClapArgs, Parser, Subcommand};
use hdrhistogram::Histogram;
use protocol::events::chat::{JOIN, MESSAGE, NS};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Past this share of its CPU, the generator may be what limits a step: the step is marked
/// `generator_bound` and does not count as the server's maximum.
const GENERATOR_CEILING: f64 = 0.70;

#[derive(Debug, Parser)]
#[command(about = "Socket.IO load generator (raw Engine.IO v4 frames)")]
struct Cli {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// How clients authenticate: `guest` (Tertulia: a guest sign-in per client, its token in
    /// CONNECT) or `none` (the reference servers).
    #[arg(long, default_value = "guest")]
    auth: Auth,
    /// A label copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
    /// Loopback source addresses the clients are spread over (127.1.0.1 onwards; 1: every
    /// client from 127.0.0.1).
    #[arg(long, global = true, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    sources: u64,
    /// The server's process id: its CPU time (and, for `idle`, its memory) is read from /proc.
    #[arg(long, global = true)]
    pid: Option<u32>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Auth {
    Guest,
    None,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RecoveryArg {
    Contract,
    SessionState,
    None,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Messages at a fixed total rate of deliveries per second.
    Fanout {
        #[command(flatten)]
        shape: Shape,
        /// Deliveries per second offered (messages/s × room size).
        #[arg(long, default_value_t = 100_000)]
        rate: u64,
        /// Seconds of sending.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// `fanout` at `start`, `start + step`, ... until a step fails (p99 ≥ 100 ms or a loss),
    /// then `refine` halvings of the gap between the last good rate and the failed one.
    Ramp {
        #[command(flatten)]
        shape: Shape,
        #[arg(long, default_value_t = 20_000)]
        start: u64,
        #[arg(long, default_value_t = 20_000)]
        step: u64,
        #[arg(long, default_value_t = 600_000)]
        max: u64,
        /// Seconds per step.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Halvings of the last step once one fails (2: the maximum to a quarter step).
        #[arg(long, default_value_t = 2)]
        refine: u32,
        /// After the first failing step, run one more step this far past the last good rate
        /// (0: none) and report what was lost and whether it was silent.
        #[arg(long, default_value_t = 0)]
        past: u64,
    },
    /// Clients per second from nothing to joined.
    Connect {
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Clients connecting at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Receivers cut abruptly (a reset) every few seconds while senders go on; each reconnects
    /// and recovers what it missed as its server allows (`bench::churn`).
    Churn {
        #[command(flatten)]
        shape: Shape,
        /// How a receiver recovers: `contract` (Tertulia: `history` from the `prev` cursor),
        /// `session-state` (Socket.IO's connection state recovery), `none`.
        #[arg(long)]
        recovery: RecoveryArg,
        /// Messages per second, all senders together.
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        /// Seconds of sending.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Mean time between two cuts of one receiver, ms (each is random within ±50%).
        #[arg(long, default_value_t = 10_000)]
        cut_every_ms: u64,
    },
    /// A restart under connected clients (`bench::storm`): everyone gets in, the file
    /// `--ready-file` appears, the script restarts the server, and every client comes back as
    /// the browser does (with `--auth guest`: `saved_rooms`, joins, `history` catch-up).
    Storm {
        #[arg(long, default_value_t = 2000)]
        clients: usize,
        /// Rooms in all.
        #[arg(long, default_value_t = 100)]
        rooms: usize,
        /// Rooms each client is in.
        #[arg(long, default_value_t = 10)]
        rooms_each: usize,
        /// Clients that send, besides `clients`.
        #[arg(long, default_value_t = 20)]
        senders: usize,
        /// Messages per second, all senders together.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Written once everyone is in: the script restarts the server then.
        #[arg(long)]
        ready_file: std::path::PathBuf,
        /// Seconds the senders go on after the ready file.
        #[arg(long, default_value_t = 10)]
        send_after_ready: u64,
        /// Seconds more to wait for clients not back yet.
        #[arg(long, default_value_t = 120)]
        deadline: u64,
    },
    /// Reads the JSON lines of a run (from a file) and prints the comparison table.
    Report {
        /// The file of JSON lines.
        file: std::path::PathBuf,
    },
    /// Server memory per idle connection (needs `--pid`).
    Idle {
        #[arg(long, default_value_t = 5000)]
        clients: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
}

#[derive(Debug, Clone, Copy, ClapArgs)]
struct Shape {
    /// Connected clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Rooms they are spread over (evenly).
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    /// Clients that send (spread over the rooms).
    #[arg(long, default_value_t = 100)]
    senders: usize,
}

/// Nanoseconds since the start of the process (one clock for senders and receivers).
fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    u64::try_from(EPOCH.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// `POST /api/auth/guest` over plain TCP; the token. A `429` (the server takes at most a few
/// calls in progress per address) is retried after a moment, as a browser would.
async fn guest_token(addr: &str, source: IpAddr, name: &str) -> Result<String> {
    for _ in 0..200 {
        match bench::guest_token(addr, source, name).await {
            Err(error) if error.to_string().contains(" 429 ") => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            other => return other,
        }
    }
    bail!("guest sign-in: still 429 after 200 tries")
}

/// Latencies from 1 µs to 2 minutes with 2 significant digits (a few KiB each: one per client).
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 2).expect("histogram bounds")
}

/// What one client counted in the current run.
struct Recv {
    /// Latency of each delivery, µs.
    latency: Histogram<u64>,
    /// Latency of this client's acks (senders), µs.
    acks: Histogram<u64>,
    /// Messages received.
    delivered: u64,
    /// Requests refused.
    refused: u64,
}

impl Recv {
    fn new() -> Self {
        Self {
            latency: histogram(),
            acks: histogram(),
            delivered: 0,
            refused: 0,
        }
    }

    fn reset(&mut self) {
        self.latency.reset();
        self.acks.reset();
        self.delivered = 0;
        self.refused = 0;
    }
}

/// One connected `/chat` client: frames to send go through `out`.
struct Conn {
    out: mpsc::UnboundedSender<String>,
    /// Its room index.
    room: usize,
    /// Whether the connection is still open.
    alive: Arc<AtomicBool>,
    /// What it received in the current run.
    recv: Arc<Mutex<Recv>>,
}

/// Connects client `n` to `/chat` (and `room`, if given) from its source address;
/// afterwards a task answers pings and counts what arrives, and another writes what is sent
/// (several frames queued together go out in one write).
async fn connect(
    addr: &str,
    auth: Auth,
    sources: usize,
    n: usize,
    room: Option<usize>,
) -> Result<Conn> {
    let source = wire::source(n, sources);
    let connect_payload = match auth {
        Auth::Guest => {
            let token =
                guest_token(addr, source, &format!("lg{n}x{}", now_ns() % 1_000_000)).await?;
            json!({ "token": token }).to_string()
        }
        Auth::None => String::new(),
    };
    let (mut reader, mut writer) =
        wire::connect(addr, source, "/socket.io/?EIO=4&transport=websocket")
            .await
            .context("websocket")?;
    // Engine.IO OPEN.
    let open = next_text(&mut reader).await?;
    if !open.starts_with('0') {
        bail!("expected OPEN, got {open}");
    }
    writer.send(&format!("40{NS},{connect_payload}")).await?;
    loop {
        let frame = next_text(&mut reader).await?;
        if frame.starts_with(&format!("40{NS}")) {
            break;
        }
        if frame.starts_with(&format!("44{NS}")) {
            bail!("CONNECT refused: {frame}");
        }
        if frame == "2" {
            writer.send("3").await?;
        }
    }
    if let Some(room) = room {
        writer
            .send(&format!("42{NS},0[\"{JOIN}\",{{\"room\":\"lg{room}\"}}]"))
            .await?;
        loop {
            let frame = next_text(&mut reader).await?;
            if frame.starts_with(&format!("43{NS},0")) {
                if !frame.contains("\"ok\":true") {
                    bail!("join refused: {frame}");
                }
                break;
            }
            if frame == "2" {
                writer.send("3").await?;
            }
        }
    }
    let (out, mut outgoing) = mpsc::unbounded_channel::<String>();
    let alive = Arc::new(AtomicBool::new(true));
    tokio::spawn(async move {
        let mut batch: Vec<String> = Vec::new();
        while let Some(first) = outgoing.recv().await {
            batch.push(first);
            while batch.len() < 64 {
                match outgoing.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            if writer
                .send_all(batch.iter().map(String::as_bytes))
                .await
                .is_err()
            {
                break;
            }
            batch.clear();
        }
    });
    let pong = out.clone();
    let alive_flag = alive.clone();
    let recv = Arc::new(Mutex::new(Recv::new()));
    let counts = recv.clone();
    // The starts of a broadcast message and of an ack, computed once for the hot loop.
    let message_start = format!("42{NS},[\"{MESSAGE}\"");
    let ack_start = format!("43{NS},");
    tokio::spawn(async move {
        while let Ok(Some(text)) = reader.next().await {
            if text == "2" {
                let _ = pong.send("3".to_owned());
                continue;
            }
            let now = now_ns();
            if let Some(mark) = text.find("\"text\":\"b ") {
                let Some((_, _, sent)) = parse_mark(&text[mark + 10..]) else {
                    continue;
                };
                let mut counts = counts.lock().expect("counts");
                if text.starts_with(&message_start) {
                    let _ = counts.latency.record(now.saturating_sub(sent) / 1000);
                    counts.delivered += 1;
                } else if text.starts_with(&ack_start) {
                    let _ = counts.acks.record(now.saturating_sub(sent) / 1000);
                }
            } else if text.starts_with(&ack_start) && text.contains("\"ok\":false") {
                counts.lock().expect("counts").refused += 1;
            }
        }
        alive_flag.store(false, Ordering::Release);
    });
    Ok(Conn {
        out,
        room: room.unwrap_or(0),
        alive,
        recv,
    })
}

/// `<sender> <seq> <ns>"` → the three numbers.
fn parse_mark(rest: &str) -> Option<(u32, u32, u64)> {
    let end = rest.find('"')?;
    let mut parts = rest[..end].split(' ');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

/// The next text frame during set-up (20 s at most).
async fn next_text(reader: &mut wire::Reader) -> Result<String> {
    match tokio::time::timeout(Duration::from_secs(20), reader.next()).await {
        Ok(Ok(Some(text))) => Ok(text.to_owned()),
        Ok(Ok(None)) => bail!("closed"),
        Ok(Err(error)) => Err(error),
        Err(_) => bail!("timed out"),
    }
}

/// Creates the rooms `lg0`… (an existing one is fine).
async fn create_rooms(cli: &Cli, rooms: usize) -> Result<()> {
    bench::client::create_rooms(&cli.addr, cli.auth == Auth::Guest, "lg", rooms).await
}

/// Connects `count` clients, `concurrency` at a time, each joining one of `rooms` (made
/// beforehand by [`create_rooms`]) if given.
async fn connect_many(
    cli: &Cli,
    count: usize,
    concurrency: usize,
    rooms: Option<usize>,
) -> Result<Vec<Conn>> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let permit = semaphore.clone().acquire_owned().await?;
        let addr = cli.addr.clone();
        let auth = cli.auth;
        let sources = cli.sources as usize;
        let room = rooms.map(|rooms| n % rooms);
        tasks.push(tokio::spawn(async move {
            let conn = connect(&addr, auth, sources, n, room).await;
            drop(permit);
            conn
        }));
    }
    let mut conns = Vec::with_capacity(count);
    for task in tasks {
        conns.push(task.await??);
    }
    Ok(conns)
}

/// CPU time a process has used (all its threads, user and system), in seconds, from
/// `/proc/<pid>/stat`: clock ticks of 10 ms (Linux's USER_HZ), so a measure over less than
/// [`CPU_MEASURABLE`] of CPU is not reported.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (which may hold spaces) come the fields from the state (3rd)
    // on; utime and stime are the 14th and 15th.
    let mut fields = stat[stat.rfind(')')? + 2..].split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// Adds the generator's CPU over a whole scenario to its result (its share of its cores, on
/// average: a scenario with quiet stretches can still have had busy moments).
fn with_generator_cpu(result: &mut Value, usage: &Usage) {
    result["generator_cpu"] = json!(round2(usage.generator));
    result["generator_bound"] = json!(usage.generator > GENERATOR_CEILING);
}

/// Server CPU time below which a per-CPU-second figure would be mostly rounding (20 ticks: 5%).
const CPU_MEASURABLE: f64 = 0.2;

/// Reads how much CPU the generator and the server (when its pid is known) use.
struct Meter {
    server: Option<String>,
    /// Cores the generator may run on (its affinity, e.g. one under `taskset -c 1`).
    cores: f64,
}

/// A point in time with both processes' CPU time so far.
struct Mark {
    at: Instant,
    generator: f64,
    server: Option<f64>,
}

/// CPU used between a [`Mark`] and now.
struct Usage {
    seconds: f64,
    /// The generator's share of its cores (1.0: all of them, all the time).
    generator: f64,
    /// The server's CPU time, seconds.
    server: Option<f64>,
}

impl Meter {
    fn new(server: Option<u32>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self {
            server: server.map(|pid| pid.to_string()),
            cores: cores as f64,
        }
    }

    fn mark(&self) -> Mark {
        Mark {
            at: Instant::now(),
            generator: cpu_seconds("self").unwrap_or(0.0),
            server: self.server.as_deref().and_then(cpu_seconds),
        }
    }

    fn since(&self, mark: &Mark) -> Usage {
        let now = self.mark();
        let seconds = now.at.duration_since(mark.at).as_secs_f64().max(0.001);
        Usage {
            seconds,
            generator: (now.generator - mark.generator) / seconds / self.cores,
            server: now.server.zip(mark.server).map(|(now, then)| now - then),
        }
    }
}

/// Result of one fan-out run.
struct FanoutResult {
    offered: u64,
    achieved: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    ack_p99_ms: f64,
    expected: u64,
    delivered: u64,
    lost_silently: u64,
    disconnected: u64,
    refused: u64,
    /// The generator's share of its cores while sending.
    generator_cpu: f64,
    /// Cores of server CPU used while sending.
    server_cores: Option<f64>,
    /// Deliveries per second of server CPU (sending and the tail).
    per_server_cpu_s: Option<f64>,
}

impl FanoutResult {
    fn passes(&self) -> bool {
        self.p99_ms < 100.0 && self.expected == self.delivered && self.disconnected == 0
    }

    /// Whether the generator was busy enough to be what limited this step.
    fn generator_bound(&self) -> bool {
        self.generator_cpu > GENERATOR_CEILING
    }

    fn json(&self) -> Value {
        json!({
            "offered": self.offered, "achieved": self.achieved.round(),
            "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms,
            "ack_p99_ms": self.ack_p99_ms,
            "expected": self.expected, "delivered": self.delivered,
            "lost_silently": self.lost_silently, "disconnected": self.disconnected,
            "refused": self.refused,
            "generator_cpu": round2(self.generator_cpu),
            "generator_bound": self.generator_bound(),
            "server_cores": self.server_cores.map(round2),
            "per_server_cpu_s": self.per_server_cpu_s.map(f64::round),
        })
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// One fan-out run over connected clients: `rate` deliveries per second for `seconds`.
async fn fanout(
    conns: &[Conn],
    shape: Shape,
    rate: u64,
    seconds: u64,
    run: u32,
    meter: &Meter,
) -> FanoutResult {
    for conn in conns {
        conn.recv.lock().expect("counts").reset();
    }
    let disconnected_before = conns
        .iter()
        .filter(|c| !c.alive.load(Ordering::Acquire))
        .count();
    let room_size = (shape.clients / shape.rooms).max(1) as u64;
    let messages_per_s = (rate as f64 / room_size as f64).max(1.0);
    let per_sender = messages_per_s / shape.senders as f64;
    let interval = Duration::from_secs_f64(1.0 / per_sender);
    let total_per_sender = (per_sender * seconds as f64).round() as u32;
    let started = Instant::now();
    let begin = meter.mark();
    let mut senders = Vec::new();
    for (index, conn) in conns.iter().take(shape.senders).enumerate() {
        let out = conn.out.clone();
        let room = conn.room;
        let sender = u32::try_from(index).unwrap_or(0) + run * 100_000;
        let offset = interval.mul_f64((index % 100) as f64 / 100.0);
        senders.push(tokio::spawn(async move {
            // Senders start spread over one interval.
            tokio::time::sleep(offset).await;
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut sent: u64 = 0;
            for seq in 0..total_per_sender {
                ticker.tick().await;
                let frame = format!(
                    "42{NS},{seq}[\"{MESSAGE}\",{{\"room\":\"lg{room}\",\"text\":\"b {sender} {seq} {}\",\"client_id\":\"{sender}-{seq}\"}}]",
                    now_ns()
                );
                if out.send(frame).is_err() {
                    break;
                }
                sent += 1;
            }
            (room, sent)
        }));
    }
    let mut sent_to_room: HashMap<usize, u64> = HashMap::new();
    for task in senders {
        if let Ok((room, sent)) = task.await {
            *sent_to_room.entry(room).or_default() += sent;
        }
    }
    let sending = started.elapsed();
    let while_sending = meter.since(&begin);
    let expected_of = |conn: &Conn| sent_to_room.get(&conn.room).copied().unwrap_or(0);
    let expected: u64 = conns.iter().map(expected_of).sum();
    let delivered_now = || -> u64 {
        conns
            .iter()
            .map(|c| c.recv.lock().expect("counts").delivered)
            .sum()
    };
    // The tail: until everything expected arrived, or 3 s without progress.
    let mut last = 0;
    let mut quiet = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let delivered = delivered_now();
        if delivered >= expected {
            break;
        }
        if delivered != last {
            last = delivered;
            quiet = Instant::now();
        } else if quiet.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let all = meter.since(&begin);
    let mut latency = histogram();
    let mut acks = histogram();
    let (mut delivered, mut refused, mut lost_silently) = (0, 0, 0);
    for conn in conns {
        let counts = conn.recv.lock().expect("counts");
        let _ = latency.add(&counts.latency);
        let _ = acks.add(&counts.acks);
        delivered += counts.delivered;
        refused += counts.refused;
        // Missing at a client still connected: lost without a word.
        if conn.alive.load(Ordering::Acquire) {
            lost_silently += expected_of(conn).saturating_sub(counts.delivered);
        }
    }
    let disconnected = conns
        .iter()
        .filter(|c| !c.alive.load(Ordering::Acquire))
        .count()
        - disconnected_before;
    FanoutResult {
        offered: rate,
        achieved: delivered as f64 / sending.as_secs_f64().max(0.001),
        p50_ms: latency.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: latency.value_at_quantile(0.99) as f64 / 1000.0,
        max_ms: latency.max() as f64 / 1000.0,
        ack_p99_ms: acks.value_at_quantile(0.99) as f64 / 1000.0,
        expected,
        delivered,
        lost_silently,
        disconnected: disconnected as u64,
        refused,
        generator_cpu: while_sending.generator,
        server_cores: while_sending.server.map(|cpu| cpu / while_sending.seconds),
        per_server_cpu_s: all
            .server
            .filter(|cpu| *cpu >= CPU_MEASURABLE)
            .map(|cpu| delivered as f64 / cpu),
    }
}

/// The steps of a ramp so far: the best valid pass, the first failure, and whether the
/// generator's own CPU stopped it.
#[derive(Default)]
struct Ramp {
    best: Option<Value>,
    failed: Option<Value>,
    generator_bound: bool,
    steps: Vec<Value>,
    run: u32,
}

impl Ramp {
    /// Records a step: `Some(true)` it passed, `Some(false)` the server failed it, `None` the
    /// generator was too busy for the step to say anything about the server (the ramp stops
    /// there, and its maximum is only a lower bound).
    fn record(&mut self, result: &FanoutResult) -> Option<bool> {
        self.steps.push(result.json());
        self.run += 1;
        if result.generator_bound() {
            self.generator_bound = true;
            return None;
        }
        let passed = result.passes();
        if passed {
            self.best = Some(result.json());
        } else {
            self.failed = Some(result.json());
        }
        Some(passed)
    }
}

/// The reference servers of a comparison, in column order, as labelled by the script.
const REFERENCES: [&str; 2] = ["node", "socketioxide"];
/// Tertulia as built from the working tree.
const TERTULIA: &str = "tertulia";
/// Tertulia as built from an earlier commit (`scripts/bench-compare.sh --baseline REV`).
const TERTULIA_BEFORE: &str = "tertulia-before";

/// Where a row finds one server's value in its result line.
type Measure = Box<dyn Fn(&Value) -> Option<f64>>;

/// One row of the comparison table: what it shows and where each server's value is.
struct Row {
    name: String,
    scenario: &'static str,
    value: Measure,
    /// Whether a server's value is only a lower bound (its generator was the limit).
    lower_bound: fn(&Value) -> bool,
    /// Whether Tertulia's ratios are shown (not for the generator's own CPU).
    ratios: bool,
    /// Decimals shown (2 for percentages that matter at 99.97).
    decimals: i32,
}

impl Row {
    fn new(
        name: impl Into<String>,
        scenario: &'static str,
        value: impl Fn(&Value) -> Option<f64> + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            scenario,
            value: Box::new(value),
            lower_bound: |_| false,
            ratios: true,
            decimals: 1,
        }
    }
}

/// The markdown table of a run's JSON lines: one row per measure, one column per server, and
/// Tertulia's ratios to the two references (and to its earlier build, when the run has one).
/// A maximum the generator could not get past is shown as "≥ n" without ratios; the efficiency
/// rows (deliveries per second of server CPU) are given at every rate all servers were run at.
fn report(lines: &str) -> String {
    let results: Vec<Value> = lines
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let find = |label: &str, scenario: &str| {
        results
            .iter()
            .rev()
            .find(|r| r["label"] == label && r["scenario"] == scenario)
    };
    let with_before = results.iter().any(|r| r["label"] == TERTULIA_BEFORE);
    let mut columns = vec!["Node socket.io", "bare socketioxide"];
    let mut servers = REFERENCES.to_vec();
    if with_before {
        columns.push("Tertulia before");
        servers.push(TERTULIA_BEFORE);
    }
    columns.extend(["Tertulia", "Tertulia / bare", "Tertulia / Node"]);
    servers.push(TERTULIA);
    if with_before {
        columns.push("Tertulia / before");
    }

    let percent = |share: Option<f64>| share.map(|share| (share * 100.0).round());
    let mut rows = vec![
        Row {
            lower_bound: |r| r["generator_bound"].as_bool() == Some(true),
            ..Row::new("max deliveries/s with p99 < 100 ms, 0 lost", "ramp", |r| {
                r["best"]["offered"].as_f64()
            })
        },
        Row {
            ratios: false,
            ..Row::new(
                "generator CPU at that max (% of its core)",
                "ramp",
                move |r| percent(r["best"]["generator_cpu"].as_f64()),
            )
        },
        Row::new("server CPU at that max (cores)", "ramp", |r| {
            r["best"]["server_cores"].as_f64()
        }),
    ];
    // Efficiency at each rate every server's ramp ran (a step of any outcome: CPU per
    // delivery is what it is, passed or not).
    let rates = |server: &str| -> BTreeSet<u64> {
        find(server, "ramp")
            .and_then(|r| r["steps"].as_array())
            .map(|steps| steps.iter().filter_map(|s| s["offered"].as_u64()).collect())
            .unwrap_or_default()
    };
    let common = servers
        .iter()
        .map(|server| rates(server))
        .reduce(|a, b| a.intersection(&b).copied().collect())
        .unwrap_or_default();
    for rate in common {
        rows.push(Row::new(
            format!("deliveries per server CPU-second at {rate}/s"),
            "ramp",
            move |r| {
                r["steps"]
                    .as_array()?
                    .iter()
                    .find(|s| s["offered"].as_u64() == Some(rate))?["per_server_cpu_s"]
                    .as_f64()
            },
        ));
    }
    rows.extend([
        Row::new("fan-out p99 at the fixed rate (ms)", "fanout", |r| {
            r["result"]["p99_ms"].as_f64()
        }),
        Row {
            ratios: false,
            ..Row::new("generator CPU at the fixed rate (%)", "fanout", move |r| {
                percent(r["result"]["generator_cpu"].as_f64())
            })
        },
        Row {
            lower_bound: |r| r["generator_bound"].as_bool() == Some(true),
            ..Row::new(
                "connects/s (sign-in + websocket + CONNECT + join)",
                "connect",
                |r| r["per_second"].as_f64(),
            )
        },
        Row::new("connects per server CPU-second", "connect", |r| {
            r["per_server_cpu_s"].as_f64()
        }),
        Row {
            ratios: false,
            ..Row::new("generator CPU while connecting (%)", "connect", move |r| {
                percent(r["generator_cpu"].as_f64())
            })
        },
        Row::new("server memory per idle connection (KiB)", "idle", |r| {
            r["kib_per_connection"].as_f64()
        }),
        Row {
            decimals: 2,
            ..Row::new("churn: messages delivered (%)", "churn", |r| {
                r["delivered_pct"].as_f64()
            })
        },
        Row::new("churn: live duplicates", "churn", |r| {
            r["duplicates"].as_f64()
        }),
        Row::new("churn: reconnect p50 (ms)", "churn", |r| {
            r["reconnect"]["p50_ms"].as_f64()
        }),
        Row::new("churn: reconnect p99 (ms)", "churn", |r| {
            r["reconnect"]["p99_ms"].as_f64()
        }),
        Row::new("churn: recovered p50 (ms)", "churn", |r| {
            r["recovery"]["p50_ms"].as_f64()
        }),
        Row::new("churn: recovered p99 (ms)", "churn", |r| {
            r["recovery"]["p99_ms"].as_f64()
        }),
        Row::new("storm: seconds until every client was back", "storm", |r| {
            r["storm_s"].as_f64()
        }),
        Row::new("storm: a client back, p50 (ms)", "storm", |r| {
            r["client_back"]["p50_ms"].as_f64()
        }),
        Row::new("storm: a client back, p99 (ms)", "storm", |r| {
            r["client_back"]["p99_ms"].as_f64()
        }),
        Row::new(
            "storm: clients missing a message at the end",
            "storm",
            |r| r["clients_missing"].as_f64(),
        ),
        Row::new(
            "one step past the max: deliveries lost silently",
            "ramp",
            |r| r["failed"]["lost_silently"].as_f64(),
        ),
        Row::new(
            "one step past the max: receivers disconnected (told)",
            "ramp",
            |r| r["failed"]["disconnected"].as_f64(),
        ),
    ]);

    let mut out = format!(
        "| | {} |\n|---|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    for row in rows {
        // A server's value, and whether it is only a lower bound.
        let value = |server: &str| {
            find(server, row.scenario).and_then(|r| Some(((row.value)(r)?, (row.lower_bound)(r))))
        };
        let cell = |v: Option<(f64, bool)>| match v {
            None => "–".to_owned(),
            Some((v, lower)) => {
                let scale = 10f64.powi(row.decimals);
                let shown = format!("{}", (v * scale).round() / scale);
                if lower { format!("≥ {shown}") } else { shown }
            }
        };
        let ratio = |a: Option<(f64, bool)>, b: Option<(f64, bool)>| match (a, b) {
            _ if !row.ratios => "–".to_owned(),
            (Some((a, false)), Some((b, false))) if b != 0.0 => format!("{:.2}×", a / b),
            _ => "–".to_owned(),
        };
        let now = value(TERTULIA);
        let mut cells: Vec<String> = servers.iter().map(|server| cell(value(server))).collect();
        cells.push(ratio(now, value("socketioxide")));
        cells.push(ratio(now, value("node")));
        if with_before {
            cells.push(ratio(now, value(TERTULIA_BEFORE)));
        }
        out.push_str(&format!("| {} | {} |\n", row.name, cells.join(" | ")));
    }
    out
}

/// The resident memory of a process, KiB.
fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .context("no VmRSS")
}

#[tokio::main]
async fn main() -> Result<()> {
    if let Ok((_, hard)) = rlimit::Resource::NOFILE.get() {
        let _ = rlimit::Resource::NOFILE.set(hard, hard);
    }
    let cli = Cli::parse();
    now_ns();
    if let Scenario::Report { file } = &cli.scenario {
        print!("{}", report(&std::fs::read_to_string(file)?));
        return Ok(());
    }
    let meter = Meter::new(cli.pid);
    let out = match &cli.scenario {
        Scenario::Report { .. } => unreachable!("handled above"),
        Scenario::Fanout {
            shape,
            rate,
            seconds,
        } => {
            create_rooms(&cli, shape.rooms).await?;
            let conns = connect_many(&cli, shape.clients, 64, Some(shape.rooms)).await?;
            // Two seconds at the same rate first (caches, allocator, database), not measured.
            fanout(&conns, *shape, *rate, 2, 0, &meter).await;
            let result = fanout(&conns, *shape, *rate, *seconds, 1, &meter).await;
            json!({"scenario": "fanout", "result": result.json()})
        }
        Scenario::Ramp {
            shape,
            start,
            step,
            max,
            seconds,
            refine,
            past,
        } => {
            create_rooms(&cli, shape.rooms).await?;
            let conns = connect_many(&cli, shape.clients, 64, Some(shape.rooms)).await?;
            let mut ramp = Ramp::default();
            let mut rate = *start;
            while rate <= *max {
                let result = fanout(&conns, *shape, rate, *seconds, ramp.run, &meter).await;
                eprintln!("ramp {rate}/s: {}", result.json());
                match ramp.record(&result) {
                    Some(true) => rate += step,
                    Some(false) | None => break,
                }
            }
            // Between the last good step and the failed one: halve the gap `refine` times.
            let offered = |v: &Option<Value>| v.as_ref().and_then(|r| r["offered"].as_u64());
            if let (Some(mut good), Some(mut bad)) = (offered(&ramp.best), offered(&ramp.failed)) {
                for _ in 0..*refine {
                    let rate = (good + bad) / 2;
                    if rate == good {
                        break;
                    }
                    let result = fanout(&conns, *shape, rate, *seconds, ramp.run, &meter).await;
                    eprintln!("ramp {rate}/s (refining): {}", result.json());
                    match ramp.record(&result) {
                        Some(true) => good = rate,
                        Some(false) => bad = rate,
                        None => break,
                    }
                }
            }
            let beyond = if *past > 0 && ramp.failed.is_some() {
                let last_good = offered(&ramp.best).unwrap_or(*start);
                let result =
                    fanout(&conns, *shape, last_good + past, *seconds, ramp.run, &meter).await;
                Some(result.json())
            } else {
                None
            };
            json!({
                "scenario": "ramp", "best": ramp.best, "failed": ramp.failed,
                "generator_bound": ramp.generator_bound, "past": beyond, "steps": ramp.steps,
            })
        }
        Scenario::Connect {
            clients,
            concurrency,
        } => {
            // The rooms first, untimed: what is measured is clients getting in.
            create_rooms(&cli, 10).await?;
            let begin = meter.mark();
            let conns = connect_many(&cli, *clients, *concurrency, Some(10)).await?;
            let usage = meter.since(&begin);
            let rate = conns.len() as f64 / usage.seconds;
            json!({
                "scenario": "connect", "clients": conns.len(), "seconds": usage.seconds,
                "per_second": rate.round(),
                "generator_cpu": round2(usage.generator),
                "generator_bound": usage.generator > GENERATOR_CEILING,
                "server_cores": usage.server.map(|cpu| round2(cpu / usage.seconds)),
                "per_server_cpu_s": usage.server.filter(|cpu| *cpu >= CPU_MEASURABLE).map(|cpu| (conns.len() as f64 / cpu).round()),
            })
        }
        Scenario::Churn {
            shape,
            recovery,
            rate,
            seconds,
            cut_every_ms,
        } => {
            let begin = meter.mark();
            let mut result = bench::churn::run(bench::churn::Churn {
                addr: cli.addr.clone(),
                recovery: match recovery {
                    RecoveryArg::Contract => bench::churn::Recovery::Contract,
                    RecoveryArg::SessionState => bench::churn::Recovery::SessionState,
                    RecoveryArg::None => bench::churn::Recovery::None,
                },
                clients: shape.clients,
                rooms: shape.rooms,
                senders: shape.senders,
                rate: *rate,
                seconds: *seconds,
                cut_every: Duration::from_millis(*cut_every_ms),
                sources: cli.sources as usize,
            })
            .await?;
            with_generator_cpu(&mut result, &meter.since(&begin));
            result
        }
        Scenario::Storm {
            clients,
            rooms,
            rooms_each,
            senders,
            rate,
            ready_file,
            send_after_ready,
            deadline,
        } => {
            let begin = meter.mark();
            let mut result = bench::storm::run(bench::storm::Storm {
                addr: cli.addr.clone(),
                guests: cli.auth == Auth::Guest,
                catch_up: cli.auth == Auth::Guest,
                clients: *clients,
                rooms: *rooms,
                rooms_each: *rooms_each,
                senders: *senders,
                rate: *rate,
                sources: cli.sources as usize,
                ready_file: ready_file.clone(),
                send_after_ready: Duration::from_secs(*send_after_ready),
                deadline: Duration::from_secs(*deadline),
            })
            .await?;
            with_generator_cpu(&mut result, &meter.since(&begin));
            result
        }
        Scenario::Idle {
            clients,
            concurrency,
        } => {
            let pid = cli.pid.context("idle needs the server's --pid")?;
            // Warm up (lazy allocations, first session), then measure the growth.
            let warm = connect_many(&cli, 16, 16, None).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let before = rss_kib(pid)?;
            let conns = connect_many(&cli, *clients, *concurrency, None).await?;
            tokio::time::sleep(Duration::from_secs(3)).await;
            let after = rss_kib(pid)?;
            let per = (after.saturating_sub(before)) as f64 / conns.len() as f64;
            drop(warm);
            json!({"scenario": "idle", "clients": conns.len(), "rss_before_kib": before, "rss_after_kib": after, "kib_per_connection": (per * 10.0).round() / 10.0})
        }
    };
    let mut out = out;
    out["label"] = json!(cli.label);
    println!("{out}");
    std::process::exit(0);
}

#[cfg(test)]
mod tests {
    use super::report;

    const RUN: &str = r#"{"label":"node","scenario":"connect","per_second":800.0}
{"label":"socketioxide","scenario":"connect","per_second":2000.0}
{"label":"tertulia","scenario":"connect","per_second":400.0}
not a result line
"#;

    #[test]
    fn the_table_has_a_column_per_server_and_tertulias_ratios() {
        let table = report(RUN);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "| | Node socket.io | bare socketioxide | Tertulia | Tertulia / bare | Tertulia / Node |"
        );
        assert!(
            lines.contains(
                &"| connects/s (sign-in + websocket + CONNECT + join) | 800 | 2000 | 400 | 0.20× | 0.50× |"
            ),
            "{table}"
        );
        assert!(lines.contains(&"| server memory per idle connection (KiB) | – | – | – | – | – |"));
    }

    #[test]
    fn a_generator_bound_maximum_is_a_lower_bound_and_efficiency_is_compared_per_rate() {
        let step = |rate: u64, per_cpu: u64| {
            format!(
                r#"{{"offered":{rate},"per_server_cpu_s":{per_cpu},"generator_cpu":0.5,"server_cores":0.8}}"#
            )
        };
        let ramp = |label: &str, best: u64, bound: bool, steps: &[(u64, u64)]| {
            let steps: Vec<String> = steps.iter().map(|(r, c)| step(*r, *c)).collect();
            format!(
                r#"{{"label":"{label}","scenario":"ramp","best":{},"generator_bound":{bound},"steps":[{}]}}"#,
                step(best, 1),
                steps.join(",")
            )
        };
        let run = [
            ramp(
                "node",
                20000,
                false,
                &[(10000, 40000), (20000, 41000), (30000, 42000)],
            ),
            ramp(
                "socketioxide",
                30000,
                true,
                &[(10000, 60000), (20000, 62000), (30000, 61000)],
            ),
            ramp("tertulia", 20000, false, &[(10000, 30000), (20000, 31000)]),
        ]
        .join("\n");
        let table = report(&run);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines.contains(
                &"| max deliveries/s with p99 < 100 ms, 0 lost | 20000 | ≥ 30000 | 20000 | – | 1.00× |"
            ),
            "{table}"
        );
        assert!(
            lines.contains(
                &"| deliveries per server CPU-second at 20000/s | 41000 | 62000 | 31000 | 0.50× | 0.76× |"
            ),
            "{table}"
        );
        assert!(
            lines.contains(&"| generator CPU at that max (% of its core) | 50 | 50 | 50 | – | – |"),
            "{table}"
        );
        assert!(
            !table.contains("at 30000/s"),
            "only rates every server ran: {table}"
        );
    }

    #[test]
    fn a_run_with_an_earlier_build_compares_tertulia_with_it() {
        let run = format!(
            "{RUN}{}\n",
            r#"{"label":"tertulia-before","scenario":"connect","per_second":250.0}"#
        );
        let table = report(&run);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "| | Node socket.io | bare socketioxide | Tertulia before | Tertulia | Tertulia / bare | Tertulia / Node | Tertulia / before |"
        );
        assert_eq!(lines[1], "|---|---|---|---|---|---|---|---|");
        assert!(
            lines.contains(
                &"| connects/s (sign-in + websocket + CONNECT + join) | 800 | 2000 | 250 | 400 | 0.20× | 0.50× | 1.60× |"
            ),
            "{table}"
        );
    }
}
