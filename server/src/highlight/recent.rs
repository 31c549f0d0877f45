//! The blocks highlighted last, so many readers of one block cost one read.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

use protocol::http::Highlighted;

/// At most `capacity` blocks, the oldest forgotten first. Keys are 64-bit hashes of the
/// language and code under a per-process random key, so nobody can make two blocks collide.
pub(super) struct Recent {
    capacity: usize,
    keys: RandomState,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    by_key: HashMap<u64, Arc<Highlighted>>,
    order: VecDeque<u64>,
}

impl Recent {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            keys: RandomState::new(),
            kept: Mutex::default(),
        }
    }

    fn key(&self, language: &str, code: &str) -> u64 {
        self.keys
            .hash_one((language.to_ascii_lowercase().as_str(), code))
    }

    /// The tokens of a block read before, if still kept.
    pub(super) fn get(&self, language: &str, code: &str) -> Option<Arc<Highlighted>> {
        let key = self.key(language, code);
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.by_key.get(&key).cloned()
    }

    /// Keeps a block's tokens, forgetting the oldest block when full.
    pub(super) fn put(&self, language: &str, code: &str, highlighted: Arc<Highlighted>) {
        let key = self.key(language, code);
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.by_key.insert(key, highlighted).is_none() {
            kept.order.push_back(key);
        }
        while kept.order.len() > self.capacity {
            if let Some(oldest) = kept.order.pop_front() {
                kept.by_key.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Arc<Highlighted> {
        Arc::new(Highlighted {
            language: Some(text.to_owned()),
            tokens: Vec::new(),
        })
    }

    #[test]
    fn keeps_the_newest_blocks_by_language_and_code() {
        let recent = Recent::new(2);
        recent.put("rust", "a", tokens("1"));
        recent.put("Rust", "b", tokens("2"));
        assert_eq!(
            recent.get("RUST", "a").unwrap().language.as_deref(),
            Some("1")
        );
        assert!(recent.get("python", "a").is_none());
        recent.put("rust", "c", tokens("3"));
        assert!(recent.get("rust", "a").is_none(), "the oldest is forgotten");
        assert!(recent.get("rust", "b").is_some());
        recent.put("rust", "b", tokens("4"));
        assert_eq!(
            recent.get("rust", "b").unwrap().language.as_deref(),
            Some("4")
        );
        assert!(
            recent.get("rust", "c").is_some(),
            "a replaced block takes no second place"
        );
    }
}
