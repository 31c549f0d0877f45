//! A small, solid Socket.IO v5 client.
//!
//! * [`Machine`] is the whole protocol as a sans-IO state machine: Engine.IO handshake,
//!   ping/pong and dead-link detection, namespace CONNECT with `auth`, emits with ack ids and
//!   timeouts, reconnection with exponential backoff and jitter. It never touches a socket or a
//!   clock: drivers feed it frames and the current time and carry out its [`Output`]s.
//! * [`browser`] drives it over `web_sys::WebSocket` (wasm32 only).
//! * [`native`] drives it over `tokio-tungstenite` (feature `native`): used by the server's
//!   tests and the load tool.
#![warn(missing_docs)]

mod backoff;
mod machine;
mod request;

#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(feature = "native")]
pub mod native;

pub use backoff::Backoff;
pub use machine::{
    AckError, Config, EmitError, Machine, NsState, Output, RESTART_NOTICE_MS, Status,
};
pub use request::{RequestError, decode_ack};

/// A namespace-level change, as a driver reports it (see `browser::Socket::on_namespace`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsEvent {
    /// Connected (first time or again after a reconnect).
    Connected(String),
    /// Refused by the server with this message (`unauthorized`, `forbidden`).
    Refused(String, String),
    /// Lost; `true` when the server ended it on purpose.
    Disconnected(String, bool),
}
