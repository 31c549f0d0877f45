//! How people show: their profile pictures (v1.25) and display names (v1.26), read by id and
//! changed by their owner, with each change told to every `/chat` socket.

use protocol::events::AuditAction;
use protocol::{ErrorCode, Profile, ProfilesReq, ProfilesRes, User, validate};
use store::{Avatar, ProfileRecord, StoreError};

use super::{Actor, Chat};
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

impl Chat {
    /// The profiles of the accounts among `req.ids`.
    ///
    /// # Errors
    /// `bad_request` (no ids, too many), or a failure.
    pub async fn profiles(&self, req: &ProfilesReq) -> AppResult<ProfilesRes> {
        let ids = validate::profile_ids(&req.ids)?;
        let profiles = self
            .hub
            .store
            .profiles(&ids)
            .await?
            .into_iter()
            .map(profile)
            .collect();
        Ok(ProfilesRes { profiles })
    }

    /// Gives `actor` the picture `avatar` (kept in the file store already under its id), or
    /// none; the picture it replaces is removed, and everyone is told (unless nothing
    /// changed: no picture taken away from someone without one). Charged as a join (it
    /// reaches every socket).
    ///
    /// # Errors
    /// `rate_limited`; `unauthorized` when the account is gone (deleted meanwhile); a failure.
    /// On any error the new picture's bytes are removed.
    pub async fn set_avatar(&self, actor: &Actor, avatar: Option<Avatar>) -> AppResult<Profile> {
        let stored = match self.charge(actor, Action::Join).await {
            Ok(()) => self
                .hub
                .store
                .set_avatar(actor.user.id, avatar.as_ref())
                .await
                .map_err(gone_as_unauthorized),
            Err(refused) => Err(refused),
        };
        let replaced = match stored {
            Ok(replaced) => replaced,
            Err(error) => {
                if let Some(avatar) = &avatar {
                    self.hub.files.remove(&avatar.id).await;
                }
                return Err(error);
            }
        };
        let changed = avatar.is_some() || replaced.is_some();
        if let Some(old) = replaced {
            self.hub.files.remove(&old).await;
        }
        self.told(actor.user.id, changed).await
    }

    /// Takes away `target`'s picture and display name (an offensive one), by admin `by`, in
    /// one change: when something went, everyone is told, the person hears why, and the
    /// moderation log says what went (v1.32).
    ///
    /// # Errors
    /// `not_found` (the account is gone), or a failure.
    pub async fn clear_profile(&self, by: &User, target: &User) -> AppResult<Profile> {
        let gone = || AppError::not_found("that account no longer exists");
        let (picture, name) = self
            .hub
            .store
            .clear_profile(target.id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound => gone(),
                other => other.into(),
            })?;
        if let Some(picture) = &picture {
            self.hub.files.remove(picture).await;
        }
        let what = match (picture.is_some(), name.is_some()) {
            (true, true) => "picture and display name",
            (true, false) => "picture",
            (false, true) => "display name",
            (false, false) => "nothing to remove",
        };
        tracing::info!(user = %target.username, by = %by.username, what, "profile cleared");
        self.audit
            .record(store::NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::ClearProfile,
                target: Some(&target.username),
                room: None,
                detail: Some(what.to_owned()),
            })
            .await;
        let changed = picture.is_some() || name.is_some();
        if changed {
            self.tell_moderated(
                target,
                format!("An admin removed your {what}"),
                "Everyone sees your username instead. You may choose others that follow the rules."
                    .to_owned(),
                None,
            )
            .await;
        }
        self.told(target.id, changed).await.map_err(|_| gone())
    }

    /// Gives `actor` the display name `raw` (empty clears it), and tells everyone.
    ///
    /// # Errors
    /// `too_long`, `bad_request` (see [`validate::display_name`]), `conflict` for another
    /// account's username, `rate_limited`, or a failure.
    pub async fn set_display_name(&self, actor: &Actor, raw: &str) -> AppResult<Profile> {
        let name = validate::display_name(raw)?;
        if let Some(name) = &name
            && (protocol::names::is_reserved_username(name)
                || store::name_key(name) == store::name_key(store::ERASED_NAME))
        {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("“{name}” is reserved; pick another name"),
            ));
        }
        self.charge(actor, Action::Join).await?;
        self.hub
            .store
            .set_display_name(actor.user.id, name.as_deref())
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AppError::new(
                    ErrorCode::Conflict,
                    "that is someone else's username; pick a name that is not",
                ),
                other => gone_as_unauthorized(other),
            })?;
        self.told(actor.user.id, true).await
    }

    /// `user_id`'s profile as it is now, told to every `/chat` socket when it `changed`.
    async fn told(&self, user_id: i64, changed: bool) -> AppResult<Profile> {
        let record = self
            .hub
            .store
            .profiles(&[user_id])
            .await?
            .pop()
            .ok_or_else(AppError::unauthorized)?;
        let profile = profile(record);
        if changed {
            self.fanout.to_everyone(&profile).await;
        }
        Ok(profile)
    }
}

/// The caller's account is gone (deleted while it acted): its session is over.
fn gone_as_unauthorized(error: StoreError) -> AppError {
    match error {
        StoreError::NotFound => AppError::unauthorized(),
        other => other.into(),
    }
}

/// A profile as the wire has it: the picture by its address.
fn profile(record: ProfileRecord) -> Profile {
    Profile {
        id: record.id,
        avatar: record.avatar.as_deref().map(protocol::links::avatar),
        name: record.display_name,
    }
}
