//! The ws transport module is responsible for handling websocket connections
//! The only public function is [`new_req`] which is used to upgrade a http request to a websocket connection
//!
//! Other functions are used internally to handle the websocket connection through tasks and channels
//! and to handle upgrade from polling to ws

use std::sync::Arc;

use futures_util::{
    SinkExt, StreamExt, TryStreamExt,
    stream::{SplitSink, SplitStream},
};
use http::{HeaderValue, Request, Response, StatusCode, request::Parts};
use smallvec::smallvec;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        self, Message,
        handshake::derive_accept_key,
        protocol::{Role, WebSocketConfig},
    },
};
use tokio_util::future::FutureExt as _;

use engineioxide_core::{Packet, PacketBuf, ProtocolVersion, Sid, Str, TransportType};

use crate::{
    DisconnectReason, Socket, body::ResponseBody, config::EngineIoConfig, engine::EngineIo,
    errors::Error, handler::EngineIoHandler, socket::InternalRx, transport::make_open_packet,
};

/// Create a response for websocket upgrade
fn ws_response<B>(ws_key: &HeaderValue) -> Response<ResponseBody<B>> {
    let derived = derive_accept_key(ws_key.as_bytes());
    let sec = derived.parse::<HeaderValue>().unwrap();
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(http::header::UPGRADE, HeaderValue::from_static("websocket"))
        .header(
            http::header::CONNECTION,
            HeaderValue::from_static("Upgrade"),
        )
        .header(http::header::SEC_WEBSOCKET_ACCEPT, sec)
        .body(ResponseBody::empty_response())
        .unwrap() // we are only using constants
}

/// Upgrade a websocket request to create a websocket connection.
///
/// If a sid is provided in the query it means that is is upgraded from an existing HTTP polling request.
/// In this case the http polling request is closed and the SID is kept for the websocket
pub fn new_req<R: Send + 'static, B, H: EngineIoHandler>(
    engine: Arc<EngineIo<H>>,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req: Request<R>,
) -> Result<Response<ResponseBody<B>>, Error> {
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts.clone(), body);

    let ws_key = parts
        .headers
        .get("Sec-WebSocket-Key")
        .ok_or(Error::InvalidWebSocketKey)?
        .clone();

    // [Tertulia patch] The set-up (waiting for the upgrade, the handshake) runs in a box of its
    // own, freed once the connection is open: the task kept for the connection's lifetime is
    // only as large as its reading loop, instead of the largest set-up state (see `serve`).
    let opening = Box::pin(async move {
        let conn = hyper::upgrade::on(req)
            .await
            .map(hyper_util::rt::TokioIo::new)
            .map_err(|_e| {
                #[cfg(feature = "tracing")]
                tracing::debug!("ws upgrade error: {}", _e);
            })?;
        let closer = engine.clone();
        open(engine, conn, protocol, sid, parts)
            .await
            .map_err(|e| match e {
                Error::MultipleWebsocketRequests => {}
                _e => {
                    #[cfg(feature = "tracing")]
                    tracing::debug!(?sid, "ws closed with error: {_e}");
                    if let Some(sid) = sid {
                        closer.close_session(sid, DisconnectReason::TransportError);
                    }
                }
            })
    });
    tokio::spawn(async move {
        if let Ok(opened) = opening.await {
            serve(opened).await;
            #[cfg(feature = "tracing")]
            tracing::debug!(?sid, "ws closed")
        }
    });

    Ok(ws_response(&ws_key))
}

/// Handle a websocket connection upgrade
///
/// Sends an open packet if it is not an upgrade from a polling request
///
/// Read packets from the websocket and handle them, it will block until the connection is closed
#[cfg_attr(
    feature = "tracing",
    tracing::instrument(level = "trace", name = "init_websocket", skip(engine, conn, req_data))
)]
pub async fn on_init<H: EngineIoHandler, S>(
    engine: Arc<EngineIo<H>>,
    conn: S,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req_data: Parts,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // [Tertulia patch] The set-up boxed, so that it does not size the returned future.
    let opened = Box::pin(open(engine, conn, protocol, sid, req_data)).await?;
    serve(opened).await;
    Ok(())
}

/// [Tertulia patch] The handshake part of [`on_init`]: the session, the open packet or the
/// upgrade from polling, the heartbeat and the writer task.
async fn open<H: EngineIoHandler, S>(
    engine: Arc<EngineIo<H>>,
    conn: S,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req_data: Parts,
) -> Result<Opened<H, S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(engine.config.ws_read_buffer_size)
        .max_message_size(Some(engine.config.ws_max_message_size))
        .max_frame_size(Some(engine.config.ws_max_frame_size));

    let ws_init = move || WebSocketStream::from_raw_socket(conn, Role::Server, Some(ws_config));
    let (socket, ws) = if let Some(sid) = sid {
        match engine.get_socket(sid) {
            None => return Err(Error::UnknownSessionID(sid)),
            Some(socket) if socket.is_ws() => return Err(Error::MultipleWebsocketRequests),
            Some(socket) => {
                let mut ws = ws_init().await;

                let upgrade_fut = upgrade_handshake::<H, S>(&socket, &mut ws);
                match tokio::time::timeout(engine.config.upgrade_timeout, upgrade_fut)
                    .with_cancellation_token(&socket.cancellation_token)
                    .await
                {
                    Some(Ok(res)) => res?,
                    Some(Err(_)) => {
                        #[cfg(feature = "tracing")]
                        tracing::debug!(?sid, "ws upgrade timed out, closing session");
                        engine.close_session(socket.id, DisconnectReason::TransportError);
                        return Err(Error::Upgrade);
                    }
                    None => {
                        #[cfg(feature = "tracing")]
                        tracing::debug!(?sid, "socket is being closed");
                        return Err(Error::Upgrade);
                    }
                }
                (socket, ws)
            }
        }
    } else {
        let socket = engine.create_session(protocol, TransportType::Websocket, req_data, false);

        #[cfg(feature = "tracing")]
        tracing::debug!("new websocket connection");

        let mut ws = ws_init().await;
        init_handshake(socket.id, &mut ws, &engine.config).await?;
        socket
            .clone()
            .spawn_heartbeat(engine.config.ping_interval, engine.config.ping_timeout);
        (socket, ws)
    };
    let (tx, rx) = ws.split();

    // Pipe between websocket and internal socket channel.
    tokio::spawn(forward_to_socket::<H, S>(socket.clone(), tx));

    Ok(Opened { engine, socket, rx })
}

/// [Tertulia patch] A websocket connection past its handshake: what its reading loop needs.
struct Opened<H: EngineIoHandler, S> {
    engine: Arc<EngineIo<H>>,
    socket: Arc<Socket<H::Data>>,
    rx: SplitStream<WebSocketStream<S>>,
}

/// [Tertulia patch] Reads the connection until it or its session closes.
///
/// Kept apart from [`open`] so that the future that lives as long as the connection holds
/// only this loop: an async function is as large as its largest state, and the handshake's
/// (the whole websocket stream, a timer, the upgrade's futures) were more than a kilobyte per
/// idle connection.
async fn serve<H: EngineIoHandler, S>(Opened { engine, socket, rx }: Opened<H, S>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // pipe between internal socket channel and websocket
    match forward_to_handler(&engine, rx, &socket)
        .with_cancellation_token(&socket.cancellation_token)
        .await
    {
        Some(Err(ref e)) => {
            let reason =
                Option::<DisconnectReason>::from(e).unwrap_or(DisconnectReason::TransportError);

            #[cfg(feature = "tracing")]
            tracing::debug!("error when handling packet: {:?}", e);
            engine.close_session(socket.id, reason);
        }
        Some(Ok(())) => {
            #[cfg(feature = "tracing")]
            tracing::debug!(sid = %socket.id, "ws transport was closed");
            engine.close_session(socket.id, DisconnectReason::TransportClose);
        }
        None => {
            #[cfg(feature = "tracing")]
            tracing::debug!(sid = %socket.id, "socket is closing");
        }
    }
}

/// Forwards all packets received from a websocket to a EngineIo [`Socket`]
async fn forward_to_handler<H: EngineIoHandler, S>(
    engine: &Arc<EngineIo<H>>,
    mut rx: SplitStream<WebSocketStream<S>>,
    socket: &Arc<Socket<H::Data>>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    while let Some(msg) = rx.try_next().await? {
        match msg {
            Message::Text(msg) => match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
                Packet::Close => {
                    #[cfg(feature = "tracing")]
                    tracing::debug!("[sid={}] closing session", socket.id);
                    engine.close_session(socket.id, DisconnectReason::TransportClose);
                    break;
                }
                Packet::Pong | Packet::Ping => {
                    // [Tertulia patch] A `Notify` instead of a channel (see `Socket::heartbeat`).
                    socket.heartbeat_received();
                    Ok::<(), Error>(())
                }
                Packet::Message(msg) => {
                    engine.handler.on_message(msg, socket.clone());
                    Ok(())
                }
                p => return Err(Error::BadPacket(p)),
            },
            Message::Binary(mut data) => {
                if socket.protocol == ProtocolVersion::V3 && !data.is_empty() {
                    // The first byte is the message type, which we don't need.
                    data = data.split_off(1);
                }
                engine.handler.on_binary(data, socket.clone());
                Ok(())
            }
            Message::Close(_) => {
                #[cfg(feature = "tracing")]
                tracing::debug!("websocket closed, closing session");
                engine.close_session(socket.id, DisconnectReason::TransportClose);
                break;
            }
            _ => {
                #[cfg(feature = "tracing")]
                tracing::debug!(sid = ?socket.id, "unexpected ws message");
                Ok(())
            }
        }?
    }
    Ok(())
}

/// Forwards all packets waiting to be sent to the websocket
///
/// The websocket stream is flushed only when the internal channel is drained
async fn forward_to_socket<H: EngineIoHandler, S>(
    socket: Arc<Socket<H::Data>>,
    mut tx: SplitSink<WebSocketStream<S>, Message>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // A polling request that was in progress during the upgrade may still hold the lock.
    let lock = socket.internal_rx.lock();
    let Some(mut internal_rx) = lock
        .with_cancellation_token(&socket.cancellation_token)
        .await
    else {
        #[cfg(feature = "tracing")]
        tracing::debug!(sid = %socket.id, "session closed before starting the ws writer");
        return;
    };
    let InternalRx { buffered_rx, .. } = &mut *internal_rx;

    // Forward buffered packets until the channel is closed or the session is cancelled.
    loop {
        let batch = tokio::select! {
            biased;
            items = buffered_rx.recv() => match items {
                Some(packets) => Batch::Buffered(packets),
                None => break,
            },
            _ = socket.cancellation_token.cancelled() => break,
            packets = socket.volatile.next() => Batch::Volatile(packets),
        };

        // [Tertulia patch] The batch is written and flushed as one future, given up when stuck
        // (see `GiveUpWhenStuck`): upstream wrote each packet in a macro expanded three times,
        // which made this task, kept per connection, 1.3 KiB.
        let write = write_batch(&socket, &mut tx, buffered_rx, batch);
        if GiveUpWhenStuck::new(write, &socket.cancellation_token)
            .await
            .is_none()
        {
            return;
        }
    }

    #[cfg(feature = "tracing")]
    tracing::trace!(sid = %socket.id, "ws closing flush");

    if let Some(Ok(())) = GiveUpWhenStuck::new(tx.flush(), &socket.cancellation_token).await {
        GiveUpWhenStuck::new(tx.close(), &socket.cancellation_token)
            .await
            .map(Result::ok);
    }
}

/// [Tertulia patch] What the websocket writer woke up for.
enum Batch {
    /// Packets from the outbound buffer; the rest of the buffer is written with them.
    Buffered(PacketBuf),
    /// The latest volatile packets.
    Volatile(PacketBuf),
}

/// [Tertulia patch] Writes a batch (a buffered one with everything else already queued), then
/// flushes the websocket. A write error is logged and the next packet tried, as upstream does.
///
/// One loop with one `feed` await: each await of a future inside an async function takes room
/// of its own in it, and this one lives in the writer task of every connection.
async fn write_batch<D: Default + Send + Sync + 'static, S>(
    socket: &Socket<D>,
    tx: &mut SplitSink<WebSocketStream<S>, Message>,
    buffered_rx: &mut tokio::sync::mpsc::Receiver<PacketBuf>,
    batch: Batch,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut next, buffered) = match batch {
        Batch::Buffered(packets) => (Some(packets), true),
        Batch::Volatile(packets) => {
            #[cfg(feature = "tracing")]
            tracing::debug!(sid = ?socket.id, "ws volatile flush: {} packets", packets.len());
            (Some(packets), false)
        }
    };
    while let Some(packets) = next {
        // [Tertulia patch] No longer queued (see `Socket::queued_bytes`).
        if buffered {
            socket.dequeued(&packets);
        }
        for item in packets {
            let Some(msg) = ws_message(socket.protocol, item) else {
                continue;
            };
            if let Err(_e) = tx.feed(msg).await {
                #[cfg(feature = "tracing")]
                tracing::debug!("[sid={}] error sending packet: {}", socket.id, _e);
            }
        }
        next = if buffered {
            buffered_rx.try_recv().ok()
        } else {
            None
        };
    }

    #[cfg(feature = "tracing")]
    tracing::trace!(sid = %socket.id, "ws flush");
    if let Err(_e) = tx.flush().await {
        #[cfg(feature = "tracing")]
        tracing::debug!("[sid={}] error flushing: {}", socket.id, _e);
    }
}

/// [Tertulia patch] The websocket message for a packet (upstream's `map_fn!`), or `None` for a
/// packet not to send.
fn ws_message(protocol: ProtocolVersion, packet: Packet) -> Option<Message> {
    match packet {
        Packet::Binary(bin) | Packet::BinaryV3(bin) => {
            if protocol == ProtocolVersion::V3 {
                // v3 protocol requires packet type as the first byte.
                // This requires a new buffer. This is OK as it is only for the V3 protocol.
                let mut buff = Vec::with_capacity(bin.len() + 1);
                buff.push(0x04);
                buff.extend(bin);
                Some(Message::Binary(buff.into()))
            } else {
                Some(Message::Binary(bin))
            }
        }
        // A Noop Packet maybe sent by the server to upgrade from a polling connection
        // In the case that the packet was not poll in time it will remain in the buffer and therefore
        // it should be discarded here
        Packet::Noop => None,
        packet => {
            let packet: String = packet.try_into().unwrap();
            Some(Message::Text(packet.into()))
        }
    }
}

/// [Tertulia patch] How long a write may still take once its session is closed.
const STUCK_WRITE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

pin_project_lite::pin_project! {
    /// [Tertulia patch] Runs a websocket write, giving up (`None`) when the session has been
    /// closed and the write has not finished [`STUCK_WRITE_GRACE`] later: the peer stopped
    /// reading.
    ///
    /// Upstream awaits such a write forever. The writer task then keeps the session's buffer
    /// locked, so the close never completes (no disconnect handler runs) and the connection,
    /// its buffers and the kernel's stay pinned by a client that merely stopped reading.
    ///
    /// A future of its own rather than an async function with a `select!`: it keeps the write
    /// once, and the grace timer only once the session is closed.
    struct GiveUpWhenStuck<'a, F> {
        #[pin]
        write: F,
        #[pin]
        closed: tokio_util::sync::WaitForCancellationFuture<'a>,
        grace: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    }
}

impl<'a, F: std::future::Future> GiveUpWhenStuck<'a, F> {
    fn new(write: F, cancelled: &'a tokio_util::sync::CancellationToken) -> Self {
        Self {
            write,
            closed: cancelled.cancelled(),
            grace: None,
        }
    }
}

impl<F: std::future::Future> std::future::Future for GiveUpWhenStuck<'_, F> {
    type Output = Option<F::Output>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        let mut this = self.project();
        if let Poll::Ready(out) = this.write.poll(cx) {
            return Poll::Ready(Some(out));
        }
        if this.grace.is_none() {
            if this.closed.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            *this.grace = Some(Box::pin(tokio::time::sleep(STUCK_WRITE_GRACE)));
        }
        match this.grace.as_mut().map(|grace| grace.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    }
}

/// Send a Engine.IO [`OpenPacket`] to initiate a websocket connection
async fn init_handshake<S>(
    sid: Sid,
    ws: &mut WebSocketStream<S>,
    config: &EngineIoConfig,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // [Tertulia patch] `Packet::Open` is boxed (see vendor/engineioxide-core).
    let packet = Packet::Open(Box::new(make_open_packet(
        TransportType::Websocket,
        sid,
        config,
    )));
    let packet: String = packet.into();
    ws.send(Message::Text(packet.into())).await?;
    Ok(())
}

/// Upgrade a session from a polling request to a websocket request.
///
/// Before upgrading the session the server should send a NOOP packet to any pending polling request.
///
/// ## Handshake :
/// ```text
/// CLIENT                                                 SERVER
///│                                                      │
///│   GET /engine.io/?EIO=4&transport=websocket&sid=...  │
///│ ───────────────────────────────────────────────────► │
///│  ◄─────────────────────────────────────────────────┘ │
///│            HTTP 101 (WebSocket handshake)            │
///│                                                      │
///│            -----  WebSocket frames -----             │
///│  ─────────────────────────────────────────────────►  │
///│                         2probe                       │ (ping packet)
///│  ◄─────────────────────────────────────────────────  │
///│                         3probe                       │ (pong packet)
///│  ─────────────────────────────────────────────────►  │
///│                         5                            │ (upgrade packet)
///│                                                      │
///│            -----  WebSocket frames -----             │
/// ```
#[cfg_attr(
    feature = "tracing",
    tracing::instrument(level = "trace", skip(socket, ws))
)]
async fn upgrade_handshake<H: EngineIoHandler, S>(
    socket: &Arc<Socket<H::Data>>,
    ws: &mut WebSocketStream<S>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    #[cfg(feature = "tracing")]
    tracing::debug!("starting websocket connection upgrade");

    // The socket is upgrading, from now on all polling
    // request will return a `Packet::Noop`
    socket.start_upgrade();

    // We send a last Noop request to close a potential waiting polling request.
    socket
        .internal_tx
        .send(smallvec![Packet::Noop])
        .await
        .map_err(|_| Error::Upgrade)?;

    // wait for any current polling connection to finish by waiting for the socket to be unlocked
    // All other polling connection will be immediately closed with a NOOP packet.
    let _lock = socket.internal_rx.lock().await;

    // Fetch the next packet from the ws stream, it should be a PingUpgrade packet
    let msg = match ws.next().await {
        Some(Ok(Message::Text(d))) => d,
        _ => Err(Error::Upgrade)?,
    };
    match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
        Packet::PingUpgrade => {
            #[cfg(feature = "tracing")]
            tracing::debug!("received first ping upgrade");
            // Respond with a PongUpgrade packet
            ws.send(Message::Text(String::from(Packet::PongUpgrade).into()))
                .await?;
        }
        p => Err(Error::BadPacket(p))?,
    };

    // Fetch the next packet from the ws stream, it should be an Upgrade packet
    let msg = match ws.next().await {
        Some(Ok(Message::Text(d))) => d,
        Some(Ok(Message::Close(_))) => {
            #[cfg(feature = "tracing")]
            tracing::debug!("ws stream closed before upgrade");
            Err(Error::Upgrade)?
        }
        _ => {
            #[cfg(feature = "tracing")]
            tracing::debug!("unexpected ws message before upgrade");
            Err(Error::Upgrade)?
        }
    };
    match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
        Packet::Upgrade => {
            #[cfg(feature = "tracing")]
            tracing::debug!("ws upgraded successfully")
        }
        p => Err(Error::BadPacket(p))?,
    };

    socket.upgrade_to_websocket();
    Ok(())
}

fn ws_bytes_to_str(bytes: tungstenite::Utf8Bytes) -> Str {
    // SAFETY: the bytes are guaranteed to be valid UTF-8 by the tungstenite parser
    unsafe { Str::from_bytes_unchecked(bytes.into()) }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use futures_util::StreamExt;
    use http::Request;
    use tokio::io::DuplexStream;

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(1);

    #[derive(Debug)]
    struct StubHandler;
    impl EngineIoHandler for StubHandler {
        type Data = ();
        fn on_connect(self: Arc<Self>, _: Arc<Socket<()>>) {}
        fn on_disconnect(&self, _: Arc<Socket<()>>, _: DisconnectReason) {}
        fn on_message(self: &Arc<Self>, _: Str, _: Arc<Socket<()>>) {}
        fn on_binary(self: &Arc<Self>, _: Bytes, _: Arc<Socket<()>>) {}
    }

    fn socket() -> Arc<Socket<()>> {
        Arc::new(Socket::new(
            ProtocolVersion::V4,
            TransportType::Websocket,
            &EngineIoConfig::default(),
            Request::<()>::default().into_parts().0,
            Box::new(|_, _| ()),
            false,
        ))
    }

    async fn ws_pair() -> (WebSocketStream<DuplexStream>, WebSocketStream<DuplexStream>) {
        let (server, client) = tokio::io::duplex(1024);
        (
            WebSocketStream::from_raw_socket(server, Role::Server, None).await,
            WebSocketStream::from_raw_socket(client, Role::Client, None).await,
        )
    }

    /// A polling request can still hold the lock at the end of an upgrade.
    #[tokio::test]
    async fn writer_waits_for_the_lock_of_a_polling_request() {
        let socket = socket();
        let (server, mut client) = ws_pair().await;
        let (tx, _rx) = server.split();

        let polling = socket.internal_rx.lock().await;
        let writer = tokio::spawn(forward_to_socket::<StubHandler, _>(socket.clone(), tx));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished(), "the writer should wait for the lock");

        drop(polling);
        socket.emit(Str::from("hello")).unwrap();
        let msg = tokio::time::timeout(TIMEOUT, client.next())
            .await
            .expect("the writer should send the packet")
            .unwrap()
            .unwrap();
        assert_eq!(msg, Message::text("4hello"));
    }

    #[tokio::test]
    async fn writer_waiting_for_the_lock_stops_with_the_session() {
        let socket = socket();
        let (server, _client) = ws_pair().await;
        let (tx, _rx) = server.split();

        let _polling = socket.internal_rx.lock().await;
        let writer = tokio::spawn(forward_to_socket::<StubHandler, _>(socket.clone(), tx));
        tokio::time::sleep(Duration::from_millis(20)).await;

        socket.cancellation_token.cancel();
        tokio::time::timeout(TIMEOUT, writer)
            .await
            .expect("the writer should stop")
            .unwrap();
    }

    /// [Tertulia patch] A write that finishes is never given up, even once the session is
    /// closed.
    #[tokio::test]
    async fn a_finished_write_is_not_given_up() {
        let token = tokio_util::sync::CancellationToken::new();
        token.cancel();
        let done = GiveUpWhenStuck::new(async { 5 }, &token).await;
        assert_eq!(done, Some(5));
    }

    /// [Tertulia patch] A write that never finishes waits while the session is open, and is
    /// given up one grace period after it closes.
    #[tokio::test]
    async fn a_stuck_write_is_given_up_a_grace_after_the_close() {
        let token = tokio_util::sync::CancellationToken::new();
        let mut stuck = Box::pin(GiveUpWhenStuck::new(std::future::pending::<()>(), &token));
        assert!(
            tokio::time::timeout(Duration::from_millis(50), stuck.as_mut())
                .await
                .is_err(),
            "an open session's write is waited for"
        );
        let closed = std::time::Instant::now();
        token.cancel();
        let outcome = tokio::time::timeout(STUCK_WRITE_GRACE * 3, stuck).await;
        assert_eq!(outcome, Ok(None), "given up");
        assert!(closed.elapsed() >= STUCK_WRITE_GRACE);
    }

    /// [Tertulia patch] The volatile slot keeps the latest packets, and a wait dropped before it
    /// took anything (a `select!` that picked another branch) loses nothing.
    #[tokio::test]
    async fn the_volatile_slot_keeps_the_latest_and_loses_nothing_to_a_dropped_wait() {
        use futures_util::FutureExt;
        let slot = crate::socket::VolatileSlot::default();
        assert!(slot.next().now_or_never().is_none(), "nothing yet");
        let mut waiting = Box::pin(slot.next());
        assert!((&mut waiting).now_or_never().is_none());
        drop(waiting);
        slot.put(smallvec![Packet::Message("old".into())]);
        slot.put(smallvec![Packet::Message("new".into())]);
        let taken = tokio::time::timeout(TIMEOUT, slot.next()).await.unwrap();
        assert_eq!(taken.into_vec(), vec![Packet::Message("new".into())]);
        assert!(slot.next().now_or_never().is_none(), "taken once");
    }
}
