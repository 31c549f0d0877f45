//! Bots (v1.28): accounts people make for their programs, which sign in with API tokens and
//! speak this same contract. A person with an account owns up to
//! [`validate::BOTS_PER_OWNER`]; the owner (or an admin) gives a bot a new token or deletes
//! it. A bot stops working when its owner is banned or deleted.

use protocol::{Bot, BotTokenRes, ErrorCode, Role, validate};
use store::{NewBot, StoreError};

use super::{Actor, Chat};
use crate::accounts::chosen_name;
use crate::auth::{new_token, token_hash};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::fanout::session_channel;
use crate::live::limits::Action;

impl Chat {
    /// Makes a bot named `raw_name` owned by `actor`, and its first API token.
    ///
    /// # Errors
    /// `forbidden` (a guest, a bot), `bad_request` (the name), `conflict` (the name is taken,
    /// or the owner has all their bots), `rate_limited`, or a failure.
    pub async fn create_bot(&self, actor: &Actor, raw_name: &str) -> AppResult<BotTokenRes> {
        if actor.user.role == Role::Guest {
            return Err(AppError::forbidden(
                "guests cannot make bots; create an account first",
            ));
        }
        let name = chosen_name(raw_name)?;
        // A bot is an account: charged like joining a room.
        self.charge(actor, Action::Join).await?;
        let token = new_token();
        let new = NewBot {
            owner: actor.user.id,
            name: &name,
            token_hash: &token_hash(&token),
            now: now_ms(),
        };
        let bot = self
            .hub
            .store
            .create_bot(new)
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AppError::new(
                    ErrorCode::Conflict,
                    format!("the name `{name}` is taken; pick another"),
                ),
                StoreError::TooMany => AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "one person has at most {} bots; delete one first",
                        validate::BOTS_PER_OWNER
                    ),
                ),
                StoreError::NotFound => AppError::forbidden("a bot cannot make bots"),
                other => other.into(),
            })?;
        tracing::info!(bot = %bot.username, owner = %actor.user.username, "bot created");
        Ok(BotTokenRes { bot, token })
    }

    /// The bots `actor` manages: their own, or every bot for an admin.
    ///
    /// # Errors
    /// A failure.
    pub async fn bots(&self, actor: &Actor) -> AppResult<Vec<Bot>> {
        // The role as stored now: an admin demoted since this socket connected is not one.
        let role = self.accounts.current_role(&actor.user).await?;
        let owner = (role != Role::Admin).then_some(actor.user.id);
        Ok(self.hub.store.bots(owner).await?)
    }

    /// A new API token for bot `id`: the earlier ones stop working at once, and the sockets
    /// opened with them are disconnected (on every node).
    ///
    /// # Errors
    /// `not_found` (no such bot, or not the actor's), or a failure.
    pub async fn bot_token(&self, actor: &Actor, id: i64) -> AppResult<BotTokenRes> {
        let bot = self.managed_bot(actor, id).await?;
        let token = new_token();
        let revoked = self
            .hub
            .store
            .replace_bot_token(bot.id, &token_hash(&token), now_ms())
            .await
            .map_err(|error| match error {
                StoreError::NotFound => no_such_bot(),
                other => other.into(),
            })?;
        self.end_sessions(&revoked).await;
        tracing::info!(bot = %bot.username, by = %actor.user.username, "bot token replaced");
        Ok(BotTokenRes { bot, token })
    }

    /// Deletes bot `id`: its tokens stop working, its sockets are disconnected, its commands
    /// are gone (everyone is told); its messages stay.
    ///
    /// # Errors
    /// `not_found` (no such bot, or not the actor's), or a failure.
    pub async fn delete_bot(&self, actor: &Actor, id: i64) -> AppResult<()> {
        let bot = self.managed_bot(actor, id).await?;
        let revoked = self
            .hub
            .store
            .delete_bot(bot.id, now_ms())
            .await?
            .ok_or_else(no_such_bot)?;
        self.end_sessions(&revoked).await;
        self.commands_changed().await;
        tracing::info!(bot = %bot.username, by = %actor.user.username, "bot deleted");
        Ok(())
    }

    /// Bot `id` if `actor` manages it (its owner, or an admin); `not_found` otherwise, so
    /// nobody learns of others' bots by guessing ids.
    async fn managed_bot(&self, actor: &Actor, id: i64) -> AppResult<Bot> {
        let bot = self.hub.store.bot(id).await?.ok_or_else(no_such_bot)?;
        let owns = bot
            .owner
            .as_ref()
            .is_some_and(|owner| owner.id == actor.user.id);
        if owns || self.accounts.current_role(&actor.user).await? == Role::Admin {
            Ok(bot)
        } else {
            Err(no_such_bot())
        }
    }

    /// Disconnects the sockets of these sessions, on every node.
    async fn end_sessions(&self, token_hashes: &[String]) {
        for hash in token_hashes {
            self.fanout.disconnect(&session_channel(hash)).await;
        }
    }
}

fn no_such_bot() -> AppError {
    AppError::not_found("there is no such bot among yours")
}
