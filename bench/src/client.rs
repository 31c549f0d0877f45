//! A `/chat` Socket.IO client over [`wire`](crate::wire) for the scenarios that follow clients
//! through reconnects (churn, storm): open a connection, CONNECT, call an event and wait for
//! its ack while everything else that arrives is handed to the caller. Engine.IO pings are
//! answered here.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use protocol::events::chat::{CREATE_ROOM, NS};
use serde_json::{Value, json};

use crate::wire;

/// How long one frame may take during a call before the connection counts as dead.
const FRAME_WAIT: Duration = Duration::from_secs(20);

/// One open `/chat` connection.
pub struct Conn {
    reader: wire::Reader,
    writer: wire::Writer,
    next_ack: u64,
}

/// What a call's answer was, or why there was none.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The server answered `{ok: false, error}`.
    #[error("{event} refused: {answer}")]
    Refused { event: String, answer: Value },
    /// The connection failed or closed first.
    #[error(transparent)]
    Connection(#[from] anyhow::Error),
}

/// The part of a refused ack the scenarios read.
#[derive(serde::Deserialize)]
struct Refusal {
    error: protocol::ack::ErrorBody,
}

impl CallError {
    /// The refusal's error code (`rate_limited`, `not_member`…), if the server refused.
    #[must_use]
    pub fn code(&self) -> Option<protocol::ErrorCode> {
        match self {
            Self::Refused { answer, .. } => serde_json::from_value::<Refusal>(answer.clone())
                .ok()
                .map(|refusal| refusal.error.code),
            Self::Connection(_) => None,
        }
    }
}

impl Conn {
    /// Connects from `source` and CONNECTs `/chat` with `auth` (a JSON object, or nothing).
    /// Returns the connection and the CONNECT answer's payload; frames that arrive before it
    /// go to `on_frame`.
    ///
    /// # Errors
    /// The connection fails or the CONNECT is refused.
    pub async fn open(
        addr: &str,
        source: IpAddr,
        auth: Option<&Value>,
        on_frame: &mut impl FnMut(&str),
    ) -> Result<(Self, Value)> {
        let (reader, writer) =
            wire::connect(addr, source, "/socket.io/?EIO=4&transport=websocket").await?;
        let mut conn = Self {
            reader,
            writer,
            next_ack: 0,
        };
        let open = conn.next().await?;
        if !open.starts_with('0') {
            bail!("expected OPEN, got {open}");
        }
        let auth = auth.map(Value::to_string).unwrap_or_default();
        conn.writer.send(&format!("40{NS},{auth}")).await?;
        loop {
            let frame = conn.next().await?;
            if let Some(body) = frame.strip_prefix(&format!("40{NS},")) {
                return Ok((conn, serde_json::from_str(body).unwrap_or(Value::Null)));
            }
            if frame.starts_with(&format!("44{NS}")) {
                bail!("CONNECT refused: {frame}");
            }
            on_frame(&frame);
        }
    }

    /// The next frame that is not an Engine.IO ping (those are answered), within 20 s.
    ///
    /// # Errors
    /// The connection fails, closes or stays silent.
    pub async fn next(&mut self) -> Result<String> {
        match tokio::time::timeout(FRAME_WAIT, self.next_frame()).await {
            Ok(frame) => frame,
            Err(_) => bail!("timed out"),
        }
    }

    /// The next frame that is not an Engine.IO ping (those are answered), however long it
    /// takes (a quiet room sends nothing but the server's pings).
    ///
    /// # Errors
    /// The connection fails or closes.
    pub async fn next_frame(&mut self) -> Result<String> {
        loop {
            let frame = match self.reader.next().await? {
                Some(text) => text.to_owned(),
                None => bail!("closed"),
            };
            if frame == "2" {
                self.writer.send("3").await?;
                continue;
            }
            return Ok(frame);
        }
    }

    /// Sends `event` with `payload` and waits for its ack; other frames go to `on_frame`.
    ///
    /// # Errors
    /// [`CallError::Refused`] for `{ok: false}`, else the connection's failure.
    pub async fn call(
        &mut self,
        event: &str,
        payload: Value,
        on_frame: &mut impl FnMut(&str),
    ) -> Result<Value, CallError> {
        let n = self.next_ack;
        self.next_ack += 1;
        self.writer
            .send(&format!("42{NS},{n}{}", json!([event, payload])))
            .await?;
        let prefix = format!("43{NS},{n}");
        loop {
            let frame = self.next().await?;
            if let Some(body) = frame.strip_prefix(&prefix) {
                let args: Value = serde_json::from_str(body).context("ack")?;
                let answer = args[0].clone();
                if answer["ok"] == json!(false) {
                    return Err(CallError::Refused {
                        event: event.to_owned(),
                        answer,
                    });
                }
                return Ok(answer);
            }
            on_frame(&frame);
        }
    }

    /// Makes dropping the connection a reset (see [`wire::Writer::reset_on_close`]).
    ///
    /// # Errors
    /// The socket option cannot be set.
    pub fn reset_on_close(&self) -> Result<()> {
        self.writer.reset_on_close()
    }

    /// The next frame within `deadline`, or `None` when the deadline passed first.
    ///
    /// # Errors
    /// The connection fails or closes.
    pub async fn next_until(&mut self, deadline: tokio::time::Instant) -> Result<Option<String>> {
        match tokio::time::timeout_at(deadline, self.next_frame()).await {
            Ok(frame) => frame.map(Some),
            Err(_) => Ok(None),
        }
    }
}

/// A live `42/chat,["<event>", payload, ...]` frame's arguments after the event name, when
/// the event is `event`.
#[must_use]
pub fn event_args(frame: &str, event: &str) -> Option<Vec<Value>> {
    let body = frame.strip_prefix(&format!("42{NS},"))?;
    // Only the event asked for is parsed (a storm brings millions of others).
    if !body.starts_with(&format!("[\"{event}\"")) {
        return None;
    }
    let Ok(Value::Array(mut args)) = serde_json::from_str::<Value>(body) else {
        return None;
    };
    if args.first().and_then(Value::as_str) != Some(event) {
        return None;
    }
    args.remove(0);
    Some(args)
}

/// A scenario message's key from its text `<tag> <sender> <seq>`: sender and number in one
/// integer (`None` for any other text).
#[must_use]
pub fn message_key(text: &str, tag: char) -> Option<u64> {
    let mut parts = text.strip_prefix(tag)?.strip_prefix(' ')?.split(' ');
    let sender: u64 = parts.next()?.parse().ok()?;
    let seq: u64 = parts.next()?.parse().ok()?;
    Some((sender << 32) | seq)
}

/// What the scenarios read of a `join` answer: the page of the room's newest messages.
#[derive(Default, serde::Deserialize)]
pub struct Joined {
    #[serde(default)]
    pub history: Vec<Value>,
}

/// What the scenarios read of a `history` answer.
#[derive(Default, serde::Deserialize)]
pub struct Page {
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub more: bool,
}

/// Count, p50, p99 and maximum of durations in milliseconds, as JSON.
#[must_use]
pub fn summary_ms(samples: &[f64]) -> Value {
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 600_000_000, 2).expect("histogram bounds");
    for sample in samples {
        let _ = histogram.record((sample * 1000.0) as u64);
    }
    let at = |q: f64| (histogram.value_at_quantile(q) as f64 / 10.0).round() / 100.0;
    json!({ "count": samples.len(), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0) })
}

/// Rooms one set-up user creates: well inside a user's work budget as shipped (a creation
/// costs 10 of its 240 units a minute).
const ROOMS_PER_CREATOR: usize = 20;

/// Creates the public rooms `<prefix>0`…`<prefix>{rooms-1}` from 127.0.0.1, `ROOMS_PER_CREATOR`
/// by each set-up client (signed in as a guest named `<prefix>setup<first>` when `guests`); a
/// room that exists already is fine.
///
/// # Errors
/// A connection fails or a creation is refused for another reason.
pub async fn create_rooms(addr: &str, guests: bool, prefix: &str, rooms: usize) -> Result<()> {
    let source = crate::wire::source(0, 1);
    for first in (0..rooms).step_by(ROOMS_PER_CREATOR) {
        let auth = if guests {
            let name = format!("{prefix}setup{first}");
            Some(json!({ "token": crate::guest_token(addr, source, &name).await? }))
        } else {
            None
        };
        let (mut conn, _) = Conn::open(addr, source, auth.as_ref(), &mut |_| {}).await?;
        for room in first..(first + ROOMS_PER_CREATOR).min(rooms) {
            let made = conn
                .call(
                    CREATE_ROOM,
                    json!({ "name": format!("{prefix}{room}"), "private": false }),
                    &mut |_| {},
                )
                .await;
            match made {
                Ok(_) => {}
                Err(error) if error.code() == Some(protocol::ErrorCode::Conflict) => {}
                Err(error) => return Err(error).context(CREATE_ROOM),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::message_key;

    #[test]
    fn keys_name_sender_and_number() {
        assert_eq!(message_key("c 3 17", 'c'), Some((3 << 32) | 17));
        assert_eq!(message_key("s 3 17", 'c'), None);
        assert_eq!(message_key("b 3 17 99", 'b'), Some((3 << 32) | 17));
        assert_eq!(message_key("c x 1", 'c'), None);
        assert_eq!(message_key("c3 17", 'c'), None);
    }
}
