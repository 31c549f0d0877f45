//! The server's rules for names people choose (usernames, room names): Unicode NFKC
//! normalisation, a uniqueness key that folds case *and* look-alike characters (the UTS #39
//! confusable skeleton, so `аdmin` with a Cyrillic `а` is the same name as `admin`), no mixing
//! of scripts that are easy to confuse, and a few reserved names.
//!
//! Behind the `names` feature: the Unicode tables are large and only the server needs them.

use unicode_normalization::UnicodeNormalization;
use unicode_security::{RestrictionLevel, RestrictionLevelDetection, skeleton};

use crate::validate;
use crate::{ErrorBody, ErrorCode};

/// Names nobody may take as a guest or by registering (an operator can still create them
/// with `server create-admin`): they would let someone pass for staff or for the system.
pub const RESERVED_USERNAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "support",
    "system",
    "staff",
    "moderator",
    "mod",
    "official",
    "security",
    "help",
    "tertulia",
    "everyone",
    "here",
    "channel",
    "server",
    "null",
    "undefined",
];

/// Room names starting with this are direct conversations, created by the server only.
pub const DM_PREFIX: &str = crate::validate::DM_NAME_PREFIX;

/// Normalises a username (NFKC, trimmed) and checks the contract's shape rules and the script
/// rules. Reserved names pass here: see [`is_reserved_username`].
///
/// # Errors
/// `bad_request` naming the rule that failed.
pub fn username(raw: &str) -> Result<String, ErrorBody> {
    let name = validate::username(&nfkc(raw))?;
    check_scripts(&name, "username")?;
    Ok(name)
}

/// Normalises a room name (NFKC, trimmed, single spaces) and checks the shape and script rules.
///
/// # Errors
/// `bad_request` naming the rule that failed.
pub fn room_name(raw: &str) -> Result<String, ErrorBody> {
    let name = validate::room_name(&nfkc(raw))?;
    check_scripts(&name, "room name")?;
    Ok(name)
}

/// The key under which names are unique: case-folded, NFKC, then the UTS #39 skeleton (each
/// character replaced by its look-alike prototype), so names that look the same collide.
#[must_use]
pub fn unique_key(name: &str) -> String {
    let folded: String = nfkc(name).to_lowercase();
    skeleton(&folded).collect::<String>().to_lowercase()
}

/// Whether a username is reserved (compared by [`unique_key`], so look-alikes are too).
#[must_use]
pub fn is_reserved_username(name: &str) -> bool {
    let key = unique_key(name);
    RESERVED_USERNAMES
        .iter()
        .any(|reserved| unique_key(reserved) == key)
}

/// Whether a room name is kept for direct conversations.
#[must_use]
pub fn is_dm_name(name: &str) -> bool {
    unique_key(name).starts_with(&unique_key(DM_PREFIX))
}

fn nfkc(raw: &str) -> String {
    raw.trim().nfkc().collect()
}

/// Refuses names whose letters mix scripts in ways used to imitate others (Latin with Cyrillic
/// or Greek, say); a single script, or Latin with one other recommended script, is fine.
fn check_scripts(name: &str, what: &str) -> Result<(), ErrorBody> {
    let letters: String = name.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() {
        if name.chars().any(char::is_alphanumeric) {
            return Ok(());
        }
        return Err(ErrorBody::new(
            ErrorCode::BadRequest,
            format!("a {what} needs at least one letter or digit"),
        ));
    }
    if letters
        .as_str()
        .check_restriction_level(RestrictionLevel::ModeratelyRestrictive)
    {
        Ok(())
    } else {
        Err(ErrorBody::new(
            ErrorCode::BadRequest,
            format!(
                "a {what} may not mix alphabets that look alike (such as Latin and Cyrillic letters)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes_share_a_key() {
        assert_eq!(unique_key("admin"), unique_key("Admin"));
        assert_eq!(
            unique_key("admin"),
            unique_key("\u{0430}dmin"),
            "Cyrillic a"
        );
        assert_eq!(unique_key("bob"), unique_key("b0b"), "zero for o");
        assert_eq!(unique_key("Ivan"), unique_key("ivan"));
        assert_eq!(
            unique_key("ｔｅｒｔｕｌｉａ"),
            unique_key("tertulia"),
            "fullwidth"
        );
        assert_ne!(unique_key("ana"), unique_key("ana2"));
    }

    #[test]
    fn normalises_and_keeps_real_names() {
        assert_eq!(username(" José ").unwrap(), "José");
        assert_eq!(
            username("ｊｏｓｅ").unwrap(),
            "jose",
            "NFKC folds fullwidth"
        );
        assert_eq!(username("Zoë_2").unwrap(), "Zoë_2");
        assert_eq!(username("Дмитрий").unwrap(), "Дмитрий");
        assert_eq!(username("山田").unwrap(), "山田");
        assert_eq!(username("007").unwrap(), "007");
        assert_eq!(room_name("Book  club").unwrap(), "Book club");
    }

    #[test]
    fn refuses_mixed_scripts_fillers_and_invisibles() {
        assert!(username("\u{0430}dmin").is_err(), "Latin with Cyrillic");
        assert!(username("\u{3164}").is_err(), "Hangul filler");
        assert!(username("\u{115F}\u{1160}").is_err());
        assert!(username("a\u{200B}").is_err());
        assert!(username("_-.").is_err(), "no letter or digit");
        assert!(room_name("\u{3164} \u{3164}").is_err());
    }

    #[test]
    fn reserved_names_and_their_lookalikes() {
        assert!(is_reserved_username("admin"));
        assert!(is_reserved_username("ADMIN"));
        assert!(is_reserved_username("\u{0430}dmin"));
        assert!(is_reserved_username("Tertulia"));
        assert!(!is_reserved_username("ana"));
        assert!(is_dm_name("DM-1-2"));
        assert!(!is_dm_name("dmitri"));
    }
}
