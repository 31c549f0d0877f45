//! The bytes of uploaded files, on disk under one directory (a volume shared by the nodes of a
//! cluster): `<root>/<first two hex digits>/<id>` and `<id>.preview`; uploads in progress are
//! written to `<root>/tmp/` and renamed into place once complete, so a file is never seen half
//! written.

use std::io;
use std::path::{Path, PathBuf};

/// The directory of uploaded files.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// A file being written under `tmp/`; removed when dropped unless [`FileStore::keep`] took it.
#[derive(Debug)]
pub struct Partial {
    path: Option<PathBuf>,
}

impl Partial {
    /// Where it is being written.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or_else(|| Path::new(""))
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Best effort: an interrupted upload leaves nothing behind.
            let _ = std::fs::remove_file(path);
        }
    }
}

impl FileStore {
    /// The store rooted at `root` (created when the first file is written).
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Where a file's bytes are (`preview`: its preview's).
    #[must_use]
    pub fn path(&self, id: &str, preview: bool) -> PathBuf {
        let shard = id.get(..2).unwrap_or("00");
        let name = if preview {
            format!("{id}.preview")
        } else {
            id.to_owned()
        };
        self.root.join(shard).join(name)
    }

    /// A new empty file under `tmp/` to write an upload into.
    ///
    /// # Errors
    /// When the directory cannot be created or the file opened.
    pub async fn partial(&self) -> io::Result<(Partial, tokio::fs::File)> {
        let dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join(format!("{}.part", super::new_id()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok((Partial { path: Some(path) }, file))
    }

    /// Moves a complete upload into place as `id` (or its preview).
    ///
    /// # Errors
    /// When it cannot be moved.
    pub async fn keep(&self, mut partial: Partial, id: &str, preview: bool) -> io::Result<()> {
        let target = self.path(id, preview);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let Some(source) = partial.path.take() else {
            return Err(io::Error::other("the upload was already kept"));
        };
        if let Err(error) = tokio::fs::rename(&source, &target).await {
            let _ = tokio::fs::remove_file(&source).await;
            return Err(error);
        }
        Ok(())
    }

    /// Opens a file (or its preview) for reading.
    ///
    /// # Errors
    /// `NotFound` when it is not there.
    pub async fn open(&self, id: &str, preview: bool) -> io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(id, preview)).await
    }

    /// Removes a file and its preview (missing ones are fine).
    pub async fn remove(&self, id: &str) {
        for preview in [false, true] {
            match tokio::fs::remove_file(self.path(id, preview)).await {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => tracing::warn!(%error, file = id, "removing an attachment"),
            }
        }
    }

    /// Uploads in progress that were left behind (a crash while writing), removed.
    pub async fn sweep_partials(&self, older_than: std::time::Duration) {
        let Ok(mut entries) = tokio::fs::read_dir(self.root.join("tmp")).await else {
            return;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let stale = entry
                .metadata()
                .await
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > older_than));
            if stale {
                let _ = tokio::fs::remove_file(entry.path()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test]
    async fn uploads_appear_whole_or_not_at_all() {
        let root =
            std::env::temp_dir().join(format!("tertulia-storage-{}", super::super::new_id()));
        let store = FileStore::new(&root);
        let id = super::super::new_id();
        let (partial, mut file) = store.partial().await.unwrap();
        file.write_all(b"hello").await.unwrap();
        file.flush().await.unwrap();
        assert!(store.open(&id, false).await.is_err());
        store.keep(partial, &id, false).await.unwrap();
        assert_eq!(
            tokio::fs::read(store.path(&id, false)).await.unwrap(),
            b"hello"
        );
        // A dropped partial is removed.
        let (partial, _file) = store.partial().await.unwrap();
        let path = partial.path().to_owned();
        assert!(path.exists());
        drop(partial);
        assert!(!path.exists());
        store.remove(&id).await;
        assert!(store.open(&id, false).await.is_err());
        let _ = std::fs::remove_dir_all(root);
    }
}
