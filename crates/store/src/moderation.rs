//! Moderation: mutes per room, banned accounts and the audit log.

use protocol::AuditEntry;
use protocol::events::AuditAction;
use sqlx::FromRow;

use crate::{Result, Store};

/// A moderation action to record.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    /// Who acted (their id and name at the time).
    pub actor_id: i64,
    /// Their name.
    pub actor: &'a str,
    /// What.
    pub action: AuditAction,
    /// To whom.
    pub target: Option<&'a str>,
    /// Where.
    pub room: Option<&'a str>,
    /// More.
    pub detail: Option<String>,
}

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    ts: i64,
    actor: String,
    action: String,
    target: Option<String>,
    room: Option<String>,
    detail: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            ts: row.ts,
            actor: row.actor,
            action: AuditAction::parse(&row.action),
            target: row.target,
            room: row.room,
            detail: row.detail,
        }
    }
}

impl Store {
    /// Mutes a user in a room until `until` (ms), or lifts the mute (`None`); whether a mute
    /// was in place before.
    ///
    /// # Errors
    /// Database failures.
    pub async fn set_mute(&self, room_id: i64, user_id: i64, until: Option<i64>) -> Result<bool> {
        let removed = self
            .write(async |conn| {
                sqlx::query("DELETE FROM room_mutes WHERE room_id = $1 AND user_id = $2")
                    .bind(room_id)
                    .bind(user_id)
                    .execute(conn)
                    .await
            })
            .await?
            .rows_affected()
            > 0;
        if let Some(until) = until {
            self.write(async |conn| {
                sqlx::query("INSERT INTO room_mutes (room_id, user_id, until) VALUES ($1, $2, $3)")
                    .bind(room_id)
                    .bind(user_id)
                    .bind(until)
                    .execute(conn)
                    .await
            })
            .await?;
        }
        Ok(removed)
    }

    /// Until when (ms) a user is muted in a room, if they are at `now`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn muted_until(&self, room_id: i64, user_id: i64, now: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT until FROM room_mutes WHERE room_id = $1 AND user_id = $2 AND until > $3",
        )
        .bind(room_id)
        .bind(user_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Bans an account (or lifts the ban); whether anything changed. A ban also ends every
    /// session of the account.
    ///
    /// # Errors
    /// Database failures.
    pub async fn set_banned(&self, user_id: i64, banned: bool, now: i64) -> Result<bool> {
        let done = if banned {
            self.write(async |conn| {
                sqlx::query("UPDATE users SET banned_at = $1 WHERE id = $2 AND banned_at IS NULL")
                    .bind(now)
                    .bind(user_id)
                    .execute(conn)
                    .await
            })
            .await?
        } else {
            self.write(async |conn| {
                sqlx::query(
                    "UPDATE users SET banned_at = NULL WHERE id = $1 AND banned_at IS NOT NULL",
                )
                .bind(user_id)
                .execute(conn)
                .await
            })
            .await?
        };
        if banned {
            self.revoke_user_sessions(user_id, now).await?;
        }
        Ok(done.rows_affected() > 0)
    }

    /// Records a moderation action at `ts`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn record_audit(&self, entry: &NewAudit<'_>, ts: i64) -> Result<AuditEntry> {
        let id: i64 = self
            .write(async |conn| {
                sqlx::query_scalar(
                    // The actor's id only while its account exists (someone who deleted their
                    // own account and messages is gone by now; their name stays in `actor`).
                    "INSERT INTO audit_log (ts, actor_id, actor, action, target, room, detail) \
             VALUES ($1, (SELECT id FROM users WHERE id = $2), $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(ts)
                .bind(entry.actor_id)
                .bind(entry.actor)
                .bind(entry.action.as_str())
                .bind(entry.target)
                .bind(entry.room)
                .bind(entry.detail.as_deref())
                .fetch_one(conn)
                .await
            })
            .await?;
        Ok(AuditEntry {
            id,
            ts,
            actor: entry.actor.to_owned(),
            action: entry.action.clone(),
            target: entry.target.map(str::to_owned),
            room: entry.room.map(str::to_owned),
            detail: entry.detail.clone(),
        })
    }

    /// The newest `limit` audit entries, newest first.
    ///
    /// # Errors
    /// Database failures.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, ts, actor, action, target, room, detail FROM audit_log \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn mutes_expire_bans_end_sessions_and_actions_are_logged() {
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        assert_eq!(
            store.muted_until(general.id, ana.id, 0).await.unwrap(),
            None
        );
        assert!(!store.set_mute(general.id, ana.id, Some(100)).await.unwrap());
        assert_eq!(
            store.muted_until(general.id, ana.id, 50).await.unwrap(),
            Some(100)
        );
        assert_eq!(
            store.muted_until(general.id, ana.id, 100).await.unwrap(),
            None,
            "expired"
        );
        assert!(store.set_mute(general.id, ana.id, None).await.unwrap());
        assert_eq!(
            store.muted_until(general.id, ana.id, 50).await.unwrap(),
            None
        );

        store
            .create_session(ana.id, "hash", None, 0, 1_000_000)
            .await
            .unwrap();
        assert!(store.session_user("hash", 1).await.unwrap().is_some());
        assert!(store.set_banned(ana.id, true, 2).await.unwrap());
        assert!(!store.set_banned(ana.id, true, 3).await.unwrap());
        assert!(store.session_user("hash", 4).await.unwrap().is_none());
        assert!(store.user_by_name("ana").await.unwrap().unwrap().banned);
        assert!(store.set_banned(ana.id, false, 5).await.unwrap());
        assert!(!store.user_by_name("ana").await.unwrap().unwrap().banned);

        for (n, action) in [AuditAction::Ban, AuditAction::Unban]
            .into_iter()
            .enumerate()
        {
            let entry = NewAudit {
                actor_id: ana.id,
                actor: "ana",
                action,
                target: Some("eve"),
                room: None,
                detail: None,
            };
            store.record_audit(&entry, n as i64).await.unwrap();
        }
        let log = store.audit_log(10).await.unwrap();
        assert_eq!(
            log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["unban", "ban"]
        );
        assert_eq!(log[0].target.as_deref(), Some("eve"));
    }
}
