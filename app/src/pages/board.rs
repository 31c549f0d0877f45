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
                                            <a href=format!("/chat?room={}", room.name)>{room.name.clone()}</a>
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

#[cfg(feature = "hydrate")]
mod live {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use protocol::events::chat::{NS, OCCUPANCY, ROOMS};
    use protocol::{Occupancy, RoomOccupancy, RoomsReq, RoomsRes};
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
                    if let Ok(list) = socket.request::<_, RoomsRes>(NS, ROOMS, &RoomsReq {}).await {
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
        socket.on::<Occupancy>(NS, OCCUPANCY, move |occupancy| {
            rooms.set(occupancy.rooms);
            updated.set(Some(occupancy.ts));
        });
        socket.connect_namespace(NS, None);
        handle.set_value(Some(socket));
    }
}
