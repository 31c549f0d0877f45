//! The browser's sync logic as sans-IO state machines, like `socket-client`'s `Machine`: each
//! takes what happened (what the server said, what arrived, what the reader did) and answers
//! what to show, with no I/O, no timers and no browser, so every interleaving can be tested
//! on its own.
//!
//! * [`cursor`]: where a room's catch-up resumes without skipping a message.
//! * [`owed`]: what a room's catch-up still owes, settled only as answers arrive.
//! * [`joins`]: the tab's queue of rooms to join, and what to do when a join fails.
//! * [`refusals`]: what to do when the server refuses a namespace.
//! * [`outbox`]: what the reader wrote, kept until the server confirms it and sent in order
//!   per room by exactly one tab.
//! * [`unread`]: a room's unread count, exact whatever order the server's news arrives in.
#![warn(missing_docs)]

pub mod cursor;
pub mod joins;
pub mod outbox;
pub mod owed;
pub mod refusals;
pub mod unread;

pub use cursor::Cursor;
pub use joins::{JoinQueue, Show};
pub use owed::Owed;
pub use refusals::Refusals;
pub use unread::UnreadCount;
