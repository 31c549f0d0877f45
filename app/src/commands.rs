//! Slash commands typed in the message box (`/me waves`, `/topic Release day`), read without
//! I/O: [`parse`] says what a line asks for, the composer does it. Text that is no command is
//! a message as typed; `//` at the start sends a message that starts with `/`.

use protocol::slash;

/// What a line typed in the message box asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// An ordinary message (maybe with its leading `/` unescaped).
    Say(String),
    /// `/me waves`: a message shown as an action of its author ("ana waves"), sent as
    /// `/me waves` (see [`action`]).
    Me(String),
    /// `/shrug [text]`: the text followed by ¯\\_(ツ)_/¯.
    Shrug(String),
    /// `/topic [text]`: the room's topic (none clears it).
    Topic(String),
    /// `/invite name`: invite someone to the room on screen.
    Invite(String),
    /// `/dm name`: open the direct conversation with someone.
    Dm(String),
    /// `/dm ana bea`: open the group conversation with these people (commas allowed).
    GroupDm(Vec<String>),
    /// `/status [text]`: your status line (none clears it).
    Status(String),
    /// `/mute` or `/unmute`: this room's toasts.
    Mute(bool),
    /// `/leave`: leave the room for good.
    Leave,
    /// `/help`: what can be typed.
    Help,
    /// `/deploy main`: a command some bot answers, maybe (v1.29): its name (lower case) and
    /// what follows it.
    Bot {
        /// The command's name.
        name: String,
        /// What follows the name.
        text: String,
    },
    /// A command that needs an argument it did not get: its usage.
    Usage(&'static str),
}

/// Every command with what it does, for `/help`.
pub const HELP: &[(&str, &str)] = &[
    ("/me text", "say what you do (“ana waves”)"),
    ("/shrug [text]", "append ¯\\_(ツ)_/¯"),
    ("/topic [text]", "set the room's topic, or clear it"),
    ("/invite name", "invite someone to this private room"),
    (
        "/dm name [name…]",
        "write to someone directly, or to a group",
    ),
    ("/status [text]", "set your status line, or clear it"),
    ("/mute, /unmute", "silence this room's toasts, or not"),
    ("/leave", "leave this room"),
    ("//text", "send text that starts with /"),
];

/// The shrug, as sent: its backslash and underscores escaped, so it reads ¯\\_(ツ)_/¯ rather
/// than an italic (ツ).
pub const SHRUG: &str = r"¯\\\_(ツ)\_/¯";

/// What `line` asks for.
#[must_use]
pub fn parse(line: &str) -> Command {
    let trimmed = line.trim_start();
    let Some(rest) = trimmed.strip_prefix('/') else {
        return Command::Say(line.to_owned());
    };
    if rest.starts_with('/') {
        return Command::Say(rest.to_owned());
    }
    // A path or a smiley is not a command: `/usr/bin`, `/ 2`, `/)`.
    let (name, argument) = match rest.split_once(char::is_whitespace) {
        Some((name, argument)) => (name, argument.trim()),
        None => (rest, ""),
    };
    let lower = name.to_ascii_lowercase();
    if !protocol::validate::is_command_name(&lower) {
        return Command::Say(line.to_owned());
    }
    match lower.as_str() {
        slash::ME if argument.is_empty() => Command::Usage("/me text"),
        slash::ME => Command::Me(argument.to_owned()),
        slash::SHRUG => Command::Shrug(argument.to_owned()),
        slash::TOPIC => Command::Topic(argument.to_owned()),
        slash::INVITE => person(argument).map_or(Command::Usage("/invite name"), Command::Invite),
        slash::DM | slash::MSG => conversation(argument),
        slash::STATUS => Command::Status(argument.to_owned()),
        slash::MUTE => Command::Mute(true),
        slash::UNMUTE => Command::Mute(false),
        slash::LEAVE | slash::PART => Command::Leave,
        slash::HELP => Command::Help,
        other => Command::Bot {
            name: other.to_owned(),
            text: argument.to_owned(),
        },
    }
}

/// `/dm` with one name or several (separated by spaces or commas, `@` allowed in front).
fn conversation(argument: &str) -> Command {
    let names: Vec<String> = argument
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|word| word.strip_prefix('@').unwrap_or(word))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    with_others(names, None)
}

/// The conversation with these people, each once (case-insensitively), leaving out `me`: a
/// DM for one other person, a group for several.
#[must_use]
pub fn with_others(names: Vec<String>, me: Option<&str>) -> Command {
    let key = |name: &str| name.to_lowercase();
    let mut others: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        if me.is_some_and(|me| key(me) == key(&name))
            || others.iter().any(|seen| key(seen) == key(&name))
        {
            continue;
        }
        others.push(name);
    }
    match others.len() {
        0 => Command::Usage("/dm name [name…]"),
        1 => Command::Dm(others.remove(0)),
        _ => Command::GroupDm(others),
    }
}

/// The one name `argument` holds (`@` allowed in front), if it holds exactly one.
fn person(argument: &str) -> Option<String> {
    let name = argument.strip_prefix('@').unwrap_or(argument);
    (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| name.to_owned())
}

/// The text a `/me` message is sent as.
#[must_use]
pub fn me_text(action: &str) -> String {
    format!("{}{action}", slash::ME_PREFIX)
}

/// The action of a message sent with `/me` (its text after `/me `), if it is one.
#[must_use]
pub fn action(text: &str) -> Option<&str> {
    slash::action(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_what_is_not_one() {
        assert_eq!(parse("hello"), Command::Say("hello".into()));
        assert_eq!(parse("/me waves"), Command::Me("waves".into()));
        assert_eq!(parse("  /ME  waves  "), Command::Me("waves".into()));
        assert_eq!(parse("/me"), Command::Usage("/me text"));
        assert_eq!(parse("/shrug"), Command::Shrug(String::new()));
        assert_eq!(parse("/shrug no idea"), Command::Shrug("no idea".into()));
        assert_eq!(
            parse("/topic Release day"),
            Command::Topic("Release day".into())
        );
        assert_eq!(parse("/topic"), Command::Topic(String::new()));
        assert_eq!(parse("/invite @bea"), Command::Invite("bea".into()));
        assert_eq!(parse("/invite bea"), Command::Invite("bea".into()));
        assert_eq!(parse("/invite"), Command::Usage("/invite name"));
        assert_eq!(parse("/invite bea cy"), Command::Usage("/invite name"));
        assert_eq!(parse("/dm @cy"), Command::Dm("cy".into()));
        assert_eq!(parse("/msg cy"), Command::Dm("cy".into()));
        assert_eq!(
            parse("/dm @ana, bea  @cy"),
            Command::GroupDm(vec!["ana".into(), "bea".into(), "cy".into()])
        );
        assert_eq!(parse("/dm , @ "), Command::Usage("/dm name [name…]"));
        assert_eq!(parse("/dm bea BEA @bea"), Command::Dm("bea".into()));
        // Yourself among the names: left out, once the composer knows who you are.
        let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            with_others(names(&["Ana", "bea"]), Some("ana")),
            Command::Dm("bea".into())
        );
        assert_eq!(
            with_others(names(&["ana"]), Some("ana")),
            Command::Usage("/dm name [name…]")
        );
        assert_eq!(
            with_others(names(&["bea", "ana", "cy"]), Some("ana")),
            Command::GroupDm(names(&["bea", "cy"]))
        );
        assert_eq!(parse("/dm"), Command::Usage("/dm name [name…]"));
        assert_eq!(
            parse("/status In a meeting"),
            Command::Status("In a meeting".into())
        );
        assert_eq!(parse("/mute"), Command::Mute(true));
        assert_eq!(parse("/unmute"), Command::Mute(false));
        assert_eq!(parse("/leave"), Command::Leave);
        assert_eq!(parse("/help"), Command::Help);
        // Any other name may be a bot's command (v1.29), in lower case.
        assert_eq!(
            parse("/giphy cats"),
            Command::Bot {
                name: "giphy".into(),
                text: "cats".into()
            }
        );
        assert_eq!(
            parse("/Deploy-2 main  "),
            Command::Bot {
                name: "deploy-2".into(),
                text: "main".into()
            }
        );
        assert_eq!(parse("/2fa"), Command::Say("/2fa".into()));
        // An escaped slash, a path, a smiley, a lone slash: messages as typed.
        assert_eq!(
            parse("//etc is a dir"),
            Command::Say("/etc is a dir".into())
        );
        assert_eq!(
            parse("/usr/bin is full"),
            Command::Say("/usr/bin is full".into())
        );
        assert_eq!(parse("/ 2 is half"), Command::Say("/ 2 is half".into()));
        assert_eq!(parse("/"), Command::Say("/".into()));
        assert_eq!(parse("/é"), Command::Say("/é".into()));
        // A line break ends the command's name too; the rest is its argument.
        assert_eq!(
            parse("/me waves\nand smiles"),
            Command::Me("waves\nand smiles".into())
        );
    }

    #[test]
    fn actions_are_sent_and_read_back() {
        assert_eq!(me_text("waves"), "/me waves");
        assert_eq!(action("/me waves"), Some("waves"));
        assert_eq!(action(&me_text("waves")), Some("waves"));
        assert_eq!(action("/me "), None);
        assert_eq!(action("/meh"), None);
        assert_eq!(action("me waves"), None);
    }
}
