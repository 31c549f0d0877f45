//! The Socket.IO client protocol as a sans-IO state machine.
//!
//! Drivers call [`Machine::start`], then feed it [`Machine::handle_open`],
//! [`Machine::handle_frame`], [`Machine::handle_close`] and [`Machine::handle_tick`] with the
//! current time in milliseconds (any monotonic clock), and after every call drain
//! [`Machine::poll_output`] and carry the outputs out. [`Machine::next_deadline`] says when to
//! call `handle_tick` next.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;
use sio_codec::EnginePacket;
use sio_codec::Packet;
use thiserror::Error;

use crate::Backoff;

/// How long after a `restarting` notice a drop of the link counts as the announced restart.
pub const RESTART_NOTICE_MS: u64 = 60_000;

/// Settings of a [`Machine`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Delays between reconnection attempts.
    pub backoff: Backoff,
    /// How long the Engine.IO handshake may take after the transport was asked to open.
    pub connect_timeout_ms: u64,
    /// How long an emit waits for its ack before failing with [`AckError::Timeout`].
    pub ack_timeout_ms: u64,
    /// Seed of the jitter's random numbers (use a random value in production).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            connect_timeout_ms: 10_000,
            ack_timeout_ms: 10_000,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

/// The state of the link as a person would describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// First connection attempt in progress.
    Connecting,
    /// The Engine.IO session is open.
    Connected,
    /// The link was lost; `attempt` retries have been scheduled so far.
    Reconnecting {
        /// Retries so far (1 for the first).
        attempt: u32,
    },
    /// The environment reports no network; retries wait until it is back.
    Offline,
    /// Closed on purpose by [`Machine::close`].
    Closed,
    /// Nothing is wanted: every namespace was refused or ended by the server, so the transport
    /// was closed (as socket.io-client's manager does) rather than kept open and reconnected
    /// for nothing. [`Machine::connect_namespace`] opens it again.
    Unused,
}

/// The state of one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsState {
    /// Wanted; a CONNECT is sent (again) whenever the link opens.
    Pending,
    /// The server accepted the CONNECT.
    Connected,
    /// The server answered CONNECT_ERROR; not retried until [`Machine::connect_namespace`].
    /// When no namespace is pending or connected any more, the link closes ([`Status::Unused`]).
    Refused(String),
    /// The server sent DISCONNECT; not retried until [`Machine::connect_namespace`]. When no
    /// namespace is pending or connected any more, the link closes ([`Status::Unused`]).
    Kicked,
}

/// What the driver must do or tell the application.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Open a new transport (WebSocket) to the server.
    OpenTransport,
    /// Send this text frame.
    Send(String),
    /// Close the current transport and forget its callbacks.
    CloseTransport,
    /// The link status changed.
    Status(Status),
    /// A namespace is connected (first time or after a reconnect).
    Connected {
        /// Namespace.
        ns: String,
    },
    /// The server refused a namespace (`message` is the CONNECT_ERROR's).
    ConnectError {
        /// Namespace.
        ns: String,
        /// Reason given by the server, e.g. `unauthorized`.
        message: String,
    },
    /// A namespace lost its connection; `by_server` when the server sent DISCONNECT (no retry).
    Disconnected {
        /// Namespace.
        ns: String,
        /// The server ended it on purpose.
        by_server: bool,
    },
    /// An event from the server.
    Event {
        /// Namespace.
        ns: String,
        /// Event name.
        event: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// The outcome of an emit that asked for an ack.
    Ack {
        /// The id [`Machine::emit`] returned.
        id: u64,
        /// The ack's arguments, or why none came.
        result: Result<Vec<Value>, AckError>,
    },
    /// A frame from the server could not be decoded and was ignored.
    ProtocolError(String),
}

/// Why an ack never came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AckError {
    /// No answer within the configured timeout.
    #[error("the server did not answer in time")]
    Timeout,
    /// The link or namespace closed before the answer.
    #[error("the connection closed before the server answered")]
    Disconnected,
}

/// Why an emit was not sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmitError {
    /// The namespace is not connected right now.
    #[error("not connected to {0}")]
    NotConnected(String),
    /// The encoded packet exceeds the server's `maxPayload`.
    #[error("the message is too large ({size} bytes, the server accepts {max})")]
    TooLarge {
        /// Encoded size.
        size: usize,
        /// The server's limit.
        max: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Link {
    Idle,
    Opening {
        deadline: u64,
    },
    Open {
        ping_deadline: u64,
        ping_window: u64,
        max_payload: u64,
    },
    Waiting {
        retry_at: u64,
    },
    Offline,
    /// Closed because no namespace is wanted; reopened by `connect_namespace`.
    Unused,
}

#[derive(Debug, Clone)]
struct Namespace {
    auth: Option<Value>,
    state: NsState,
}

#[derive(Debug, Clone)]
struct PendingAck {
    ns: String,
    deadline: u64,
}

/// The Socket.IO client state machine. See the module docs for how to drive it.
#[derive(Debug)]
pub struct Machine {
    config: Config,
    link: Link,
    status: Status,
    ever_connected: bool,
    attempt: u32,
    namespaces: BTreeMap<String, Namespace>,
    acks: BTreeMap<u64, PendingAck>,
    next_ack_id: u64,
    rng: u64,
    outputs: VecDeque<Output>,
    /// Until when (ms) a drop of the link is expected from a `restarting` notice.
    restart_expected_until: Option<u64>,
}

impl Machine {
    /// A machine that has not started yet.
    #[must_use]
    pub fn new(config: Config) -> Self {
        let rng = config.seed | 1;
        Self {
            config,
            link: Link::Idle,
            status: Status::Closed,
            ever_connected: false,
            attempt: 0,
            namespaces: BTreeMap::new(),
            acks: BTreeMap::new(),
            next_ack_id: 0,
            rng,
            outputs: VecDeque::new(),
            restart_expected_until: None,
        }
    }

    /// The server announced a restart: when the link drops next, within
    /// [`RESTART_NOTICE_MS`], reconnect at once rather than after a backoff delay (another node,
    /// or the restarted one, is expected to answer). The machine calls this itself when a
    /// `restarting` event arrives. A drop long after the notice (the restart did not happen)
    /// backs off as usual.
    pub fn expect_restart(&mut self, now: u64) {
        self.restart_expected_until = Some(now.saturating_add(RESTART_NOTICE_MS));
    }

    /// The current link status.
    #[must_use]
    pub fn status(&self) -> Status {
        self.status
    }

    /// The state of a namespace, if it was ever asked for.
    #[must_use]
    pub fn namespace(&self, ns: &str) -> Option<&NsState> {
        self.namespaces.get(ns).map(|n| &n.state)
    }

    /// The next output to carry out, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Opens the link (no-op unless idle).
    pub fn start(&mut self, now: u64) {
        if self.link == Link::Idle {
            self.open_transport(now);
        }
    }

    /// Closes the link on purpose; pending acks fail and nothing reconnects until [`Self::start`].
    pub fn close(&mut self) {
        if matches!(self.link, Link::Opening { .. } | Link::Open { .. }) {
            self.outputs.push_back(Output::CloseTransport);
        }
        self.drop_namespaces_and_acks();
        self.link = Link::Idle;
        self.set_status(Status::Closed);
    }

    /// Asks for a namespace with an `auth` payload; connects now if the link is open, else on the
    /// next open (at once when the link was closed for want of namespaces: call
    /// [`Self::handle_tick`], as drivers do at [`Self::next_deadline`]). Calling it again (e.g.
    /// with new credentials) retries a refused namespace.
    pub fn connect_namespace(&mut self, ns: &str, auth: Option<Value>) {
        let entry = Namespace {
            auth,
            state: NsState::Pending,
        };
        let already_connected = self
            .namespaces
            .get(ns)
            .is_some_and(|n| n.state == NsState::Connected);
        self.namespaces.insert(ns.to_owned(), entry);
        if self.link == Link::Unused {
            self.link = Link::Waiting { retry_at: 0 };
        }
        if matches!(self.link, Link::Open { .. }) {
            if already_connected {
                self.send_packet(&Packet::Disconnect { ns: ns.to_owned() });
            }
            self.send_connect(ns);
        }
    }

    /// Leaves a namespace and forgets it. A namespace still waiting for its CONNECT answer is
    /// left too (the server handles the DISCONNECT after the CONNECT it already has).
    pub fn disconnect_namespace(&mut self, ns: &str) {
        if let Some(entry) = self.namespaces.remove(ns) {
            let asked = matches!(entry.state, NsState::Connected | NsState::Pending);
            if asked && matches!(self.link, Link::Open { .. }) {
                self.send_packet(&Packet::Disconnect { ns: ns.to_owned() });
            }
            self.fail_acks(|ack| ack.ns == ns);
        }
    }

    /// Sends an event; with `want_ack` returns the ack id whose [`Output::Ack`] will follow.
    ///
    /// # Errors
    /// [`EmitError::NotConnected`] unless the namespace is connected;
    /// [`EmitError::TooLarge`] if the frame exceeds the server's `maxPayload`.
    pub fn emit(
        &mut self,
        now: u64,
        ns: &str,
        event: &str,
        args: Vec<Value>,
        want_ack: bool,
    ) -> Result<Option<u64>, EmitError> {
        let Link::Open { max_payload, .. } = self.link else {
            return Err(EmitError::NotConnected(ns.to_owned()));
        };
        if self.namespace(ns) != Some(&NsState::Connected) {
            return Err(EmitError::NotConnected(ns.to_owned()));
        }
        let id = want_ack.then_some(self.next_ack_id);
        let packet = Packet::Event {
            ns: ns.to_owned(),
            id,
            event: event.to_owned(),
            args,
        };
        let frame = EnginePacket::Message(packet.encode()).encode();
        if frame.len() as u64 > max_payload {
            return Err(EmitError::TooLarge {
                size: frame.len(),
                max: max_payload,
            });
        }
        if let Some(id) = id {
            self.next_ack_id += 1;
            self.acks.insert(
                id,
                PendingAck {
                    ns: ns.to_owned(),
                    deadline: now.saturating_add(self.config.ack_timeout_ms),
                },
            );
        }
        self.outputs.push_back(Output::Send(frame));
        Ok(id)
    }

    /// The transport is open; the server's handshake comes as the first frame.
    pub fn handle_open(&mut self, _now: u64) {}

    /// One text frame from the server.
    pub fn handle_frame(&mut self, now: u64, frame: &str) {
        let packet = match EnginePacket::decode(frame) {
            Ok(packet) => packet,
            Err(error) => {
                self.outputs
                    .push_back(Output::ProtocolError(error.to_string()));
                return;
            }
        };
        match packet {
            EnginePacket::Open(open) => {
                if !matches!(self.link, Link::Opening { .. }) {
                    return;
                }
                let ping_window = open.ping_interval.saturating_add(open.ping_timeout);
                self.link = Link::Open {
                    ping_deadline: now.saturating_add(ping_window),
                    ping_window,
                    max_payload: open.max_payload,
                };
                self.attempt = 0;
                self.ever_connected = true;
                self.set_status(Status::Connected);
                let wanted: Vec<String> = self
                    .namespaces
                    .iter()
                    .filter(|(_, n)| n.state == NsState::Pending)
                    .map(|(ns, _)| ns.clone())
                    .collect();
                for ns in wanted {
                    self.send_connect(&ns);
                }
                self.close_if_unused();
            }
            EnginePacket::Ping(data) => {
                if let Link::Open {
                    ping_deadline,
                    ping_window,
                    ..
                } = &mut self.link
                {
                    *ping_deadline = now.saturating_add(*ping_window);
                    self.outputs
                        .push_back(Output::Send(EnginePacket::Pong(data).encode()));
                }
            }
            EnginePacket::Close => self.link_lost(now),
            EnginePacket::Message(text) => match Packet::decode(&text) {
                Ok(packet) => self.handle_packet(now, packet),
                Err(error) => self
                    .outputs
                    .push_back(Output::ProtocolError(error.to_string())),
            },
            EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop => {}
        }
    }

    /// The transport closed or failed.
    pub fn handle_close(&mut self, now: u64) {
        if matches!(self.link, Link::Opening { .. } | Link::Open { .. }) {
            self.link_lost(now);
        }
    }

    /// Time passed; call at [`Self::next_deadline`] (calling more often is harmless).
    pub fn handle_tick(&mut self, now: u64) {
        match self.link {
            Link::Opening { deadline } if now >= deadline => {
                self.outputs.push_back(Output::CloseTransport);
                self.link_lost(now);
            }
            Link::Open { ping_deadline, .. } if now >= ping_deadline => {
                self.outputs.push_back(Output::CloseTransport);
                self.link_lost(now);
            }
            Link::Waiting { retry_at } if now >= retry_at => self.open_transport(now),
            _ => {}
        }
        let expired: Vec<u64> = self
            .acks
            .iter()
            .filter(|(_, ack)| ack.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.acks.remove(&id);
            self.outputs.push_back(Output::Ack {
                id,
                result: Err(AckError::Timeout),
            });
        }
    }

    /// Tells the machine whether the environment has network (browser `online`/`offline`).
    pub fn set_online(&mut self, now: u64, online: bool) {
        match (online, self.link) {
            (false, Link::Idle | Link::Offline | Link::Unused) => {}
            (false, _) => {
                if matches!(self.link, Link::Opening { .. } | Link::Open { .. }) {
                    self.outputs.push_back(Output::CloseTransport);
                    self.link_lost(now);
                }
                self.link = Link::Offline;
                self.set_status(Status::Offline);
            }
            (true, Link::Offline) => self.open_transport(now),
            (true, Link::Waiting { .. }) => {
                // The network is back: retry now rather than at the end of the backoff.
                self.open_transport(now);
            }
            (true, _) => {}
        }
    }

    /// When [`Self::handle_tick`] should next be called, if ever.
    #[must_use]
    pub fn next_deadline(&self) -> Option<u64> {
        let link = match self.link {
            Link::Opening { deadline } => Some(deadline),
            Link::Open { ping_deadline, .. } => Some(ping_deadline),
            Link::Waiting { retry_at } => Some(retry_at),
            Link::Idle | Link::Offline | Link::Unused => None,
        };
        let ack = self.acks.values().map(|a| a.deadline).min();
        link.into_iter().chain(ack).min()
    }

    fn handle_packet(&mut self, now: u64, packet: Packet) {
        match packet {
            Packet::Connect { ns, .. } => {
                if let Some(entry) = self.namespaces.get_mut(&ns) {
                    entry.state = NsState::Connected;
                    self.outputs.push_back(Output::Connected { ns });
                }
            }
            Packet::ConnectError { ns, message } => {
                if let Some(entry) = self.namespaces.get_mut(&ns) {
                    entry.state = NsState::Refused(message.clone());
                    self.outputs.push_back(Output::ConnectError { ns, message });
                    self.close_if_unused();
                }
            }
            Packet::Disconnect { ns } => {
                if let Some(entry) = self.namespaces.get_mut(&ns) {
                    entry.state = NsState::Kicked;
                    self.fail_acks(|ack| ack.ns == ns);
                    self.outputs.push_back(Output::Disconnected {
                        ns,
                        by_server: true,
                    });
                    self.close_if_unused();
                }
            }
            Packet::Event {
                ns, event, args, ..
            } => {
                if self.namespace(&ns) == Some(&NsState::Connected) {
                    if event == protocol::events::RESTARTING {
                        self.expect_restart(now);
                    }
                    self.outputs.push_back(Output::Event { ns, event, args });
                }
            }
            Packet::Ack { ns, id, args } => {
                if self.acks.get(&id).is_some_and(|ack| ack.ns == ns) {
                    self.acks.remove(&id);
                    self.outputs.push_back(Output::Ack {
                        id,
                        result: Ok(args),
                    });
                }
            }
        }
    }

    /// With every namespace refused or ended by the server, an open link serves nothing, and
    /// the server closes such a connection after its connect timeout anyway (which would make
    /// this machine reconnect, for nothing, for ever): close it until a namespace is wanted.
    fn close_if_unused(&mut self) {
        let unused = !self.namespaces.is_empty()
            && self
                .namespaces
                .values()
                .all(|n| matches!(n.state, NsState::Refused(_) | NsState::Kicked));
        if unused && matches!(self.link, Link::Open { .. }) {
            self.outputs.push_back(Output::CloseTransport);
            self.fail_acks(|_| true);
            self.attempt = 0;
            self.link = Link::Unused;
            self.set_status(Status::Unused);
        }
    }

    fn open_transport(&mut self, now: u64) {
        self.link = Link::Opening {
            deadline: now.saturating_add(self.config.connect_timeout_ms),
        };
        let status = if self.ever_connected || self.attempt > 0 {
            Status::Reconnecting {
                attempt: self.attempt.max(1),
            }
        } else {
            Status::Connecting
        };
        self.set_status(status);
        self.outputs.push_back(Output::OpenTransport);
    }

    fn link_lost(&mut self, now: u64) {
        for (ns, entry) in &mut self.namespaces {
            if entry.state == NsState::Connected {
                entry.state = NsState::Pending;
                self.outputs.push_back(Output::Disconnected {
                    ns: ns.clone(),
                    by_server: false,
                });
            }
        }
        self.fail_acks(|_| true);
        let random = self.next_random();
        let restarting = self.restart_expected_until.take();
        let delay = if restarting.is_some_and(|until| now <= until) {
            0
        } else {
            self.config.backoff.delay_ms(self.attempt, random)
        };
        self.attempt = self.attempt.saturating_add(1);
        self.link = Link::Waiting {
            retry_at: now.saturating_add(delay),
        };
        self.set_status(Status::Reconnecting {
            attempt: self.attempt,
        });
    }

    fn drop_namespaces_and_acks(&mut self) {
        for (ns, entry) in &mut self.namespaces {
            if entry.state == NsState::Connected {
                entry.state = NsState::Pending;
                self.outputs.push_back(Output::Disconnected {
                    ns: ns.clone(),
                    by_server: false,
                });
            }
        }
        self.fail_acks(|_| true);
    }

    fn fail_acks(&mut self, which: impl Fn(&PendingAck) -> bool) {
        let failed: Vec<u64> = self
            .acks
            .iter()
            .filter(|(_, ack)| which(ack))
            .map(|(id, _)| *id)
            .collect();
        for id in failed {
            self.acks.remove(&id);
            self.outputs.push_back(Output::Ack {
                id,
                result: Err(AckError::Disconnected),
            });
        }
    }

    fn send_connect(&mut self, ns: &str) {
        let auth = self.namespaces.get(ns).and_then(|n| n.auth.clone());
        self.send_packet(&Packet::Connect {
            ns: ns.to_owned(),
            data: auth,
        });
    }

    fn send_packet(&mut self, packet: &Packet) {
        self.outputs.push_back(Output::Send(
            EnginePacket::Message(packet.encode()).encode(),
        ));
    }

    fn set_status(&mut self, status: Status) {
        if self.status != status {
            self.status = status;
            self.outputs.push_back(Output::Status(status));
        }
    }

    /// xorshift64*: plenty for jitter, deterministic under a fixed seed.
    fn next_random(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let value = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (value >> 11) as f64 / (1u64 << 53) as f64
    }
}
