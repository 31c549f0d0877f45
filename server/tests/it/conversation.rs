//! Edits, deletions, reactions, replies and the catch-up on changes, over loopback with a real
//! Socket.IO client: who may do what, and that the room sees it live.

use crate::common::{Socket, TestServer, auth};
use protocol::events::{GENERAL_ROOM, chat};
use protocol::{
    ChangesReq, CreateRoomReq, DeleteReq, EditReq, ErrorCode, HistoryReq, Message, MessageDeleted,
    MessageEdited, MessageReq, ReactReq, Reaction, ReactionEvent, SearchReq,
};

fn edit(id: i64, text: &str) -> EditReq {
    EditReq {
        id,
        text: text.into(),
    }
}

fn react(id: i64, emoji: &str, active: bool) -> ReactReq {
    ReactReq {
        id,
        emoji: emoji.into(),
        active,
    }
}

fn reply(room: &str, text: &str, to: i64) -> MessageReq {
    MessageReq {
        room: room.into(),
        text: text.into(),
        client_id: None,
        reply_to: Some(to),
        attachments: Vec::new(),
        thread: None,
    }
}

async fn newest(socket: &Socket, room: &str) -> Vec<Message> {
    socket
        .ok(&HistoryReq {
            room: room.into(),
            ..HistoryReq::default()
        })
        .await
        .messages
}

/// Two guests in `general`; the first has said something. Returns their sockets and the message.
async fn two_in_general(server: &TestServer) -> (Socket, Socket, Message) {
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let said = ana.say(GENERAL_ROOM, "frist").await.unwrap().message;
    (ana, bea, said)
}

#[tokio::test]
async fn only_the_author_edits_and_everyone_sees_it_live() {
    let server = TestServer::spawn().await;
    let (ana, mut bea, said) = two_in_general(&server).await;
    assert_eq!(
        bea.refused(&edit(said.id, "hijacked")).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        ana.refused(&edit(said.id, "  ")).await,
        ErrorCode::EmptyMessage
    );
    assert_eq!(ana.refused(&edit(9_999, "x")).await, ErrorCode::NotFound);

    let edited = ana.ok(&edit(said.id, "first")).await.message;
    assert_eq!(edited.text, "first");
    assert!(edited.edited_ts.is_some());
    let MessageEdited(seen) = bea.next::<MessageEdited>().await;
    assert_eq!(seen, edited);
    assert_eq!(newest(&bea, GENERAL_ROOM).await, [edited]);
}

#[tokio::test]
async fn reactions_toggle_live_and_are_counted_per_person() {
    let server = TestServer::spawn().await;
    let (mut ana, bea, said) = two_in_general(&server).await;
    assert_eq!(
        bea.refused(&react(said.id, "not an emoji", true)).await,
        ErrorCode::BadRequest
    );
    bea.ok(&react(said.id, "👍", true)).await;
    let event = ana.next::<ReactionEvent>().await;
    assert_eq!(
        (
            event.room.as_str(),
            event.id,
            event.emoji.as_str(),
            event.user.username.as_str(),
            event.active,
            event.count
        ),
        (GENERAL_ROOM, said.id, "👍", "bea", true, Some(1))
    );
    // Repeating it changes nothing; taking it back is live too.
    bea.ok(&react(said.id, "👍", true)).await;
    ana.ok(&react(said.id, "👍", true)).await;
    let history = newest(&ana, GENERAL_ROOM).await;
    assert_eq!(history[0].reactions.len(), 1);
    let Reaction {
        emoji,
        count,
        users,
    } = &history[0].reactions[0];
    assert_eq!((emoji.as_str(), *count, users.len()), ("👍", 2, 2));
    bea.ok(&react(said.id, "👍", false)).await;
    let taken_back = ana.next_where::<ReactionEvent>(|event| !event.active).await;
    assert_eq!(taken_back.user.username, "bea");
    assert_eq!(taken_back.count, Some(1), "ana's is left");
    assert_eq!(newest(&ana, GENERAL_ROOM).await[0].reactions[0].count, 1);
}

#[tokio::test]
async fn replies_quote_the_original_of_the_same_room() {
    let server = TestServer::spawn().await;
    let (mut ana, bea, said) = two_in_general(&server).await;
    let answer = bea
        .ok(&reply(GENERAL_ROOM, "agreed", said.id))
        .await
        .message;
    let quoted = answer.reply_to.clone().expect("a quote");
    assert_eq!(
        (
            quoted.id,
            quoted.user.username.as_str(),
            quoted.excerpt.as_str()
        ),
        (said.id, "ana", "frist")
    );
    let seen = ana
        .next_where::<Message>(|message| message.id == answer.id)
        .await;
    assert_eq!(seen.reply_to, answer.reply_to);
    assert_eq!(
        newest(&ana, GENERAL_ROOM).await[1].reply_to,
        answer.reply_to
    );

    // Not a message of this room, or not one at all: refused, nothing stored.
    bea.ok(&CreateRoomReq {
        name: "elsewhere".into(),
        topic: None,
        private: false,
    })
    .await;
    bea.join("elsewhere").await;
    assert_eq!(
        bea.refused(&reply("elsewhere", "huh", said.id)).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        bea.refused(&reply(GENERAL_ROOM, "huh", 9_999)).await,
        ErrorCode::BadRequest
    );
    assert!(newest(&bea, "elsewhere").await.is_empty());
}

#[tokio::test]
async fn deletion_by_the_author_the_room_creator_or_an_admin_leaves_a_placeholder() {
    let server = TestServer::spawn().await;
    let (boss, token) = server.register("boss", "correct horse battery").await;
    assert_eq!(boss.role, protocol::Role::Admin, "the first account");
    let admin = Socket::connect(&server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    let (owner, _) = server.chat_guest("owner").await;
    let (mut ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    owner
        .ok(&CreateRoomReq {
            name: "club".into(),
            topic: None,
            private: false,
        })
        .await;
    for socket in [&admin, &ana, &bea] {
        socket.join("club").await;
    }
    let one = bea.say("club", "one").await.unwrap().message;
    let two = bea.say("club", "two").await.unwrap().message;
    let three = bea.say("club", "three").await.unwrap().message;

    assert_eq!(
        ana.refused(&DeleteReq { id: one.id }).await,
        ErrorCode::Forbidden
    );
    owner.ok(&DeleteReq { id: one.id }).await;
    assert_eq!(
        ana.next::<MessageDeleted>().await,
        MessageDeleted {
            room: "club".into(),
            id: one.id
        }
    );
    admin.ok(&DeleteReq { id: two.id }).await;
    bea.ok(&DeleteReq { id: three.id }).await;
    bea.ok(&DeleteReq { id: three.id }).await; // again: nothing more happens

    let history = newest(&ana, "club").await;
    assert!(history.iter().all(|m| m.deleted && m.text.is_empty()));
    assert_eq!(
        bea.refused(&edit(three.id, "undo")).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        ana.refused(&react(three.id, "👍", true)).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        ana.refused(&reply("club", "re", three.id)).await,
        ErrorCode::BadRequest
    );
}

#[tokio::test]
async fn outsiders_of_a_private_room_cannot_touch_or_read_its_messages() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (eve, _) = server.chat_guest("eve").await;
    ana.ok(&CreateRoomReq {
        name: "secret".into(),
        topic: None,
        private: true,
    })
    .await;
    ana.join("secret").await;
    let said = ana.say("secret", "hush").await.unwrap().message;
    assert_eq!(eve.refused(&edit(said.id, "x")).await, ErrorCode::NotFound);
    assert_eq!(
        eve.refused(&DeleteReq { id: said.id }).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        eve.refused(&react(said.id, "👍", true)).await,
        ErrorCode::NotFound
    );
    let changes = ChangesReq {
        room: "secret".into(),
        since: 0,
        limit: None,
    };
    assert_eq!(eve.refused(&changes).await, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_client_that_was_away_learns_what_changed() {
    let server = TestServer::spawn().await;
    let (ana, bea, said) = two_in_general(&server).await;
    let since = said.ts;
    bea.close();
    let edited = ana.ok(&edit(said.id, "first, edited")).await.message;
    let later = ana.say(GENERAL_ROOM, "second").await.unwrap().message;
    ana.ok(&react(later.id, "🎉", true)).await;

    let (cy, _) = server.chat_guest("cy").await;
    let changes = cy
        .ok(&ChangesReq {
            room: GENERAL_ROOM.into(),
            since,
            limit: None,
        })
        .await;
    let ids: Vec<i64> = changes.messages.iter().map(|m| m.id).collect();
    assert_eq!(ids, [said.id, later.id]);
    assert_eq!(changes.messages[0].text, edited.text);
    assert_eq!(changes.messages[1].reactions[0].emoji, "🎉");
    assert!(!changes.more);
    // From `until` on there is nothing more; a limit of one pages.
    let rest = cy
        .ok(&ChangesReq {
            room: GENERAL_ROOM.into(),
            since: changes.until,
            limit: None,
        })
        .await;
    assert!(rest.messages.is_empty());
    let page = cy
        .ok(&ChangesReq {
            room: GENERAL_ROOM.into(),
            since,
            limit: Some(1),
        })
        .await;
    assert_eq!((page.messages.len(), page.more), (1, true));
}

#[tokio::test]
async fn search_finds_words_in_visible_rooms_with_highlighted_snippets() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (eve, _) = server.chat_guest("eve").await;
    ana.join(GENERAL_ROOM).await;
    ana.ok(&CreateRoomReq {
        name: "plans".into(),
        topic: None,
        private: true,
    })
    .await;
    ana.join("plans").await;
    let public = ana
        .say(GENERAL_ROOM, "Lunch at noon, anyone?")
        .await
        .unwrap()
        .message;
    let private = ana
        .say("plans", "secret lunch plans")
        .await
        .unwrap()
        .message;
    let search = |q: &str, room: Option<&str>| SearchReq {
        q: q.into(),
        room: room.map(Into::into),
        limit: None,
    };

    let mine = ana.ok(&search("LUNCH", None)).await.results;
    assert_eq!(
        mine.iter().map(|h| h.message.id).collect::<Vec<_>>(),
        [private.id, public.id]
    );
    let hit = &mine[1];
    assert_eq!(hit.snippet, "Lunch at noon, anyone?");
    assert_eq!(hit.highlights, [[0, 5]]);

    // Another user never sees the private room's message, nor can name the room.
    let theirs = eve.ok(&search("lunch", None)).await.results;
    assert_eq!(
        theirs.iter().map(|h| h.message.id).collect::<Vec<_>>(),
        [public.id]
    );
    assert_eq!(
        eve.refused(&search("lunch", Some("plans"))).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        ana.ok(&search("lunch", Some("plans"))).await.results.len(),
        1
    );
    // Nonsense is a clear error.
    assert_eq!(
        ana.refused(&search(" ?! ", None)).await,
        ErrorCode::BadRequest
    );
    let too_many = SearchReq {
        q: "lunch".into(),
        room: None,
        limit: Some(500),
    };
    assert_eq!(ana.refused(&too_many).await, ErrorCode::BadRequest);
}

#[tokio::test]
async fn a_reaction_lists_its_first_reactors_and_each_reader_their_own() {
    let listed = protocol::validate::REACTION_USERS_LISTED;
    let server = TestServer::spawn_with(|c| c.auth_burst = 1_000).await;
    let (speaker, _) = server.chat_guest("speaker").await;
    speaker.join(GENERAL_ROOM).await;
    let said = speaker.say(GENERAL_ROOM, "popular").await.unwrap().message;
    let mut fans = Vec::new();
    for n in 0..=listed {
        let (fan, user) = server.chat_guest(&format!("fan{n}")).await;
        fan.join(GENERAL_ROOM).await;
        fan.ok(&react(said.id, "🎉", true)).await;
        fans.push((fan, user));
    }
    let reaction = |messages: &[Message]| messages[messages.len() - 1].reactions[0].clone();
    // Someone who did not react sees the first 50 and the whole count.
    let seen = reaction(&newest(&speaker, GENERAL_ROOM).await);
    assert_eq!(
        (seen.count, seen.users.len()),
        ((listed + 1) as u64, listed)
    );
    // The 51st sees their own too, in history and when joining, and can take it back.
    let (last, last_user) = fans.pop().unwrap();
    let mine = reaction(&newest(&last, GENERAL_ROOM).await);
    assert_eq!(mine.users.len(), listed + 1);
    assert!(mine.users.contains(&last_user.id));
    let joined = last.join(GENERAL_ROOM).await;
    assert!(reaction(&joined.history).users.contains(&last_user.id));
    last.ok(&react(said.id, "🎉", false)).await;
    assert_eq!(
        reaction(&newest(&speaker, GENERAL_ROOM).await).count,
        listed as u64
    );
}
