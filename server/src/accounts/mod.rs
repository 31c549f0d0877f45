//! The accounts service: who people are and what they may do as accounts. Registering,
//! signing in (password or guest), sessions and signing out, changing a password, roles and
//! bans, and creating an admin from the command line. The JSON API, the start page's form,
//! the `/admin` events and the `server create-admin` command all come here; none of them
//! touches sessions or password hashes itself.
//!
//! Tokens are 256 random bits, handed to the client once and stored only as their SHA-256
//! hash (see [`crate::auth`]), so a leaked database does not leak live sessions.

mod admins;
mod data;
pub(crate) mod throttle;

pub use admins::{CreateAdmin, CreateAdminError, Outcome};
pub(crate) use data::Export;

use protocol::events::AuditAction;
use protocol::{ErrorCode, Role, User, names, validate};

use crate::audit::Audit;
use crate::auth::{hash_password, new_token, token_hash, verify_password};
use crate::client_addr::AddrKey;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::fanout::{Fanout, session_channel, user_channel};
use crate::hub::Hub;

/// A session just started: the user and the token to hand them, once.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// Who signed in.
    pub(crate) user: User,
    /// Their new session's token.
    pub(crate) token: String,
    /// A new known-device token for this browser (see [`throttle`]), when it was not one.
    pub(crate) device: Option<String>,
}

/// The accounts service. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Accounts {
    hub: Hub,
    fanout: Fanout,
    audit: Audit,
}

impl Accounts {
    /// The service over `hub`, reaching sockets through `fanout`.
    #[must_use]
    pub(crate) fn new(hub: Hub, fanout: Fanout, audit: Audit) -> Self {
        Self { hub, fanout, audit }
    }

    /// A new account with a password, signed in. The first account becomes admin.
    ///
    /// # Errors
    /// `bad_request` (name, password), `conflict` (taken or reserved name), `rate_limited`
    /// (hashing saturated), or a failure.
    pub(crate) async fn register(
        &self,
        address: AddrKey,
        raw_name: &str,
        password: String,
    ) -> AppResult<SignedIn> {
        let username = chosen_name(raw_name)?;
        validate::new_password(&password)?;
        self.check_address(address).await?;
        let hash = hash_password(&self.hub.hashing, Some(address), password).await?;
        let user = self
            .hub
            .store
            .create_account(&username, &hash, now_ms())
            .await
            .map_err(|error| match error {
                store::StoreError::Conflict => {
                    AppError::new(ErrorCode::Conflict, "that username is taken; pick another")
                }
                other => other.into(),
            })?;
        tracing::info!(user = %user.username, role = user.role.as_str(), "account registered");
        let mut signed_in = self.start_session(user, address).await?;
        signed_in.device = Some(self.new_device(signed_in.user.id).await?);
        Ok(signed_in)
    }

    /// Signs in with a password, from a browser carrying the known-device token `device` (if
    /// any). Unknown user, guest name and wrong password all get the same answer after the same
    /// work. Failed sign-ins hold the name back for a while ([`throttle`]), except from a
    /// device that signed in to the account before.
    ///
    /// # Errors
    /// `unauthorized`, `forbidden` (banned), `rate_limited` (the name held back, hashing
    /// saturated), or a failure.
    pub(crate) async fn login(
        &self,
        address: AddrKey,
        raw_name: &str,
        password: String,
        device: Option<&str>,
    ) -> AppResult<SignedIn> {
        let wrong = || AppError::new(ErrorCode::Unauthorized, "wrong username or password");
        if password.chars().count() > validate::PASSWORD_MAX {
            return Err(wrong());
        }
        let store = &self.hub.store;
        let name = names::username(raw_name).ok();
        let record = match &name {
            Some(name) => store.user_by_name(name).await?,
            None => None,
        };
        let key = name.as_deref().map(store::name_key);
        let now = now_ms();
        let known = match (&record, device) {
            (Some(record), Some(device)) if device.len() <= 128 => {
                store
                    .known_device(record.user.id, &token_hash(device), now)
                    .await?
            }
            _ => false,
        };
        // Counted as a failure before the hash (a success clears it), so guesses sent at once
        // cannot all pass while the first is being hashed.
        if let Some(key) = key.as_deref().filter(|_| !known) {
            let window = i64::try_from(throttle::WINDOW.as_millis()).unwrap_or(i64::MAX);
            let attempt = new_token();
            if let Err(until) = store
                .claim_sign_in(key, &attempt, now, now - window, throttle::delay_ms)
                .await?
            {
                let seconds = (until - now + 999) / 1000;
                return Err(AppError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "too many failed sign-ins for this name; try again in {seconds} s, \
                         or from a browser you signed in from before"
                    ),
                ));
            }
        }
        let hash = record.as_ref().and_then(|r| r.password_hash.clone());
        if !verify_password(&self.hub.hashing, Some(address), hash, password).await? {
            return Err(wrong());
        }
        let record = record.ok_or_else(wrong)?;
        if record.banned {
            return Err(AppError::forbidden("this account is banned"));
        }
        if let Some(key) = &key {
            store.clear_sign_in_failures(key).await?;
        }
        let mut signed_in = self.start_session(record.user, address).await?;
        if !known {
            signed_in.device = Some(self.new_device(signed_in.user.id).await?);
        }
        Ok(signed_in)
    }

    /// A new known-device token for `user_id`, remembered by its hash.
    async fn new_device(&self, user_id: i64) -> AppResult<String> {
        let token = new_token();
        self.hub
            .store
            .remember_device(user_id, &token_hash(&token), now_ms())
            .await?;
        Ok(token)
    }

    /// A guest under a free name, signed in (when the settings allow guests).
    ///
    /// # Errors
    /// `forbidden` (guests off, or the address banned), `bad_request` (name), `conflict` (taken
    /// or reserved), or a failure.
    pub(crate) async fn guest(&self, address: AddrKey, raw_name: &str) -> AppResult<SignedIn> {
        if !self.hub.config.guests {
            return Err(AppError::forbidden(
                "guest access is switched off; please sign in",
            ));
        }
        let username = chosen_name(raw_name)?;
        self.check_address(address).await?;
        let user = self
            .hub
            .store
            .create_guest(&username, now_ms())
            .await
            .map_err(|error| match error {
                store::StoreError::Conflict => AppError::new(
                    ErrorCode::Conflict,
                    format!("the name `{username}` is taken; pick another"),
                ),
                other => other.into(),
            })?;
        self.start_session(user, address).await
    }

    /// Refuses new accounts and guests from an address an account banned with its addresses
    /// used (v1.10).
    async fn check_address(&self, address: AddrKey) -> AppResult<()> {
        if self.hub.store.address_banned(&address.to_string()).await? {
            return Err(AppError::forbidden(
                "new accounts from your network are refused for now; ask an admin",
            ));
        }
        Ok(())
    }

    /// Starts a session for `user`, who signed in from `address`.
    async fn start_session(&self, user: User, address: AddrKey) -> AppResult<SignedIn> {
        let token = new_token();
        let now = now_ms();
        let days = i64::from(self.hub.config.session_days);
        self.hub
            .store
            .create_session(
                user.id,
                &token_hash(&token),
                Some(&address.to_string()),
                now,
                now + days * 24 * 3600 * 1000,
            )
            .await
            .map_err(|error| match error {
                // Deleted while its password was being checked.
                store::StoreError::NotFound => {
                    AppError::new(ErrorCode::Unauthorized, "wrong username or password")
                }
                other => other.into(),
            })?;
        Ok(SignedIn {
            user,
            token,
            device: None,
        })
    }

    /// The user of a live session, by its token; `None` for an unknown, ended or malformed
    /// token.
    ///
    /// # Errors
    /// A database failure.
    pub(crate) async fn session_user(&self, token: &str) -> AppResult<Option<User>> {
        Ok(self.session_account(token).await?.map(|record| record.user))
    }

    /// As [`Self::session_user`], with whether the account is a bot (v1.28).
    ///
    /// # Errors
    /// A database failure.
    pub(crate) async fn session_account(
        &self,
        token: &str,
    ) -> AppResult<Option<store::UserRecord>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .hub
            .store
            .session_account(&token_hash(token), now_ms())
            .await?)
    }

    /// Ends the session of `token` (of `user`): every socket opened with it, on every node, is
    /// disconnected, and a guest's name is free again once their last session has ended.
    ///
    /// # Errors
    /// A database failure.
    pub(crate) async fn sign_out(&self, user: &User, token: &str) -> AppResult<()> {
        let hash = token_hash(token);
        let now = now_ms();
        let store = &self.hub.store;
        store.revoke_session(&hash, now).await?;
        self.fanout.disconnect(&session_channel(&hash)).await;
        if user.role == Role::Guest
            && store.live_sessions(user.id, now).await? == 0
            && store.release_guest(user.id, now).await?
        {
            tracing::debug!(user = %user.username, "guest name released");
        }
        Ok(())
    }

    /// Changes `user`'s password (the current one must be right) and ends every other session
    /// of the account; the session of `token` stays. Returns how many sessions ended.
    ///
    /// # Errors
    /// `forbidden` (wrong current password, a guest), `bad_request` (new password),
    /// `unauthorized` (the account is gone), `rate_limited`, or a failure.
    pub(crate) async fn change_password(
        &self,
        address: AddrKey,
        user: &User,
        token: &str,
        current: String,
        new: String,
    ) -> AppResult<usize> {
        let wrong = || AppError::forbidden("the current password is wrong");
        let store = &self.hub.store;
        let record = store
            .user_record(user.id)
            .await?
            .ok_or_else(AppError::unauthorized)?;
        let Some(hash) = record.password_hash else {
            return Err(AppError::forbidden(
                "a guest has no password: create an account to have one",
            ));
        };
        if current.chars().count() > validate::PASSWORD_MAX {
            return Err(wrong());
        }
        validate::new_password(&new)?;
        let hashing = &self.hub.hashing;
        if !verify_password(hashing, Some(address), Some(hash), current).await? {
            return Err(wrong());
        }
        let new_hash = hash_password(hashing, Some(address), new).await?;
        store.set_password(user.id, &new_hash).await?;
        // A browser that knew the old password is no longer let past the sign-in throttle.
        store.forget_devices(user.id).await?;
        let revoked = store
            .revoke_other_sessions(user.id, &token_hash(token), now_ms())
            .await?;
        for session in &revoked {
            self.fanout.disconnect(&session_channel(session)).await;
        }
        tracing::info!(user = %user.username, others_signed_out = revoked.len(), "password changed");
        Ok(revoked.len())
    }

    /// `user`'s role as stored now. A socket's copy of its user is from when it connected;
    /// what a role allows is decided on this, so a demotion takes effect at once (and a
    /// promotion too). An account that no longer exists has a guest's rights.
    ///
    /// # Errors
    /// A database failure.
    pub(crate) async fn current_role(&self, user: &User) -> AppResult<Role> {
        Ok(self
            .hub
            .store
            .user_by_id(user.id)
            .await?
            .map_or(Role::Guest, |stored| stored.role))
    }

    /// A person looked up by a name, to invite or write to; `not_found` if there is none (or
    /// it was a guest's and is free, or the account is banned, or it is a bot whose owner is
    /// banned or gone: the same answer, as the directory leaves them out), `bad_request` for a
    /// webhook's bot (a bot with an API token, v1.28, reads and answers like a person).
    ///
    /// # Errors
    /// `bad_request` for an invalid name or a webhook's bot, `not_found`, or a store failure.
    pub(crate) async fn existing_person(&self, raw_name: &str) -> AppResult<User> {
        let record = self.record_named(raw_name).await?;
        let nobody = || {
            AppError::not_found(format!(
                "there is no user called `{}`",
                record.user.username
            ))
        };
        if record.banned {
            return Err(nobody());
        }
        if record.bot {
            let Some(bot) = self.hub.store.bot(record.user.id).await? else {
                return Err(AppError::bad_request(format!(
                    "`{}` is a webhook's bot: it posts, nobody writes to it",
                    record.user.username
                )));
            };
            // A bot answers for its owner: one whose owner is banned or gone is cut off (its
            // token no longer signs in) and left out of the directory, and so here.
            let owner = match &bot.owner {
                Some(owner) => self.hub.store.user_record(owner.id).await?,
                None => None,
            };
            if owner.is_none_or(|owner| owner.banned) {
                return Err(nobody());
            }
        }
        Ok(record.user)
    }

    /// The account `id` (a guest released since too: their messages still show them).
    ///
    /// # Errors
    /// `not_found`, or a failure.
    pub(crate) async fn user_by_id(&self, id: i64) -> AppResult<User> {
        self.hub
            .store
            .user_by_id(id)
            .await?
            .ok_or_else(|| AppError::not_found("there is no such account"))
    }

    /// The user called `raw_name` (a webhook's bot too: it can be muted, blocked, removed).
    ///
    /// # Errors
    /// `bad_request` (name), `not_found`, or a failure.
    pub(crate) async fn existing_user(&self, raw_name: &str) -> AppResult<User> {
        Ok(self.record_named(raw_name).await?.user)
    }

    /// The account called `raw_name`; `not_found` if there is none (or it was a guest's and is
    /// free).
    async fn record_named(&self, raw_name: &str) -> AppResult<store::UserRecord> {
        let username = names::username(raw_name)?;
        self.hub
            .store
            .user_by_name(&username)
            .await?
            .ok_or_else(|| AppError::not_found(format!("there is no user called `{username}`")))
    }

    /// An admin (`by`, whose role the caller has checked against the store) makes someone a
    /// member or an admin. A demoted admin loses the live admin view at once.
    ///
    /// # Errors
    /// `not_found`, `forbidden` (demoting yourself, the last admin), `bad_request` (guests), or
    /// a failure.
    pub(crate) async fn set_role(&self, by: &User, raw_name: &str, role: Role) -> AppResult<User> {
        let target = self.existing_user(raw_name).await?;
        if target.id == by.id && role != Role::Admin {
            return Err(AppError::forbidden(
                "you cannot demote yourself; ask another admin",
            ));
        }
        if target.role == Role::Guest || role == Role::Guest {
            return Err(AppError::bad_request(
                "guests have no account to promote or demote",
            ));
        }
        // A bot's token in other hands must never be an admin's (v1.28).
        if self.hub.store.is_bot(target.id).await? {
            return Err(AppError::bad_request("a bot's role does not change"));
        }
        let user = self
            .hub
            .store
            .set_role(target.id, role)
            .await
            .map_err(|error| match error {
                store::StoreError::LastAdmin => AppError::forbidden(format!(
                    "{} is the last admin; promote someone else first",
                    target.username
                )),
                other => other.into(),
            })?
            .ok_or_else(|| AppError::not_found("that user no longer exists"))?;
        if user.role != Role::Admin
            && let Some(admin) = self.fanout.admin()
        {
            let _ = admin.to(user_channel(user.id)).disconnect().await;
        }
        tracing::info!(user = %user.username, role = user.role.as_str(), by = %by.username, "role changed");
        self.audit
            .record(store::NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::SetRole,
                target: Some(&user.username),
                room: None,
                detail: Some(user.role.as_str().to_owned()),
            })
            .await;
        Ok(user)
    }

    /// Bans an account (by name; admins, `by`'s role checked against the store): its sessions end, its sockets on every node are
    /// disconnected, and with `addresses` new accounts and guests from the addresses it used
    /// are refused while it stays banned. Banning a banned account again changes nothing but
    /// may add its addresses. Recorded in the moderation log. Returns the account.
    ///
    /// # Errors
    /// `not_found`, `forbidden` (yourself, an admin), or a failure.
    pub(crate) async fn ban(&self, by: &User, raw_name: &str, addresses: bool) -> AppResult<User> {
        let target = self.existing_user(raw_name).await?;
        if target.id == by.id {
            return Err(AppError::forbidden("you cannot ban yourself"));
        }
        if target.role == Role::Admin {
            return Err(AppError::forbidden(format!(
                "{} is an admin; demote them first",
                target.username
            )));
        }
        let store = &self.hub.store;
        let now = now_ms();
        // Addresses first: from the moment the ban holds, they are refused too.
        let banned_addresses = if addresses {
            Some(store.ban_addresses(target.id, now).await?)
        } else {
            None
        };
        let changed = store.set_banned(target.id, true, now).await?;
        self.fanout.disconnect(&user_channel(target.id)).await;
        // Their bots stop with them (their tokens hold again after an unban), and so do the
        // commands they answer.
        let bots = store.bots(Some(target.id)).await?;
        for bot in &bots {
            self.fanout.disconnect(&user_channel(bot.id)).await;
        }
        if !bots.is_empty() || store.is_bot(target.id).await? {
            self.fanout.to_everyone(&protocol::CommandsChanged {}).await;
        }
        if !changed && banned_addresses.is_none() {
            return Ok(target);
        }
        tracing::info!(user = %target.username, by = %by.username, addresses = ?banned_addresses, "banned");
        self.audit
            .record(store::NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::Ban,
                target: Some(&target.username),
                room: None,
                detail: banned_addresses
                    .map(|n| format!("and new accounts from its {n} address{}", plural_es(n))),
            })
            .await;
        Ok(target)
    }

    /// Lifts a ban (by name), and the address bans that came with it. Recorded in the
    /// moderation log when it changed something.
    ///
    /// # Errors
    /// `not_found`, `forbidden` (yourself), or a failure.
    pub(crate) async fn unban(&self, by: &User, raw_name: &str) -> AppResult<()> {
        let target = self.existing_user(raw_name).await?;
        if target.id == by.id {
            return Err(AppError::forbidden("you cannot ban yourself"));
        }
        let store = &self.hub.store;
        let changed = store.set_banned(target.id, false, now_ms()).await?;
        let addresses = store.unban_addresses(target.id).await?;
        if !changed && addresses == 0 {
            return Ok(());
        }
        if self.answers_commands(target.id).await? {
            self.fanout.to_everyone(&protocol::CommandsChanged {}).await;
        }
        tracing::info!(user = %target.username, by = %by.username, "unbanned");
        self.audit
            .record(store::NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::Unban,
                target: Some(&target.username),
                room: None,
                detail: None,
            })
            .await;
        Ok(())
    }
}

impl Accounts {
    /// Whether the bot commands people see may change with `user_id`'s standing: a bot's, or
    /// that of someone who owns bots (v1.29).
    ///
    /// # Errors
    /// A database failure.
    pub(crate) async fn answers_commands(&self, user_id: i64) -> AppResult<bool> {
        let store = &self.hub.store;
        Ok(store.is_bot(user_id).await? || !store.bots(Some(user_id)).await?.is_empty())
    }
}

/// `es` after a count of more than one (`address`, `addresses`).
fn plural_es(n: u64) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// A name someone asks for: normalised, and not one of the reserved names.
pub(crate) fn chosen_name(raw: &str) -> AppResult<String> {
    let name = names::username(raw)?;
    if names::is_reserved_username(&name) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("`{name}` is reserved; pick another name"),
        ));
    }
    Ok(name)
}
