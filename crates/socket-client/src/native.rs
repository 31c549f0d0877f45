//! A tokio driver: the [`Machine`] over `tokio-tungstenite`, for native programs.
//!
//! [`Client::connect`] spawns one task that owns the WebSocket and the machine; the returned
//! handle sends commands to it and receives [`ClientEvent`]s from it.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use thiserror::Error;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{AckError, Config, EmitError, Machine, Output, Status};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Server origin, e.g. `http://127.0.0.1:3000`.
    pub base_url: String,
    /// Extra handshake headers (`Cookie`, `Origin`, ...).
    pub headers: Vec<(String, String)>,
    /// Machine settings.
    pub config: Config,
}

/// What the connection task reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// Link status changed.
    Status(Status),
    /// A namespace connected.
    Connected(String),
    /// A namespace was refused with this message.
    ConnectError(String, String),
    /// A namespace was disconnected (`true` when by the server).
    Disconnected(String, bool),
    /// An event: namespace, name, arguments.
    Event(String, String, Vec<Value>),
    /// The transport could not be opened (the machine retries on its own).
    TransportError(String),
}

/// Why a request failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// Not sent.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// Sent, but no ack.
    #[error(transparent)]
    Ack(#[from] AckError),
    /// The connection task has stopped.
    #[error("the client has stopped")]
    Stopped,
}

/// Where the outcome of an ack-requesting emit will arrive.
type AckReceiver = oneshot::Receiver<Result<Vec<Value>, AckError>>;

enum Command {
    Namespace(String, Option<Value>),
    Emit {
        ns: String,
        event: String,
        args: Vec<Value>,
        reply: oneshot::Sender<Result<Option<AckReceiver>, EmitError>>,
        want_ack: bool,
    },
    Close,
}

/// Handle to a running connection task; dropping it closes the connection.
#[derive(Debug)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<ClientEvent>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl Client {
    /// Starts the connection task. Namespaces are added with [`Self::connect_namespace`].
    #[must_use]
    pub fn connect(options: ConnectOptions) -> Self {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(run(options, command_rx, event_tx));
        Self { commands, events }
    }

    /// Asks for a namespace (now or on the next open) with an `auth` payload.
    pub fn connect_namespace(&self, ns: &str, auth: Option<Value>) {
        let _ = self.commands.send(Command::Namespace(ns.to_owned(), auth));
    }

    /// Sends an event without asking for an ack.
    ///
    /// # Errors
    /// [`ClientError::Emit`] when not connected or too large.
    pub async fn emit(&self, ns: &str, event: &str, args: Vec<Value>) -> Result<(), ClientError> {
        self.transmit(ns, event, args, false).await.map(|_| ())
    }

    /// Sends an event and waits for its ack's arguments.
    ///
    /// # Errors
    /// [`ClientError`] when not sent, timed out or disconnected.
    pub async fn emit_with_ack(
        &self,
        ns: &str,
        event: &str,
        args: Vec<Value>,
    ) -> Result<Vec<Value>, ClientError> {
        let ack = self
            .transmit(ns, event, args, true)
            .await?
            .ok_or(ClientError::Stopped)?;
        Ok(ack.await.map_err(|_| ClientError::Stopped)??)
    }

    /// Sends a typed request and waits for its answer.
    ///
    /// # Errors
    /// [`ClientError`] when not sent, timed out or disconnected; the server's refusal is the
    /// inner `Err` ([`crate::RequestError::Server`]), like a malformed answer.
    pub async fn request<R: protocol::Request>(
        &self,
        request: &R,
    ) -> Result<Result<R::Response, crate::RequestError>, ClientError> {
        let arg = serde_json::to_value(request).unwrap_or(Value::Null);
        let args = self.emit_with_ack(R::NS, R::EVENT, vec![arg]).await?;
        Ok(crate::decode_ack(args))
    }

    /// Sends a typed request without asking for an ack.
    ///
    /// # Errors
    /// [`ClientError::Emit`] when not connected or too large.
    pub async fn send<R: protocol::Request>(&self, request: &R) -> Result<(), ClientError> {
        let arg = serde_json::to_value(request).unwrap_or(Value::Null);
        self.emit(R::NS, R::EVENT, vec![arg]).await
    }

    /// The next event from the connection task; `None` once it has stopped.
    pub async fn next_event(&mut self) -> Option<ClientEvent> {
        self.events.recv().await
    }

    /// Closes the connection on purpose.
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }

    async fn transmit(
        &self,
        ns: &str,
        event: &str,
        args: Vec<Value>,
        want_ack: bool,
    ) -> Result<Option<AckReceiver>, ClientError> {
        let (reply, response) = oneshot::channel();
        self.commands
            .send(Command::Emit {
                ns: ns.to_owned(),
                event: event.to_owned(),
                args,
                reply,
                want_ack,
            })
            .map_err(|_| ClientError::Stopped)?;
        Ok(response.await.map_err(|_| ClientError::Stopped)??)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Close);
    }
}

impl ClientEvent {
    /// The event as a typed server event `E`, if it is one (right namespace and name, and a
    /// first argument of the right shape).
    #[must_use]
    pub fn decode<E: protocol::ServerEvent>(&self) -> Option<E> {
        match self {
            Self::Event(ns, event, args) if ns == E::NS && event == E::EVENT => {
                serde_json::from_value(args.first().cloned().unwrap_or(Value::Null)).ok()
            }
            _ => None,
        }
    }
}

async fn open(options: &ConnectOptions) -> Result<Ws, String> {
    let ws_url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        options
            .base_url
            .replacen("http://", "ws://", 1)
            .replacen("https://", "wss://", 1)
    );
    let mut request = ws_url.into_client_request().map_err(|e| e.to_string())?;
    for (name, value) in &options.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
        let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
        request.headers_mut().insert(name, value);
    }
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

async fn run(
    options: ConnectOptions,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<ClientEvent>,
) {
    let epoch = Instant::now();
    let now = move || epoch.elapsed().as_millis() as u64;
    let mut machine = Machine::new(options.config.clone());
    let mut ws: Option<Ws> = None;
    let mut acks: std::collections::HashMap<u64, oneshot::Sender<Result<Vec<Value>, AckError>>> =
        std::collections::HashMap::new();
    machine.start(now());
    loop {
        // Carry out everything the machine asked for.
        while let Some(output) = machine.poll_output() {
            match output {
                Output::OpenTransport => match open(&options).await {
                    Ok(socket) => {
                        ws = Some(socket);
                        machine.handle_open(now());
                    }
                    Err(error) => {
                        let _ = events.send(ClientEvent::TransportError(error));
                        machine.handle_close(now());
                    }
                },
                Output::Send(frame) => {
                    if let Some(socket) = ws.as_mut()
                        && socket.send(WsMessage::text(frame)).await.is_err()
                    {
                        ws = None;
                        machine.handle_close(now());
                    }
                }
                Output::CloseTransport => {
                    if let Some(mut socket) = ws.take() {
                        let _ = socket.close(None).await;
                    }
                }
                Output::Status(status) => {
                    let _ = events.send(ClientEvent::Status(status));
                }
                Output::Connected { ns } => {
                    let _ = events.send(ClientEvent::Connected(ns));
                }
                Output::ConnectError { ns, message } => {
                    let _ = events.send(ClientEvent::ConnectError(ns, message));
                }
                Output::Disconnected { ns, by_server } => {
                    let _ = events.send(ClientEvent::Disconnected(ns, by_server));
                }
                Output::Event { ns, event, args } => {
                    let _ = events.send(ClientEvent::Event(ns, event, args));
                }
                Output::Ack { id, result } => {
                    if let Some(waiter) = acks.remove(&id) {
                        let _ = waiter.send(result);
                    }
                }
                Output::ProtocolError(_) => {}
            }
        }
        let sleep = machine
            .next_deadline()
            .map(|at| Duration::from_millis(at.saturating_sub(now())))
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            frame = next_frame(&mut ws) => match frame {
                Some(text) => machine.handle_frame(now(), &text),
                None => {
                    ws = None;
                    machine.handle_close(now());
                }
            },
            command = commands.recv() => match command {
                Some(Command::Namespace(ns, auth)) => machine.connect_namespace(&ns, auth),
                Some(Command::Emit { ns, event, args, reply, want_ack }) => {
                    let result = machine.emit(now(), &ns, &event, args, want_ack).map(|id| {
                        id.map(|id| {
                            let (tx, rx) = oneshot::channel();
                            acks.insert(id, tx);
                            rx
                        })
                    });
                    let _ = reply.send(result);
                }
                Some(Command::Close) | None => {
                    machine.close();
                    if let Some(mut socket) = ws.take() {
                        let _ = socket.close(None).await;
                    }
                    return;
                }
            },
            () = tokio::time::sleep(sleep) => machine.handle_tick(now()),
        }
    }
}

/// The next text frame, `None` when the socket closed; pends forever without a socket.
async fn next_frame(ws: &mut Option<Ws>) -> Option<String> {
    let Some(socket) = ws.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        match socket.next().await? {
            Ok(WsMessage::Text(text)) => return Some(text.to_string()),
            Ok(WsMessage::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}
