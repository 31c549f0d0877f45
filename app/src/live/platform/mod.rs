//! What the live chat needs from where it runs: the Socket.IO connection, timers, the clock,
//! randomness, the page's visibility and the browser's locks and storage events.
//!
//! This is the only part of [`crate::live`] that differs by target. In the browser
//! (`hydrate`) it is the real thing; in the server's render it is inert: there is no
//! connection to make ([`connect`] gives none, and the [`Socket`] type has no value, so
//! nothing that needs one can run), timers never fire and listeners are never called. So every
//! method of [`super::Chat`] has one body on both targets, compiled and linted on both.

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(not(feature = "hydrate"))]
mod inert;
#[cfg(not(feature = "hydrate"))]
pub use inert::*;

pub use socket_client::NsEvent;

/// Where [`super::Chat`] keeps what lives with the connection (the socket, its bookkeeping, the
/// outbox's driver). In the browser, thread-local storage: the values hold JavaScript objects
/// and the page has one thread. In the server's render, shared storage: the values are plain
/// data, and the render may end (and drop them) on another worker thread than the one it began
/// on, which thread-local storage answers with a panic.
#[cfg(feature = "hydrate")]
pub type Storage = leptos::prelude::LocalStorage;
/// See the browser's [`Storage`].
#[cfg(not(feature = "hydrate"))]
pub type Storage = leptos::prelude::SyncStorage;
