//! The room on screen: header, timeline, typing line and composer.

use leptos::prelude::*;

use crate::live::Chat;
use crate::model::{ConnState, Line, RoomView};
use crate::time;

/// The middle column.
#[component]
pub fn RoomPane() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let view_of = move || {
        let key = chat.active.get()?;
        chat.rooms.with(|rooms| rooms.get(&key).cloned())
    };
    let has_room = move || chat.active.get().is_some();
    let title = move || view_of().map(|v| v.label()).unwrap_or_default();
    let can_invite = move || view_of().is_some_and(|v| v.private && v.dm_with.is_none());
    let topic = move || view_of().and_then(|v| v.topic);
    let private = move || view_of().is_some_and(|v| v.private);
    view! {
        <main class="room" aria-label="Conversation">
            <Show
                when=has_room
                fallback=|| {
                    view! {
                        <div class="empty">
                            <p>"Pick a room on the left, or create one."</p>
                        </div>
                    }
                }
            >
                <header class="room-head">
                    <h1 id="room-title">{move || private().then_some("🔒 ")} {title}</h1>
                    <p class="topic">{topic}</p>
                    <Show when=can_invite>
                        <InviteForm/>
                    </Show>
                    <Show when=private>
                        <button
                            id="leave-room"
                            type="button"
                            class="quiet leave-room"
                            on:click=move |_| {
                                if let Some(view) = view_of() {
                                    chat.leave_room(view.name);
                                }
                            }
                        >
                            "Leave for good"
                        </button>
                    </Show>
                </header>
                <Timeline/>
                <TypingLine/>
                <Composer/>
            </Show>
        </main>
    }
}

/// Messages and join/leave notices, oldest first, scrolled to the newest.
#[component]
fn Timeline() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let lines = move || {
        let key = chat.active.get()?;
        chat.rooms.with(|rooms| {
            rooms
                .get(&key)
                .map(|v: &RoomView| (v.lines.clone(), v.more_before))
        })
    };
    let list = NodeRef::<leptos::html::Ol>::new();
    // Keep the newest message in view when it arrives, unless the reader scrolled up.
    Effect::new(move |previous: Option<usize>| {
        let count = lines().map_or(0, |(l, _)| l.len());
        if let Some(el) = list.get() {
            let near_bottom = el.scroll_height() - el.scroll_top() - el.client_height() < 120;
            if previous.is_none_or(|p| p != count)
                && (near_bottom || previous == Some(0) || previous.is_none())
            {
                el.set_scroll_top(el.scroll_height());
            }
        }
        count
    });
    view! {
        <ol id="log" class="timeline" node_ref=list aria-live="polite">
            <Show when=move || lines().is_some_and(|(_, more)| more)>
                <li class="older">
                    <button type="button" class="quiet" on:click=move |_| chat.load_older()>
                        "Load older messages"
                    </button>
                </li>
            </Show>
            <For
                each=move || lines().map(|(l, _)| l).unwrap_or_default()
                key=Line::key
                children=move |line| render_line(line, chat)
            />
        </ol>
    }
}

fn render_line(line: Line, chat: Chat) -> AnyView {
    let me = chat.me.get_untracked().map(|u| u.id);
    match line {
        Line::Message(message) => {
            let mine = me == Some(message.user.id);
            view! {
                <li class="msg" class:mine=mine data-id=message.id id=protocol::links::message_anchor(message.id)>
                    <div class="meta">
                        <span class="author">{message.user.username.clone()}</span>
                        <time datetime=time::iso(message.ts) title=time::full(message.ts)>
                            {time::clock(message.ts)}
                        </time>
                    </div>
                    <p class="text">{message.text.clone()}</p>
                </li>
            }
            .into_any()
        }
        Line::Pending { text, user, .. } => view! {
            <li class="msg mine pending" aria-busy="true">
                <div class="meta">
                    <span class="author">{user.username}</span>
                    <span class="sending">"sending…"</span>
                </div>
                <p class="text">{text}</p>
            </li>
        }
        .into_any(),
        Line::Notice { text, .. } => view! { <li class="notice">{text}</li> }.into_any(),
    }
}

/// "ana is typing…"
#[component]
fn TypingLine() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = move || {
        let key = chat.active.get()?;
        let names: Vec<String> = chat.rooms.with(|rooms| {
            rooms
                .get(&key)
                .map(|v| v.typing.iter().map(|u| u.username.clone()).collect())
                .unwrap_or_default()
        });
        match names.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing…")),
            [a, b] => Some(format!("{a} and {b} are typing…")),
            _ => Some("several people are typing…".to_owned()),
        }
    };
    view! { <p id="typing-line" class="typing-line" aria-live="polite">{text}</p> }
}

/// The message box: Enter sends, Shift+Enter starts a new line.
#[component]
fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = RwSignal::new(String::new());
    let online = move || chat.conn.get() == ConnState::Connected;
    let typing = TypingSignal::new(chat);

    let send = move || {
        let body = text.get_untracked();
        if body.trim().is_empty() || !online() {
            return;
        }
        typing.sent();
        chat.send(body);
        text.set(String::new());
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        typing.input(!value.trim().is_empty());
        text.set(value);
    };
    let placeholder = move || {
        if online() {
            "Write a message… (Enter sends, Shift+Enter for a new line)"
        } else {
            "Waiting for the connection…"
        }
    };
    view! {
        <form
            class="composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send();
            }
        >
            <label for="msg" class="visually-hidden">"Message"</label>
            <textarea
                id="msg"
                rows="1"
                maxlength="4000"
                placeholder=placeholder
                disabled=move || !online()
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
            ></textarea>
            <button
                id="send"
                type="submit"
                class="primary"
                disabled=move || !online() || text.get().trim().is_empty()
            >
                "Send"
            </button>
        </form>
    }
}

/// Sends `typing` sparingly: at most every 2 s while typing, and `false` after 3 s of quiet.
#[derive(Clone, Copy)]
struct TypingSignal {
    chat: Chat,
    #[cfg(feature = "hydrate")]
    last_sent: StoredValue<f64>,
    #[cfg(feature = "hydrate")]
    idle: StoredValue<Option<gloo_timers::callback::Timeout>, LocalStorage>,
}

impl TypingSignal {
    fn new(chat: Chat) -> Self {
        Self {
            chat,
            #[cfg(feature = "hydrate")]
            last_sent: StoredValue::new(0.0),
            #[cfg(feature = "hydrate")]
            idle: StoredValue::new_local(None),
        }
    }

    /// The text changed; `has_text` says whether anything is left in the box.
    fn input(&self, has_text: bool) {
        #[cfg(feature = "hydrate")]
        {
            let now = js_sys::Date::now();
            if !has_text {
                self.sent();
                return;
            }
            if now - self.last_sent.get_value() > 2_000.0 {
                self.last_sent.set_value(now);
                self.chat.typing(true);
            }
            let this = *self;
            let timer = gloo_timers::callback::Timeout::new(3_000, move || this.sent());
            self.idle.set_value(Some(timer));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (has_text, self.chat);
    }

    /// The message was sent or the box emptied: typing is over.
    fn sent(&self) {
        #[cfg(feature = "hydrate")]
        {
            let _ = self.idle.try_set_value(None);
            if self.last_sent.try_get_value().unwrap_or(0.0) > 0.0 {
                let _ = self.last_sent.try_set_value(0.0);
                self.chat.typing(false);
            }
        }
    }
}

/// Invite someone to the private room on screen.
#[component]
fn InviteForm() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let name = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let who = name.get_untracked();
        let room = chat.active.get_untracked().and_then(|key| {
            chat.rooms
                .with_untracked(|rooms| rooms.get(&key).map(|v| v.name.clone()))
        });
        if let (Some(room), false) = (room, who.trim().is_empty()) {
            chat.invite(room, who.trim().to_owned());
            name.set(String::new());
        }
    };
    view! {
        <form class="invite-form" on:submit=submit>
            <label for="invite-name" class="visually-hidden">"Invite by username"</label>
            <input
                id="invite-name"
                placeholder="Invite by username"
                maxlength="32"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <button id="invite-button" type="submit">"Invite"</button>
        </form>
    }
}
