//! A person's data over HTTP (v1.9): `GET /api/me/export` (your data as a zip),
//! `GET /api/admin/export?user=<name>` (an admin gets someone's) and `POST /api/me/delete`
//! (delete your account, keeping or removing your messages).

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::http::DeleteAccountReq;
use protocol::{Empty, Role};
use serde::Deserialize;

use super::pipeline::{Answer, ApiCtx, ApiPolicy, admit};
use super::state::AppState;
use crate::accounts::Export;
use crate::auth::cleared_cookie;
use crate::client_addr::ClientAddr;
use crate::error::{AppError, AppResult};

/// An export reads everything a person wrote: as dear as 50 events.
struct Exporting;
impl ApiPolicy for Exporting {
    const COST: u32 = 50;
}

impl ApiPolicy for protocol::http::DeleteAccount {
    // A password check is argon2 work: as dear as a sign-in.
    const COST: u32 = 0;
    const SIGN_IN: bool = true;
}

/// `GET /api/me/export`: the caller's data, as a zip download.
pub async fn export_mine(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
) -> Response {
    let made = async {
        let (_place, caller) = admit::<Exporting>(&state, &client, &headers).await?;
        let caller = caller.ok_or_else(AppError::unauthorized)?;
        state.services.accounts.export(&caller.user).await
    };
    match made.await {
        Ok(export) => download(export).await,
        Err(error) => error.into_response(),
    }
}

/// `?user=<name>` of `GET /api/admin/export`.
#[derive(Deserialize)]
pub struct Whose {
    /// The account's name.
    user: String,
}

/// `GET /api/admin/export?user=<name>`: an admin downloads someone's data (recorded in the
/// moderation log).
pub async fn export_user(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Query(whose): Query<Whose>,
) -> Response {
    let made = async {
        let (_place, caller) = admit::<Exporting>(&state, &client, &headers).await?;
        let caller = caller.ok_or_else(AppError::unauthorized)?;
        let accounts = &state.services.accounts;
        if accounts.current_role(&caller.user).await? != Role::Admin {
            return Err(AppError::forbidden("only admins export others' data"));
        }
        accounts.export_of(&caller.user, &whose.user).await
    };
    match made.await {
        Ok(export) => download(export).await,
        Err(error) => error.into_response(),
    }
}

/// The export as a `200` zip attachment (the file is unlinked once open: nothing is left on
/// disk when the answer ends).
async fn download(export: Export) -> Response {
    let file = match tokio::fs::File::open(export.partial.path()).await {
        Ok(file) => file,
        Err(error) => return AppError::internal("sending an export", error).into_response(),
    };
    drop(export.partial);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut response = Response::new(body);
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(export.bytes));
    out.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(r#"attachment; filename="tertulia-export.zip""#),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /api/me/delete` `{password?, messages}` → 204: the account is gone, every session
/// ended, the cookie cleared.
pub async fn delete_account(ctx: ApiCtx, body: DeleteAccountReq) -> AppResult<Answer<Empty>> {
    let caller = ctx.user()?;
    ctx.state
        .services
        .accounts
        .delete_own_account(ctx.address, &caller.user, body.password, body.messages)
        .await?;
    let cookie = cleared_cookie(ctx.state.services.hub.config.secure_cookies);
    Ok(Answer::empty(StatusCode::NO_CONTENT).with_cookie(cookie))
}
