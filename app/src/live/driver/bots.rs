//! Bots (v1.28) and their slash commands (v1.29): the account menu's bots dialog asks through
//! here, and the composer runs commands. The workspace's commands are kept once asked for,
//! and forgotten when the server says they changed (or after a reconnect, which may have missed
//! that), so they are asked for again only when next needed.

use protocol::{
    Bot, BotCommand, BotTokenReq, BotTokenRes, BotsReq, CommandsReq, CreateBotReq, DeleteBotReq,
    RunCommandReq, RunCommandRes,
};

use super::*;

impl Chat {
    /// The bots the user manages, the newest first.
    pub fn bots(&self, answer: impl FnOnce(Result<Vec<Bot>, String>) + 'static) {
        self.ask(BotsReq {}, |result| answer(result.map(|res| res.bots)));
    }

    /// Makes a bot named `name`: the answer holds its API token.
    pub fn create_bot(
        &self,
        name: String,
        answer: impl FnOnce(Result<BotTokenRes, String>) + 'static,
    ) {
        self.ask(CreateBotReq { name }, answer);
    }

    /// A new API token for bot `id` (the old one stops working).
    pub fn bot_token(&self, id: i64, answer: impl FnOnce(Result<BotTokenRes, String>) + 'static) {
        self.ask(BotTokenReq { id }, answer);
    }

    /// Deletes bot `id`.
    pub fn delete_bot(&self, id: i64, answer: impl FnOnce(Result<(), String>) + 'static) {
        self.ask(DeleteBotReq { id }, |result| answer(result.map(|_| ())));
    }

    /// The workspace's bot commands, asked for if not known; `answer` gets them (`None` when
    /// they cannot be had now: offline, or the server did not answer).
    pub fn with_commands(&self, answer: impl FnOnce(Option<&[BotCommand]>) + 'static) {
        if let Some(known) = self.bot_commands.get_untracked() {
            answer(Some(&known));
            return;
        }
        let chat = *self;
        self.ask(CommandsReq {}, move |result| match result {
            Ok(res) => {
                chat.bot_commands.set(Some(res.commands.clone()));
                answer(Some(&res.commands));
            }
            Err(_) => answer(None),
        });
    }

    /// Forgets the commands: they are asked for again when next needed.
    pub(super) fn forget_commands(&self) {
        self.bot_commands.set(None);
    }

    /// Runs the bot command `/name text` in `room` (in the thread of `thread`): `answer` gets
    /// the bot's answer.
    pub fn run_command(
        &self,
        room: String,
        name: String,
        text: String,
        thread: Option<i64>,
        answer: impl FnOnce(Result<RunCommandRes, String>) + 'static,
    ) {
        let request = RunCommandReq {
            room,
            name,
            text,
            thread,
        };
        self.ask(request, answer);
    }
}
