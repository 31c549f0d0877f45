//! Sessions of open sockets, checked again: a socket authenticates at CONNECT, and a session
//! ended where this node does not hear of it (another process, expiry while connected) would
//! otherwise keep its sockets open. Every session-check period, one query over this node's
//! sockets finds the ended sessions and their sockets are closed.

use std::collections::HashMap;

use super::auth::SocketIdentity;
use crate::clock::now_ms;
use crate::fanout::SocketRef;
use crate::services::Services;

/// Closes, every session-check period, the sockets of this node whose session ended without
/// this node being told: revoked by another process (`server create-admin --evict-guest`, an
/// operator's SQL), expired while connected, or its account banned or deleted elsewhere.
pub fn spawn_session_check(services: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(services.hub.config.session_check_period());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let started = std::time::Instant::now();
            match close_ended_sessions(&services).await {
                Ok(0) => {}
                Ok(closed) => tracing::info!(closed, "sockets of ended sessions closed"),
                Err(error) => tracing::warn!(%error, "checking the sessions of open sockets"),
            }
            services
                .hub
                .metrics()
                .task("session_check", started.elapsed());
        }
    })
}

/// Disconnects this node's sockets whose session is no longer live; how many.
///
/// # Errors
/// A database failure (nothing is closed then).
pub async fn close_ended_sessions(services: &Services) -> Result<usize, store::StoreError> {
    let mut by_session: HashMap<String, Vec<SocketRef>> = HashMap::new();
    for socket in services.fanout.local_sockets() {
        if let Some(identity) = SocketIdentity::of(&socket) {
            by_session
                .entry(identity.session.clone())
                .or_default()
                .push(socket);
        }
    }
    if by_session.is_empty() {
        return Ok(0);
    }
    let hashes: Vec<String> = by_session.keys().cloned().collect();
    let live = services
        .hub
        .store
        .live_sessions_among(&hashes, now_ms())
        .await?;
    let mut closed = 0;
    for (hash, sockets) in by_session {
        if live.contains(&hash) {
            continue;
        }
        for socket in sockets {
            if socket.disconnect().is_ok() {
                closed += 1;
            }
        }
    }
    Ok(closed)
}
