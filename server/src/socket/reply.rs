//! Answering an event: an ack when the client asked for one, otherwise an `error` event for
//! failures (successes without an ack need no answer).

use std::convert::Infallible;
use std::sync::Arc;

use protocol::Ack;
use protocol::events::chat::ERROR;
use serde::Serialize;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::{FromMessageParts, Value};
use socketioxide::socket::Socket;

use crate::error::AppResult;

/// Extractor that knows whether the client asked for an ack.
pub struct Reply<A: Adapter = socketioxide::adapter::LocalAdapter> {
    socket: SocketRef<A>,
    ack: AckSender<A>,
    wants_ack: bool,
}

impl<A: Adapter> FromMessageParts<A> for Reply<A> {
    type Error = Infallible;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        v: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(Self {
            socket: SocketRef::from_message_parts(s, v, ack_id)?,
            ack: AckSender::from_message_parts(s, v, ack_id)?,
            wants_ack: ack_id.is_some(),
        })
    }
}

impl<A: Adapter> Reply<A> {
    /// Sends the outcome: `{"ok":true,..}` / `{"ok":false,"error":..}` as the ack, or, without
    /// an ack, an `error` event on failure.
    pub fn send<T: Serialize>(self, result: AppResult<T>) {
        let outcome = result.map_err(|error| error.body());
        if self.wants_ack {
            if let Err(error) = self.ack.send(&Ack::from(outcome)) {
                tracing::debug!(%error, "could not send an ack");
            }
        } else if let Err(body) = outcome
            && let Err(error) = self.socket.emit(ERROR, &body)
        {
            tracing::debug!(%error, "could not send an error event");
        }
    }
}
