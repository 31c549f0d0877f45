//! Threads over loopback (v1.22): a reply in a thread is a message of its room, told live with
//! its thread's summary; the room's own timeline leaves replies out, a thread's page holds its
//! root and replies; edits, deletions, reactions, search and catch-up work on replies as on any
//! message; a thread takes replies only from where its root is, never on a deleted one; and
//! the people in a thread hear of its replies and keep their place in it (v1.23).

use protocol::events::{GENERAL_ROOM, NotificationKind, notifications};
use protocol::{
    BlockReq, CreateRoomReq, DeleteReq, DmReq, EditReq, ErrorCode, HistoryReq, InviteReq, JoinReq,
    MarkReadReq, MarkThreadReadReq, Message, MessageEdited, MessageReq, MuteReq, Notification,
    ReactReq, SearchReq, ThreadSummary, links,
};

use crate::common::{Socket, TestServer, auth};

fn reply(room: &str, thread: i64, text: &str) -> MessageReq {
    MessageReq {
        room: room.into(),
        text: text.into(),
        thread: Some(thread),
        ..MessageReq::default()
    }
}

async fn page(socket: &Socket, request: HistoryReq) -> Vec<i64> {
    let messages = socket.ok(&request).await.messages;
    messages.iter().map(|m| m.id).collect()
}

fn main_timeline(room: &str) -> HistoryReq {
    HistoryReq {
        room: room.into(),
        main: true,
        ..HistoryReq::default()
    }
}

fn thread_of(room: &str, root: i64) -> HistoryReq {
    HistoryReq {
        room: room.into(),
        thread: Some(root),
        ..HistoryReq::default()
    }
}

fn summary_of(reply: &Message, count: u64) -> Option<ThreadSummary> {
    Some(ThreadSummary {
        count,
        last_id: reply.id,
        last_ts: reply.ts,
    })
}

#[tokio::test]
async fn a_reply_reaches_the_room_with_its_threads_summary_and_stays_out_of_the_timeline() {
    let server = TestServer::spawn().await;
    let (mut ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let root = ana
        .say(GENERAL_ROOM, "friday plans?")
        .await
        .unwrap()
        .message;
    assert_eq!(root.replies, None, "no replies yet");

    let first = bea.ok(&reply(GENERAL_ROOM, root.id, "pizza")).await.message;
    assert_eq!(first.thread, Some(root.id));
    assert_eq!(first.replies, summary_of(&first, 1));
    // Everyone following the room hears of it like of any message, summary included.
    let heard = ana.next_where::<Message>(|m| m.id == first.id).await;
    assert_eq!(heard.thread, Some(root.id));
    assert_eq!(heard.replies, summary_of(&first, 1));
    assert_eq!(heard.prev, Some(root.id), "replies are in the room's chain");

    // Replying to a reply is replying in its thread.
    let second = ana.ok(&reply(GENERAL_ROOM, first.id, "sure")).await.message;
    assert_eq!(second.thread, Some(root.id));
    assert_eq!(second.replies, summary_of(&second, 2));
    let after = ana.say(GENERAL_ROOM, "meanwhile").await.unwrap().message;

    // The room's own timeline: the root, summed up, and what followed it there.
    let timeline = bea.ok(&main_timeline(GENERAL_ROOM)).await.messages;
    let ids: Vec<i64> = timeline.iter().map(|m| m.id).collect();
    assert!(ids.ends_with(&[root.id, after.id]), "{ids:?}");
    assert!(!ids.contains(&first.id) && !ids.contains(&second.id));
    let summed = timeline.iter().find(|m| m.id == root.id).unwrap();
    assert_eq!(summed.replies, summary_of(&second, 2));
    // So does a join that asks for it; one that does not gets everything, as in v1.
    let (cy, _) = server.chat_guest("cy").await;
    let joined = cy
        .ok(&JoinReq {
            room: GENERAL_ROOM.into(),
            main: true,
        })
        .await;
    assert!(!joined.history.iter().any(|m| m.thread.is_some()));
    let everything = cy.join(GENERAL_ROOM).await.history;
    let ids: Vec<i64> = everything.iter().map(|m| m.id).collect();
    assert!(
        ids.ends_with(&[root.id, first.id, second.id, after.id]),
        "{ids:?}"
    );
    // A reply read anywhere carries its thread's summary as it is now.
    let read_first = everything.iter().find(|m| m.id == first.id).unwrap();
    assert_eq!(read_first.replies, summary_of(&second, 2));

    // The thread: its root and its replies, paged like the room.
    assert_eq!(
        page(&bea, thread_of(GENERAL_ROOM, root.id)).await,
        [root.id, first.id, second.id]
    );
    let newest_one = HistoryReq {
        limit: Some(1),
        ..thread_of(GENERAL_ROOM, root.id)
    };
    assert_eq!(page(&bea, newest_one).await, [second.id]);
    let before_second = HistoryReq {
        before: Some(second.id),
        ..thread_of(GENERAL_ROOM, root.id)
    };
    assert_eq!(page(&bea, before_second).await, [root.id, first.id]);
    let after_root = HistoryReq {
        after: Some(root.id),
        ..thread_of(GENERAL_ROOM, root.id)
    };
    assert_eq!(page(&bea, after_root).await, [first.id, second.id]);
    // A reply is no thread of its own, and a message without replies is a thread of one.
    assert!(
        page(&bea, thread_of(GENERAL_ROOM, first.id))
            .await
            .is_empty()
    );
    assert_eq!(
        page(&bea, thread_of(GENERAL_ROOM, after.id)).await,
        [after.id]
    );
    // One scope at a time.
    let both = HistoryReq {
        main: true,
        ..thread_of(GENERAL_ROOM, root.id)
    };
    assert_eq!(bea.refused(&both).await, ErrorCode::BadRequest);
}

#[tokio::test]
async fn replies_are_edited_deleted_reacted_to_searched_and_caught_up_like_any_message() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let root = ana
        .say(GENERAL_ROOM, "release notes")
        .await
        .unwrap()
        .message;
    let answer = ana
        .ok(&reply(GENERAL_ROOM, root.id, "draft in the wiki"))
        .await
        .message;

    let edited = ana
        .ok(&EditReq {
            id: answer.id,
            text: "final draft in the wiki".into(),
        })
        .await
        .message;
    assert_eq!(edited.thread, Some(root.id));
    let heard = bea
        .next_where::<MessageEdited>(|e| e.0.id == answer.id)
        .await;
    assert_eq!(heard.0.thread, Some(root.id));
    ana.ok(&ReactReq {
        id: answer.id,
        emoji: "🎉".into(),
        active: true,
    })
    .await;

    // Search finds replies, and says which thread they are in.
    let found = bea
        .ok(&SearchReq {
            q: "wiki".into(),
            room: None,
            limit: None,
        })
        .await
        .results;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].message.thread, Some(root.id));

    // A client catching up after `root` gets the reply with its thread and reactions.
    let caught_up = bea
        .ok(&HistoryReq {
            room: GENERAL_ROOM.into(),
            after: Some(root.id),
            ..HistoryReq::default()
        })
        .await
        .messages;
    assert_eq!(caught_up.len(), 1);
    assert_eq!(caught_up[0].thread, Some(root.id));
    assert_eq!(caught_up[0].text, "final draft in the wiki");
    assert_eq!(caught_up[0].reactions[0].emoji, "🎉");
    assert_eq!(caught_up[0].replies, summary_of(&answer, 1));

    // A deleted reply keeps its place (and its count) in the thread.
    ana.ok(&DeleteReq { id: answer.id }).await;
    let thread = bea.ok(&thread_of(GENERAL_ROOM, root.id)).await.messages;
    assert!(thread[1].deleted);
    assert_eq!(thread[0].replies, summary_of(&answer, 1));
    // A thread whose root is deleted takes no more replies.
    ana.ok(&DeleteReq { id: root.id }).await;
    assert_eq!(
        bea.refused(&reply(GENERAL_ROOM, root.id, "too late")).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        bea.refused(&reply(GENERAL_ROOM, answer.id, "too late"))
            .await,
        ErrorCode::BadRequest
    );
}

#[tokio::test]
async fn a_thread_is_only_for_those_who_may_write_in_its_room() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let (dan, _) = server.chat_guest("dan").await;
    ana.ok(&CreateRoomReq {
        name: "den".into(),
        topic: None,
        private: true,
    })
    .await;
    ana.join("den").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    dan.join(GENERAL_ROOM).await;
    let secret = ana.say("den", "private plans").await.unwrap().message;
    let public = ana.say(GENERAL_ROOM, "lunch?").await.unwrap().message;

    // A root in another room (one the sender cannot even see), or none at all: refused.
    assert_eq!(
        bea.refused(&reply(GENERAL_ROOM, secret.id, "peek")).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        bea.refused(&reply(GENERAL_ROOM, i64::MAX, "nothing")).await,
        ErrorCode::BadRequest
    );
    // An outsider can neither read a private room's thread nor write in it.
    assert_eq!(
        dan.refused(&thread_of("den", secret.id)).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        dan.refused(&reply("den", secret.id, "let me in")).await,
        ErrorCode::NotMember
    );
    // Someone muted in the room is muted in its threads.
    ana.ok(&InviteReq {
        room: "den".into(),
        username: "bea".into(),
    })
    .await;
    bea.join("den").await;
    bea.ok(&reply("den", secret.id, "count me in")).await;
    ana.ok(&MuteReq {
        room: "den".into(),
        username: "bea".into(),
        minutes: 5,
    })
    .await;
    assert_eq!(
        bea.refused(&reply("den", secret.id, "me too")).await,
        ErrorCode::Forbidden
    );
    assert_eq!(page(&ana, thread_of("den", secret.id)).await.len(), 2);
    // Elsewhere a thread is anyone's who may write in its room.
    dan.ok(&reply(GENERAL_ROOM, public.id, "yes")).await;
    assert_eq!(
        page(&bea, thread_of(GENERAL_ROOM, public.id)).await.len(),
        2
    );
}

#[tokio::test]
async fn a_blocked_person_cannot_answer_in_a_thread_of_the_conversation() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (eve, _) = server.chat_guest("eve").await;
    let room = eve
        .ok(&DmReq {
            username: "ana".into(),
        })
        .await
        .room
        .name;
    eve.join(&room).await;
    ana.join(&room).await;
    let root = ana.say(&room, "about friday").await.unwrap().message;
    eve.ok(&reply(&room, root.id, "friday works")).await;

    ana.ok(&BlockReq {
        username: "eve".into(),
    })
    .await;
    // A new reply does not reach Ana through the thread; what was said before stays.
    assert_eq!(
        eve.refused(&reply(&room, root.id, "answer me")).await,
        ErrorCode::Forbidden
    );
    assert_eq!(page(&eve, thread_of(&room, root.id)).await.len(), 2);
}

#[tokio::test]
async fn the_people_in_a_thread_hear_of_its_replies_once_until_they_look() {
    let server = TestServer::spawn().await;
    let (ana, _, ana_token) = server.chat_guest_with_token("ana").await;
    let (bea, _, bea_token) = server.chat_guest_with_token("bea").await;
    let (cy, _, cy_token) = server.chat_guest_with_token("cy").await;
    for socket in [&ana, &bea, &cy] {
        socket.join(GENERAL_ROOM).await;
    }
    let mut ana_notes = notes(&server, &ana_token).await;
    let mut bea_notes = notes(&server, &bea_token).await;
    let mut cy_notes = notes(&server, &cy_token).await;
    let root = ana
        .say(GENERAL_ROOM, "who has the keys?")
        .await
        .unwrap()
        .message;

    // Bea answers: Ana, who started the thread, hears of it, with a link into the thread.
    let answer = bea.ok(&reply(GENERAL_ROOM, root.id, "I do")).await.message;
    let note = ana_notes.next::<Notification>().await;
    assert_eq!(note.kind, NotificationKind::Thread);
    assert_eq!(
        note.url.as_deref(),
        Some(links::thread_message(GENERAL_ROOM, root.id, answer.id).as_str())
    );
    assert!(
        note.title.starts_with("bea replied in a thread"),
        "{}",
        note.title
    );
    assert_eq!(note.body, "I do");

    // Cy joins in: Bea hears of it; Ana, who has not looked yet, is not told twice.
    cy.ok(&reply(GENERAL_ROOM, root.id, "me too")).await;
    let note = bea_notes.next::<Notification>().await;
    assert_eq!(
        (note.kind, note.body.as_str()),
        (NotificationKind::Thread, "me too")
    );

    // Once Ana read hers, the next reply reaches her again, and Cy, who follows it now; a
    // mention of Cy in it is one notification, not two.
    ana_notes
        .ok(&MarkReadReq {
            ids: vec![note_id(&server, "ana").await],
        })
        .await;
    bea.ok(&reply(GENERAL_ROOM, root.id, "@cy bring yours"))
        .await;
    let note = ana_notes.next::<Notification>().await;
    assert_eq!(
        (note.kind, note.body.as_str()),
        (NotificationKind::Thread, "@cy bring yours")
    );
    let note = cy_notes.next::<Notification>().await;
    assert_eq!(
        (note.kind, note.body.as_str()),
        (NotificationKind::Mention, "@cy bring yours")
    );
    // Nothing more came for Cy (the first reply, before Cy was in the thread, brought none):
    // Cy's only unread notification is the mention.
    let unread = server
        .store()
        .unread_notifications(user_id(&server, "cy").await)
        .await
        .unwrap();
    assert_eq!(unread.len(), 1, "{unread:?}");
}

async fn notes(server: &TestServer, token: &str) -> Socket {
    Socket::connect(server, notifications::NS, auth(token), &[])
        .await
        .expect("connect /notifications")
}

/// The id of `name`'s one unread notification.
async fn note_id(server: &TestServer, name: &str) -> i64 {
    let unread = server
        .store()
        .unread_notifications(user_id(server, name).await)
        .await
        .unwrap();
    assert_eq!(unread.len(), 1, "{unread:?}");
    unread[0].id
}

async fn user_id(server: &TestServer, name: &str) -> i64 {
    server
        .store()
        .user_by_name(name)
        .await
        .unwrap()
        .expect("a user")
        .user
        .id
}

#[tokio::test]
async fn a_followed_thread_keeps_its_readers_place_and_a_bystander_keeps_none() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let (cy, _) = server.chat_guest("cy").await;
    let (dan, _, dan_token) = server.chat_guest_with_token("dan").await;
    for socket in [&ana, &bea, &cy, &dan] {
        socket.join(GENERAL_ROOM).await;
    }
    let mut dan_notes = notes(&server, &dan_token).await;
    let read_by = async |socket: &Socket, root: i64| {
        let page = socket.ok(&main_timeline(GENERAL_ROOM)).await.messages;
        page.iter()
            .find(|m| m.id == root)
            .and_then(|m| m.thread_read)
    };
    let mark = |root: i64, id: i64| MarkThreadReadReq {
        room: GENERAL_ROOM.into(),
        root,
        id,
    };
    let root = ana
        .say(GENERAL_ROOM, "plan for the offsite?")
        .await
        .unwrap()
        .message;
    let first = bea
        .ok(&reply(GENERAL_ROOM, root.id, "a lake"))
        .await
        .message;

    // Ana started it: she follows it from its start, so the reply is news to her. Bea wrote
    // the reply: read up to it. Cy only looks on: no marker.
    assert_eq!(read_by(&ana, root.id).await, Some(root.id));
    assert_eq!(read_by(&bea, root.id).await, Some(first.id));
    assert_eq!(read_by(&cy, root.id).await, None);
    ana.ok(&mark(root.id, first.id)).await;
    ana.ok(&mark(root.id, root.id)).await;
    assert_eq!(read_by(&ana, root.id).await, Some(first.id), "never back");
    cy.ok(&mark(root.id, first.id)).await;
    assert_eq!(read_by(&cy, root.id).await, None, "reading does not follow");

    // Mentioned in a reply, Dan follows the thread from there.
    let mention = bea
        .ok(&reply(GENERAL_ROOM, root.id, "@dan bring the boat"))
        .await
        .message;
    let note = dan_notes.next::<Notification>().await;
    assert_eq!(note.kind, NotificationKind::Mention);
    assert_eq!(read_by(&dan, root.id).await, Some(first.id));
    // A marker goes no further than the thread's newest reply.
    dan.ok(&mark(root.id, i64::MAX)).await;
    assert_eq!(read_by(&dan, root.id).await, Some(mention.id));

    // Only a root of the room has a marker to move.
    assert_eq!(
        ana.refused(&mark(first.id, first.id)).await,
        ErrorCode::NotFound
    );
    assert_eq!(ana.refused(&mark(i64::MAX, 1)).await, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_reply_in_a_thread_carries_files_like_any_message() {
    let server = TestServer::spawn().await;
    let (ana, _, ana_token) = server.chat_guest_with_token("ana").await;
    let (mut bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let root = ana.say(GENERAL_ROOM, "the mockup?").await.unwrap().message;
    let (status, body) = crate::files::upload(
        &server,
        &ana_token,
        GENERAL_ROOM,
        "mockup.png",
        &crate::files::png(64, 48),
    )
    .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{body}");
    let file: protocol::Attachment = serde_json::from_value(body).unwrap();
    // Files only: the text may be empty, as in the room.
    let sent = ana
        .ok(&MessageReq {
            attachments: vec![file.id.clone()],
            ..reply(GENERAL_ROOM, root.id, "")
        })
        .await
        .message;
    assert_eq!(sent.thread, Some(root.id));
    assert_eq!(sent.attachments, std::slice::from_ref(&file));
    assert_eq!(sent.replies, summary_of(&sent, 1));
    let heard = bea.next_where::<Message>(|m| m.id == sent.id).await;
    assert_eq!(
        (heard.thread, heard.attachments),
        (Some(root.id), vec![file])
    );
    assert_eq!(
        page(&bea, thread_of(GENERAL_ROOM, root.id)).await,
        [root.id, sent.id]
    );
}

#[tokio::test]
async fn the_threads_list_holds_what_you_follow_with_its_unread_replies() {
    let server = TestServer::spawn().await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    let (cy, _) = server.chat_guest("cy").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    cy.join(GENERAL_ROOM).await;
    let root = ana.say(GENERAL_ROOM, "who reviews?").await.unwrap().message;
    bea.ok(&reply(GENERAL_ROOM, root.id, "me")).await;
    let last = bea
        .ok(&reply(GENERAL_ROOM, root.id, "after lunch"))
        .await
        .message;

    // Ana started it: she follows it, two replies unread; a bystander follows nothing.
    let list = ana.ok(&protocol::ThreadsReq::default()).await;
    assert_eq!(list.threads.len(), 1);
    assert_eq!(list.threads[0].root.id, root.id);
    assert_eq!(list.threads[0].unread, 2);
    assert_eq!(list.threads[0].root.replies, summary_of(&last, 2));
    assert!(list.next.is_none());
    assert!(
        cy.ok(&protocol::ThreadsReq::default())
            .await
            .threads
            .is_empty()
    );
    // Bea wrote in it, up to her last reply: nothing unread for her.
    let hers = bea.ok(&protocol::ThreadsReq::default()).await;
    assert_eq!(hers.threads[0].unread, 0);

    // Reading moves the count; a newer thread comes first, page by page.
    ana.ok(&MarkThreadReadReq {
        room: GENERAL_ROOM.into(),
        root: root.id,
        id: last.id,
    })
    .await;
    let other = bea.say(GENERAL_ROOM, "lunch?").await.unwrap().message;
    ana.ok(&reply(GENERAL_ROOM, other.id, "yes")).await;
    let first_page = ana
        .ok(&protocol::ThreadsReq {
            before: None,
            limit: Some(1),
        })
        .await;
    assert_eq!(first_page.threads[0].root.id, other.id);
    assert_eq!(first_page.threads[0].unread, 0);
    let rest = ana
        .ok(&protocol::ThreadsReq {
            before: first_page.next,
            limit: Some(1),
        })
        .await;
    assert_eq!(rest.threads[0].root.id, root.id);
    assert_eq!(rest.threads[0].unread, 0);
    assert!(rest.next.is_none());
    assert_eq!(
        ana.refused(&protocol::ThreadsReq {
            before: None,
            limit: Some(0),
        })
        .await,
        ErrorCode::BadRequest
    );
}

#[tokio::test]
async fn a_threads_page_cut_to_fit_a_packet_goes_on_where_it_was_cut() {
    let server = TestServer::spawn_with(|c| c.max_payload = 16 * 1024).await;
    let (ana, _) = server.chat_guest("ana").await;
    let (bea, _) = server.chat_guest("bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    // Six threads of Ana's with long roots: a page of them is larger than a packet.
    let long = "x".repeat(3_000);
    let mut roots = Vec::new();
    for n in 0..6 {
        let root = ana
            .say(GENERAL_ROOM, &format!("{n} {long}"))
            .await
            .unwrap()
            .message;
        bea.ok(&reply(GENERAL_ROOM, root.id, "noted")).await;
        roots.push(root.id);
    }
    let mut listed = Vec::new();
    let mut before = None;
    for _ in 0..6 {
        let page = ana
            .ok(&protocol::ThreadsReq {
                before,
                limit: None,
            })
            .await;
        assert!(!page.threads.is_empty(), "every page holds something");
        listed.extend(page.threads.iter().map(|t| t.root.id));
        before = page.next;
        if before.is_none() {
            break;
        }
    }
    roots.reverse();
    assert_eq!(
        listed, roots,
        "each once, the newest reply first, none lost at a cut"
    );
}
