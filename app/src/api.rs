//! The JSON API, called from the browser (the session cookie rides along).

use gloo_net::http::{Request, Response};
use protocol::User;
use protocol::http::{
    AuthRes, ChangePassword, ChangePasswordReq, Credentials, DeleteAccount, DeleteAccountReq,
    Endpoint, Guest, GuestReq, HttpError, Login, Logout, Me, MeRes, Register,
};

/// What the user should read when a call fails.
pub type ApiError = String;

/// Why signing in (as a guest, with a password, or by signing up) failed.
#[derive(Debug, Clone, PartialEq)]
pub enum SignInError {
    /// The server refused, with this code: the start page words it, in the same words
    /// whether its script ran (this call) or not (the form post, which only gets the code).
    Refused(protocol::ErrorCode),
    /// No usable answer (no network, an unexpected body): what to read.
    Failed(ApiError),
}

async fn read_auth(response: Result<Response, gloo_net::Error>) -> Result<User, SignInError> {
    let response = reached(response).map_err(SignInError::Failed)?;
    if response.ok() {
        return response
            .json::<AuthRes>()
            .await
            .map(|body| body.user)
            .map_err(|e| SignInError::Failed(format!("unexpected answer from the server: {e}")));
    }
    match response.json::<HttpError>().await {
        Ok(body) => Err(SignInError::Refused(body.error.code)),
        Err(_) => Err(SignInError::Failed(format!(
            "the server answered {}",
            response.status()
        ))),
    }
}

/// The server's answer, or what to read when it could not be reached.
fn reached(response: Result<Response, gloo_net::Error>) -> Result<Response, ApiError> {
    response.map_err(|_| "cannot reach the server; check your connection".to_owned())
}

/// What a refused call's answer says (its error message, or its status).
async fn refusal(response: Response) -> ApiError {
    match response.json::<HttpError>().await {
        Ok(body) => body.error.message,
        Err(_) => format!("the server answered {}", response.status()),
    }
}

/// `POST path` with a JSON body, for an endpoint that answers nothing but its status.
async fn post_for_status<T: serde::Serialize>(path: &str, body: &T) -> Result<(), ApiError> {
    let request = Request::post(path)
        .json(body)
        .map_err(|e| format!("could not build the request: {e}"))?;
    let response = reached(request.send().await)?;
    if response.ok() {
        return Ok(());
    }
    Err(refusal(response).await)
}

async fn sign_in<T: serde::Serialize>(path: &str, body: &T) -> Result<User, SignInError> {
    let request = Request::post(path)
        .json(body)
        .map_err(|e| SignInError::Failed(format!("could not build the request: {e}")))?;
    read_auth(request.send().await).await
}

/// `POST /api/auth/guest`.
pub async fn guest(username: String) -> Result<User, SignInError> {
    sign_in(Guest::PATH, &GuestReq { username }).await
}

/// `POST /api/auth/login`.
pub async fn login(username: String, password: String) -> Result<User, SignInError> {
    sign_in(Login::PATH, &Credentials { username, password }).await
}

/// `POST /api/auth/register`.
pub async fn register(username: String, password: String) -> Result<User, SignInError> {
    sign_in(Register::PATH, &Credentials { username, password }).await
}

/// `POST /api/auth/logout` (best effort: the cookie is cleared by the answer).
pub async fn logout() {
    let _ = Request::post(Logout::PATH).send().await;
}

/// `GET /api/me`: the signed-in user, if any.
pub async fn me() -> Option<User> {
    let response = Request::get(Me::PATH).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.json::<MeRes>().await.ok().map(|body| body.user)
}

/// The emoji catalogue (v1.17); `None` when it could not be read.
pub async fn emoji_catalog() -> Option<protocol::http::EmojiCatalog> {
    use protocol::http::{Emoji, Endpoint};
    let response = Request::get(Emoji::PATH).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.json().await.ok()
}

/// `POST /api/highlight`: a code block cut into coloured tokens, or `None` when the server
/// could not be asked or refused (the block is then shown plain).
pub async fn highlight(lang: String, code: String) -> Option<protocol::http::Highlighted> {
    use protocol::http::{Highlight, HighlightReq};
    let request = Request::post(Highlight::PATH)
        .json(&HighlightReq { lang, code })
        .ok()?;
    let response = request.send().await.ok()?;
    if !response.ok() {
        return None;
    }
    response.json().await.ok()
}

/// Whether the server says this browser's session is over (`401` from `/api/me`): signed out
/// elsewhere, revoked, or the account banned. A network failure is not an answer.
pub async fn session_ended() -> bool {
    matches!(Request::get(Me::PATH).send().await, Ok(response) if response.status() == 401)
}

/// `POST /api/me/password`: the new password (every other session of the account ends).
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    post_for_status(ChangePassword::PATH, &ChangePasswordReq { current, new }).await
}

/// `POST /api/me/delete`: deletes the account (a guest gives no password).
pub async fn delete_account(
    password: Option<String>,
    messages: protocol::MessagesOnDelete,
) -> Result<(), ApiError> {
    post_for_status(
        DeleteAccount::PATH,
        &DeleteAccountReq { password, messages },
    )
    .await
}

/// `POST /api/me/avatar`: the picture in `file` becomes the caller's (v1.25).
pub async fn set_avatar(file: web_sys::File) -> Result<protocol::Profile, ApiError> {
    let request = Request::post(protocol::links::MY_AVATAR)
        .body(file)
        .map_err(|e| format!("could not build the request: {e}"))?;
    read_profile(request.send().await).await
}

/// `DELETE /api/me/avatar`: the caller shows no picture any more (v1.25).
pub async fn remove_avatar() -> Result<protocol::Profile, ApiError> {
    read_profile(Request::delete(protocol::links::MY_AVATAR).send().await).await
}

async fn read_profile(
    response: Result<Response, gloo_net::Error>,
) -> Result<protocol::Profile, ApiError> {
    let response = reached(response)?;
    if !response.ok() {
        return Err(refusal(response).await);
    }
    response
        .json::<protocol::Profile>()
        .await
        .map_err(|e| format!("unexpected answer from the server: {e}"))
}
