//! `POST /api/files` (an upload, streamed to disk as it arrives) and `GET /api/files/<id>`
//! (`/preview`): the file or its preview, to those who can see its room.

use std::path::Path;

use axum::Json;
use axum::body::Body;
use axum::extract::{self, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::links::files as fields;
use protocol::{Attachment, ErrorCode, Role, User, validate};
use store::NewFile;

use super::pipeline::{ApiPolicy, admit};
use super::state::AppState;
use crate::client_addr::ClientAddr;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::files::incoming::{Arrived, Incoming};
use crate::files::{self, preview};
use crate::hub::Hub;

/// What a form may carry besides the file: the room field, part headers, boundaries.
const FORM_OVERHEAD: u64 = 16 * 1024;

/// `POST /api/files` (and a profile picture's change): charged like 20 events.
pub(super) struct Upload;
impl ApiPolicy for Upload {
    const COST: u32 = 20;
}

/// `GET /api/files/<id>` (and a link preview's image, a profile picture): one event.
pub(super) struct Download;
impl ApiPolicy for Download {
    const COST: u32 = 1;
}

/// `POST /api/files` multipart `room`, then `file` → 201 [`Attachment`].
pub async fn upload(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let metrics = state.services.hub.metrics();
    match receive(&state, &client, &headers, body).await {
        Ok(attachment) => {
            metrics.upload(Some(attachment.size));
            (StatusCode::CREATED, Json(attachment)).into_response()
        }
        Err(error) => {
            metrics.upload(None);
            error.into_response()
        }
    }
}

/// `GET /api/files/<id>`: the file, as a download.
pub async fn download(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    extract::Path(id): extract::Path<String>,
) -> Response {
    serve(&state, &client, &headers, &id, false)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /api/files/<id>/preview`: an image's preview, shown inline.
pub async fn preview(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    extract::Path(id): extract::Path<String>,
) -> Response {
    serve(&state, &client, &headers, &id, true)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /api/link-images/<id>`: a link preview's image (v1.16), to anyone signed in (it is a
/// copy of a public page's image; its id cannot be guessed).
pub async fn link_image(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    extract::Path(id): extract::Path<String>,
) -> Response {
    serve_link_image(&state, &client, &headers, &id)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn serve_link_image(
    state: &AppState,
    client: &ClientAddr,
    headers: &HeaderMap,
    id: &str,
) -> AppResult<Response> {
    let (_place, caller) = admit::<Download>(state, client, headers).await?;
    caller.ok_or_else(AppError::unauthorized)?;
    validate::attachment_id(id)?;
    let hub = &state.services.hub;
    let missing = || AppError::not_found("there is no such image");
    let content_type = hub.store.link_image_type(id).await?.ok_or_else(missing)?;
    let handle = open_kept(&hub.files, id, true, missing).await?;
    stream(
        handle,
        content_type,
        "inline; filename=\"preview\"".to_owned(),
    )
    .await
}

/// The window of the per-user upload quota.
const QUOTA_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The budget an upload counts against that leaves the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    /// The uploader's own 24-hour quota.
    Account(u64),
    /// What guests from one address may upload together in 24 hours.
    GuestsOfAddress(u64),
    /// What one address may upload in 24 hours.
    Address(u64),
    /// The space for all files on the server.
    Disk,
}

impl Budget {
    /// The answer to an upload that would pass it.
    fn spent(self) -> AppError {
        match self {
            Self::Account(quota) => AppError::new(
                ErrorCode::RateLimited,
                format!(
                    "you may upload {} in 24 hours; this file would pass it (try later, or delete files you sent)",
                    human_size(quota)
                ),
            ),
            Self::GuestsOfAddress(quota) => AppError::new(
                ErrorCode::RateLimited,
                format!(
                    "guests from your network may upload {} together in 24 hours; this file would pass it (try later, or register an account)",
                    human_size(quota)
                ),
            ),
            Self::Address(quota) => AppError::new(
                ErrorCode::RateLimited,
                format!(
                    "your network may upload {} in 24 hours; this file would pass it (try later)",
                    human_size(quota)
                ),
            ),
            Self::Disk => AppError::forbidden(
                "this server's space for files is full: no uploads until files are deleted (tell an admin)",
            ),
        }
    }
}

/// How many bytes `user` may upload now from `client`, and the budget that leaves the least.
///
/// # Errors
/// `forbidden` for a guest when guests may not upload; a store failure.
async fn allowance(hub: &Hub, user: &User, client: &ClientAddr) -> AppResult<(u64, Budget)> {
    let config = &hub.config;
    let guest = user.role == Role::Guest;
    if guest && !config.guest_uploads {
        return Err(AppError::forbidden(
            "this server takes files from registered accounts only; register to send files",
        ));
    }
    let since = now_ms() - QUOTA_WINDOW_MS;
    let address = client.key.to_string();
    let store = &hub.store;
    let account = config.upload_quota;
    let per_address = account.saturating_mul(u64::from(config.ip_quota_factor.max(1)));
    let mut budgets = vec![
        (
            account.saturating_sub(store.uploaded_since(user.id, since).await?),
            Budget::Account(account),
        ),
        (
            per_address.saturating_sub(store.uploaded_from_since(&address, since, false).await?),
            Budget::Address(per_address),
        ),
    ];
    if guest {
        let used = store.uploaded_from_since(&address, since, true).await?;
        budgets.push((
            account.saturating_sub(used),
            Budget::GuestsOfAddress(account),
        ));
    }
    if config.files_budget > 0 {
        let used = store.kept_file_bytes().await?;
        budgets.push((config.files_budget.saturating_sub(used), Budget::Disk));
    }
    Ok(budgets
        .into_iter()
        .min_by_key(|(left, _)| *left)
        .unwrap_or((account, Budget::Account(account))))
}

fn too_large(max: u64) -> AppError {
    AppError::new(
        ErrorCode::TooLong,
        format!("a file may have at most {}", human_size(max)),
    )
}

/// What multer reports, as the client should hear it.
fn form_error(max: u64) -> impl Fn(multer::Error) -> AppError {
    move |error| match error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            too_large(max)
        }
        multer::Error::UnknownField { .. } => AppError::bad_request(format!(
            "the form has the fields `{}` and then `{}`",
            fields::ROOM,
            fields::FILE
        )),
        other => AppError::bad_request(format!("a malformed upload form: {other}")),
    }
}

fn internal(error: std::io::Error) -> AppError {
    AppError::internal("storing an upload", error)
}

/// A file field written to disk, and its name.
struct Received {
    name: String,
    file: Arrived,
}

/// The body length the request declares, if it does: a body declared too large is refused
/// before a byte of it is read.
pub(super) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
}

async fn receive(
    state: &AppState,
    client: &ClientAddr,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<Attachment> {
    let max = state.services.hub.config.max_upload;
    if declared_length(headers).is_some_and(|length| length > max + FORM_OVERHEAD) {
        return Err(too_large(max));
    }
    let (_place, caller) = admit::<Upload>(state, client, headers).await?;
    let user = caller.ok_or_else(AppError::unauthorized)?.user;
    let (left, budget) = allowance(&state.services.hub, &user, client).await?;
    if left == 0 {
        return Err(budget.spent());
    }
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| multer::parse_boundary(value).ok())
        .ok_or_else(|| AppError::bad_request("send the file as multipart/form-data"))?;
    let constraints = multer::Constraints::new()
        .allowed_fields(vec![fields::ROOM, fields::FILE])
        .size_limit(
            multer::SizeLimit::new()
                .whole_stream(max + FORM_OVERHEAD)
                .for_field(fields::ROOM, 1024)
                .for_field(fields::FILE, max),
        );
    let mut form =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let chat = &state.services.chat;
    let mut room = None;
    let mut received = None;
    while let Some(mut field) = form.next_field().await.map_err(form_error(max))? {
        match (field.name(), &room, &received) {
            (Some(fields::ROOM), None, None) => {
                let name = field.text().await.map_err(form_error(max))?;
                room = Some(chat.upload_room(&user, &name).await?);
            }
            (Some(fields::FILE), Some(_), None) => {
                // Stops at the per-file limit or at what is left of the tightest budget.
                let over = || {
                    if left < max {
                        budget.spent()
                    } else {
                        too_large(max)
                    }
                };
                received =
                    Some(write_field(&state.services.hub, &mut field, max.min(left), over).await?);
            }
            _ => {
                return Err(AppError::bad_request(format!(
                    "the form has the field `{}`, then the field `{}`, once each",
                    fields::ROOM,
                    fields::FILE
                )));
            }
        }
    }
    let (Some(room), Some(received)) = (room, received) else {
        return Err(AppError::bad_request(format!(
            "the form needs the fields `{}` and `{}`",
            fields::ROOM,
            fields::FILE
        )));
    };
    store_upload(&state.services.hub, &user, client, room.id, received).await
}

/// Streams the file field into a partial file, counting and keeping its first bytes.
async fn write_field(
    hub: &Hub,
    field: &mut multer::Field<'_>,
    limit: u64,
    over: impl Fn() -> AppError,
) -> AppResult<Received> {
    let max = hub.config.max_upload;
    let name = validate::file_name(field.file_name().unwrap_or_default());
    let mut incoming = Incoming::start(&hub.files).await.map_err(internal)?;
    while let Some(chunk) = field.chunk().await.map_err(form_error(max))? {
        if !incoming.take(&chunk, limit).await.map_err(internal)? {
            return Err(over());
        }
    }
    let file = incoming.finish().await.map_err(internal)?;
    if file.size == 0 {
        return Err(AppError::bad_request("the file is empty"));
    }
    Ok(Received { name, file })
}

/// Decides the type, makes a preview of an image, moves the file into place and records it.
async fn store_upload(
    hub: &Hub,
    user: &User,
    client: &ClientAddr,
    room_id: i64,
    received: Received,
) -> AppResult<Attachment> {
    let Received { name, file } = received;
    let id = files::new_id();
    let preview_type = if preview::is_previewable(&file.content_type) {
        make_preview(hub, file.partial.path(), &id).await
    } else {
        None
    };
    hub.files
        .keep(file.partial, &id, false)
        .await
        .map_err(internal)?;
    let new = NewFile {
        id: id.clone(),
        room_id,
        user_id: user.id,
        name,
        size: file.size,
        content_type: file.content_type,
        preview_type,
        ts: now_ms(),
        client_addr: Some(client.key.to_string()),
    };
    match hub.store.insert_file(&new).await {
        Ok(record) => {
            tracing::debug!(user = %user.username, file = %id, size = new.size, "file uploaded");
            Ok(record.attachment())
        }
        Err(error) => {
            hub.files.remove(&id).await;
            Err(error.into())
        }
    }
}

/// Makes the preview of the image at `source` as `id`'s (see [`preview::make_in_turn`]).
async fn make_preview(hub: &Hub, source: &Path, id: &str) -> Option<String> {
    preview::make_in_turn(&hub.picture_turns(&hub.previews), source, id).await
}

/// Answers a file (or its preview) to a caller who may see it.
async fn serve(
    state: &AppState,
    client: &ClientAddr,
    headers: &HeaderMap,
    id: &str,
    preview: bool,
) -> AppResult<Response> {
    let (_place, caller) = admit::<Download>(state, client, headers).await?;
    let user = caller.ok_or_else(AppError::unauthorized)?.user;
    let chat = &state.services.chat;
    let file = chat.downloadable(&user, id).await?;
    let missing = || AppError::not_found("there is no such file");
    let (content_type, disposition) = if preview {
        (file.preview_type.clone().ok_or_else(missing)?, "inline")
    } else {
        (file.content_type.clone(), "attachment")
    };
    let handle = open_kept(&state.services.hub.files, &file.id, preview, missing).await?;
    stream(
        handle,
        content_type,
        content_disposition(disposition, &file.name),
    )
    .await
}

/// Opens a kept file (or its preview); `missing` when it is not there.
pub(super) async fn open_kept(
    files: &files::FileStore,
    id: &str,
    preview: bool,
    missing: impl FnOnce() -> AppError,
) -> AppResult<tokio::fs::File> {
    match files.open(id, preview).await {
        Ok(handle) => Ok(handle),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(missing()),
        Err(error) => Err(internal(error)),
    }
}

/// A kept file as the answer: its type and disposition, cached privately for good (ids are
/// never reused), never run as a page of this site.
pub(super) async fn stream(
    handle: tokio::fs::File,
    content_type: String,
    disposition: String,
) -> AppResult<Response> {
    let length = handle.metadata().await.map_err(internal)?.len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(handle));
    let header_value = |value: String| {
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    };
    let mut response = Response::new(body);
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, header_value(content_type));
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    out.insert(header::CONTENT_DISPOSITION, header_value(disposition));
    // Ids are never reused, so a copy never goes stale; deleted files stop being served.
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    // Whatever a file holds, a browser never runs it as a page of this site.
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    out.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    Ok(response)
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266).
fn content_disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = protocol::links::encode_query(name);
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// `10 MB`, `512 KB`, `300 bytes`.
fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_survive_any_name() {
        assert_eq!(
            content_disposition("attachment", "photo.png"),
            "attachment; filename=\"photo.png\"; filename*=UTF-8''photo.png"
        );
        let tricky = content_disposition("attachment", "a\"b\\c é.txt");
        assert_eq!(
            tricky,
            "attachment; filename=\"a_b_c _.txt\"; filename*=UTF-8''a%22b%5Cc%20%C3%A9.txt"
        );
        assert!(HeaderValue::from_str(&tricky).is_ok());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(human_size(1536), "1 KB");
        assert_eq!(human_size(300), "300 bytes");
    }
}
