//! Raw Engine.IO / Socket.IO over a WebSocket or plain TCP, for tests that misbehave on purpose
//! (not reading, flooding, malformed frames). Frames are built from the contract's constants.
#![allow(dead_code)] // each test binary uses a subset

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use protocol::Request;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A raw WebSocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The Engine.IO websocket URL of a server.
#[must_use]
pub fn ws_url(addr: SocketAddr) -> String {
    format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
}

/// Opens a raw WebSocket and reads the Engine.IO open packet.
pub async fn open(addr: SocketAddr) -> Ws {
    open_with_handshake(addr).await.0
}

/// Opens a raw WebSocket and reads the Engine.IO open packet: the socket and the packet's JSON
/// (`sid`, `pingInterval`, `pingTimeout`, …).
pub async fn open_with_handshake(addr: SocketAddr) -> (Ws, serde_json::Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(addr))
        .await
        .unwrap();
    let open = ws.next().await.unwrap().unwrap();
    let text = open.to_text().unwrap();
    let json = text
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("not an open packet: {open:?}"));
    let handshake = serde_json::from_str(json).unwrap();
    (ws, handshake)
}

/// Opens a raw WebSocket over a TCP socket with a small receive buffer (so that a client
/// that stops reading fills its window quickly) and reads the open packet.
pub async fn open_with_small_window(addr: SocketAddr) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4 * 1024).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(ws_url(addr), MaybeTlsStream::Plain(tcp))
        .await
        .unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with('0'));
    ws
}

/// `40<ns>,{"token":..}`: CONNECT with a token.
#[must_use]
pub fn connect_frame(ns: &str, token: &str) -> String {
    format!(r#"40{ns},{{"token":"{token}"}}"#)
}

/// `42<ns>,<id>["event",payload]`: an event asking for ack `id`.
#[must_use]
pub fn request_frame<R: Request>(id: u64, request: &R) -> String {
    event_frame(R::NS, R::EVENT, Some(id), request)
}

/// `42<ns>,[<id>]["event",payload]`.
#[must_use]
pub fn event_frame<T: Serialize>(ns: &str, event: &str, id: Option<u64>, payload: &T) -> String {
    let args = serde_json::json!([event, payload]);
    let id = id.map(|id| id.to_string()).unwrap_or_default();
    format!("42{ns},{id}{args}")
}

/// Opens a raw WebSocket connected to `ns` with `token` (waits for the CONNECT ack).
pub async fn connected(addr: SocketAddr, ns: &str, token: &str) -> Ws {
    let mut ws = open(addr).await;
    connect(&mut ws, ns, token).await;
    ws
}

/// Sends CONNECT and waits for its ack.
pub async fn connect(ws: &mut Ws, ns: &str, token: &str) {
    ws.send(WsMessage::text(connect_frame(ns, token)))
        .await
        .unwrap();
    let prefix = format!("40{ns},");
    crate::wait::bounded("the CONNECT ack", async {
        loop {
            let frame = ws.next().await.unwrap().unwrap();
            let text = frame.to_text().unwrap();
            if text.starts_with(&prefix) {
                return;
            }
            if text == "2" {
                ws.send(WsMessage::text("3")).await.unwrap();
            }
        }
    })
    .await;
}

/// Sends a request and waits for its ack (answering pings meanwhile); returns the ack's JSON.
pub async fn request<R: Request>(ws: &mut Ws, id: u64, request: &R) -> serde_json::Value {
    ws.send(WsMessage::text(request_frame(id, request)))
        .await
        .unwrap();
    let prefix = format!("43{},{id}[", R::NS);
    crate::wait::bounded("an ack", async {
        loop {
            let frame = ws.next().await.unwrap().unwrap();
            let text = frame.to_text().unwrap();
            if text == "2" {
                ws.send(WsMessage::text("3")).await.unwrap();
            } else if let Some(rest) = text.strip_prefix(&prefix) {
                let args: Vec<serde_json::Value> =
                    serde_json::from_str(&format!("[{rest}")).unwrap();
                return args[0].clone();
            }
        }
    })
    .await
}

/// Whether the server closes `ws` within `wait` (frames received meanwhile are ignored).
pub async fn closed_within(ws: &mut Ws, wait: Duration) -> bool {
    tokio::time::timeout(wait, async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// Reads whatever the server sent until the connection ends (or `wait` passes): the text
/// frames, in order.
pub async fn drain(ws: &mut Ws, wait: Duration) -> Vec<String> {
    let mut frames = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        while let Some(Ok(frame)) = ws.next().await {
            if let WsMessage::Text(text) = frame {
                frames.push(text.to_string());
            }
        }
    })
    .await;
    frames
}

/// One HTTP/1.1 request over a fresh TCP connection (`Connection: close`); returns the status
/// and the body as text.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    http_with(
        addr,
        method,
        path,
        &[("Content-Type", "text/plain;charset=UTF-8")],
        body,
    )
    .await
}

/// Like [`http`] with these headers (`Host`, `Content-Length` and `Connection` are added).
pub async fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, rest) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, body)
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        body.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    body
}

/// An Engine.IO session over HTTP long-polling, driven by hand.
pub struct Polling {
    addr: SocketAddr,
    /// The Engine.IO session id.
    pub sid: String,
}

impl Polling {
    /// Opens a session (the handshake GET).
    pub async fn open(addr: SocketAddr) -> Self {
        let (status, body) = http(addr, "GET", "/socket.io/?EIO=4&transport=polling", "").await;
        assert_eq!(status, 200, "{body}");
        let open: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
        Self {
            addr,
            sid: open["sid"].as_str().unwrap().to_owned(),
        }
    }

    fn path(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    /// Sends packets (one POST).
    pub async fn post(&self, packets: &[String]) -> u16 {
        http(self.addr, "POST", &self.path(), &packets.join("\u{1e}"))
            .await
            .0
    }

    /// Polls once: the packets waiting (or the next ones within the long-poll).
    pub async fn poll(&self) -> (u16, Vec<String>) {
        let (status, body) = http(self.addr, "GET", &self.path(), "").await;
        (status, body.split('\u{1e}').map(str::to_owned).collect())
    }

    /// Polls once and answers a ping among the packets, as a client does.
    async fn poll_answering_pings(&self) -> Vec<String> {
        let (status, packets) = self.poll().await;
        assert_eq!(status, 200, "the session ended: {packets:?}");
        if packets.iter().any(|p| p == "2") {
            assert_eq!(self.post(&["3".to_owned()]).await, 200);
        }
        packets
    }

    /// Connects a namespace with a token and waits for the CONNECT ack (answering pings).
    pub async fn connect(&self, ns: &str, token: &str) {
        assert_eq!(self.post(&[connect_frame(ns, token)]).await, 200);
        let prefix = format!("40{ns},");
        crate::wait::bounded("a CONNECT ack over polling", async {
            loop {
                let packets = self.poll_answering_pings().await;
                if packets.iter().any(|p| p.starts_with(&prefix)) {
                    return;
                }
            }
        })
        .await;
    }

    /// Sends a request and polls until its ack comes (answering pings).
    pub async fn request<R: Request>(&self, id: u64, request: &R) -> serde_json::Value {
        assert_eq!(self.post(&[request_frame(id, request)]).await, 200);
        let prefix = format!("43{},{id}[", R::NS);
        crate::wait::bounded("an ack over polling", async {
            loop {
                let packets = self.poll_answering_pings().await;
                for packet in packets {
                    if let Some(rest) = packet.strip_prefix(&prefix) {
                        let args: Vec<serde_json::Value> =
                            serde_json::from_str(&format!("[{rest}")).unwrap();
                        return args[0].clone();
                    }
                }
            }
        })
        .await
    }
}
