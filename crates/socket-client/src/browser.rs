//! The browser driver: [`Machine`] over `web_sys::WebSocket` (wasm32 only).
//!
//! [`Socket`] is a cheap, clonable handle. The WebSocket's callbacks hold only a weak reference,
//! so dropping the last handle closes the connection and removes every callback (nothing is
//! leaked with `forget()`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use protocol::{ErrorEvent, Request, ServerEvent};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use crate::{
    AckError, Config, EmitError, Machine, NsState, Output, RequestError, Status, decode_ack,
};

type Listener = Rc<dyn Fn(Vec<Value>)>;
type NsListener = Rc<dyn Fn(&NsEvent)>;
type StatusListener = Rc<dyn Fn(Status)>;

/// Who registered a listener: [`SOCKET_OWNER`] for the socket's whole life, or a [`Scope`].
type Owner = u64;

/// Listeners registered on the [`Socket`] itself live as long as the connection.
const SOCKET_OWNER: Owner = 0;

pub use crate::NsEvent;

struct Transport {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Transport {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

struct Timer {
    handle: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_timeout_with_handle(self.handle);
        }
    }
}

struct WindowListener {
    event: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Drop for WindowListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                self.event,
                self.callback.as_ref().unchecked_ref(),
            );
        }
    }
}

struct Inner {
    machine: Machine,
    url: String,
    transport: Option<Transport>,
    timer: Option<Timer>,
    listeners: HashMap<(String, String), Vec<(Owner, Listener)>>,
    ns_listeners: Vec<(Owner, NsListener)>,
    status_listeners: Vec<(Owner, StatusListener)>,
    next_scope: Owner,
    acks: HashMap<u64, oneshot::Sender<Result<Vec<Value>, AckError>>>,
    _window_listeners: Vec<WindowListener>,
}

/// A Socket.IO connection from the browser; clone freely, it is one connection.
#[derive(Clone)]
pub struct Socket {
    inner: Rc<RefCell<Inner>>,
}

/// Milliseconds on the page's monotonic clock: the machine's deadlines (dead link, acks,
/// retries) must not move when the wall clock is set back or forward.
fn now() -> u64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now()) as u64
}

/// The Socket.IO endpoint of the page's own origin (`ws:` or `wss:` to match the page).
#[must_use]
pub fn same_origin_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let host = location
        .as_ref()
        .and_then(|l| l.host().ok())
        .unwrap_or_default();
    let secure = location
        .and_then(|l| l.protocol().ok())
        .is_some_and(|p| p == "https:");
    let scheme = if secure { "wss" } else { "ws" };
    format!("{scheme}://{host}/socket.io/?EIO=4&transport=websocket")
}

impl Socket {
    /// Connects to `url` (see [`same_origin_url`]); namespaces are added with
    /// [`Self::connect_namespace`].
    #[must_use]
    pub fn connect(url: String, mut config: Config) -> Self {
        config.seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let inner = Rc::new(RefCell::new(Inner {
            machine: Machine::new(config),
            url,
            transport: None,
            timer: None,
            listeners: HashMap::new(),
            ns_listeners: Vec::new(),
            status_listeners: Vec::new(),
            next_scope: SOCKET_OWNER + 1,
            acks: HashMap::new(),
            _window_listeners: Vec::new(),
        }));
        let listeners = ["online", "offline"]
            .into_iter()
            .filter_map(|event| window_listener(&inner, event))
            .collect();
        inner.borrow_mut()._window_listeners = listeners;
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        {
            let mut state = inner.borrow_mut();
            if online {
                state.machine.start(now());
            } else {
                state.machine.start(now());
                state.machine.set_online(now(), false);
            }
        }
        drive(&inner);
        Self { inner }
    }

    /// The current link status.
    #[must_use]
    pub fn status(&self) -> Status {
        self.inner.borrow().machine.status()
    }

    /// Whether a namespace is connected now.
    #[must_use]
    pub fn is_connected(&self, ns: &str) -> bool {
        self.inner.borrow().machine.namespace(ns) == Some(&NsState::Connected)
    }

    /// Whether the server refused a namespace (and it was not asked for again since).
    #[must_use]
    pub fn is_refused(&self, ns: &str) -> bool {
        matches!(
            self.inner.borrow().machine.namespace(ns),
            Some(NsState::Refused(_))
        )
    }

    /// Asks for a namespace with an `auth` payload (again, to retry after a refusal).
    pub fn connect_namespace(&self, ns: &str, auth: Option<Value>) {
        self.inner.borrow_mut().machine.connect_namespace(ns, auth);
        drive(&self.inner);
    }

    /// Calls `handler` with every server event of type `E` (decoded from its first argument).
    /// Arguments of another shape are logged and skipped.
    pub fn on<E: ServerEvent>(&self, handler: impl Fn(E) + 'static) {
        self.listen(SOCKET_OWNER, E::NS, E::EVENT, handler);
    }

    /// Calls `handler` with every `error` event of namespace `ns` (a failed event that asked
    /// for no ack).
    pub fn on_error(&self, ns: &str, handler: impl Fn(ErrorEvent) + 'static) {
        self.listen(SOCKET_OWNER, ns, protocol::events::ERROR, handler);
    }

    /// A new [`Scope`]: listeners and namespaces that one part of the page adds to this
    /// connection and takes away again by dropping it.
    #[must_use]
    pub fn scope(&self) -> Scope {
        let id = {
            let mut state = self.inner.borrow_mut();
            state.next_scope += 1;
            state.next_scope
        };
        Scope {
            socket: Rc::downgrade(&self.inner),
            id,
            namespaces: RefCell::new(Vec::new()),
        }
    }

    fn listen<T: DeserializeOwned + 'static>(
        &self,
        owner: Owner,
        ns: &str,
        event: &str,
        handler: impl Fn(T) + 'static,
    ) {
        let name = event.to_owned();
        let listener: Listener = Rc::new(move |mut args: Vec<Value>| {
            let first = if args.is_empty() {
                Value::Null
            } else {
                args.swap_remove(0)
            };
            match serde_json::from_value::<T>(first) {
                Ok(value) => handler(value),
                Err(error) => {
                    web_sys::console::warn_1(&format!("ignored `{name}`: {error}").into())
                }
            }
        });
        self.inner
            .borrow_mut()
            .listeners
            .entry((ns.to_owned(), event.to_owned()))
            .or_default()
            .push((owner, listener));
    }

    /// Calls `handler` on every link status change.
    pub fn on_status(&self, handler: impl Fn(Status) + 'static) {
        self.inner
            .borrow_mut()
            .status_listeners
            .push((SOCKET_OWNER, Rc::new(handler)));
    }

    /// Calls `handler` when a namespace connects, is refused or disconnects.
    pub fn on_namespace(&self, handler: impl Fn(&NsEvent) + 'static) {
        self.on_namespace_for(SOCKET_OWNER, handler);
    }

    fn on_namespace_for(&self, owner: Owner, handler: impl Fn(&NsEvent) + 'static) {
        self.inner
            .borrow_mut()
            .ns_listeners
            .push((owner, Rc::new(handler)));
    }

    /// Leaves a namespace (the server sees a DISCONNECT); it is not reconnected.
    pub fn disconnect_namespace(&self, ns: &str) {
        self.inner.borrow_mut().machine.disconnect_namespace(ns);
        drive(&self.inner);
    }

    /// Sends a request without asking for an ack (for advisory events such as `typing`).
    ///
    /// # Errors
    /// [`EmitError`] when the namespace is not connected or the payload is too large.
    pub fn send<R: Request>(&self, request: &R) -> Result<(), EmitError> {
        let arg = serde_json::to_value(request).unwrap_or(Value::Null);
        let result = self
            .inner
            .borrow_mut()
            .machine
            .emit(now(), R::NS, R::EVENT, vec![arg], false);
        drive(&self.inner);
        result.map(|_| ())
    }

    /// Sends a request and waits for its `{"ok":..}` ack, decoded as the request's answer.
    ///
    /// # Errors
    /// [`RequestError`] when not sent, not answered in time, answered with an error, or malformed.
    pub async fn request<R: Request>(&self, request: &R) -> Result<R::Response, RequestError> {
        let arg = serde_json::to_value(request).unwrap_or(Value::Null);
        let receiver = {
            let mut state = self.inner.borrow_mut();
            let id = state
                .machine
                .emit(now(), R::NS, R::EVENT, vec![arg], true)?
                .ok_or(RequestError::Ack(AckError::Disconnected))?;
            let (sender, receiver) = oneshot::channel();
            state.acks.insert(id, sender);
            receiver
        };
        drive(&self.inner);
        let args = receiver
            .await
            .map_err(|_| RequestError::Ack(AckError::Disconnected))??;
        decode_ack(args)
    }
}

fn window_listener(inner: &Rc<RefCell<Inner>>, event: &'static str) -> Option<WindowListener> {
    let window = web_sys::window()?;
    let weak = Rc::downgrade(inner);
    let online = event == "online";
    let callback = Closure::<dyn FnMut(Event)>::new(move |_| {
        with_inner(&weak, |state| state.machine.set_online(now(), online));
    });
    window
        .add_event_listener_with_callback(event, callback.as_ref().unchecked_ref())
        .ok()?;
    Some(WindowListener { event, callback })
}

/// Runs `f` on the state if the socket still exists, then carries out the machine's outputs.
fn with_inner(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Inner)) {
    if let Some(inner) = weak.upgrade() {
        f(&mut inner.borrow_mut());
        drive(&inner);
    }
}

fn open_transport(inner: &Rc<RefCell<Inner>>) -> Option<Transport> {
    let url = inner.borrow().url.clone();
    let ws = WebSocket::new(&url).ok()?;
    let weak = Rc::downgrade(inner);
    let on_open = Closure::<dyn FnMut(Event)>::new({
        let weak = weak.clone();
        move |_| with_inner(&weak, |state| state.machine.handle_open(now()))
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let weak = weak.clone();
        move |event: MessageEvent| {
            // Tertulia's contract is text-only; binary frames are not expected.
            if let Some(text) = event.data().as_string() {
                with_inner(&weak, |state| state.machine.handle_frame(now(), &text));
            }
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_| {
        with_inner(&weak, |state| {
            state.transport = None;
            state.machine.handle_close(now());
        });
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // `error` is always followed by `close`, which is where the machine hears about it.
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    Some(Transport {
        ws,
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    })
}

/// Carries out the machine's outputs, then arms the timer for its next deadline.
fn drive(inner: &Rc<RefCell<Inner>>) {
    loop {
        let Some(output) = inner.borrow_mut().machine.poll_output() else {
            break;
        };
        match output {
            Output::OpenTransport => {
                let transport = open_transport(inner);
                let failed = transport.is_none();
                inner.borrow_mut().transport = transport;
                if failed {
                    inner.borrow_mut().machine.handle_close(now());
                }
            }
            Output::Send(frame) => {
                let failed = inner
                    .borrow()
                    .transport
                    .as_ref()
                    .is_some_and(|t| t.ws.send_with_str(&frame).is_err());
                if failed {
                    let mut state = inner.borrow_mut();
                    state.transport = None;
                    state.machine.handle_close(now());
                }
            }
            Output::CloseTransport => {
                let transport = inner.borrow_mut().transport.take();
                drop(transport);
            }
            Output::Status(status) => {
                let listeners = inner.borrow().status_listeners.clone();
                for (_, listener) in listeners {
                    listener(status);
                }
            }
            Output::Connected { ns } => notify_ns(inner, &NsEvent::Connected(ns)),
            Output::ConnectError { ns, message } => {
                notify_ns(inner, &NsEvent::Refused(ns, message))
            }
            Output::Disconnected { ns, by_server } => {
                notify_ns(inner, &NsEvent::Disconnected(ns, by_server));
            }
            Output::Event { ns, event, args } => {
                let listeners = inner
                    .borrow()
                    .listeners
                    .get(&(ns, event))
                    .cloned()
                    .unwrap_or_default();
                for (_, listener) in listeners {
                    listener(args.clone());
                }
            }
            Output::Ack { id, result } => {
                let waiter = inner.borrow_mut().acks.remove(&id);
                if let Some(waiter) = waiter {
                    let _ = waiter.send(result);
                }
            }
            Output::ProtocolError(error) => {
                web_sys::console::warn_1(&format!("socket.io: ignored frame: {error}").into());
            }
        }
    }
    arm_timer(inner);
}

fn notify_ns(inner: &Rc<RefCell<Inner>>, event: &NsEvent) {
    let listeners = inner.borrow().ns_listeners.clone();
    for (_, listener) in listeners {
        listener(event);
    }
}

/// What one part of the page (a page, a panel) added to a shared [`Socket`]: its listeners and
/// the namespaces it connected. Dropping it removes those listeners and leaves those
/// namespaces; the connection and everything else on it stay. It does not keep the
/// connection alive.
pub struct Scope {
    socket: Weak<RefCell<Inner>>,
    id: Owner,
    namespaces: RefCell<Vec<String>>,
}

impl Scope {
    /// The connection, while it exists.
    #[must_use]
    pub fn socket(&self) -> Option<Socket> {
        self.socket.upgrade().map(|inner| Socket { inner })
    }

    /// [`Socket::on`], until the scope drops.
    pub fn on<E: ServerEvent>(&self, handler: impl Fn(E) + 'static) {
        if let Some(socket) = self.socket() {
            socket.listen(self.id, E::NS, E::EVENT, handler);
        }
    }

    /// [`Socket::on_namespace`], until the scope drops.
    pub fn on_namespace(&self, handler: impl Fn(&NsEvent) + 'static) {
        if let Some(socket) = self.socket() {
            socket.on_namespace_for(self.id, handler);
        }
    }

    /// [`Socket::connect_namespace`]; the namespace is left when the scope drops.
    pub fn connect_namespace(&self, ns: &str, auth: Option<Value>) {
        if let Some(socket) = self.socket() {
            socket.connect_namespace(ns, auth);
            self.namespaces.borrow_mut().push(ns.to_owned());
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let Some(inner) = self.socket.upgrade() else {
            return;
        };
        {
            let Ok(mut state) = inner.try_borrow_mut() else {
                // Only possible from inside the socket's own bookkeeping, which never drops
                // scopes; listeners are cloned out before they run.
                return;
            };
            let id = self.id;
            for listeners in state.listeners.values_mut() {
                listeners.retain(|(owner, _)| *owner != id);
            }
            state.listeners.retain(|_, listeners| !listeners.is_empty());
            state.ns_listeners.retain(|(owner, _)| *owner != id);
            state.status_listeners.retain(|(owner, _)| *owner != id);
            for ns in self.namespaces.borrow().iter() {
                state.machine.disconnect_namespace(ns);
            }
        }
        drive(&inner);
    }
}

fn arm_timer(inner: &Rc<RefCell<Inner>>) {
    let deadline = inner.borrow().machine.next_deadline();
    let previous = inner.borrow_mut().timer.take();
    drop(previous);
    let (Some(deadline), Some(window)) = (deadline, web_sys::window()) else {
        return;
    };
    let weak = Rc::downgrade(inner);
    let callback = Closure::<dyn FnMut()>::new(move || {
        with_inner(&weak, |state| {
            state.timer = None;
            state.machine.handle_tick(now());
        });
    });
    let delay = deadline.saturating_sub(now()).min(i32::MAX as u64) as i32;
    if let Ok(handle) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
        callback.as_ref().unchecked_ref(),
        delay,
    ) {
        inner.borrow_mut().timer = Some(Timer {
            handle,
            _callback: callback,
        });
    }
}
