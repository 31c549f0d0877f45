//! `bench`: connects N guests to `/chat`, puts them in one fresh room, has one of them send M
//! messages (each waiting for its ack), and measures:
//!
//! * ack latency: send → the sender's ack;
//! * fan-out latency: send → each other client receiving the broadcast;
//! * throughput: messages acked per second and broadcasts delivered per second.
//!
//! Run it against a server whose rate limits allow the load (see `scripts/bench.sh`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use protocol::events::chat;
use protocol::{CreateRoomReq, JoinReq, Message, MessageReq};
use serde_json::json;
use socket_client::native::{Client, ClientEvent, ConnectOptions};
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
#[command(about = "Socket.IO load test for Tertulia")]
struct Args {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// Connected clients in the room (one of them sends).
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// Messages the sender sends, one after the other (each after the previous ack).
    #[arg(long, default_value_t = 500)]
    messages: usize,
    /// Spread the clients over this many cluster nodes (`n1`, `n2`...) with the proxy's
    /// routing cookie, round robin, the sender on `n1`; 0: no cookie (a single server).
    #[arg(long, default_value_t = 0)]
    nodes: usize,
    /// A label printed with the summary line.
    #[arg(long, default_value = "")]
    label: String,
}

/// The handshake headers pinning client number `n` to a node (none without `--nodes`).
fn pin(nodes: usize, n: usize) -> Vec<(String, String)> {
    if nodes == 0 {
        return Vec::new();
    }
    vec![(
        "Cookie".to_owned(),
        format!("tertulia_node=n{}", n % nodes + 1),
    )]
}

/// A connected `/chat` client that has joined `room`.
async fn member(
    addr: &str,
    name: &str,
    room: &str,
    headers: Vec<(String, String)>,
) -> Result<Client> {
    let token = bench::guest_token(addr, bench::wire::source(0, 1), name).await?;
    let mut client = Client::connect(ConnectOptions {
        base_url: format!("http://{addr}"),
        headers,
        config: socket_client::Config::default(),
    });
    client.connect_namespace(chat::NS, Some(json!({ "token": token })));
    loop {
        match client.next_event().await.context("client stopped")? {
            ClientEvent::Connected(_) => break,
            ClientEvent::ConnectError(_, message) => bail!("refused: {message}"),
            _ => {}
        }
    }
    if let Err(error) = client.request(&JoinReq::new(room.to_owned())).await? {
        bail!("join failed: {error}");
    }
    Ok(client)
}

/// p50, p95, p99 and max in ms (zeros without samples).
fn percentiles(mut samples: Vec<Duration>) -> [f64; 4] {
    if samples.is_empty() {
        return [0.0; 4];
    }
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    [ms(at(0.50)), ms(at(0.95)), ms(at(0.99)), ms(at(1.0))]
}

fn print_percentiles(label: &str, count: usize, [p50, p95, p99, max]: [f64; 4]) {
    println!("{label}: n={count} p50={p50:.2} ms p95={p95:.2} ms p99={p99:.2} ms max={max:.2} ms");
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.clients < 2 {
        bail!("--clients must be at least 2 (one sender, one receiver)");
    }
    let run = std::process::id();
    let room = format!("bench {run}");
    // The sender creates the room; everyone joins it.
    let sender_token = bench::guest_token(
        &args.addr,
        bench::wire::source(0, 1),
        &format!("bench{run}s"),
    )
    .await?;
    let mut sender = Client::connect(ConnectOptions {
        base_url: format!("http://{}", args.addr),
        headers: pin(args.nodes, 0),
        config: socket_client::Config::default(),
    });
    sender.connect_namespace(chat::NS, Some(json!({ "token": sender_token })));
    loop {
        match sender.next_event().await.context("sender stopped")? {
            ClientEvent::Connected(_) => break,
            ClientEvent::ConnectError(_, message) => bail!("sender refused: {message}"),
            _ => {}
        }
    }
    sender
        .request(&CreateRoomReq {
            name: room.clone(),
            topic: None,
            private: false,
        })
        .await??;
    sender.request(&JoinReq::new(room.clone())).await??;

    let connect_started = Instant::now();
    let mut receivers = Vec::new();
    for n in 0..args.clients - 1 {
        let headers = pin(args.nodes, n + 1);
        receivers.push(member(&args.addr, &format!("bench{run}r{n}"), &room, headers).await?);
    }
    println!(
        "connected and joined {} clients in {:.2} s",
        args.clients,
        connect_started.elapsed().as_secs_f64()
    );

    // Receivers record when each message (by text) arrives.
    let epoch = Instant::now();
    let arrivals: Arc<Mutex<Vec<(String, Duration)>>> = Arc::new(Mutex::new(Vec::new()));
    let expected = args.messages;
    let mut tasks = Vec::new();
    for mut client in receivers {
        let arrivals = arrivals.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = 0;
            while seen < expected {
                match tokio::time::timeout(Duration::from_secs(30), client.next_event()).await {
                    Ok(Some(event)) if event.decode::<Message>().is_some() => {
                        let text = event
                            .decode::<Message>()
                            .map(|m| m.text)
                            .unwrap_or_default();
                        arrivals.lock().await.push((text, epoch.elapsed()));
                        seen += 1;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            client
        }));
    }

    let mut sent_at: HashMap<String, Duration> = HashMap::new();
    let mut ack_latency = Vec::with_capacity(args.messages);
    let send_started = Instant::now();
    for n in 0..args.messages {
        let text = format!("bench message {n}");
        let at = epoch.elapsed();
        sent_at.insert(text.clone(), at);
        let answer = sender
            .request(&MessageReq {
                room: room.clone(),
                text,
                client_id: None,
                reply_to: None,
                attachments: Vec::new(),
                thread: None,
            })
            .await?;
        ack_latency.push(epoch.elapsed() - at);
        if let Err(error) = answer {
            bail!("message {n} refused: {error} (are the server's rate limits raised?)");
        }
    }
    let send_elapsed = send_started.elapsed();
    for task in tasks {
        let _ = task.await;
    }
    let all_delivered = send_started.elapsed();

    let arrivals = arrivals.lock().await;
    let fan_out: Vec<Duration> = arrivals
        .iter()
        .filter_map(|(text, at)| sent_at.get(text).map(|sent| at.saturating_sub(*sent)))
        .collect();
    let wanted = args.messages * (args.clients - 1);
    println!(
        "sent {} messages in {:.2} s: {:.0} acked messages/s",
        args.messages,
        send_elapsed.as_secs_f64(),
        args.messages as f64 / send_elapsed.as_secs_f64()
    );
    println!(
        "delivered {}/{} broadcasts in {:.2} s: {:.0} deliveries/s",
        fan_out.len(),
        wanted,
        all_delivered.as_secs_f64(),
        fan_out.len() as f64 / all_delivered.as_secs_f64()
    );
    let (acks, deliveries) = (ack_latency.len(), fan_out.len());
    let ack = percentiles(ack_latency);
    let spread = percentiles(fan_out);
    print_percentiles("ack latency    ", acks, ack);
    print_percentiles("fan-out latency", deliveries, spread);
    // One line per run, for scripts/bench.sh's table.
    println!(
        "| {} | {} | {} | {:.0} | {:.0} | {:.2} / {:.2} | {:.2} / {:.2} / {:.2} | {} of {} |",
        args.label,
        args.clients,
        args.messages,
        args.messages as f64 / send_elapsed.as_secs_f64(),
        deliveries as f64 / all_delivered.as_secs_f64(),
        ack[0],
        ack[2],
        spread[0],
        spread[2],
        spread[3],
        wanted.saturating_sub(deliveries),
        wanted
    );
    if arrivals.len() < wanted {
        bail!("{} broadcasts were lost", wanted - arrivals.len());
    }
    Ok(())
}
