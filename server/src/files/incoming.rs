//! An upload arriving: written to a partial file chunk by chunk as it comes, counted, and its
//! first bytes kept to decide what it is ([`super::sniff`]). Used by every upload path (files
//! sent with messages, profile pictures), whatever carries the bytes.

use std::io;

use tokio::io::AsyncWriteExt;

use super::{FileStore, Partial, sniff};

/// An upload being written.
pub struct Incoming {
    partial: Partial,
    file: tokio::fs::File,
    size: u64,
    head: Vec<u8>,
}

/// An upload written whole.
pub struct Arrived {
    /// Its bytes, under `tmp/` until kept.
    pub partial: Partial,
    /// How many.
    pub size: u64,
    /// What it is, from its bytes.
    pub content_type: String,
}

impl Incoming {
    /// An empty upload in a new partial file of `files`.
    ///
    /// # Errors
    /// When the partial file cannot be made.
    pub async fn start(files: &FileStore) -> io::Result<Self> {
        let (partial, file) = files.partial().await?;
        Ok(Self {
            partial,
            file,
            size: 0,
            head: Vec::new(),
        })
    }

    /// Writes one more chunk, unless it would take the upload past `limit` bytes: then
    /// `false`, and nothing is written.
    ///
    /// # Errors
    /// When writing fails.
    pub async fn take(&mut self, chunk: &[u8], limit: u64) -> io::Result<bool> {
        let size = self.size + chunk.len() as u64;
        if size > limit {
            return Ok(false);
        }
        self.size = size;
        let wanted = sniff::SNIFF_BYTES
            .saturating_sub(self.head.len())
            .min(chunk.len());
        self.head.extend_from_slice(&chunk[..wanted]);
        self.file.write_all(chunk).await?;
        Ok(true)
    }

    /// Everything has arrived: written through, and what it is.
    ///
    /// # Errors
    /// When writing fails.
    pub async fn finish(mut self) -> io::Result<Arrived> {
        self.file.flush().await?;
        let whole = self.size <= self.head.len() as u64;
        Ok(Arrived {
            content_type: sniff::content_type(&self.head, whole),
            partial: self.partial,
            size: self.size,
        })
    }
}
