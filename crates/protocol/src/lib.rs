//! Tertulia's wire contract, in one place for the server and every Rust client: what the
//! payloads of `docs/PROTOCOL.md` are and which rules they follow. (How packets are framed is
//! the `sio-codec` crate's business.)
//!
//! * [`types`], [`ack`] and [`http`] are the JSON payloads of `PROTOCOL.md`.
//! * [`events`] names every namespace and event, and the other fixed strings (refusal reasons,
//!   notification kinds, the `general` room); no other crate spells them.
//! * [`request`] ties each request type to its namespace, event and answer type, and each
//!   server event type to its name; [`http::Endpoint`] does the same for the HTTP API and
//!   [`links`] for the app's pages and deep links.
//! * [`validate`] holds the input rules (names, message text) both sides apply; [`names`]
//!   (feature `names`, server side) adds Unicode normalisation and look-alike folding.
//! * [`contract`] writes all names as JSON for clients in other languages.
#![warn(missing_docs)]

pub mod ack;
pub mod contract;
pub mod events;
pub mod http;
pub mod links;
#[cfg(feature = "names")]
pub mod names;
pub mod request;
pub mod slash;
pub mod types;
pub mod validate;

pub use ack::{Ack, Empty, ErrorBody, ErrorCode};
pub use events::ConnectRefusal;
pub use request::{ErrorEvent, Request, ServerEvent};
pub use types::*;
