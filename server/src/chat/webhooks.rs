//! Incoming webhooks (v1.19): a room's moderators make secret addresses where programs (CI,
//! monitoring, a script) post messages, each webhook as a bot account of its own. A post is
//! judged like a person's message (text rules, the bot's message budget, a mute on the bot)
//! and then goes where any message goes.

use protocol::{CreateWebhookRes, Message, Role, Webhook, links, validate};
use rand::RngCore;
use store::{NewMessage, NewWebhook, RoomKind, RoomRecord, StoreError};

use super::{Actor, Chat};
use crate::accounts::chosen_name;
use crate::auth::{new_token, token_hash};
use crate::client_addr::AddrKey;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

impl Chat {
    /// Makes a webhook of `raw_room` posting as a bot named `raw_name`: its secret address is
    /// in the answer, and nowhere else.
    ///
    /// # Errors
    /// `not_found`, `forbidden` (a guest, or not a moderator of the room), `bad_request` (a DM,
    /// the name),
    /// `conflict` (the name is taken, or the room is full of webhooks), `rate_limited`, or a
    /// failure.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        raw_room: &str,
        raw_name: &str,
    ) -> AppResult<CreateWebhookRes> {
        if actor.user.role == Role::Guest {
            return Err(AppError::forbidden(
                "guests cannot make webhooks; create an account first",
            ));
        }
        // A bot's webhook would outlive what stops the bot (its owner's ban): bots make none.
        if self.hub.store.is_bot(actor.user.id).await? {
            return Err(AppError::forbidden("a bot cannot make webhooks"));
        }
        let room = self.moderated_room(actor, raw_room).await?;
        let name = chosen_name(raw_name)?;
        // A webhook makes an account: charged like joining a room.
        self.charge(actor, Action::Join).await?;
        let mut id = [0u8; 8];
        rand::rng().fill_bytes(&mut id);
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let secret = new_token();
        let new = NewWebhook {
            id: &id,
            secret_hash: &token_hash(&secret),
            name: &name,
            created_by: actor.user.id,
            now: now_ms(),
        };
        let webhook =
            self.hub
                .store
                .create_webhook(&room, new)
                .await
                .map_err(|error| match error {
                    StoreError::Conflict => AppError::new(
                        protocol::ErrorCode::Conflict,
                        format!("the name `{name}` is taken; pick another"),
                    ),
                    StoreError::TooMany => AppError::new(
                        protocol::ErrorCode::Conflict,
                        format!(
                            "a room has at most {} webhooks; delete one first",
                            validate::WEBHOOKS_MAX
                        ),
                    ),
                    other => other.into(),
                })?;
        tracing::info!(room = %room.name, webhook = %id, bot = %name, "webhook created");
        let url = address(self.hub.config.public_url.as_deref(), &id, &secret);
        Ok(CreateWebhookRes { webhook, url })
    }

    /// The webhooks of `raw_room`, the newest first.
    ///
    /// # Errors
    /// `not_found`, `forbidden`, `bad_request` (a DM), or a failure.
    pub async fn webhooks(&self, actor: &Actor, raw_room: &str) -> AppResult<Vec<Webhook>> {
        let room = self.moderated_room(actor, raw_room).await?;
        Ok(self.hub.store.webhooks(room.id).await?)
    }

    /// Deletes webhook `raw_id`: its address takes nothing more; its messages stay.
    ///
    /// # Errors
    /// `bad_request` (the id), `not_found`, `forbidden`, or a failure.
    pub async fn delete_webhook(&self, actor: &Actor, raw_id: &str) -> AppResult<()> {
        let id = validate::webhook_id(raw_id)?;
        let not_found = || AppError::not_found("there is no such webhook");
        let room_id = self
            .hub
            .store
            .webhook_room(id)
            .await?
            .ok_or_else(not_found)?;
        let room = self
            .visible_room_by_id(&actor.user, room_id)
            .await?
            .ok_or_else(not_found)?;
        if !self.moderates(&actor.user, &room).await? {
            return Err(forbidden());
        }
        if !self.hub.store.delete_webhook(id).await? {
            return Err(not_found());
        }
        tracing::info!(room = %room.name, webhook = %id, "webhook deleted");
        Ok(())
    }

    /// Posts `text` through webhook `id` if `secret` is its secret, from a program at
    /// `address`: the message, as the room got it.
    ///
    /// # Errors
    /// `not_found` (no such webhook, a wrong secret, a closed room, a banned bot or maker: one
    /// answer for all),
    /// `empty_message`, `too_long`, `bad_request` (the text), `forbidden` (the bot is muted in
    /// the room), `rate_limited`, or a failure.
    pub async fn post_webhook(
        &self,
        address: AddrKey,
        id: &str,
        secret: &str,
        text: &str,
    ) -> AppResult<Message> {
        let not_found = || AppError::not_found("there is no such webhook");
        let id = validate::webhook_id(id).map_err(|_| not_found())?;
        let target = self
            .hub
            .store
            .webhook_target(id)
            .await?
            .ok_or_else(not_found)?;
        // The secret is checked by its hash, before anything else is read: a timing difference
        // in comparing two hashes tells nothing about a secret that would match.
        if target.secret_hash != token_hash(secret) {
            return Err(not_found());
        }
        let room = self
            .hub
            .store
            .room_by_id(target.room_id)
            .await?
            .filter(|room| !room.closed)
            .ok_or_else(not_found)?;
        let text = validate::message_text(text)?;
        let actor = Actor {
            user: target.bot,
            addr: address,
        };
        self.charge(&actor, Action::Message).await?;
        let new = NewMessage {
            text: &text,
            ts: now_ms(),
            client_id: None,
            reply_to: None,
            attachments: &[],
            thread_root: None,
        };
        let (mut message, _) = self
            .hub
            .store
            .insert_full(&room, &actor.user, &new)
            .await
            .map_err(|error| match error {
                StoreError::Muted(until) => super::moderation::muted(&room, until, new.ts),
                other => other.into(),
            })?;
        message.bot = true;
        self.publish(room, &actor.user, &message).await;
        Ok(message)
    }

    /// A room `actor` moderates and that can have webhooks (not a DM).
    async fn moderated_room(&self, actor: &Actor, raw_room: &str) -> AppResult<RoomRecord> {
        let room = self.visible_room(&actor.user, raw_room).await?;
        if room.kind == RoomKind::Dm {
            return Err(AppError::bad_request(
                "a direct conversation has no webhooks",
            ));
        }
        if !self.moderates(&actor.user, &room).await? {
            return Err(forbidden());
        }
        Ok(room)
    }
}

/// A webhook's address: after the server's public address when it knows one (people reach it
/// there), else the path alone (the client puts it after the address it reached).
fn address(public_url: Option<&str>, id: &str, secret: &str) -> String {
    let path = links::webhook(id, secret);
    match public_url {
        Some(public) => format!("{}{path}", public.trim_end_matches('/')),
        None => path,
    }
}

fn forbidden() -> AppError {
    AppError::forbidden("only the room's creator or an admin manages its webhooks")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_address_is_whole_when_the_public_one_is_known() {
        assert_eq!(
            super::address(None, "00000000000000a1", "s3cret"),
            "/api/hooks/00000000000000a1/s3cret"
        );
        assert_eq!(
            super::address(
                Some("https://chat.example.org/"),
                "00000000000000a1",
                "s3cret"
            ),
            "https://chat.example.org/api/hooks/00000000000000a1/s3cret"
        );
        assert_eq!(
            super::address(
                Some("https://chat.example.org"),
                "00000000000000a1",
                "s3cret"
            ),
            "https://chat.example.org/api/hooks/00000000000000a1/s3cret"
        );
    }
}
