//! Tertulia's wire contract, in one place for the server and every Rust client.
//!
//! * [`engine`] and [`packet`] are the Engine.IO v4 and Socket.IO v5 *text* codecs
//!   (no runtime, no I/O), used by the wasm client and by the server's tests.
//! * [`types`], [`ack`] and [`http`] are the JSON payloads of `PROTOCOL.md`.
//! * [`events`] names every namespace and event; no other crate spells them.
//! * [`validate`] holds the input rules (names, message text) both sides apply.
#![warn(missing_docs)]

pub mod ack;
pub mod engine;
pub mod events;
pub mod http;
pub mod packet;
pub mod types;
pub mod validate;

mod error;

pub use ack::{Ack, Empty, ErrorBody, ErrorCode};
pub use error::CodecError;
pub use types::*;
