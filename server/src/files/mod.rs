//! Uploaded files: where their bytes live ([`storage`]), how they arrive ([`incoming`]), what
//! they are ([`sniff`]), and the bounded previews of images ([`preview`]). The HTTP side is
//! `http::files`; which message carries a file is in the store.

pub mod incoming;
pub mod preview;
pub mod sniff;
pub mod storage;

pub use storage::{FileStore, Partial};

/// A new random attachment id: 128 bits as 32 lowercase hex digits.
#[must_use]
pub fn new_id() -> String {
    use std::fmt::Write as _;
    let bytes: [u8; 16] = rand::random();
    bytes
        .iter()
        .fold(String::with_capacity(32), |mut id, byte| {
            let _ = write!(id, "{byte:02x}");
            id
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_valid_and_fresh() {
        let (a, b) = (super::new_id(), super::new_id());
        assert!(protocol::validate::attachment_id(&a).is_ok());
        assert_ne!(a, b);
    }
}
