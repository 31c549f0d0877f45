//! Bots' slash commands (v1.29): a bot registers `/name` with the address of its program; when
//! someone types `/name text` in a room, the server posts a signed call there (see
//! [`crate::callbacks`]) and passes the answer on: to the caller alone, or into the room as a
//! message from the bot. Using a command is judged like sending a message (joined, not muted,
//! the DM open, the message budget), and a bot hears of a private room only if it is in it.

use protocol::{
    BotCommand, CommandAnswer, CommandCall, CommandsChanged, ErrorCode, Message,
    RegisterCommandReq, RegisterCommandRes, RunCommandReq, RunCommandRes, Visibility, validate,
};
use store::{NewCommand, NewMessage, RoomKind, StoreError};

use super::{Actor, Chat, Connection};
use crate::auth::new_token;
use crate::callbacks::CallError;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

impl Chat {
    /// Registers (or registers again, with a new secret) command `req.name` of the bot
    /// `actor`; everyone is told the commands changed.
    ///
    /// # Errors
    /// `forbidden` (not a bot), `bad_request` (name, description, address), `too_long`,
    /// `conflict` (a built-in's name, another bot's command, all 10 of the bot's), or a failure.
    pub async fn register_command(
        &self,
        actor: &Actor,
        req: &RegisterCommandReq,
    ) -> AppResult<RegisterCommandRes> {
        let name = validate::command_name(&req.name)?;
        let description = validate::command_description(&req.description)?;
        let url = validate::command_url(&req.url)?;
        if self.hub.store.bot(actor.user.id).await?.is_none() {
            return Err(AppError::forbidden(
                "only a bot registers commands (make one from your account menu)",
            ));
        }
        self.callbacks.check(url).map_err(|_| {
            AppError::bad_request(
                "this server does not call that address: public addresses only, unless its \
                 operator allows a network (TERTULIA_BOT_CALLBACK_ALLOW)",
            )
        })?;
        let secret = new_token();
        let new = NewCommand {
            bot: actor.user.id,
            name,
            description,
            url,
            secret: &secret,
            now: now_ms(),
        };
        let command = self
            .hub
            .store
            .register_command(new)
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AppError::new(
                    ErrorCode::Conflict,
                    format!("/{name} is another bot's command; pick another name"),
                ),
                StoreError::TooMany => AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "a bot has at most {} commands; remove one first",
                        validate::COMMANDS_PER_BOT
                    ),
                ),
                StoreError::NotFound => AppError::unauthorized(),
                other => other.into(),
            })?;
        tracing::info!(bot = %actor.user.username, command = %name, "command registered");
        self.commands_changed().await;
        Ok(RegisterCommandRes { command, secret })
    }

    /// Removes command `raw_name` of the bot `actor`; everyone is told.
    ///
    /// # Errors
    /// `not_found` (not one of the actor's commands), or a failure.
    pub async fn unregister_command(&self, actor: &Actor, raw_name: &str) -> AppResult<()> {
        let removed = validate::is_command_name(raw_name)
            && self
                .hub
                .store
                .unregister_command(actor.user.id, raw_name)
                .await?;
        if !removed {
            return Err(AppError::not_found("you have no command by that name"));
        }
        self.commands_changed().await;
        Ok(())
    }

    /// Every command of the workspace, by name.
    ///
    /// # Errors
    /// A failure.
    pub async fn commands(&self) -> AppResult<Vec<BotCommand>> {
        Ok(self.hub.store.commands().await?)
    }

    /// Tells every `/chat` socket that the commands changed.
    pub(super) async fn commands_changed(&self) {
        self.fanout.to_everyone(&CommandsChanged {}).await;
    }

    /// Runs `/req.name req.text` for `conn` in a room it joined: the bot's answer.
    ///
    /// # Errors
    /// `not_found` (no such command, the room), `not_member`, `forbidden` (muted, the DM
    /// closed, the bot not in a private room), `too_long`, `bad_request` (thread),
    /// `rate_limited`, `unavailable` (the bot's address did not answer as it should), or a
    /// failure.
    pub async fn run_command(
        &self,
        conn: &Connection,
        req: &RunCommandReq,
    ) -> AppResult<RunCommandRes> {
        let no_such = || {
            AppError::not_found(format!(
                "there is no /{} command; /help lists them",
                req.name
                    .chars()
                    .take(validate::COMMAND_NAME_MAX)
                    .collect::<String>()
            ))
        };
        if !validate::is_command_name(&req.name) {
            return Err(no_such());
        }
        let text = validate::command_text(&req.text)?;
        let room = self.joined_room(conn, &req.room).await?;
        let user = conn.user();
        self.check_dm_open(&room, user).await?;
        let now = now_ms();
        if let Some(until) = self.hub.store.muted_until(room.id, user.id, now).await? {
            return Err(super::moderation::muted(&room, until, now));
        }
        let thread = match req.thread {
            Some(id) => Some(self.thread_root(&room, id).await?.0),
            None => None,
        };
        let target = self
            .hub
            .store
            .command_target(&req.name)
            .await?
            .ok_or_else(no_such)?;
        let bot = &target.bot;
        let private = room.private || room.kind == RoomKind::Dm;
        if private && !self.hub.store.is_member(room.id, bot.id).await? {
            return Err(AppError::forbidden(format!(
                "@{} is not in this room; invite it first",
                bot.username
            )));
        }
        self.charge(&conn.actor, Action::Message).await?;
        let call = CommandCall {
            command: req.name.clone(),
            text: text.to_owned(),
            room: room.name.clone(),
            thread,
            user: user.into(),
            ts: now,
        };
        let answer = self
            .callbacks
            .call(bot.id, &target.url, &target.secret, &call)
            .await
            .map_err(|error| {
                tracing::info!(bot = %bot.username, command = %req.name, %error, "a command's call failed");
                match error {
                    CallError::Busy => AppError::rate_limited(),
                    other => AppError::new(
                        ErrorCode::Unavailable,
                        format!("@{} did not answer /{}: {other}", bot.username, req.name),
                    ),
                }
            })?;
        let Some(CommandAnswer {
            text: Some(answer),
            visibility,
        }) = answer.filter(|answer| answer.text.as_deref().is_some_and(|t| !t.trim().is_empty()))
        else {
            return Ok(RunCommandRes::default());
        };
        let answer = validate::message_text(&answer).map_err(|refused| {
            AppError::new(
                ErrorCode::Unavailable,
                format!(
                    "@{}'s answer cannot be shown: {}",
                    bot.username, refused.message
                ),
            )
        })?;
        match visibility {
            Visibility::Caller => Ok(RunCommandRes {
                reply: Some(answer),
                message: None,
            }),
            Visibility::Room => {
                let bot_actor = Actor {
                    user: target.bot.clone(),
                    addr: conn.actor.addr,
                };
                let message = self.post_as_bot(&bot_actor, room, &answer, thread).await?;
                Ok(RunCommandRes {
                    reply: None,
                    message: Some(message),
                })
            }
        }
    }

    /// Stores `text` in `room` (in the thread of `thread`) from the bot `bot` and sends it on
    /// like any message, charged to the bot's message budget.
    async fn post_as_bot(
        &self,
        bot: &Actor,
        room: store::RoomRecord,
        text: &str,
        thread: Option<i64>,
    ) -> AppResult<Message> {
        self.charge(bot, Action::Message).await?;
        let new = NewMessage {
            text,
            ts: now_ms(),
            client_id: None,
            reply_to: None,
            attachments: &[],
            thread_root: thread,
        };
        let (mut message, _) = self
            .hub
            .store
            .insert_full(&room, &bot.user, &new)
            .await
            .map_err(|error| match error {
                StoreError::Muted(_) => {
                    AppError::forbidden(format!("@{} is muted in {}", bot.user.username, room.name))
                }
                other => other.into(),
            })?;
        message.bot = true;
        self.publish(room, &bot.user, &message).await;
        Ok(message)
    }
}
