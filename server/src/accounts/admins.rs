//! `server create-admin NAME`: the operator's way to make an admin, explicit about what it
//! does (the command is [`crate::create_admin`]). It creates a new account (a password is
//! required), promotes an existing registered account only when asked (`--promote`, and then
//! no password, which would be ignored), and never promotes a guest: a guest holding the name
//! is only evicted when asked (`--evict-guest`: its sessions end, its sockets in this process
//! are closed and its name is freed), then the account is created.
//! Reserved names (`admin`, `root`...) are allowed here: this is how an operator takes them.

use std::fmt;

use protocol::{Role, names, validate};
use thiserror::Error;

use super::Accounts;
use crate::auth::hash_password;
use crate::clock::now_ms;
use crate::fanout::user_channel;

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct CreateAdmin {
    /// The admin's name.
    pub username: String,
    /// Password of a new account.
    pub password: Option<String>,
    /// Promote an existing registered account.
    pub promote: bool,
    /// Free the name if a guest holds it.
    pub evict_guest: bool,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new admin account.
    Created(String),
    /// An existing account is now admin.
    Promoted(String),
    /// The account was already an admin.
    AlreadyAdmin(String),
    /// A guest's name was freed and the admin account created.
    EvictedAndCreated(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Created(name) => write!(f, "created the admin account {name}"),
            Self::Promoted(name) => write!(f, "{name} is now an admin"),
            Self::AlreadyAdmin(name) => write!(f, "{name} is already an admin; nothing changed"),
            Self::EvictedAndCreated(name) => write!(
                f,
                "ended the guest {name}'s sessions, freed the name and created the admin account {name}"
            ),
        }
    }
}

/// Why nothing was done.
#[derive(Debug, Error)]
pub enum CreateAdminError {
    /// The name breaks the rules.
    #[error("invalid username: {0}")]
    InvalidName(String),
    /// The password breaks the rules.
    #[error("invalid password: {0}")]
    InvalidPassword(String),
    /// A new account needs a password.
    #[error(
        "no account called {0} exists: give a password (--password or TERTULIA_ADMIN_PASSWORD) to create it"
    )]
    PasswordNeeded(String),
    /// The account exists and `--promote` was not given.
    #[error("an account called {0} already exists; run again with --promote to make it admin")]
    Exists(String),
    /// `--promote` with a password: the password would be ignored.
    #[error(
        "{0} already exists and --promote keeps its password; run again without a password (this command never changes one)"
    )]
    PasswordIgnored(String),
    /// A guest holds the name.
    #[error(
        "{0} is a guest's name, and guests are never promoted; run again with --evict-guest to end that guest's sessions and create the account"
    )]
    GuestHoldsName(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Hashing failed.
    #[error("hashing the password: {0}")]
    Hash(String),
}

impl Accounts {
    /// Carries out `create-admin`.
    ///
    /// # Errors
    /// [`CreateAdminError`] saying why nothing was done.
    pub(crate) async fn create_admin(
        &self,
        request: CreateAdmin,
    ) -> Result<Outcome, CreateAdminError> {
        let store = &self.hub.store;
        let username = names::username(&request.username)
            .map_err(|e| CreateAdminError::InvalidName(e.message))?;
        let mut evicted = false;
        if let Some(record) = store.user_by_name(&username).await? {
            let existing = record.user;
            match existing.role {
                Role::Guest if request.evict_guest => {
                    let now = now_ms();
                    store.revoke_user_sessions(existing.id, now).await?;
                    store.release_guest(existing.id, now).await?;
                    self.fanout.disconnect(&user_channel(existing.id)).await;
                    evicted = true;
                }
                Role::Guest => return Err(CreateAdminError::GuestHoldsName(existing.username)),
                _ if !request.promote => return Err(CreateAdminError::Exists(existing.username)),
                _ if request.password.is_some() => {
                    return Err(CreateAdminError::PasswordIgnored(existing.username));
                }
                Role::Admin => return Ok(Outcome::AlreadyAdmin(existing.username)),
                Role::Member => {
                    let user = store
                        .set_role(existing.id, Role::Admin)
                        .await?
                        .ok_or_else(|| CreateAdminError::Exists(existing.username.clone()))?;
                    return Ok(Outcome::Promoted(user.username));
                }
            }
        }
        let password = request
            .password
            .ok_or_else(|| CreateAdminError::PasswordNeeded(username.clone()))?;
        validate::new_password(&password)
            .map_err(|e| CreateAdminError::InvalidPassword(e.message))?;
        let hash = hash_password(&self.hub.hashing, None, password)
            .await
            .map_err(|e| CreateAdminError::Hash(e.to_string()))?;
        let user = store.create_account(&username, &hash, now_ms()).await?;
        store.set_role(user.id, Role::Admin).await?;
        Ok(if evicted {
            Outcome::EvictedAndCreated(user.username)
        } else {
            Outcome::Created(user.username)
        })
    }
}
