//! The bare socketioxide reference server for `loadgen`: the same `/chat` events as Tertulia
//! (`create_room`, `join`, `message`, `typing`) with the same ack shapes, in memory, without authentication,
//! storage, presence or limits. What socketioxide alone costs on this machine.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use protocol::events::chat;
use protocol::{
    Author, CreateRoomReq, CreateRoomRes, JoinReq, JoinRes, Message, MessageReq, MessageRes, Room,
};
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

#[derive(Debug, Parser)]
#[command(about = "Bare socketioxide /chat server (benchmark reference)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3300")]
    addr: SocketAddr,
}

static NEXT_ID: AtomicI64 = AtomicI64::new(1);

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

fn room(name: String) -> Room {
    Room {
        name,
        topic: None,
        members: 0,
        private: false,
        dm_with: None,
        dm_group: Vec::new(),
        created_by: None,
    }
}

/// An ack `{ok: true, ...body}`, as Tertulia writes it.
fn ok<T: serde::Serialize>(body: &T) -> Value {
    let mut value = serde_json::to_value(body).unwrap_or_default();
    value["ok"] = Value::Bool(true);
    value
}

async fn on_chat(socket: SocketRef) {
    socket.on(
        chat::JOIN,
        async |socket: SocketRef, Data(join): Data<JoinReq>, ack: AckSender| {
            socket.join(join.room.clone());
            let _ = ack.send(&ok(&JoinRes {
                room: room(join.room),
                members: Vec::new(),
                history: Vec::new(),
                members_total: None,
                more: false,
                read: None,
            }));
        },
    );
    socket.on(
        chat::CREATE_ROOM,
        async |Data(create): Data<CreateRoomReq>, ack: AckSender| {
            let _ = ack.send(&ok(&CreateRoomRes {
                room: room(create.name),
            }));
        },
    );
    socket.on(
        chat::MESSAGE,
        async |socket: SocketRef, Data(said): Data<MessageReq>, ack: AckSender| {
            let message = Message {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                room: said.room.clone(),
                user: Author {
                    id: 0,
                    username: socket.id.to_string(),
                },
                text: said.text,
                ts: now_ms(),
                ..Message::default()
            };
            let _ = socket.within(said.room).emit(chat::MESSAGE, &message).await;
            let _ = ack.send(&ok(&MessageRes { message }));
        },
    );
    socket.on(
        chat::TYPING,
        async |socket: SocketRef, Data(typing): Data<Value>| {
            if let Some(room) = typing.get("room").and_then(Value::as_str) {
                let _ = socket.to(room.to_owned()).emit(chat::TYPING, &typing).await;
            }
        },
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (layer, io) = SocketIo::new_layer();
    io.ns(chat::NS, on_chat);
    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    eprintln!("reference socketioxide server on {}", args.addr);
    axum::serve(listener, app).await?;
    Ok(())
}
