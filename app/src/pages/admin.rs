//! `/admin`: live numbers (every second), a chart of the message rate over the last minutes,
//! and the admin actions (change a role, close a room). Admins only.

use std::collections::VecDeque;

use leptos::prelude::*;
use leptos_meta::Title;
use protocol::Stats;

use crate::components::{Header, require_sign_in};
use crate::session::use_session;

/// Seconds per chart bar.
const BUCKET: usize = 10;
/// What a stat tile shows before the first snapshot arrives.
const NOT_YET: &str = "–";

/// `messages_total` sampled once per second, oldest first.
type Samples = VecDeque<u64>;

/// Messages per bucket of [`BUCKET`] seconds, from the samples.
fn rates(samples: &Samples) -> Vec<u64> {
    let values: Vec<u64> = samples.iter().copied().collect();
    values
        .chunks(BUCKET)
        .filter(|chunk| chunk.len() > 1)
        .map(|chunk| chunk[chunk.len() - 1].saturating_sub(chunk[0]))
        .collect()
}

/// The admin page.
#[component]
pub fn Admin() -> impl IntoView {
    require_sign_in();
    let session = use_session();
    let stats = RwSignal::new(None::<Stats>);
    let samples = RwSignal::new(Samples::new());
    let state = RwSignal::new("connecting".to_owned());
    // Signed in without the admin role: a 403 page from the first byte.
    let forbidden = move || {
        session
            .user
            .get()
            .is_some_and(|u| u.role != protocol::Role::Admin)
    };
    #[cfg(feature = "ssr")]
    if forbidden()
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    let notice = RwSignal::new(None::<String>);
    let audit = RwSignal::new(Vec::<protocol::AuditEntry>::new());
    let ban_user = RwSignal::new(String::new());
    // 0: remove nothing they made.
    let ban_remove_hours = RwSignal::new(0_u32);
    let ban_addresses = RwSignal::new(false);
    let data_user = RwSignal::new(String::new());

    let chat = crate::live::use_connection();
    // `/admin` on the tab's connection, for as long as this page is mounted (admins only: the
    // server refuses anyone else, and the page does not ask for them).
    #[cfg(feature = "hydrate")]
    let scope = {
        let scope = StoredValue::new_local(None::<socket_client::browser::Scope>);
        Effect::new(move |_| {
            let is_admin = session
                .user
                .get()
                .is_some_and(|u| u.role == protocol::Role::Admin);
            let _ = chat.conn.get();
            if is_admin
                && scope.with_value(Option::is_none)
                && let Some(new) = chat.scope()
            {
                live::connect(&new, chat, stats, samples, state, audit);
                scope.set_value(Some(new));
            }
        });
        on_cleanup(move || {
            let _ = scope.try_set_value(None);
        });
        scope
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = chat;

    let role_user = RwSignal::new(String::new());
    let role = RwSignal::new("member".to_owned());
    let set_role = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        live::set_role(
            scope,
            role_user.get_untracked(),
            role.get_untracked(),
            notice,
        );
    };
    let ban = move |banned: bool| {
        let who = ban_user.get_untracked().trim().to_owned();
        if who.is_empty() {
            return;
        }
        let request = protocol::BanReq {
            username: who,
            remove_hours: Some(ban_remove_hours.get_untracked()).filter(|h| *h > 0),
            addresses: ban_addresses.get_untracked(),
        };
        #[cfg(feature = "hydrate")]
        live::ban(scope, request, banned, notice);
        #[cfg(not(feature = "hydrate"))]
        let _ = (request, banned);
    };
    let delete_user = move |remove: bool| {
        let who = data_user.get_untracked().trim().to_owned();
        if who.is_empty() {
            return;
        }
        #[cfg(feature = "hydrate")]
        live::delete_user(scope, who, remove, notice);
        #[cfg(not(feature = "hydrate"))]
        let _ = (who, remove);
    };
    let clear_profile = move || {
        let who = data_user.get_untracked().trim().to_owned();
        if who.is_empty() {
            return;
        }
        #[cfg(feature = "hydrate")]
        live::clear_profile(scope, who, notice);
        #[cfg(not(feature = "hydrate"))]
        let _ = who;
    };
    let close_room = move |name: String| {
        #[cfg(feature = "hydrate")]
        live::close_room(scope, name, notice);
        #[cfg(not(feature = "hydrate"))]
        let _ = name;
    };

    // Until the first snapshot arrives a tile shows a dash, not a 0 that reads as a count.
    let number = move |f: fn(&Stats) -> u64| {
        move || {
            stats.with(|s| {
                s.as_ref()
                    .map_or_else(|| NOT_YET.to_owned(), |s| f(s).to_string())
            })
        }
    };
    let chart = move || {
        let bars = samples.with(rates);
        let top = bars.iter().copied().max().unwrap_or(0).max(1);
        bars.into_iter()
            .enumerate()
            .map(|(i, n)| {
                let height = n * 50 / top;
                view! {
                    <rect x=(i * 10).to_string() y=(60 - height).to_string() width="8" height=height.to_string()>
                        <title>{format!("{n} messages")}</title>
                    </rect>
                }
            })
            .collect_view()
    };

    view! {
        <Title text="Admin — Tertulia"/>
        <div class="app">
            <Header/>
            <main class="page admin">
                <h1>"Live stats"</h1>
                <Show when=move || forbidden() || state.get() == "connection error: forbidden">
                    <p class="form-error">"This page is for admins."</p>
                </Show>
                <dl id="stat-tiles" class="tiles" aria-busy=move || stats.with(Option::is_none).to_string()>
                    <div><dt>"People online"</dt><dd id="stat-users">{number(|s| s.connected_users)}</dd></div>
                    <div><dt>"Open sockets"</dt><dd id="stat-sockets">{number(|s| s.sockets)}</dd></div>
                    <div><dt>"Messages"</dt><dd id="stat-messages">{number(|s| s.messages_total)}</dd></div>
                    <div><dt>"Last minute"</dt><dd id="stat-minute">{number(|s| s.messages_last_minute)}</dd></div>
                    <div><dt>"Up for"</dt><dd>{move || stats.with(|s| s.as_ref().map_or_else(|| NOT_YET.to_owned(), |s| uptime(s.uptime_s)))}</dd></div>
                </dl>
                <figure class="chart">
                    <svg viewBox="0 0 300 60" role="img" aria-label="Messages per 10 seconds, last 5 minutes">
                        {chart}
                    </svg>
                    <figcaption>"Messages per 10 s over the last 5 minutes"</figcaption>
                </figure>
                <h2>"Rooms"</h2>
                <table id="admin-rooms" class="board">
                    <thead>
                        <tr>
                            <th scope="col">"Room"</th>
                            <th scope="col">"People"</th>
                            <th scope="col">"Messages"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || stats.with(|s| s.as_ref().map(|s| s.rooms.clone()).unwrap_or_default())
                            key=|room| (room.name.clone(), room.members, room.messages)
                            children=move |room| {
                                let name = room.name.clone();
                                view! {
                                    <tr data-room=room.name.clone()>
                                        <td>{room.name.clone()}</td>
                                        <td class="members-count">{room.members}</td>
                                        <td class="messages-count">{room.messages}</td>
                                        <td>
                                            {(room.name != protocol::events::GENERAL_ROOM)
                                                .then(|| {
                                                    view! {
                                                        <button
                                                            type="button"
                                                            class="quiet"
                                                            on:click=move |_| close_room(name.clone())
                                                        >
                                                            "Close"
                                                        </button>
                                                    }
                                                })}
                                        </td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
                <h2>"Roles"</h2>
                <form class="inline-form" on:submit=set_role>
                    <label for="role-user">"User"</label>
                    <input
                        id="role-user"
                        maxlength="32"
                        required
                        prop:value=move || role_user.get()
                        on:input=move |ev| role_user.set(event_target_value(&ev))
                    />
                    <label for="role-value">"Role"</label>
                    <select id="role-value" on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="member" selected>"member"</option>
                        <option value="admin">"admin"</option>
                    </select>
                    <button type="submit" class="primary">"Apply"</button>
                </form>
                <h2>"Bans"</h2>
                <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    ban(true);
                }>
                    <label for="ban-user">"User"</label>
                    <input
                        id="ban-user"
                        maxlength="32"
                        required
                        prop:value=move || ban_user.get()
                        on:input=move |ev| ban_user.set(event_target_value(&ev))
                    />
                    <label for="ban-remove">"Also remove what they made in the last"</label>
                    <select
                        id="ban-remove"
                        on:change=move |ev| {
                            ban_remove_hours.set(event_target_value(&ev).parse().unwrap_or(0));
                        }
                    >
                        <option value="0" selected>"(nothing)"</option>
                        <option value="1">"hour"</option>
                        <option value="24">"24 hours"</option>
                        <option value=protocol::validate::BAN_REMOVE_HOURS_MAX.to_string()>"7 days"</option>
                    </select>
                    <label class="check">
                        <input
                            id="ban-addresses"
                            type="checkbox"
                            prop:checked=move || ban_addresses.get()
                            on:change=move |ev| ban_addresses.set(event_target_checked(&ev))
                        />
                        "Refuse new accounts from their addresses"
                    </label>
                    <button id="ban" type="submit" class="primary">"Ban"</button>
                    <button id="unban" type="button" class="quiet" on:click=move |_| ban(false)>"Lift ban"</button>
                </form>
                <h2>"A person's data"</h2>
                // A plain GET form: the browser downloads the zip the server answers.
                <form class="inline-form" method="get" action=protocol::links::ADMIN_EXPORT>
                    <label for="data-user">"User"</label>
                    <input
                        id="data-user"
                        name=protocol::links::ADMIN_EXPORT_USER
                        maxlength="32"
                        required
                        prop:value=move || data_user.get()
                        on:input=move |ev| data_user.set(event_target_value(&ev))
                    />
                    <button id="export-user" type="submit" class="quiet">"Download their data"</button>
                    <button id="clear-profile" type="button" class="quiet" on:click=move |_| clear_profile()>
                        "Remove picture and display name"
                    </button>
                    <button id="delete-user" type="button" class="danger" on:click=move |_| delete_user(false)>
                        "Delete account"
                    </button>
                    <button id="delete-user-messages" type="button" class="danger" on:click=move |_| delete_user(true)>
                        "Delete account and messages"
                    </button>
                </form>
                <p class="hint" role="status">{move || notice.get()}</p>
                <h2>"Moderation log"</h2>
                <table id="audit-log" class="board">
                    <thead>
                        <tr>
                            <th scope="col">"When"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Did"</th>
                            <th scope="col">"To"</th>
                            <th scope="col">"Where"</th>
                            <th scope="col">"Details"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || audit.get()
                            key=|entry| entry.id
                            children=move |entry| {
                                view! {
                                    <tr data-action=entry.action.to_string()>
                                        <td>{crate::time::full(entry.ts)}</td>
                                        <td>{entry.actor.clone()}</td>
                                        <td class="audit-action">{entry.action.as_str().replace('_', " ")}</td>
                                        <td class="audit-target">{entry.target.clone().unwrap_or_default()}</td>
                                        <td>{entry.room.clone().unwrap_or_default()}</td>
                                        <td>{entry.detail.clone().unwrap_or_default()}</td>
                                    </tr>
                                }
                            }
                        />
                    </tbody>
                </table>
            </main>
        </div>
    }
}

fn uptime(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(feature = "hydrate")]
mod live {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use protocol::events::admin::NS;
    use protocol::{
        AuditEntry, AuditReq, BanReq, CloseRoomReq, DeleteUserReq, MessagesOnDelete, Role,
        SetRoleReq, Stats, UnbanReq,
    };
    use socket_client::RequestError;
    use socket_client::browser::{NsEvent, Scope};

    use super::Samples;

    /// Samples kept for the chart: one per second, five minutes.
    const SAMPLES: usize = 300;

    type Handle = StoredValue<Option<Scope>, LocalStorage>;

    /// Connects `/admin` in `scope` and keeps the signals up to date.
    pub fn connect(
        scope: &Scope,
        chat: crate::live::Chat,
        stats: RwSignal<Option<Stats>>,
        samples: RwSignal<Samples>,
        state: RwSignal<String>,
        audit: RwSignal<Vec<AuditEntry>>,
    ) {
        // Through the chat handle, not a captured socket: the connection must not own a
        // listener that owns the connection.
        scope.on_namespace(move |event| match event {
            NsEvent::Connected(ns) if ns == NS => {
                state.set("connected".into());
                // The log so far; `audit_entry` adds to it live.
                if let Some(socket) = chat.socket() {
                    spawn_local(async move {
                        if let Ok(log) = socket.request(&AuditReq::default()).await {
                            audit.set(log.entries);
                        }
                    });
                }
            }
            NsEvent::Refused(ns, message) if ns == NS => {
                state.set(format!("connection error: {message}"));
            }
            NsEvent::Disconnected(ns, _) if ns == NS => state.set("disconnected".into()),
            _ => {}
        });
        scope.on(move |snapshot: Stats| {
            samples.update(|s| {
                s.push_back(snapshot.messages_total);
                while s.len() > SAMPLES {
                    s.pop_front();
                }
            });
            stats.set(Some(snapshot));
        });
        scope.on(move |entry: AuditEntry| {
            audit.update(|log| {
                if !log.iter().any(|e| e.id == entry.id) {
                    log.insert(0, entry);
                }
            });
        });
        scope.connect_namespace(NS, None);
    }

    /// Bans an account (after asking) or lifts its ban (and its address bans).
    pub fn ban(handle: Handle, request: BanReq, banned: bool, notice: RwSignal<Option<String>>) {
        let username = request.username.clone();
        if banned {
            let mut question =
                format!("Ban {username}? Their sessions end and they cannot sign in.");
            if let Some(hours) = request.remove_hours {
                question.push_str(&format!(
                    " What they made in the last {hours} h (messages, rooms, files) is removed."
                ));
            }
            if request.addresses {
                question.push_str(" New accounts from their addresses are refused.");
            }
            if !crate::desktop::confirm(&question) {
                return;
            }
        }
        let Some(socket) = socket(handle) else {
            return;
        };
        spawn_local(async move {
            let result = if banned {
                socket.request(&request).await
            } else {
                let lift = BanReq {
                    username: request.username,
                    ..BanReq::default()
                };
                socket.request(&UnbanReq(lift)).await
            };
            let text = match result {
                Ok(_) if banned => format!("{username} is banned"),
                Ok(_) => format!("{username} may sign in again"),
                Err(error) => describe(error),
            };
            notice.set(Some(text));
        });
    }

    /// Deletes an account (after asking), keeping its messages or removing them.
    pub fn delete_user(
        handle: Handle,
        username: String,
        remove: bool,
        notice: RwSignal<Option<String>>,
    ) {
        let what = if remove {
            "Their messages and files are removed."
        } else {
            "Their messages stay, shown as from a deleted user; their files are removed."
        };
        let question = format!("Delete {username}'s account? This cannot be undone. {what}");
        if !crate::desktop::confirm(&question) {
            return;
        }
        let Some(socket) = socket(handle) else {
            return;
        };
        spawn_local(async move {
            let request = DeleteUserReq {
                username: username.clone(),
                messages: if remove {
                    MessagesOnDelete::Remove
                } else {
                    MessagesOnDelete::Keep
                },
            };
            let text = match socket.request(&request).await {
                Ok(_) => format!("{username}'s account is deleted"),
                Err(error) => describe(error),
            };
            notice.set(Some(text));
        });
    }

    /// Takes away someone's picture and display name (after asking).
    pub fn clear_profile(handle: Handle, username: String, notice: RwSignal<Option<String>>) {
        let question = format!(
            "Remove {username}'s profile picture and display name? Everyone sees their username again."
        );
        if !crate::desktop::confirm(&question) {
            return;
        }
        let Some(socket) = socket(handle) else {
            return;
        };
        spawn_local(async move {
            let request = protocol::ClearProfileReq {
                username: Some(username.clone()),
                id: None,
            };
            let text = match socket.request(&request).await {
                Ok(_) => format!("{username}'s picture and display name are removed"),
                Err(error) => describe(error),
            };
            notice.set(Some(text));
        });
    }

    /// The connection of the page's scope.
    fn socket(handle: Handle) -> Option<socket_client::browser::Socket> {
        handle
            .try_with_value(|scope| scope.as_ref().and_then(Scope::socket))
            .flatten()
    }

    fn describe(error: RequestError) -> String {
        match error {
            RequestError::Server(body) => body.message,
            other => other.to_string(),
        }
    }

    /// Changes a user's role.
    pub fn set_role(
        handle: Handle,
        username: String,
        role: String,
        notice: RwSignal<Option<String>>,
    ) {
        let Some(socket) = socket(handle) else {
            return;
        };
        let Some(role) = Role::parse(&role) else {
            return;
        };
        spawn_local(async move {
            let request = SetRoleReq { username, role };
            let text = match socket.request(&request).await {
                Ok(done) => format!("{} is now {}", done.user.username, done.user.role.as_str()),
                Err(error) => describe(error),
            };
            notice.set(Some(text));
        });
    }

    /// Closes a room after asking.
    pub fn close_room(handle: Handle, room: String, notice: RwSignal<Option<String>>) {
        let confirmed =
            crate::desktop::confirm(&format!("Close {room}? Everyone in it is removed."));
        let Some(socket) = socket(handle).filter(|_| confirmed) else {
            return;
        };
        spawn_local(async move {
            let text = match socket.request(&CloseRoomReq { room: room.clone() }).await {
                Ok(_) => format!("{room} is closed"),
                Err(error) => describe(error),
            };
            notice.set(Some(text));
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_are_differences_per_bucket() {
        let samples = (0..25u64).map(|s| s * 2).collect();
        assert_eq!(super::rates(&samples), [18, 18, 8]);
        assert!(super::rates(&super::Samples::new()).is_empty());
    }
}
