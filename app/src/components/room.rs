//! The room on screen: header, timeline, typing line and composer.

use leptos::prelude::*;

use super::attachments::FilesFor;
use super::message::render_row;
use super::{NoteToast, Toast};
use crate::commands::{self, Command};
use crate::live::Chat;
use crate::live::Drawer;
use crate::model::{ConnState, LengthNote, Line, RoomView, Rooms, Row};
use crate::{complete, storage, time};

/// At most this many names are offered for an `@` being typed.
const MENTION_SUGGESTIONS: usize = 6;

/// The middle column.
#[component]
pub fn RoomPane() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let has_room = move || chat.active.get().is_some();
    let title = move || chat.with_shown(RoomView::label).unwrap_or_default();
    let can_invite = move || chat.with_shown(|v| v.private && !v.is_direct()) == Some(true);
    let topic = move || chat.with_shown(|v| v.topic.clone()).flatten();
    let private = move || chat.with_shown(|v| v.private) == Some(true);
    let muted = move || chat.with_shown(|v| v.muted) == Some(true);
    // Files dragged over the conversation are attached when dropped.
    let dropping = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    let carries_files = |ev: &leptos::ev::DragEvent| {
        ev.data_transfer()
            .is_some_and(|data| data.types().includes(&"Files".into(), 0))
    };
    #[cfg(not(feature = "hydrate"))]
    let carries_files = |_: &leptos::ev::DragEvent| false;
    view! {
        <main
            class="room"
            class:dropping=move || dropping.get()
            aria-label="Conversation"
            on:dragover=move |ev: leptos::ev::DragEvent| {
                if carries_files(&ev) && chat.conn.get_untracked() == ConnState::Connected {
                    ev.prevent_default();
                    dropping.set(true);
                }
            }
            on:dragleave=move |_| dropping.set(false)
            on:drop=move |ev: leptos::ev::DragEvent| {
                dropping.set(false);
                if !carries_files(&ev) {
                    return;
                }
                ev.prevent_default();
                #[cfg(feature = "hydrate")]
                chat.attach(super::attachments::file_list(ev.data_transfer().and_then(|d| d.files())));
            }
        >
            <Show
                when=has_room
                fallback=move || {
                    view! {
                        <div class="empty">
                            <div class="toasts">
                                <Toast/>
                                <NoteToast/>
                            </div>
                            // Without the script nothing here works: say so, and show
                            // what needs it only once it runs (style: `.needs-script`).
                            <noscript class="no-script">
                                "The chat needs JavaScript to show rooms and messages: turn it on for this site and reload the page."
                            </noscript>
                            <p class="needs-script">"Pick a room on the left, or create one."</p>
                            <button
                                type="button"
                                class="primary drawer-only needs-script"
                                on:click=move |_| chat.drawer.set(Drawer::Rooms)
                            >
                                "Show rooms"
                            </button>
                        </div>
                    }
                }
            >
                <header class="room-head">
                    <div class="drawer-buttons">
                        // Before the script runs (a phone still loading it), the rooms drawer
                        // opens as a link to it (style: `:target`); then the button does.
                        <a class="drawer-link" href="#rooms-drawer" aria-label="Rooms" title="Rooms">"☰"</a>
                        <button
                            id="open-rooms"
                            type="button"
                            class="quiet"
                            aria-controls="rooms-drawer"
                            aria-expanded=move || (chat.drawer.get() == Drawer::Rooms).to_string()
                            aria-label="Rooms"
                            title="Rooms"
                            on:click=move |_| chat.drawer.set(Drawer::Rooms)
                        >
                            "☰"
                            <Show when=move || { chat.rooms.with(|r| r.unread()) > 0 }>
                                <span class="dot-badge" aria-label="unread messages"></span>
                            </Show>
                        </button>
                        <button
                            id="open-people"
                            type="button"
                            class="quiet"
                            aria-controls="people-drawer"
                            aria-expanded=move || (chat.drawer.get() == Drawer::People).to_string()
                            aria-label="People in this room"
                            title="People in this room"
                            on:click=move |_| chat.drawer.set(Drawer::People)
                        >
                            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                                <path d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm7 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM9 13c-3.3 0-7 1.6-7 4v2h14v-2c0-2.4-3.7-4-7-4zm7 0c-.5 0-1 0-1.5.1 1.5.9 2.5 2.2 2.5 3.9v2h5v-2c0-2.3-3.3-4-6-4z"></path>
                            </svg>
                        </button>
                    </div>
                    <h1 id="room-title">{move || private().then_some("🔒 ")} {title}</h1>
                    <TopicLine topic=Signal::derive(topic)/>
                    <Show when=can_invite>
                        <InviteForm/>
                    </Show>
                    <div class="room-actions">
                        <super::MessageSearch/>
                        <super::PinnedMessages/>
                        <super::RoomWebhooks/>
                        <button
                            id="mute-room"
                            type="button"
                            class="quiet"
                            aria-pressed=move || muted().to_string()
                            title="Muted rooms raise no toasts (mentions still do)"
                            on:click=move |_| {
                                if let Some((name, muted)) = chat.with_shown_untracked(|v| (v.name.clone(), v.muted)) {
                                    chat.set_muted(name, !muted);
                                }
                            }
                        >
                            <svg class="icon narrow-icon" viewBox="0 0 24 24" aria-hidden="true">
                                <path d=move || if muted() { BELL_OFF_ICON } else { BELL_ICON }></path>
                            </svg>
                            <span class="action-label">{move || if muted() { "Unmute" } else { "Mute" }}</span>
                        </button>
                        <button
                            id="leave-room"
                            type="button"
                            class="quiet leave-room"
                            on:click=move |_| {
                                if let Some(name) = chat.with_shown_untracked(|v| v.name.clone()) {
                                    chat.leave_for_good(name);
                                }
                            }
                        >
                            <svg class="icon narrow-icon" viewBox="0 0 24 24" aria-hidden="true">
                                <path d=LEAVE_ICON></path>
                            </svg>
                            <span class="action-label">"Leave"</span>
                        </button>
                    </div>
                </header>
                <Timeline/>
                <TypingLine/>
                <Composer/>
                // The server drew the room (see `first_screen`): without the script it reads,
                // and says what it cannot do.
                <noscript class="no-script composer-note">
                    "Reading only: writing, reactions and live updates need JavaScript. Turn it on for this site and reload the page."
                </noscript>
            </Show>
        </main>
    }
}

/// Does what a line typed in the message box asks for (see [`commands`]); whether the box is
/// done with (a command that is wrong or unknown keeps its text for correcting). A bot's
/// command keeps its text until the bot answered: `clear` empties the box then (if it still
/// holds the line, in the same room).
fn run(chat: Chat, command: Command, clear: impl Fn() + Clone + 'static) -> bool {
    let room = || chat.with_shown_untracked(|view| view.name.clone());
    match command {
        Command::Say(text) => chat.send(text),
        Command::Me(action) => chat.send(commands::me_text(&action)),
        Command::Shrug(text) if text.is_empty() => chat.send(commands::SHRUG.to_owned()),
        Command::Shrug(text) => chat.send(format!("{text} {}", commands::SHRUG)),
        Command::Topic(topic) => chat.set_topic(topic),
        Command::Invite(name) => {
            if let Some(room) = room() {
                chat.invite(room, name);
            }
        }
        Command::Dm(name) => chat.dm(name),
        Command::GroupDm(names) => {
            let me = chat
                .me
                .with_untracked(|me| me.as_ref().map(|u| u.username.clone()));
            return match commands::with_others(names, me.as_deref()) {
                Command::GroupDm(names) => {
                    chat.group_dm(names, move |done| {
                        if let Err(problem) = done {
                            chat.tell(problem);
                        }
                    });
                    true
                }
                other => run(chat, other, clear.clone()),
            };
        }
        Command::Status(status) => chat.set_status(status, move |done| match done {
            Ok(()) => chat.tell("Status line saved"),
            Err(problem) => chat.tell(problem),
        }),
        Command::Mute(muted) => {
            if let Some(room) = room() {
                chat.set_muted(room, muted);
            }
        }
        Command::Leave => {
            if let Some(room) = room() {
                chat.leave_for_good(room);
            }
        }
        Command::Help => {
            chat.with_commands(move |bots| chat.tell(help_text(bots.unwrap_or_default())));
        }
        Command::Bot { name, text } => {
            let Some(room) = room() else {
                return false;
            };
            chat.with_commands(move |known| {
                if let Some(known) = known
                    && !known.iter().any(|command| command.name == name)
                {
                    chat.tell(format!("There is no /{name} command. {}", help_text(known)));
                    return;
                }
                let typed = format!("/{name} {text}");
                chat.run_command(room, name, text, None, move |answer| match answer {
                    Ok(answer) => {
                        clear();
                        if let Some(reply) = answer.reply {
                            chat.tell(reply);
                        }
                    }
                    // The line stays in the box, to be sent again.
                    Err(problem) => chat.tell(format!("{}: {problem}", typed.trim_end())),
                });
            });
            return false;
        }
        Command::Usage(usage) => {
            chat.tell(format!("Usage: {usage}"));
            return false;
        }
    }
    true
}

/// What `/help` says: the commands this client knows, then the bots' (v1.29).
fn help_text(bots: &[protocol::BotCommand]) -> String {
    let mut list: Vec<String> = commands::HELP
        .iter()
        .map(|(command, _)| (*command).to_owned())
        .collect();
    list.extend(bots.iter().map(|command| {
        format!(
            "/{} ({} · @{})",
            command.name, command.description, command.bot.username
        )
    }));
    format!("Commands: {}", list.join(" · "))
}

/// Icons the room's Mute and Leave show instead of their words on a phone.
const BELL_ICON: &str = "M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1l-2-2z";
const BELL_OFF_ICON: &str = "M20 18.7 5.3 4 4 5.3l2.9 2.9C6.3 9 6 10 6 11v5l-2 2v1h13.7l1 1 1.3-1.3zM12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-7.2V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7c-.6.1-1.1.4-1.6.7L18 14.8z";
const LEAVE_ICON: &str = "M10 17l1.4-1.4-2.6-2.6H20v-2H8.8l2.6-2.6L10 7l-5 5 5 5zM4 5h7V3H4a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h7v-2H4V5z";

/// The topic under the room's name; its creator (or an admin) can edit it in place.
#[component]
fn TopicLine(topic: Signal<Option<String>>) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let may_edit = move || {
        let Some(me) = chat.me.get() else {
            return false;
        };
        chat.with_shown(|view| {
            !view.is_direct()
                && (me.role == protocol::Role::Admin || view.created_by == Some(me.id))
        }) == Some(true)
    };
    // Another room on screen: stop editing this one's topic.
    Effect::new(move |_| {
        let _ = chat.active.get();
        editing.set(false);
    });
    let save = move || {
        chat.set_topic(draft.get_untracked());
        editing.set(false);
    };
    view! {
        <Show
            when=move || editing.get()
            fallback=move || view! {
                <p class="topic">
                    <span class="topic-text">{move || topic.get()}</span>
                    <Show when=may_edit>
                        <button
                            id="edit-topic"
                            type="button"
                            class="quiet edit-topic"
                            title="Change the topic"
                            on:click=move |_| {
                                draft.set(topic.get_untracked().unwrap_or_default());
                                editing.set(true);
                            }
                        >
                            {move || if topic.get().is_some() { "Edit topic" } else { "Add a topic" }}
                        </button>
                    </Show>
                </p>
            }
        >
            <form
                class="topic-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    save();
                }
            >
                <label for="topic-input" class="visually-hidden">"Topic"</label>
                <input
                    id="topic-input"
                    maxlength=protocol::validate::TOPIC_MAX.to_string()
                    placeholder="What is this room about?"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" {
                            ev.prevent_default();
                            editing.set(false);
                        }
                    }
                    autofocus
                />
                <button id="save-topic" type="submit" class="primary">"Save"</button>
                <button type="button" class="quiet" on:click=move |_| editing.set(false)>"Cancel"</button>
            </form>
        </Show>
    }
}

/// How close to the bottom (px) still counts as "reading the newest".
const NEAR_BOTTOM_PX: i32 = 120;

/// What the timeline was at its last render, to tell what changed.
struct Shape {
    room: Option<String>,
    /// Rows shown.
    count: usize,
    /// The oldest and newest lines' identities (day headings skipped).
    oldest: Option<String>,
    newest: Option<String>,
    /// The oldest message's id.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "only the browser moves the focus")
    )]
    oldest_message: Option<i64>,
    /// The list's scroll height.
    height: i32,
}

/// Messages and join/leave notices, oldest first. Opening a room lands on the first unread
/// message (or the newest); new messages keep the newest in view unless the reader scrolled
/// up, in which case a "jump to latest" pill appears; loading older messages keeps the
/// reading position. The messages are one tab stop; the arrow keys move between them
/// (`roving`).
#[component]
fn Timeline() -> impl IntoView {
    let chat = expect_context::<Chat>();
    // One computation of the rows per change, shared by the list, the "older" button and the
    // scrolling effect.
    let lines = Memo::new(move |_| {
        let me = chat.me.with(|me| me.as_ref().map(|u| u.id));
        let day_of = time::live_day_of();
        chat.with_shown(|v: &RoomView| (Rooms::key(&v.name), v.rows(me, day_of), v.more_before))
    });
    // Read from the server and nothing in it (nothing pending from us either).
    let empty = Memo::new(move |_| {
        chat.with_shown(|v: &RoomView| {
            v.history_read
                && !v.more_before
                && v.lines
                    .iter()
                    .all(|line| matches!(line, Line::Notice { .. } | Line::Divider))
        })
        .unwrap_or(false)
    });
    let list = NodeRef::<leptos::html::Ol>::new();
    let below = RwSignal::new(false);
    // The list's height when "load older" was pressed (see the scrolling effect).
    let height_at_request = StoredValue::new(None::<i32>);
    // The message that takes Tab in the timeline (the last one focused; else the newest).
    let current = RwSignal::new(None::<i64>);
    // What had the focus in the timeline, to give it back when its message is drawn anew.
    #[cfg(feature = "hydrate")]
    let focused = StoredValue::new_local(None::<leptos::web_sys::Element>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        lines.track();
        let current = current.get();
        if let Some(el) = list.get() {
            // A copy: giving the focus back runs the focus handler, which writes `focused`.
            let last = focused.get_value();
            super::roving::apply(&el, current, last.as_ref());
        }
    });
    let near_bottom = move || {
        list.get_untracked().is_none_or(|el| {
            el.scroll_height() - el.scroll_top() - el.client_height() < NEAR_BOTTOM_PX
        })
    };
    let to_bottom = move || {
        if let Some(el) = list.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        below.set(false);
    };
    Effect::new(move |previous: Option<Shape>| {
        let (room, shown, _) = lines.get().unzip3();
        let shown = shown.unwrap_or_default();
        let lines_only = || shown.iter().filter(|row| matches!(row, Row::Line { .. }));
        let now = Shape {
            room,
            count: shown.len(),
            oldest: lines_only().next().map(Row::identity),
            oldest_message: lines_only().find_map(Row::message_id),
            newest: shown.last().map(Row::identity),
            height: 0,
        };
        let Some(el) = list.get() else {
            return now;
        };
        let height = el.scroll_height();
        match &previous {
            // Another room (or the first render): land on the divider, else the newest.
            Some(old) if old.room != now.room => land(&el, to_bottom),
            None => land(&el, to_bottom),
            // Older messages were put on top: the oldest line changed, the newest did not (a
            // new message can land above a line still waiting to be sent, and a catch-up can
            // fill a gap below the oldest: neither changes the oldest). Keep what the reader
            // was looking at, and no "new messages" pill: nothing new came.
            Some(old)
                if now.count > old.count
                    && now.oldest != old.oldest
                    && now.newest == old.newest =>
            {
                // The height when the older page was asked for: the one kept at the last
                // render can be stale (fonts and images settle after it).
                let before = height_at_request.get_value().unwrap_or(old.height);
                height_at_request.set_value(None);
                el.set_scroll_top(el.scroll_top() + height - before);
                // The "load older" button is gone once everything is loaded: a keyboard user
                // who pressed it goes on from the message that was the oldest.
                #[cfg(feature = "hydrate")]
                if let Some(id) = old.oldest_message {
                    super::roving::focus_if_lost(&el, id, current);
                }
            }
            Some(old) if now.count != old.count => {
                let was_near = old.height - el.scroll_top() - el.client_height() < NEAR_BOTTOM_PX;
                if was_near {
                    to_bottom();
                } else {
                    below.set(true);
                }
            }
            _ => {}
        }
        Shape {
            height: el.scroll_height(),
            ..now
        }
    });
    let on_scroll = move |_| {
        if near_bottom() {
            below.set(false);
            chat.mark_active_read();
        }
    };
    view! {
        <div class="timeline-wrap">
            // Toasts sit over the conversation, never over the top bar or the composer.
            <div class="toasts">
                <Toast/>
                <NoteToast/>
            </div>
            <super::viewer::ImageViewer/>
            <super::emoji::ReactionDialog/>
            <super::person_card::PersonCard/>
            <ol
                id="log"
                class="timeline"
                node_ref=list
                aria-live="polite"
                on:scroll=on_scroll
                on:focusin=move |ev| {
                    #[cfg(feature = "hydrate")]
                    super::roving::on_focus(&ev, current, focused);
                    #[cfg(not(feature = "hydrate"))]
                    let _ = (ev, current);
                }
                on:keydown=move |ev| {
                    #[cfg(feature = "hydrate")]
                    if let Some(el) = list.get_untracked() {
                        super::roving::on_key(&ev, &el, current);
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
            >
                <Show when=move || lines.get().is_some_and(|(_, _, more)| more)>
                    <li class="older">
                        <button
                            type="button"
                            class="quiet"
                            on:click=move |_| {
                                height_at_request.set_value(list.get_untracked().map(|el| el.scroll_height()));
                                chat.load_older();
                            }
                        >
                            "Load older messages"
                        </button>
                    </li>
                </Show>
                <For
                    each=move || lines.get().map(|(_, l, _)| l).unwrap_or_default()
                    key=Row::key
                    children=move |row| render_row(row, chat)
                />
                <Show when=move || empty.get()>
                    <li class="empty-room">
                        <p>"No messages here yet."</p>
                        <p class="hint">"Say hello: what you write appears here for everyone in the room."</p>
                    </li>
                </Show>
            </ol>
            // The server drew the timeline (see `first_screen`): until the app is live, it
            // starts where the app will land it, at "New messages" or the newest message.
            // (Run by the browser as it reads the page; a timeline drawn later by the app
            // lands by itself, and a browser without script starts at the top, free to
            // scroll.)
            <script nonce=leptos::nonce::use_nonce()>{LAND_BEFORE_LIVE}</script>
            <Show when=move || below.get()>
                <button id="jump-latest" type="button" class="jump-latest" on:click=move |_| to_bottom()>
                    "New messages ↓"
                </button>
            </Show>
        </div>
    }
}

/// Scrolls the server-drawn timeline as [`land`] will, once the page is read (what follows
/// the timeline, such as the composer, sizes it) and again once its images are in, unless the
/// app is live by then (no `<`, `>` or `&`: it is written into the page as text).
const LAND_BEFORE_LIVE: &str = "(function(){function land(){if(document.documentElement.hasAttribute('data-hydrated'))return;var l=document.getElementById('log');if(!l)return;var d=l.querySelector('.divider');l.scrollTop=d?d.offsetTop-8:l.scrollHeight;}document.addEventListener('DOMContentLoaded',land);addEventListener('load',land);})();";

/// Whether the main pointer is a finger (phones, tablets).
fn coarse_pointer() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.match_media("(pointer: coarse)").ok().flatten())
            .is_some_and(|query| query.matches())
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Scrolls a freshly shown room to its "New messages" divider, or to the newest message.
fn land(el: &leptos::web_sys::HtmlOListElement, to_bottom: impl Fn()) {
    use leptos::wasm_bindgen::JsCast;
    let divider = el
        .query_selector(".divider")
        .ok()
        .flatten()
        .and_then(|d| d.dyn_into::<leptos::web_sys::HtmlElement>().ok());
    match divider {
        Some(divider) => el.set_scroll_top(divider.offset_top() - 8),
        None => to_bottom(),
    }
}

trait Unzip3<A, B, C> {
    fn unzip3(self) -> (Option<A>, Option<B>, Option<C>);
}

impl<A, B, C> Unzip3<A, B, C> for Option<(A, B, C)> {
    fn unzip3(self) -> (Option<A>, Option<B>, Option<C>) {
        match self {
            Some((a, b, c)) => (Some(a), Some(b), Some(c)),
            None => (None, None, None),
        }
    }
}

/// "ana is typing…", "ana and bea are typing…", for the names given; `None` for nobody.
pub(super) fn typing_words(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [a, b] => Some(format!("{a} and {b} are typing…")),
        _ => Some("several people are typing…".to_owned()),
    }
}

/// "ana is typing…" in the room itself (not in its threads).
#[component]
fn TypingLine() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = move || {
        let typists = chat.with_shown(|v| v.typing_in(None)).unwrap_or_default();
        typing_words(&chat.names_of(&typists))
    };
    view! { <p id="typing-line" class="typing-line" aria-live="polite">{text}</p> }
}

/// The message box: Enter sends, Shift+Enter starts a new line.
#[component]
fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let text = RwSignal::new(String::new());
    let online = move || chat.conn.get() == ConnState::Connected;
    // Offline too: what is sent then waits in the outbox. Not before the first connection
    // (before hydration nothing would take it).
    let writable = move || chat.conn.get() != ConnState::Connecting;
    let typing = TypingSignal::new(chat, Signal::stored(None));
    let text_area = NodeRef::<leptos::html::Textarea>::new();
    // One draft per room, kept in this browser across reloads.
    let draft_key = move || {
        chat.active
            .get_untracked()
            .map(|room| format!("tertulia.draft.{room}"))
    };
    Effect::new(move |_| {
        let _ = chat.active.get();
        // Switching rooms ends typing where we were.
        typing.sent();
        // Ready to write (not on touch screens, where focus would pop the keyboard up).
        if let Some(area) = text_area.get_untracked()
            && !coarse_pointer()
        {
            let _ = area.focus();
        }
        text.set(
            draft_key()
                .and_then(|key| storage::get(&key))
                .unwrap_or_default(),
        );
    });
    let keep_draft = move |value: &str| {
        if let Some(key) = draft_key() {
            storage::set(&key, value);
        }
    };

    let room_key = move || chat.active.get().unwrap_or_default();
    let uploading = move || chat.uploads.with(|u| u.busy(&room_key()));
    let has_files = move || {
        chat.uploads
            .with(|u| u.ready(&room_key()).is_some_and(|files| !files.is_empty()))
    };
    let length = Memo::new(move |_| LengthNote::of(&text.get()));
    let too_long = move || length.get().is_some_and(LengthNote::is_over);
    let send = move || {
        let body = text.get_untracked();
        // Kept whole until shortened: never cut, never sent only to be refused.
        if LengthNote::of(&body).is_some_and(LengthNote::is_over) {
            return;
        }
        let key = chat.active.get_untracked().unwrap_or_default();
        let files_ready = chat
            .uploads
            .with_untracked(|u| u.ready(&key).is_some_and(|files| !files.is_empty()));
        if (body.trim().is_empty() && !files_ready) || !writable() {
            return;
        }
        if chat.uploads.with_untracked(|u| u.busy(&key)) {
            chat.tell("Wait for the files to finish uploading");
            return;
        }
        typing.sent();
        // A slash command is done here; one this client does not know (or without what it
        // needs) stays in the box, with a word on what can be typed.
        let command = commands::parse(&body);
        let room_now = chat.active.get_untracked();
        let clear = move || {
            if text.get_untracked() == body && chat.active.get_untracked() == room_now {
                text.set(String::new());
                keep_draft("");
            }
        };
        if run(chat, command, clear.clone()) {
            clear();
        }
    };
    // `@` autocomplete: the people in the room first, then anyone in the directory (so an
    // offline colleague can be mentioned, or written to with `/dm @name`).
    let caret = RwSignal::new(0_usize);
    let picked = RwSignal::new(0_usize);
    let dismissed = RwSignal::new(false);
    let typed_name = Memo::new(move |_| {
        if dismissed.get() {
            return None;
        }
        let body = text.get();
        complete::mention_at(&body, caret.get()).map(|(_, typed)| typed.to_owned())
    });
    let directory = super::switcher::directory_people(chat, typed_name);
    // Their display names, to match and show (asked in one batch, once per person).
    Effect::new(move |_| {
        directory.with(|found| {
            for person in found {
                chat.want_profile(person.id);
            }
        });
    });
    // Computed once per keystroke, read by the list, the key handler and the picker.
    let mention = Memo::new(move |_| {
        if dismissed.get() {
            return None;
        }
        let body = text.get();
        let (start, typed) = complete::mention_at(&body, caret.get())?;
        let me = chat.me.with(|me| me.as_ref().map(|u| u.id));
        let names = chat.with_shown(|v| {
            directory.with(|found| {
                chat.profiles.with(|profiles| {
                    let mut seen = std::collections::HashSet::new();
                    // The room's people, then the directory's; whoever the server found (maybe
                    // by a display name not known here yet) is kept, in the room or not.
                    let by_server: std::collections::HashSet<i64> =
                        found.iter().map(|u| u.id).collect();
                    let room = v.members.iter().map(|u| (u, by_server.contains(&u.id)));
                    let directory = found.iter().map(|u| (u, true));
                    complete::suggestions(
                        room.chain(directory)
                            .filter(|(u, _)| me != Some(u.id) && seen.insert(u.id))
                            .map(|(u, found)| complete::Candidate {
                                username: &u.username,
                                name: profiles.name(u.id),
                                found,
                            }),
                        typed,
                        MENTION_SUGGESTIONS,
                    )
                })
            })
        })?;
        // A name typed in full needs no list (and Enter sends).
        let complete = names.iter().any(|n| n.username.eq_ignore_ascii_case(typed));
        (!names.is_empty() && !complete).then_some((start, names))
    });
    // `:shortcode` completion from the emoji catalogue (when no `@` list shows).
    let emoji_typed = Memo::new(move |_| {
        if dismissed.get() || mention.get().is_some() {
            return None;
        }
        let body = text.get();
        let (start, typed) = crate::emoji::shortcode_at(&body, caret.get())?;
        let catalog = super::emoji::catalog(chat)?;
        let found: Vec<(String, String)> =
            crate::emoji::completions(&catalog, typed, crate::emoji::SUGGESTIONS)
                .into_iter()
                .map(|info| {
                    let code = info.shortcodes.first().cloned().unwrap_or_default();
                    (info.emoji.clone(), code)
                })
                .collect();
        (!found.is_empty()).then_some((start, found))
    });
    // Sets the box's text (kept as the draft) with the caret at byte `after`.
    let put_text = move |body: String, after: usize| {
        keep_draft(&body);
        text.set(body.clone());
        caret.set(after);
        if let Some(area) = text_area.get_untracked() {
            area.set_value(&body);
            let at = u32::try_from(complete::byte_to_utf16(&body, after)).unwrap_or(u32::MAX);
            let _ = area.set_selection_range(at, at);
            let _ = area.focus();
        }
    };
    // "Mention" on a person's card: their name at the caret, ready to write after.
    Effect::new(move |_| {
        let Some(name) = chat.mention_request.get() else {
            return;
        };
        chat.mention_request.set(None);
        let body = text.get_untracked();
        let at = caret.get_untracked().min(body.len());
        let at = (0..=at)
            .rev()
            .find(|i| body.is_char_boundary(*i))
            .unwrap_or(0);
        let before = &body[..at];
        let space = if before.is_empty() || before.ends_with(char::is_whitespace) {
            ""
        } else {
            " "
        };
        let inserted = format!("{space}@{name} ");
        let after = at + inserted.len();
        put_text(format!("{before}{inserted}{}", &body[at..]), after);
    });
    let take_emoji = move |emoji: &str| {
        let Some((start, _)) = emoji_typed.get_untracked() else {
            return;
        };
        let body = text.get_untracked();
        let (body, after) = crate::emoji::put(&body, start, caret.get_untracked(), emoji);
        crate::emoji::used(emoji);
        put_text(body, after);
    };
    // The composer's picker puts its emoji at the caret.
    let picking_emoji = RwSignal::new(false);
    let insert_emoji = move |emoji: String| {
        picking_emoji.set(false);
        let body = text.get_untracked();
        // Where the caret was in the box (a click may have moved it since the last input).
        let at = text_area
            .get_untracked()
            .and_then(|area| area.selection_start().ok().flatten())
            .map_or_else(
                || caret.get_untracked(),
                |units| complete::utf16_to_byte(&body, units as usize),
            )
            .min(body.len());
        let at = if body.is_char_boundary(at) {
            at
        } else {
            body.len()
        };
        let (body, after) = crate::emoji::put(&body, at, at, &emoji);
        crate::emoji::used(&emoji);
        put_text(body, after);
    };
    let take_suggestion = move |name: &str| {
        let Some((start, _)) = mention.get_untracked() else {
            return;
        };
        let body = text.get_untracked();
        let (body, after) = complete::complete(&body, start, caret.get_untracked(), name);
        put_text(body, after);
    };
    // The suggestion list on show (`@` names first), by its element id; how many it offers.
    let shown_list = move || {
        mention
            .with(|m| m.as_ref().map(|(_, names)| ("mention-list", names.len())))
            .or_else(|| {
                emoji_typed.with(|e| e.as_ref().map(|(_, found)| ("emoji-list", found.len())))
            })
    };
    // Takes the `n`th suggestion of the list on show.
    let take_picked = move |n: usize| {
        if let Some((_, names)) = mention.get_untracked() {
            take_suggestion(&names[n].username);
        } else if let Some((_, found)) = emoji_typed.get_untracked() {
            take_emoji(&found[n].0);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        // While an input method composes, its keys are its own.
        if ev.is_composing() {
            return;
        }
        if let Some((_, count)) = untrack(shown_list) {
            match ev.key().as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    picked.update(|p| *p = (*p + 1) % count);
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    picked.update(|p| *p = (*p + count - 1) % count);
                    return;
                }
                "Tab" | "Enter" if !ev.shift_key() => {
                    ev.prevent_default();
                    take_picked(picked.get_untracked().min(count - 1));
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    dismissed.set(true);
                    return;
                }
                _ => {}
            }
        }
        if ev.key() == "Enter" && !ev.shift_key() {
            ev.prevent_default();
            send();
        } else if ev.key() == "Escape" && chat.replying.get_untracked().is_some() {
            ev.prevent_default();
            chat.replying.set(None);
        } else if ev.key() == "ArrowUp" && text.get_untracked().is_empty() {
            // Up in an empty box edits our last message, as in Slack.
            let me = chat.me.get_untracked().map(|u| u.id);
            if let Some(id) = me.and_then(|me| {
                chat.with_shown_untracked(|v| v.last_own_message(me))
                    .flatten()
            }) {
                ev.prevent_default();
                chat.editing.set(Some(id));
            }
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        typing.input(!value.trim().is_empty());
        keep_draft(&value);
        let at = text_area
            .get_untracked()
            .and_then(|area| area.selection_start().ok().flatten())
            .map_or(value.len(), |units| {
                complete::utf16_to_byte(&value, units as usize)
            });
        caret.set(at);
        picked.set(0);
        dismissed.set(false);
        // `:tada:` typed whole becomes 🎉 (when typed, not when deleting back to it).
        let grew = value.len() > text.with_untracked(String::len);
        let finished = chat.emoji.with_untracked(|catalog| {
            catalog
                .as_ref()
                .and_then(|catalog| crate::emoji::finish_typed(catalog, &value, at))
        });
        match finished.filter(|_| grew) {
            Some((body, after)) => put_text(body, after),
            None => text.set(value),
        }
    };
    let placeholder = move || match chat.conn.get() {
        ConnState::Connected => "Write a message… (Enter sends, Shift+Enter for a new line)",
        ConnState::Connecting => "Connecting…",
        _ => "Offline: write anyway, it is sent when the connection is back",
    };
    view! {
        <form
            class="composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send();
            }
            on:paste=move |ev: leptos::ev::ClipboardEvent| {
                super::attachments::paste_files(&ev, chat, FilesFor::Room);
            }
        >
            <super::attachments::UploadTray/>
            <label for="msg" class="visually-hidden">"Message"</label>
            {move || chat.replying.get().map(|quote| view! {
                <div id="reply-bar" class="reply-bar">
                    <span class="reply-to">
                        "Replying to "
                        <strong>{quote.user.username.clone()}</strong>
                        <span class="quote-text">{quote.excerpt.clone()}</span>
                    </span>
                    <button
                        type="button"
                        class="quiet cancel-reply"
                        aria-label="Cancel the reply"
                        title="Cancel the reply (Escape)"
                        on:click=move |_| chat.replying.set(None)
                    >
                        "×"
                    </button>
                </div>
            })}
            <Show when=move || mention.get().is_some()>
                <ul id="mention-list" class="mention-list" role="listbox" aria-label="People to mention">
                    {move || {
                        mention.get()
                            .map(|(_, names)| names)
                            .unwrap_or_default()
                            .into_iter()
                            .enumerate()
                            .map(|(n, person)| {
                                let chosen = person.username.clone();
                                let shown_name = person
                                    .name
                                    .filter(|name| !name.eq_ignore_ascii_case(&person.username));
                                view! {
                                    <li
                                        role="option"
                                        id=format!("mention-list-option-{n}")
                                        aria-selected=move || (picked.get() == n).to_string()
                                        class:selected=move || picked.get() == n
                                        on:mousedown=move |ev| {
                                            ev.prevent_default();
                                            take_suggestion(&chosen);
                                        }
                                    >
                                        "@"
                                        {person.username}
                                        {shown_name
                                            .map(|name| {
                                                view! { <span class="mention-name">{name}</span> }
                                            })}
                                    </li>
                                }
                            })
                            .collect::<Vec<_>>()
                    }}
                </ul>
            </Show>
            <Show when=move || emoji_typed.get().is_some()>
                <ul id="emoji-list" class="mention-list" role="listbox" aria-label="Emoji">
                    {move || {
                        emoji_typed.get()
                            .map(|(_, found)| found)
                            .unwrap_or_default()
                            .into_iter()
                            .enumerate()
                            .map(|(n, (emoji, code))| {
                                let chosen = emoji.clone();
                                view! {
                                    <li
                                        role="option"
                                        id=format!("emoji-list-option-{n}")
                                        aria-selected=move || (picked.get() == n).to_string()
                                        class:selected=move || picked.get() == n
                                        on:mousedown=move |ev| {
                                            ev.prevent_default();
                                            take_emoji(&chosen);
                                        }
                                    >
                                        <span class="emoji-char">{emoji}</span>
                                        {format!(" :{code}:")}
                                    </li>
                                }
                            })
                            .collect::<Vec<_>>()
                    }}
                </ul>
            </Show>
            <Show when=move || picking_emoji.get()>
                <div id="composer-emoji" class="emoji-popover" role="dialog" aria-label="Insert an emoji">
                    <super::emoji::EmojiPicker
                        on_pick=Callback::new(insert_emoji)
                        on_close=Callback::new(move |()| {
                            picking_emoji.set(false);
                            if let Some(area) = text_area.get_untracked() {
                                let _ = area.focus();
                            }
                        })
                    />
                </div>
            </Show>
            <textarea
                id="msg"
                node_ref=text_area
                rows="1"
                dir="auto"
                placeholder=placeholder
                aria-describedby="length-note"
                // While a list of suggestions shows, a screen reader hears the one chosen.
                aria-autocomplete="list"
                aria-controls=move || shown_list().map(|(list, _)| list)
                aria-activedescendant=move || {
                    shown_list().map(|(list, _)| format!("{list}-option-{}", picked.get()))
                }
                disabled=move || !writable()
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
            ></textarea>
            <button
                id="emoji-button"
                type="button"
                class="quiet attach"
                title="Insert an emoji (or type :name)"
                aria-label="Insert an emoji"
                aria-expanded=move || picking_emoji.get().to_string()
                aria-controls=move || picking_emoji.get().then_some("composer-emoji")
                disabled=move || !writable()
                on:click=move |_| picking_emoji.update(|open| *open = !*open)
            >
                "☺"
            </button>
            <super::attachments::AttachButton
                to=FilesFor::Room
                id="attach"
                title="Attach files (or paste, or drop them here)"
                label="Attach files"
                disabled=Signal::derive(move || !online())
            />
            <button
                id="send"
                type="submit"
                class="primary"
                disabled=move || {
                    !writable()
                        || uploading()
                        || too_long()
                        || (text.get().trim().is_empty() && !has_files())
                }
            >
                "Send"
            </button>
            <p
                id="length-note"
                class="length-note"
                class:over=too_long
                role="status"
                hidden=move || length.get().is_none()
            >
                {move || length.get().map(LengthNote::text)}
            </p>
            <Show when=move || writable() && !online()>
                <p id="outbox-note" class="outbox-note" role="status">
                    "You are offline. What you send now is kept on this device and sent when the connection is back."
                </p>
            </Show>
        </form>
    }
}

/// Sends `typing` sparingly: at most every 2 s while typing (at once when the box is in
/// another place than the last said: another room or thread), and `false` after 3 s of
/// quiet, when the message is sent, or when the typist switches rooms (to the room they typed
/// in).
#[derive(Clone, Copy)]
pub(super) struct TypingSignal {
    chat: Chat,
    /// Which thread the box writes in (v1.27; `None`: the room itself).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    thread: Signal<Option<i64>>,
    #[cfg(feature = "hydrate")]
    last_sent: StoredValue<f64>,
    /// The room (key) and thread we said we are typing in.
    #[cfg(feature = "hydrate")]
    room: StoredValue<Option<(String, Option<i64>)>>,
    #[cfg(feature = "hydrate")]
    idle: StoredValue<Option<gloo_timers::callback::Timeout>, LocalStorage>,
}

impl TypingSignal {
    /// For a box that writes in the room on screen, in the thread `thread` says (if any).
    pub(super) fn new(chat: Chat, thread: Signal<Option<i64>>) -> Self {
        Self {
            chat,
            thread,
            #[cfg(feature = "hydrate")]
            last_sent: StoredValue::new(0.0),
            #[cfg(feature = "hydrate")]
            room: StoredValue::new(None),
            #[cfg(feature = "hydrate")]
            idle: StoredValue::new_local(None),
        }
    }

    /// The text changed; `has_text` says whether anything is left in the box.
    pub(super) fn input(&self, has_text: bool) {
        #[cfg(feature = "hydrate")]
        {
            let now = js_sys::Date::now();
            if !has_text {
                self.sent();
                return;
            }
            let Some(room) = self.chat.active.get_untracked() else {
                return;
            };
            let place = (room, self.thread.get_untracked());
            // Another box of this tab may have said it types somewhere else since.
            let moved = self.chat.typing_said().as_ref() != Some(&place);
            if moved || now - self.last_sent.get_value() > 2_000.0 {
                self.last_sent.set_value(now);
                self.chat.typing(&place.0, true, place.1);
                self.room.set_value(Some(place));
            }
            let this = *self;
            let timer = gloo_timers::callback::Timeout::new(3_000, move || this.sent());
            self.idle.set_value(Some(timer));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (has_text, self.chat);
    }

    /// The message was sent, the box emptied, the room or thread changed: typing is over.
    pub(super) fn sent(&self) {
        #[cfg(feature = "hydrate")]
        {
            let _ = self.idle.try_set_value(None);
            let _ = self.last_sent.try_set_value(0.0);
            if let Some((room, thread)) = self.room.try_update_value(Option::take).flatten() {
                self.chat.typing(&room, false, thread);
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
