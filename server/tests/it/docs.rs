//! The documents say what the code does: every setting is documented, and the limits table of
//! `docs/SECURITY.md` gives each setting's real default and each built-in limit's real value.

use std::collections::BTreeMap;
use std::path::Path;

use clap::CommandFactory;
use protocol::events::{chat, notifications};
use protocol::validate;
use server::Cli;
use server::limits;

fn read(doc: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::read_to_string(root.join(doc)).unwrap_or_else(|e| panic!("{doc}: {e}"))
}

/// Every setting's environment variable, with its default (as clap shows it) and whether it
/// is hidden from `--help` (test knobs).
fn settings() -> BTreeMap<String, (Option<String>, bool)> {
    Cli::command()
        .get_arguments()
        .filter_map(|arg| {
            let env = arg.get_env()?.to_string_lossy().into_owned();
            let default = arg
                .get_default_values()
                .first()
                .map(|value| value.to_string_lossy().into_owned());
            Some((env, (default, arg.is_hide_set())))
        })
        .collect()
}

/// The rows of the limits table: (limit, setting cell, default cell).
fn limit_rows(security: &str) -> Vec<(String, String, String)> {
    let table = security
        .split("## Limits")
        .nth(1)
        .expect("docs/SECURITY.md has a `## Limits` section");
    table
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| limit |"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert!(cells.len() >= 4, "a limits row has four cells: {line}");
            (
                cells[0].to_owned(),
                cells[1].to_owned(),
                cells[2].to_owned(),
            )
        })
        .collect()
}

/// The first number a cell starts with (`` `240`; ... `` → 240, `16 KiB` → 16).
fn leading_number(cell: &str) -> Option<u64> {
    let digits: String = cell
        .trim_start_matches('`')
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn every_setting_with_a_limit_row_has_the_documented_default() {
    let settings = settings();
    let rows = limit_rows(&read("docs/SECURITY.md"));
    assert!(rows.len() > 30, "the table has its rows: {}", rows.len());
    for (limit, setting, default) in rows {
        if setting == "–" {
            continue;
        }
        let env = setting.trim_matches('`');
        let (actual, _) = settings
            .get(env)
            .unwrap_or_else(|| panic!("`{limit}`: {env} is not a setting of the server"));
        let actual = actual
            .as_deref()
            .unwrap_or_else(|| panic!("{env} has no default"));
        let documented = default
            .trim_start_matches('`')
            .split('`')
            .next()
            .unwrap_or_default();
        assert_eq!(
            documented, actual,
            "docs/SECURITY.md says {env} defaults to {documented}, the code says {actual}"
        );
    }
}

#[test]
fn every_built_in_limit_has_its_real_value() {
    let rows = limit_rows(&read("docs/SECURITY.md"));
    let value_of = |name: &str| {
        let (_, setting, default) = rows
            .iter()
            .find(|(limit, _, _)| limit == name)
            .unwrap_or_else(|| panic!("no `{name}` row in docs/SECURITY.md"));
        assert_eq!(setting, "–", "`{name}` is a constant, not a setting");
        leading_number(default).unwrap_or_else(|| panic!("`{name}`: no number in {default}"))
    };
    let quoted = |name: &str, rest: &str| format!("`{name}` {rest}");
    let fetch = server::links::fetch::Limits::default();
    let expected: [(String, u64); 34] = [
        (
            "searches at once per node".into(),
            limits::SEARCHES_AT_ONCE as u64,
        ),
        ("search time".into(), limits::SEARCH_TIME_MAX.as_secs()),
        ("refusals per socket".into(), limits::STRIKES_BURST.into()),
        (
            "failed CONNECTs per Engine.IO session".into(),
            limits::FAILED_CONNECTS.into(),
        ),
        (
            "API request body".into(),
            (limits::API_BODY_MAX / 1024) as u64,
        ),
        ("files per message".into(), validate::ATTACHMENTS_MAX as u64),
        (
            "profile picture upload".into(),
            validate::AVATAR_UPLOAD_MAX / (1024 * 1024),
        ),
        (
            format!("people per {}", quoted(chat::PROFILES, "request")),
            validate::PROFILES_MAX as u64,
        ),
        (
            "image previews made at once".into(),
            limits::PREVIEWS_AT_ONCE as u64,
        ),
        (
            quoted(chat::MEMBERS, "broadcast on every change"),
            limits::MEMBERS_BROADCAST_MAX as u64,
        ),
        ("message text".into(), validate::MESSAGE_MAX as u64),
        ("room topic".into(), validate::TOPIC_MAX as u64),
        ("status line".into(), validate::STATUS_MAX as u64),
        ("display name".into(), validate::DISPLAY_NAME_MAX as u64),
        (
            quoted(chat::HISTORY, "page"),
            validate::HISTORY_MAX.unsigned_abs(),
        ),
        (
            quoted(notifications::MARK_READ, "ids"),
            validate::MARK_READ_MAX as u64,
        ),
        (
            "messages waiting for their notifications (mentions, DM pings) per node".into(),
            limits::FOLLOW_UPS_QUEUED as u64,
        ),
        (
            "mentions notified per message".into(),
            validate::MENTIONS_MAX as u64,
        ),
        (
            "accounts one person blocks".into(),
            u64::from(validate::BLOCKS_MAX),
        ),
        (
            "failed sign-ins per name, from anywhere".into(),
            u64::from(limits::SIGN_IN_FREE_FAILURES),
        ),
        ("pinned messages per room".into(), validate::PINS_MAX as u64),
        (
            "saved messages per person".into(),
            validate::SAVED_MAX as u64,
        ),
        (
            "link preview fetches at once per node".into(),
            limits::LINK_FETCHES_AT_ONCE as u64,
        ),
        (
            "link preview page read".into(),
            (fetch.page_bytes / 1024) as u64,
        ),
        (
            "link preview image".into(),
            (fetch.image_bytes / 1024 / 1024) as u64,
        ),
        ("link preview request time".into(), fetch.total.as_secs()),
        ("link preview redirects".into(), fetch.redirects as u64),
        (
            "code blocks highlighted at once per node".into(),
            limits::HIGHLIGHTS_AT_ONCE as u64,
        ),
        ("webhooks per room".into(), validate::WEBHOOKS_MAX as u64),
        ("bots per person".into(), validate::BOTS_PER_OWNER as u64),
        ("commands per bot".into(), validate::COMMANDS_PER_BOT as u64),
        (
            "bot command calls at once per node".into(),
            limits::BOT_CALLS_AT_ONCE as u64,
        ),
        ("bot command call".into(), limits::BOT_CALL_TIME.as_secs()),
        (
            "people in a group conversation".into(),
            validate::GROUP_DM_PEOPLE_MAX as u64,
        ),
    ];
    for (name, value) in expected {
        assert_eq!(value_of(&name), value, "docs/SECURITY.md, `{name}`");
    }
    let occupancy = rows
        .iter()
        .find(|(limit, _, _)| *limit == format!("rooms listed in `{}`", chat::OCCUPANCY))
        .expect("an occupancy row")
        .2
        .clone();
    assert!(
        occupancy.contains(&format!("≤ {} public rooms", limits::OCCUPANCY_TOP))
            && occupancy.contains(&format!("(≤ {})", limits::OCCUPANCY_MAX)),
        "docs/SECURITY.md, occupancy: {occupancy}"
    );
    let held = rows
        .iter()
        .find(|(limit, _, _)| limit == "failed sign-ins per name, from anywhere")
        .unwrap()
        .2
        .clone();
    assert!(
        held.contains(&format!(
            "up to {} min",
            limits::SIGN_IN_DELAY_MAX.as_secs() / 60
        )) && held.contains(&format!("{} in an hour", limits::SIGN_IN_FREE_FAILURES))
            && limits::SIGN_IN_WINDOW.as_secs() == 3600,
        "docs/SECURITY.md, sign-in throttle: {held}"
    );
    let previews = rows
        .iter()
        .find(|(limit, _, _)| limit == "image previews made at once")
        .unwrap()
        .2
        .clone();
    assert!(
        previews.contains(&format!(
            "{} px a side",
            separated(u64::from(limits::PREVIEW_SOURCE_MAX_SIDE))
        )) && previews.contains(&format!(
            "waits at most {} s",
            limits::PREVIEW_WAIT.as_secs()
        )),
        "docs/SECURITY.md, previews: {previews}"
    );
    let row = |name: &str| {
        rows.iter()
            .find(|(limit, _, _)| limit == name)
            .unwrap()
            .2
            .clone()
    };
    let links = row("link preview fetches at once per node");
    assert!(
        links.contains(&format!("{} more links wait", limits::LINK_PREVIEWS_QUEUED)),
        "docs/SECURITY.md, link previews: {links}"
    );
    let time = row("link preview request time");
    assert!(
        time.contains(&format!("{} s to connect", fetch.connect.as_secs()))
            && time.contains(&format!(
                "{} s for a page and its image",
                limits::LINK_PREVIEW_DEADLINE.as_secs()
            )),
        "docs/SECURITY.md, link preview time: {time}"
    );
    let highlights = row("code blocks highlighted at once per node");
    assert!(
        highlights.contains(&format!(
            "at most {} ms",
            limits::HIGHLIGHT_BUDGET.as_millis()
        )) && highlights.contains(&format!(
            "the last {} blocks",
            limits::HIGHLIGHTS_REMEMBERED
        )) && highlights.contains(&format!(
            "at most {} ms as its rules",
            separated(limits::HIGHLIGHT_COLD_BUDGET.as_millis() as u64)
        )) && highlights.contains(&format!(
            "line past {} bytes",
            separated(limits::HIGHLIGHT_LINE_MAX as u64)
        )) && highlights.contains(&format!(
            "at most {} s for its turn",
            limits::HIGHLIGHT_TURN_WAIT.as_secs()
        )),
        "docs/SECURITY.md, highlighting: {highlights}"
    );
}

/// `12000` → `12,000`.
fn separated(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn every_setting_is_documented() {
    let docs = [
        read("README.md"),
        read("docs/SECURITY.md"),
        read("docs/ARCHITECTURE.md"),
        read("docs/TESTING.md"),
    ]
    .concat();
    let missing: Vec<String> = settings()
        .into_keys()
        .filter(|env| !docs.contains(&format!("`{env}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "settings no document names (README, SECURITY, ARCHITECTURE, TESTING): {missing:?}"
    );
}

#[test]
fn the_number_reader_reads_what_the_table_writes() {
    assert_eq!(leading_number("`240`; typing 1"), Some(240));
    assert_eq!(leading_number("16 KiB, `application/json`"), Some(16));
    assert_eq!(leading_number("rooms of at most 50 present"), None);
    assert_eq!(separated(12_000), "12,000");
    assert_eq!(separated(500), "500");
}
