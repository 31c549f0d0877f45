//! The chat's building blocks, one concern per module.

mod account;
mod attachments;
mod bell;
mod bookmarks;
mod bots;
mod code;
pub(crate) mod dialog;
mod emoji;
mod header;
mod members;
mod message;
mod nav;
mod people;
mod person_card;
mod pins;
mod room;
#[cfg(feature = "hydrate")]
mod roving;
mod search;
mod sidebar;
mod switcher;
mod thread;
mod threads_list;
mod toast;
mod viewer;
mod webhooks;

pub use account::AccountMenu;
pub use bell::{Bell, NoteToast};
pub use bots::BotsButton;
pub use header::Header;
pub use members::MembersPane;
pub use nav::{TopNav, require_sign_in};
pub use pins::PinnedMessages;
pub use room::RoomPane;
pub use search::MessageSearch;
pub use sidebar::Sidebar;
pub use switcher::QuickSwitcher;
pub use thread::ThreadPane;
pub use toast::Toast;
pub use webhooks::RoomWebhooks;
