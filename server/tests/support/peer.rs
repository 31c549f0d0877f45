//! A chat user as a well-behaved client program: it stays in one room across reconnects
//! (rejoining and catching up each time), resends a message whose ack was lost with the same
//! `client_id`, and keeps what it saw live apart from what it caught up on, so tests can check
//! that nothing was lost, duplicated or reordered when servers die.
#![allow(dead_code)] // each test binary uses a subset

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use protocol::events::chat;
use protocol::http::{AuthRes, Endpoint, Guest, GuestReq};
use protocol::{
    ErrorCode, HistoryReq, JoinReq, Message, MessageReq, Restarting, Resync, User, UserJoined,
    UserLeft,
};
use serde_json::json;
use socket_client::native::{Client, ClientError, ClientEvent, ConnectOptions};
use socket_client::{Config as ClientConfig, RequestError};

/// How long any awaited event may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// How much of what it has a reconnecting peer re-reads (server time, ms), as the web client
/// does: live messages of a room can arrive out of id order by a moment.
const CATCH_UP_OVERLAP_MS: i64 = 10_000;

/// Signs a guest in over HTTP at `addr` (a node or the proxy); returns the user and token.
pub async fn guest(addr: SocketAddr, name: &str) -> (User, String) {
    let body = serde_json::to_string(&GuestReq {
        username: name.into(),
    })
    .unwrap();
    let (status, answer) = crate::raw::http_with(
        addr,
        "POST",
        Guest::PATH,
        &[("Content-Type", "application/json")],
        &body,
    )
    .await;
    assert_eq!(status, 201, "guest {name}: {answer}");
    let answer: AuthRes = serde_json::from_str(&answer).unwrap();
    (answer.user, answer.token.expect("programs get the token"))
}

/// One user's `/chat` connection in one room.
pub struct Peer {
    pub name: String,
    pub user: User,
    client: Client,
    room: String,
    /// How many times `/chat` connected.
    pub connects: usize,
    /// The `connects` count when the room was last joined.
    joined_at: usize,
    /// Messages as they arrived live, in arrival order.
    pub live: Vec<Message>,
    /// Everything seen (live or caught up), by id.
    pub known: BTreeMap<i64, Message>,
    /// Who left the room, and when this peer heard of it.
    pub departures: Vec<(String, Instant)>,
    /// Who joined the room.
    pub arrivals: Vec<String>,
    /// `resync` notices received (their `since`).
    pub resyncs: Vec<i64>,
    /// `restarting` notices received.
    pub restarts: usize,
}

impl Peer {
    /// Signs `name` in through `base_url`, pinned to a node with the routing cookie when
    /// `node` is given, and joins `room`.
    pub async fn enter(addr: SocketAddr, node: Option<&str>, name: &str, room: &str) -> Self {
        let (user, token) = guest(addr, name).await;
        let headers = node
            .map(|node| vec![("Cookie".to_owned(), format!("tertulia_node={node}"))])
            .unwrap_or_default();
        let client = Client::connect(ConnectOptions {
            base_url: format!("http://{addr}"),
            headers,
            config: ClientConfig::default(),
        });
        client.connect_namespace(chat::NS, Some(json!({ "token": token })));
        let mut peer = Self {
            name: name.to_owned(),
            user,
            client,
            room: room.to_owned(),
            connects: 0,
            joined_at: 0,
            live: Vec::new(),
            known: BTreeMap::new(),
            departures: Vec::new(),
            arrivals: Vec::new(),
            resyncs: Vec::new(),
            restarts: 0,
        };
        peer.until("connected", |p| p.connects > 0).await;
        peer.rejoin().await;
        peer
    }

    fn absorb(&mut self, event: &ClientEvent) {
        if matches!(event, ClientEvent::Connected(ns) if ns == chat::NS) {
            self.connects += 1;
        }
        if let Some(message) = event.decode::<Message>() {
            self.live.push(message.clone());
            self.known.insert(message.id, message);
        }
        if let Some(UserLeft(presence)) = event.decode::<UserLeft>() {
            self.departures
                .push((presence.user.username, Instant::now()));
        }
        if let Some(UserJoined(presence)) = event.decode::<UserJoined>() {
            self.arrivals.push(presence.user.username);
        }
        if let Some(resync) = event.decode::<Resync>() {
            self.resyncs.push(resync.since);
        }
        if event.decode::<Restarting>().is_some() {
            self.restarts += 1;
        }
    }

    /// Takes in every event already received.
    pub fn absorb_ready(&mut self) {
        while let Some(Some(event)) = self.client.next_event().now_or_never() {
            self.absorb(&event);
        }
    }

    /// Takes in events until `done` holds (panics after [`WAIT`]).
    pub async fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        self.until_within(what, WAIT, done).await;
    }

    /// Like [`Self::until`] with another bound.
    pub async fn until_within(&mut self, what: &str, wait: Duration, done: impl Fn(&Self) -> bool) {
        self.absorb_ready();
        let name = self.name.clone();
        tokio::time::timeout(wait, async {
            while !done(self) {
                let event = self.client.next_event().await.expect("client stopped");
                self.absorb(&event);
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{name}: {what} did not happen within {wait:?}"));
    }

    /// Waits for the next connection after a lost one, then rejoins and catches up.
    async fn recover(&mut self) {
        self.until("reconnected", |p| p.connects > p.joined_at)
            .await;
        self.rejoin().await;
    }

    /// Joins the room on the current connection and catches up on what it missed.
    async fn rejoin(&mut self) {
        crate::wait::bounded("a rejoin", async {
            loop {
                self.joined_at = self.connects;
                match self.client.request(&JoinReq::new(self.room.clone())).await {
                    Ok(Ok(joined)) => {
                        for message in joined.history {
                            self.known.insert(message.id, message);
                        }
                        break;
                    }
                    Ok(Err(error)) => panic!("{}: join refused: {error}", self.name),
                    Err(_) => {
                        self.until("reconnected", |p| p.connects > p.joined_at)
                            .await
                    }
                }
            }
        })
        .await;
        let overlap = self
            .known
            .values()
            .next_back()
            .map(|newest| newest.ts - CATCH_UP_OVERLAP_MS);
        if let Some(since) = overlap {
            self.catch_up(since).await;
        }
    }

    /// Re-reads the room from the newest known message older than `since` (server ms).
    pub async fn catch_up(&mut self, since: i64) {
        let after = self
            .known
            .values()
            .filter(|m| m.ts < since)
            .map(|m| m.id)
            .max()
            .or_else(|| self.known.keys().next().copied());
        self.read_after(after).await;
    }

    /// Reads the room's whole history; returns it (oldest first).
    pub async fn read_all(&mut self) -> Vec<Message> {
        self.read_after(Some(0)).await;
        self.known.values().cloned().collect()
    }

    /// Makes sure the room is joined on the current connection (after a reconnect).
    pub async fn ensure_joined(&mut self) {
        self.absorb_ready();
        if self.connects > self.joined_at {
            self.rejoin().await;
        }
    }

    /// Sends any request on the current connection; it must succeed.
    pub async fn request<R: protocol::Request>(&self, request: &R) -> R::Response {
        match self.client.request(request).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => panic!("{}: `{}` refused: {error}", self.name, R::EVENT),
            Err(error) => panic!("{}: `{}` failed: {error}", self.name, R::EVENT),
        }
    }

    async fn read_after(&mut self, mut after: Option<i64>) {
        crate::wait::bounded("reading the history", async {
            loop {
                let page = HistoryReq {
                    room: self.room.clone(),
                    after,
                    limit: Some(protocol::validate::HISTORY_MAX),
                    ..HistoryReq::default()
                };
                let page = match self.client.request(&page).await {
                    Ok(Ok(page)) => page,
                    Ok(Err(error)) => panic!("{}: history refused: {error}", self.name),
                    // The link dropped again: the next rejoin catches up.
                    Err(_) => return,
                };
                let full =
                    page.more || page.messages.len() as i64 >= protocol::validate::HISTORY_MAX;
                after = page.messages.last().map(|m| m.id).or(after);
                for message in page.messages {
                    self.known.insert(message.id, message);
                }
                if !full {
                    return;
                }
            }
        })
        .await;
    }

    /// Sends a message until it is acked, through reconnects (same `client_id` each time);
    /// returns the stored message.
    pub async fn say(&mut self, text: &str, client_id: &str) -> Message {
        crate::wait::bounded("a message to be acked", async {
            loop {
                self.ensure_joined().await;
                let request = MessageReq {
                    room: self.room.clone(),
                    text: text.to_owned(),
                    client_id: Some(client_id.to_owned()),
                    reply_to: None,
                    attachments: Vec::new(),
                    thread: None,
                };
                match self.client.request(&request).await {
                    Ok(Ok(sent)) => return sent.message,
                    // Reconnected but not yet rejoined.
                    Ok(Err(RequestError::Server(body))) if body.code == ErrorCode::NotMember => {
                        self.recover().await;
                    }
                    Ok(Err(error)) => panic!("{}: message refused: {error}", self.name),
                    Err(ClientError::Stopped) => panic!("{}: client stopped", self.name),
                    // Not connected, or the link dropped before the ack: unknown outcome.
                    Err(ClientError::Emit(_) | ClientError::Ack(_)) => self.recover().await,
                }
            }
        })
        .await
    }

    /// Handles any pending `resync` notices by re-reading from their `since`.
    pub async fn handle_resyncs(&mut self, handled: &mut usize) {
        self.absorb_ready();
        while *handled < self.resyncs.len() {
            let since = self.resyncs[*handled];
            *handled += 1;
            self.catch_up(since).await;
        }
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.client.close();
    }
}

/// A message as a history page gives it: `prev` and `client_id` come with live messages and
/// acks only.
#[must_use]
pub fn as_stored(message: &Message) -> Message {
    Message {
        prev: None,
        client_id: None,
        ..message.clone()
    }
}
