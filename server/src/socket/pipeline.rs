//! The one way a socket event is handled. [`Routes::on`] lists a handler for a request type in
//! its namespace's table and [`attach_routes`] puts the table on a socket; every event then goes
//! through the same steps, in this order:
//!
//! 1. a place among the socket's events in progress, taken before the handler is even
//!    spawned (past [`Config::max_in_flight`](crate::Config) the answer is `rate_limited`);
//! 2. the caller (the user the CONNECT authenticated) and their client address;
//! 3. the event's cost, charged to the user's and the address's work budget before any
//!    database work (`rate_limited` when spent);
//! 4. the payload, decoded into the request type (`bad_request` saying what is wrong);
//! 5. the handler, inside a tracing span naming namespace, event, socket and user;
//! 6. the answer: an ack `{"ok":true,..}` / `{"ok":false,"error":..}` no larger than the
//!    packet limit, or for an event sent without an ack an `error` event on failure.
//!
//! A socket whose events keep being refused (in-flight bound or budget) is cut off: its
//! Engine.IO connection is closed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use protocol::{Ack, Empty, ErrorCode, Request, User};
use serde::Serialize;
use serde_json::value::RawValue;
use socketioxide::ParserError;
use socketioxide::extract::{AckSender, Event, State, TryData};
use socketioxide::handler::{FromMessageParts, MessageHandler, Value};
use socketioxide::socket::Socket;
use tracing::Instrument;

use super::auth::SocketIdentity;
use crate::chat::{Actor, Chat, Connection};
use crate::client_addr::{AddrKey, client_of};
use crate::error::{AppError, AppResult};
use crate::fanout::{Adapter, SocketRef};
use crate::hub::{Activity, Hub};
use crate::live::limits::{Action, Bucket, Quota};
use crate::metrics::{Cut, Metrics};
use crate::services::Services;

/// What each socket event costs from the user's work budget, and whether its refusals are
/// silent (advisory events such as `typing`, sent without an ack, are simply dropped).
pub trait Priced {
    /// Work units.
    const COST: u32;
    /// Drop the event quietly instead of answering `rate_limited` when the budget is spent.
    const QUIET_WHEN_LIMITED: bool = false;
}

macro_rules! prices {
    ($($ty:ty => $cost:expr;)*) => {
        $(impl Priced for $ty { const COST: u32 = $cost; })*
    };
}

prices! {
    protocol::RoomsReq => 2;
    protocol::CreateRoomReq => 10;
    protocol::JoinReq => 2;
    protocol::LeaveReq => 1;
    protocol::MessageReq => 2;
    protocol::HistoryReq => 3;
    protocol::InviteReq => 5;
    protocol::DmReq => 5;
    protocol::GroupDmReq => 10;
    protocol::MembersReq => 3;
    protocol::LeaveRoomReq => 2;
    protocol::SavedRoomsReq => 3;
    protocol::MarkRoomReadReq => 1;
    protocol::MarkThreadReadReq => 1;
    protocol::ThreadsReq => 3;
    protocol::HideRoomReq => 2;
    protocol::MuteRoomReq => 1;
    protocol::SubscribeReq => 2;
    protocol::UnsubscribeReq => 1;
    protocol::MarkReadReq => 1;
    protocol::MarkAllReadReq => 2;
    protocol::SetRoleReq => 2;
    protocol::CloseRoomReq => 2;
    protocol::EditReq => 2;
    protocol::DeleteReq => 2;
    protocol::ReactReq => 1;
    protocol::ChangesReq => 3;
    protocol::SearchReq => 5;
    protocol::KickReq => 3;
    protocol::MuteReq => 3;
    protocol::SetTopicReq => 3;
    protocol::BanReq => 3;
    protocol::UnbanReq => 3;
    protocol::AuditReq => 2;
    protocol::DeleteUserReq => 5;
    protocol::ClearProfileReq => 3;
    protocol::BlockReq => 3;
    protocol::UnblockReq => 3;
    protocol::BlocksReq => 3;
    protocol::PeopleReq => 3;
    protocol::SetStatusReq => 2;
    protocol::ProfilesReq => 1;
    protocol::SetDisplayNameReq => 2;
    protocol::PinReq => 2;
    protocol::PinsReq => 2;
    protocol::SaveMessageReq => 1;
    protocol::SavedMessagesReq => 3;
    protocol::CreateWebhookReq => 10;
    protocol::WebhooksReq => 2;
    protocol::DeleteWebhookReq => 3;
    protocol::CreateBotReq => 10;
    protocol::BotsReq => 2;
    protocol::BotTokenReq => 5;
    protocol::DeleteBotReq => 3;
    protocol::RegisterCommandReq => 10;
    protocol::UnregisterCommandReq => 3;
    protocol::CommandsReq => 2;
    protocol::RunCommandReq => 5;
}

impl Priced for protocol::TypingReq {
    const COST: u32 = 1;
    const QUIET_WHEN_LIMITED: bool = true;
}

impl Priced for protocol::ActivityReq {
    const COST: u32 = 1;
    const QUIET_WHEN_LIMITED: bool = true;
}

/// The `event` label of events no handler knows (their names are the client's, unbounded).
const UNKNOWN_EVENT: &str = "(unknown)";

/// Refusals a socket may collect at once before it is cut off.
pub const STRIKES_BURST: u32 = 50;

/// Refusals a socket may collect before it is cut off: a burst of 50, refilled at 5 a second.
const STRIKES: Quota = Quota {
    burst: STRIKES_BURST,
    period: Duration::from_secs(10),
};

/// Per-socket state of the pipeline, kept in the socket's extensions.
#[derive(Debug)]
pub struct SocketGuard {
    in_flight: AtomicU32,
    max_in_flight: u32,
    strikes: Mutex<Bucket>,
}

impl SocketGuard {
    /// A guard allowing `max_in_flight` events in progress.
    #[must_use]
    pub fn new(max_in_flight: u32) -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicU32::new(0),
            max_in_flight: max_in_flight.max(1),
            strikes: Mutex::new(Bucket::full(STRIKES, Instant::now())),
        })
    }

    fn enter(self: &Arc<Self>) -> Option<InFlight> {
        let previous = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if previous >= self.max_in_flight {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(InFlight(self.clone()))
    }

    /// Records a refusal; `false` once the socket has used up its strikes.
    fn strike(&self) -> bool {
        self.strikes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(STRIKES, 1, Instant::now())
    }
}

/// One event in progress; dropping it frees the place.
#[derive(Debug)]
pub struct InFlight(Arc<SocketGuard>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Extractor for the pipeline: the socket, how to answer, and the event's place in flight
/// (taken synchronously, before the route spawns the handler).
pub struct Call {
    socket: SocketRef,
    ack: AckSender<Adapter>,
    wants_ack: bool,
    /// Who sent it (read once per event, for its guard, user and bot mark).
    identity: Option<Arc<SocketIdentity>>,
    in_flight: Option<InFlight>,
}

impl FromMessageParts<Adapter> for Call {
    type Error = Infallible;

    fn from_message_parts(
        s: &Arc<Socket<Adapter>>,
        v: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        let identity = SocketIdentity::of(s);
        let in_flight = identity
            .as_ref()
            .and_then(|identity| identity.guard.enter());
        Ok(Self {
            socket: SocketRef::from_message_parts(s, v, ack_id)?,
            ack: AckSender::from_message_parts(s, v, ack_id)?,
            wants_ack: ack_id.is_some(),
            identity,
            in_flight,
        })
    }
}

/// What a handler gets besides its request.
#[derive(Clone)]
pub struct Ctx {
    /// The socket that sent the event.
    pub socket: SocketRef,
    /// The services.
    pub services: Services,
    /// The caller.
    pub user: User,
    /// The caller's client address (limits key).
    pub addr: AddrKey,
    /// Whether the caller is a bot (v1.28).
    bot: bool,
    /// Set by a handler to end this socket's namespace connection once the answer is sent.
    disconnect_after_reply: Arc<std::sync::atomic::AtomicBool>,
}

impl Ctx {
    /// Disconnects this socket from its namespace right after the answer to this event is
    /// sent (disconnecting first would lose the answer).
    pub fn disconnect_after_reply(&self) {
        self.disconnect_after_reply.store(true, Ordering::Release);
    }

    /// The shared resources.
    #[must_use]
    pub fn hub(&self) -> &Hub {
        &self.services.hub
    }

    /// The chat service.
    #[must_use]
    pub fn chat(&self) -> &Chat {
        &self.services.chat
    }

    /// The caller, as the chat service knows them.
    #[must_use]
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.user.clone(),
            addr: self.addr,
        }
    }

    /// The caller's connection (this socket), as the chat service knows it.
    #[must_use]
    pub fn connection(&self) -> Connection {
        Connection {
            actor: self.actor(),
            socket: self.socket.clone(),
            bot: self.bot,
        }
    }
}

/// One event's handler, type-erased: takes what the event carries, extracts the request and
/// spawns its handling.
type Route = Box<dyn Fn(Arc<Socket<Adapter>>, Value, Option<i64>) + Send + Sync>;

/// A namespace's events and their handlers, built once for the whole process and shared by all
/// its sockets. (Registered one by one on each socket, socketioxide would keep a table of
/// handlers per socket: about 1 KiB of every connection, and two dozen inserts per CONNECT.)
pub struct Routes {
    ns: &'static str,
    table: HashMap<&'static str, Route>,
}

impl Routes {
    /// No events yet, for namespace `ns`.
    #[must_use]
    pub fn new(ns: &'static str) -> Self {
        Self {
            ns,
            table: HashMap::new(),
        }
    }

    /// Adds `handler` for request type `R`.
    ///
    /// # Panics
    /// If `R` belongs to another namespace or its event already has a handler: wiring mistakes,
    /// caught when the server starts ([`super::register`] builds every table).
    #[must_use]
    pub fn on<R, F, Fut>(mut self, handler: F) -> Self
    where
        R: Request + Priced,
        F: Fn(Ctx, R) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = AppResult<R::Response>> + Send + 'static,
    {
        assert_eq!(
            R::NS,
            self.ns,
            "`{}` listed in the wrong namespace",
            R::EVENT
        );
        let route: Route = Box::new(move |socket, mut value, ack_id| {
            let Ok(call) = Call::from_message_parts(&socket, &mut value, &ack_id);
            let Ok(TryData(mut data)) =
                TryData::<R>::from_message_parts(&socket, &mut value, &ack_id);
            if data.is_err() && has_no_payload(&value) {
                data = serde_json::from_str("{}").map_err(ParserError::new);
            }
            let Some(services) = services_of(&socket, &mut value) else {
                return;
            };
            let handler = handler.clone();
            // A root span, as when it was created inside the task.
            let span = tracing::debug_span!(
                parent: None,
                "event",
                ns = R::NS,
                event = R::EVENT,
                sid = %socket.id,
                user = tracing::field::Empty,
            );
            tokio::spawn(call.run(services, data, handler).instrument(span));
        });
        let previous = self.table.insert(R::EVENT, route);
        assert!(previous.is_none(), "two handlers for `{}`", R::EVENT);
        self
    }

    /// The events that have a handler.
    #[cfg(test)]
    fn events(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.table.keys().copied()
    }
}

/// Attaches `routes` to a socket: each event goes to its handler; an event without one is
/// answered `bad_request` (it costs like the cheapest event and counts as a refusal, so a flood
/// of them is cut off like any other).
pub fn attach_routes(socket: &SocketRef, routes: &'static Routes) {
    socket.on_fallback(Dispatch(routes));
}

/// socketioxide's handler for every event of a socket: looks the event up in its namespace's
/// [`Routes`].
struct Dispatch(&'static Routes);

impl MessageHandler<Adapter, Dispatch> for Dispatch {
    fn call(&self, socket: Arc<Socket<Adapter>>, mut value: Value, ack_id: Option<i64>) {
        // socketioxide read the event name before calling us, so this cannot fail.
        let Ok(Event(event)) = Event::from_message_parts(&socket, &mut value, &ack_id) else {
            return;
        };
        match self.0.table.get(event.as_str()) {
            Some(route) => route(socket, value, ack_id),
            None => unknown(&socket, &mut value, ack_id, event),
        }
    }
}

/// Answers an event no handler knows with `bad_request`.
fn unknown(socket: &Arc<Socket<Adapter>>, value: &mut Value, ack_id: Option<i64>, event: String) {
    let Ok(mut call) = Call::from_message_parts(socket, value, &ack_id);
    let Some(services) = services_of(socket, value) else {
        return;
    };
    tokio::spawn(async move {
        let in_flight = call.in_flight.take();
        let charged = match (&in_flight, &call.identity) {
            (Some(_), Some(identity)) => {
                let user = &identity.user;
                let addr = client_of(&call.socket.req_parts().extensions).key;
                services
                    .hub
                    .live
                    .charge(Action::Events, user.id, addr, 1)
                    .await
            }
            _ => false,
        };
        let error = if charged {
            AppError::bad_request(format!("unknown event `{event}`"))
        } else {
            AppError::rate_limited()
        };
        call.strike(services.hub.metrics());
        drop(in_flight);
        services.hub.metrics().event(
            call.socket.ns(),
            UNKNOWN_EVENT,
            error.code().as_str(),
            std::time::Duration::ZERO,
        );
        call.reply(&services.hub, Err::<Empty, _>(error), false);
    });
}

/// The services the Socket.IO server was built with (always there: [`crate::App::build`]
/// gives them).
fn services_of(socket: &Arc<Socket<Adapter>>, value: &mut Value) -> Option<Services> {
    match State::<Services>::from_message_parts(socket, value, &None) {
        Ok(State(services)) => Some(services),
        Err(error) => {
            tracing::error!(%error, "no shared state on the Socket.IO server");
            None
        }
    }
}

impl Call {
    async fn run<R, F, Fut>(mut self, services: Services, data: Result<R, ParserError>, handler: F)
    where
        R: Request + Priced,
        F: Fn(Ctx, R) -> Fut,
        Fut: Future<Output = AppResult<R::Response>>,
    {
        let started = Instant::now();
        let in_flight = self.in_flight.take();
        let _busy = Busy::enter(&services.hub);
        let disconnect = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let result = match in_flight {
            None => Err(AppError::new(
                ErrorCode::RateLimited,
                "too many requests in progress; wait for their answers",
            )),
            Some(_in_flight) => {
                self.process(services.clone(), data, handler, disconnect.clone())
                    .await
            }
        };
        let refused = matches!(&result, Err(e) if e.code() == ErrorCode::RateLimited);
        let metrics = services.hub.metrics();
        if refused {
            self.strike(metrics);
        }
        let outcome = match &result {
            Ok(_) => {
                tracing::debug!(elapsed = ?started.elapsed(), "ok");
                "ok"
            }
            Err(error) => {
                tracing::debug!(code = %error.code(), elapsed = ?started.elapsed(), "refused");
                error.code().as_str()
            }
        };
        metrics.event(R::NS, R::EVENT, outcome, started.elapsed());
        let quiet = refused && R::QUIET_WHEN_LIMITED;
        let socket = self.socket.clone();
        self.reply(&services.hub, result, quiet);
        if disconnect.load(Ordering::Acquire) {
            let _ = socket.disconnect();
        }
    }

    async fn process<R, F, Fut>(
        &self,
        services: Services,
        data: Result<R, ParserError>,
        handler: F,
        disconnect_after_reply: Arc<std::sync::atomic::AtomicBool>,
    ) -> AppResult<R::Response>
    where
        R: Request + Priced,
        F: Fn(Ctx, R) -> Fut,
        Fut: Future<Output = AppResult<R::Response>>,
    {
        let identity = self.identity.as_ref().ok_or_else(AppError::unauthorized)?;
        let user = identity.user.clone();
        tracing::Span::current().record("user", user.id);
        let addr = client_of(&self.socket.req_parts().extensions).key;
        if !services
            .hub
            .live
            .charge(Action::Events, user.id, addr, R::COST)
            .await
        {
            return Err(AppError::rate_limited());
        }
        let request =
            data.map_err(|error| AppError::bad_request(format!("invalid payload: {error}")))?;
        let ctx = Ctx {
            socket: self.socket.clone(),
            services,
            user,
            addr,
            bot: identity.bot,
            disconnect_after_reply,
        };
        handler(ctx, request).await
    }

    /// Counts a refusal; a socket out of strikes loses its connection.
    fn strike(&self, metrics: &Metrics) {
        if let Some(identity) = &self.identity
            && !identity.guard.strike()
        {
            tracing::warn!(sid = %self.socket.id, "socket keeps exceeding its limits: disconnecting it");
            metrics.cut(Cut::Strikes);
            self.socket.close_transport();
        }
    }

    /// Sends the outcome as an ack when one was asked for, otherwise an `error` event on
    /// failure (unless `quiet`).
    fn reply<T: Serialize>(self, hub: &Hub, result: AppResult<T>, quiet: bool) {
        if let Err(error) = &result {
            error.log_if_internal();
        }
        let outcome = result.map_err(|error| error.body());
        if self.wants_ack {
            let limit = usize::try_from(hub.config.max_payload).unwrap_or(usize::MAX);
            let ack = bounded_ack(&Ack::from(outcome), limit);
            if let Err(error) = self.ack.send(&ack) {
                tracing::debug!(%error, "could not send an ack");
            }
        } else if let Err(body) = outcome
            && !quiet
            && let Err(error) = self.socket.emit(protocol::events::ERROR, &body)
        {
            tracing::debug!(%error, "could not send an error event");
        }
    }
}

/// Counts an event in progress on this node (a draining node waits for them to finish).
pub struct Busy(Arc<Activity>);

impl Busy {
    /// Counts one more handler running until the value is dropped.
    #[must_use]
    pub fn enter(hub: &Hub) -> Self {
        hub.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(hub.activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Room left in a packet for the ack's framing (`43/namespace,<id>[...]`).
const FRAMING: usize = 128;

/// The ack as JSON, or an `internal` error when it would not fit in one packet (handlers cut
/// what can grow, so this is a safety net that is logged).
fn bounded_ack<T: Serialize>(ack: &Ack<T>, limit: usize) -> Box<RawValue> {
    let fallback = || {
        serde_json::value::to_raw_value(&Ack::<Empty>::Err(protocol::ErrorBody::new(
            ErrorCode::Internal,
            "the answer was too large to send",
        )))
        .unwrap_or_else(|_| RawValue::from_string("{}".into()).unwrap_or_default())
    };
    match serde_json::value::to_raw_value(ack) {
        Ok(raw) if raw.get().len() + FRAMING <= limit => raw,
        Ok(raw) => {
            tracing::error!(
                bytes = raw.get().len(),
                limit,
                "an ack was too large to send"
            );
            fallback()
        }
        Err(error) => {
            tracing::error!(%error, "an ack could not be serialised");
            fallback()
        }
    }
}

/// Keeps as many of `items` as fit in `budget` bytes of JSON, from the end (`newest`) or from
/// the start; always at least one (any one item fits in a packet by construction). Returns
/// whether items were left out.
pub fn fit<T: Serialize>(items: &mut Vec<T>, budget: usize, newest: bool) -> bool {
    let sizes: Vec<usize> = items
        .iter()
        .map(|item| serde_json::to_vec(item).map_or(usize::MAX / 2, |json| json.len() + 1))
        .collect();
    let mut used = 0;
    let mut kept = 0;
    let order: Box<dyn Iterator<Item = &usize>> = if newest {
        Box::new(sizes.iter().rev())
    } else {
        Box::new(sizes.iter())
    };
    for size in order {
        if kept > 0 && used + size > budget {
            break;
        }
        used += size;
        kept += 1;
    }
    let cut = kept < items.len();
    if newest {
        items.drain(..items.len() - kept);
    } else {
        items.truncate(kept);
    }
    cut
}

/// Whether an event came with its name only (`["rooms"]`, as `socket.emit("rooms", ack)` sends
/// it): its payload is then read as `{}`, so requests without parameters need none. Looked at
/// only when decoding failed, never on the way of a well-formed event.
fn has_no_payload(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        serde_json::from_str::<Vec<serde::de::IgnoredAny>>(text).is_ok_and(|items| items.len() == 1)
    })
}

/// Budget in bytes for a list inside an ack, after `reserved` bytes for the rest of it.
#[must_use]
pub fn list_budget(hub: &Hub, reserved: usize) -> usize {
    usize::try_from(hub.config.max_payload)
        .unwrap_or(usize::MAX)
        .saturating_sub(FRAMING + 64 + reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn refuse_rooms(_: Ctx, _: protocol::RoomsReq) -> AppResult<protocol::RoomsRes> {
        Err(AppError::bad_request("test"))
    }

    async fn refuse_join(_: Ctx, _: protocol::JoinReq) -> AppResult<protocol::JoinRes> {
        Err(AppError::bad_request("test"))
    }

    #[test]
    fn routes_list_each_event_once() {
        let routes = Routes::new(protocol::events::chat::NS)
            .on(refuse_rooms)
            .on(refuse_join);
        let mut events: Vec<_> = routes.events().collect();
        events.sort_unstable();
        assert_eq!(
            events,
            [protocol::events::chat::JOIN, protocol::events::chat::ROOMS]
        );
    }

    #[test]
    #[should_panic(expected = "two handlers for")]
    fn a_second_handler_for_an_event_is_a_wiring_mistake() {
        let _ = Routes::new(protocol::events::chat::NS)
            .on(refuse_rooms)
            .on(refuse_rooms);
    }

    #[test]
    #[should_panic(expected = "listed in the wrong namespace")]
    fn an_event_of_another_namespace_is_a_wiring_mistake() {
        let _ = Routes::new(protocol::events::admin::NS).on(refuse_rooms);
    }

    #[test]
    fn fit_keeps_what_fits_from_either_end() {
        let mut items: Vec<String> = (0..10).map(|n| format!("item{n}")).collect();
        // Each is `"itemN"` (7 bytes) + 1.
        assert!(fit(&mut items, 24, true));
        assert_eq!(items, ["item7", "item8", "item9"]);
        let mut items: Vec<String> = (0..10).map(|n| format!("item{n}")).collect();
        assert!(fit(&mut items, 24, false));
        assert_eq!(items, ["item0", "item1", "item2"]);
        let mut items = vec!["x".repeat(100)];
        assert!(!fit(&mut items, 10, true), "one item always stays");
        assert_eq!(items.len(), 1);
        let mut empty: Vec<String> = Vec::new();
        assert!(!fit(&mut empty, 10, true));
    }

    #[test]
    fn oversized_acks_become_internal_errors() {
        let small = bounded_ack(&Ack::Ok(Empty {}), 1_000);
        assert_eq!(small.get(), r#"{"ok":true}"#);
        #[derive(Serialize)]
        struct Big {
            text: String,
        }
        let fits = bounded_ack(
            &Ack::Ok(Big {
                text: "x".repeat(500),
            }),
            1_000,
        );
        assert!(fits.get().starts_with(r#"{"ok":true"#));
        let big = bounded_ack(
            &Ack::Ok(Big {
                text: "x".repeat(2_000),
            }),
            1_000,
        );
        assert!(big.get().contains(ErrorCode::Internal.as_str()));
    }

    #[test]
    fn in_flight_places_are_bounded_and_given_back() {
        let guard = SocketGuard::new(2);
        let a = guard.enter().unwrap();
        let _b = guard.enter().unwrap();
        assert!(guard.enter().is_none());
        drop(a);
        assert!(guard.enter().is_some());
    }
}
