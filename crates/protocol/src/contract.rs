//! The contract's names as one JSON document, for clients written in other languages (the
//! Playwright and socket.io-client tests read `crates/protocol/contract.json`, which a test
//! here keeps equal to [`names_json`]).

use serde_json::{Map, Value, json};

use crate::events::{self, ConnectRefusal, NotificationKind, admin, chat, notifications};
use crate::http::ENDPOINTS;
use crate::links;
use crate::request::{REQUESTS, SERVER_EVENTS};

/// `{namespaces, requests, events, errors, refusals, kinds, general, api, links}`; requests and
/// events are keyed by namespace, then by the event name in upper case.
#[must_use]
pub fn names_json() -> Value {
    let by_ns = |pairs: &[(&str, &str)]| {
        let mut out = Map::new();
        for (ns, event) in pairs {
            let entry = out
                .entry((*ns).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                map.insert(event.to_uppercase(), Value::String((*event).to_owned()));
            }
        }
        Value::Object(out)
    };
    let errors: Map<String, Value> = crate::ack::ALL_CODES
        .iter()
        .map(|code| (code.as_str().to_uppercase(), json!(code.as_str())))
        .collect();
    let refusals: Map<String, Value> = ConnectRefusal::ALL
        .iter()
        .map(|r| (r.as_str().to_uppercase(), json!(r.as_str())))
        .collect();
    let api: Map<String, Value> = ENDPOINTS
        .iter()
        .map(|(method, path)| {
            let name = path
                .trim_start_matches("/api/")
                .replace('/', "_")
                .to_uppercase();
            (name, json!({"method": method.as_str(), "path": path}))
        })
        .collect();
    json!({
        "namespaces": {"CHAT": chat::NS, "NOTIFICATIONS": notifications::NS, "ADMIN": admin::NS},
        "requests": by_ns(REQUESTS),
        "events": by_ns(SERVER_EVENTS),
        "error_event": events::ERROR,
        "errors": errors,
        "refusals": refusals,
        "kinds": NotificationKind::KNOWN
            .iter()
            .map(|kind| (kind.as_str().to_uppercase(), json!(kind.as_str())))
            .collect::<Map<String, Value>>(),
        "general": events::GENERAL_ROOM,
        "api": api,
        "links": {"CHAT": links::CHAT, "BOARD": links::BOARD, "ADMIN": links::ADMIN, "HOME": links::HOME, "SIGN_IN_FORM": links::SIGN_IN_FORM, "FILES": links::FILES, "LIVEZ": links::LIVEZ, "READYZ": links::READYZ, "METRICS": links::METRICS, "EXPORT": links::EXPORT, "ADMIN_EXPORT": links::ADMIN_EXPORT, "HOOKS": links::HOOKS, "LINK_IMAGES": links::LINK_IMAGES, "MY_AVATAR": links::MY_AVATAR, "AVATARS": links::AVATARS},
        "upload_fields": {"ROOM": links::files::ROOM, "FILE": links::files::FILE},
    })
}

#[cfg(test)]
mod tests {
    use super::names_json;

    /// `contract.json` is generated: run `UPDATE_CONTRACT=1 cargo test -p protocol` after
    /// changing a name.
    #[test]
    fn contract_json_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/contract.json");
        let fresh = serde_json::to_string_pretty(&names_json()).unwrap() + "\n";
        if std::env::var_os("UPDATE_CONTRACT").is_some() {
            std::fs::write(path, &fresh).unwrap();
        }
        let stored = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            stored, fresh,
            "crates/protocol/contract.json is stale: run UPDATE_CONTRACT=1 cargo test -p protocol"
        );
    }
}
