//! Link previews (v1.16): after a message is sent or edited, the server reads the page of its
//! first link (title, description, image) and tells the room with `message_preview`.
//!
//! Fetching is the dangerous part (a link is anybody's choice of address): [`fetch`] only
//! connects where [`address`] permits, and [`page`] turns what comes back into bounded plain
//! text. A preview, once made, is kept for the address, so a link shared again costs nothing;
//! a link that gave none is tried again after an hour. Work waits in a bounded queue and runs
//! a few fetches at a time; when the queue is full a link simply gets no preview.

pub mod address;
pub mod fetch;
pub mod page;

use std::sync::Arc;
use std::time::Duration;

use protocol::MessagePreview;
use store::FoundPage;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

use self::address::AddressPolicy;
use self::fetch::{Fetcher, Limits, Lookup, SystemLookup};
use crate::clock::now_ms;
use crate::config::Config;
use crate::fanout::Fanout;
use crate::files::{self, preview};
use crate::hub::Hub;

/// Links waiting for a fetch; past it a link gets no preview.
pub const QUEUE_MAX: usize = 256;

/// Fetches at once.
pub const AT_ONCE: usize = 4;

/// Preview images decoded at once, apart from the uploads' turns (link spam never makes an
/// upload wait for its preview).
const IMAGES_AT_ONCE: usize = 1;

/// How long a link that gave no preview is not tried again (ms).
pub const RETRY_AFTER_MS: i64 = 60 * 60 * 1000;

/// Longest a whole preview (page and image) may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A message whose link is to be previewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    message_id: i64,
    url: String,
}

/// The address policy the settings describe.
#[must_use]
pub(crate) fn policy(config: &Config) -> AddressPolicy {
    AddressPolicy {
        public: config.link_preview_public,
        allowed: config.link_preview_allow.clone(),
    }
}

/// Link previews: off, or a queue served by background fetches.
#[derive(Clone)]
pub(crate) struct LinkPreviews {
    hub: Hub,
    queue: Option<mpsc::Sender<Job>>,
    /// The task serving the queue, stopped (with the fetches it runs) when the last handle
    /// goes.
    _worker: Option<Arc<AbortOnDrop>>,
}

/// Aborts a task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl LinkPreviews {
    /// Previews as the settings say (off: nothing is recorded or fetched). The fetches run on
    /// a task that ends when the last handle is dropped.
    #[must_use]
    pub(crate) fn new(hub: Hub, fanout: Fanout) -> Self {
        Self::with_lookup(hub, fanout, Arc::new(SystemLookup))
    }

    /// As [`Self::new`], resolving names with `lookup`.
    #[must_use]
    pub(crate) fn with_lookup(hub: Hub, fanout: Fanout, lookup: Arc<dyn Lookup>) -> Self {
        let off = |hub| Self {
            hub,
            queue: None,
            _worker: None,
        };
        if !hub.config.link_previews {
            return off(hub);
        }
        let fetcher = match Fetcher::new(policy(&hub.config), lookup, Limits::default()) {
            Ok(fetcher) => fetcher,
            Err(error) => {
                tracing::error!(%error, "link previews are off: the HTTP client did not start");
                return off(hub);
            }
        };
        let (queue, jobs) = mpsc::channel(QUEUE_MAX);
        let worker = Worker {
            hub: hub.clone(),
            fanout,
            fetcher,
            image_turns: Arc::new(tokio::sync::Semaphore::new(IMAGES_AT_ONCE)),
        };
        let task = tokio::spawn(worker.serve(jobs));
        Self {
            hub,
            queue: Some(queue),
            _worker: Some(Arc::new(AbortOnDrop(task))),
        }
    }

    /// Records the link a new message previews; the job to run once the message is out.
    pub(crate) async fn note_sent(&self, message_id: i64, text: &str) -> Option<Job> {
        self.queue.as_ref()?;
        // Most messages have no link: they cost nothing here.
        let url = first_link(text)?;
        self.note(message_id, Some(url)).await
    }

    /// Records the link an edited message (now reading `text`) previews; the job to run once
    /// the edit is out, when the link changed to another one. With previews off, an edit
    /// takes away the preview the message had.
    pub(crate) async fn note_edited(&self, message_id: i64, text: &str) -> Option<Job> {
        let url = self.queue.as_ref().and_then(|_| first_link(text));
        let job = self.note(message_id, url).await;
        self.queue.as_ref().and(job)
    }

    async fn note(&self, message_id: i64, url: Option<String>) -> Option<Job> {
        match self
            .hub
            .store
            .set_message_link(message_id, url.as_deref(), now_ms())
            .await
        {
            Ok(true) => url.map(|url| Job { message_id, url }),
            Ok(false) => None,
            Err(error) => {
                tracing::warn!(%error, "recording a message's link");
                None
            }
        }
    }

    /// Queues `job` (dropped when the queue is full).
    pub(crate) fn queue(&self, job: Option<Job>) {
        let (Some(job), Some(queue)) = (job, &self.queue) else {
            return;
        };
        if queue.try_send(job).is_err() {
            tracing::debug!("link preview queue full: a link goes without a preview");
        }
    }
}

/// The link of `text` a preview is made of.
fn first_link(text: &str) -> Option<String> {
    app::markup::first_link(text).filter(|url| Url::parse(url).is_ok())
}

/// Runs the queued jobs, [`AT_ONCE`] at a time.
struct Worker {
    hub: Hub,
    fanout: Fanout,
    fetcher: Fetcher,
    image_turns: Arc<tokio::sync::Semaphore>,
}

impl Worker {
    /// Takes jobs from the queue, running up to [`AT_ONCE`]; the running ones are aborted when
    /// this task is (dropping the set aborts them).
    async fn serve(self, mut jobs: mpsc::Receiver<Job>) {
        let worker = Arc::new(self);
        let mut running = JoinSet::new();
        loop {
            tokio::select! {
                job = jobs.recv(), if running.len() < AT_ONCE => {
                    let Some(job) = job else { break };
                    let worker = worker.clone();
                    running.spawn(async move { worker.run(job).await });
                }
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
    }

    /// Reads the link (unless it has a preview already, or failed lately), keeps what it gave,
    /// and tells the room when the message (still previewing that link) has a preview.
    async fn run(&self, job: Job) {
        let store = &self.hub.store;
        let known = match store.link_fetched(&job.url).await {
            Ok(Some((at, found))) => found || now_ms() - at < RETRY_AFTER_MS,
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, "reading a link preview");
                return;
            }
        };
        if !known {
            let found = tokio::time::timeout(DEADLINE, self.read(&job.url))
                .await
                .ok()
                .flatten();
            let kept = store
                .save_link_preview(&job.url, now_ms(), found.as_ref())
                .await;
            let image = found.and_then(|page| page.image).map(|(id, _)| id);
            match (kept, image) {
                (Ok(true), _) | (Ok(false), None) => {}
                // Another fetch of the link made its preview first: this image is nobody's.
                (Ok(false), Some(image)) => self.hub.files.remove(&image).await,
                (Err(error), image) => {
                    if let Some(image) = image {
                        self.hub.files.remove(&image).await;
                    }
                    tracing::warn!(%error, "keeping a link preview");
                    return;
                }
            }
        }
        match store
            .preview_ready(job.message_id, &job.url, now_ms())
            .await
        {
            Ok(Some(ready)) => {
                let event = MessagePreview {
                    room: ready.room,
                    id: job.message_id,
                    preview: Some(ready.preview),
                };
                self.fanout.to_room(ready.room_id, &event).await;
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "reading a ready link preview"),
        }
    }

    /// What the page at `address` gives for a preview, its image kept in the file store.
    async fn read(&self, address: &str) -> Option<FoundPage> {
        let url = Url::parse(address).ok()?;
        let (found_at, html) = self
            .fetcher
            .page(&url)
            .await
            .inspect_err(|error| tracing::debug!(%error, "no link preview"))
            .ok()?;
        let meta = page::read(&html, &found_at)?;
        let image = match &meta.image {
            Some(image) => self.image(image).await,
            None => None,
        };
        let site = meta.site.unwrap_or_else(|| {
            let host = url.host_str().unwrap_or_default();
            host.strip_prefix("www.").unwrap_or(host).to_owned()
        });
        Some(FoundPage {
            title: meta.title,
            site,
            description: meta.description,
            image,
        })
    }

    /// A bounded copy of the image at `url` in the file store: `(id, content type)`.
    async fn image(&self, url: &Url) -> Option<(String, String)> {
        let bytes = self
            .fetcher
            .image(url)
            .await
            .inspect_err(|error| tracing::debug!(%error, "no link preview image"))
            .ok()?;
        let (source, mut file) = self.hub.files.partial().await.ok()?;
        file.write_all(&bytes).await.ok()?;
        file.flush().await.ok()?;
        drop(file);
        let id = files::new_id();
        let turns = self.hub.picture_turns(&self.image_turns);
        let kind = preview::make_in_turn(&turns, source.path(), &id).await?;
        Some((id, kind))
    }
}
