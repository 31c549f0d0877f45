//! Background tasks started once with the server (never per connection).

use std::sync::atomic::Ordering;
use std::time::Duration;

use protocol::events::admin::{NS as ADMIN, STATS};
use protocol::events::chat::{NS, OCCUPANCY};
use protocol::{Occupancy, RoomOccupancy, RoomStats, Stats};
use socketioxide::SocketIo;
use store::RoomKind;

use crate::auth::now_ms;
use crate::hub::Hub;

/// How often `occupancy` is broadcast.
pub const OCCUPANCY_PERIOD: Duration = Duration::from_secs(5);

/// How often admins get `stats`.
pub const STATS_PERIOD: Duration = Duration::from_secs(1);

/// The public rooms with their live member counts.
///
/// # Errors
/// A database failure.
pub async fn occupancy(hub: &Hub) -> Result<Occupancy, store::StoreError> {
    let counts = hub.presence.counts();
    let rooms = hub
        .store
        .public_rooms()
        .await?
        .into_iter()
        .map(|room| RoomOccupancy {
            members: counts.get(&room.id).copied().unwrap_or(0),
            name: room.name,
        })
        .collect();
    Ok(Occupancy {
        rooms,
        ts: now_ms(),
    })
}

/// Emits `occupancy` to every `/chat` socket every [`OCCUPANCY_PERIOD`], forever.
pub fn spawn_occupancy(hub: Hub, io: SocketIo) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        hub.occupancy_tasks.fetch_add(1, Ordering::SeqCst);
        let counter = hub.clone();
        let _running = scopeguard(move || {
            counter.occupancy_tasks.fetch_sub(1, Ordering::SeqCst);
        });
        let mut ticker = tokio::time::interval(OCCUPANCY_PERIOD);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(chat) = io.of(NS) else { continue };
            match occupancy(&hub).await {
                Ok(snapshot) => {
                    if let Err(error) = chat.emit(OCCUPANCY, &snapshot).await {
                        tracing::debug!(%error, "occupancy did not reach every socket");
                    }
                }
                Err(error) => tracing::error!(%error, "computing occupancy"),
            }
        }
    })
}

/// The live numbers of the admin view.
///
/// # Errors
/// A database failure.
pub async fn stats(hub: &Hub) -> Result<Stats, store::StoreError> {
    let (connected_users, sockets) = hub.presence.totals();
    let counts: std::collections::HashMap<i64, u64> =
        hub.store.message_counts().await?.into_iter().collect();
    // DMs are counted in the totals but not listed by name.
    let rooms = hub
        .store
        .open_rooms()
        .await?
        .into_iter()
        .filter(|room| room.kind == RoomKind::Room)
        .map(|room| RoomStats {
            members: hub.presence.count(room.id),
            messages: counts.get(&room.id).copied().unwrap_or(0),
            name: room.name,
        })
        .collect();
    Ok(Stats {
        connected_users,
        sockets,
        rooms,
        messages_total: counts.values().sum(),
        messages_last_minute: hub.store.messages_since(now_ms() - 60_000).await?,
        uptime_s: hub.started.elapsed().as_secs(),
    })
}

/// Emits `stats` to the `/admin` sockets every [`STATS_PERIOD`] while any are connected.
pub fn spawn_stats(hub: Hub, io: SocketIo) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(STATS_PERIOD);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(admin) = io.of(ADMIN) else { continue };
            if admin.clone().sockets().is_empty() {
                continue;
            }
            match stats(&hub).await {
                Ok(snapshot) => {
                    if let Err(error) = admin.emit(STATS, &snapshot).await {
                        tracing::debug!(%error, "stats did not reach every admin");
                    }
                }
                Err(error) => tracing::error!(%error, "computing stats"),
            }
        }
    })
}

/// Runs `f` when dropped (the task ends or is aborted).
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}
