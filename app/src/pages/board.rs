//! `/board`: the public rooms and how many people are in each, live (fed by the `occupancy`
//! event the server broadcasts every 5 s).

use leptos::prelude::*;
use leptos_meta::Title;
use protocol::RoomOccupancy;

use crate::components::{Header, require_sign_in};
use crate::time;

/// The live occupancy board.
#[component]
pub fn Board() -> impl IntoView {
    require_sign_in();
    let rooms = RwSignal::new(Vec::<RoomOccupancy>::new());
    let updated = RwSignal::new(None::<i64>);
    let chat = crate::live::use_connection();

    // `occupancy` listeners on the tab's connection, for as long as this page is mounted.
    #[cfg(feature = "hydrate")]
    {
        let scope = StoredValue::new_local(None::<socket_client::browser::Scope>);
        Effect::new(move |_| {
            let _ = chat.conn.get();
            if scope.with_value(Option::is_none)
                && let Some(new) = chat.scope()
            {
                live::follow(&new, chat, rooms, updated);
                scope.set_value(Some(new));
            }
        });
        on_cleanup(move || {
            let _ = scope.try_set_value(None);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = chat;

    let max = move || rooms.with(|r| r.iter().map(|r| r.members).max().unwrap_or(0).max(1));
    view! {
        <Title text="Occupancy — Tertulia"/>
        <div class="app">
            <Header/>
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
    use socket_client::browser::{NsEvent, Scope, Socket};

    use crate::live::Chat;

    /// Follows `occupancy` on `/chat` in `scope`, with the counts read at once (and again after
    /// every reconnect) rather than at the next broadcast.
    pub fn follow(
        scope: &Scope,
        chat: Chat,
        rooms: RwSignal<Vec<RoomOccupancy>>,
        updated: RwSignal<Option<i64>>,
    ) {
        if let Some(socket) = scope.socket().filter(|s| s.is_connected(NS)) {
            read_counts(socket, rooms);
        }
        // Through the chat handle, not a captured socket: the connection must not own a
        // listener that owns the connection.
        scope.on_namespace(move |event| {
            if matches!(event, NsEvent::Connected(ns) if ns == NS)
                && let Some(socket) = chat.socket()
            {
                read_counts(socket, rooms);
            }
        });
        scope.on(move |occupancy: Occupancy| {
            rooms
                .update(|rooms| super::merge_occupancy(rooms, occupancy.rooms, occupancy.complete));
            updated.set(Some(occupancy.ts));
        });
    }

    fn read_counts(socket: Socket, rooms: RwSignal<Vec<RoomOccupancy>>) {
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
