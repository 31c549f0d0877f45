//! Server events of `/chat` turned into signal updates.

use super::*;

pub(super) fn wire_events(socket: &Socket, chat: Chat, me: User) {
    socket.on(move |message: Message| {
        let key = Rooms::key(&message.room);
        let on_screen = chat.active.get_untracked().as_deref() == Some(key.as_str());
        let visible = on_screen && chat.is_on_screen();
        let ours = message
            .client_id
            .clone()
            .filter(|_| message.user.id == me.id);
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&key) {
                let author = message.user.id;
                view.cursor.live(message.id, message.prev);
                view.merge([message], Some(me.id));
                view.typing.retain(|(u, _)| u.id != author);
            }
        });
        if let Some(client_id) = ours {
            chat.stored_elsewhere(&client_id);
        }
        if visible {
            chat.mark_active_read();
        }
    });
    socket.on(move |list: Blocks| chat.blocked.set(list.users));
    socket.on(move |profile: protocol::Profile| chat.learn_profile(profile));
    socket.on(move |_: protocol::CommandsChanged| chat.forget_commands());
    socket.on(move |welcome: Welcome| {
        chat.connected_now();
        chat.refresh_profiles();
        chat.forget_commands();
        if chat.toasts_since.get_value().is_none() {
            chat.toasts_since.set_value(Some(welcome.server_time));
        }
        if let Some(max) = welcome.max_upload {
            chat.max_upload.set(max);
        }
    });
    socket.on(move |RoomUpdated { room }: RoomUpdated| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&room.name) {
                view.topic.clone_from(&room.topic);
            }
        });
        chat.directory.update(|listed| {
            if let Some(entry) = listed.iter_mut().find(|r| r.name == room.name) {
                entry.topic = room.topic;
            }
        });
    });
    socket.on(move |MessageEdited(message): MessageEdited| {
        let room = message.room.clone();
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&room) {
                view.replace_message(message);
            }
        });
    });
    socket.on(move |news: MessagePinned| {
        let pin = news.pinned.then(|| protocol::Pin {
            by: news.by.clone(),
            ts: news.ts,
        });
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&news.room) {
                view.apply_pin(news.id, pin);
            }
        });
        chat.pin_news.update(|n| *n += 1);
    });
    socket.on(move |news: MessagePreview| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&news.room) {
                view.apply_preview(news.id, news.preview);
            }
        });
    });
    socket.on(move |news: MessageSaved| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&news.room) {
                view.mark_saved(news.id, news.saved);
            }
        });
        chat.saved_news.update(|n| *n += 1);
    });
    socket.on(move |deleted: MessageDeleted| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&deleted.room) {
                view.mark_deleted(deleted.id);
            }
        });
        if chat.editing.get_untracked() == Some(deleted.id) {
            chat.editing.set(None);
        }
        if chat.replying.with_untracked(|r| r.as_ref().map(|r| r.id)) == Some(deleted.id) {
            chat.replying.set(None);
        }
    });
    socket.on(move |reaction: ReactionEvent| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&reaction.room) {
                view.apply_reaction(
                    reaction.id,
                    &reaction.emoji,
                    reaction.user.id,
                    reaction.active,
                    reaction.count,
                );
            }
        });
    });
    socket.on(move |marker: ReadMarker| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&marker.room) {
                view.apply_marker(marker.last_read, marker.unread, marker.through);
            }
        });
    });
    // A room was added to the list elsewhere (another tab, a DM, an invite): follow it.
    socket.on(move |saved: SavedRoom| {
        let known = chat
            .rooms
            .with_untracked(|rooms| rooms.get(&saved.room.name).is_some());
        chat.rooms
            .update(|rooms| match rooms.get_mut(&saved.room.name) {
                Some(view) => view.apply_saved(&saved),
                None => rooms.insert(RoomView::from_saved(&saved)),
            });
        if !known {
            chat.join_in_turn(vec![saved.room.name], None);
        }
    });
    socket.on(move |removed: RoomRemoved| {
        chat.forget_room(&removed.room);
        chat.refresh_directory();
    });
    socket.on(move |created: RoomCreated| {
        chat.directory.update(|directory| {
            if !directory.iter().any(|r| r.name == created.room.name) {
                directory.push(created.room);
            }
        });
    });
    socket.on(move |UserJoined(event)| {
        notice(chat, &event.room, &event.user.username, true);
        // Large rooms send only these deltas, not the full `members` list.
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&event.room) {
                view.add_member(event.user);
            }
        });
    });
    socket.on(move |UserLeft(event)| {
        notice(chat, &event.room, &event.user.username, false);
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&event.room) {
                view.typing.retain(|(u, _)| u.id != event.user.id);
                view.members.retain(|u| u.id != event.user.id);
            }
        });
    });
    socket.on(move |event: Members| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&event.room) {
                view.members = event.users;
            }
        });
    });
    socket.on(move |event: Typing| {
        chat.rooms.update(|rooms| {
            if let Some(view) = rooms.get_mut(&event.room) {
                view.typing_news(event.user, event.thread, event.active);
            }
        });
    });
    socket.on(move |event: Occupancy| {
        chat.directory.update(|directory| {
            for room in directory.iter_mut() {
                if let Some(live) = event.rooms.iter().find(|r| r.name == room.name) {
                    room.members = live.members;
                }
            }
        });
    });
    socket.on_error(NS, move |error: ErrorBody| chat.tell(error.message));
    // A server node failed: messages it stored may never have been broadcast.
    // What is read back is owed by the room first: if reading fails, the next join (after a
    // reconnect) reads it.
    socket.on(move |event: Resync| {
        let Some(socket) = chat.socket() else { return };
        let rooms: Vec<(String, i64)> = chat.rooms.with_untracked(|rooms| {
            rooms
                .ordered()
                .into_iter()
                .filter_map(|view| Some((view.name.clone(), view.catch_up_from(event.since)?)))
                .collect()
        });
        chat.rooms.update(|views| {
            for (room, from) in &rooms {
                if let Some(view) = views.get_mut(room) {
                    view.owed.history(*from);
                }
            }
        });
        spawn_local(async move {
            for (room, from) in rooms {
                let result = chat.catch_up(&socket, &room, from).await;
                if let Err(RequestError::Emit(_) | RequestError::Ack(AckError::Disconnected)) =
                    result
                {
                    return;
                }
            }
        });
    });
    socket.on(move |event: RoomClosed| {
        chat.forget_room(&event.room);
        chat.refresh_directory();
        chat.tell(format!("{} was closed by an admin", event.room));
    });
}

pub(super) fn notice(chat: Chat, room: &str, username: &str, joined: bool) {
    chat.rooms.update(|rooms| {
        if let Some(view) = rooms.get_mut(room) {
            let count = view.lines.len();
            view.presence_notice(username, joined, || {
                format!("{}-{count}", platform::now_ms() as u64)
            });
        }
    });
}
