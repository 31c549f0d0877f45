//! Fan-out: how the server reaches sockets. The Socket.IO adapter (socketioxide's Redis
//! adapter, over Redis in a cluster and over nothing on a single node), the channels sockets
//! are put in (one per chat room, per user, per session), and sending an event to one socket
//! or to every socket a channel selects, on every node.
//!
//! The services (chat, accounts, notifications, tasks) broadcast through a [`Fanout`]; none of
//! them knows about socket handlers, and the socket handlers know nothing of how a broadcast
//! crosses nodes.

pub(crate) mod driver;

use std::sync::{Arc, PoisonError, RwLock};

use protocol::ServerEvent;
use protocol::events::{NAMESPACES, admin, chat, notifications};

/// The adapter of every namespace: socketioxide's Redis adapter, over Redis in a cluster and
/// over nothing on a single node (see [`driver`]).
pub(crate) type Adapter =
    socketioxide_redis::CustomRedisAdapter<socketioxide::adapter::Emitter, driver::Driver>;
/// A socket of one of our namespaces.
pub(crate) type SocketRef = socketioxide::extract::SocketRef<Adapter>;
/// The Socket.IO server.
pub(crate) type SocketIo = socketioxide::SocketIo<Adapter>;
/// Operators selecting sockets (of the whole cluster unless marked local).
pub(crate) type Ops = socketioxide::operators::BroadcastOperators<Adapter>;

/// Channel (Socket.IO room) of a chat room, by id, so renames and case never split it.
#[must_use]
pub(crate) fn room_channel(room_id: i64) -> String {
    format!("room:{room_id}")
}

/// Channel holding every socket of one user (all tabs, all devices, every namespace).
#[must_use]
pub(crate) fn user_channel(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// Channel of every socket authenticated with one session (so a sign-out reaches them on every
/// node).
#[must_use]
pub(crate) fn session_channel(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// Sends a server event to one socket (a failure only means the socket is going away).
pub(crate) fn emit<E: ServerEvent>(s: &SocketRef, event: &E) {
    if let Err(error) = s.emit(E::EVENT, event) {
        tracing::debug!(%error, event = E::EVENT, "could not send an event");
    }
}

/// Sends a server event to every socket `ops` selects.
pub(crate) async fn broadcast<E: ServerEvent>(ops: Ops, event: &E) {
    if let Err(error) = ops.emit(E::EVENT, event).await {
        tracing::debug!(%error, event = E::EVENT, "a broadcast did not reach every socket");
    }
}

/// The way services reach sockets: the Socket.IO server, once it is bound, and whether
/// broadcasts must cross nodes. Cheap to clone.
///
/// The services are built before the Socket.IO server (which takes them as its handlers'
/// state), so the server is [bound](Self::bind) right after it is built, and
/// [unbound](Self::unbind) when the app is dropped (the server holds the services, which hold
/// the fan-out: bound for ever, neither would ever be freed). A fan-out that is not bound (the
/// `create-admin` command, which runs without a server) reaches no socket: every namespace
/// reads as absent.
#[derive(Clone)]
pub(crate) struct Fanout(Arc<Inner>);

struct Inner {
    io: RwLock<Option<SocketIo>>,
    shared: bool,
}

impl Fanout {
    /// A fan-out not bound yet; `shared` when the live state (and so the audience) spans
    /// several nodes.
    #[must_use]
    pub(crate) fn new(shared: bool) -> Self {
        Self(Arc::new(Inner {
            io: RwLock::new(None),
            shared,
        }))
    }

    /// Binds the Socket.IO server.
    pub(crate) fn bind(&self, io: SocketIo) {
        *self.0.io.write().unwrap_or_else(PoisonError::into_inner) = Some(io);
    }

    /// Lets go of the Socket.IO server (the app is going away).
    pub(crate) fn unbind(&self) {
        *self.0.io.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The Socket.IO server, while bound.
    #[must_use]
    pub(crate) fn io(&self) -> Option<SocketIo> {
        self.0
            .io
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether broadcasts reach other nodes.
    #[must_use]
    pub(crate) fn is_shared(&self) -> bool {
        self.0.shared
    }

    /// The operators of namespace `ns` for broadcasting: cluster-wide when the live state is
    /// shared, else marked local (a single node has no one to tell, so nothing is serialised
    /// for other nodes). `None` before the server is bound.
    #[must_use]
    pub(crate) fn ns(&self, ns: &str) -> Option<Ops> {
        let ops = self.io()?.of(ns)?;
        Some(if self.0.shared { ops } else { ops.local() })
    }

    /// `/chat`'s operators.
    #[must_use]
    pub(crate) fn chat(&self) -> Option<Ops> {
        self.ns(chat::NS)
    }

    /// `/notifications`' operators.
    #[must_use]
    pub(crate) fn notifications(&self) -> Option<Ops> {
        self.ns(notifications::NS)
    }

    /// `/admin`'s operators.
    #[must_use]
    pub(crate) fn admin(&self) -> Option<Ops> {
        self.ns(admin::NS)
    }

    /// Sends `event` to every `/chat` socket following chat room `room_id`.
    pub(crate) async fn to_room<E: ServerEvent>(&self, room_id: i64, event: &E) {
        if let Some(chat) = self.chat() {
            broadcast(chat.to(room_channel(room_id)), event).await;
        }
    }

    /// Sends `event` to every `/chat` socket of `user_id` (all tabs and devices).
    pub(crate) async fn to_user<E: ServerEvent>(&self, user_id: i64, event: &E) {
        if let Some(chat) = self.chat() {
            broadcast(chat.to(user_channel(user_id)), event).await;
        }
    }

    /// Sends `event` to every `/chat` socket.
    pub(crate) async fn to_everyone<E: ServerEvent>(&self, event: &E) {
        if let Some(chat) = self.chat() {
            broadcast(chat, event).await;
        }
    }

    /// This node's sockets, in every namespace (a connection has one per namespace it
    /// joined).
    #[must_use]
    pub(crate) fn local_sockets(&self) -> Vec<SocketRef> {
        NAMESPACES
            .into_iter()
            .filter_map(|ns| self.ns(ns))
            .flat_map(|operators| operators.local().sockets())
            .collect()
    }

    /// Disconnects every socket in `channel`, in every namespace, on every node.
    pub(crate) async fn disconnect(&self, channel: &str) {
        for ns in NAMESPACES {
            if let Some(operators) = self.ns(ns)
                && let Err(error) = operators.to(channel.to_owned()).disconnect().await
            {
                tracing::warn!(%error, channel, "disconnecting sockets");
            }
        }
    }
}
