//! Profile pictures (v1.25): `POST /api/me/avatar` (the image as the body, made into a square
//! picture), `DELETE /api/me/avatar`, and `GET /api/avatars/<id>` for anyone signed in.

use axum::Json;
use axum::body::Body;
use axum::extract::{self, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use protocol::validate::{self, AVATAR_UPLOAD_MAX};
use protocol::{ErrorCode, Profile, Role};
use store::Avatar;

use super::files::{Download, Upload, declared_length, open_kept, stream};
use super::pipeline::{ApiPlace, ApiPolicy, admit};
use super::state::AppState;
use crate::chat::Actor;
use crate::client_addr::ClientAddr;
use crate::error::{AppError, AppResult};
use crate::files;
use crate::files::incoming::{Arrived, Incoming};
use crate::files::preview::{self, NotMade, PreviewError, Shape};

/// `POST /api/me/avatar`: the caller's new picture → 200 [`Profile`].
pub async fn upload(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match set(&state, &client, &headers, body).await {
        Ok(profile) => Json(profile).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `DELETE /api/me/avatar`: no picture any more → 200 [`Profile`].
pub async fn remove(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
) -> Response {
    let taken = async {
        let (_place, actor) = signed_in::<Upload>(&state, &client, &headers).await?;
        state.services.chat.set_avatar(&actor, None).await
    };
    match taken.await {
        Ok(profile) => Json(profile).into_response(),
        Err(error) => error.into_response(),
    }
}

/// `GET /api/avatars/<id>`: a current picture, to anyone signed in.
pub async fn serve(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    extract::Path(id): extract::Path<String>,
) -> Response {
    let served = async {
        let (_place, _) = signed_in::<Download>(&state, &client, &headers).await?;
        validate::attachment_id(&id)?;
        let hub = &state.services.hub;
        let missing = || AppError::not_found("there is no such picture");
        let content_type = hub.store.avatar_type(&id).await?.ok_or_else(missing)?;
        let handle = open_kept(&hub.files, &id, true, missing).await?;
        stream(
            handle,
            content_type,
            "inline; filename=\"avatar\"".to_owned(),
        )
        .await
    };
    served.await.unwrap_or_else(IntoResponse::into_response)
}

/// The caller, admitted under policy `P`, and its place among the address's calls in
/// progress (held for the whole call); `unauthorized` without a session.
async fn signed_in<P: ApiPolicy>(
    state: &AppState,
    client: &ClientAddr,
    headers: &HeaderMap,
) -> AppResult<(ApiPlace, Actor)> {
    let (place, caller) = admit::<P>(state, client, headers).await?;
    let user = caller.ok_or_else(AppError::unauthorized)?.user;
    let actor = Actor {
        user,
        addr: client.key,
    };
    Ok((place, actor))
}

/// Receives the image, makes the picture of it and gives it to the caller.
async fn set(
    state: &AppState,
    client: &ClientAddr,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<Profile> {
    if declared_length(headers).is_some_and(|length| length > AVATAR_UPLOAD_MAX) {
        return Err(too_large());
    }
    // The place is held while the picture arrives and is made.
    let (_place, actor) = signed_in::<Upload>(state, client, headers).await?;
    let hub = &state.services.hub;
    if actor.user.role == Role::Guest && !hub.config.guest_uploads {
        return Err(AppError::forbidden(
            "this server takes pictures from registered accounts only; register to set one",
        ));
    }
    let arrived = receive(hub, body).await?;
    if !preview::is_previewable(&arrived.content_type) {
        return Err(AppError::bad_request(
            "a profile picture is a PNG, JPEG, GIF or WebP image",
        ));
    }
    let id = files::new_id();
    let turns = hub.picture_turns(&hub.previews);
    let made = preview::shape_in_turn(&turns, arrived.partial.path(), &id, Shape::Avatar).await;
    drop(arrived);
    let content_type = match made {
        Ok(content_type) => content_type,
        Err(NotMade::Busy) => {
            return Err(AppError::new(
                ErrorCode::RateLimited,
                NotMade::Busy.to_string(),
            ));
        }
        Err(NotMade::Failed(PreviewError::Io(error))) => {
            return Err(AppError::internal("keeping a profile picture", error));
        }
        Err(NotMade::Failed(error)) => {
            tracing::debug!(%error, "a profile picture that cannot be made");
            return Err(AppError::bad_request(
                "the image cannot be read (broken, or too large to decode)",
            ));
        }
    };
    let avatar = Avatar { id, content_type };
    state.services.chat.set_avatar(&actor, Some(avatar)).await
}

/// Streams the body into a partial file, up to [`AVATAR_UPLOAD_MAX`].
async fn receive(hub: &crate::hub::Hub, body: Body) -> AppResult<Arrived> {
    let internal = |error| AppError::internal("storing a profile picture", error);
    let mut incoming = Incoming::start(&hub.files).await.map_err(internal)?;
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| {
            AppError::bad_request(format!("the picture did not arrive whole: {error}"))
        })?;
        if !incoming
            .take(&chunk, AVATAR_UPLOAD_MAX)
            .await
            .map_err(internal)?
        {
            return Err(too_large());
        }
    }
    let arrived = incoming.finish().await.map_err(internal)?;
    if arrived.size == 0 {
        return Err(AppError::bad_request(
            "send the picture as the request's body",
        ));
    }
    Ok(arrived)
}

fn too_large() -> AppError {
    AppError::new(
        ErrorCode::TooLong,
        format!(
            "a profile picture may have at most {} MB",
            AVATAR_UPLOAD_MAX / (1024 * 1024)
        ),
    )
}
