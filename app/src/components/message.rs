//! One row of the timeline: a message (grouped under its author, its text rendered from the
//! safe Markdown subset as DOM nodes), a pending or refused message of ours, a presence
//! notice, the "New messages" divider or a date separator.

use leptos::prelude::*;
use protocol::{Message, Role};

use super::code::CodeBlock;
use super::members::role_badge;
use crate::live::Chat;
use crate::markup::{self, Block, Inline};
use crate::model::{Line, Row};
use crate::profiles::Profiles;
use crate::time;

/// Where a row is drawn: the room's timeline, or a thread beside it (whose root the timeline
/// shows too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The room's own timeline.
    Room,
    /// The open thread.
    Thread,
}

/// Draws a row of the room's timeline.
pub fn render_row(row: Row, chat: Chat) -> AnyView {
    render_row_in(row, chat, Place::Room)
}

/// Draws a row in `place`.
pub fn render_row_in(row: Row, chat: Chat, place: Place) -> AnyView {
    match row {
        Row::Day { ts, .. } => view! {
            <li class="day"><span>{move || time::live_day_label(ts)}</span></li>
        }
        .into_any(),
        Row::Line { line, grouped } => render_line(*line, grouped, chat, place),
    }
}

fn render_line(line: Line, grouped: bool, chat: Chat, place: Place) -> AnyView {
    match line {
        Line::Message(message) => render_message(&message, grouped, chat, place),
        Line::Pending {
            text,
            user,
            failed,
            client_id,
            attachments,
            ..
        } => {
            let status = match failed {
                None => view! {
                    <span class="sending">
                        {move || if chat.conn.get() == crate::model::ConnState::Connected {
                            "sending…"
                        } else {
                            "waiting for the connection"
                        }}
                    </span>
                }
                .into_any(),
                Some(reason) => {
                    let retry = {
                        let id = client_id.clone();
                        move |_| chat.retry(id.clone())
                    };
                    let discard = move |_| chat.discard(client_id.clone());
                    view! {
                        <span class="failed" role="alert">"Not sent: " {reason}</span>
                        <button type="button" class="quiet retry" on:click=retry>"Retry"</button>
                        <button type="button" class="quiet discard" on:click=discard>"Discard"</button>
                    }
                    .into_any()
                }
            };
            view! {
                <li class="msg mine pending">
                    <div class="meta">
                        <span class="author">{user.username.clone()}</span>
                        {status}
                    </div>
                    <div class="text">{body(&text, Some(&user.username), &user.username)}</div>
                    {render_attachments(&attachments, chat)}
                </li>
            }
            .into_any()
        }
        Line::Notice { joined, left, .. } => {
            view! { <li class="notice">{Line::notice_text(&joined, &left)}</li> }.into_any()
        }
        Line::Divider => view! {
            <li class="divider"><span>"New messages"</span></li>
        }
        .into_any(),
    }
}

const REACT_ICON: &str = "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm-3.5-9a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5c2.3 0 4.3-1.4 5.1-3.5H6.9c.8 2.1 2.8 3.5 5.1 3.5z";
const REPLY_ICON: &str = "M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z";
const THREAD_ICON: &str = "M21 6h-2v9H6v2c0 .55.45 1 1 1h11l4 4V7c0-.55-.45-1-1-1zm-4 6V3c0-.55-.45-1-1-1H3c-.55 0-1 .45-1 1v14l4-4h10c.55 0 1-.45 1-1z";
const EDIT_ICON: &str = "M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zM20.71 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z";
const SAVE_ICON: &str = "M17 3H7a2 2 0 0 0-2 2v16l7-3 7 3V5a2 2 0 0 0-2-2z";
pub(super) const PIN_ICON: &str = "M16 3v2h-1v5l3 3v2h-5v6l-1 1-1-1v-6H6v-2l3-3V5H8V3h8z";
const DELETE_ICON: &str =
    "M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z";

/// A 24×24 icon for a button that carries its own label.
pub(super) fn icon(path: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d=path></path>
        </svg>
    }
}

/// Emoji offered by the reaction picker.
pub const FREQUENT_EMOJI: [&str; 8] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

fn render_message(message: &Message, grouped: bool, chat: Chat, place: Place) -> AnyView {
    // A thread's root shows in the room and atop its thread: the room's copy is the one a
    // link (`#m<id>`) points at, and the one that sums the thread up.
    let root_in_thread = place == Place::Thread && message.thread.is_none();
    let me = chat.me.get_untracked();
    let mine = me.as_ref().is_some_and(|u| u.id == message.user.id);
    let is_admin = me.as_ref().is_some_and(|u| u.role == Role::Admin);
    let my_name = me.as_ref().map(|u| u.username.clone());
    let mentions_me = !message.deleted
        && my_name.as_deref().is_some_and(|name| {
            protocol::validate::mentions(&message.text)
                .iter()
                .any(|m| m.eq_ignore_ascii_case(name))
        });
    let role = author_role(chat, message.user.id);
    // Pins: a room's creator or an admin; either person in a DM.
    let can_pin = chat
        .with_shown_untracked(|view| {
            view.is_direct()
                || is_admin
                || me.as_ref().is_some_and(|u| view.created_by == Some(u.id))
        })
        .unwrap_or(false);
    let id = message.id;
    // A blocked author's message is folded away until the reader asks to see it.
    let author = message.user.id;
    let revealed = RwSignal::new(false);
    let folded = move || !mine && !revealed.get() && chat.blocks(author);
    // The root's copy atop its thread is for reading: it is edited (and acted on) in the room.
    let editing = move || !root_in_thread && chat.editing.get() == Some(id);
    let content = if message.deleted {
        view! { <div class="text deleted">"message deleted"</div> }.into_any()
    } else {
        let text = message.text.clone();
        let source = message.text.clone();
        let name = my_name.clone();
        let author_name = message.user.username.clone();
        // A long message shows its start, with "Show more" (kept open across redraws).
        let long = crate::model::is_long(&message.text);
        let text_id = match place {
            Place::Room => format!("text-{id}"),
            Place::Thread => format!("thread-text-{id}"),
        };
        let controls = text_id.clone();
        let unfolded = move || chat.unfolded.with(|open| open.contains(&id));
        let toggle = move |_| {
            chat.unfolded.update(|open| {
                if !open.remove(&id) {
                    open.insert(id);
                }
            });
        };
        view! {
            <Show
                when=editing
                fallback=move || {
                    let source = source.clone();
                    let name = name.clone();
                    view! {
                        <div
                            class="text"
                            class:folded=move || long && !unfolded()
                            id=text_id.clone()
                        >
                            {body(&source, name.as_deref(), &author_name)}
                        </div>
                        {long.then(|| view! {
                            <button
                                type="button"
                                class="quiet fold-toggle"
                                aria-controls=controls.clone()
                                aria-expanded=move || unfolded().to_string()
                                on:click=toggle
                            >
                                {move || if unfolded() { "Show less" } else { "Show more" }}
                            </button>
                        })}
                    }
                }
            >
                <EditBox id=id text=text.clone()/>
            </Show>
        }
        .into_any()
    };
    view! {
        <li
            class="msg"
            class:mine=mine
            class:grouped=grouped
            class:mentions-me=mentions_me
            class:is-deleted=message.deleted
            class:pinned=message.pinned.is_some()
            class:saved=message.saved
            class:folded=folded
            data-id=message.id
            id=(!root_in_thread).then(|| protocol::links::message_anchor(message.id))
            tabindex="-1"
        >
            <div class="blocked-fold">
                <span>"A message from someone you blocked"</span>
                <button type="button" class="quiet" on:click=move |_| revealed.set(true)>"Show"</button>
            </div>
            <div class="meta" class:visually-hidden=grouped>
                {avatar(message.user.id, &message.user.username)}
                {if grouped {
                    // Hidden (the message above says who): text for screen readers only.
                    view! {
                        <span class="author">
                            {shown_name(message.user.id, &message.user.username)}
                            " "
                            {handle_if_named(message.user.id, &message.user.username)}
                        </span>
                    }
                    .into_any()
                } else {
                    let target = crate::live::CardTarget {
                        user: message.user.clone(),
                        bot: message.bot,
                    };
                    view! {
                        <button
                            type="button"
                            class="author author-button"
                            title=format!("@{}", message.user.username)
                            aria-haspopup="dialog"
                            on:click=move |_| chat.person_card.set(Some(target.clone()))
                        >
                            {shown_name(message.user.id, &message.user.username)}
                        </button>
                        {handle_if_named(message.user.id, &message.user.username)}
                    }
                    .into_any()
                }}
                {message.bot.then(|| view! {
                    <span class="role-badge bot-badge" title="Posted by a program through this room's webhook">"bot"</span>
                })}
                {role.and_then(role_badge)}
                <time datetime=time::iso(message.ts) title={
                    let ts = message.ts;
                    move || time::live_full(ts)
                }>
                    {
                        let ts = message.ts;
                        move || time::live_clock(ts)
                    }
                </time>
            </div>
            {message.saved.then(|| view! {
                <span class="saved-mark" title="In your saved messages">
                    {icon(SAVE_ICON)}
                    <span class="visually-hidden">"Saved"</span>
                </span>
            })}
            {message.pinned.as_ref().filter(|_| !message.deleted).map(|pin| view! {
                <p class="pin-note" title={
                    let ts = pin.ts;
                    move || format!("Pinned {}", time::live_full(ts)).trim_end().to_owned()
                }>
                    {icon(PIN_ICON)}
                    {format!("Pinned by {}", pin.by.username)}
                </p>
            })}
            {message.reply_to.clone().map(|quote| render_quote(&message.room, quote))}
            <div class="body">
                {content}
                {message.edited_ts.filter(|_| !message.deleted).map(|ts| view! {
                    <span class="edited" title=move || format!("Edited {}", time::live_full(ts)).trim_end().to_owned()>"(edited)"</span>
                })}
            </div>
            {(!message.deleted).then(|| render_attachments(&message.attachments, chat))}
            {message.preview.as_deref().filter(|_| !message.deleted).map(render_link_preview)}
            {render_reactions(message, chat)}
            {message.replies.filter(|s| s.count > 0 && place == Place::Room && message.thread.is_none()).map(|summary| render_thread_summary(id, summary, crate::model::thread_has_news(message), chat))}
            {(!message.deleted && !root_in_thread).then(|| render_actions(message, Powers { edit: mine, delete: mine || is_admin, pin: can_pin }, chat))}
        </li>
    }
    .into_any()
}

/// The name user `id` goes by: their display name once known (v1.26), otherwise their
/// `username` (how they are mentioned, always shown beside a display name where they are
/// introduced: the person card, People).
pub fn shown_name(id: i64, username: &str) -> impl IntoView + use<> {
    let username = username.to_owned();
    let display = profile_memo(id, Profiles::name);
    move || display.get().unwrap_or_else(|| username.clone())
}

/// What `read` finds in user `id`'s profile (v1.25), as a Memo that changes only with it; the
/// profile is asked for if not known. `None` too where there is no chat (a page without one).
pub fn profile_memo(
    id: i64,
    read: for<'a> fn(&'a Profiles, i64) -> Option<&'a str>,
) -> Memo<Option<String>> {
    let chat = use_context::<Chat>();
    if let Some(chat) = chat {
        chat.want_profile(id);
    }
    Memo::new(move |_| {
        chat.and_then(|chat| {
            chat.profiles
                .with(|profiles| read(profiles, id).map(str::to_owned))
        })
    })
}

/// `@username`, muted, once user `id` is known to go by a display name (so the name that
/// reaches them is never hidden).
pub fn handle_if_named(id: i64, username: &str) -> impl IntoView + use<> {
    let handle = format!("@{username}");
    let display = profile_memo(id, Profiles::name);
    move || {
        display
            .with(Option::is_some)
            .then(|| view! { <span class="handle">{handle.clone()}</span> })
    }
}

/// A round badge for user `id`: their profile picture once known to be one (v1.25),
/// otherwise the first letter of their name in the name's colour
/// ([`protocol::validate::avatar_hue`], in 24 steps of 15° so the stylesheet can hold them).
/// Decorative: the name is always written beside it.
pub fn avatar(id: i64, name: &str) -> impl IntoView + use<> {
    let hue = protocol::validate::avatar_hue(name) / 15 * 15;
    let initial: String = name
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    // A picture that fails to load (gone since, or refused for now) gives way to the initial.
    let broken = RwSignal::new(None::<String>);
    // Only a change of this person's picture redraws the badge.
    let known = profile_memo(id, Profiles::picture);
    let picture = move || {
        known
            .get()
            .filter(|src| broken.with(|broken| broken.as_ref() != Some(src)))
    };
    view! {
        <span class=format!("avatar hue-{hue}") aria-hidden="true">
            {move || match picture() {
                Some(src) => {
                    let failed = src.clone();
                    view! {
                        <img
                            src=src
                            alt=""
                            loading="lazy"
                            decoding="async"
                            on:error=move |_| broken.set(Some(failed.clone()))
                        />
                    }
                    .into_any()
                }
                None => initial.clone().into_any(),
            }}
        </span>
    }
}

/// A message's files: images as their bounded preview (opening the viewer), anything else as
/// a download card with its name, type and size.
fn render_attachments(files: &[protocol::Attachment], chat: Chat) -> Option<impl IntoView + use<>> {
    if files.is_empty() {
        return None;
    }
    let items = files
        .iter()
        .map(|file| {
            let size = crate::uploads::human_size(file.size);
            match &file.preview_url {
                Some(preview) => {
                    // A plain click opens the viewer; with a modifier key, the file itself.
                    let shown = file.clone();
                    let open = move |ev: leptos::ev::MouseEvent| {
                        let plain = ev.button() == 0
                            && !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key());
                        if plain {
                            ev.prevent_default();
                            chat.viewing.set(Some(shown.clone()));
                        }
                    };
                    view! {
                        <a
                            class="file-image"
                            href=file.url.clone()
                            download=file.name.clone()
                            title=format!("{} · {size}", file.name)
                            on:click=open
                        >
                            <img src=preview.clone() alt=file.name.clone() loading="lazy"/>
                        </a>
                    }
                    .into_any()
                }
                None => view! {
                    <a class="file-card" href=file.url.clone() download=file.name.clone()>
                        <span class="file-icon" aria-hidden="true">"📄"</span>
                        <span class="file-name">{file.name.clone()}</span>
                        <span class="file-size">{size}</span>
                    </a>
                }
                .into_any(),
            }
        })
        .collect_view();
    Some(view! { <div class="attachments">{items}</div> })
}

/// The preview of a message's first link (v1.16): the site, the title as the link, the
/// description and the server's copy of the page's image. All of it is text the server read
/// from a stranger's page, shown as text; the image is decorative (the title says it all).
fn render_link_preview(preview: &protocol::LinkPreview) -> impl IntoView + use<> {
    let description = preview
        .description
        .clone()
        .map(|text| view! { <p class="link-description" dir="auto">{text}</p> });
    let image = preview
        .image_url
        .clone()
        .map(|src| view! { <img class="link-image" src=src alt="" loading="lazy"/> });
    view! {
        <div class="link-preview">
            <div class="link-preview-text">
                <span class="link-site" dir="auto">{preview.site.clone()}</span>
                <a
                    class="link-title"
                    href=preview.url.clone()
                    title=preview.url.clone()
                    target="_blank"
                    rel="noopener noreferrer nofollow"
                    dir="auto"
                >
                    {preview.title.clone()}
                </a>
                {description}
            </div>
            {image}
        </div>
    }
}

/// The quoted original above a reply; it links to the message.
fn render_quote(room: &str, quote: protocol::ReplyPreview) -> impl IntoView {
    let excerpt = if quote.excerpt.is_empty() {
        "deleted message".to_owned()
    } else {
        quote.excerpt.clone()
    };
    view! {
        <a class="quote" href=protocol::links::message(room, quote.id)>
            <span class="quote-author">{quote.user.username.clone()}</span>
            " "
            <span class="quote-text" class:deleted=quote.excerpt.is_empty()>{excerpt}</span>
        </a>
    }
}

/// The reactions under a message: one button per emoji with its count; pressed when we
/// reacted; the title says who.
fn render_reactions(message: &Message, chat: Chat) -> Option<impl IntoView + use<>> {
    if message.reactions.is_empty() {
        return None;
    }
    let me = chat.me.get_untracked().map(|u| u.id);
    let key = chat.active.get_untracked().unwrap_or_default();
    let id = message.id;
    let buttons = message
        .reactions
        .iter()
        .map(|reaction| {
            let who: Vec<String> = chat.rooms.with_untracked(|rooms| {
                rooms.get(&key).map_or_else(Vec::new, |view| {
                    reaction.users.iter().map(|u| view.name_of(*u)).collect()
                })
            });
            let pressed = me.is_some_and(|me| reaction.users.contains(&me));
            let emoji = reaction.emoji.clone();
            let label = format!("{} reacted with {}", who.join(", "), reaction.emoji);
            view! {
                <button
                    type="button"
                    class="reaction-chip"
                    aria-pressed=pressed.to_string()
                    title=label.clone()
                    aria-label=label
                    on:click=move |_| chat.toggle_reaction(id, emoji.clone())
                >
                    <span class="emoji">{reaction.emoji.clone()}</span>
                    <span class="count">{reaction.count}</span>
                </button>
            }
        })
        .collect_view();
    Some(view! { <div class="reactions">{buttons}</div> })
}

/// What the reader may do to a message besides reacting and replying.
#[derive(Debug, Clone, Copy)]
struct Powers {
    /// Ours: edit it.
    edit: bool,
    /// Ours, or as an admin: delete it.
    delete: bool,
    /// The room's creator or an admin, or either person in a DM: pin it.
    pin: bool,
}

/// Under a thread's root: how many replies and when the last came; opens the thread.
fn render_thread_summary(
    root: i64,
    summary: protocol::ThreadSummary,
    news: bool,
    chat: Chat,
) -> impl IntoView {
    let count = match summary.count {
        1 => "1 reply".to_owned(),
        n => format!("{n} replies"),
    };
    let last_ts = summary.last_ts;
    let last = move || {
        format!("Last reply {}", time::live_clock(last_ts))
            .trim_end()
            .to_owned()
    };
    view! {
        <button
            type="button"
            class="thread-summary"
            class:unread=news
            aria-pressed=move || (chat.thread.get() == Some(root)).to_string()
            title=move || format!("Open the thread · last reply {}", time::live_full(last_ts)).trim_end().to_owned()
            on:click=move |_| chat.open_thread(root)
        >
            {icon(THREAD_ICON)}
            <span class="thread-count">{count}</span>
            <span class="thread-last">{last}</span>
            {news.then(|| view! { <span class="thread-news">"New replies"</span> })}
        </button>
    }
}

/// What can be done to a message: react, reply, and as [`Powers`] allow edit, pin, delete.
fn render_actions(message: &Message, powers: Powers, chat: Chat) -> impl IntoView {
    let id = message.id;
    let pinned = message.pinned.is_some();
    let saved = message.saved;
    let picking = move || chat.reacting.get() == Some(id);
    let close_picker = move || {
        if chat.reacting.get_untracked() == Some(id) {
            chat.reacting.set(None);
        }
    };
    let quote = protocol::ReplyPreview {
        id,
        user: message.user.clone(),
        excerpt: protocol::validate::excerpt(&message.text),
    };
    let reply = move |_| {
        chat.replying.set(Some(quote.clone()));
        focus_composer();
    };
    // A reply in a thread is answered in its thread's box, below it.
    let in_room = message.thread.is_none();
    view! {
        <div class="msg-actions" role="toolbar" aria-label="Message actions">
            <button
                type="button"
                class="quiet act-react"
                aria-expanded=move || picking().to_string()
                title="React"
                aria-label="React"
                on:click=move |_| chat.reacting.set((chat.reacting.get_untracked() != Some(id)).then_some(id))
            >
                {icon(REACT_ICON)}
            </button>
            {in_room.then(|| view! {
                <button type="button" class="quiet act-reply" title="Reply" aria-label="Reply" on:click=reply>
                    {icon(REPLY_ICON)}
                </button>
                <button
                    type="button"
                    class="quiet act-thread"
                    title="Reply in thread"
                    aria-label="Reply in thread"
                    on:click=move |_| chat.open_thread(id)
                >
                    {icon(THREAD_ICON)}
                </button>
            })}
            {
                let label = if saved { "Remove from saved" } else { "Save" };
                view! {
                    <button
                        type="button"
                        class="quiet act-save"
                        title=label
                        aria-label=label
                        on:click=move |_| chat.set_saved(id, !saved)
                    >
                        {icon(SAVE_ICON)}
                    </button>
                }
            }
            {powers.edit.then(|| view! {
                <button
                    type="button"
                    class="quiet act-edit"
                    title="Edit"
                    aria-label="Edit"
                    on:click=move |_| chat.editing.set(Some(id))
                >
                    {icon(EDIT_ICON)}
                </button>
            })}
            {powers.pin.then(|| {
                let label = if pinned { "Unpin" } else { "Pin" };
                view! {
                    <button
                        type="button"
                        class="quiet act-pin"
                        title=label
                        aria-label=label
                        on:click=move |_| chat.set_pinned(id, !pinned)
                    >
                        {icon(PIN_ICON)}
                    </button>
                }
            })}
            {powers.delete.then(|| view! {
                <button
                    type="button"
                    class="quiet act-delete"
                    title="Delete"
                    aria-label="Delete"
                    on:click=move |_| chat.delete_message(id)
                >
                    {icon(DELETE_ICON)}
                </button>
            })}
            <Show when=picking>
                <div
                    class="emoji-picker"
                    role="group"
                    aria-label="Pick a reaction"
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" {
                            ev.stop_propagation();
                            close_picker();
                        }
                    }
                >
                    {crate::emoji::quick_row(&crate::emoji::recent(), &FREQUENT_EMOJI)
                        .into_iter()
                        .map(|emoji| {
                            let label = format!("React with {emoji}");
                            view! {
                                <button
                                    type="button"
                                    class="quiet pick"
                                    aria-label=label
                                    on:click={
                                        let emoji = emoji.clone();
                                        move |_| {
                                            close_picker();
                                            crate::emoji::used(&emoji);
                                            chat.toggle_reaction(id, emoji.clone());
                                        }
                                    }
                                >
                                    {emoji.clone()}
                                </button>
                            }
                        })
                        .collect_view()}
                    <button
                        type="button"
                        class="quiet pick more-emoji"
                        aria-label="More reactions…"
                        title="More reactions…"
                        on:click=move |_| {
                            close_picker();
                            chat.reacting_more.set(Some(id));
                        }
                    >
                        "＋"
                    </button>
                </div>
            </Show>
        </div>
    }
}

/// Editing a message of ours in place: Enter saves, Shift+Enter starts a new line, Escape
/// gives up.
#[component]
fn EditBox(id: i64, text: String) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let draft = RwSignal::new(text);
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let length = Memo::new(move |_| crate::model::LengthNote::of(&draft.get()));
    let too_long = move || length.get().is_some_and(crate::model::LengthNote::is_over);
    let save = move || {
        if !too_long() {
            chat.edit_message(id, draft.get_untracked());
        }
    };
    view! {
        <div class="edit-box">
            <label class="visually-hidden" for=format!("edit-{id}")>"Edit the message"</label>
            <textarea
                id=format!("edit-{id}")
                class="edit-text"
                dir="auto"
                node_ref=input
                rows="2"
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        save();
                    } else if ev.key() == "Escape" {
                        ev.stop_propagation();
                        chat.editing.set(None);
                    }
                }
            ></textarea>
            <p class="length-note" class:over=too_long role="status" hidden=move || length.get().is_none()>
                {move || length.get().map(crate::model::LengthNote::text)}
            </p>
            <div class="edit-buttons">
                <button type="button" class="primary save-edit" disabled=too_long on:click=move |_| save()>"Save"</button>
                <button type="button" class="quiet" on:click=move |_| chat.editing.set(None)>"Cancel"</button>
                <span class="hint">"Enter to save, Escape to cancel"</span>
            </div>
        </div>
    }
}

/// Puts the focus in the message box.
fn focus_composer() {
    #[cfg(feature = "hydrate")]
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("msg"))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = element.focus();
    }
}

/// The author's role, if they are present in the room on screen (messages carry no role).
fn author_role(chat: Chat, user_id: i64) -> Option<Role> {
    let key = chat.active.get_untracked()?;
    chat.rooms.with_untracked(|rooms| {
        rooms
            .get(&key)?
            .members
            .iter()
            .find(|u| u.id == user_id)
            .map(|u| u.role)
    })
}

/// A message's text as DOM nodes; a `/me` message as its author's action ("ana waves").
fn body(text: &str, me: Option<&str>, author: &str) -> Vec<AnyView> {
    if let Some(action) = crate::commands::action(text) {
        let inlines = markup::parse(action)
            .into_iter()
            .flat_map(|block| match block {
                Block::Paragraph(lines) => lines.into_iter().flatten().collect(),
                // An action is one line of text: other blocks read as their text.
                Block::Code { code, .. } => vec![Inline::Code(code)],
                Block::Quote(lines) => lines.into_iter().flatten().collect(),
                Block::List { items, .. } => items.into_iter().flatten().collect(),
            })
            .collect::<Vec<_>>();
        return vec![
            view! {
                <p class="me-action">
                    <span class="actor">{author.to_owned()}</span>" "{render_inlines(inlines, me)}
                </p>
            }
            .into_any(),
        ];
    }
    markup::parse(text)
        .into_iter()
        .map(|block| render_block(block, me))
        .collect()
}

fn render_block(block: Block, me: Option<&str>) -> AnyView {
    let lines = |lines: Vec<Vec<Inline>>| {
        let count = lines.len();
        lines
            .into_iter()
            .enumerate()
            .map(|(n, line)| {
                view! { {render_inlines(line, me)} {(n + 1 < count).then(|| view! { <br/> })} }
            })
            .collect::<Vec<_>>()
    };
    match block {
        Block::Paragraph(paragraph) => view! { <p>{lines(paragraph)}</p> }.into_any(),
        Block::Code { lang, code } => view! { <CodeBlock lang code/> }.into_any(),
        Block::Quote(quote) => view! { <blockquote>{lines(quote)}</blockquote> }.into_any(),
        Block::List { ordered, items } => {
            let items = items
                .into_iter()
                .map(|item| view! { <li>{render_inlines(item, me)}</li> })
                .collect::<Vec<_>>();
            if ordered {
                view! { <ol>{items}</ol> }.into_any()
            } else {
                view! { <ul>{items}</ul> }.into_any()
            }
        }
    }
}

fn render_inlines(inlines: Vec<Inline>, me: Option<&str>) -> Vec<AnyView> {
    inlines
        .into_iter()
        .map(|inline| render_inline(inline, me))
        .collect()
}

fn render_inline(inline: Inline, me: Option<&str>) -> AnyView {
    match inline {
        Inline::Text(text) => text.into_any(),
        Inline::Bold(inner) => view! { <strong>{render_inlines(inner, me)}</strong> }.into_any(),
        Inline::Italic(inner) => view! { <em>{render_inlines(inner, me)}</em> }.into_any(),
        Inline::Strike(inner) => view! { <s>{render_inlines(inner, me)}</s> }.into_any(),
        Inline::Code(code) => view! { <code>{code}</code> }.into_any(),
        Inline::Link(url) => view! {
            <a href=url.clone() target="_blank" rel="noopener noreferrer nofollow">{url.clone()}</a>
        }
        .into_any(),
        // The address shows on hover: a link's text cannot hide where it goes.
        Inline::NamedLink { text, href } => view! {
            <a href=href.clone() title=href target="_blank" rel="noopener noreferrer nofollow">{text}</a>
        }
        .into_any(),
        Inline::Mention(name) => {
            let is_me = me.is_some_and(|me| me.eq_ignore_ascii_case(&name));
            view! { <span class="at-mention" class:me=is_me>"@" {name}</span> }.into_any()
        }
    }
}
