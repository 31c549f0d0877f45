//! CONNECT middlewares: who is this socket, and may it use this namespace?
//!
//! Browsers authenticate with the session cookie, which is only accepted when the handshake's
//! `Origin` is this site or an allowed origin (cross-site WebSocket hijacking); other clients
//! send `auth: {"token": "..."}`. An accepted socket gets, in its extensions: the [`User`], the
//! [`SessionKey`] (so logout can find it), its seat in the socket census and its
//! [`SocketGuard`]. An Engine.IO session that keeps failing its CONNECTs is closed.

use std::sync::Arc;

use protocol::{ConnectAuth, ConnectRefusal, Role, User};
use socketioxide::extract::{State, TryData};

use super::pipeline::SocketGuard;
use crate::auth::{BotAccount, CredentialSource, cookie_token, token_hash};
use crate::client_addr::client_of;
use crate::fanout::{SocketRef, session_channel};
use crate::live::limits::{Action, Subject};
use crate::services::Services;

/// The hash of the session token a socket authenticated with (so logout can disconnect it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey(pub String);

/// How the socket authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credential(pub CredentialSource);

/// Identifies the user from `auth.token` or the session cookie (with an allowed Origin) and
/// seats the socket in the census.
///
/// # Errors
/// [`ConnectRefusal::Unauthorized`] without a valid credential; `RateLimited` when the user or
/// address already has too many sockets; `Internal` when the database fails.
pub async fn authenticate(
    s: SocketRef,
    TryData(auth): TryData<ConnectAuth>,
    State(services): State<Services>,
) -> Result<(), ConnectRefusal> {
    let hub = &services.hub;
    let identified = identify(&s, auth.ok().and_then(|a| a.token), &services).await;
    let (account, token, source) = match identified {
        Ok(found) => found,
        Err(refusal) => {
            count_failure(&s, &services).await;
            return Err(refusal);
        }
    };
    let user = account.user;
    let addr = client_of(&s.req_parts().extensions).key;
    let seat = hub
        .live
        .seat(
            user.id,
            addr,
            hub.config.max_sockets_per_user,
            hub.config.max_sockets_per_ip,
        )
        .await
        .map_err(|error| {
            tracing::error!(%error, "counting sockets");
            ConnectRefusal::Internal
        })?
        .map_err(|full| {
            tracing::warn!(user = %user.username, %addr, ?full, "socket cap reached");
            ConnectRefusal::RateLimited
        })?;
    let session = token_hash(&token);
    s.join(session_channel(&session));
    if account.bot {
        s.extensions.insert(BotAccount);
    }
    s.extensions.insert(user);
    s.extensions.insert(SessionKey(session));
    s.extensions.insert(Credential(source));
    s.extensions.insert(Arc::new(seat));
    s.extensions
        .insert(SocketGuard::new(hub.config.max_in_flight));
    Ok(())
}

async fn identify(
    s: &SocketRef,
    token: Option<String>,
    services: &Services,
) -> Result<(store::UserRecord, String, CredentialSource), ConnectRefusal> {
    let hub = &services.hub;
    let headers = &s.req_parts().headers;
    let (token, source) = match token {
        Some(token) => (token, CredentialSource::Token),
        None => {
            let token = cookie_token(headers, hub.config.secure_cookies)
                .ok_or(ConnectRefusal::Unauthorized)?;
            if !hub.site.origin_allowed(headers) {
                tracing::warn!(origin = ?headers.get("origin"), "cookie handshake from a foreign origin refused");
                return Err(ConnectRefusal::Unauthorized);
            }
            (token, CredentialSource::Cookie)
        }
    };
    let account = services
        .accounts
        .session_account(&token)
        .await
        .map_err(|error| {
            tracing::error!(%error, "checking a socket's session");
            ConnectRefusal::Internal
        })?
        .ok_or(ConnectRefusal::Unauthorized)?;
    Ok((account, token, source))
}

/// Counts a failed CONNECT against the socket's Engine.IO session and closes the session when
/// it has failed too often (a client guessing tokens, or a broken one looping).
async fn count_failure(s: &SocketRef, services: &Services) {
    if !services
        .hub
        .live
        .check(Action::FailedConnect, Subject::Session(s.id), 1)
        .await
    {
        tracing::warn!(sid = %s.id, "repeated failed CONNECTs: closing the session");
        s.close_transport();
    }
}

/// Lets only admins through; runs after [`authenticate`].
///
/// # Errors
/// [`ConnectRefusal::Forbidden`] for guests and members.
pub async fn require_admin(
    s: SocketRef,
    State(services): State<Services>,
) -> Result<(), ConnectRefusal> {
    match s.extensions.get::<User>() {
        Some(user) if user.role == Role::Admin => Ok(()),
        Some(_) => {
            count_failure(&s, &services).await;
            Err(ConnectRefusal::Forbidden)
        }
        None => Err(ConnectRefusal::Unauthorized),
    }
}
