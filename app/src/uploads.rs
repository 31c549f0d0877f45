//! Files being attached to the next message: each upload's progress, result, and the room it
//! is for. Pure data; the browser side (`live::browser::files`) does the uploading.

use protocol::Attachment;

/// Where one upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadState {
    /// Bytes on their way: `sent` of the upload's `size`.
    Sending {
        /// Bytes sent so far.
        sent: u64,
    },
    /// Stored by the server; goes with the next message sent in its room.
    Done(Attachment),
    /// Refused or lost; the reason is shown until the person removes it.
    Failed(String),
}

/// One file picked, pasted or dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Unique in this tab.
    pub key: u64,
    /// The room (key) it is for.
    pub room: String,
    /// The file's name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Where it stands.
    pub state: UploadState,
}

impl Upload {
    /// How far it is, 0–100.
    #[must_use]
    pub fn percent(&self) -> u64 {
        match &self.state {
            UploadState::Sending { sent } if self.size > 0 => (sent * 100 / self.size).min(100),
            UploadState::Sending { .. } => 0,
            UploadState::Done(_) | UploadState::Failed(_) => 100,
        }
    }
}

/// Every upload of this tab not yet sent with a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uploads {
    next: u64,
    /// In the order they were added.
    pub items: Vec<Upload>,
}

impl Uploads {
    /// Starts tracking a file for `room`; its key.
    pub fn add(&mut self, room: &str, name: &str, size: u64) -> u64 {
        self.next += 1;
        self.items.push(Upload {
            key: self.next,
            room: room.to_owned(),
            name: name.to_owned(),
            size,
            state: UploadState::Sending { sent: 0 },
        });
        self.next
    }

    /// Bytes sent so far.
    pub fn progress(&mut self, key: u64, sent: u64) {
        if let Some(upload) = self.get_mut(key)
            && matches!(upload.state, UploadState::Sending { .. })
        {
            upload.state = UploadState::Sending { sent };
        }
    }

    /// The server's answer.
    pub fn finish(&mut self, key: u64, result: Result<Attachment, String>) {
        if let Some(upload) = self.get_mut(key) {
            upload.state = match result {
                Ok(attachment) => UploadState::Done(attachment),
                Err(reason) => UploadState::Failed(reason),
            };
        }
    }

    /// Forgets one (removed by the person).
    pub fn remove(&mut self, key: u64) {
        self.items.retain(|upload| upload.key != key);
    }

    /// The uploads of a room, in order.
    pub fn in_room<'a>(&'a self, room: &'a str) -> impl Iterator<Item = &'a Upload> + 'a {
        self.items.iter().filter(move |upload| upload.room == room)
    }

    /// Whether a file is still on its way to the server in `room`.
    #[must_use]
    pub fn busy(&self, room: &str) -> bool {
        self.in_room(room)
            .any(|upload| matches!(upload.state, UploadState::Sending { .. }))
    }

    /// The files ready to go with a message in `room` (at most the contract's limit); `None`
    /// while one is still uploading.
    #[must_use]
    pub fn ready(&self, room: &str) -> Option<Vec<Attachment>> {
        if self.busy(room) {
            return None;
        }
        Some(
            self.in_room(room)
                .filter_map(|upload| match &upload.state {
                    UploadState::Done(attachment) => Some(attachment.clone()),
                    _ => None,
                })
                .take(protocol::validate::ATTACHMENTS_MAX)
                .collect(),
        )
    }

    /// Takes the files [`Self::ready`] gave (they are sent now).
    pub fn take_ready(&mut self, room: &str) {
        let Some(ready) = self.ready(room) else {
            return;
        };
        self.items.retain(|upload| match &upload.state {
            UploadState::Done(attachment) => upload.room != room || !ready.contains(attachment),
            _ => true,
        });
    }

    fn get_mut(&mut self, key: u64) -> Option<&mut Upload> {
        self.items.iter_mut().find(|upload| upload.key == key)
    }
}

/// Where the files for the next reply in the thread of `root` in the room with key `room`
/// wait (the room's own composer uses the room's key).
#[must_use]
pub fn thread_slot(room: &str, root: i64) -> String {
    format!("{room}#thread-{root}")
}

/// `3.4 MB`, `12 KB`, `512 bytes`.
#[must_use]
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let size = bytes as f64;
    if size >= KB * KB {
        format!("{:.1} MB", size / KB / KB)
    } else if size >= KB {
        format!("{:.0} KB", size / KB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: &str) -> Attachment {
        Attachment {
            id: id.repeat(32),
            name: format!("{id}.png"),
            ..Attachment::default()
        }
    }

    #[test]
    fn a_message_waits_for_its_rooms_uploads_only() {
        let mut uploads = Uploads::default();
        let a = uploads.add("den", "a.png", 1000);
        let b = uploads.add("den", "b.png", 10);
        let elsewhere = uploads.add("lobby", "c.png", 10);
        uploads.progress(a, 500);
        assert_eq!(uploads.items[0].percent(), 50);
        assert_eq!(uploads.ready("den"), None);
        uploads.finish(a, Ok(stored("a")));
        uploads.finish(b, Err("too large".into()));
        // The failed one stays on screen but does not hold the message back.
        assert_eq!(uploads.ready("den"), Some(vec![stored("a")]));
        assert_eq!(uploads.ready("lobby"), None);
        uploads.take_ready("den");
        assert_eq!(uploads.in_room("den").count(), 1);
        assert_eq!(uploads.ready("den"), Some(vec![]));
        uploads.remove(b);
        uploads.finish(elsewhere, Ok(stored("c")));
        assert_eq!(uploads.ready("lobby"), Some(vec![stored("c")]));
        // A late progress report does not undo a result.
        uploads.progress(elsewhere, 3);
        assert!(matches!(uploads.items[0].state, UploadState::Done(_)));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(12 * 1024), "12 KB");
        assert_eq!(human_size(3_565_158), "3.4 MB");
    }
}
