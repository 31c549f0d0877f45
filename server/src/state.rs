//! The HTTP side's state: the realtime hub, the Socket.IO handle (so HTTP handlers can emit),
//! API bookkeeping and Leptos' options. Handlers and middlewares extract the part they need
//! (`FromRef`).

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use std::sync::Arc;

use store::Store;

use crate::config::Config;
use crate::http::pipeline::ApiInFlight;
use crate::hub::Hub;
use crate::origin::Site;
use crate::socket::SocketIo;

/// State of every HTTP handler; its parts (`state.hub`, ...) are reached through `Deref`.
/// Cloning it (axum does, for every request) costs one reference count.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    /// The state made of these parts.
    #[must_use]
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// What an [`AppState`] holds.
pub struct AppParts {
    /// Shared realtime state (store, config, presence, limits).
    pub hub: Hub,
    /// Socket.IO handle.
    pub io: SocketIo,
    /// API calls in progress per client address.
    pub api_in_flight: ApiInFlight,
    /// Leptos' options (site root, output name).
    pub leptos: LeptosOptions,
    /// This node's id (a cluster's proxy may route by it: the `tertulia_node` cookie).
    pub node: NodeId,
}

/// A node's name in its cluster (a random one on a single node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeId(pub String);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRef<AppState> for NodeId {
    fn from_ref(state: &AppState) -> Self {
        state.node.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Self {
        state.hub.config.clone()
    }
}

impl FromRef<AppState> for Arc<Site> {
    fn from_ref(state: &AppState) -> Self {
        state.hub.site.clone()
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Self {
        state.hub.store.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Hub {
    fn from_ref(state: &AppState) -> Self {
        state.hub.clone()
    }
}

impl FromRef<AppState> for SocketIo {
    fn from_ref(state: &AppState) -> Self {
        state.io.clone()
    }
}
