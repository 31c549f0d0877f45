//! Bots (v1.28) and their slash commands (v1.29): accounts that programs use through this same
//! contract with an API token, and commands (`/deploy main`) people type that the server passes
//! to a bot's web address.

use serde::{Deserialize, Serialize};

use super::{Author, Message};

/// A bot: an account a person made for a program, which signs in with an API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bot {
    /// The bot's account id.
    pub id: i64,
    /// Its name (a username, §4).
    pub username: String,
    /// Who made it (absent once that account is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Author>,
    /// When it was made.
    pub created_ts: i64,
}

/// `create_bot` request (v1.28): a new bot named `name`, owned by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateBotReq {
    /// The bot's name: a free username (§4), e.g. `deploy-bot`.
    pub name: String,
}

/// `create_bot` and `bot_token` ack body: the bot and a new API token (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotTokenRes {
    /// The bot.
    pub bot: Bot,
    /// Its API token: `auth: {token}` on CONNECT, or `Authorization: Bearer` over HTTP.
    pub token: String,
}

/// `bots` request (v1.28): the caller's bots (an admin's: every bot).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotsReq {}

/// `bots` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotsRes {
    /// The bots, the newest first.
    pub bots: Vec<Bot>,
}

/// `bot_token` request (v1.28): a new token for bot `id`; every earlier one stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotTokenReq {
    /// The bot's id.
    pub id: i64,
}

/// `delete_bot` request (v1.28): the bot signs in no more; its messages stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteBotReq {
    /// The bot's id.
    pub id: i64,
}

/// A slash command a bot answers (v1.29).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotCommand {
    /// Its name, without the `/`: `deploy` for `/deploy`.
    pub name: String,
    /// What it does, for `/help` and completion.
    pub description: String,
    /// The bot that answers it.
    pub bot: Author,
}

/// `register_command` request (v1.29), from a bot: people's `/name …` goes to `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterCommandReq {
    /// The command's name (§4: 1–32 of `a-z`, `0-9`, `-`, `_`, starting with a letter).
    pub name: String,
    /// What it does: one line, 1–100 characters.
    pub description: String,
    /// Where the server posts each use: an absolute `http(s)` address.
    pub url: String,
}

/// `register_command` ack body: the command, and the secret the server signs its calls with
/// (shown this once; a new registration makes a new one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterCommandRes {
    /// The command.
    pub command: BotCommand,
    /// The signing secret (see [`CommandCall`]).
    pub secret: String,
}

/// `unregister_command` request (v1.29), from the bot that registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnregisterCommandReq {
    /// The command's name.
    pub name: String,
}

/// `commands` request (v1.29): every bot command of the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandsReq {}

/// `commands` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandsRes {
    /// In the order of their names.
    pub commands: Vec<BotCommand>,
}

/// `commands_changed` event (v1.29): a bot command was registered, changed or removed; a
/// client that shows them asks `commands` again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandsChanged {}

/// `run_command` request (v1.29): a person uses a bot's command in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCommandReq {
    /// Room name.
    pub room: String,
    /// The command's name, without the `/`.
    pub name: String,
    /// What follows the name (may be empty).
    #[serde(default)]
    pub text: String,
    /// The thread it was typed in (its root's id), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
}

/// `run_command` ack body: what the bot answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCommandRes {
    /// An answer for the caller alone (`visibility: "caller"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// The message the bot's answer became in the room (`visibility: "room"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

/// What the server posts to a command's address (v1.29), as JSON, with the headers
/// `X-Tertulia-Timestamp` (ms) and `X-Tertulia-Signature: v1=<hex HMAC-SHA256 of
/// "<timestamp>.<body>" with the command's secret>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandCall {
    /// The command's name.
    pub command: String,
    /// What the person typed after it.
    pub text: String,
    /// The room it was typed in.
    pub room: String,
    /// The thread, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// Who typed it.
    pub user: Author,
    /// When (ms).
    pub ts: i64,
}

/// Who sees a command's answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The person who typed the command, alone.
    #[default]
    Caller,
    /// Everyone in the room: a message from the bot.
    Room,
}

/// What a command's address answers (v1.29): `200` with this JSON, or `204`/an empty body for
/// nothing to say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandAnswer {
    /// The answer's text (the rules of `message`).
    #[serde(default)]
    pub text: Option<String>,
    /// Who sees it (default: the caller).
    #[serde(default)]
    pub visibility: Visibility,
}
