//! The chat's building blocks, one concern per module.

mod header;
mod members;
mod room;
mod sidebar;
mod toast;

pub use header::Header;
pub use members::MembersPane;
pub use room::RoomPane;
pub use sidebar::Sidebar;
pub use toast::Toast;
