//! The bare socketioxide reference server for `loadgen`: the same `/chat` events as Tertulia
//! (`create_room`, `join`, `message`, `typing`) with the same ack shapes, in memory, without authentication,
//! storage, presence or limits. What socketioxide alone costs on this machine.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

#[derive(Debug, Parser)]
#[command(about = "Bare socketioxide /chat server (benchmark reference)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3300")]
    addr: SocketAddr,
}

#[derive(Deserialize)]
struct Join {
    room: String,
}

#[derive(Deserialize)]
struct Said {
    room: String,
    text: String,
    #[serde(default)]
    client_id: Option<Value>,
}

static NEXT_ID: AtomicI64 = AtomicI64::new(1);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

async fn on_chat(socket: SocketRef) {
    socket.on(
        "join",
        async |socket: SocketRef, Data(join): Data<Join>, ack: AckSender| {
            socket.join(join.room.clone());
            let room = json!({"name": join.room, "topic": null, "members": 0, "private": false});
            let _ = ack.send(&json!({"ok": true, "room": room, "history": [], "users": []}));
        },
    );
    socket.on("create_room", async |Data(room): Data<Value>, ack: AckSender| {
        let _ = ack.send(&json!({"ok": true, "room": {"name": room["name"], "topic": null, "members": 0, "private": false}}));
    });
    socket.on(
        "message",
        async |socket: SocketRef, Data(said): Data<Said>, ack: AckSender| {
            let message = json!({
                "id": NEXT_ID.fetch_add(1, Ordering::Relaxed),
                "room": said.room,
                "user": {"id": 0, "username": socket.id.to_string()},
                "text": said.text,
                "ts": now_ms(),
                "client_id": said.client_id,
            });
            let _ = socket.within(said.room).emit("message", &message).await;
            let _ = ack.send(&json!({"ok": true, "message": message}));
        },
    );
    socket.on(
        "typing",
        async |socket: SocketRef, Data(typing): Data<Value>| {
            if let Some(room) = typing.get("room").and_then(Value::as_str) {
                let _ = socket.to(room.to_owned()).emit("typing", &typing).await;
            }
        },
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (layer, io) = SocketIo::new_layer();
    io.ns("/chat", on_chat);
    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    eprintln!("reference socketioxide server on {}", args.addr);
    axum::serve(listener, app).await?;
    Ok(())
}
