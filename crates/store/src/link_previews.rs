//! Link previews (v1.16): what the server read from a link's page, kept per address, and which
//! link each message previews. A message shows its preview once its link has one; a new
//! preview (or a message whose link changed) marks the message changed, so a client catching
//! up with `changes` reads it.

use std::collections::HashMap;

use protocol::{LinkPreview, Message};

use crate::messages::mark_changed;
use crate::{Result, Store};

/// What a page gave for its preview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundPage {
    /// Its title (plain text, bounded).
    pub title: String,
    /// The site's name, else the link's host.
    pub site: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// Its image as kept in the file store: `(id, content type)`.
    pub image: Option<(String, String)>,
}

/// A message whose preview became ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyPreview {
    /// The message's room.
    pub room_id: i64,
    /// Its name.
    pub room: String,
    /// The preview.
    pub preview: LinkPreview,
}

/// A link's preview as read: url, title, site, description, image id.
type PreviewRow = (String, String, String, Option<String>, Option<String>);

/// A preview read for a message: its id or its room's, then the rest as [`PreviewRow`] without
/// the url.
type KeyedRow = (i64, String, String, String, Option<String>, Option<String>);

fn preview_of((url, title, site, description, image_id): PreviewRow) -> LinkPreview {
    LinkPreview {
        url,
        site,
        title,
        description,
        image_url: image_id.map(|id| protocol::links::link_image(&id)),
    }
}

impl Store {
    /// Sets the link message `message_id` previews (`None`: none). Whether it changed (the
    /// message is then marked changed at `ts`).
    ///
    /// # Errors
    /// Database failures.
    pub async fn set_message_link(
        &self,
        message_id: i64,
        url: Option<&str>,
        ts: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT url FROM message_previews WHERE message_id = $1")
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?;
        if current.as_deref() == url {
            return Ok(false);
        }
        sqlx::query("DELETE FROM message_previews WHERE message_id = $1")
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        if let Some(url) = url {
            sqlx::query("INSERT INTO message_previews (message_id, url) VALUES ($1, $2)")
                .bind(message_id)
                .bind(url)
                .execute(&mut *tx)
                .await?;
        }
        mark_changed(&mut tx, message_id, ts).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// When `url` was last fetched, if it was, and whether that gave a preview.
    ///
    /// # Errors
    /// Database failures.
    pub async fn link_fetched(&self, url: &str) -> Result<Option<(i64, bool)>> {
        let row: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT fetched_ts, title FROM link_previews WHERE url = $1")
                .bind(url)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(at, title)| (at, title.is_some())))
    }

    /// Keeps what fetching `url` at `ts` gave (`None`: no preview). A preview, once made, is
    /// kept as it is: a later fetch (a link shared again while another fetch of it ran, on
    /// this node or another) changes nothing, and neither does a failure. Whether `found` was
    /// kept (when not, its image is nobody's and its file is to be removed).
    ///
    /// # Errors
    /// Database failures.
    pub async fn save_link_preview(
        &self,
        url: &str,
        ts: i64,
        found: Option<&FoundPage>,
    ) -> Result<bool> {
        let (image_id, image_type) = found
            .and_then(|page| page.image.clone())
            .map_or((None, None), |(id, kind)| (Some(id), Some(kind)));
        // One statement, whoever else writes the same link at once: only a row without a
        // preview (a failure) is ever replaced.
        let done = sqlx::query(
            "INSERT INTO link_previews (url, fetched_ts, title, site, description, image_id, \
             image_type) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (url) DO UPDATE SET fetched_ts = excluded.fetched_ts, \
             title = excluded.title, site = excluded.site, description = excluded.description, \
             image_id = excluded.image_id, image_type = excluded.image_type \
             WHERE link_previews.title IS NULL",
        )
        .bind(url)
        .bind(ts)
        .bind(found.map(|page| page.title.clone()))
        .bind(found.map_or_else(String::new, |page| page.site.clone()))
        .bind(found.and_then(|page| page.description.clone()))
        .bind(image_id)
        .bind(image_type)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Forgets links no message previews any more, fetched before `before` (ms); the ids of
    /// their images, whose files are to be removed.
    ///
    /// # Errors
    /// Database failures.
    pub async fn sweep_link_previews(&self, before: i64) -> Result<Vec<String>> {
        let unused = "fetched_ts < $1 AND NOT EXISTS \
             (SELECT 1 FROM message_previews mp WHERE mp.url = link_previews.url)";
        let mut tx = self.write_tx().await?;
        let images: Vec<Option<String>> = sqlx::query_scalar(&format!(
            "SELECT image_id FROM link_previews WHERE {unused}"
        ))
        .bind(before)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(&format!("DELETE FROM link_previews WHERE {unused}"))
            .bind(before)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(images.into_iter().flatten().collect())
    }

    /// Message `message_id`'s preview of `url`, when the message (not deleted) still previews
    /// that link and the link has a preview; the message is then marked changed at `ts`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn preview_ready(
        &self,
        message_id: i64,
        url: &str,
        ts: i64,
    ) -> Result<Option<ReadyPreview>> {
        let mut tx = self.write_tx().await?;
        let row: Option<KeyedRow> = sqlx::query_as(
            "SELECT r.id, r.name, lp.title, lp.site, lp.description, lp.image_id \
                 FROM message_previews mp \
                 JOIN messages m ON m.id = mp.message_id \
                 JOIN rooms r ON r.id = m.room_id \
                 JOIN link_previews lp ON lp.url = mp.url \
                 WHERE mp.message_id = $1 AND mp.url = $2 AND m.deleted_ts IS NULL \
                   AND lp.title IS NOT NULL",
        )
        .bind(message_id)
        .bind(url)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((room_id, room, title, site, description, image_id)) = row else {
            return Ok(None);
        };
        mark_changed(&mut tx, message_id, ts).await?;
        tx.commit().await?;
        Ok(Some(ReadyPreview {
            room_id,
            room,
            preview: preview_of((url.to_owned(), title, site, description, image_id)),
        }))
    }

    /// The content type of a link preview's image, if `image_id` is one.
    ///
    /// # Errors
    /// Database failures.
    pub async fn link_image_type(&self, image_id: &str) -> Result<Option<String>> {
        let found: Option<Option<String>> =
            sqlx::query_scalar("SELECT image_type FROM link_previews WHERE image_id = $1")
                .bind(image_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.flatten())
    }

    /// Fills in the previews of `messages` (one query for all of them; deleted ones have none).
    pub(crate) async fn attach_previews(&self, messages: &mut [Message]) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT mp.message_id, lp.url, lp.title, lp.site, lp.description, lp.image_id \
             FROM message_previews mp JOIN link_previews lp ON lp.url = mp.url \
             WHERE lp.title IS NOT NULL AND mp.message_id IN ({})",
            crate::db::placeholders(1, messages.len())
        );
        let mut query = sqlx::query_as::<_, KeyedRow>(&sql);
        for message in messages.iter() {
            query = query.bind(message.id);
        }
        let mut previews: HashMap<i64, Box<LinkPreview>> = query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(id, url, title, site, description, image_id)| {
                let preview = preview_of((url, title, site, description, image_id));
                (id, Box::new(preview))
            })
            .collect();
        for message in messages.iter_mut().filter(|m| !m.deleted) {
            message.preview = previews.remove(&message.id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use protocol::User;

    use crate::{RoomRecord, Store};

    use super::FoundPage;

    async fn setup() -> (Store, User, RoomRecord) {
        let store = Store::in_memory().await.unwrap();
        let room = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        (store, ana, room)
    }

    async fn say(store: &Store, room: &RoomRecord, user: &User, text: &str, ts: i64) -> i64 {
        let (message, _) = store
            .insert_message(room, user, text, ts, None)
            .await
            .unwrap();
        message.id
    }

    fn page(title: &str, image: Option<&str>) -> FoundPage {
        FoundPage {
            title: title.to_owned(),
            site: "example.org".to_owned(),
            description: Some("About it".to_owned()),
            image: image.map(|id| (id.to_owned(), "image/png".to_owned())),
        }
    }

    #[tokio::test]
    async fn a_message_shows_its_links_preview_once_there_is_one() {
        let (store, ana, room) = setup().await;
        let url = "https://example.org/a";
        let id = say(&store, &room, &ana, "see https://example.org/a", 10).await;
        assert!(store.set_message_link(id, Some(url), 11).await.unwrap());
        assert!(!store.set_message_link(id, Some(url), 12).await.unwrap());
        // Not fetched yet: nothing to show, nothing ready.
        assert!(store.preview_ready(id, url, 12).await.unwrap().is_none());
        let record = store.message(id).await.unwrap().unwrap();
        assert_eq!(record.message.preview, None);

        assert_eq!(store.link_fetched(url).await.unwrap(), None);
        assert!(
            store
                .save_link_preview(url, 20, Some(&page("A", Some("img1"))))
                .await
                .unwrap()
        );
        assert_eq!(store.link_fetched(url).await.unwrap(), Some((20, true)));
        let ready = store.preview_ready(id, url, 21).await.unwrap().unwrap();
        assert_eq!(ready.room, "general");
        assert_eq!(ready.preview.title, "A");
        assert_eq!(
            ready.preview.image_url.as_deref(),
            Some("/api/link-images/img1")
        );
        let record = store.message(id).await.unwrap().unwrap();
        assert_eq!(
            record.message.preview,
            Some(Box::new(ready.preview.clone()))
        );
        // Catching up reads it.
        let changed = store.changes(&room, 20, 100).await.unwrap();
        assert!(
            changed
                .iter()
                .any(|(m, _)| m.id == id && m.preview.is_some())
        );
        assert_eq!(
            store.link_image_type("img1").await.unwrap().as_deref(),
            Some("image/png")
        );

        // A preview once made stays: a second fetch's result (and its image) is not kept,
        // and a failure wipes nothing.
        assert!(
            !store
                .save_link_preview(url, 30, Some(&page("B", Some("img2"))))
                .await
                .unwrap()
        );
        assert!(!store.save_link_preview(url, 31, None).await.unwrap());
        assert_eq!(store.link_image_type("img2").await.unwrap(), None);
        let record = store.message(id).await.unwrap().unwrap();
        assert_eq!(record.message.preview.unwrap().title, "A");
        assert_eq!(store.link_fetched(url).await.unwrap(), Some((20, true)));

        // Kept while a message previews it; swept once none does.
        assert!(store.sweep_link_previews(1_000).await.unwrap().is_empty());
        store.set_message_link(id, None, 40).await.unwrap();
        assert!(
            store.sweep_link_previews(20).await.unwrap().is_empty(),
            "too new"
        );
        assert_eq!(store.sweep_link_previews(1_000).await.unwrap(), ["img1"]);
        assert_eq!(store.link_fetched(url).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_failed_fetch_shows_nothing_and_an_edit_or_deletion_takes_the_preview_away() {
        let (store, ana, room) = setup().await;
        let (good, bad) = ("https://example.org/good", "https://example.org/bad");
        let id = say(&store, &room, &ana, "https://example.org/good", 10).await;
        let other = say(&store, &room, &ana, "https://example.org/bad", 11).await;
        store.set_message_link(id, Some(good), 12).await.unwrap();
        store.set_message_link(other, Some(bad), 12).await.unwrap();
        store
            .save_link_preview(good, 13, Some(&page("Good", None)))
            .await
            .unwrap();
        store.save_link_preview(bad, 13, None).await.unwrap();
        assert_eq!(store.link_fetched(bad).await.unwrap(), Some((13, false)));
        // A failure is tried again later, and may then give a preview.
        assert!(store.save_link_preview(bad, 14, None).await.unwrap());
        assert_eq!(store.link_fetched(bad).await.unwrap(), Some((14, false)));
        assert!(store.preview_ready(other, bad, 15).await.unwrap().is_none());
        assert!(store.preview_ready(id, good, 14).await.unwrap().is_some());
        // The message moved on to another link: the old one's preview is not its own any more.
        assert!(store.set_message_link(id, Some(bad), 15).await.unwrap());
        assert!(store.preview_ready(id, good, 16).await.unwrap().is_none());
        assert_eq!(
            store.message(id).await.unwrap().unwrap().message.preview,
            None
        );
        // Back to the good one, then deleted.
        store.set_message_link(id, Some(good), 17).await.unwrap();
        assert!(
            store
                .message(id)
                .await
                .unwrap()
                .unwrap()
                .message
                .preview
                .is_some()
        );
        store.delete_message(id, 18).await.unwrap();
        assert_eq!(
            store.message(id).await.unwrap().unwrap().message.preview,
            None
        );
        assert!(store.preview_ready(id, good, 19).await.unwrap().is_none());
    }
}
