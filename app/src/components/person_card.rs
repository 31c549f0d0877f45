//! A person's card, opened from their name on a message: who they are (role, presence, status
//! line) and what you can do from there: write to them directly, or mention them in the room on
//! screen. So anyone whose name you see can be reached, present in the room or not.

use leptos::prelude::*;
use protocol::Person;

use super::members::role_badge;
use super::message::{avatar, handle_if_named, shown_name};
use super::people::presence;
use crate::live::{CardTarget, Chat};

/// The card of `chat.person_card`, when one is open.
#[component]
pub fn PersonCard() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let close = move || chat.person_card.set(None);
    view! {
        {move || chat.person_card.get().map(|target| card(chat, target, close))}
    }
}

/// How many pages of the directory a card reads to find its person: the directory matches
/// names containing what is asked, so a short name may come after others on its first page.
const LOOKUP_PAGES: usize = 5;

/// Reads the directory's pages for `name` until the account `id` is on one (into `found`),
/// the pages end, or `pages` were read. Harmless once the card is closed (its signal gone).
fn look_up(
    chat: Chat,
    name: String,
    id: i64,
    after: Option<String>,
    found: RwSignal<Option<Person>>,
    pages: usize,
) {
    if pages == 0 {
        return;
    }
    chat.find_people(name.clone(), after, move |answer| {
        let Ok(page) = answer else { return };
        let last = page
            .people
            .last()
            .map(|person| person.user.username.clone());
        if let Some(person) = page.people.into_iter().find(|person| person.user.id == id) {
            found.try_set(Some(person));
        } else if let Some(last) = last
            && page.more
            // The card is still open.
            && found.try_with_untracked(|_| ()).is_some()
        {
            look_up(chat, name, id, Some(last), found, pages - 1);
        }
    });
}

fn card(
    chat: Chat,
    target: CardTarget,
    close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = target.user.username.clone();
    let is_me = chat.me.with_untracked(|me| me.as_ref().map(|u| u.id)) == Some(target.user.id);
    // What the directory says of them (role, presence, status line). It lists people and the
    // bots with an API token, which can be written to; a webhook's bot is not there.
    let found = RwSignal::new(None::<Person>);
    let id = target.user.id;
    look_up(chat, name.clone(), id, None, found, LOOKUP_PAGES);
    // A person can be written to at once; a bot once the directory has it.
    let bot = target.bot;
    let can_write = Memo::new(move |_| !is_me && (!bot || found.with(Option::is_some)));
    // The keyboard starts on the first action shown when the card opens.
    let first = NodeRef::<leptos::html::Button>::new();
    let mention_first = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        let button = if bot || is_me {
            mention_first.get()
        } else {
            first.get()
        };
        if let Some(button) = button {
            let _ = button.focus();
        }
    });
    let write = {
        let name = name.clone();
        move |_| {
            close();
            chat.dm(name.clone());
        }
    };
    let mention = {
        let name = name.clone();
        move |_| {
            close();
            chat.mention_request.set(Some(name.clone()));
        }
    };
    let presence_now = move || found.get().map(|person| presence(&person, is_me));
    let label = format!("About {name}");
    view! {
        <div class="switcher-backdrop" on:click=move |_| close()></div>
        <div
            id="person-card"
            class="switcher person-card"
            role="dialog"
            aria-modal="true"
            aria-label=label
            on:keydown=move |ev: leptos::ev::KeyboardEvent| super::dialog::modal_keys(&ev, close)
        >
            <div class="person-card-head">
                {avatar(id, &name)}
                <div class="person-who">
                    <h2 class="person-name">{shown_name(id, &name)}</h2>
                    {handle_if_named(id, &name)}
                    {move || found.get().and_then(|person| person.status).map(|status| view! {
                        <span class="person-status">{status}</span>
                    })}
                </div>
                {bot.then(|| view! { <span class="role-badge bot-badge">"bot"</span> })}
                {move || found.get().and_then(|person| role_badge(person.user.role))}
                {presence_now}
            </div>
            <div class="person-card-actions">
                {move || can_write.get().then(|| view! {
                    <button type="button" class="primary" id="card-message" node_ref=first on:click=write.clone()>
                        "Message"
                    </button>
                })}
                <button type="button" id="card-mention" node_ref=mention_first on:click=mention>"Mention"</button>
                <button type="button" class="quiet" on:click=move |_| close()>"Close"</button>
            </div>
        </div>
    }
}
