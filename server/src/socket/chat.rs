//! Namespace `/chat` as in `PROTOCOL.md`: wiring a connecting socket, and one thin handler
//! per event that turns the request into a call of the [chat service](crate::chat) and its
//! result into the answer, cut to fit in one packet where it is a list.

use std::sync::{Arc, LazyLock};

use protocol::{
    ActivityReq, BlockReq, Blocks, BlocksReq, ChangesReq, ChangesRes, CreateRoomReq, CreateRoomRes,
    CreateWebhookReq, CreateWebhookRes, DeleteReq, DeleteWebhookReq, DmReq, EditReq, EditRes,
    Empty, GroupDmReq, HideRoomReq, HistoryReq, HistoryRes, InviteReq, JoinReq, JoinRes, KickReq,
    LeaveReq, LeaveRoomReq, MarkRoomReadReq, MarkThreadReadReq, MembersReq, MembersRes, MessageReq,
    MessageRes, MuteReq, MuteRoomReq, PeopleReq, PeopleRes, PinReq, PinsReq, PinsRes, Profile,
    ProfilesReq, ProfilesRes, ReactReq, ReadMarker, RoomsReq, RoomsRes, SaveMessageReq,
    SavedMessagesReq, SavedMessagesRes, SavedRoomsReq, SavedRoomsRes, SearchReq, SearchRes,
    SetDisplayNameReq, SetStatusReq, SetTopicReq, SetTopicRes, TypingReq, UnblockReq, WebhooksReq,
    WebhooksRes, Welcome,
};
use socketioxide::extract::{MaybeExtension, State};

use super::auth::SocketIdentity;
use super::pipeline::{Busy, Ctx, Routes, attach_routes, fit, list_budget};
use crate::chat::{Actor, Connection};
use crate::client_addr::client_of;
use crate::clock::now_ms;
use crate::error::AppResult;
use crate::fanout::{SocketRef, emit};
use crate::metrics::Cut;
use crate::services::Services;

/// The events of `/chat` and their handlers.
pub(super) static ROUTES: LazyLock<Routes> = LazyLock::new(|| {
    Routes::new(protocol::events::chat::NS)
        .on(rooms)
        .on(create_room)
        .on(join)
        .on(leave)
        .on(members)
        .on(invite)
        .on(dm)
        .on(group_dm)
        .on(leave_room)
        .on(message)
        .on(typing)
        .on(history)
        .on(saved_rooms)
        .on(mark_room_read)
        .on(mark_thread_read)
        .on(threads)
        .on(hide_room)
        .on(mute_room)
        .on(edit)
        .on(delete)
        .on(react)
        .on(changes)
        .on(search)
        .on(kick)
        .on(mute)
        .on(set_topic)
        .on(block)
        .on(unblock)
        .on(blocks)
        .on(people)
        .on(set_status)
        .on(profiles)
        .on(set_display_name)
        .on(activity)
        .on(pin)
        .on(pins)
        .on(save_message)
        .on(saved_messages)
        .on(create_webhook)
        .on(webhooks)
        .on(delete_webhook)
        .on(create_bot)
        .on(bots)
        .on(bot_token)
        .on(delete_bot)
        .on(register_command)
        .on(unregister_command)
        .on(commands)
        .on(run_command)
});

/// Last CONNECT middleware (after authentication): wires the socket's events and registers
/// its presence.
///
/// socketioxide sends the CONNECT ack *before* it spawns the connect handler, so handlers
/// registered there can miss an event the client sends the moment it is connected (the event
/// is dropped and its ack never comes). Middlewares are awaited before the ack, so everything
/// the events need is in place first.
///
/// # Errors
/// [`protocol::ConnectRefusal::Unauthorized`] if no user was authenticated (cannot happen after
/// [`super::auth::authenticate`]); `Internal` when the live state fails.
pub async fn prepare(
    s: SocketRef,
    State(services): State<Services>,
) -> Result<(), protocol::ConnectRefusal> {
    let identity = super::enter_user_room(&s)?;
    let connection = Connection {
        actor: Actor {
            user: identity.user.clone(),
            addr: client_of(&s.req_parts().extensions).key,
        },
        socket: s.clone(),
        bot: identity.bot,
    };
    services
        .chat
        .connected(&connection)
        .await
        .map_err(|error| {
            tracing::error!(%error, "registering a socket");
            protocol::ConnectRefusal::Internal
        })?;
    attach_routes(&s, &ROUTES);
    s.on_disconnect(on_disconnect);
    Ok(())
}

/// A connected `/chat` socket: greet it.
pub async fn on_connect(s: SocketRef, State(services): State<Services>) {
    let Some(identity) = SocketIdentity::of(&s) else {
        return;
    };
    tracing::debug!(user = %identity.user.username, socket = %s.id, "chat socket connected");
    emit(
        &s,
        &Welcome {
            user: identity.user.clone(),
            server_time: now_ms(),
            max_upload: Some(services.hub.config.max_upload),
        },
    );
}

async fn on_disconnect(
    s: SocketRef,
    State(services): State<Services>,
    MaybeExtension(identity): MaybeExtension<Arc<SocketIdentity>>,
) {
    // Counted by the connection's `/chat` socket (a browser always has one).
    if s.overflowed() {
        services.hub.metrics().cut(Cut::OutboundOverflow);
    }
    let Some(identity) = identity else {
        return;
    };
    let user = &identity.user;
    let _busy = Busy::enter(&services.hub);
    services.chat.disconnected(&s.id.to_string(), user).await;
    tracing::debug!(user = %user.username, socket = %s.id, "chat socket disconnected");
}

/// `rooms`: the rooms the caller may join, as many as fit in one packet (by name).
async fn rooms(ctx: Ctx, _: RoomsReq) -> AppResult<RoomsRes> {
    let mut rooms = ctx.chat().directory(&ctx.user).await?;
    let more = fit(&mut rooms, list_budget(ctx.hub(), 0), false);
    rooms.sort_by_key(|room| room.name.to_lowercase());
    Ok(RoomsRes { rooms, more })
}

/// `create_room`.
async fn create_room(ctx: Ctx, req: CreateRoomReq) -> AppResult<CreateRoomRes> {
    let room = ctx
        .chat()
        .create_room(&ctx.actor(), &req.name, req.topic.as_deref(), req.private)
        .await?;
    Ok(CreateRoomRes { room })
}

/// `join`: the people present and the latest messages, as many as fit.
async fn join(ctx: Ctx, req: JoinReq) -> AppResult<JoinRes> {
    let chat = ctx.chat();
    let joined = chat.join(&ctx.connection(), &req.room, req.main).await?;
    let summary = chat.summary(&joined.room, &ctx.user).await?;
    let reserved = serde_json::to_vec(&summary).map_or(0, |json| json.len())
        + serde_json::to_vec(&joined.read).map_or(0, |json| json.len());
    // The people present get at most half of the packet (a page of long names can be larger
    // than all of it), so the latest messages always fit beside them.
    let mut members = joined.members;
    fit(&mut members, list_budget(ctx.hub(), reserved) / 2, false);
    let members_total =
        (joined.members_total > members.len()).then_some(joined.members_total as u64);
    let reserved = reserved + serde_json::to_vec(&members).map_or(0, |json| json.len());
    let mut history = joined.history;
    let more = fit(&mut history, list_budget(ctx.hub(), reserved), true);
    Ok(JoinRes {
        room: summary,
        members,
        history,
        members_total,
        more,
        read: joined.read,
    })
}

/// `leave`: this socket stops following the room.
async fn leave(ctx: Ctx, req: LeaveReq) -> AppResult<Empty> {
    ctx.chat().leave(&ctx.connection(), &req.room).await?;
    Ok(Empty {})
}

/// `members`: a page of the people present, as many as fit.
async fn members(ctx: Ctx, req: MembersReq) -> AppResult<MembersRes> {
    let offset = usize::try_from(req.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let (mut users, total) = ctx
        .chat()
        .members(&ctx.connection(), &req.room, offset)
        .await?;
    fit(&mut users, list_budget(ctx.hub(), 32), false);
    Ok(MembersRes {
        users,
        total: total as u64,
    })
}

/// `invite`.
async fn invite(ctx: Ctx, req: InviteReq) -> AppResult<Empty> {
    ctx.chat()
        .invite(&ctx.actor(), &req.room, &req.username)
        .await?;
    Ok(Empty {})
}

/// `dm`.
async fn dm(ctx: Ctx, req: DmReq) -> AppResult<CreateRoomRes> {
    let room = ctx.chat().dm(&ctx.actor(), &req.username).await?;
    Ok(CreateRoomRes { room })
}

/// `group_dm` (v1.20).
async fn group_dm(ctx: Ctx, req: GroupDmReq) -> AppResult<CreateRoomRes> {
    let room = ctx.chat().group_dm(&ctx.actor(), &req.usernames).await?;
    Ok(CreateRoomRes { room })
}

/// `leave_room`: give up membership of a private room.
async fn leave_room(ctx: Ctx, req: LeaveRoomReq) -> AppResult<Empty> {
    ctx.chat().leave_for_good(&ctx.user, &req.room).await?;
    Ok(Empty {})
}

/// `message`.
async fn message(ctx: Ctx, req: MessageReq) -> AppResult<MessageRes> {
    let message = ctx.chat().send(&ctx.connection(), &req).await?;
    Ok(MessageRes { message })
}

/// `edit`: the author's new text.
async fn edit(ctx: Ctx, req: EditReq) -> AppResult<EditRes> {
    let message = ctx.chat().edit(&ctx.actor(), req.id, &req.text).await?;
    Ok(EditRes { message })
}

/// `delete`.
async fn delete(ctx: Ctx, req: DeleteReq) -> AppResult<Empty> {
    ctx.chat().delete(&ctx.actor(), req.id).await?;
    Ok(Empty {})
}

/// `react`.
async fn react(ctx: Ctx, req: ReactReq) -> AppResult<Empty> {
    ctx.chat()
        .react(&ctx.actor(), req.id, &req.emoji, req.active)
        .await?;
    Ok(Empty {})
}

/// `changes`: what was edited, deleted or reacted to while the client was away, as many as
/// fit (the oldest changes; ask again from `until`).
async fn changes(ctx: Ctx, req: ChangesReq) -> AppResult<ChangesRes> {
    let (mut changed, more) = ctx
        .chat()
        .changes(&ctx.user, &req.room, req.since, req.limit)
        .await?;
    let cut = fit(&mut changed, list_budget(ctx.hub(), 64), false);
    // Resume after the last change listed.
    let until = changed.last().map_or(req.since, |(_, ts)| *ts);
    Ok(ChangesRes {
        messages: changed.into_iter().map(|(message, _)| message).collect(),
        until,
        more: more || cut,
    })
}

/// `typing`.
async fn typing(ctx: Ctx, req: TypingReq) -> AppResult<Empty> {
    ctx.chat().typing(&ctx.connection(), &req).await?;
    Ok(Empty {})
}

/// `history`: a page, cut short (with `more`) when it would not fit in one packet.
async fn history(ctx: Ctx, req: HistoryReq) -> AppResult<HistoryRes> {
    let mut messages = ctx.chat().history(&ctx.user, &req).await?;
    // Catching up (`after`) keeps the oldest, paging back keeps the newest: either way the
    // client asks again from the edge it received.
    let newest = req.after.is_none();
    let more = fit(&mut messages, list_budget(ctx.hub(), 0), newest);
    Ok(HistoryRes { messages, more })
}

/// `saved_rooms`: the caller's list of rooms with read markers, as many as fit.
async fn saved_rooms(ctx: Ctx, _: SavedRoomsReq) -> AppResult<SavedRoomsRes> {
    let mut rooms = ctx.chat().saved_rooms(&ctx.user).await?;
    let more = fit(&mut rooms, list_budget(ctx.hub(), 0), false);
    Ok(SavedRoomsRes { rooms, more })
}

/// `mark_room_read`: move the caller's read marker forward.
async fn mark_room_read(ctx: Ctx, req: MarkRoomReadReq) -> AppResult<ReadMarker> {
    ctx.chat()
        .mark_room_read(&ctx.user, &req.room, req.id)
        .await
}

/// `mark_thread_read`: move the caller's marker in a thread they follow forward (v1.23).
async fn mark_thread_read(ctx: Ctx, req: MarkThreadReadReq) -> AppResult<Empty> {
    ctx.chat()
        .mark_thread_read(&ctx.user, &req.room, req.root, req.id)
        .await?;
    Ok(Empty {})
}

/// `threads`: the threads the caller follows, with their unread replies (v1.30).
async fn threads(ctx: Ctx, req: protocol::ThreadsReq) -> AppResult<protocol::ThreadsRes> {
    let page = ctx.chat().threads(&ctx.user, req.before, req.limit).await?;
    let budget = list_budget(ctx.hub(), 64);
    Ok(page.answer(|threads| fit(threads, budget, false)))
}

/// `hide_room`: take a room out of the caller's list on every device.
async fn hide_room(ctx: Ctx, req: HideRoomReq) -> AppResult<Empty> {
    ctx.chat().hide_room(&ctx.user, &req.room).await?;
    Ok(Empty {})
}

/// `mute_room`: silence a room of the caller's list, or not.
async fn mute_room(ctx: Ctx, req: MuteRoomReq) -> AppResult<Empty> {
    ctx.chat()
        .mute_room(&ctx.user, &req.room, req.muted)
        .await?;
    Ok(Empty {})
}

/// `search`: the newest matches, as many as fit.
async fn search(ctx: Ctx, req: SearchReq) -> AppResult<SearchRes> {
    let mut results = ctx
        .chat()
        .search(&ctx.user, &req.q, req.room.as_deref(), req.limit)
        .await?;
    fit(&mut results, list_budget(ctx.hub(), 0), false);
    Ok(SearchRes { results })
}

/// `kick`: the room's creator or an admin removes a member from a private room.
async fn kick(ctx: Ctx, req: KickReq) -> AppResult<Empty> {
    ctx.chat()
        .kick(&ctx.actor(), &req.room, &req.username)
        .await?;
    Ok(Empty {})
}

/// `mute`: the room's creator or an admin mutes someone there for a time.
async fn mute(ctx: Ctx, req: MuteReq) -> AppResult<Empty> {
    ctx.chat()
        .mute(&ctx.actor(), &req.room, &req.username, req.minutes)
        .await?;
    Ok(Empty {})
}

/// `set_topic`: the room's creator or an admin changes its topic.
async fn set_topic(ctx: Ctx, req: SetTopicReq) -> AppResult<SetTopicRes> {
    let room = ctx
        .chat()
        .set_topic(&ctx.actor(), &req.room, req.topic.as_deref())
        .await?;
    Ok(SetTopicRes { room })
}

/// `block`: someone's DMs, invites and mentions no longer reach the caller (v1.11).
async fn block(ctx: Ctx, req: BlockReq) -> AppResult<Empty> {
    ctx.chat()
        .set_blocked(&ctx.actor(), &req.username, true)
        .await?;
    Ok(Empty {})
}

/// `unblock` (v1.11).
async fn unblock(ctx: Ctx, UnblockReq(req): UnblockReq) -> AppResult<Empty> {
    ctx.chat()
        .set_blocked(&ctx.actor(), &req.username, false)
        .await?;
    Ok(Empty {})
}

/// `blocks`: whom the caller blocks (v1.11).
async fn blocks(ctx: Ctx, _: BlocksReq) -> AppResult<Blocks> {
    let mut list = ctx.chat().blocks(&ctx.user).await?;
    fit(&mut list.users, list_budget(ctx.hub(), 0), false);
    Ok(list)
}

/// `find_people`: a page of the directory (v1.12).
async fn people(ctx: Ctx, req: PeopleReq) -> AppResult<PeopleRes> {
    let mut page = ctx.chat().people(&req).await?;
    if fit(&mut page.people, list_budget(ctx.hub(), 0), false) {
        page.more = true;
    }
    Ok(page)
}

/// `profiles`: how people show (v1.25).
async fn profiles(ctx: Ctx, req: ProfilesReq) -> AppResult<ProfilesRes> {
    ctx.chat().profiles(&req).await
}

/// `set_display_name`: the caller's display name (v1.26).
async fn set_display_name(ctx: Ctx, req: SetDisplayNameReq) -> AppResult<Profile> {
    ctx.chat().set_display_name(&ctx.actor(), &req.name).await
}

/// `set_status`: the caller's status line (v1.13).
async fn set_status(ctx: Ctx, req: SetStatusReq) -> AppResult<Empty> {
    ctx.chat().set_status(&ctx.actor(), &req.status).await?;
    Ok(Empty {})
}

/// `activity`: the person is at the keyboard (v1.21). Advisory: a failure to record it is
/// logged, never answered (it would reach the person as an error about nothing they did).
async fn activity(ctx: Ctx, _: ActivityReq) -> AppResult<Empty> {
    if let Err(error) = ctx.chat().activity(&ctx.actor()).await {
        tracing::warn!(%error, "recording activity");
    }
    Ok(Empty {})
}

/// `pin`: a moderator pins a message in its room, or unpins it (v1.14).
async fn pin(ctx: Ctx, req: PinReq) -> AppResult<Empty> {
    ctx.chat().pin(&ctx.actor(), req.id, req.pinned).await?;
    Ok(Empty {})
}

/// `pins`: a room's pinned messages (v1.14).
async fn pins(ctx: Ctx, req: PinsReq) -> AppResult<PinsRes> {
    let mut messages = ctx.chat().pins(&ctx.user, &req.room).await?;
    let more = fit(&mut messages, list_budget(ctx.hub(), 0), false);
    Ok(PinsRes { messages, more })
}

/// `save_message`: the caller's saved list (v1.15).
async fn save_message(ctx: Ctx, req: SaveMessageReq) -> AppResult<Empty> {
    ctx.chat()
        .save_message(&ctx.actor(), req.id, req.saved)
        .await?;
    Ok(Empty {})
}

/// `saved_messages`: a page of the caller's saved list, cut to fit one packet (v1.15).
async fn saved_messages(ctx: Ctx, req: SavedMessagesReq) -> AppResult<SavedMessagesRes> {
    let mut page = ctx
        .chat()
        .saved_messages(&ctx.user, req.before, req.limit)
        .await?;
    if fit(&mut page.items, list_budget(ctx.hub(), 64), false) {
        // Resume after the last one that fitted.
        page.next = page.items.last().map(|item| item.saved_ts);
    }
    Ok(page)
}

/// `create_webhook`: a moderator makes an incoming webhook for a room (v1.19).
async fn create_webhook(ctx: Ctx, req: CreateWebhookReq) -> AppResult<CreateWebhookRes> {
    ctx.chat()
        .create_webhook(&ctx.actor(), &req.room, &req.name)
        .await
}

/// `webhooks`: a room's webhooks, to its moderators (v1.19).
async fn webhooks(ctx: Ctx, req: WebhooksReq) -> AppResult<WebhooksRes> {
    let webhooks = ctx.chat().webhooks(&ctx.actor(), &req.room).await?;
    Ok(WebhooksRes { webhooks })
}

/// `delete_webhook`: a moderator deletes one of a room's webhooks (v1.19).
async fn delete_webhook(ctx: Ctx, req: DeleteWebhookReq) -> AppResult<Empty> {
    ctx.chat().delete_webhook(&ctx.actor(), &req.id).await?;
    Ok(Empty {})
}

/// `create_bot`: a person makes a bot and gets its API token (v1.28).
async fn create_bot(ctx: Ctx, req: protocol::CreateBotReq) -> AppResult<protocol::BotTokenRes> {
    ctx.chat().create_bot(&ctx.actor(), &req.name).await
}

/// `bots`: the caller's bots, or every bot for an admin (v1.28).
async fn bots(ctx: Ctx, _req: protocol::BotsReq) -> AppResult<protocol::BotsRes> {
    let bots = ctx.chat().bots(&ctx.actor()).await?;
    Ok(protocol::BotsRes { bots })
}

/// `bot_token`: a new API token for one of the caller's bots (v1.28).
async fn bot_token(ctx: Ctx, req: protocol::BotTokenReq) -> AppResult<protocol::BotTokenRes> {
    ctx.chat().bot_token(&ctx.actor(), req.id).await
}

/// `delete_bot`: one of the caller's bots goes (v1.28).
async fn delete_bot(ctx: Ctx, req: protocol::DeleteBotReq) -> AppResult<Empty> {
    ctx.chat().delete_bot(&ctx.actor(), req.id).await?;
    Ok(Empty {})
}

/// `register_command`: a bot registers a slash command (v1.29).
async fn register_command(
    ctx: Ctx,
    req: protocol::RegisterCommandReq,
) -> AppResult<protocol::RegisterCommandRes> {
    ctx.chat().register_command(&ctx.actor(), &req).await
}

/// `unregister_command`: a bot removes one of its commands (v1.29).
async fn unregister_command(ctx: Ctx, req: protocol::UnregisterCommandReq) -> AppResult<Empty> {
    ctx.chat()
        .unregister_command(&ctx.actor(), &req.name)
        .await?;
    Ok(Empty {})
}

/// `commands`: every bot command (v1.29).
async fn commands(ctx: Ctx, _req: protocol::CommandsReq) -> AppResult<protocol::CommandsRes> {
    let commands = ctx.chat().commands().await?;
    Ok(protocol::CommandsRes { commands })
}

/// `run_command`: someone uses a bot's command in a room (v1.29).
async fn run_command(ctx: Ctx, req: protocol::RunCommandReq) -> AppResult<protocol::RunCommandRes> {
    ctx.chat().run_command(&ctx.connection(), &req).await
}
