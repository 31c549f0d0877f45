//! Background tasks started once with the server (never per connection): the occupancy
//! board, admin stats, and housekeeping (rate-limit buckets, old sessions, guests).

use std::collections::HashMap;
use std::time::Duration;

use protocol::{Occupancy, RoomOccupancy, RoomStats, Stats};
use store::{RoomKind, RoomRecord};

use crate::clock::now_ms;
use crate::error::AppError;
use crate::fanout::{Fanout, Ops, broadcast};
use crate::hub::Hub;
use crate::services::Services;

/// How long a node holds a cluster-wide task's lease without renewing it (then another node
/// takes over the task).
const LEASE: Duration = Duration::from_secs(10);

/// Names of the cluster-wide leases: one node at a time does each duty.
const OCCUPANCY_DUTY: &str = "duty:occupancy-board";
const STATS_DUTY: &str = "duty:admin-stats";
const HOUSEKEEPING_DUTY: &str = "duty:housekeeping";

/// How often housekeeping runs.
pub const HOUSEKEEPING_PERIOD: Duration = Duration::from_secs(60);

/// The busiest public rooms always listed in `occupancy` (all of them when there are no more).
pub const OCCUPANCY_TOP: usize = 50;

/// Most rooms in one `occupancy` (the busiest plus those whose count changed).
pub const OCCUPANCY_MAX: usize = 200;

/// Rooms listed in admin `stats` (the busiest).
pub const STATS_ROOMS_MAX: usize = 100;

/// Builds the next `occupancy` from the public rooms and live counts. `previous` holds the
/// counts last sent and is updated: the busiest rooms are always listed, plus every room whose
/// count changed since (a room that emptied is listed once with 0).
#[must_use]
pub fn next_occupancy(
    public: &[RoomRecord],
    counts: &HashMap<i64, u64>,
    previous: &mut HashMap<i64, u64>,
) -> Occupancy {
    let count = |room: &RoomRecord| counts.get(&room.id).copied().unwrap_or(0);
    let complete = public.len() <= OCCUPANCY_TOP;
    let mut chosen: Vec<&RoomRecord> = if complete {
        public.iter().collect()
    } else {
        let mut busiest: Vec<&RoomRecord> = public.iter().collect();
        busiest.sort_by_key(|room| (std::cmp::Reverse(count(room)), room.id));
        let mut chosen: Vec<&RoomRecord> = busiest[..OCCUPANCY_TOP].to_vec();
        chosen.extend(
            busiest[OCCUPANCY_TOP..]
                .iter()
                .filter(|room| previous.get(&room.id).copied().unwrap_or(0) != count(room)),
        );
        chosen.truncate(OCCUPANCY_MAX);
        chosen
    };
    chosen.sort_by_cached_key(|room| (room.name.to_lowercase(), room.id));
    previous.clear();
    previous.extend(
        public
            .iter()
            .map(|room| (room.id, count(room)))
            .filter(|(_, n)| *n > 0),
    );
    Occupancy {
        rooms: chosen
            .into_iter()
            .map(|room| RoomOccupancy {
                name: room.name.clone(),
                members: count(room),
            })
            .collect(),
        ts: now_ms(),
        complete,
    }
}

/// Emits `occupancy` to every `/chat` socket every occupancy period (5 s), forever.
pub fn spawn_occupancy(services: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let hub = &services.hub;
        let mut previous = HashMap::new();
        let mut ticker = tokio::time::interval(hub.config.occupancy_period());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // One node of a cluster broadcasts to every node's sockets.
            if !hub.live.lease(OCCUPANCY_DUTY, LEASE).await {
                previous.clear();
                continue;
            }
            let Some(chat) = services.fanout.chat() else {
                continue;
            };
            let started = std::time::Instant::now();
            match occupancy_now(hub, &mut previous).await {
                Ok(snapshot) => broadcast(chat, &snapshot).await,
                Err(error) => tracing::error!(%error, "computing occupancy"),
            }
            hub.metrics().task("occupancy_broadcast", started.elapsed());
        }
    })
}

/// The next `occupancy`, from the store's public rooms and the live counts.
///
/// # Errors
/// A database or live-state failure.
pub async fn occupancy_now(
    hub: &Hub,
    previous: &mut HashMap<i64, u64>,
) -> Result<Occupancy, AppError> {
    let public = hub.store.public_rooms().await?;
    let ids: Vec<i64> = public.iter().map(|room| room.id).collect();
    let counts = hub.live.counts(&ids).await?;
    Ok(next_occupancy(&public, &counts, previous))
}

/// The live numbers of the admin view (the busiest rooms only).
///
/// # Errors
/// A database or live-state failure.
pub async fn stats(hub: &Hub) -> Result<Stats, AppError> {
    let (connected_users, sockets) = hub.live.totals().await?;
    let counts: HashMap<i64, u64> = hub.store.message_counts().await?.into_iter().collect();
    // DMs are counted in the totals but not listed by name.
    let open: Vec<RoomRecord> = hub
        .store
        .open_rooms()
        .await?
        .into_iter()
        .filter(|room| room.kind == RoomKind::Room)
        .collect();
    let ids: Vec<i64> = open.iter().map(|room| room.id).collect();
    let present = hub.live.counts(&ids).await?;
    let mut rooms: Vec<RoomStats> = open
        .into_iter()
        .map(|room| RoomStats {
            members: present.get(&room.id).copied().unwrap_or(0),
            messages: counts.get(&room.id).copied().unwrap_or(0),
            name: room.name,
        })
        .collect();
    if rooms.len() > STATS_ROOMS_MAX {
        rooms.sort_by_key(|room| std::cmp::Reverse((room.members, room.messages)));
        rooms.truncate(STATS_ROOMS_MAX);
        rooms.sort_by_key(|room| room.name.to_lowercase());
    }
    Ok(Stats {
        connected_users,
        sockets,
        rooms,
        messages_total: counts.values().sum(),
        messages_last_minute: hub.store.messages_since(now_ms() - 60_000).await?,
        uptime_s: hub.started.elapsed().as_secs(),
    })
}

/// Emits `stats` to the `/admin` sockets every stats period (1 s) while any are connected.
pub fn spawn_stats(services: Services) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let hub = &services.hub;
        let mut ticker = tokio::time::interval(hub.config.stats_period());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // One node computes; the broadcast reaches every node's admin sockets.
            if !hub.live.lease(STATS_DUTY, LEASE).await {
                continue;
            }
            let Some(admin) = services.fanout.admin() else {
                continue;
            };
            if !any_admin_watching(&services.fanout, &admin).await {
                continue;
            }
            let started = std::time::Instant::now();
            match stats(hub).await {
                Ok(snapshot) => broadcast(admin, &snapshot).await,
                Err(error) => tracing::error!(%error, "computing stats"),
            }
            hub.metrics().task("stats_broadcast", started.elapsed());
        }
    })
}

/// Whether any `/admin` socket is open (on any node).
async fn any_admin_watching(fanout: &Fanout, admin: &Ops) -> bool {
    if !fanout.is_shared() {
        return !admin.clone().sockets().is_empty();
    }
    admin
        .clone()
        .fetch_sockets()
        .await
        .is_ok_and(|sockets| !sockets.is_empty())
}

/// Sessions and released guests are kept this long after they end (for the audit trail of
/// recent sign-outs), then deleted.
const GRACE_MS: i64 = 24 * 3600 * 1000;

/// A guest this young is left alone by housekeeping even without a session: it may be
/// between its user row and its first session.
const SIGN_IN_GRACE_MS: i64 = 10 * 60 * 1000;

/// One round of housekeeping: forgets refilled rate-limit buckets, deletes sessions that ended
/// a day ago, frees the names of guests without a live session, deletes released guests
/// that left nothing behind and link previews no message shows.
///
/// # Errors
/// A database failure.
pub async fn housekeeping(hub: &Hub) -> Result<(), store::StoreError> {
    let buckets = hub.live.sweep_limits();
    // The database part once per cluster.
    if !hub
        .live
        .lease(HOUSEKEEPING_DUTY, HOUSEKEEPING_PERIOD * 2)
        .await
    {
        return Ok(());
    }
    let now = now_ms();
    let sessions = hub.store.prune_sessions(now - GRACE_MS).await?;
    let released = hub
        .store
        .release_idle_guests(now, now - SIGN_IN_GRACE_MS)
        .await?;
    // Unsent uploads first, bytes included: a guest is deleted only once it has none left.
    let unsent = hub.store.take_unsent_files(now - UNSENT_FILE_MS).await?;
    for file in &unsent {
        hub.files.remove(file).await;
    }
    let (deleted, pictures) = hub.store.delete_forgotten_guests(now - GRACE_MS).await?;
    for picture in &pictures {
        hub.files.remove(picture).await;
    }
    let window = i64::try_from(crate::accounts::throttle::WINDOW.as_millis()).unwrap_or(i64::MAX);
    let failures = hub.store.prune_sign_in_failures(now - window).await?;
    // Link previews no message shows any more, and their images.
    let links = hub
        .store
        .sweep_link_previews(now - crate::links::RETRY_AFTER_MS)
        .await?;
    for image in &links {
        hub.files.remove(image).await;
    }
    // An upload being written touches its file all the time: an hour untouched is abandoned.
    hub.files.sweep_partials(Duration::from_secs(3600)).await;
    let unsent = unsent.len();
    let links = links.len();
    tracing::debug!(
        buckets,
        links,
        sessions,
        released,
        deleted,
        unsent,
        failures,
        "housekeeping"
    );
    Ok(())
}

/// How long an upload may wait to be sent with a message before it is removed (ms).
pub const UNSENT_FILE_MS: i64 = 24 * 60 * 60 * 1000;

/// Runs [`housekeeping`] every [`HOUSEKEEPING_PERIOD`].
pub fn spawn_housekeeping(hub: Hub) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(HOUSEKEEPING_PERIOD);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let started = std::time::Instant::now();
            if let Err(error) = housekeeping(&hub).await {
                tracing::error!(%error, "housekeeping");
            }
            hub.metrics().task("housekeeping", started.elapsed());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: i64) -> RoomRecord {
        RoomRecord {
            id,
            name: format!("room{id:04}"),
            topic: None,
            private: false,
            kind: RoomKind::Room,
            closed: false,
            owner: None,
        }
    }

    #[test]
    fn few_rooms_are_all_listed() {
        let public: Vec<RoomRecord> = (1..=3).map(room).collect();
        let counts = HashMap::from([(2, 5)]);
        let snapshot = next_occupancy(&public, &counts, &mut HashMap::new());
        assert!(snapshot.complete);
        assert_eq!(snapshot.rooms.len(), 3);
        assert_eq!(snapshot.rooms[1].members, 5);
    }

    #[test]
    fn many_rooms_send_the_busiest_plus_what_changed() {
        let public: Vec<RoomRecord> = (1..=1_000).map(room).collect();
        let mut previous = HashMap::new();
        let mut counts: HashMap<i64, u64> = (1..=60).map(|id| (id, 100 - id as u64)).collect();
        let first = next_occupancy(&public, &counts, &mut previous);
        assert!(!first.complete);
        // The 50 busiest plus the 10 others whose count moved from nothing.
        assert_eq!(first.rooms.len(), 60);
        // Nothing moves: only the busiest.
        let steady = next_occupancy(&public, &counts, &mut previous);
        assert_eq!(steady.rooms.len(), OCCUPANCY_TOP);
        // A quiet room gains someone, a listed one empties: both are sent.
        counts.insert(900, 1);
        counts.remove(&60);
        let moved = next_occupancy(&public, &counts, &mut previous);
        let names: Vec<&str> = moved.rooms.iter().map(|r| r.name.as_str()).collect();
        assert!(names.contains(&"room0900"));
        let emptied = moved.rooms.iter().find(|r| r.name == "room0060").unwrap();
        assert_eq!(emptied.members, 0);
        assert!(moved.rooms.len() <= OCCUPANCY_MAX);
    }
}
