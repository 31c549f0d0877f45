//! Name keys: the column every username and room name is unique by.
//!
//! A key is [`protocol::names::unique_key`] (case and look-alike characters folded). When the
//! rule changes, [`NAME_KEYS_VERSION`] goes up and [`Store::connect`](crate::Store::connect)
//! recomputes every stored key once. Two old names that now fold to the same key keep the
//! older one's key; the newer gets a key that no typed name can produce (`<key>#<id>`), so
//! nothing is lost and neither can be impersonated.

use sqlx::AnyConnection;

use crate::{Result, Store};

/// Version of the key rule the stored keys follow.
pub const NAME_KEYS_VERSION: i64 = 2;

const META_KEY: &str = "name_keys";

/// The uniqueness key of a name.
#[must_use]
pub fn key(name: &str) -> String {
    protocol::names::unique_key(name)
}

impl Store {
    /// Recomputes stored name keys if they follow an older rule.
    pub(crate) async fn rekey_names(&self) -> Result<()> {
        let mut tx = self.write_tx().await?;
        self.lock_writers(&mut tx).await?;
        let version: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(META_KEY)
            .fetch_optional(&mut *tx)
            .await?;
        if version.and_then(|v| v.parse::<i64>().ok()) >= Some(NAME_KEYS_VERSION) {
            return Ok(());
        }
        let users = rekey_table(&mut tx, "users", "username", "username_key").await?;
        let rooms = rekey_table(&mut tx, "rooms", "name", "name_key").await?;
        // Display names' keys follow in `fill_display_name_keys`, which runs next.
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(META_KEY)
        .bind(NAME_KEYS_VERSION.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(users, rooms, "name keys recomputed");
        Ok(())
    }
}

impl Store {
    /// Brings every display name's key in line with its name (v1.31): names set before keys
    /// existed, keys of an older folding rule, names changed or cleared by an older build.
    /// Returns how many keys changed. Each row is written only if its name is still the one
    /// read, 500 rows a transaction.
    pub async fn fill_display_name_keys(&self) -> Result<usize> {
        let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, display_name, display_name_key FROM users \
             WHERE display_name IS NOT NULL OR display_name_key IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let stale: Vec<(i64, Option<String>, Option<String>)> = rows
            .into_iter()
            .filter_map(|(id, name, stored)| {
                let fresh = name.as_deref().map(key);
                (fresh != stored).then_some((id, name, fresh))
            })
            .collect();
        for batch in stale.chunks(500) {
            let mut tx = self.write_tx().await?;
            for (id, name, fresh) in batch {
                let update = match name {
                    Some(name) => sqlx::query(
                        "UPDATE users SET display_name_key = $1 \
                         WHERE id = $2 AND display_name = $3",
                    )
                    .bind(fresh.as_deref())
                    .bind(id)
                    .bind(name.as_str()),
                    None => sqlx::query(
                        "UPDATE users SET display_name_key = NULL \
                         WHERE id = $1 AND display_name IS NULL",
                    )
                    .bind(id),
                };
                update.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        if !stale.is_empty() {
            tracing::info!(count = stale.len(), "display name keys brought in line");
        }
        Ok(stale.len())
    }
}

/// Recomputes one table's keys, oldest row first; returns how many rows it looked at.
async fn rekey_table(
    conn: &mut AnyConnection,
    table: &str,
    name_column: &str,
    key_column: &str,
) -> Result<usize> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
        "SELECT id, {name_column}, {key_column} FROM {table} ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    // Park every key on a value no name produces first, so rows can swap keys freely.
    sqlx::query(&format!(
        "UPDATE {table} SET {key_column} = '~' || CAST(id AS TEXT) || '~' || {key_column}"
    ))
    .execute(&mut *conn)
    .await?;
    let mut taken = std::collections::HashSet::new();
    for (id, name, old) in &rows {
        // Released guests keep their non-name key.
        let fresh = if old.starts_with('~') {
            old.clone()
        } else {
            key(name)
        };
        let fresh = if taken.insert(fresh.clone()) {
            fresh
        } else {
            tracing::warn!(
                table,
                id,
                name,
                "two stored names look alike; the newer keeps a private key"
            );
            format!("{fresh}#{id}")
        };
        sqlx::query(&format!(
            "UPDATE {table} SET {key_column} = $1 WHERE id = $2"
        ))
        .bind(&fresh)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len())
}
