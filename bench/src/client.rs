//! A `/chat` Socket.IO client over [`wire`](crate::wire) for the scenarios that follow clients
//! through reconnects (churn, storm): open a connection, CONNECT, call an event and wait for
//! its ack while everything else that arrives is handed to the caller. Engine.IO pings are
//! answered here.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use protocol::events::chat::NS;
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
