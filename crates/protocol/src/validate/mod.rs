//! Input rules of the contract, shared so the UI can explain them and the server enforces them.
//!
//! Each function returns the normalised value (trimmed) or an [`ErrorBody`] with the code the
//! server answers. The rules are grouped by what they judge, one file each.

mod bots;
mod code;
mod emoji;
mod files;
mod limits;
mod names;
mod notifications;
mod search;
mod text;

pub use bots::*;
pub use code::*;
pub use emoji::*;
pub use files::*;
pub use limits::*;
pub use names::*;
pub use notifications::*;
pub use search::*;
pub use text::*;

use crate::{ErrorBody, ErrorCode};

fn bad(message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadRequest, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username("  ana.b-c_1 ").unwrap(), "ana.b-c_1");
        assert_eq!(username("José").unwrap(), "José");
        assert!(username("").is_err());
        assert!(username("   ").is_err());
        assert!(username("a b").is_err());
        assert!(username("<script>").is_err());
        for invisible in [
            "a\u{200B}b",
            "\u{3164}",
            "\u{3164}\u{3164}",
            "ana\u{202E}",
            "\u{2800}",
            "x\u{FEFF}",
        ] {
            assert!(username(invisible).is_err(), "{invisible:?}");
        }
        assert!(username(&"x".repeat(33)).is_err());
        assert!(username(&"x".repeat(32)).is_ok());
    }

    #[test]
    fn room_names() {
        assert_eq!(room_name("  Book club ").unwrap(), "Book club");
        assert!(room_name("").is_err());
        assert!(room_name("a/b").is_err());
        assert!(room_name("tab\there").is_err());
        assert_eq!(room_name(" Book   club ").unwrap(), "Book club");
        assert!(room_name("\u{3164}").is_err());
        assert!(room_name("a\u{200D}b").is_err());
        assert!(room_name(&"r".repeat(65)).is_err());
        assert_eq!(name_key("Book Club"), name_key("book club"));
    }

    #[test]
    fn line_breaks_are_newlines() {
        assert_eq!(line_breaks("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert!(matches!(line_breaks("a\nb"), std::borrow::Cow::Borrowed(_)));
        assert!(notification("k", "t", &line_breaks("one\r\ntwo"), None).is_ok());
    }

    #[test]
    fn message_texts() {
        assert_eq!(message_text("  hi  ").unwrap(), "hi");
        assert_eq!(
            message_text(" \n\t ").unwrap_err().code,
            ErrorCode::EmptyMessage
        );
        assert_eq!(
            message_text(&"é".repeat(4000)).unwrap().chars().count(),
            4000
        );
        assert_eq!(
            message_text(&"é".repeat(4001)).unwrap_err().code,
            ErrorCode::TooLong
        );
        for refused in [
            "a\0b",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}x",
        ] {
            assert_eq!(
                message_text(refused).unwrap_err().code,
                ErrorCode::BadRequest,
                "{refused:?}"
            );
        }
        assert_eq!(message_text("line 1\nline 2").unwrap(), "line 1\nline 2");
        assert_eq!(message_text("a\tb").unwrap(), "a\tb");
        assert_eq!(
            message_text("crlf\r\nline\rmac").unwrap(),
            "crlf\nline\nmac"
        );
    }

    #[test]
    fn messages_with_files_may_have_no_text() {
        assert_eq!(message_body("  ", 1).unwrap(), "");
        assert!(message_body("  ", 0).is_err());
        assert_eq!(message_body(" hi ", 2).unwrap(), "hi");
        assert!(message_body("a\u{0}b", 1).is_err());
    }

    #[test]
    fn attachment_rules() {
        let id = "0123456789abcdef0123456789abcdef";
        assert!(attachment_id(id).is_ok());
        assert!(attachment_id("0123456789ABCDEF0123456789abcdef").is_err());
        assert!(attachment_id("../../etc/passwd").is_err());
        assert!(attachment_ids(&[id.to_owned(), id.to_owned()]).is_err());
        assert!(attachment_ids(&vec![id.to_owned(); ATTACHMENTS_MAX + 1]).is_err());
        assert_eq!(file_name("C:\\Users\\ana\\photo.png"), "photo.png");
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("a\u{202E}gpj.exe"), "agpj.exe");
        assert_eq!(file_name(" .hidden "), "hidden");
        assert_eq!(file_name("///"), "file");
        let long = format!("{}.jpeg", "é".repeat(300));
        let cut = file_name(&long);
        assert!(
            cut.len() <= FILE_NAME_MAX && cut.ends_with(".jpeg"),
            "{cut}"
        );
    }

    #[test]
    fn group_conversations_name_valid_people_once() {
        let names = |list: &[&str]| list.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            group_dm_people(&names(&[" ana ", "Bea", "ANA", "bea", "cy"])).unwrap(),
            names(&["ana", "Bea", "cy"])
        );
        assert!(group_dm_people(&names(&["ana", "b c"])).is_err());
        assert!(group_dm_people(&names(&["ana", ""])).is_err());
        let eight: Vec<String> = (0..GROUP_DM_PEOPLE_MAX).map(|i| format!("p{i}")).collect();
        assert_eq!(group_dm_people(&eight).unwrap().len(), GROUP_DM_PEOPLE_MAX);
        let nine: Vec<String> = (0..=GROUP_DM_PEOPLE_MAX).map(|i| format!("p{i}")).collect();
        assert!(group_dm_people(&nine).is_err());
        // Repeats of one name still count against the cap: the list is judged as sent.
        assert!(group_dm_people(&vec!["ana".to_owned(); GROUP_DM_PEOPLE_MAX + 1]).is_err());
    }

    #[test]
    fn avatar_hues_are_stable_and_case_blind() {
        assert_eq!(avatar_hue("Ana"), avatar_hue("ana"));
        assert!(avatar_hue("ana") < 360);
        assert_ne!(avatar_hue("ana"), avatar_hue("bob"));
        // Pinned, so that clients written in other languages can check they agree.
        assert_eq!(avatar_hue("ana"), 141);
        assert_eq!(avatar_hue("bob"), 284);
    }

    #[test]
    fn topics_and_limits() {
        assert_eq!(topic(None).unwrap(), None);
        assert_eq!(topic(Some("  ")).unwrap(), None);
        assert_eq!(topic(Some(" books ")).unwrap().as_deref(), Some("books"));
        assert!(topic(Some("a\nb")).is_err());
        assert_eq!(history_limit(None).unwrap(), 50);
        assert_eq!(history_limit(Some(100)).unwrap(), 100);
        assert!(history_limit(Some(0)).is_err());
        assert!(history_limit(Some(101)).is_err());
    }

    #[test]
    fn channels_and_passwords() {
        assert_eq!(channel(" News ").unwrap(), "news");
        assert!(channel("a b").is_err());
        assert!(new_password("short").is_err());
        assert!(new_password("long enough").is_ok());
    }
}

#[cfg(test)]
mod notification_tests {
    use super::notification;

    #[test]
    fn fields_are_checked() {
        assert!(notification("mention", "t", "b", Some("/chat?room=general")).is_ok());
        assert!(notification("announcement", "t", "", None).is_ok());
        assert!(notification("", "t", "b", None).is_err());
        assert!(notification("a b", "t", "b", None).is_err());
        assert!(notification("k", " ", "b", None).is_err());
        assert!(notification("k", "t", &"b".repeat(2001), None).is_err());
        assert!(notification("k", "t", "b", Some("javascript:alert(1)")).is_err());
        assert!(notification("k", "t", "b", Some("//evil.example")).is_err());
        assert!(notification("k", "t", "b", Some("/\\evil.example")).is_err());
        assert!(notification("k", "t", "b", Some("/ok\\x")).is_err());
        assert!(notification("k", "t\u{1b}", "b", None).is_err());
        assert!(notification("k", "t", "line\nline", None).is_ok());
    }
}

#[cfg(test)]
mod mention_tests {
    use super::mentions;

    #[test]
    fn finds_distinct_mentions_in_order() {
        assert_eq!(mentions("hi @bea and @Cy, also @bea."), ["bea", "Cy"]);
        assert_eq!(mentions("@ana: look"), ["ana"]);
        assert_eq!(mentions("(@j.d-x_1)"), ["j.d-x_1"]);
    }

    #[test]
    fn ignores_emails_lone_ats_and_bad_names() {
        assert!(mentions("mail ana@example.org").is_empty());
        assert!(mentions("@ alone @").is_empty());
        assert!(mentions(&format!("@{}", "x".repeat(40))).is_empty());
        assert!(mentions("").is_empty());
        assert!(mentions(r"write \@ana to show the sign").is_empty());
        assert_eq!(mentions(r"\@ana but @bea"), ["bea"]);
    }

    #[test]
    fn caps_the_number_of_mentions() {
        let text: String = (0..20).map(|n| format!("@user{n} ")).collect();
        assert_eq!(mentions(&text).len(), super::MENTIONS_MAX);
    }
}

#[cfg(test)]
mod conversation_tests {
    use super::{EXCERPT_MAX, emoji, excerpt};

    #[test]
    fn reactions_are_emoji_only() {
        for ok in ["👍", "❤️", "🎉", "👩‍👩‍👧", "🇪🇸", "1️⃣", "👍🏽", "✅", "™"]
        {
            assert_eq!(emoji(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "",
            " ",
            "a",
            "ok",
            "👍 a",
            "<b>",
            "1",
            "…",
            "я",
            "\u{200D}",
            "👍\u{0}",
            &"😀".repeat(9),
        ] {
            assert!(emoji(bad).is_err(), "{bad:?}");
        }
        assert_eq!(emoji(" 👍\n").as_deref(), Ok("👍"), "trimmed");
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("hello\n  world"), "hello world");
        let long = "x".repeat(EXCERPT_MAX + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_MAX + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn search_terms_are_words() {
        use super::{search_limit, search_terms};
        assert_eq!(
            search_terms("Café, LUNCH? café").unwrap(),
            ["café", "lunch"]
        );
        assert!(search_terms("  !!  ").is_err());
        assert!(search_terms(&"a ".repeat(150)).is_err());
        assert_eq!(
            search_terms("a b c d e f g h i j").unwrap().len(),
            super::SEARCH_TERMS_MAX
        );
        assert_eq!(search_limit(None), Ok(20));
        assert!(search_limit(Some(51)).is_err() && search_limit(Some(0)).is_err());
    }

    #[test]
    fn snippets_mark_the_words_found() {
        use super::{SNIPPET_CONTEXT, snippet};
        let (text, marks) = snippet("We meet for Lunch at noon; lunchtime!", &["lunch".into()]);
        assert_eq!(text, "We meet for Lunch at noon; lunchtime!");
        assert_eq!(marks, [[12, 17], [27, 32]]);
        let long = format!("{} needle {}", "x".repeat(100), "y".repeat(100));
        let (text, marks) = snippet(&long, &["need".into()]);
        assert!(text.starts_with('…') && text.ends_with('…'));
        assert_eq!(text.chars().count(), 2 * SNIPPET_CONTEXT + 2);
        let [from, to] = marks[0];
        let found: String = text
            .chars()
            .skip(from as usize)
            .take((to - from) as usize)
            .collect();
        assert_eq!(found, "need");
    }
}
