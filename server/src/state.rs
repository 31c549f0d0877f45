//! The HTTP side's state: the realtime hub, the Socket.IO handle (so HTTP handlers can emit)
//! and Leptos' options.

use std::ops::Deref;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use socketioxide::SocketIo;

use crate::hub::Hub;

/// State of every HTTP handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Shared realtime state (store, config, presence, limits).
    pub hub: Hub,
    /// Socket.IO handle.
    pub io: SocketIo,
    /// Leptos' options (site root, output name).
    pub leptos: LeptosOptions,
}

impl Deref for AppState {
    type Target = Hub;
    fn deref(&self) -> &Hub {
        &self.hub
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
