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
//! A message's text carries its sender, sequence number and send time, so a receiver knows
//! its latency and which messages it missed; a client the server disconnects is counted
//! apart (it was told), a message missing at a client still connected is a silent loss.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args as ClapArgs, Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use protocol::events::chat::{CREATE_ROOM, JOIN, MESSAGE, NS};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Frame;

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
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Auth {
    Guest,
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
    /// Reads the JSON lines of a run (from a file) and prints the comparison table.
    Report {
        /// The file of JSON lines.
        file: std::path::PathBuf,
    },
    /// Server memory per idle connection.
    Idle {
        #[arg(long, default_value_t = 5000)]
        clients: usize,
        /// The server's process id (its VmRSS is read from /proc).
        #[arg(long)]
        pid: u32,
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
async fn guest_token(addr: &str, name: &str) -> Result<String> {
    for _ in 0..200 {
        match bench::guest_token(addr, name).await {
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
    /// Where acks without a measured message go (set-up requests).
    acks: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>>,
}

/// Connects one client to `/chat` (and `room`, if given); afterwards a task answers pings and
/// counts what arrives into `tally`.
async fn connect(addr: &str, auth: Auth, n: usize, room: Option<usize>) -> Result<Conn> {
    let connect_payload = match auth {
        Auth::Guest => {
            let token = guest_token(addr, &format!("lg{n}x{}", now_ns() % 1_000_000)).await?;
            json!({ "token": token }).to_string()
        }
        Auth::None => String::new(),
    };
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .context("websocket")?;
    let (mut sink, mut stream) = ws.split();
    // Engine.IO OPEN.
    let open = next_text(&mut stream).await?;
    if !open.starts_with('0') {
        bail!("expected OPEN, got {open}");
    }
    sink.send(Frame::text(format!("40{NS},{connect_payload}")))
        .await?;
    loop {
        let frame = next_text(&mut stream).await?;
        if frame.starts_with(&format!("40{NS}")) {
            break;
        }
        if frame.starts_with(&format!("44{NS}")) {
            bail!("CONNECT refused: {frame}");
        }
        if frame == "2" {
            sink.send(Frame::text("3")).await?;
        }
    }
    if let Some(room) = room {
        sink.send(Frame::text(format!(
            "42{NS},0[\"{JOIN}\",{{\"room\":\"lg{room}\"}}]"
        )))
        .await?;
        loop {
            let frame = next_text(&mut stream).await?;
            if frame.starts_with(&format!("43{NS},0")) {
                if !frame.contains("\"ok\":true") {
                    bail!("join refused: {frame}");
                }
                break;
            }
            if frame == "2" {
                sink.send(Frame::text("3")).await?;
            }
        }
    }
    let (out, mut outgoing) = mpsc::unbounded_channel::<String>();
    let alive = Arc::new(AtomicBool::new(true));
    tokio::spawn(async move {
        while let Some(frame) = outgoing.recv().await {
            if sink.send(Frame::text(frame)).await.is_err() {
                break;
            }
        }
    });
    let pong = out.clone();
    let alive_flag = alive.clone();
    let recv = Arc::new(Mutex::new(Recv::new()));
    let counts = recv.clone();
    let acks: Arc<Mutex<Option<mpsc::UnboundedSender<String>>>> = Arc::default();
    let plain_acks = acks.clone();
    // The starts of a broadcast message and of an ack, computed once for the hot loop.
    let message_start = format!("42{NS},[\"{MESSAGE}\"");
    let ack_start = format!("43{NS},");
    tokio::spawn(async move {
        while let Some(Ok(frame)) = stream.next().await {
            let Frame::Text(text) = frame else {
                if matches!(frame, Frame::Close(_)) {
                    break;
                }
                continue;
            };
            let text = text.as_str();
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
            } else if text.starts_with(&ack_start) {
                if let Some(to) = plain_acks.lock().expect("acks").as_ref() {
                    let _ = to.send(text.to_owned());
                } else if text.contains("\"ok\":false") {
                    counts.lock().expect("counts").refused += 1;
                }
            }
        }
        alive_flag.store(false, Ordering::Release);
    });
    Ok(Conn {
        out,
        room: room.unwrap_or(0),
        alive,
        recv,
        acks,
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

async fn next_text<S>(stream: &mut S) -> Result<String>
where
    S: futures_util::Stream<Item = Result<Frame, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.next()).await {
            Ok(Some(Ok(Frame::Text(text)))) => return Ok(text.as_str().to_owned()),
            Ok(Some(Ok(Frame::Close(_))) | None) => bail!("closed"),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(error))) => return Err(error.into()),
            Err(_) => bail!("timed out"),
        }
    }
}

/// Creates the rooms `lg0`… (an existing one is fine) over one connection of its own.
async fn create_rooms(cli: &Cli, rooms: usize) -> Result<()> {
    let setup = connect(&cli.addr, cli.auth, usize::MAX / 2, None).await?;
    let (done, mut acks) = mpsc::unbounded_channel();
    *setup.acks.lock().expect("acks") = Some(done);
    for room in 0..rooms {
        let _ = setup.out.send(format!(
            "42{NS},{room}[\"{CREATE_ROOM}\",{{\"name\":\"lg{room}\",\"private\":false}}]"
        ));
        let answer = tokio::time::timeout(Duration::from_secs(10), acks.recv())
            .await
            .context("create_room: no answer")?
            .context("create_room: closed")?;
        if !answer.contains("\"ok\":true")
            && !answer.contains(protocol::ErrorCode::Conflict.as_str())
        {
            bail!("create_room refused: {answer}");
        }
    }
    Ok(())
}

/// Connects `count` clients, `concurrency` at a time.
async fn connect_many(
    cli: &Cli,
    count: usize,
    concurrency: usize,
    rooms: Option<usize>,
) -> Result<Vec<Conn>> {
    if let Some(rooms) = rooms {
        create_rooms(cli, rooms).await?;
    }
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let permit = semaphore.clone().acquire_owned().await?;
        let addr = cli.addr.clone();
        let auth = cli.auth;
        let room = rooms.map(|rooms| n % rooms);
        tasks.push(tokio::spawn(async move {
            let conn = connect(&addr, auth, n, room).await;
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
}

impl FanoutResult {
    fn passes(&self) -> bool {
        self.p99_ms < 100.0 && self.expected == self.delivered && self.disconnected == 0
    }

    fn json(&self) -> Value {
        json!({
            "offered": self.offered, "achieved": self.achieved.round(),
            "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms,
            "ack_p99_ms": self.ack_p99_ms,
            "expected": self.expected, "delivered": self.delivered,
            "lost_silently": self.lost_silently, "disconnected": self.disconnected,
            "refused": self.refused,
        })
    }
}

/// One fan-out run over connected clients: `rate` deliveries per second for `seconds`.
async fn fanout(conns: &[Conn], shape: Shape, rate: u64, seconds: u64, run: u32) -> FanoutResult {
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
    }
}

/// The reference servers of a comparison, in column order, as labelled by the script.
const REFERENCES: [&str; 2] = ["node", "socketioxide"];
/// Tertulia as built from the working tree.
const TERTULIA: &str = "tertulia";
/// Tertulia as built from an earlier commit (`scripts/bench-compare.sh --baseline REV`).
const TERTULIA_BEFORE: &str = "tertulia-before";

/// The markdown table of a run's JSON lines: one row per measure, one column per server, and
/// Tertulia's ratios to the two references (and to its earlier build, when the run has one).
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
    type Measure = fn(&Value) -> Option<f64>;
    let rows: [(&str, &str, Measure); 6] = [
        ("max deliveries/s with p99 < 100 ms, 0 lost", "ramp", |r| {
            r["best"]["offered"].as_f64()
        }),
        ("fan-out p99 at the fixed rate (ms)", "fanout", |r| {
            r["result"]["p99_ms"].as_f64()
        }),
        (
            "connects/s (sign-in + websocket + CONNECT + join)",
            "connect",
            |r| r["per_second"].as_f64(),
        ),
        ("server memory per idle connection (KiB)", "idle", |r| {
            r["kib_per_connection"].as_f64()
        }),
        (
            "one step past the max: deliveries lost silently",
            "ramp",
            |r| r["failed"]["lost_silently"].as_f64(),
        ),
        (
            "one step past the max: receivers disconnected (told)",
            "ramp",
            |r| r["failed"]["disconnected"].as_f64(),
        ),
    ];
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
    let mut out = format!(
        "| | {} |\n|---|{}\n",
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    let cell = |v: Option<f64>| {
        v.map_or("–".to_owned(), |v| {
            format!("{}", (v * 10.0).round() / 10.0)
        })
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b != 0.0 => format!("{:.2}×", a / b),
        _ => "–".to_owned(),
    };
    for (name, scenario, measure) in rows {
        let value = |server: &str| find(server, scenario).and_then(measure);
        let now = value(TERTULIA);
        let mut cells: Vec<String> = servers.iter().map(|server| cell(value(server))).collect();
        cells.push(ratio(now, value("socketioxide")));
        cells.push(ratio(now, value("node")));
        if with_before {
            cells.push(ratio(now, value(TERTULIA_BEFORE)));
        }
        out.push_str(&format!("| {name} | {} |\n", cells.join(" | ")));
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
    let out = match &cli.scenario {
        Scenario::Report { .. } => unreachable!("handled above"),
        Scenario::Fanout {
            shape,
            rate,
            seconds,
        } => {
            let conns = connect_many(&cli, shape.clients, 64, Some(shape.rooms)).await?;
            // Two seconds at the same rate first (caches, allocator, database), not measured.
            fanout(&conns, *shape, *rate, 2, 0).await;
            let result = fanout(&conns, *shape, *rate, *seconds, 1).await;
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
            let conns = connect_many(&cli, shape.clients, 64, Some(shape.rooms)).await?;
            let mut best: Option<Value> = None;
            let mut steps = Vec::new();
            let mut rate = *start;
            let mut run = 1;
            let mut failed = None;
            while rate <= *max {
                let result = fanout(&conns, *shape, rate, *seconds, run).await;
                eprintln!("ramp {rate}/s: {}", result.json());
                steps.push(result.json());
                run += 1;
                if result.passes() {
                    best = Some(result.json());
                    rate += step;
                } else {
                    failed = Some(result.json());
                    break;
                }
            }
            // Between the last good step and the failed one: halve the gap `refine` times.
            let offered = |v: &Option<Value>| v.as_ref().and_then(|r| r["offered"].as_u64());
            if let (Some(mut good), Some(mut bad)) = (offered(&best), offered(&failed)) {
                for _ in 0..*refine {
                    let rate = (good + bad) / 2;
                    if rate == good {
                        break;
                    }
                    let result = fanout(&conns, *shape, rate, *seconds, run).await;
                    eprintln!("ramp {rate}/s (refining): {}", result.json());
                    steps.push(result.json());
                    run += 1;
                    if result.passes() {
                        best = Some(result.json());
                        good = rate;
                    } else {
                        bad = rate;
                    }
                }
            }
            let beyond = if *past > 0 && failed.is_some() {
                let last_good = best
                    .as_ref()
                    .and_then(|b| b["offered"].as_u64())
                    .unwrap_or(*start);
                let result = fanout(&conns, *shape, last_good + past, *seconds, run).await;
                Some(result.json())
            } else {
                None
            };
            json!({"scenario": "ramp", "best": best, "failed": failed, "past": beyond, "steps": steps})
        }
        Scenario::Connect {
            clients,
            concurrency,
        } => {
            let started = Instant::now();
            let conns = connect_many(&cli, *clients, *concurrency, Some(10)).await?;
            let elapsed = started.elapsed().as_secs_f64();
            let rate = conns.len() as f64 / elapsed;
            json!({"scenario": "connect", "clients": conns.len(), "seconds": elapsed, "per_second": rate.round()})
        }
        Scenario::Idle {
            clients,
            pid,
            concurrency,
        } => {
            // Warm up (lazy allocations, first session), then measure the growth.
            let warm = connect_many(&cli, 16, 16, None).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let before = rss_kib(*pid)?;
            let conns = connect_many(&cli, *clients, *concurrency, None).await?;
            tokio::time::sleep(Duration::from_secs(3)).await;
            let after = rss_kib(*pid)?;
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
