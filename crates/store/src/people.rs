//! The people directory (v1.12): every account others can reach, by name.

use crate::users::{UserRecord, UserRow};
use crate::{Result, Store};

/// An account and its status line.
#[derive(sqlx::FromRow)]
struct PersonRow {
    #[sqlx(flatten)]
    user: UserRow,
    status: Option<String>,
}

/// `text` made literal inside a `LIKE` pattern (escape character `\`).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Store {
    /// Accounts by name key (case and look-alikes folded): not deleted, banned or released, and
    /// no webhook's bot (a bot with an API token is, v1.33, with its record saying so);
    /// only those whose username's or (v1.31) display name's key contains `contains_key` (a
    /// [`crate::name_key`]), after the one whose key is `after_key`; at most `limit`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn people(
        &self,
        contains_key: Option<&str>,
        after_key: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(UserRecord, Option<String>)>> {
        // People, and (v1.33) bots with API tokens while they work (a webhook's bot has no
        // row in `bots`, so it never is).
        let mut sql = format!(
            "SELECT id, username, role, password_hash, banned_at, bot, status FROM users \
             WHERE deleted_at IS NULL AND banned_at IS NULL AND {} \
             AND username_key NOT LIKE '~%'",
            crate::bots::bot_in_good_standing("users")
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if contains_key.is_some() {
            // The username, or (v1.31) the display name, folded the same way.
            let (by_name, by_display_name) = (next(), next());
            sql.push_str(&format!(
                " AND (username_key LIKE {by_name} ESCAPE '\\' \
                 OR (display_name IS NOT NULL \
                     AND display_name_key LIKE {by_display_name} ESCAPE '\\'))"
            ));
        }
        if after_key.is_some() {
            sql.push_str(&format!(" AND username_key > {}", next()));
        }
        sql.push_str(&format!(" ORDER BY username_key LIMIT {}", next()));
        let mut query = sqlx::query_as::<_, PersonRow>(&sql);
        if let Some(key) = contains_key {
            let pattern = format!("%{}%", like_literal(key));
            query = query.bind(pattern.clone()).bind(pattern);
        }
        if let Some(key) = after_key {
            query = query.bind(key.to_owned());
        }
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|row| (UserRecord::from(row.user), row.status))
            .collect())
    }

    /// Sets `user_id`'s status line (`None` clears it).
    ///
    /// # Errors
    /// Database failures.
    pub async fn set_status(&self, user_id: i64, status: Option<&str>) -> Result<()> {
        self.write(async |conn| {
            sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
                .bind(status)
                .bind(user_id)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, name_key};

    fn names(users: &[(crate::UserRecord, Option<String>)]) -> Vec<&str> {
        users
            .iter()
            .map(|(u, _)| u.user.username.as_str())
            .collect()
    }

    #[tokio::test]
    async fn everyone_reachable_by_name_a_page_at_a_time() {
        let store = Store::in_memory().await.unwrap();
        for name in ["Bea", "ana", "a_b", "carl", "axb"] {
            store.create_account(name, "h", 0).await.unwrap();
        }
        let gone = store.create_guest("gone", 0).await.unwrap();
        store.release_guest(gone.id, 1).await.unwrap();
        let banned = store.create_guest("banned", 0).await.unwrap();
        store.set_banned(banned.id, true, 1).await.unwrap();
        let all = store.people(None, None, 10).await.unwrap();
        assert_eq!(names(&all), ["a_b", "ana", "axb", "Bea", "carl"]);
        let page = store.people(None, Some(&name_key("ana")), 2).await.unwrap();
        assert_eq!(names(&page), ["axb", "Bea"]);
        let found = store.people(Some(&name_key("A")), None, 10).await.unwrap();
        assert_eq!(names(&found), ["a_b", "ana", "axb", "Bea", "carl"]);
        // `_` is a character here, not a wildcard.
        let found = store.people(Some(&name_key("_")), None, 10).await.unwrap();
        assert_eq!(names(&found), ["a_b"]);
        let found = store.people(Some(&name_key("EA")), None, 10).await.unwrap();
        assert_eq!(names(&found), ["Bea"]);
        assert_eq!(found[0].1, None);
        store
            .set_status(found[0].0.user.id, Some("on holiday"))
            .await
            .unwrap();
        let found = store
            .people(Some(&name_key("bea")), None, 10)
            .await
            .unwrap();
        assert_eq!(found[0].1.as_deref(), Some("on holiday"));
    }

    #[tokio::test]
    async fn display_names_are_searched_folded_like_usernames() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_account("ana", "h", 0).await.unwrap();
        store.create_account("bea", "h", 0).await.unwrap();
        store
            .set_display_name(ana.id, Some("María García"))
            .await
            .unwrap();
        for typed in ["garcía", "GARCÍA", "maría g", "ana"] {
            let found = store
                .people(Some(&name_key(typed)), None, 10)
                .await
                .unwrap();
            assert_eq!(names(&found), ["ana"], "{typed}");
        }
        // Cleared, the name finds nothing more.
        store.set_display_name(ana.id, None).await.unwrap();
        let found = store
            .people(Some(&name_key("garcía")), None, 10)
            .await
            .unwrap();
        assert!(found.is_empty());
        // A display name stored before its key existed (v1.26) gets one when filled in.
        store
            .execute_raw("UPDATE users SET display_name = 'Beatriz Ortiz' WHERE username = 'bea'")
            .await
            .unwrap();
        assert!(
            store
                .people(Some(&name_key("ortiz")), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.fill_display_name_keys().await.unwrap(), 1);
        let found = store
            .people(Some(&name_key("ortiz")), None, 10)
            .await
            .unwrap();
        assert_eq!(names(&found), ["bea"]);
        assert_eq!(store.fill_display_name_keys().await.unwrap(), 0);
    }
}
