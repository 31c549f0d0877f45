//! The browser bundle (`/pkg/*`: the wasm, its JS glue and the CSS), compressed once and kept.
//!
//! Compressing per request (the generic compression layer's way) cost every page load the
//! whole bundle's compression again: 0.8 s of a core for the 6 MB debug wasm, some tens of
//! milliseconds for the release one, for every visitor. Here each file is read and compressed
//! once per encoding (plain included, so every answer shares one copy), on first use, at a
//! higher quality than a per-request encoder can afford (a release build then compresses it once
//! more at Brotli's best, in the background, for every later request), and the bytes are kept
//! until the file changes (a rebuild under `cargo leptos watch`). Only files the directory holds now are kept,
//! so the memory is bounded by the bundle itself (times three encodings).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::AppState;

/// Brotli's quality for a file's first compression (of 0–11): close to the best ratio at a
/// fraction of 11's time, so the first page load after a start does not wait long.
const BROTLI_QUALITY: u32 = 9;
/// The quality a release build then compresses each file at again, in the background, to
/// answer every later request with: its 2.2 MB wasm comes out 11% smaller than at 9 (568
/// against 637 KB: 0.35 s less on a phone's slow 4G) for about 5 s of a core, once per file
/// and start. Debug builds (a 7 MB wasm, compressed by every test server) keep the first.
const BROTLI_BEST: u32 = if cfg!(debug_assertions) {
    BROTLI_QUALITY
} else {
    11
};
/// Brotli's window (log2 of bytes).
const BROTLI_WINDOW: u32 = 22;
/// Gzip's level for kept files (of 0–9).
const GZIP_LEVEL: u32 = 9;

/// How a response body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    fn header(self) -> Option<&'static str> {
        match self {
            Self::Brotli => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::Identity => None,
        }
    }
}

/// A file's body in one encoding, and which version of the file it is.
#[derive(Clone)]
struct Kept {
    modified: Option<SystemTime>,
    len: u64,
    body: Bytes,
}

/// The bundle's directory and what was compressed from it.
#[derive(Clone)]
pub(crate) struct Assets {
    dir: PathBuf,
    kept: Arc<Mutex<HashMap<(String, Encoding), Kept>>>,
    /// One read and compression at a time, held by the task doing it (not by a request, which
    /// its client may cancel): a burst of first page loads compresses each file once.
    compressing: Arc<tokio::sync::Mutex<()>>,
    /// One better compression at a time (a file's wasm, JS and CSS do not take every core
    /// together just as the first visitors arrive).
    improving: Arc<tokio::sync::Mutex<()>>,
    /// Brotli's quality for a first compression, and for the one that replaces it.
    brotli: (u32, u32),
}

impl Assets {
    /// The bundle in `dir` (the site root's `pkg` directory).
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self::with_brotli(dir, BROTLI_QUALITY, BROTLI_BEST)
    }

    /// [`Assets::new`] with Brotli at `first`, then at `best` in the background.
    fn with_brotli(dir: PathBuf, first: u32, best: u32) -> Self {
        Self {
            dir,
            kept: Arc::default(),
            compressing: Arc::default(),
            improving: Arc::default(),
            brotli: (first, best),
        }
    }

    fn lookup(
        &self,
        key: &(String, Encoding),
        modified: Option<SystemTime>,
        len: u64,
    ) -> Option<Bytes> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.get(key)
            .filter(|entry| entry.modified == modified && entry.len == len)
            .map(|entry| entry.body.clone())
    }

    /// The file's body in `encoding`, read (and compressed) now if it is not kept yet.
    ///
    /// The work runs in a task of its own that holds the one turn: a client that goes away
    /// does not cancel it (the next one would start it again), and the result is kept for the
    /// next request whoever asked.
    async fn body(&self, name: &str, path: &Path, encoding: Encoding) -> std::io::Result<Bytes> {
        let meta = tokio::fs::metadata(path).await?;
        if !meta.is_file() {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        let key = (name.to_owned(), encoding);
        if let Some(body) = self.lookup(&key, meta.modified().ok(), meta.len()) {
            return Ok(body);
        }
        let assets = self.clone();
        let path = path.to_owned();
        tokio::spawn(async move {
            let _turn = assets.compressing.clone().lock_owned().await;
            // Again under the turn: another request may have kept it, or the file changed.
            let meta = tokio::fs::metadata(&path).await?;
            let (modified, len) = (meta.modified().ok(), meta.len());
            if let Some(body) = assets.lookup(&key, modified, len) {
                return Ok(body);
            }
            let raw = Arc::new(tokio::fs::read(&path).await?);
            let (first, best) = assets.brotli;
            let body = {
                let raw = raw.clone();
                tokio::task::spawn_blocking(move || compress(&raw, encoding, first))
                    .await
                    .map_err(std::io::Error::other)??
            };
            let body = Bytes::from(body);
            assets.keep(
                key.clone(),
                Kept {
                    modified,
                    len,
                    body: body.clone(),
                },
            );
            if encoding == Encoding::Brotli && best > first {
                assets.improve(key, raw, modified, len, best);
            }
            Ok(body)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Compresses a file kept at the first quality again at `best`, in the background (not
    /// holding the turn: other files' first compressions go on), and keeps the result in its
    /// place if the file is still the same.
    fn improve(
        &self,
        key: (String, Encoding),
        raw: Arc<Vec<u8>>,
        modified: Option<SystemTime>,
        len: u64,
        best: u32,
    ) {
        let assets = self.clone();
        tokio::spawn(async move {
            let _turn = assets.improving.clone().lock_owned().await;
            let encoding = key.1;
            let done = tokio::task::spawn_blocking(move || compress(&raw, encoding, best))
                .await
                .map_err(std::io::Error::other)
                .and_then(|compressed| compressed);
            let body = match done {
                Ok(body) => body,
                Err(error) => {
                    tracing::warn!(%error, file = %key.0, "compressing a bundle file again");
                    return;
                }
            };
            let still = assets.lookup(&key, modified, len).is_some();
            if still {
                assets.keep(
                    key,
                    Kept {
                        modified,
                        len,
                        body: Bytes::from(body),
                    },
                );
            }
        });
    }

    /// Keeps `kept` under `key`, and lets go of files that are gone (a rebuild under
    /// `cargo leptos watch` names its files anew), so only what the directory holds is kept.
    fn keep(&self, key: (String, Encoding), kept: Kept) {
        let mut all = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.retain(|(name, _), _| self.dir.join(name).is_file());
        all.insert(key, kept);
    }
}

/// `raw` in `encoding` (Brotli at `quality`).
fn compress(raw: &[u8], encoding: Encoding, quality: u32) -> std::io::Result<Vec<u8>> {
    match encoding {
        Encoding::Brotli => {
            let mut out = Vec::with_capacity(raw.len() / 3);
            let mut writer =
                brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, BROTLI_WINDOW);
            writer.write_all(raw)?;
            writer.flush()?;
            drop(writer);
            Ok(out)
        }
        Encoding::Gzip => {
            let mut writer = flate2::write::GzEncoder::new(
                Vec::with_capacity(raw.len() / 3),
                flate2::Compression::new(GZIP_LEVEL),
            );
            writer.write_all(raw)?;
            writer.finish()
        }
        Encoding::Identity => Ok(raw.to_vec()),
    }
}

/// The best encoding the client accepts: Brotli, else gzip (`x-gzip` too), else none (`q=0`
/// refuses one; other weights are not a preference here: Brotli is smaller).
fn negotiate(headers: &HeaderMap) -> Encoding {
    let accepted = |wanted: &[&str]| {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|param| {
                    let param = param.trim().to_ascii_lowercase();
                    param
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                wanted.iter().any(|w| name.eq_ignore_ascii_case(w)) && !refused
            })
    };
    if accepted(&["br"]) {
        Encoding::Brotli
    } else if accepted(&["gzip", "x-gzip"]) {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// What a bundle file is, by its extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /pkg/<file>`: a file of the bundle, in the best encoding the client takes. Only plain
/// file names of the directory are served (no `..`, no subdirectories).
pub(crate) async fn serve(
    State(state): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain {
        return StatusCode::NOT_FOUND.into_response();
    }
    let assets = &state.assets;
    let path = assets.dir.join(&name);
    let encoding = negotiate(&headers);
    match assets.body(&name, &path, encoding).await {
        Ok(body) => {
            let mut response = Response::new(Body::from(body));
            let head = response.headers_mut();
            head.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&name)),
            );
            head.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            if let Some(coding) = encoding.header() {
                head.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            }
            response
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            StatusCode::NOT_FOUND.into_response()
        }
        Err(error) => {
            tracing::warn!(%error, file = %name, "serving a bundle file");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_best_accepted_encoding_is_chosen() {
        assert_eq!(
            negotiate(&accepting("gzip, deflate, br, zstd")),
            Encoding::Brotli
        );
        assert_eq!(negotiate(&accepting("gzip")), Encoding::Gzip);
        assert_eq!(negotiate(&accepting("br;q=0, gzip;q=0.5")), Encoding::Gzip);
        assert_eq!(negotiate(&accepting("identity")), Encoding::Identity);
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(negotiate(&accepting("BR")), Encoding::Brotli);
        assert_eq!(negotiate(&accepting("br;Q=0, x-gzip")), Encoding::Gzip);
    }

    #[test]
    fn compressed_bodies_decompress_to_the_file() {
        let raw: Vec<u8> = (0..200_000u32)
            .flat_map(|n| (n % 251).to_le_bytes())
            .collect();
        let br = compress(&raw, Encoding::Brotli, BROTLI_QUALITY).unwrap();
        let mut back = Vec::new();
        brotli::Decompressor::new(br.as_slice(), 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, raw);
        let gz = compress(&raw, Encoding::Gzip, BROTLI_QUALITY).unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, raw);
        assert!(br.len() < raw.len() / 4 && gz.len() < raw.len() / 2);
    }

    #[tokio::test]
    async fn a_file_answered_first_at_a_quick_quality_is_then_kept_at_the_best() {
        let dir = std::env::temp_dir().join(format!("tertulia-best-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.wasm");
        let raw: Vec<u8> = (0..300_000u32)
            .flat_map(|n| ((n * 7919) % 1021).to_le_bytes())
            .collect();
        std::fs::write(&path, &raw).unwrap();
        let assets = Assets::with_brotli(dir.clone(), 1, 11);
        let first = assets
            .body("app.wasm", &path, Encoding::Brotli)
            .await
            .unwrap();
        // The better copy replaces it once made (bounded: it is seconds at most).
        let mut best = first.clone();
        for _ in 0..600 {
            best = assets
                .body("app.wasm", &path, Encoding::Brotli)
                .await
                .unwrap();
            if best.len() != first.len() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(best.len() < first.len(), "{} < {}", best.len(), first.len());
        let mut back = Vec::new();
        brotli::Decompressor::new(best.as_ref(), 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, raw);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_file_is_compressed_once_and_again_when_it_changes() {
        let dir = std::env::temp_dir().join(format!("tertulia-assets-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.js");
        std::fs::write(&path, "let a = 1;".repeat(1000)).unwrap();
        let assets = Assets::new(dir.clone());
        let first = assets.body("app.js", &path, Encoding::Gzip).await.unwrap();
        let again = assets.body("app.js", &path, Encoding::Gzip).await.unwrap();
        assert_eq!(
            first.as_ptr(),
            again.as_ptr(),
            "the kept bytes, not new ones"
        );
        let plain = assets
            .body("app.js", &path, Encoding::Identity)
            .await
            .unwrap();
        let plain_again = assets
            .body("app.js", &path, Encoding::Identity)
            .await
            .unwrap();
        assert_eq!(
            plain.as_ptr(),
            plain_again.as_ptr(),
            "one copy of the plain file too"
        );
        assert_eq!(plain.as_ref(), "let a = 1;".repeat(1000).as_bytes());
        // A rebuild names its files anew: the old one's bytes go when the next is kept.
        std::fs::write(dir.join("next.js"), "let c = 3;".repeat(500)).unwrap();
        std::fs::remove_file(&path).unwrap();
        assets
            .body("next.js", &dir.join("next.js"), Encoding::Gzip)
            .await
            .unwrap();
        assert!(
            assets
                .kept
                .lock()
                .unwrap()
                .keys()
                .all(|(name, _)| name == "next.js"),
            "only what the directory holds is kept"
        );
        std::fs::write(&path, "let b = 2;".repeat(2000)).unwrap();
        let changed = assets.body("app.js", &path, Encoding::Gzip).await.unwrap();
        let mut back = String::new();
        flate2::read::GzDecoder::new(changed.as_ref())
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, "let b = 2;".repeat(2000));
        assert!(
            assets
                .body("gone.js", &dir.join("gone.js"), Encoding::Brotli)
                .await
                .is_err()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
