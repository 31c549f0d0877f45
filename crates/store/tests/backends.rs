//! The same store scenario on every backend: SQLite always, PostgreSQL when
//! `TERTULIA_TEST_POSTGRES_URL` names a scratch database (`scripts/test.sh` starts a real
//! PostgreSQL server and sets it; the database is wiped first). With
//! `TERTULIA_TEST_REQUIRE_SERVICES` set (CI), a missing PostgreSQL fails instead of skipping.
//! The two backends' migrations must also build the same tables and columns.

use std::collections::{BTreeMap, BTreeSet};

use protocol::Role;
use store::{NewNotification, RoomKind, Store, StoreError};

/// Every kind of query the server relies on, with the answers it expects.
async fn scenario(store: &Store) {
    // Accounts: first registered is admin, names unique case-insensitively.
    let guest = store.create_guest("visitor", 1).await.unwrap();
    assert_eq!(guest.role, Role::Guest);
    let ana = store.create_account("Ana", "hash-a", 2).await.unwrap();
    let bea = store.create_account("bea", "hash-b", 3).await.unwrap();
    assert_eq!((ana.role, bea.role), (Role::Admin, Role::Member));
    assert!(matches!(
        store.create_guest("ANA", 4).await,
        Err(StoreError::Conflict)
    ));
    let found = store.user_by_name("ana").await.unwrap().unwrap();
    assert_eq!(found.password_hash.as_deref(), Some("hash-a"));
    assert_eq!(
        store
            .set_role(bea.id, Role::Admin)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Admin
    );

    // Sessions.
    store
        .create_session(ana.id, "h", None, 10, 100)
        .await
        .unwrap();
    assert_eq!(
        store.session_user("h", 50).await.unwrap().unwrap().id,
        ana.id
    );
    assert!(store.revoke_session("h", 60).await.unwrap().is_some());
    assert!(store.session_user("h", 70).await.unwrap().is_none());

    // Rooms, privacy, DMs, closing.
    let general = store.room_by_name("GENERAL").await.unwrap().unwrap();
    let secret = store
        .create_room("Secret", Some("shh"), true, RoomKind::Room, ana.id, 5)
        .await
        .unwrap();
    assert!(secret.private && !secret.closed);
    assert!(matches!(
        store
            .create_room("secret", None, false, RoomKind::Room, bea.id, 6)
            .await,
        Err(StoreError::Conflict)
    ));
    let visible =
        |rooms: Vec<store::RoomRecord>| rooms.into_iter().map(|r| r.name).collect::<Vec<_>>();
    assert_eq!(
        visible(store.visible_rooms(bea.id).await.unwrap()),
        ["general"]
    );
    store.add_member(secret.id, bea.id, 7).await.unwrap();
    store.add_member(secret.id, bea.id, 8).await.unwrap();
    assert_eq!(
        visible(store.visible_rooms(bea.id).await.unwrap()),
        ["general", "Secret"]
    );
    let dm = store.dm_room(bea.id, ana.id, 9).await.unwrap();
    assert_eq!(dm, store.dm_room(ana.id, bea.id, 10).await.unwrap());
    assert_eq!(store.member_ids(dm.id).await.unwrap().len(), 2);
    assert_eq!(
        store.room_by_id(dm.id).await.unwrap().unwrap().kind,
        RoomKind::Dm
    );

    // Messages: idempotent resend, paging, counts.
    let (first, new) = store
        .insert_message(&general, &ana, "hola", 1_000, Some("c1"))
        .await
        .unwrap();
    assert!(new);
    let (again, new) = store
        .insert_message(&general, &ana, "hola?", 1_001, Some("c1"))
        .await
        .unwrap();
    assert!(!new);
    assert_eq!(again, first);
    // A muted author's message is refused by the insert, even a resend, and nothing is stored.
    assert!(
        !store
            .set_mute(general.id, ana.id, Some(1_600))
            .await
            .unwrap()
    );
    for client_id in [None, Some("c1"), Some("c2")] {
        let refused = store
            .insert_message(&general, &ana, "shh", 1_500, client_id)
            .await;
        assert!(
            matches!(refused, Err(store::StoreError::Muted(1_600))),
            "{client_id:?}: {refused:?}"
        );
    }
    // The insert tells the room's message before it (none); a history page does not.
    assert_eq!(first.prev, Some(0));
    let as_read = protocol::Message {
        prev: None,
        ..first.clone()
    };
    assert_eq!(
        store.history(&general, None, None, 10).await.unwrap(),
        std::slice::from_ref(&as_read)
    );
    assert!(store.set_mute(general.id, ana.id, None).await.unwrap());
    for n in 0..5 {
        store
            .insert_message(&general, &bea, &format!("m{n}"), 2_000 + n, None)
            .await
            .unwrap();
    }
    let page = store.history(&general, None, None, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["m2", "m3", "m4"]
    );
    let after = store
        .history(&general, None, Some(first.id), 2)
        .await
        .unwrap();
    assert_eq!(
        after.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
        ["m0", "m1"]
    );
    assert_eq!(store.message_counts().await.unwrap(), [(general.id, 6)]);
    assert_eq!(store.messages_since(2_000).await.unwrap(), 5);

    // Edits, reactions, replies, changes and deletions read back the same on both backends.
    let m4 = page[2].id;
    let edited = store.edit_message(m4, "m4 (edited)", 3_000).await.unwrap();
    assert_eq!(edited.edited_ts, Some(3_000));
    assert!(store.react(m4, ana.id, "👍", true, 3_001).await.unwrap());
    assert!(store.react(m4, bea.id, "👍", true, 3_002).await.unwrap());
    let (reply, _) = store
        .insert_reply(&general, &ana, "re", 3_003, None, Some(m4))
        .await
        .unwrap();
    assert_eq!(reply.reply_to.as_ref().unwrap().excerpt, "m4 (edited)");
    let changed = store.changes(&general, 2_999, 10).await.unwrap();
    assert_eq!((changed.len(), changed[0].1), (1, 3_002));
    assert_eq!(changed[0].0.reactions[0].users, [ana.id, bea.id]);
    assert_eq!(changed[0].0.reactions[0].count, 2);
    assert!(
        store
            .delete_message(reply.id, 3_004)
            .await
            .unwrap()
            .is_some()
    );
    let changed = store.changes(&general, 3_002, 10).await.unwrap();
    assert!(changed[0].0.deleted && changed[0].0.text.is_empty());
    store.delete_message(reply.id, 3_005).await.unwrap();

    // Attachments: only the uploader sends an upload, once, in its room; reads carry it;
    // deleting the message gives its files back for removal; unsent uploads expire.
    let upload = |id: &str, ts| store::NewFile {
        id: id.repeat(32),
        room_id: general.id,
        user_id: ana.id,
        name: "photo.png".into(),
        size: 1234,
        content_type: "image/png".into(),
        preview_type: Some("image/png".into()),
        ts,
        client_addr: Some("192.0.2.7".into()),
    };
    let photo = store.insert_file(&upload("a", 4_000)).await.unwrap();
    store.insert_file(&upload("b", 4_001)).await.unwrap();
    // What counts against the uploader's quota: their bytes since a time.
    assert_eq!(store.uploaded_since(ana.id, 4_000).await.unwrap(), 2 * 1234);
    assert_eq!(store.uploaded_since(ana.id, 4_001).await.unwrap(), 1234);
    assert_eq!(store.uploaded_since(bea.id, 0).await.unwrap(), 0);
    // And against its address (all uploaders; guests only: Ana is a member) and the disk.
    let from = |since, guests| store.uploaded_from_since("192.0.2.7", since, guests);
    assert_eq!(from(4_000, false).await.unwrap(), 2 * 1234);
    assert_eq!(from(4_001, false).await.unwrap(), 1234);
    assert_eq!(from(4_000, true).await.unwrap(), 0);
    assert_eq!(
        store
            .uploaded_from_since("192.0.2.8", 0, false)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.kept_file_bytes().await.unwrap(), 2 * 1234);
    let files = vec![photo.id.clone()];
    let new = store::NewMessage {
        text: "",
        ts: 4_002,
        attachments: &files,
        ..store::NewMessage::default()
    };
    let before = store
        .history(&general, None, None, 100)
        .await
        .unwrap()
        .len();
    assert!(matches!(
        store.insert_full(&general, &bea, &new).await,
        Err(store::StoreError::NotFound)
    ));
    assert_eq!(
        store
            .history(&general, None, None, 100)
            .await
            .unwrap()
            .len(),
        before
    );
    let (sent, _) = store.insert_full(&general, &ana, &new).await.unwrap();
    assert_eq!(sent.attachments, [photo.attachment()]);
    assert_eq!(
        sent.attachments[0].preview_url.as_deref(),
        Some(protocol::links::file_preview(&photo.id).as_str())
    );
    assert!(
        store.insert_full(&general, &ana, &new).await.is_err(),
        "sent twice"
    );
    let page = store.history(&general, None, None, 1).await.unwrap();
    assert_eq!(page[0].attachments, sent.attachments);
    assert_eq!(
        store.file(&photo.id).await.unwrap().unwrap().message_id,
        Some(sent.id)
    );
    assert_eq!(
        store.delete_message(sent.id, 4_003).await.unwrap(),
        Some(vec![photo.id.clone()])
    );
    assert!(store.file(&photo.id).await.unwrap().is_none());
    assert_eq!(
        store.take_unsent_files(4_001).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        store.take_unsent_files(4_002).await.unwrap(),
        ["b".repeat(32)]
    );

    // Saved rooms and read markers: ana saved general after her message, so bea's five
    // are unread; reading up to the fourth leaves one.
    assert!(
        store
            .save_room(ana.id, &general, None, 900)
            .await
            .unwrap()
            .is_some()
    );
    store
        .mark_room_read(ana.id, general.id, 0, 901)
        .await
        .unwrap();
    let saved = store.saved_rooms(ana.id).await.unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].unread, 0, "saved read up to the newest message");
    // Back to just after her own message (as if saved then).
    store
        .execute_raw(&format!(
            "UPDATE saved_rooms SET last_read = {} WHERE user_id = {}",
            first.id, ana.id
        ))
        .await
        .unwrap();
    assert_eq!(store.saved_rooms(ana.id).await.unwrap()[0].unread, 5);
    let read = store
        .mark_room_read(ana.id, general.id, after[1].id + 2, 902)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.unread, 1);
    assert_eq!(read.read_at, Some(902));
    assert!(store.set_muted(ana.id, general.id, true).await.unwrap());
    assert!(store.is_room_saved(ana.id, general.id).await.unwrap());
    assert!(store.unsave_room(ana.id, general.id).await.unwrap());
    assert!(!store.is_room_saved(ana.id, general.id).await.unwrap());

    // Notifications and channels.
    let note = NewNotification {
        kind: protocol::events::NotificationKind::Mention,
        title: "t".into(),
        body: "b".into(),
        url: Some("/chat".into()),
    };
    let stored = store
        .insert_notification(bea.id, &note, 5, 100)
        .await
        .unwrap();
    assert!(!stored.read);
    assert_eq!(
        store.unread_notifications(bea.id).await.unwrap(),
        std::slice::from_ref(&stored)
    );
    assert_eq!(store.mark_read(bea.id, &[stored.id], 6).await.unwrap(), 1);
    assert!(store.unread_notifications(bea.id).await.unwrap().is_empty());
    store.subscribe(bea.id, "news", 1).await.unwrap();
    store.subscribe(bea.id, "news", 2).await.unwrap();
    assert_eq!(store.channel_subscribers("news").await.unwrap(), [bea.id]);
    store.unsubscribe(bea.id, "news").await.unwrap();
    assert!(store.subscriptions(bea.id).await.unwrap().is_empty());

    // Retention keeps the newest; everything can be marked read at once.
    for n in 0..5 {
        store
            .insert_notification(bea.id, &note, 10 + n, 3)
            .await
            .unwrap();
    }
    assert_eq!(store.unread_notifications(bea.id).await.unwrap().len(), 3);
    assert_eq!(store.mark_all_read(bea.id, 20).await.unwrap(), 3);

    // Names: look-alikes collide; a released guest's name is free again.
    assert!(matches!(
        store.create_guest("\u{0430}na", 12).await,
        Err(StoreError::Conflict)
    ));
    assert!(store.release_guest(guest.id, 12).await.unwrap());
    let again = store.create_guest("Visitor", 13).await.unwrap();
    assert_ne!(again.id, guest.id);

    // Roles: the last admin stays.
    assert!(
        store
            .set_role(ana.id, Role::Member)
            .await
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        store.set_role(bea.id, Role::Member).await,
        Err(StoreError::LastAdmin)
    ));

    // Membership can be given up.
    assert!(store.remove_member(secret.id, bea.id).await.unwrap());
    assert!(!visible(store.visible_rooms(bea.id).await.unwrap()).contains(&"Secret".to_owned()));
    assert_eq!(store.rooms_created_by(ana.id).await.unwrap(), 1);
    assert_eq!(store.open_room_count().await.unwrap(), 2);

    store.close_room(secret.id, 11).await.unwrap();
    assert!(store.room_by_name("secret").await.unwrap().unwrap().closed);
    assert_eq!(
        visible(store.open_rooms().await.unwrap()).len(),
        2,
        "general and the DM"
    );

    // Search finds the same messages on both backends: words and prefixes, every word, case
    // folded, accents kept, newest first, deleted and edited-away text gone.
    let terms = |q: &str| protocol::validate::search_terms(q).unwrap();
    let texts =
        |found: Vec<protocol::Message>| found.into_iter().map(|m| m.text).collect::<Vec<_>>();
    for (text, ts) in [
        ("Lunch at noon? Café", 4_000),
        ("lunchtime, CAFÉ crème", 4_001),
        ("cafe lunch", 4_002),
    ] {
        store
            .insert_message(&general, &bea, text, ts, None)
            .await
            .unwrap();
    }
    assert_eq!(
        texts(
            store
                .search(ana.id, None, &terms("lunch café"), 10)
                .await
                .unwrap()
        ),
        ["lunchtime, CAFÉ crème", "Lunch at noon? Café"]
    );
    assert_eq!(
        texts(
            store
                .search(ana.id, None, &terms("cafe"), 10)
                .await
                .unwrap()
        ),
        ["cafe lunch"]
    );
    assert_eq!(
        texts(
            store
                .search(ana.id, Some(general.id), &terms("m4"), 10)
                .await
                .unwrap()
        ),
        ["m4 (edited)"]
    );
    assert!(
        store
            .search(ana.id, None, &terms("re"), 10)
            .await
            .unwrap()
            .is_empty(),
        "deleted"
    );
    // One character is a whole word, never a prefix (it would match nearly everything).
    for (text, ts) in [("x marks the spot", 4_100), ("xylophone solo", 4_101)] {
        store
            .insert_message(&general, &bea, text, ts, None)
            .await
            .unwrap();
    }
    assert_eq!(
        texts(store.search(ana.id, None, &terms("x"), 10).await.unwrap()),
        ["x marks the spot"]
    );
    assert_eq!(
        texts(store.search(ana.id, None, &terms("xy"), 10).await.unwrap()),
        ["xylophone solo"]
    );

    // A person's data: what an export reads, then erasing accounts (v1.9).
    let written = store.messages_by_author(bea.id, 0, 1_000).await.unwrap();
    assert!(written.iter().any(|m| m.text == "xylophone solo"));
    assert!(written.iter().all(|m| m.user.id == bea.id));
    assert!(store.created_at(bea.id).await.unwrap() > 0);
    let eli = store.create_account("eli", "hash-e", 5_000).await.unwrap();
    store
        .insert_message(&general, &eli, "eli's words stay", 5_001, None)
        .await
        .unwrap();
    store
        .create_session(eli.id, "eli-session", None, 5_002, 99_999)
        .await
        .unwrap();
    let kept = store.erase_user(eli.id, false, 5_003).await.unwrap();
    assert_eq!(kept.sessions, ["eli-session"]);
    assert!(kept.messages.is_empty());
    assert!(
        store.user_by_name("eli").await.unwrap().is_none(),
        "the name is free"
    );
    assert!(
        store
            .session_user("eli-session", 5_004)
            .await
            .unwrap()
            .is_none()
    );
    // A sign-in that checked the password before the deletion gets no session after it.
    assert!(matches!(
        store
            .create_session(eli.id, "late-session", None, 5_004, 99_999)
            .await,
        Err(StoreError::NotFound)
    ));
    let after = store.messages_by_author(eli.id, 0, 1_000).await.unwrap();
    assert_eq!(after.len(), 1, "kept");
    assert_eq!(after[0].user.username, store::ERASED_NAME);
    assert!(matches!(
        store.erase_user(eli.id, false, 5_005).await,
        Err(StoreError::NotFound)
    ));
    let dan = store.create_account("dan", "hash-d", 6_000).await.unwrap();
    let gone = store
        .insert_message(&general, &dan, "dan's only words", 6_001, None)
        .await
        .unwrap();
    let removed = store.erase_user(dan.id, true, 6_002).await.unwrap();
    assert_eq!(removed.messages.len(), 1);
    assert_eq!(removed.messages[0].room, general.name);
    assert!(
        store
            .messages_by_author(dan.id, 0, 1_000)
            .await
            .unwrap()
            .is_empty(),
        "removed: {gone:?}"
    );

    // Pins and saved messages (v1.14, v1.15): the same answers on both backends, their
    // serialising locks included.
    let fay = store.create_account("fay", "hash-f", 7_000).await.unwrap();
    let (note, _) = store
        .insert_message(&general, &fay, "pin me", 7_001, None)
        .await
        .unwrap();
    assert!(
        store
            .set_pinned(note.id, general.id, fay.id, true, 7_002)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_pinned(note.id, general.id, fay.id, true, 7_003)
            .await
            .unwrap()
    );
    assert_eq!(
        store.pins(general.id).await.unwrap()[0]
            .pinned
            .as_ref()
            .unwrap()
            .ts,
        7_002
    );
    assert_eq!(
        store.set_saved(fay.id, note.id, true, 7_004).await.unwrap(),
        Some(7_004)
    );
    let (saved, more) = store.saved_messages(fay.id, None, 10).await.unwrap();
    assert_eq!(
        (saved.len(), more, saved[0].message.saved),
        (1, false, true)
    );
    store.delete_message(note.id, 7_005).await.unwrap();
    assert!(store.pins(general.id).await.unwrap().is_empty());
    assert!(
        store
            .saved_messages(fay.id, None, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );

    // Link previews (v1.16): the upsert that never replaces a preview, the same on both.
    let url = "https://example.org/news";
    let (linked, _) = store
        .insert_message(&general, &fay, "https://example.org/news", 8_000, None)
        .await
        .unwrap();
    assert!(
        store
            .set_message_link(linked.id, Some(url), 8_001)
            .await
            .unwrap()
    );
    assert!(store.save_link_preview(url, 8_002, None).await.unwrap());
    let page = |title: &str, image: &str| store::FoundPage {
        title: title.into(),
        site: "example.org".into(),
        description: None,
        image: Some((image.into(), "image/jpeg".into())),
    };
    assert!(
        store
            .save_link_preview(url, 8_003, Some(&page("News", "a".repeat(32).as_str())))
            .await
            .unwrap()
    );
    assert!(
        !store
            .save_link_preview(url, 8_004, Some(&page("Later", "b".repeat(32).as_str())))
            .await
            .unwrap()
    );
    let ready = store
        .preview_ready(linked.id, url, 8_005)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ready.room_id, ready.preview.title.as_str()),
        (general.id, "News")
    );
    assert_eq!(
        store.sweep_link_previews(9_000).await.unwrap(),
        Vec::<String>::new()
    );
    store.delete_message(linked.id, 8_006).await.unwrap();
    assert_eq!(
        store.sweep_link_previews(9_000).await.unwrap(),
        ["a".repeat(32)]
    );

    // Webhooks (v1.19): the bot account and the webhook in one transaction, the room's cap,
    // and the bot flag on what it posts.
    let hooks = store
        .create_room("hooks", None, false, RoomKind::Room, fay.id, 9_100)
        .await
        .unwrap();
    let new = |id: &'static str, name: &'static str| store::NewWebhook {
        id,
        secret_hash: "hash",
        name,
        created_by: fay.id,
        now: 9_101,
    };
    let made = store
        .create_webhook(&hooks, new("00000000000000c1", "deploybot"))
        .await
        .unwrap();
    assert_eq!(made.bot.username, "deploybot");
    assert!(matches!(
        store
            .create_webhook(&hooks, new("00000000000000c2", "DeployBot"))
            .await,
        Err(StoreError::Conflict)
    ));
    let target = store.webhook_target(&made.id).await.unwrap().unwrap();
    let (posted, _) = store
        .insert_message(&hooks, &target.bot, "deployed", 9_102, None)
        .await
        .unwrap();
    let page = store.history(&hooks, None, None, 10).await.unwrap();
    assert_eq!(
        page.iter().map(|m| (m.id, m.bot)).collect::<Vec<_>>(),
        [(posted.id, true)]
    );
    assert!(store.delete_webhook(&made.id).await.unwrap());
    assert!(store.webhooks(hooks.id).await.unwrap().is_empty());

    // Threads (v1.22): replies stored in the room, summed up on their root, left out of the
    // room's own timeline, paged as a thread.
    let (root, _) = store
        .insert_message(&hooks, &ana, "thread root", 9_200, None)
        .await
        .unwrap();
    let in_thread = |text: &'static str, ts: i64| store::NewMessage {
        text,
        ts,
        thread_root: Some(root.id),
        ..store::NewMessage::default()
    };
    let (first, _) = store
        .insert_full(&hooks, &bea, &in_thread("first reply", 9_201))
        .await
        .unwrap();
    let (second, _) = store
        .insert_full(&hooks, &ana, &in_thread("second reply", 9_202))
        .await
        .unwrap();
    assert_eq!(first.thread, Some(root.id));
    assert_eq!(
        second.replies.map(|s| (s.count, s.last_id)),
        Some((2, second.id))
    );
    let ids = |page: Vec<protocol::Message>| page.iter().map(|m| m.id).collect::<Vec<_>>();
    let main = store
        .history_of(&hooks, store::Scope::Main, None, None, 10)
        .await
        .unwrap();
    assert_eq!(
        main.last().map(|m| (m.id, m.replies)),
        Some((root.id, second.replies))
    );
    assert!(main.iter().all(|m| m.thread.is_none()));
    let thread = store::Scope::Thread(root.id);
    assert_eq!(
        ids(store
            .history_of(&hooks, thread, None, None, 10)
            .await
            .unwrap()),
        [root.id, first.id, second.id]
    );
    assert_eq!(
        ids(store
            .history_of(&hooks, thread, Some(second.id), None, 10)
            .await
            .unwrap()),
        [root.id, first.id]
    );
    assert_eq!(
        ids(store
            .history_of(&hooks, thread, None, Some(root.id), 1)
            .await
            .unwrap()),
        [first.id]
    );
    assert_eq!(
        ids(store
            .history(&hooks, None, Some(posted.id), 10)
            .await
            .unwrap()),
        [root.id, first.id, second.id]
    );

    // v1.23's migration gave the threads of v1.22 their followers: replies stored without
    // any (as these were, straight into the store) get them from its statements, run again.
    assert!(store.thread_followers(root.id).await.unwrap().is_empty());
    let migration = match store.backend() {
        store::Backend::Sqlite => {
            include_str!("../migrations/sqlite/20261208000014_thread_reads.sql")
        }
        store::Backend::Postgres => {
            include_str!("../migrations/postgres/20261208000014_thread_reads.sql")
        }
    };
    let from = migration
        .find("-- Threads from before (v1.22)")
        .expect("the migration fills in older threads");
    store.execute_raw(&migration[from..]).await.unwrap();
    assert_eq!(
        store.thread_followers(root.id).await.unwrap(),
        [ana.id, bea.id]
    );
    let roots = [root.id];
    let markers = |user| store.thread_markers(user, &roots);
    // Each replier read up to their own last reply (Ana wrote the root and the second).
    assert_eq!(markers(ana.id).await.unwrap()[&root.id], second.id);
    assert_eq!(markers(bea.id).await.unwrap()[&root.id], first.id);
    // The threads one follows (v1.30), with the replies of others after one's marker.
    let (followed, more) = store.followed_threads(bea.id, None, 10).await.unwrap();
    assert!(!more);
    let listed: Vec<(i64, u64, i64)> = followed
        .iter()
        .map(|(root, unread, last)| (root.id, *unread, *last))
        .collect();
    assert_eq!(listed, [(root.id, 1, second.id)]);
    assert_eq!(followed[0].0.thread_read, Some(first.id));

    // Display names are found by `find_people` (v1.31), and an admin's clear takes both away
    // (v1.32); a key an older build left behind is brought in line.
    store
        .set_display_name(bea.id, Some("Beatriz Ortiz"))
        .await
        .unwrap();
    let found = store
        .people(Some(&store::name_key("ORTIZ")), None, 10)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|(u, _)| u.user.id).collect::<Vec<_>>(),
        [bea.id]
    );
    store
        .execute_raw(&format!(
            "UPDATE users SET display_name = 'Bea Stale' WHERE id = {}",
            bea.id
        ))
        .await
        .unwrap();
    assert_eq!(store.fill_display_name_keys().await.unwrap(), 1);
    let (ortiz, stale) = (store::name_key("ortiz"), store::name_key("stale"));
    assert!(
        store
            .people(Some(&ortiz), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.people(Some(&stale), None, 10).await.unwrap().len(), 1);
    let (picture, name) = store.clear_profile(bea.id).await.unwrap();
    assert_eq!((picture, name.as_deref()), (None, Some("Bea Stale")));
    assert!(
        store
            .people(Some(&stale), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.fill_display_name_keys().await.unwrap(), 0);
}

#[tokio::test]
async fn sqlite() {
    scenario(&Store::in_memory().await.unwrap()).await;
}

/// The scratch PostgreSQL database's URL, if any (see the module's comment).
fn postgres_url() -> Option<String> {
    match std::env::var("TERTULIA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("TERTULIA_TEST_REQUIRE_SERVICES").is_none(),
                "TERTULIA_TEST_REQUIRE_SERVICES is set but TERTULIA_TEST_POSTGRES_URL is not: \
                 PostgreSQL would go untested"
            );
            eprintln!("TERTULIA_TEST_POSTGRES_URL is not set: PostgreSQL not exercised here");
            None
        }
    }
}

#[tokio::test]
async fn postgres_when_configured() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = Store::connect(&url)
        .await
        .expect("connect and migrate PostgreSQL");
    assert_eq!(store.backend(), store::Backend::Postgres);
    scenario(&store).await;
    assert_same_schema(&url).await;
    // Migrating again is a no-op.
    store.close().await;
    let store = Store::connect(&url).await.expect("second migration run");
    wipe(&store).await;
    store.close().await;
    concurrent_first_registrations(&url).await;
}

/// Drops every table, so the next connect starts from an empty database.
async fn wipe(store: &Store) {
    store
        .execute_raw("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .await
        .expect("wipe the scratch database");
}

/// Sixteen accounts registered at once on an empty PostgreSQL database: exactly one becomes
/// admin (the check and the insert must not interleave).
async fn concurrent_first_registrations(url: &str) {
    let store = Store::connect(url).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_account(&format!("racer{n}"), "hash", n)
                .await
                .unwrap()
        }));
    }
    let mut admins = 0;
    for task in tasks {
        if task.await.unwrap().role == Role::Admin {
            admins += 1;
        }
    }
    assert_eq!(admins, 1, "exactly one first account");
    wipe(&store).await;
    store.close().await;
}

/// Tables and their columns: column name → whether it may be NULL.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

/// Objects only one backend has, by design: SQLite's full-text index is a virtual table (and
/// its shadow tables); PostgreSQL's is an expression index on `messages`, which is no table.
fn backend_specific(table: &str) -> bool {
    table.starts_with("messages_fts") || table.starts_with("_sqlx") || table.starts_with("sqlite_")
}

/// The schema a fresh SQLite database gets from the migrations.
async fn sqlite_schema() -> Schema {
    let dir = std::env::temp_dir().join(format!(
        "tertulia-parity-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("parity.db").display());
    Store::connect(&url)
        .await
        .expect("migrate SQLite")
        .close()
        .await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let mut schema = Schema::new();
    for (table,) in tables {
        if backend_specific(&table) {
            continue;
        }
        // (name, NOT NULL, part of the primary key): a primary key is never NULL, whatever
        // SQLite's table_info says about an `INTEGER PRIMARY KEY`.
        let columns: Vec<(String, bool, i64)> =
            sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info(?)")
                .bind(&table)
                .fetch_all(&pool)
                .await
                .unwrap();
        schema.insert(
            table,
            columns
                .into_iter()
                .map(|(name, not_null, pk)| (name, !(not_null || pk > 0)))
                .collect(),
        );
    }
    pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    schema
}

/// The schema of the (already migrated) PostgreSQL database at `url`.
async fn postgres_schema(url: &str) -> Schema {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let mut schema = Schema::new();
    for (table, column, nullable) in columns {
        if backend_specific(&table) {
            continue;
        }
        schema
            .entry(table)
            .or_default()
            .insert(column, nullable == "YES");
    }
    schema
}

/// Both backends' migrations build the same tables, with the same columns, equally nullable.
async fn assert_same_schema(postgres_url: &str) {
    let sqlite = sqlite_schema().await;
    let postgres = postgres_schema(postgres_url).await;
    let tables = |schema: &Schema| schema.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(tables(&sqlite), tables(&postgres), "the same tables");
    for (table, columns) in &sqlite {
        assert_eq!(
            Some(columns),
            postgres.get(table),
            "table `{table}`: columns (name → nullable) on SQLite, then PostgreSQL"
        );
    }
}

/// The two backends have the same migrations, by version and name: a schema change is written
/// for both.
#[test]
fn every_migration_exists_for_both_backends() {
    let names = |backend: &str| -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}
