//! What a page says about itself, read from its HTML with a standards-following tokenizer:
//! Open Graph (`og:title`, `og:description`, `og:image`, `og:site_name`), Twitter cards and
//! plain `<title>` / `<meta name="description">`. Everything comes out as bounded plain text
//! (no markup, no control or bidirectional-override characters).

use html5gum::{DefaultEmitter, Token, Tokenizer};
use protocol::validate::{LINK_DESCRIPTION_MAX, LINK_TITLE_MAX};
use url::Url;

/// Longest site name kept, in characters.
const SITE_MAX: usize = 80;

/// What a page gave for its preview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// Its title (never empty).
    pub title: String,
    /// The site's name, if it gives one.
    pub site: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its image's address (`http(s)` only, resolved against the page's).
    pub image: Option<Url>,
}

/// Reads `html` (the first bytes of the page at `base`); `None` when it has no title.
#[must_use]
pub fn read(html: &[u8], base: &Url) -> Option<PageMeta> {
    let mut emitter = DefaultEmitter::default();
    // `<title>`, `<script>` and `<style>` hold text, not tags.
    emitter.naively_switch_states(true);
    let mut found = Found::default();
    let mut in_title = false;
    let mut title_text = String::new();
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.as_slice();
                if name == b"title" {
                    in_title = found.title_tag.is_none();
                } else if name == b"meta" {
                    let attribute = |key: &[u8]| {
                        tag.attributes
                            .get(key)
                            .map(|value| String::from_utf8_lossy(&value.value).into_owned())
                    };
                    let key = attribute(b"property")
                        .or_else(|| attribute(b"name"))
                        .map(|key| key.trim().to_ascii_lowercase());
                    if let (Some(key), Some(content)) = (key, attribute(b"content")) {
                        found.meta(&key, content);
                    }
                } else if name == b"body" {
                    // Everything a preview needs is in the head.
                    break;
                }
            }
            Token::String(text) if in_title => {
                title_text.push_str(&String::from_utf8_lossy(&text.value));
            }
            Token::EndTag(tag) if tag.name.as_slice() == b"title" && in_title => {
                in_title = false;
                found.title_tag = Some(std::mem::take(&mut title_text));
            }
            _ => {}
        }
    }
    if in_title {
        found.title_tag = Some(title_text);
    }
    found.into_meta(base)
}

/// The candidates seen, by where they came from.
#[derive(Default)]
struct Found {
    og_title: Option<String>,
    twitter_title: Option<String>,
    title_tag: Option<String>,
    og_description: Option<String>,
    twitter_description: Option<String>,
    description: Option<String>,
    og_image: Option<String>,
    twitter_image: Option<String>,
    site: Option<String>,
}

impl Found {
    fn meta(&mut self, key: &str, content: String) {
        let slot = match key {
            "og:title" => &mut self.og_title,
            "twitter:title" => &mut self.twitter_title,
            "og:description" => &mut self.og_description,
            "twitter:description" => &mut self.twitter_description,
            "description" => &mut self.description,
            "og:image" | "og:image:url" | "og:image:secure_url" => &mut self.og_image,
            "twitter:image" | "twitter:image:src" => &mut self.twitter_image,
            "og:site_name" => &mut self.site,
            _ => return,
        };
        // The first of each wins, as in every other reader of these tags.
        if slot.is_none() {
            *slot = Some(content);
        }
    }

    fn into_meta(self, base: &Url) -> Option<PageMeta> {
        let title = [self.og_title, self.twitter_title, self.title_tag]
            .into_iter()
            .flatten()
            .map(|title| plain(&title, LINK_TITLE_MAX))
            .find(|title| !title.is_empty())?;
        let description = [
            self.og_description,
            self.twitter_description,
            self.description,
        ]
        .into_iter()
        .flatten()
        .map(|text| plain(&text, LINK_DESCRIPTION_MAX))
        .find(|text| !text.is_empty());
        let image = [self.og_image, self.twitter_image]
            .into_iter()
            .flatten()
            .filter_map(|address| base.join(address.trim()).ok())
            .find(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some());
        let site = self
            .site
            .map(|site| plain(&site, SITE_MAX))
            .filter(|site| !site.is_empty());
        Some(PageMeta {
            title,
            site,
            description,
            image,
        })
    }
}

/// `text` as one line of plain text of at most `max` characters (cut with `…`): whitespace
/// runs become one space, control and bidirectional-override characters go.
#[must_use]
pub fn plain(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && *c != '\u{feff}')
        .collect();
    let words: Vec<&str> = cleaned.split(' ').filter(|w| !w.is_empty()).collect();
    let line = words.join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Invisible characters that change how text around them reads: bidirectional marks,
/// embeddings, overrides and isolates, invisible operators and tags.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.org/a/page?x=1").unwrap()
    }

    #[test]
    fn open_graph_comes_first_then_twitter_then_plain_html() {
        let html = br#"<!doctype html><html><head>
            <title>Plain &amp; simple</title>
            <meta name="description" content="plain description">
            <meta name="twitter:title" content="Twitter title">
            <meta property="og:title" content="  OG   title &quot;quoted&quot; ">
            <meta property="og:description" content="OG description">
            <meta property="og:image" content="/img/card.png">
            <meta property="og:site_name" content="Example">
            </head><body><meta property="og:title" content="late"></body></html>"#;
        let meta = read(html, &base()).unwrap();
        assert_eq!(meta.title, "OG title \"quoted\"");
        assert_eq!(meta.description.as_deref(), Some("OG description"));
        assert_eq!(meta.site.as_deref(), Some("Example"));
        assert_eq!(
            meta.image.unwrap().as_str(),
            "https://example.org/img/card.png"
        );

        let html = b"<title>Plain &amp; simple</title><meta name=description content='d'>";
        let meta = read(html, &base()).unwrap();
        assert_eq!(meta.title, "Plain & simple");
        assert_eq!(meta.description.as_deref(), Some("d"));
        assert_eq!(meta.image, None);
        assert_eq!(meta.site, None);
    }

    #[test]
    fn hostile_pages_give_plain_bounded_text_or_nothing() {
        // No title at all: no preview.
        assert_eq!(read(b"<html><body>hi</body></html>", &base()), None);
        assert_eq!(read(b"<title>   </title>", &base()), None);
        assert_eq!(read(b"", &base()), None);
        assert_eq!(read(&[0xff, 0xfe, 0x00, 0x3c], &base()), None);
        // Markup in the title stays text; a script's content is not read as tags.
        let html = br#"<script>document.write("<title>fake</title>")</script>
            <title><b>bold</b> <img src=x onerror=alert(1)></title>"#;
        let meta = read(html, &base()).unwrap();
        assert_eq!(meta.title, "<b>bold</b> <img src=x onerror=alert(1)>");
        // Controls and bidirectional overrides go; long text is cut.
        let long = format!(
            "<title>a\u{202e}b\u{0007}c\u{2066}\u{e0041}\u{061c}\n\t d</title><meta name=description content='{}'>",
            "x".repeat(5000)
        );
        let meta = read(long.as_bytes(), &base()).unwrap();
        assert_eq!(meta.title, "abc d");
        let description = meta.description.unwrap();
        assert_eq!(description.chars().count(), LINK_DESCRIPTION_MAX);
        assert!(description.ends_with('…'));
        // Images only over http(s).
        for image in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "file:///etc/passwd",
        ] {
            let html = format!("<title>t</title><meta property=og:image content='{image}'>");
            assert_eq!(
                read(html.as_bytes(), &base()).unwrap().image,
                None,
                "{image}"
            );
        }
        // An unclosed title still reads (up to where the bytes stop).
        assert_eq!(read(b"<title>cut off", &base()).unwrap().title, "cut off");
    }

    #[test]
    fn plain_text_is_cut_on_characters_not_bytes() {
        assert_eq!(plain("ñandú ñandú", 6), "ñandú…");
        assert_eq!(plain("  a  ", 10), "a");
        assert_eq!(plain("abc", 3), "abc");
    }
}
