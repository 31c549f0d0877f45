//! The server's render: no connection, no timers, no listeners; everything answers as a page
//! that is not live would.

use std::time::{SystemTime, UNIX_EPOCH};

use protocol::{ErrorEvent, Request, ServerEvent};
use serde_json::Value;
use socket_client::{EmitError, RequestError, Status};

use super::NsEvent;

/// The browser's connection. None is made in the server's render ([`connect`] gives none, and
/// nothing else can make one); if one were, it would be one that never connects.
#[derive(Clone)]
pub struct Socket(());

impl Socket {
    /// A page's listeners on it.
    pub fn scope(&self) -> Scope {
        Scope(())
    }
    /// Never refused: never asked.
    pub fn is_refused(&self, _ns: &str) -> bool {
        false
    }
    /// Nothing to connect to.
    pub fn connect_namespace(&self, _ns: &str, _auth: Option<Value>) {}
    /// Nothing ever arrives.
    pub fn on<E: ServerEvent>(&self, _handler: impl Fn(E) + 'static) {}
    /// Nothing ever arrives.
    pub fn on_error(&self, _ns: &str, _handler: impl Fn(ErrorEvent) + 'static) {}
    /// It never changes.
    pub fn on_status(&self, _handler: impl Fn(Status) + 'static) {}
    /// Nothing ever connects.
    pub fn on_namespace(&self, _handler: impl Fn(&NsEvent) + 'static) {}
    /// Not sent.
    ///
    /// # Errors
    /// Always: not connected.
    pub fn send<R: Request>(&self, _request: &R) -> Result<(), EmitError> {
        Err(EmitError::NotConnected(R::NS.to_owned()))
    }
    /// Not sent.
    ///
    /// # Errors
    /// Always: not connected.
    pub async fn request<R: Request>(&self, _request: &R) -> Result<R::Response, RequestError> {
        Err(EmitError::NotConnected(R::NS.to_owned()).into())
    }
}

/// A page's listeners on the connection (see the browser's `Scope`).
pub struct Scope(());

/// No connection is made in the server's render.
#[must_use]
pub fn connect() -> Option<Socket> {
    None
}

/// Milliseconds since the epoch.
#[must_use]
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
}

/// Not random: nothing here waits with jitter.
#[must_use]
pub fn random() -> f64 {
    0.5
}

/// Never ends: nothing in the server's render waits for a browser timer.
pub async fn pause(_ms: u64) {
    std::future::pending::<()>().await;
}

/// A timer that never fires.
pub struct Timer;

impl Timer {
    /// Never calls `f`.
    pub fn after(_ms: u32, _f: impl FnOnce() + 'static) -> Self {
        Self
    }
}

/// Never calls `f`.
pub fn every(_ms: u32, _f: impl FnMut() + 'static) {}

/// A page being rendered is not yet shown.
#[must_use]
pub fn is_page_visible() -> bool {
    false
}

/// As a browser assumes until told otherwise.
#[must_use]
pub fn is_online() -> bool {
    true
}

/// Never calls `f`.
pub fn on_visibility_change(_f: impl Fn() + 'static) {}

/// Never calls `f`.
pub fn on_person_acting(_f: impl Fn() + 'static) {}

/// Never calls `f`.
pub fn on_page_hide(_f: impl Fn() + 'static) {}

/// Never calls `f`.
pub fn on_storage_change(_f: impl Fn(Option<String>) + 'static) {}

/// Nothing to register.
pub fn register_service_worker() {}

/// Not known here.
pub async fn session_ended() -> bool {
    false
}

/// Nothing is kept here.
#[must_use]
pub fn session_get(_key: &str) -> Option<String> {
    None
}

/// Nothing is kept here.
pub fn session_set(_key: &str, _value: &str) {}

/// The Web Locks API; none here ([`Locks::get`] gives none).
#[derive(Clone)]
pub struct Locks(());

impl Locks {
    /// None here.
    #[must_use]
    pub fn get() -> Option<Self> {
        None
    }
    /// Never held.
    pub fn hold(&self, _name: &str, _if_available: bool, _on_held: impl FnOnce(bool) + 'static) {}
    /// Not known.
    pub async fn held(&self) -> Option<Vec<String>> {
        None
    }
}
