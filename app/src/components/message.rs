//! One row of the timeline: a message (grouped under its author, its text rendered from the
//! safe Markdown subset as DOM nodes), a pending or refused message of ours, a presence
//! notice, the "New messages" divider or a date separator.

use leptos::prelude::*;
use protocol::{Message, Role};

use super::members::role_badge;
use crate::live::Chat;
use crate::markup::{self, Block, Inline};
use crate::model::{Line, Row};
use crate::time;

/// Draws a row.
pub fn render_row(row: Row, chat: Chat) -> AnyView {
    match row {
        Row::Day { ts, .. } => view! {
            <li class="day"><span>{time::day_label(ts)}</span></li>
        }
        .into_any(),
        Row::Line { line, grouped } => render_line(line, grouped, chat),
    }
}

fn render_line(line: Line, grouped: bool, chat: Chat) -> AnyView {
    match line {
        Line::Message(message) => render_message(&message, grouped, chat),
        Line::Pending {
            text,
            user,
            failed,
            client_id,
        } => {
            let status = match failed {
                None => view! { <span class="sending">"sending…"</span> }.into_any(),
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
                    <div class="text">{body(&text, Some(&user.username))}</div>
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

fn render_message(message: &Message, grouped: bool, chat: Chat) -> AnyView {
    let me = chat.me.get_untracked();
    let mine = me.as_ref().is_some_and(|u| u.id == message.user.id);
    let my_name = me.as_ref().map(|u| u.username.clone());
    let mentions_me = my_name.as_deref().is_some_and(|name| {
        protocol::validate::mentions(&message.text)
            .iter()
            .any(|m| m.eq_ignore_ascii_case(name))
    });
    let role = author_role(chat, message.user.id);
    view! {
        <li
            class="msg"
            class:mine=mine
            class:grouped=grouped
            class:mentions-me=mentions_me
            data-id=message.id
            id=protocol::links::message_anchor(message.id)
        >
            <div class="meta" class:visually-hidden=grouped>
                <span class="author">{message.user.username.clone()}</span>
                {role.and_then(role_badge)}
                <time datetime=time::iso(message.ts) title=time::full(message.ts)>
                    {time::clock(message.ts)}
                </time>
            </div>
            <div class="text">{body(&message.text, my_name.as_deref())}</div>
        </li>
    }
    .into_any()
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

/// A message's text as DOM nodes.
fn body(text: &str, me: Option<&str>) -> Vec<AnyView> {
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
        Block::Code(code) => view! { <pre><code>{code}</code></pre> }.into_any(),
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
        Inline::Mention(name) => {
            let is_me = me.is_some_and(|me| me.eq_ignore_ascii_case(&name));
            view! { <span class="at-mention" class:me=is_me>"@" {name}</span> }.into_any()
        }
    }
}
