//! How people show: their profile pictures (v1.25; the bytes live in the file store under the
//! picture's id, a new one for each picture) and display names (v1.26).

use crate::{Result, Store, StoreError};

/// A picture kept for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    /// Its id in the file store (32 lowercase hex digits).
    pub id: String,
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
}

/// How one account shows.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProfileRecord {
    /// The account.
    pub id: i64,
    /// Its picture's id, if it has one.
    pub avatar: Option<String>,
    /// Its display name, if it set one.
    pub display_name: Option<String>,
}

impl Store {
    /// Sets the picture of `user_id` (`None` takes it away). Returns the id of the picture it
    /// replaces, whose bytes the caller removes (`None`: there was none). Runs under the
    /// writers' lock, like [`Store::erase_user`]: two changes at once, or a change and the
    /// account's deletion, each see what the other left.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such account (erased, or never was): nothing
    /// changed; [`StoreError::Database`] on failure.
    pub async fn set_avatar(
        &self,
        user_id: i64,
        avatar: Option<&Avatar>,
    ) -> Result<Option<String>> {
        let mut tx = self.write_tx().await?;
        self.lock_writers(&mut tx).await?;
        let before: Option<Option<String>> =
            sqlx::query_scalar("SELECT avatar FROM users WHERE id = $1 AND deleted_at IS NULL")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(before) = before else {
            return Err(StoreError::NotFound);
        };
        sqlx::query("UPDATE users SET avatar = $1, avatar_type = $2 WHERE id = $3")
            .bind(avatar.map(|a| a.id.as_str()))
            .bind(avatar.map(|a| a.content_type.as_str()))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(before)
    }

    /// The profiles of the accounts among `ids` (not erased ones), in id order.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn profiles(&self, ids: &[i64]) -> Result<Vec<ProfileRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, avatar, display_name FROM users \
             WHERE deleted_at IS NULL AND id IN ({}) ORDER BY id",
            crate::db::placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, ProfileRecord>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Sets the display name of `user_id` (`None` clears it). A name that is another
    /// account's username (case and look-alikes folded) is refused: nobody passes for
    /// someone else.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] for another account's username; [`StoreError::NotFound`] when
    /// there is no such account; [`StoreError::Database`] on failure.
    pub async fn set_display_name(&self, user_id: i64, name: Option<&str>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // Under the writers' lock, as accounts are made: no name can be taken meanwhile.
        self.lock_writers(&mut tx).await?;
        if let Some(name) = name {
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT id FROM users WHERE username_key = $1 AND id <> $2")
                    .bind(crate::name_key(name))
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict);
            }
        }
        let done = sqlx::query(
            "UPDATE users SET display_name = $1, display_name_key = $2 \
             WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(name)
        .bind(name.map(crate::name_key))
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Takes away `user_id`'s picture and display name in one transaction: what they were
    /// (the picture's id, whose bytes are to go, and the name).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such account (or it was deleted);
    /// [`StoreError::Database`] on failure.
    pub async fn clear_profile(&self, user_id: i64) -> Result<(Option<String>, Option<String>)> {
        let mut tx = self.write_tx().await?;
        self.lock_writers(&mut tx).await?;
        let before: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT avatar, display_name FROM users WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Err(StoreError::NotFound);
        };
        sqlx::query(
            "UPDATE users SET avatar = NULL, avatar_type = NULL, display_name = NULL, \
             display_name_key = NULL WHERE id = $1",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before)
    }

    /// The content type of picture `id`, while it is someone's picture.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn avatar_type(&self, id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT avatar_type FROM users WHERE avatar = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Avatar;
    use crate::{Store, StoreError};

    fn picture(id: char) -> Avatar {
        Avatar {
            id: id.to_string().repeat(32),
            content_type: "image/jpeg".into(),
        }
    }

    #[tokio::test]
    async fn a_new_picture_replaces_the_old_one_which_is_then_nobodys() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        assert_eq!(
            store.set_avatar(ana.id, Some(&picture('a'))).await.unwrap(),
            None
        );
        assert_eq!(
            store.avatar_type(&"a".repeat(32)).await.unwrap().as_deref(),
            Some("image/jpeg")
        );
        let replaced = store.set_avatar(ana.id, Some(&picture('b'))).await.unwrap();
        assert_eq!(replaced, Some("a".repeat(32)));
        assert_eq!(store.avatar_type(&"a".repeat(32)).await.unwrap(), None);
        let shown: Vec<(i64, Option<String>)> = store
            .profiles(&[bea.id, ana.id, 999])
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.id, p.avatar))
            .collect();
        assert_eq!(shown, [(ana.id, Some("b".repeat(32))), (bea.id, None)]);
        assert_eq!(
            store.set_avatar(ana.id, None).await.unwrap(),
            Some("b".repeat(32))
        );
        assert_eq!(store.profiles(&[ana.id]).await.unwrap()[0].avatar, None);
        // No such account: refused, nothing stored.
        assert!(matches!(
            store.set_avatar(999, Some(&picture('c'))).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.avatar_type(&"c".repeat(32)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_erased_account_gives_its_picture_to_be_removed() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        store.set_avatar(ana.id, Some(&picture('d'))).await.unwrap();
        let erased = store.erase_user(ana.id, false, 1).await.unwrap();
        assert_eq!(erased.avatar, Some("d".repeat(32)));
        assert_eq!(store.avatar_type(&"d".repeat(32)).await.unwrap(), None);
        assert!(store.profiles(&[ana.id]).await.unwrap().is_empty());
        // Its picture cannot be set again once it is gone.
        assert!(matches!(
            store.set_avatar(ana.id, Some(&picture('e'))).await,
            Err(StoreError::NotFound)
        ));
    }

    #[tokio::test]
    async fn a_forgotten_guest_gives_its_picture_to_be_removed() {
        let store = Store::in_memory().await.unwrap();
        let guest = store.create_guest("ana", 1).await.unwrap();
        store
            .set_avatar(guest.id, Some(&picture('f')))
            .await
            .unwrap();
        assert!(store.release_guest(guest.id, 2).await.unwrap());
        assert_eq!(
            store.delete_forgotten_guests(1_000).await.unwrap(),
            (1, vec!["f".repeat(32)])
        );
        assert_eq!(store.avatar_type(&"f".repeat(32)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_display_name_is_kept_cleared_and_never_anothers_username() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        store.create_guest("bea", 0).await.unwrap();
        store
            .set_display_name(ana.id, Some("Ana García"))
            .await
            .unwrap();
        assert_eq!(
            store.profiles(&[ana.id]).await.unwrap()[0]
                .display_name
                .as_deref(),
            Some("Ana García")
        );
        // Her own username is hers to use; another's (any case, look-alikes) is not.
        store.set_display_name(ana.id, Some("ANA")).await.unwrap();
        for taken in ["bea", "BEA", "bеa"] {
            assert!(
                matches!(
                    store.set_display_name(ana.id, Some(taken)).await,
                    Err(StoreError::Conflict)
                ),
                "{taken}"
            );
        }
        store.set_display_name(ana.id, None).await.unwrap();
        assert_eq!(
            store.profiles(&[ana.id]).await.unwrap()[0].display_name,
            None
        );
        assert!(matches!(
            store.set_display_name(999, Some("Nobody")).await,
            Err(StoreError::NotFound)
        ));
    }
}
