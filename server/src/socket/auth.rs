//! CONNECT middlewares: who is this socket, and may it use this namespace?
//!
//! Browsers authenticate with the session cookie, which is only accepted when the handshake's
//! `Origin` is this site or an allowed origin (cross-site WebSocket hijacking); other clients
//! send `auth: {"token": "..."}`. An accepted socket gets its [`SocketIdentity`]. An Engine.IO
//! session that keeps failing its CONNECTs is closed.

use std::sync::Arc;

use protocol::{ConnectAuth, ConnectRefusal, Role, User};
use socketioxide::extract::{State, TryData};

use super::pipeline::SocketGuard;
use crate::auth::{cookie_token, token_hash};
use crate::client_addr::client_of;
use crate::fanout::{Adapter, SocketRef, session_channel};
use crate::live::Seat;
use crate::live::limits::{Action, Subject};
use crate::services::Services;

/// Who an accepted socket is, and what it holds while it lives: set once by [`authenticate`],
/// as the socket's one extension (`Arc<SocketIdentity>`). One allocation per connection rather
/// than one per item, which idle connections keep.
#[derive(Debug)]
pub struct SocketIdentity {
    /// The account.
    pub user: User,
    /// The hash of the session token the socket authenticated with (so logout can find it).
    pub session: String,
    /// Whether it is a bot's connection (v1.28): what it sends shows as from a bot.
    pub bot: bool,
    /// Its events in flight and its refusals.
    pub guard: Arc<SocketGuard>,
    /// Its place in the socket census, given back when the socket goes.
    _seat: Seat,
}

impl SocketIdentity {
    /// The identity of `socket`, once [`authenticate`] has accepted it.
    #[must_use]
    pub fn of(socket: &socketioxide::socket::Socket<Adapter>) -> Option<Arc<Self>> {
        socket.extensions.get::<Arc<Self>>()
    }
}

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
    let (account, token) = match identified {
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
    s.extensions.insert(Arc::new(SocketIdentity {
        user,
        session,
        bot: account.bot,
        guard: SocketGuard::new(hub.config.max_in_flight),
        _seat: seat,
    }));
    Ok(())
}

async fn identify(
    s: &SocketRef,
    token: Option<String>,
    services: &Services,
) -> Result<(store::UserRecord, String), ConnectRefusal> {
    let hub = &services.hub;
    let headers = &s.req_parts().headers;
    let token = match token {
        Some(token) => token,
        None => {
            let token = cookie_token(headers, hub.config.secure_cookies)
                .ok_or(ConnectRefusal::Unauthorized)?;
            if !hub.site.origin_allowed(headers) {
                tracing::warn!(origin = ?headers.get("origin"), "cookie handshake from a foreign origin refused");
                return Err(ConnectRefusal::Unauthorized);
            }
            token
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
    Ok((account, token))
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
    match SocketIdentity::of(&s) {
        Some(identity) if identity.user.role == Role::Admin => Ok(()),
        Some(_) => {
            count_failure(&s, &services).await;
            Err(ConnectRefusal::Forbidden)
        }
        None => Err(ConnectRefusal::Unauthorized),
    }
}
