//! `GET /api/emoji` (v1.17): the emoji catalogue clients pick from, built once from the
//! Unicode data the server was built with, the same for everyone, and cached by browsers.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use protocol::http::{EmojiCatalog, EmojiInfo};

/// The catalogue: every emoji in its default skin tone, with its group, name and shortcodes.
#[must_use]
pub fn catalog() -> EmojiCatalog {
    let groups: Vec<emojis::Group> = emojis::Group::iter().collect();
    let emoji = emojis::iter()
        .map(|found| EmojiInfo {
            emoji: found.as_str().to_owned(),
            name: found.name().to_owned(),
            shortcodes: found.shortcodes().map(str::to_owned).collect(),
            group: groups
                .iter()
                .position(|group| *group == found.group())
                .and_then(|place| u8::try_from(place).ok())
                .unwrap_or_default(),
        })
        .collect();
    EmojiCatalog {
        groups: groups
            .iter()
            .map(|group| group_name(*group).to_owned())
            .collect(),
        emoji,
    }
}

/// A group's name as Unicode writes it.
fn group_name(group: emojis::Group) -> &'static str {
    match group {
        emojis::Group::SmileysAndEmotion => "Smileys & Emotion",
        emojis::Group::PeopleAndBody => "People & Body",
        emojis::Group::AnimalsAndNature => "Animals & Nature",
        emojis::Group::FoodAndDrink => "Food & Drink",
        emojis::Group::TravelAndPlaces => "Travel & Places",
        emojis::Group::Activities => "Activities",
        emojis::Group::Objects => "Objects",
        emojis::Group::Symbols => "Symbols",
        emojis::Group::Flags => "Flags",
    }
}

/// `GET /api/emoji`: the catalogue as JSON (made once per process), cacheable for a day.
pub async fn serve() -> Response {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    let body = BODY
        .get_or_init(|| Bytes::from(serde_json::to_vec(&catalog()).unwrap_or_default()))
        .clone();
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_holds_every_group_with_names_and_shortcodes() {
        let catalog = super::catalog();
        assert_eq!(catalog.groups.len(), 9);
        assert!(catalog.emoji.len() > 1_500, "{}", catalog.emoji.len());
        let tada = catalog.emoji.iter().find(|e| e.emoji == "🎉").unwrap();
        assert_eq!(tada.name, "party popper");
        assert_eq!(tada.shortcodes, ["tada"]);
        assert_eq!(catalog.groups[usize::from(tada.group)], "Activities");
        // Every emoji is a reaction the server takes.
        for info in &catalog.emoji {
            assert!(
                protocol::validate::emoji(&info.emoji).is_ok(),
                "{} ({}) is refused as a reaction",
                info.emoji,
                info.name
            );
        }
    }
}
