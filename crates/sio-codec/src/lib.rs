//! The Engine.IO v4 and Socket.IO v5 *text* codecs, with no runtime and no I/O, so the same
//! code frames packets in the browser (wasm), in native clients and in the server's tests.
//!
//! * [`engine`]: Engine.IO packets (`0` open, `2` ping, `3` pong, `4` message, ...).
//! * [`packet`]: Socket.IO packets inside an Engine.IO message (`40/chat,`, `42/chat,7["join",…]`).
//!
//! Decoding never panics; every malformed frame is a [`CodecError`]. Binary attachments are
//! not supported (Tertulia's contract is text-only). What the payloads mean is the `protocol`
//! crate's business.
#![warn(missing_docs)]

pub mod engine;
pub mod packet;

mod error;

pub use engine::EnginePacket;
pub use error::CodecError;
pub use packet::Packet;
