//! Test fixture: the real router served on a loopback port over a fresh in-memory database,
//! driven over HTTP in-process (`oneshot`) and over Socket.IO by our native client.
#![allow(dead_code)] // each test binary uses a subset

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use protocol::User;
use serde_json::{Value, json};
use server::{App, Config};
use socket_client::Config as ClientConfig;
use socket_client::native::{Client, ClientEvent, ConnectOptions};
use store::Store;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// How long any awaited event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

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

impl TestServer {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose config is adjusted by `tweak` first.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_tests("sqlite::memory:");
        tweak(&mut config);
        let store = Store::in_memory().await.expect("in-memory store");
        let leptos = server::leptos_options(&config).expect("leptos options");
        let app = App::build(config.clone(), store, leptos);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app.router.clone();
        tokio::spawn(server::net::serve(
            listener,
            router,
            config.header_timeout(),
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            app,
            stop: Some(stop),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &Store {
        &self.app.state.store
    }

    /// Calls the router in-process.
    pub async fn call(&self, request: Request<Body>) -> Answer {
        let response = self.app.router.clone().oneshot(request).await.unwrap();
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

    /// Signs a guest in; returns the user and token.
    pub async fn guest(&self, name: &str) -> (User, String) {
        let answer = self
            .post("/api/auth/guest", json!({ "username": name }), &[])
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
            .post(
                "/api/auth/register",
                json!({ "username": name, "password": password }),
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
        let socket = Socket::connect(self, "/chat", Some(json!({ "token": token })), &[])
            .await
            .expect("connect");
        (socket, user, token)
    }
}

fn auth_parts(body: &Value) -> (User, String) {
    let user: User = serde_json::from_value(body["user"].clone()).unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    (user, token)
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
        let client = Client::connect(ConnectOptions {
            base_url: server.base_url(),
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

    /// Emits with an ack and returns the ack's first argument.
    pub async fn request(&self, event: &str, payload: Value) -> Value {
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
    pub async fn try_request(&self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, String> {
        self.client
            .emit_with_ack(&self.ns, event, args)
            .await
            .map_err(|e| e.to_string())
    }

    /// Emits without an ack.
    pub async fn emit(&self, event: &str, payload: Value) {
        self.client
            .emit(&self.ns, event, vec![payload])
            .await
            .expect("emit");
    }

    /// Waits for the next event called `name` (others are skipped) and returns its first argument.
    pub async fn next(&mut self, name: &str) -> Value {
        self.try_next(name)
            .await
            .unwrap_or_else(|| panic!("no `{name}` event within {WAIT:?}"))
    }

    /// Like [`Self::next`], `None` if it does not come within [`WAIT`] or the link drops.
    pub async fn try_next(&mut self, name: &str) -> Option<Value> {
        tokio::time::timeout(WAIT, async {
            loop {
                match self.client.next_event().await? {
                    ClientEvent::Event(ns, event, mut args) if ns == self.ns && event == name => {
                        return Some(if args.is_empty() {
                            Value::Null
                        } else {
                            args.remove(0)
                        });
                    }
                    ClientEvent::Disconnected(ns, _) if ns == self.ns => return None,
                    _ => {}
                }
            }
        })
        .await
        .ok()
        .flatten()
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

    /// Joins a room and returns the ack.
    pub async fn join(&self, room: &str) -> Value {
        let ack = self.request("join", json!({ "room": room })).await;
        assert_eq!(ack["ok"], true, "join {room}: {ack}");
        ack
    }

    /// Sends a message and returns the ack.
    pub async fn say(&self, room: &str, text: &str) -> Value {
        self.request("message", json!({ "room": room, "text": text }))
            .await
    }
}

/// The error code of a failed ack.
pub fn code(ack: &Value) -> &str {
    assert_eq!(ack["ok"], false, "expected a failure: {ack}");
    ack["error"]["code"].as_str().unwrap_or("")
}

/// The usernames of a JSON list of users.
pub fn names(users: &Value) -> Vec<String> {
    users
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|u| u["username"].as_str().unwrap_or("").to_owned())
        .collect()
}
