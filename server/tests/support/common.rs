//! Test fixture: the real router served on a loopback port over a fresh in-memory database,
//! driven over HTTP in-process (`oneshot`) and over Socket.IO by our native client.
//!
//! Requests and events are typed (`protocol::Request` / `ServerEvent`), so no test spells an
//! event name; hostile payloads go through [`Socket::raw`] with the request type's `EVENT`.
#![allow(dead_code)] // each test binary uses a subset

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use protocol::http::{AuthRes, Credentials, Endpoint, Guest, GuestReq, Register};
use protocol::{
    CreateRoomReq, ErrorBody, ErrorCode, JoinReq, JoinRes, MessageReq, MessageRes,
    Request as SioRequest, ServerEvent, User,
};
use serde_json::{Value, json};
use server::{App, Config};
use socket_client::Config as ClientConfig;
use socket_client::RequestError;
use socket_client::native::{Client, ClientEvent, ConnectOptions};
use store::Store;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// Current time in Unix milliseconds (the store's clock).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap())
        .unwrap()
}

/// How long any awaited event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// How quickly a bystander's message must still be acked while an attack runs.
pub const RESPONSIVE: Duration = Duration::from_secs(1);

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub app: App,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An HTTP answer: status, headers and JSON body (Null when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The contract error code of a failed answer.
    pub fn code(&self) -> ErrorCode {
        let error: protocol::http::HttpError = serde_json::from_value(self.body.clone())
            .unwrap_or_else(|e| panic!("not an error body ({e}): {}", self.body));
        error.error.code
    }

    /// The HTML of a page answer.
    pub fn html(&self) -> &str {
        self.body.as_str().expect("an HTML page")
    }
}

/// A `create_room` request for `name` (no topic).
pub fn create_room(name: &str, private: bool) -> CreateRoomReq {
    CreateRoomReq {
        name: name.into(),
        topic: None,
        private,
    }
}

impl TestServer {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose config is adjusted by `tweak` first.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_tests("sqlite::memory:");
        tweak(&mut config);
        let store = Store::in_memory().await.expect("in-memory store");
        Self::spawn_on(config, store).await
    }

    /// A server over `store` with `config`.
    pub async fn spawn_on(config: Config, store: Store) -> Self {
        let leptos = server::leptos_options(&config).expect("leptos options");
        let app = App::build(config.clone(), store, leptos)
            .await
            .expect("the app builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = app.serve(
            listener,
            async {
                let _ = stopped.await;
            },
            std::future::ready(()),
        );
        tokio::spawn(serving);
        Self {
            addr,
            app,
            stop: Some(stop),
        }
    }

    /// The value of a metric series without labels besides the node's (`tertulia_connections`,
    /// `tertulia_db_statement_seconds_count`...), as `/metrics` shows it now.
    pub fn metric(&self, series: &str) -> u64 {
        self.app
            .metrics_text()
            .lines()
            .find(|line| {
                line.strip_prefix(series)
                    .is_some_and(|rest| rest.starts_with(['{', ' ']))
            })
            .and_then(|line| line.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no series {series} in /metrics"))
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &Store {
        self.app.store()
    }

    /// Calls the router in-process.
    pub async fn call(&self, request: Request<Body>) -> Answer {
        let response = self.app.router().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// `POST path` with a JSON body and extra headers.
    pub async fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.call(request.body(Body::from(body.to_string())).unwrap())
            .await
    }

    /// `GET path` with extra headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.call(request.body(Body::empty()).unwrap()).await
    }

    /// Calls endpoint `E` with a typed body.
    pub async fn api<E: Endpoint>(&self, body: &E::Body, headers: &[(&str, &str)]) -> Answer {
        let body = serde_json::to_value(body).unwrap();
        match E::METHOD {
            protocol::http::Method::Post => self.post(E::PATH, body, headers).await,
            protocol::http::Method::Get => self.get(E::PATH, headers).await,
        }
    }

    /// Signs a guest in; returns the user and token.
    pub async fn guest(&self, name: &str) -> (User, String) {
        let answer = self
            .api::<Guest>(
                &GuestReq {
                    username: name.into(),
                },
                &[],
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "guest {name}: {}",
            answer.body
        );
        auth_parts(&answer.body)
    }

    /// Registers an account; returns the user and token.
    pub async fn register(&self, name: &str, password: &str) -> (User, String) {
        let answer = self
            .api::<Register>(
                &Credentials {
                    username: name.into(),
                    password: password.into(),
                },
                &[],
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "register {name}: {}",
            answer.body
        );
        auth_parts(&answer.body)
    }

    /// A guest connected to `/chat` with a token; returns the socket and the user.
    pub async fn chat_guest(&self, name: &str) -> (Socket, User) {
        let (socket, user, _) = self.chat_guest_with_token(name).await;
        (socket, user)
    }

    /// Like [`Self::chat_guest`], also returning the session token.
    pub async fn chat_guest_with_token(&self, name: &str) -> (Socket, User, String) {
        let (user, token) = self.guest(name).await;
        let socket = Socket::connect(self, protocol::events::chat::NS, auth(&token), &[])
            .await
            .expect("connect");
        (socket, user, token)
    }

    /// A guest in `general`, to check the server still answers others during an attack.
    pub async fn bystander(&self, name: &str) -> Socket {
        let (socket, _) = self.chat_guest(name).await;
        socket.join(protocol::events::GENERAL_ROOM).await;
        socket
    }
}

/// The CONNECT `auth` payload of a token.
pub fn auth(token: &str) -> Option<Value> {
    Some(json!({ "token": token }))
}

fn auth_parts(body: &Value) -> (User, String) {
    let answer: AuthRes = serde_json::from_value(body.clone()).unwrap();
    (answer.user, answer.token.expect("programs get the token"))
}

/// One Socket.IO connection to one namespace, with helpers that wait (bounded) for events.
pub struct Socket {
    pub ns: String,
    client: Client,
}

impl Socket {
    /// Connects and waits for the namespace's CONNECT or CONNECT_ERROR (`Err(message)`).
    pub async fn connect(
        server: &TestServer,
        ns: &str,
        auth: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<Self, String> {
        Self::connect_to(&server.base_url(), ns, auth, headers).await
    }

    /// Like [`Self::connect`], to any base URL (a proxy, say).
    pub async fn connect_to(
        base_url: &str,
        ns: &str,
        auth: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Result<Self, String> {
        let client = Client::connect(ConnectOptions {
            base_url: base_url.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            config: ClientConfig::default(),
        });
        client.connect_namespace(ns, auth);
        let mut socket = Self {
            ns: ns.to_owned(),
            client,
        };
        let outcome = tokio::time::timeout(WAIT, async {
            loop {
                match socket.client.next_event().await {
                    Some(ClientEvent::Connected(n)) if n == ns => return Ok(()),
                    Some(ClientEvent::ConnectError(n, message)) if n == ns => return Err(message),
                    Some(ClientEvent::TransportError(error)) => {
                        return Err(format!("transport: {error}"));
                    }
                    Some(_) => {}
                    None => return Err("client stopped".to_owned()),
                }
            }
        })
        .await
        .map_err(|_| "timed out connecting".to_owned())?;
        outcome.map(|()| socket)
    }

    /// Sends a typed request and returns the server's answer (`Err` = its refusal).
    pub async fn call<R: SioRequest>(&self, request: &R) -> Result<R::Response, ErrorBody> {
        assert_eq!(R::NS, self.ns, "{} belongs to {}", R::EVENT, R::NS);
        let answer = tokio::time::timeout(WAIT, self.client.request(request))
            .await
            .unwrap_or_else(|_| panic!("no answer to `{}` within {WAIT:?}", R::EVENT))
            .unwrap_or_else(|e| panic!("`{}` was not answered: {e}", R::EVENT));
        match answer {
            Ok(response) => Ok(response),
            Err(RequestError::Server(body)) => Err(body),
            Err(other) => panic!("`{}`: unexpected answer: {other}", R::EVENT),
        }
    }

    /// Sends a typed request that must succeed.
    pub async fn ok<R: SioRequest>(&self, request: &R) -> R::Response {
        match self.call(request).await {
            Ok(response) => response,
            Err(body) => panic!("`{}` refused: {body}", R::EVENT),
        }
    }

    /// Sends a typed request that must be refused; returns the code.
    pub async fn refused<R: SioRequest>(&self, request: &R) -> ErrorCode
    where
        R::Response: std::fmt::Debug,
    {
        match self.call(request).await {
            Ok(response) => panic!("`{}` unexpectedly succeeded: {response:?}", R::EVENT),
            Err(body) => body.code,
        }
    }

    /// Sends a typed request without asking for an ack.
    pub async fn send<R: SioRequest>(&self, request: &R) {
        self.client.send(request).await.expect("send");
    }

    /// Emits any payload under an event name with an ack and returns the ack's first argument
    /// (for malformed payloads; the name comes from a request type's `EVENT`).
    pub async fn raw(&self, event: &str, payload: Value) -> Value {
        let args = tokio::time::timeout(
            WAIT,
            self.client.emit_with_ack(&self.ns, event, vec![payload]),
        )
        .await
        .expect("ack timed out")
        .expect("ack failed");
        args.into_iter().next().unwrap_or(Value::Null)
    }

    /// Emits with an ack and returns the raw result (for tests that expect no answer).
    pub async fn try_raw(&self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, String> {
        self.client
            .emit_with_ack(&self.ns, event, args)
            .await
            .map_err(|e| e.to_string())
    }

    /// Emits any payload without an ack.
    pub async fn raw_emit(&self, event: &str, payload: Value) {
        self.client
            .emit(&self.ns, event, vec![payload])
            .await
            .expect("emit");
    }

    /// Waits for the next event of type `E` (others are skipped).
    pub async fn next<E: ServerEvent>(&mut self) -> E {
        self.try_next::<E>()
            .await
            .unwrap_or_else(|| panic!("no `{}` event within {WAIT:?}", E::EVENT))
    }

    /// The next `E` event for which `wanted` holds (others are skipped), all within
    /// [`crate::wait::LOOP_WAIT`].
    pub async fn next_where<E: ServerEvent>(&mut self, wanted: impl Fn(&E) -> bool) -> E {
        crate::wait::bounded(&format!("a `{}` event", E::EVENT), async {
            loop {
                let event = self.next::<E>().await;
                if wanted(&event) {
                    return event;
                }
            }
        })
        .await
    }

    /// The payload of the next event named `name` (others are skipped), all within
    /// [`crate::wait::LOOP_WAIT`].
    pub async fn next_named(&mut self, name: &str) -> Value {
        crate::wait::bounded(&format!("a `{name}` event"), async {
            loop {
                let (event, value) = self.next_any().await;
                if event == name {
                    return value;
                }
            }
        })
        .await
    }

    /// Like [`Self::next`], `None` if it does not come within [`WAIT`] or the link drops.
    pub async fn try_next<E: ServerEvent>(&mut self) -> Option<E> {
        self.try_next_within::<E>(WAIT).await
    }

    /// Like [`Self::try_next`] with another bound.
    pub async fn try_next_within<E: ServerEvent>(&mut self, wait: Duration) -> Option<E> {
        tokio::time::timeout(wait, async {
            loop {
                let event = self.client.next_event().await?;
                if let ClientEvent::Disconnected(ns, _) = &event
                    && *ns == self.ns
                {
                    return None;
                }
                if let Some(decoded) = event.decode::<E>() {
                    return Some(decoded);
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Waits for the next `error` event of this namespace.
    pub async fn next_error(&mut self) -> ErrorBody {
        tokio::time::timeout(WAIT, async {
            loop {
                match self.client.next_event().await.expect("client stopped") {
                    ClientEvent::Event(ns, event, args)
                        if ns == self.ns && event == protocol::events::ERROR =>
                    {
                        return serde_json::from_value(args[0].clone()).unwrap();
                    }
                    _ => {}
                }
            }
        })
        .await
        .expect("no error event in time")
    }

    /// The next event of any name: (name, first argument).
    pub async fn next_any(&mut self) -> (String, Value) {
        tokio::time::timeout(WAIT, async {
            loop {
                if let ClientEvent::Event(ns, event, mut args) =
                    self.client.next_event().await.expect("client stopped")
                    && ns == self.ns
                {
                    let first = if args.is_empty() {
                        Value::Null
                    } else {
                        args.remove(0)
                    };
                    return (event, first);
                }
            }
        })
        .await
        .expect("no event in time")
    }

    /// Waits until this namespace is disconnected (by the server or the link).
    pub async fn disconnected(&mut self) -> bool {
        tokio::time::timeout(WAIT, async {
            loop {
                match self.client.next_event().await {
                    Some(ClientEvent::Disconnected(ns, _)) if ns == self.ns => return true,
                    None => return true,
                    _ => {}
                }
            }
        })
        .await
        .unwrap_or(false)
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.client.close();
    }

    /// Joins a room.
    pub async fn join(&self, room: &str) -> JoinRes {
        self.ok(&JoinReq::new(room)).await
    }

    /// Sends a message.
    pub async fn say(&self, room: &str, text: &str) -> Result<MessageRes, ErrorBody> {
        self.call(&MessageReq {
            room: room.into(),
            text: text.into(),
            client_id: None,
            reply_to: None,
            attachments: Vec::new(),
            thread: None,
        })
        .await
    }

    /// Sends a message that must be accepted within [`RESPONSIVE`]: the server still serves
    /// others promptly (used during attacks).
    pub async fn still_served(&self, text: &str) {
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(
            RESPONSIVE,
            self.client.request(&MessageReq {
                room: protocol::events::GENERAL_ROOM.into(),
                text: text.into(),
                client_id: None,
                reply_to: None,
                attachments: Vec::new(),
                thread: None,
            }),
        )
        .await
        .unwrap_or_else(|_| panic!("a bystander's message was not acked within {RESPONSIVE:?}"))
        .expect("the bystander's socket works");
        assert!(answer.is_ok(), "the bystander was refused: {answer:?}");
        assert!(started.elapsed() <= RESPONSIVE);
    }
}

/// The error code of a raw failed ack.
pub fn code(ack: &Value) -> ErrorCode {
    let ack: protocol::Ack<serde_json::Map<String, Value>> =
        serde_json::from_value(ack.clone()).unwrap_or_else(|e| panic!("not an ack ({e}): {ack}"));
    match ack {
        protocol::Ack::Err(body) => body.code,
        protocol::Ack::Ok(body) => panic!("expected a failure: {body:?}"),
    }
}

/// The usernames of a list of users.
pub fn names(users: &[User]) -> Vec<String> {
    users.iter().map(|u| u.username.clone()).collect()
}
