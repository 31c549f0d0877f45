//! Background tasks started once with the server (never per connection).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use protocol::events::chat::{NS, OCCUPANCY};
use protocol::{Occupancy, RoomOccupancy};
use socketioxide::SocketIo;

use crate::auth::now_ms;
use crate::hub::Hub;

/// How often `occupancy` is broadcast.
pub const OCCUPANCY_PERIOD: Duration = Duration::from_secs(5);

/// Number of occupancy tasks running in this process (for tests and diagnostics).
pub static OCCUPANCY_TASKS: AtomicUsize = AtomicUsize::new(0);

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
        OCCUPANCY_TASKS.fetch_add(1, Ordering::SeqCst);
        let _running = scopeguard(|| {
            OCCUPANCY_TASKS.fetch_sub(1, Ordering::SeqCst);
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
