//! Bots (v1.28) and their slash commands (v1.29). A bot is an account (`users.bot = 1`) with a
//! row in `bots` naming its owner; its API tokens are sessions that never expire, valid only
//! while that row exists and the owner is in good standing ([`BOT_IN_GOOD_STANDING`]).

use protocol::{Author, Bot, BotCommand, Role, User, validate};

use crate::db::LockSpace;
use crate::{Result, Store, StoreError};

/// A session's `expires_at` for an API token: never.
pub const NEVER_EXPIRES: i64 = i64::MAX;

/// The condition (SQL, on the session's user `u`) a session passes: a person's always; a
/// bot's while the bot exists and its owner is neither banned nor deleted.
pub(crate) const BOT_IN_GOOD_STANDING: &str = "(u.bot = 0 OR EXISTS (SELECT 1 FROM bots gb \
     JOIN users go ON go.id = gb.owner_id WHERE gb.user_id = u.id \
     AND go.banned_at IS NULL AND go.deleted_at IS NULL))";

/// [`BOT_IN_GOOD_STANDING`] for the account aliased `alias` in a query.
pub(crate) fn bot_in_good_standing(alias: &str) -> String {
    BOT_IN_GOOD_STANDING.replace("u.", &format!("{alias}."))
}

/// A new bot: its name and the hash of its first token.
#[derive(Debug, Clone, Copy)]
pub struct NewBot<'a> {
    /// The owner's account.
    pub owner: i64,
    /// The bot's name (validated; a taken one is [`StoreError::Conflict`]).
    pub name: &'a str,
    /// The hash of its first API token.
    pub token_hash: &'a str,
    /// Now (ms).
    pub now: i64,
}

/// A command registration: name, description, address and signing secret (all validated).
#[derive(Debug, Clone, Copy)]
pub struct NewCommand<'a> {
    /// The bot registering it.
    pub bot: i64,
    /// The command's name.
    pub name: &'a str,
    /// What it does.
    pub description: &'a str,
    /// Where its calls go.
    pub url: &'a str,
    /// The secret its calls are signed with.
    pub secret: &'a str,
    /// Now (ms).
    pub now: i64,
}

/// What running a command needs: the bot that answers it, its address and its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTarget {
    /// The bot.
    pub bot: User,
    /// Its owner's id.
    pub owner: i64,
    /// Where to post.
    pub url: String,
    /// The signing secret.
    pub secret: String,
}

#[derive(sqlx::FromRow)]
struct BotRow {
    id: i64,
    username: String,
    owner_id: i64,
    owner_name: Option<String>,
    created_at: i64,
}

impl From<BotRow> for Bot {
    fn from(row: BotRow) -> Self {
        Self {
            id: row.id,
            username: row.username,
            owner: row.owner_name.map(|username| Author {
                id: row.owner_id,
                username,
            }),
            created_ts: row.created_at,
        }
    }
}

const BOT_SELECT: &str = "SELECT b.user_id AS id, u.username, b.owner_id, \
     o.username AS owner_name, b.created_at \
     FROM bots b JOIN users u ON u.id = b.user_id AND u.deleted_at IS NULL \
     LEFT JOIN users o ON o.id = b.owner_id AND o.deleted_at IS NULL";

/// Commands of bots in good standing (SQL, with `c` the command and `u` its bot).
const LIVE_COMMANDS: &str = "FROM bot_commands c JOIN users u ON u.id = c.bot_id \
     JOIN bots b ON b.user_id = c.bot_id JOIN users o ON o.id = b.owner_id \
     WHERE u.banned_at IS NULL AND u.deleted_at IS NULL \
     AND o.banned_at IS NULL AND o.deleted_at IS NULL";

impl Store {
    /// Makes a bot owned by `new.owner`, with its first API token, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the owner is gone, banned or a bot;
    /// [`StoreError::Conflict`] when the name is taken (look-alikes too);
    /// [`StoreError::TooMany`] when the owner has [`validate::BOTS_PER_OWNER`] bots already;
    /// database failures.
    pub async fn create_bot(&self, new: NewBot<'_>) -> Result<Bot> {
        let mut tx = self.write_tx().await?;
        // One bot change per owner at a time: two at once cannot pass the limit.
        self.lock_key(&mut tx, LockSpace::Bots, new.owner).await?;
        let owner_ok: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE id = $1 AND bot = 0 AND role <> 'guest' \
             AND banned_at IS NULL AND deleted_at IS NULL",
        )
        .bind(new.owner)
        .fetch_optional(&mut *tx)
        .await?;
        if owner_ok.is_none() {
            return Err(StoreError::NotFound);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bots WHERE owner_id = $1")
            .bind(new.owner)
            .fetch_one(&mut *tx)
            .await?;
        if count >= validate::BOTS_PER_OWNER as i64 {
            return Err(StoreError::TooMany);
        }
        let bot_id = insert_bot_account(&mut tx, new.name, new.now).await?;
        sqlx::query("INSERT INTO bots (user_id, owner_id, created_at) VALUES ($1, $2, $3)")
            .bind(bot_id)
            .bind(new.owner)
            .bind(new.now)
            .execute(&mut *tx)
            .await?;
        insert_token(&mut tx, bot_id, new.token_hash, new.now).await?;
        let row: BotRow = sqlx::query_as(&format!("{BOT_SELECT} WHERE b.user_id = $1"))
            .bind(bot_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// The bots of `owner` (every bot for `None`), the newest first; at most 500.
    ///
    /// # Errors
    /// Database failures.
    pub async fn bots(&self, owner: Option<i64>) -> Result<Vec<Bot>> {
        let rows: Vec<BotRow> =
            match owner {
                Some(owner) => sqlx::query_as(&format!(
                    "{BOT_SELECT} WHERE b.owner_id = $1 ORDER BY b.created_at DESC, b.user_id DESC"
                ))
                .bind(owner)
                .fetch_all(&self.pool)
                .await?,
                None => {
                    sqlx::query_as(&format!(
                        "{BOT_SELECT} ORDER BY b.created_at DESC, b.user_id DESC LIMIT 500"
                    ))
                    .fetch_all(&self.pool)
                    .await?
                }
            };
        Ok(rows.into_iter().map(Bot::from).collect())
    }

    /// Bot `id`, if there is such a bot.
    ///
    /// # Errors
    /// Database failures.
    pub async fn bot(&self, id: i64) -> Result<Option<Bot>> {
        let row: Option<BotRow> = sqlx::query_as(&format!("{BOT_SELECT} WHERE b.user_id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Bot::from))
    }

    /// Whether account `id` is a bot (of a webhook or an API bot).
    ///
    /// # Errors
    /// Database failures.
    pub async fn is_bot(&self, id: i64) -> Result<bool> {
        let bot: Option<i64> = sqlx::query_scalar("SELECT bot FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(bot.unwrap_or(0) != 0)
    }

    /// Gives bot `id` a new API token: every earlier one is revoked. Returns the hashes of the
    /// revoked tokens.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such bot; database failures.
    pub async fn replace_bot_token(
        &self,
        id: i64,
        token_hash: &str,
        now: i64,
    ) -> Result<Vec<String>> {
        let mut tx = self.write_tx().await?;
        // Bots come and go, and tokens change, one at a time: two rotations at once cannot
        // both leave a token.
        self.lock_key(&mut tx, LockSpace::Bots, 0).await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT user_id FROM bots WHERE user_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let revoked = revoke_tokens(&mut tx, id, now).await?;
        insert_token(&mut tx, id, token_hash, now).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// Deletes bot `id`: its tokens are revoked, its commands removed, its name freed; its
    /// account stays, so its messages keep their author. Returns the hashes of the revoked
    /// tokens, or `None` when there was no such bot.
    ///
    /// # Errors
    /// Database failures.
    pub async fn delete_bot(&self, id: i64, now: i64) -> Result<Option<Vec<String>>> {
        let mut tx = self.write_tx().await?;
        self.lock_key(&mut tx, LockSpace::Bots, 0).await?;
        let revoked = retire_bot(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// Registers (or registers again) command `new.name` for bot `new.bot`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when another bot answers that name; [`StoreError::TooMany`]
    /// when the bot has [`validate::COMMANDS_PER_BOT`] other commands; [`StoreError::NotFound`]
    /// when the bot is gone; database failures.
    pub async fn register_command(&self, new: NewCommand<'_>) -> Result<BotCommand> {
        let mut tx = self.write_tx().await?;
        // Names are the workspace's, and the bot may be going: one change at a time.
        self.lock_key(&mut tx, LockSpace::Bots, 0).await?;
        let bot: Option<String> = sqlx::query_scalar(
            "SELECT u.username FROM bots b JOIN users u ON u.id = b.user_id WHERE b.user_id = $1",
        )
        .bind(new.bot)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(username) = bot else {
            return Err(StoreError::NotFound);
        };
        let holder: Option<i64> =
            sqlx::query_scalar("SELECT bot_id FROM bot_commands WHERE name = $1")
                .bind(new.name)
                .fetch_optional(&mut *tx)
                .await?;
        match holder {
            Some(holder) if holder != new.bot => return Err(StoreError::Conflict),
            Some(_) => {
                sqlx::query(
                    "UPDATE bot_commands SET description = $1, url = $2, secret = $3, \
                     created_at = $4 WHERE name = $5",
                )
                .bind(new.description)
                .bind(new.url)
                .bind(new.secret)
                .bind(new.now)
                .bind(new.name)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                let count: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM bot_commands WHERE bot_id = $1")
                        .bind(new.bot)
                        .fetch_one(&mut *tx)
                        .await?;
                if count >= validate::COMMANDS_PER_BOT as i64 {
                    return Err(StoreError::TooMany);
                }
                sqlx::query(
                    "INSERT INTO bot_commands (name, bot_id, description, url, secret, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(new.name)
                .bind(new.bot)
                .bind(new.description)
                .bind(new.url)
                .bind(new.secret)
                .bind(new.now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_insert)?;
            }
        }
        tx.commit().await?;
        Ok(BotCommand {
            name: new.name.to_owned(),
            description: new.description.to_owned(),
            bot: Author {
                id: new.bot,
                username,
            },
        })
    }

    /// Removes command `name` of bot `bot`; whether it was there.
    ///
    /// # Errors
    /// Database failures.
    pub async fn unregister_command(&self, bot: i64, name: &str) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query("DELETE FROM bot_commands WHERE name = $1 AND bot_id = $2")
                    .bind(name)
                    .bind(bot)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every command of a bot in good standing, by name; at most 500.
    ///
    /// # Errors
    /// Database failures.
    pub async fn commands(&self) -> Result<Vec<BotCommand>> {
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(&format!(
            "SELECT c.name, c.description, u.id, u.username {LIVE_COMMANDS} \
             ORDER BY c.name LIMIT 500"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, description, id, username)| BotCommand {
                name,
                description,
                bot: Author { id, username },
            })
            .collect())
    }

    /// Where command `name` goes, if a bot in good standing answers it.
    ///
    /// # Errors
    /// Database failures.
    pub async fn command_target(&self, name: &str) -> Result<Option<CommandTarget>> {
        let row: Option<(i64, String, String, i64, String, String)> = sqlx::query_as(&format!(
            "SELECT u.id, u.username, u.role, b.owner_id, c.url, c.secret {LIVE_COMMANDS} \
             AND c.name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(id, username, role, owner, url, secret)| CommandTarget {
                bot: User {
                    id,
                    username,
                    role: Role::parse(&role).unwrap_or(Role::Member),
                },
                owner,
                url,
                secret,
            }),
        )
    }
}

/// Retires bot `id` inside a transaction (see [`Store::delete_bot`]); the caller holds the
/// bots' lock (or the writers' lock).
pub(crate) async fn retire_bot(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    now: i64,
) -> Result<Option<Vec<String>>> {
    let gone: Option<i64> =
        sqlx::query_scalar("DELETE FROM bots WHERE user_id = $1 RETURNING user_id")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if gone.is_none() {
        return Ok(None);
    }
    let revoked = revoke_tokens(tx, id, now).await?;
    release_bot_name(tx, id).await?;
    Ok(Some(revoked))
}

/// A bot's account (of a webhook or an API bot): no password, a member, named `name`.
///
/// # Errors
/// [`StoreError::Conflict`] when the name is taken (look-alikes too); database failures.
pub(crate) async fn insert_bot_account(
    tx: &mut sqlx::AnyConnection,
    name: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (username, username_key, password_hash, role, created_at, bot) \
         VALUES ($1, $2, NULL, $3, $4, 1) RETURNING id",
    )
    .bind(name)
    .bind(crate::name_key(name))
    .bind(Role::Member.as_str())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from_insert)
}

/// The key a bot keeps once its webhook or bot row is gone (SQL): it starts with `~`, which no
/// name can, so the name is free (as a released guest's, `~g…`).
pub(crate) const RELEASED_BOT_KEY: &str = "'~b' || CAST(id AS TEXT)";

/// Frees the name of bot `id` whose webhook or bot row is gone ([`RELEASED_BOT_KEY`]); the
/// account stays, so its messages keep their author.
pub(crate) async fn release_bot_name(tx: &mut sqlx::AnyConnection, id: i64) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE users SET username_key = {RELEASED_BOT_KEY} WHERE id = $1 AND bot = 1"
    ))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Retires every bot of `owner` inside a transaction holding the writers' lock; the hashes of
/// the tokens revoked.
pub(crate) async fn retire_bots_of(
    tx: &mut sqlx::AnyConnection,
    owner: i64,
    now: i64,
) -> Result<Vec<String>> {
    let bots: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM bots WHERE owner_id = $1")
        .bind(owner)
        .fetch_all(&mut *tx)
        .await?;
    let mut revoked = Vec::new();
    for bot in bots {
        revoked.extend(retire_bot(tx, bot, now).await?.unwrap_or_default());
    }
    Ok(revoked)
}

async fn revoke_tokens(tx: &mut sqlx::AnyConnection, bot: i64, now: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL \
         RETURNING token_hash",
    )
    .bind(now)
    .bind(bot)
    .fetch_all(&mut *tx)
    .await?)
}

async fn insert_token(
    tx: &mut sqlx::AnyConnection,
    bot: i64,
    token_hash: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(bot)
    .bind(now)
    .bind(NEVER_EXPIRES)
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from_insert)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use protocol::validate;

    use super::{NewBot, NewCommand};
    use crate::{Store, StoreError};

    fn bot<'a>(owner: i64, name: &'a str, token_hash: &'a str) -> NewBot<'a> {
        NewBot {
            owner,
            name,
            token_hash,
            now: 1,
        }
    }

    fn command<'a>(bot: i64, name: &'a str) -> NewCommand<'a> {
        NewCommand {
            bot,
            name,
            description: "does things",
            url: "https://bot.example/x",
            secret: "s",
            now: 1,
        }
    }

    #[tokio::test]
    async fn a_bot_signs_in_with_its_token_while_it_and_its_owner_stand() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_account("ana", "hash", 1).await.unwrap();
        let made = store.create_bot(bot(ana.id, "deploy", "t1")).await.unwrap();
        assert_eq!(made.username, "deploy");
        assert_eq!(made.owner.as_ref().unwrap().username, "ana");
        assert!(store.is_bot(made.id).await.unwrap());
        assert!(!store.is_bot(ana.id).await.unwrap());
        let signed_in = store.session_user("t1", 10).await.unwrap().unwrap();
        assert_eq!(signed_in.id, made.id);
        assert_eq!(
            store
                .session_user("t1", i64::MAX - 1)
                .await
                .unwrap()
                .map(|u| u.id),
            Some(made.id),
            "an API token does not expire"
        );
        // The name is taken like any username.
        assert!(matches!(
            store.create_bot(bot(ana.id, "Deploy", "t2")).await,
            Err(StoreError::Conflict)
        ));
        assert!(matches!(
            store.create_bot(bot(ana.id, "ana", "t2")).await,
            Err(StoreError::Conflict)
        ));
        // A new token ends the old one.
        let revoked = store.replace_bot_token(made.id, "t3", 2).await.unwrap();
        assert_eq!(revoked, vec!["t1".to_owned()]);
        assert!(store.session_user("t1", 10).await.unwrap().is_none());
        assert!(store.session_user("t3", 10).await.unwrap().is_some());
        // The owner's ban stops the bot; the unban lets it back.
        store.set_banned(ana.id, true, 3).await.unwrap();
        assert!(store.session_user("t3", 10).await.unwrap().is_none());
        assert!(
            store
                .live_sessions_among(&["t3".into()], 10)
                .await
                .unwrap()
                .is_empty()
        );
        store.set_banned(ana.id, false, 4).await.unwrap();
        assert!(store.session_user("t3", 10).await.unwrap().is_some());
        // Listed among people (v1.33), marked a bot, while it and its owner stand.
        let listed = |people: Vec<(crate::UserRecord, Option<String>)>| {
            people
                .into_iter()
                .map(|(record, _)| (record.user.username, record.bot))
                .collect::<Vec<_>>()
        };
        let everyone = listed(store.people(None, None, 10).await.unwrap());
        assert_eq!(
            everyone,
            [("ana".to_owned(), false), ("deploy".to_owned(), true)]
        );
        // Deleting it ends its token and frees its name; its account stays.
        assert_eq!(
            store.delete_bot(made.id, 5).await.unwrap(),
            Some(vec!["t3".into()])
        );
        assert!(store.session_user("t3", 10).await.unwrap().is_none());
        assert_eq!(store.delete_bot(made.id, 5).await.unwrap(), None);
        assert!(store.bot(made.id).await.unwrap().is_none());
        let everyone = listed(store.people(None, None, 10).await.unwrap());
        assert_eq!(everyone, [("ana".to_owned(), false)]);
        store.create_bot(bot(ana.id, "deploy", "t4")).await.unwrap();
    }

    #[tokio::test]
    async fn owners_are_people_with_accounts_and_own_a_few_bots() {
        let store = Store::in_memory().await.unwrap();
        store.create_account("root", "hash", 1).await.unwrap(); // the first account: admin
        let ana = store.create_account("ana", "hash", 1).await.unwrap();
        let guest = store.create_guest("gus", 1).await.unwrap();
        assert!(matches!(
            store.create_bot(bot(guest.id, "g-bot", "g")).await,
            Err(StoreError::NotFound)
        ));
        let mut ids = Vec::new();
        for n in 0..validate::BOTS_PER_OWNER {
            let made = store
                .create_bot(bot(ana.id, &format!("bot{n}"), &format!("t{n}")))
                .await
                .unwrap();
            ids.push(made.id);
        }
        assert!(matches!(
            store.create_bot(bot(ana.id, "onemore", "x")).await,
            Err(StoreError::TooMany)
        ));
        // A bot owns no bot.
        assert!(matches!(
            store.create_bot(bot(ids[0], "sub", "y")).await,
            Err(StoreError::NotFound)
        ));
        let listed = store.bots(Some(ana.id)).await.unwrap();
        assert_eq!(listed.len(), validate::BOTS_PER_OWNER);
        assert_eq!(listed[0].username, "bot4", "the newest first");
        assert_eq!(
            store.bots(None).await.unwrap().len(),
            validate::BOTS_PER_OWNER
        );
        // Erasing the owner retires the bots: their tokens are among the sessions that end.
        let erased = store.erase_user(ana.id, false, 9).await.unwrap();
        for n in 0..validate::BOTS_PER_OWNER {
            assert!(erased.sessions.contains(&format!("t{n}")));
            assert!(
                store
                    .session_user(&format!("t{n}"), 10)
                    .await
                    .unwrap()
                    .is_none()
            );
        }
        assert!(store.bots(None).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn commands_belong_to_one_bot_and_go_with_it() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_account("ana", "hash", 1).await.unwrap();
        let one = store.create_bot(bot(ana.id, "one", "t1")).await.unwrap();
        let two = store.create_bot(bot(ana.id, "two", "t2")).await.unwrap();
        let made = store
            .register_command(command(one.id, "deploy"))
            .await
            .unwrap();
        assert_eq!(made.bot.username, "one");
        assert!(matches!(
            store.register_command(command(two.id, "deploy")).await,
            Err(StoreError::Conflict)
        ));
        // Registering again changes it.
        let mut again = command(one.id, "deploy");
        again.url = "https://bot.example/y";
        again.secret = "s2";
        store.register_command(again).await.unwrap();
        let target = store.command_target("deploy").await.unwrap().unwrap();
        assert_eq!(
            (target.url.as_str(), target.secret.as_str()),
            ("https://bot.example/y", "s2")
        );
        assert_eq!(target.bot.id, one.id);
        assert_eq!(target.owner, ana.id);
        for n in 1..validate::COMMANDS_PER_BOT {
            store
                .register_command(command(one.id, &format!("c{n}")))
                .await
                .unwrap();
        }
        assert!(matches!(
            store.register_command(command(one.id, "toomany")).await,
            Err(StoreError::TooMany)
        ));
        assert_eq!(
            store.commands().await.unwrap().len(),
            validate::COMMANDS_PER_BOT
        );
        assert!(!store.unregister_command(two.id, "deploy").await.unwrap());
        assert!(store.unregister_command(one.id, "c1").await.unwrap());
        // The owner's ban hides the commands; deleting the bot removes them.
        store.set_banned(ana.id, true, 2).await.unwrap();
        assert!(store.commands().await.unwrap().is_empty());
        assert!(store.command_target("deploy").await.unwrap().is_none());
        store.set_banned(ana.id, false, 3).await.unwrap();
        store.delete_bot(one.id, 4).await.unwrap();
        assert!(store.commands().await.unwrap().is_empty());
        store
            .register_command(command(two.id, "deploy"))
            .await
            .unwrap();
    }
}
