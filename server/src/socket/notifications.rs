//! Namespace `/notifications`: each socket sits in its user's room, so a push reaches every
//! tab; unread notifications are delivered on connect.

use protocol::events::notifications::{MARK_READ, NOTIFICATION, SUBSCRIBE, UNSUBSCRIBE};
use protocol::{ChannelReq, Empty, MarkReadReq, User, validate};
use socketioxide::extract::{SocketRef, State, TryData};

use super::auth::ConnectRefusal;
use super::reply::Reply;
use super::{payload, user_of};
use crate::auth::now_ms;
use crate::error::AppError;
use crate::hub::Hub;

/// Most ids one `mark_read` may carry.
const MARK_READ_MAX: usize = 500;

/// CONNECT middleware: joins the user's room and wires the events before the CONNECT ack.
///
/// # Errors
/// [`ConnectRefusal::Unauthorized`] without an authenticated user.
pub async fn prepare(s: SocketRef) -> Result<(), ConnectRefusal> {
    super::enter_user_room(&s)?;
    s.on(SUBSCRIBE, on_subscribe);
    s.on(UNSUBSCRIBE, on_unsubscribe);
    s.on(MARK_READ, on_mark_read);
    s.on_fallback(super::on_unknown_event);
    Ok(())
}

/// After the CONNECT ack: delivers the user's unread notifications to this socket.
pub async fn on_connect(s: SocketRef, State(hub): State<Hub>) {
    let Some(user) = s.extensions.get::<User>() else {
        return;
    };
    match hub.store.unread_notifications(user.id).await {
        Ok(unread) => {
            for notification in unread {
                if s.emit(NOTIFICATION, &notification).is_err() {
                    break;
                }
            }
        }
        Err(error) => tracing::error!(%error, "loading unread notifications"),
    }
}

async fn on_subscribe(
    s: SocketRef,
    TryData(data): TryData<ChannelReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let channel = validate::channel(&payload(data)?.channel)?;
        hub.store.subscribe(user.id, &channel, now_ms()).await?;
        Ok(Empty {})
    }
    .await;
    reply.send(result);
}

async fn on_unsubscribe(
    s: SocketRef,
    TryData(data): TryData<ChannelReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let channel = validate::channel(&payload(data)?.channel)?;
        hub.store.unsubscribe(user.id, &channel).await?;
        Ok(Empty {})
    }
    .await;
    reply.send(result);
}

async fn on_mark_read(
    s: SocketRef,
    TryData(data): TryData<MarkReadReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        if req.ids.len() > MARK_READ_MAX {
            return Err(AppError::bad_request(format!(
                "at most {MARK_READ_MAX} ids at once"
            )));
        }
        hub.store.mark_read(user.id, &req.ids, now_ms()).await?;
        Ok(Empty {})
    }
    .await;
    reply.send(result);
}
