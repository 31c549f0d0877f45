//! The one error type of request and event handlers, converted once at the edge: into an
//! HTTP response ([`IntoResponse`]) or an ack / `error` event body ([`AppError::body`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use protocol::http::HttpError;
use protocol::{ErrorBody, ErrorCode};
use store::StoreError;
use thiserror::Error;

/// A handler failure: either a refusal the client should see, or an internal fault.
#[derive(Debug, Error)]
pub enum AppError {
    /// An expected refusal, with the contract's code and a message for the user.
    #[error("{0}")]
    Refused(ErrorBody),
    /// A fault of the server; the client sees only `internal`.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result of handlers.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A refusal with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Refused(ErrorBody::new(code, message))
    }

    /// `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "sign in first")
    }

    /// `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `rate_limited`.
    pub fn rate_limited() -> Self {
        Self::new(ErrorCode::RateLimited, "too many requests, slow down")
    }

    /// The code the client sees.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(body) => body.code,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The body the client sees; internal faults are logged here, once, and hidden.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        match self {
            Self::Refused(body) => body.clone(),
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ErrorBody::new(ErrorCode::Internal, "something went wrong on the server")
            }
        }
    }

    /// The HTTP status for the code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self.code() {
            ErrorCode::BadRequest | ErrorCode::EmptyMessage => StatusCode::BAD_REQUEST,
            ErrorCode::TooLong => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::NotMember => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ErrorBody> for AppError {
    fn from(body: ErrorBody) -> Self {
        Self::Refused(body)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => Self::new(ErrorCode::Conflict, "that name is already taken"),
            StoreError::ClientIdReused => Self::new(
                ErrorCode::Conflict,
                "this client_id belongs to a message in another room; use a new one for each message",
            ),
            StoreError::LastAdmin => Self::forbidden("the last admin cannot be demoted"),
            StoreError::Muted(_) => Self::forbidden("you are muted in this room"),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::live::LiveError> for AppError {
    fn from(error: crate::live::LiveError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, Json(HttpError { error: self.body() })).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
