//! Pages and bounds of lists: history, members, mutes, pins.

use super::bad;
use crate::ErrorBody;

/// Largest `limit` of a `history` request.
pub const HISTORY_MAX: i64 = 100;

/// Messages returned by `join` and by `history` without a limit.
pub const HISTORY_DEFAULT: i64 = 50;

/// Most users listed by one `members` page (and by a `join` ack).
pub const MEMBERS_PAGE: usize = 500;

/// Most notification ids one `mark_read` carries.
pub const MARK_READ_MAX: usize = 500;

/// Longest link preview title, in characters (v1.16); a longer one is cut with `…`.
pub const LINK_TITLE_MAX: usize = 200;

/// Longest link preview description, in characters (v1.16); a longer one is cut with `…`.
pub const LINK_DESCRIPTION_MAX: usize = 400;

/// Most messages pinned in one room at a time (v1.14).
pub const PINS_MAX: usize = 50;

/// Most messages one person keeps in their saved list (v1.15).
pub const SAVED_MAX: usize = 500;

/// Most people in a group conversation, its starter included (v1.20).
pub const GROUP_DM_PEOPLE_MAX: usize = 8;

/// Fewest others in a group conversation (v1.20): one other person is a `dm`.
pub const GROUP_DM_OTHERS_MIN: usize = 2;

/// Most incoming webhooks of one room (v1.19).
pub const WEBHOOKS_MAX: usize = 10;

/// A webhook's id (v1.19): 16 lowercase hex digits.
///
/// # Errors
/// `bad_request` for anything else.
pub fn webhook_id(raw: &str) -> Result<&str, ErrorBody> {
    if raw.len() == 16
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(raw)
    } else {
        Err(bad("a webhook id is 16 lowercase hex digits"))
    }
}

/// Longest mute, in minutes (a week).
pub const MUTE_MINUTES_MAX: u32 = 7 * 24 * 60;

/// Longest `q` of a `find_people` request, in characters (a name is at most 32).
pub const PEOPLE_QUERY_MAX: usize = 32;

/// `q` of a `find_people` request: trimmed; empty is none.
///
/// # Errors
/// `bad_request` past [`PEOPLE_QUERY_MAX`] characters.
pub fn people_query(raw: Option<&str>) -> Result<Option<String>, ErrorBody> {
    let Some(q) = raw.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > PEOPLE_QUERY_MAX {
        return Err(bad(format!("q is at most {PEOPLE_QUERY_MAX} characters")));
    }
    Ok(Some(q.to_owned()))
}

/// Most people one `profiles` request asks about (v1.25).
pub const PROFILES_MAX: usize = 100;

/// The ids of a `profiles` request: 1 to [`PROFILES_MAX`]; repeats are asked once.
///
/// # Errors
/// `bad_request` for none or too many.
pub fn profile_ids(raw: &[i64]) -> Result<Vec<i64>, ErrorBody> {
    if raw.is_empty() || raw.len() > PROFILES_MAX {
        return Err(bad(format!("ids lists 1 to {PROFILES_MAX} people")));
    }
    let mut ids = raw.to_vec();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// How many accounts one account may block (v1.11).
pub const BLOCKS_MAX: u32 = 1_000;

/// The furthest back a ban can remove what the account made, in hours (a week, v1.10).
pub const BAN_REMOVE_HOURS_MAX: u32 = 7 * 24;

/// `remove_hours` of a `ban`: absent or 0 removes nothing, else 1 to [`BAN_REMOVE_HOURS_MAX`].
///
/// # Errors
/// `bad_request` when out of range.
pub fn ban_remove_hours(raw: Option<u32>) -> Result<Option<u32>, ErrorBody> {
    match raw {
        None | Some(0) => Ok(None),
        Some(hours) if hours <= BAN_REMOVE_HOURS_MAX => Ok(Some(hours)),
        Some(_) => Err(bad(format!(
            "remove_hours is between 0 and {BAN_REMOVE_HOURS_MAX}"
        ))),
    }
}

/// `limit` of a `history` request: 1–100, 50 when absent.
///
/// # Errors
/// `bad_request` when out of range.
pub fn history_limit(raw: Option<i64>) -> Result<i64, ErrorBody> {
    match raw {
        None => Ok(HISTORY_DEFAULT),
        Some(limit) if (1..=HISTORY_MAX).contains(&limit) => Ok(limit),
        Some(_) => Err(bad(format!("limit is between 1 and {HISTORY_MAX}"))),
    }
}
