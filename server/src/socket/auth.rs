//! CONNECT middlewares: who is this socket, and may it use this namespace?
//!
//! Browsers authenticate with the session cookie, which is only accepted when the handshake's
//! `Origin` is allowed (cross-site WebSocket hijacking); other clients send
//! `auth: {"token": "..."}`. The user is stored in the socket's extensions for the handlers.

use std::fmt;

use protocol::{Role, User};
use serde::Deserialize;
use socketioxide::SocketIo;
use socketioxide::extract::{SocketRef, State, TryData};

use crate::auth::{cookie_token, origin_allowed, user_for_token};
use crate::hub::Hub;

/// Why a CONNECT was refused; its `Display` is the CONNECT_ERROR `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectRefusal {
    /// No valid credential.
    Unauthorized,
    /// Valid credential, insufficient role.
    Forbidden,
    /// Too many sockets for this user.
    RateLimited,
    /// The server failed to check.
    Internal,
}

impl fmt::Display for ConnectRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        })
    }
}

/// The hash of the session token a socket authenticated with (so logout can disconnect it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey(pub String);

/// The CONNECT payload non-browser clients send.
#[derive(Debug, Default, Deserialize)]
pub struct AuthPayload {
    /// Session token from `/api/auth/*`.
    #[serde(default)]
    pub token: Option<String>,
}

/// Identifies the user from `auth.token` or the session cookie (with an allowed Origin).
///
/// # Errors
/// [`ConnectRefusal::Unauthorized`] without a valid credential; `RateLimited` when the user
/// already has too many sockets.
pub async fn authenticate(
    s: SocketRef,
    io: SocketIo,
    TryData(auth): TryData<AuthPayload>,
    State(hub): State<Hub>,
) -> Result<(), ConnectRefusal> {
    let headers = &s.req_parts().headers;
    let token = match auth.ok().and_then(|a| a.token) {
        Some(token) => token,
        None => {
            let token = cookie_token(headers).ok_or(ConnectRefusal::Unauthorized)?;
            if !origin_allowed(headers, &hub.config.allowed_origins) {
                tracing::warn!(origin = ?headers.get("origin"), "cookie handshake from a foreign origin refused");
                return Err(ConnectRefusal::Unauthorized);
            }
            token
        }
    };
    let user = user_for_token(&hub.store, &token)
        .await
        .map_err(|error| {
            tracing::error!(%error, "checking a socket's session");
            ConnectRefusal::Internal
        })?
        .ok_or(ConnectRefusal::Unauthorized)?;
    let ip = super::client_ip(&s);
    let from_ip = super::count_sockets(&io, |other| super::client_ip(other) == ip);
    let of_user = super::count_sockets(&io, |other| {
        other
            .extensions
            .get::<User>()
            .is_some_and(|u| u.id == user.id)
    });
    if of_user >= hub.config.max_sockets_per_user || from_ip >= hub.config.max_sockets_per_ip {
        tracing::warn!(user = %user.username, %ip, of_user, from_ip, "socket cap reached");
        return Err(ConnectRefusal::RateLimited);
    }
    s.extensions.insert(user);
    s.extensions
        .insert(SessionKey(crate::auth::token_hash(&token)));
    Ok(())
}

/// Lets only admins through; runs after [`authenticate`].
///
/// # Errors
/// [`ConnectRefusal::Forbidden`] for guests and members.
pub async fn require_admin(s: SocketRef) -> Result<(), ConnectRefusal> {
    match s.extensions.get::<User>() {
        Some(user) if user.role == Role::Admin => Ok(()),
        Some(_) => Err(ConnectRefusal::Forbidden),
        None => Err(ConnectRefusal::Unauthorized),
    }
}
