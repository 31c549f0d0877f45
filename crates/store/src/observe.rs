//! What the store tells its owner about its own work (the server turns it into metrics): how
//! long statements take, how long a write transaction waits to begin, how large the group
//! commit's batches are. Nothing is reported until an [`Observer`] is set.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Receives the store's timings. Called on the database path: keep it cheap (an atomic add).
pub trait Observer: Send + Sync + 'static {
    /// One statement ran on a pooled connection, from asking the pool for a connection to its
    /// last row (waiting for a free connection included).
    fn statement(&self, took: Duration);
    /// A write transaction began: the wait for a connection and, on SQLite, for the write lock.
    fn transaction_began(&self, waited: Duration);
    /// The group commit stored a batch of `rows` new messages in one statement.
    fn batch(&self, rows: usize, took: Duration);
}

/// The store's observer, shared by every clone of the store and its writer task; replaced by
/// [`crate::Store::observe`].
#[derive(Clone, Default)]
pub(crate) struct Watch(Arc<RwLock<Option<Arc<dyn Observer>>>>);

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Watch")
    }
}

impl Watch {
    /// The observer now, if any.
    pub(crate) fn get(&self) -> Option<Arc<dyn Observer>> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reports to `observer` from now on.
    pub(crate) fn set(&self, observer: Arc<dyn Observer>) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(observer);
    }

    /// Starts timing a statement: reported when the returned value is dropped.
    pub(crate) fn statement(&self) -> StatementTimer {
        StatementTimer {
            observer: self.get(),
            started: Instant::now(),
        }
    }
}

/// A statement being timed (see [`Watch::statement`]).
pub(crate) struct StatementTimer {
    observer: Option<Arc<dyn Observer>>,
    started: Instant,
}

impl Drop for StatementTimer {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.statement(self.started.elapsed());
        }
    }
}
