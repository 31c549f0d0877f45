//! The browser: web-sys, js-sys and gloo behind the functions [`crate::live`] uses.

use js_sys::{Array, Function, Object, Promise, Reflect};
use socket_client::Config;
pub use socket_client::browser::{Scope, Socket};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Opens the tab's Socket.IO connection to the page's own origin.
#[must_use]
pub fn connect() -> Option<Socket> {
    Some(Socket::connect(
        socket_client::browser::same_origin_url(),
        Config::default(),
    ))
}

/// Milliseconds since the epoch, by this browser's clock.
#[must_use]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A number uniform in `[0, 1)`.
#[must_use]
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// Waits `ms` milliseconds (a browser timer; longer waits are cut to about 50 days).
pub async fn pause(ms: u64) {
    gloo_timers::future::TimeoutFuture::new(ms.try_into().unwrap_or(u32::MAX)).await;
}

/// A timer that calls back once unless dropped first.
pub struct Timer {
    _timeout: gloo_timers::callback::Timeout,
}

impl Timer {
    /// Calls `f` after `ms` milliseconds.
    pub fn after(ms: u32, f: impl FnOnce() + 'static) -> Self {
        Self {
            _timeout: gloo_timers::callback::Timeout::new(ms, f),
        }
    }
}

/// Calls `f` every `ms` milliseconds for the page's life.
pub fn every(ms: u32, f: impl FnMut() + 'static) {
    std::mem::forget(gloo_timers::callback::Interval::new(ms, f));
}

/// Whether the page is visible (not a hidden tab).
#[must_use]
pub fn is_page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| !d.hidden())
}

/// Whether the browser believes it has a network.
#[must_use]
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Calls `f` whenever the page is shown or hidden, for the page's life.
pub fn on_visibility_change(f: impl Fn() + 'static) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_change = Closure::<dyn Fn()>::new(f);
    let _ = document
        .add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref());
    on_change.forget();
}

/// Calls `f` whenever the person acts on the page (a key, a click or touch, the wheel, the
/// window coming to the front), for the page's life. Listened to passively, the input at the
/// capture phase (nothing the page does can hide it), the window's focus at its own target only
/// (a field the app focuses by itself is no person acting).
pub fn on_person_acting(f: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_act = Closure::<dyn Fn()>::new(f);
    let input = web_sys::AddEventListenerOptions::new();
    input.set_capture(true);
    input.set_passive(true);
    for event in ["keydown", "pointerdown", "wheel"] {
        let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
            event,
            on_act.as_ref().unchecked_ref(),
            &input,
        );
    }
    // `focus` does not bubble: without capture, only the window's own reaches this.
    let _ = window.add_event_listener_with_callback("focus", on_act.as_ref().unchecked_ref());
    on_act.forget();
}

/// Calls `f` whenever the page is hidden or left, for the page's life.
pub fn on_page_hide(f: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_hide = Closure::<dyn Fn()>::new(f);
    let _ = window.add_event_listener_with_callback("pagehide", on_hide.as_ref().unchecked_ref());
    on_hide.forget();
}

/// Calls `f` with the key another tab changed in `localStorage` (`None`: all of it was
/// cleared), for the page's life.
pub fn on_storage_change(f: impl Fn(Option<String>) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_storage =
        Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
            f(event.key());
        });
    let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
    on_storage.forget();
}

/// Registers the service worker (see [`crate::offline`]).
pub fn register_service_worker() {
    crate::offline::register_service_worker();
}

/// Whether the server says this browser's session is over (see [`crate::api::session_ended`]).
pub async fn session_ended() -> bool {
    crate::api::session_ended().await
}

/// The value this tab keeps under `key` in `sessionStorage` (it survives a reload of the tab,
/// and is copied when the tab is duplicated).
#[must_use]
pub fn session_get(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok().flatten()
}

/// Keeps `value` under `key` in this tab's `sessionStorage`.
pub fn session_set(key: &str, value: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(key, value);
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The Web Locks API of this page's origin.
#[derive(Clone)]
pub struct Locks(JsValue);

impl Locks {
    /// The API, if this browser and page have it.
    #[must_use]
    pub fn get() -> Option<Self> {
        let navigator = web_sys::window()?.navigator();
        let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
        (!locks.is_undefined() && !locks.is_null()).then_some(Self(locks))
    }

    /// Asks for the lock `name` and keeps it for the page's life: `on_held(true)` once it is
    /// held, or, `if_available`, `on_held(false)` at once when another page holds it.
    pub fn hold(&self, name: &str, if_available: bool, on_held: impl FnOnce(bool) + 'static) {
        let locks = &self.0;
        let Some(request) = Reflect::get(locks, &"request".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        else {
            return;
        };
        let options = Object::new();
        let _ = Reflect::set(&options, &"ifAvailable".into(), &if_available.into());
        let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let held = !lock.is_null();
            on_held(held);
            if held {
                // Never settles: the lock is released only when the page goes.
                Promise::new(&mut |_, _| {}).into()
            } else {
                JsValue::UNDEFINED
            }
        });
        let _ = request.call3(locks, &name.into(), &options, &callback);
    }

    /// The names of the locks held by any page of this origin.
    pub async fn held(&self) -> Option<Vec<String>> {
        let locks = &self.0;
        let query: Function = Reflect::get(locks, &"query".into()).ok()?.dyn_into().ok()?;
        let promise: Promise = query.call0(locks).ok()?.dyn_into().ok()?;
        let snapshot = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
        let held: Array = Reflect::get(&snapshot, &"held".into())
            .ok()?
            .dyn_into()
            .ok()?;
        Some(
            held.iter()
                .filter_map(|lock| Reflect::get(&lock, &"name".into()).ok()?.as_string())
                .collect(),
        )
    }
}
