//! The HTTP side's state: the services, API bookkeeping and Leptos' options. Handlers and
//! middlewares extract the part they need (`FromRef`).

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use std::sync::Arc;

use store::Store;

use super::pipeline::ApiInFlight;
use crate::config::Config;
use crate::hub::Hub;
use crate::origin::Site;
use crate::services::Services;

/// State of every HTTP handler; its parts (`state.services.hub`, ...) are reached through `Deref`.
/// Cloning it (axum does, for every request) costs one reference count.
#[derive(Clone)]
pub(crate) struct AppState(Arc<AppParts>);

impl AppState {
    /// The state made of these parts.
    #[must_use]
    pub(crate) fn new(parts: AppParts) -> Self {
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
pub(crate) struct AppParts {
    /// The services (and through them the hub: store, settings, live state).
    pub(crate) services: Services,
    /// API calls in progress per client address.
    pub(crate) api_in_flight: ApiInFlight,
    /// Leptos' options (site root, output name).
    pub(crate) leptos: LeptosOptions,
    /// This node's id (a cluster's proxy may route by it: the `tertulia_node` cookie).
    pub(crate) node: NodeId,
    /// The browser bundle, compressed once per file and encoding.
    pub(crate) assets: super::assets::Assets,
}

/// A node's name in its cluster (a random one on a single node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeId(pub(crate) String);

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
        state.services.hub.config.clone()
    }
}

impl FromRef<AppState> for Arc<Site> {
    fn from_ref(state: &AppState) -> Self {
        state.services.hub.site.clone()
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Self {
        state.services.hub.store.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Hub {
    fn from_ref(state: &AppState) -> Self {
        state.services.hub.clone()
    }
}

impl FromRef<AppState> for Services {
    fn from_ref(state: &AppState) -> Self {
        state.services.clone()
    }
}
