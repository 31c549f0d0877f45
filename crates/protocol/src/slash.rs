//! Slash commands a client reads in its message box (`/me waves`, `/topic Release day`): not
//! events of the wire, but their names are spelled once, here, beside the one text convention
//! they put on the wire (v1.19): a message whose text starts with [`ME_PREFIX`] is an action
//! of its author.

/// The start of an action's text: `/me waves` reads "ana waves".
pub const ME_PREFIX: &str = "/me ";

/// `/me text`: an action.
pub const ME: &str = "me";
/// `/shrug [text]`.
pub const SHRUG: &str = "shrug";
/// `/topic [text]`: the room's topic.
pub const TOPIC: &str = "topic";
/// `/invite name`: into the room on screen.
pub const INVITE: &str = "invite";
/// `/dm name` (and [`MSG`]): a direct conversation.
pub const DM: &str = "dm";
/// Another name of [`DM`].
pub const MSG: &str = "msg";
/// `/status [text]`: your status line.
pub const STATUS: &str = "status";
/// `/mute`: this room's toasts off.
pub const MUTE: &str = "mute";
/// `/unmute`: this room's toasts on.
pub const UNMUTE: &str = "unmute";
/// `/leave` (and [`PART`]): leave the room for good.
pub const LEAVE: &str = "leave";
/// Another name of [`LEAVE`].
pub const PART: &str = "part";
/// `/help`: what can be typed.
pub const HELP: &str = "help";

/// The action of a message's text (after [`ME_PREFIX`]), if it is one.
#[must_use]
pub fn action(text: &str) -> Option<&str> {
    text.strip_prefix(ME_PREFIX)
        .map(str::trim_start)
        .filter(|action| !action.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn actions_start_with_me_and_a_space() {
        assert_eq!(super::action("/me waves"), Some("waves"));
        assert_eq!(super::action("/me "), None);
        assert_eq!(super::action("/meh"), None);
        assert_eq!(super::action("me waves"), None);
    }
}
