//! Bots and their slash commands over loopback (v1.28, v1.29): a person makes a bot, a
//! program signs in with its token and speaks the contract; a bot registers a command, people
//! use it in a room and the server passes each use to the bot's address (a local HTTP server
//! here), signed, and the answer back. Who may do what, and what stops a bot.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use protocol::events::{GENERAL_ROOM, admin, chat};
use protocol::{
    BanReq, BotTokenReq, BotTokenRes, BotsReq, CommandCall, CommandsChanged, CommandsReq,
    CreateBotReq, CreateRoomReq, DeleteBotReq, ErrorCode, HistoryReq, InviteReq, Message, MuteReq,
    RegisterCommandReq, RegisterCommandRes, Role, RunCommandReq, SetRoleReq, UnbanReq,
    UnregisterCommandReq, User,
};
use tokio::sync::mpsc;

use crate::common::{Socket, TestServer, auth};

/// A registered account on `/chat` (the first account of a server is its admin: tests make
/// theirs first), with its token.
async fn member(server: &TestServer, name: &str) -> (Socket, User, String) {
    let (user, token) = server.register(name, "correct horse battery").await;
    let socket = Socket::connect(server, chat::NS, auth(&token), &[])
        .await
        .unwrap();
    (socket, user, token)
}

fn make_bot(name: &str) -> CreateBotReq {
    CreateBotReq { name: name.into() }
}

/// A server whose bots may live on this machine.
async fn server() -> TestServer {
    TestServer::spawn_with(|config| {
        config.bot_callback_allow = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await
}

/// A call the bot's program received: its headers and body.
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// The bot's program: answers `/<how>` as its name says, and hands every call to the test.
async fn program() -> (SocketAddr, mpsc::UnboundedReceiver<Received>) {
    let (calls, received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/{how}", post(answer))
        .with_state(calls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, received)
}

async fn answer(
    State(calls): State<mpsc::UnboundedSender<Received>>,
    Path(how): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call: CommandCall = serde_json::from_slice(&body).unwrap();
    calls.send(Received { headers, body }).unwrap();
    let json = |body: String| ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    match how.as_str() {
        "room" => json(format!(
            r#"{{"text":"deploying {} for {}","visibility":"room"}}"#,
            call.text, call.user.username
        )),
        "caller" => json(r#"{"text":"only you see this"}"#.into()),
        "silent" => StatusCode::NO_CONTENT.into_response(),
        "fails" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        "html" => ([(header::CONTENT_TYPE, "text/html")], "<p>hi</p>").into_response(),
        "huge" => json(format!(r#"{{"text":"{}"}}"#, "x".repeat(20_000))),
        "redirect" => (StatusCode::FOUND, [(header::LOCATION, "/room")]).into_response(),
        "garbage" => json("[1, 2".into()),
        "script" => json(r#"{"text":"<script>alert(1)</script>"}"#.into()),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A bot of `owner` named `name`, connected to `/chat`: its socket, account and token.
async fn connected_bot(server: &TestServer, owner: &Socket, name: &str) -> (Socket, BotTokenRes) {
    let made: BotTokenRes = owner.ok(&make_bot(name)).await;
    let socket = Socket::connect(server, chat::NS, auth(&made.token), &[])
        .await
        .unwrap();
    (socket, made)
}

fn register(name: &str, url: String) -> RegisterCommandReq {
    RegisterCommandReq {
        name: name.into(),
        description: "Deploys a branch".into(),
        url,
    }
}

fn run(room: &str, name: &str, text: &str) -> RunCommandReq {
    RunCommandReq {
        room: room.into(),
        name: name.into(),
        text: text.into(),
        thread: None,
    }
}

#[tokio::test]
async fn a_bot_signs_in_with_its_token_and_speaks_the_contract() {
    let server = server().await;
    member(&server, "chief").await;
    let (mut ana, ana_user, _) = member(&server, "ana").await;
    let (bea, _, _) = member(&server, "bea").await;
    ana.join(GENERAL_ROOM).await;
    let (bot, made) = connected_bot(&server, &ana, "deploy-bot").await;
    assert_eq!(made.bot.username, "deploy-bot");
    assert_eq!(made.bot.owner.as_ref().unwrap().id, ana_user.id);
    assert!(made.token.len() >= 40, "a fresh 256-bit token");

    bot.join(GENERAL_ROOM).await;
    let said = bot.say(GENERAL_ROOM, "hello from a program").await.unwrap();
    assert!(said.message.bot, "the answer says it is a bot's message");
    let seen: Message = ana
        .next_where(|m: &Message| m.text == "hello from a program")
        .await;
    assert!(seen.bot, "the room sees a bot's message");
    assert_eq!(seen.user.username, "deploy-bot");
    let history = ana
        .ok(&HistoryReq {
            room: GENERAL_ROOM.into(),
            ..HistoryReq::default()
        })
        .await;
    let stored = history.messages.iter().find(|m| m.id == seen.id).unwrap();
    assert!(stored.bot);

    // Everyone finds it in the directory, marked a bot (v1.33), and can write to it.
    let found = bea
        .ok(&protocol::PeopleReq {
            q: Some("deploy-bot".into()),
            ..protocol::PeopleReq::default()
        })
        .await;
    let listed: Vec<(String, bool)> = found
        .people
        .iter()
        .map(|p| (p.user.username.clone(), p.bot))
        .collect();
    assert_eq!(listed, [("deploy-bot".to_owned(), true)]);
    bea.ok(&protocol::DmReq {
        username: "deploy-bot".into(),
    })
    .await;
    // Its owner lists it; nobody else learns of it or manages it.
    let listed = ana.ok(&BotsReq {}).await;
    assert_eq!(listed.bots, vec![made.bot.clone()]);
    assert!(bea.ok(&BotsReq {}).await.bots.is_empty());
    let id = made.bot.id;
    assert_eq!(bea.refused(&BotTokenReq { id }).await, ErrorCode::NotFound);
    assert_eq!(bea.refused(&DeleteBotReq { id }).await, ErrorCode::NotFound);
    // A bot makes no bot; a guest neither; a taken name is refused.
    assert_eq!(
        bot.refused(&make_bot("sub-bot")).await,
        ErrorCode::Forbidden
    );
    let (guest, _) = server.chat_guest("gus").await;
    assert_eq!(
        guest.refused(&make_bot("gus-bot")).await,
        ErrorCode::Forbidden
    );
    assert_eq!(ana.refused(&make_bot("BEA")).await, ErrorCode::Conflict);
    assert_eq!(
        ana.refused(&make_bot("no spaces")).await,
        ErrorCode::BadRequest
    );
}

#[tokio::test]
async fn a_new_token_or_deleting_the_bot_ends_its_sockets() {
    let server = server().await;
    member(&server, "chief").await;
    let (ana, _, _) = member(&server, "ana").await;
    let (mut bot, made) = connected_bot(&server, &ana, "ci").await;
    let id = made.bot.id;

    let renewed: BotTokenRes = ana.ok(&BotTokenReq { id }).await;
    assert_ne!(renewed.token, made.token);
    assert!(
        bot.disconnected().await,
        "the old token's socket is cut off"
    );
    assert!(
        Socket::connect(&server, chat::NS, auth(&made.token), &[])
            .await
            .is_err(),
        "the old token no longer signs in"
    );
    let mut bot = Socket::connect(&server, chat::NS, auth(&renewed.token), &[])
        .await
        .unwrap();
    // Over HTTP too: the token is a bearer credential.
    let me = server
        .get(
            protocol::links::EXPORT,
            &[("authorization", &format!("Bearer {}", renewed.token))],
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);

    ana.ok(&DeleteBotReq { id }).await;
    assert!(bot.disconnected().await);
    assert!(
        Socket::connect(&server, chat::NS, auth(&renewed.token), &[])
            .await
            .is_err()
    );
    assert!(ana.ok(&BotsReq {}).await.bots.is_empty());
    assert_eq!(ana.refused(&DeleteBotReq { id }).await, ErrorCode::NotFound);
    // Its name is free again.
    ana.ok(&make_bot("ci")).await;
}

#[tokio::test]
async fn the_owner_s_ban_stops_the_bot_and_a_bot_is_never_promoted() {
    let server = server().await;
    let (_, _, chief_token) = member(&server, "chief").await;
    let (ana, _, _) = member(&server, "ana").await;
    let (bea, _, _) = member(&server, "bea").await;
    let (mut bot, made) = connected_bot(&server, &ana, "helper").await;
    let admin = Socket::connect(&server, admin::NS, auth(&chief_token), &[])
        .await
        .unwrap();
    let promote = SetRoleReq {
        username: "helper".into(),
        role: Role::Admin,
    };
    assert_eq!(admin.refused(&promote).await, ErrorCode::BadRequest);

    let ban = BanReq {
        username: "ana".into(),
        ..BanReq::default()
    };
    admin.ok(&ban).await;
    assert!(
        bot.disconnected().await,
        "the owner's ban cuts their bot off"
    );
    assert!(
        Socket::connect(&server, chat::NS, auth(&made.token), &[])
            .await
            .is_err()
    );
    // Nor can anyone write to it meanwhile (the directory leaves it out too).
    let to_bot = protocol::DmReq {
        username: "helper".into(),
    };
    assert_eq!(bea.refused(&to_bot).await, ErrorCode::NotFound);
    admin.ok(&UnbanReq(ban)).await;
    bea.ok(&to_bot).await;
    Socket::connect(&server, chat::NS, auth(&made.token), &[])
        .await
        .expect("the token holds again after the unban");
    // An admin manages every bot.
    let chief = Socket::connect(&server, chat::NS, auth(&chief_token), &[])
        .await
        .unwrap();
    assert_eq!(chief.ok(&BotsReq {}).await.bots, vec![made.bot.clone()]);
    chief.ok(&DeleteBotReq { id: made.bot.id }).await;
}

#[tokio::test]
async fn a_command_goes_to_the_bot_s_address_signed_and_its_answer_comes_back() {
    let server = server().await;
    let (program, mut calls) = program().await;
    member(&server, "chief").await;
    let (ana, ana_user, _) = member(&server, "ana").await;
    let (mut bea, _, _) = member(&server, "bea").await;
    ana.join(GENERAL_ROOM).await;
    bea.join(GENERAL_ROOM).await;
    let (bot, _) = connected_bot(&server, &ana, "deployer").await;

    let RegisterCommandRes { command, secret } = bot
        .ok(&register("deploy", format!("http://{program}/room")))
        .await;
    assert_eq!(command.name, "deploy");
    assert_eq!(command.bot.username, "deployer");
    let _: CommandsChanged = bea.next().await;
    let listed = bea.ok(&CommandsReq {}).await;
    assert_eq!(listed.commands, vec![command.clone()]);

    // Into the room: a message from the bot, which everyone there gets.
    let ran = ana.ok(&run(GENERAL_ROOM, "deploy", "  main ")).await;
    let message = ran.message.expect("the bot answered into the room");
    assert!(ran.reply.is_none());
    assert_eq!(message.text, "deploying main for ana");
    assert_eq!(message.user.username, "deployer");
    assert!(message.bot);
    let seen: Message = bea.next_where(|m: &Message| m.id == message.id).await;
    assert!(seen.bot);

    // What the program got: the call, signed with the command's secret.
    let got = calls.recv().await.unwrap();
    let call: CommandCall = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(call.command, "deploy");
    assert_eq!(call.text, "main");
    assert_eq!(call.room, GENERAL_ROOM);
    assert_eq!(call.user.id, ana_user.id);
    let timestamp = got.headers["x-tertulia-timestamp"].to_str().unwrap();
    assert_eq!(timestamp, call.ts.to_string());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&got.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        got.headers["x-tertulia-signature"].to_str().unwrap(),
        format!("v1={expected}")
    );

    // To the caller alone: the answer comes in the ack, and the room gets nothing (bea's
    // next message is the one ana sends after).
    bot.ok(&register("whisper", format!("http://{program}/caller")))
        .await;
    let ran = ana.ok(&run(GENERAL_ROOM, "whisper", "")).await;
    assert_eq!(ran.reply.as_deref(), Some("only you see this"));
    assert!(ran.message.is_none());
    let after = ana.say(GENERAL_ROOM, "after the whisper").await.unwrap();
    let next: Message = bea.next().await;
    assert_eq!(next.id, after.message.id);
    // Nothing to say is an empty answer.
    bot.ok(&register("quiet", format!("http://{program}/silent")))
        .await;
    let ran = ana.ok(&run(GENERAL_ROOM, "quiet", "x")).await;
    assert_eq!((ran.reply, ran.message), (None, None));
    // A bot's text is text: markup stays letters.
    bot.ok(&register("markup", format!("http://{program}/script")))
        .await;
    let ran = ana.ok(&run(GENERAL_ROOM, "markup", "")).await;
    assert_eq!(ran.reply.as_deref(), Some("<script>alert(1)</script>"));

    // Removing it: gone from the list, and using it is `not_found`.
    bot.ok(&UnregisterCommandReq {
        name: "deploy".into(),
    })
    .await;
    let names: Vec<String> = ana
        .ok(&CommandsReq {})
        .await
        .commands
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(!names.contains(&"deploy".to_owned()), "{names:?}");
    assert_eq!(
        ana.refused(&run(GENERAL_ROOM, "deploy", "main")).await,
        ErrorCode::NotFound
    );
    while let Ok(_call) = calls.try_recv() {}
}

#[tokio::test]
async fn commands_are_judged_like_messages_and_bad_answers_are_told() {
    let server = server().await;
    let (program, _calls) = program().await;
    let (_, _, chief_token) = member(&server, "chief").await;
    let (ana, _, _) = member(&server, "ana").await;
    let (bea, _, _) = member(&server, "bea").await;
    ana.join(GENERAL_ROOM).await;
    let (bot, _) = connected_bot(&server, &ana, "helper").await;
    let (other_bot, _) = connected_bot(&server, &bea, "rival").await;

    // Registering: bots only, no built-in name, one bot per name, an address it may call.
    let url = |how: &str| format!("http://{program}/{how}");
    assert_eq!(
        ana.refused(&register("deploy", url("room"))).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        bot.refused(&register("topic", url("room"))).await,
        ErrorCode::Conflict
    );
    assert_eq!(
        bot.refused(&register("Deploy", url("room"))).await,
        ErrorCode::BadRequest
    );
    assert_eq!(
        bot.refused(&register("deploy", "ftp://x/y".into())).await,
        ErrorCode::BadRequest
    );
    bot.ok(&register("deploy", url("room"))).await;
    assert_eq!(
        other_bot.refused(&register("deploy", url("room"))).await,
        ErrorCode::Conflict
    );
    assert_eq!(
        other_bot
            .refused(&UnregisterCommandReq {
                name: "deploy".into()
            })
            .await,
        ErrorCode::NotFound
    );

    // Using: a room you joined, a command that exists.
    assert_eq!(
        ana.refused(&run(GENERAL_ROOM, "nothing", "")).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        bea.refused(&run(GENERAL_ROOM, "deploy", "")).await,
        ErrorCode::NotMember
    );
    // A private room's talk reaches only a bot that is in it.
    ana.ok(&CreateRoomReq {
        name: "ops".into(),
        topic: None,
        private: true,
    })
    .await;
    ana.join("ops").await;
    assert_eq!(
        ana.refused(&run("ops", "deploy", "")).await,
        ErrorCode::Forbidden
    );
    ana.ok(&InviteReq {
        room: "ops".into(),
        username: "helper".into(),
    })
    .await;
    let ran = ana.ok(&run("ops", "deploy", "prod")).await;
    assert_eq!(ran.message.unwrap().room, "ops");
    // A muted person cannot speak through a bot.
    let chief = Socket::connect(&server, chat::NS, auth(&chief_token), &[])
        .await
        .unwrap();
    chief
        .ok(&MuteReq {
            room: GENERAL_ROOM.into(),
            username: "ana".into(),
            minutes: 5,
        })
        .await;
    assert_eq!(
        ana.refused(&run(GENERAL_ROOM, "deploy", "")).await,
        ErrorCode::Forbidden
    );

    // Answers that are not answers: told as `unavailable`, nothing reaches the room.
    for how in ["fails", "html", "huge", "redirect", "garbage"] {
        let name = format!("bad-{how}");
        bot.ok(&register(&name, url(how))).await;
        let answer = ana.call(&run("ops", &name, "")).await.unwrap_err();
        assert_eq!(answer.code, ErrorCode::Unavailable, "{how}: {answer:?}");
        assert!(answer.message.contains("@helper"), "{}", answer.message);
        bot.ok(&UnregisterCommandReq { name }).await;
    }
}

#[tokio::test]
async fn a_bot_s_address_must_be_public_unless_the_operator_allows_its_network() {
    let server = TestServer::spawn().await;
    member(&server, "chief").await;
    let (ana, _, _) = member(&server, "ana").await;
    let (bot, _) = connected_bot(&server, &ana, "local").await;
    for url in [
        "http://127.0.0.1:9/x",
        "http://10.0.0.1/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
    ] {
        assert_eq!(
            bot.refused(&register("probe", url.into())).await,
            ErrorCode::BadRequest,
            "{url}"
        );
    }
    // A name is judged when it is resolved, at each use: `localhost` registers, and using it
    // is refused without a request.
    bot.ok(&register("probe", "http://localhost:9/x".into()))
        .await;
    ana.join(GENERAL_ROOM).await;
    let refused = ana.call(&run(GENERAL_ROOM, "probe", "")).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Unavailable);
    // Told as any unreachable address: a bot's owner does not learn the operator's network.
    assert!(
        refused.message.contains("could not be reached"),
        "{}",
        refused.message
    );
}

#[tokio::test]
async fn a_demoted_admin_manages_only_their_own_bots_at_once() {
    let server = server().await;
    let (_, _, chief_token) = member(&server, "chief").await;
    let (ana, _, _) = member(&server, "ana").await;
    let (bea, _, _) = member(&server, "bea").await;
    let made: BotTokenRes = ana.ok(&make_bot("anas-bot")).await;
    let admin = Socket::connect(&server, admin::NS, auth(&chief_token), &[])
        .await
        .unwrap();
    let role = |role| SetRoleReq {
        username: "bea".into(),
        role,
    };
    admin.ok(&role(Role::Admin)).await;
    // Bea's `/chat` socket stays connected through both changes: what she may do follows
    // the role as stored.
    assert_eq!(bea.ok(&BotsReq {}).await.bots, vec![made.bot.clone()]);
    admin.ok(&role(Role::Member)).await;
    assert!(bea.ok(&BotsReq {}).await.bots.is_empty());
    let id = made.bot.id;
    assert_eq!(bea.refused(&BotTokenReq { id }).await, ErrorCode::NotFound);
    assert_eq!(bea.refused(&DeleteBotReq { id }).await, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_bot_makes_no_webhook_and_its_own_deletion_frees_its_commands() {
    let server = server().await;
    let (program, _calls) = program().await;
    member(&server, "chief").await;
    let (ana, _, _) = member(&server, "ana").await;
    let (bot, made) = connected_bot(&server, &ana, "builder").await;
    bot.ok(&CreateRoomReq {
        name: "bot-room".into(),
        topic: None,
        private: false,
    })
    .await;
    let webhook = protocol::CreateWebhookReq {
        room: "bot-room".into(),
        name: "sneaky".into(),
    };
    assert_eq!(bot.refused(&webhook).await, ErrorCode::Forbidden);

    bot.ok(&register("build", format!("http://{program}/room")))
        .await;
    // The bot deletes its own account (it has no password to give).
    let deleted = server
        .api::<protocol::http::DeleteAccount>(
            &protocol::http::DeleteAccountReq {
                password: None,
                messages: protocol::MessagesOnDelete::Keep,
            },
            &[("authorization", &format!("Bearer {}", made.token))],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
    assert!(ana.ok(&BotsReq {}).await.bots.is_empty());
    assert!(ana.ok(&CommandsReq {}).await.commands.is_empty());
    let (other, _) = connected_bot(&server, &ana, "builder2").await;
    other
        .ok(&register("build", format!("http://{program}/room")))
        .await;
}

#[tokio::test]
async fn everyone_hears_the_commands_changed_when_a_bot_s_owner_is_banned() {
    let server = server().await;
    let (program, _calls) = program().await;
    let (_, _, chief_token) = member(&server, "chief").await;
    let (ana, _, _) = member(&server, "ana").await;
    let (mut bea, _, _) = member(&server, "bea").await;
    let (bot, _) = connected_bot(&server, &ana, "helper").await;
    bot.ok(&register("help-me", format!("http://{program}/caller")))
        .await;
    let _: CommandsChanged = bea.next().await;
    let admin = Socket::connect(&server, admin::NS, auth(&chief_token), &[])
        .await
        .unwrap();
    let ban = BanReq {
        username: "ana".into(),
        ..BanReq::default()
    };
    admin.ok(&ban).await;
    let _: CommandsChanged = bea.next().await;
    assert!(bea.ok(&CommandsReq {}).await.commands.is_empty());
    admin.ok(&UnbanReq(ban)).await;
    let _: CommandsChanged = bea.next().await;
    assert_eq!(bea.ok(&CommandsReq {}).await.commands.len(), 1);
}
