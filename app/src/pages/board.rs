//! `/board`: the public rooms and how many people are in each, live (fed by the `occupancy`
//! event the server broadcasts every 5 s).

use leptos::prelude::*;
use leptos_meta::Title;
use protocol::RoomOccupancy;

use crate::components::{PageBar, require_sign_in};
use crate::session::use_session;
use crate::time;

/// The live occupancy board.
#[component]
pub fn Board() -> impl IntoView {
    require_sign_in();
    let session = use_session();
    let rooms = RwSignal::new(Vec::<RoomOccupancy>::new());
    let updated = RwSignal::new(None::<i64>);
    let state = RwSignal::new("connecting".to_owned());

    #[cfg(feature = "hydrate")]
    {
        let socket = StoredValue::new_local(None::<socket_client::browser::Socket>);
        Effect::new(move |_| {
            if session.user.get().is_some() && socket.get_value().is_none() {
                live::connect(socket, rooms, updated, state);
            }
        });
        on_cleanup(move || {
            let _ = socket.try_set_value(None);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = session;

    let max = move || rooms.with(|r| r.iter().map(|r| r.members).max().unwrap_or(0).max(1));
    view! {
        <Title text="Occupancy — Tertulia"/>
        <div class="app">
            <PageBar state=Signal::derive(move || state.get())/>
            <main class="page">
                <h1>"Who is where"</h1>
                <p class="hint">
                    "Public rooms and the people in them right now. Updates every few seconds."
                </p>
                <table id="board" class="board">
                    <thead>
                        <tr>
                            <th scope="col">"Room"</th>
                            <th scope="col">"People"</th>
                            <th scope="col" class="bar-col">
                                <span class="visually-hidden">"Share"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || rooms.get()
                            key=|room| (room.name.clone(), room.members)
                            children=move |room| {
                                let width = (room.members * 100 / max()).to_string();
                                view! {
                                    <tr data-room=room.name.clone()>
                                        <td>
                                            <a href=protocol::links::room(&room.name)>{room.name.clone()}</a>
                                        </td>
                                        <td class="members-count">{room.members}</td>
                                        <td class="bar-col">
                                            <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
                                                <rect x="0" y="0" height="8" width=width></rect>
                                            </svg>
                                        </td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
                <p class="hint">
                    {move || updated.get().map(|ts| format!("Last update {}", time::clock(ts)))}
                </p>
            </main>
        </div>
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // only the browser receives updates
/// Applies an `occupancy` to the board: a complete one replaces it; a partial one (the busiest
/// rooms plus those that changed) updates the rooms it names and adds new ones.
pub fn merge_occupancy(
    board: &mut Vec<protocol::RoomOccupancy>,
    update: Vec<protocol::RoomOccupancy>,
    complete: bool,
) {
    if complete {
        *board = update;
        return;
    }
    for room in update {
        match board.iter_mut().find(|r| r.name == room.name) {
            Some(known) => known.members = room.members,
            None => board.push(room),
        }
    }
    board.sort_by_key(|r| r.name.to_lowercase());
}

#[cfg(feature = "hydrate")]
mod live {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use protocol::events::chat::NS;
    use protocol::{Occupancy, RoomOccupancy, RoomsReq};
    use socket_client::browser::{NsEvent, Socket, same_origin_url};
    use socket_client::{Config, Status};

    /// Connects to `/chat` to receive `occupancy` and fills the signals; the socket lives in
    /// `handle` (listeners reach it through the handle, so dropping it closes the connection).
    pub fn connect(
        handle: StoredValue<Option<Socket>, LocalStorage>,
        rooms: RwSignal<Vec<RoomOccupancy>>,
        updated: RwSignal<Option<i64>>,
        state: RwSignal<String>,
    ) {
        let socket = Socket::connect(same_origin_url(), Config::default());
        socket.on_status(move |status| {
            if !matches!(status, Status::Connected) {
                state.set("disconnected".into());
            }
        });
        socket.on_namespace(move |event| match event {
            NsEvent::Connected(_) => {
                state.set("connected".into());
                // Counts right away rather than at the next broadcast.
                let Some(socket) = handle.try_get_value().flatten() else {
                    return;
                };
                spawn_local(async move {
                    if let Ok(list) = socket.request(&RoomsReq {}).await {
                        rooms.set(
                            list.rooms
                                .into_iter()
                                .filter(|r| !r.private)
                                .map(|r| RoomOccupancy {
                                    name: r.name,
                                    members: r.members,
                                })
                                .collect(),
                        );
                    }
                });
            }
            NsEvent::Refused(_, message) => state.set(format!("connection error: {message}")),
            NsEvent::Disconnected(..) => state.set("disconnected".into()),
        });
        socket.on(move |occupancy: Occupancy| {
            rooms
                .update(|rooms| super::merge_occupancy(rooms, occupancy.rooms, occupancy.complete));
            updated.set(Some(occupancy.ts));
        });
        socket.connect_namespace(NS, None);
        handle.set_value(Some(socket));
    }
}

#[cfg(test)]
mod board_tests {
    use protocol::RoomOccupancy;

    fn room(name: &str, members: u64) -> RoomOccupancy {
        RoomOccupancy {
            name: name.into(),
            members,
        }
    }

    #[test]
    fn partial_updates_merge_and_complete_ones_replace() {
        let mut board = vec![room("a", 1), room("b", 2)];
        super::merge_occupancy(&mut board, vec![room("b", 0), room("C", 3)], false);
        assert_eq!(board, [room("a", 1), room("b", 0), room("C", 3)]);
        super::merge_occupancy(&mut board, vec![room("a", 5)], true);
        assert_eq!(board, [room("a", 5)]);
    }
}
