//! The one error type of request and event handlers, converted once at the edge: into an
//! HTTP response ([`IntoResponse`]) or an ack / `error` event body ([`AppError::body`]).
//!
//! A refusal carries the contract's code and a message for the user. An internal fault keeps
//! what went wrong (its source chain) for the log and shows the client only `internal`; it is
//! logged once, by the pipeline that answers: the socket pipeline when it replies, and
//! [`log_faults`] for every HTTP response.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use protocol::http::HttpError;
use protocol::{ErrorBody, ErrorCode};
use store::StoreError;
use thiserror::Error;

/// Any error kept as the cause of an internal fault.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A handler failure: either a refusal the client should see, or an internal fault.
#[derive(Debug, Error)]
pub(crate) enum AppError {
    /// An expected refusal, with the contract's code and a message for the user.
    #[error("{0}")]
    Refused(ErrorBody),
    /// A fault of the server; the client sees only `internal`. Shown (in logs) with its
    /// causes, so any `%error` a caller logs says what went wrong.
    #[error("internal error: {context}{}", Causes(source.as_deref()))]
    Internal {
        /// What the server was doing.
        context: Cow<'static, str>,
        /// Why it failed, when another error says so.
        #[source]
        source: Option<BoxError>,
    },
}

/// Result of handlers.
pub(crate) type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A refusal with this code and message.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Refused(ErrorBody::new(code, message))
    }

    /// `bad_request`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `unauthorized`.
    pub(crate) fn unauthorized() -> Self {
        Self::new(ErrorCode::Unauthorized, "sign in first")
    }

    /// `forbidden`.
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `not_found`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `rate_limited`.
    pub(crate) fn rate_limited() -> Self {
        Self::new(ErrorCode::RateLimited, "too many requests, slow down")
    }

    /// An internal fault while doing `context`, caused by `source`.
    pub(crate) fn internal(
        context: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// An internal fault with no other error behind it (a broken invariant).
    pub(crate) fn invariant(context: impl Into<Cow<'static, str>>) -> Self {
        Self::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// The code the client sees.
    #[must_use]
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(body) => body.code,
            Self::Internal { .. } => ErrorCode::Internal,
        }
    }

    /// The body the client sees: a refusal as it is, an internal fault only as `internal`.
    #[must_use]
    pub(crate) fn body(&self) -> ErrorBody {
        match self {
            Self::Refused(body) => body.clone(),
            Self::Internal { .. } => {
                ErrorBody::new(ErrorCode::Internal, "something went wrong on the server")
            }
        }
    }

    /// Logs an internal fault with its whole source chain (refusals are the client's business
    /// and are not logged here). Called once, by the pipeline that answers.
    pub(crate) fn log_if_internal(&self) {
        if matches!(self, Self::Internal { .. }) {
            tracing::error!(error = %self, "internal error");
        }
    }

    /// The HTTP status for the code.
    #[must_use]
    pub(crate) fn status(&self) -> StatusCode {
        match self.code() {
            ErrorCode::BadRequest | ErrorCode::EmptyMessage => StatusCode::BAD_REQUEST,
            ErrorCode::TooLong => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::NotMember => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::BAD_GATEWAY,
        }
    }
}

/// The causes of an internal fault, each after `: `, for one log line.
struct Causes<'a>(Option<&'a (dyn std::error::Error + Send + Sync + 'static)>);

impl std::fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = self
            .0
            .map(|error| error as &(dyn std::error::Error + 'static));
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
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
            other => Self::internal("the database failed", other),
        }
    }
}

impl From<crate::live::LiveError> for AppError {
    fn from(error: crate::live::LiveError) -> Self {
        Self::internal("the live state failed", error)
    }
}

/// An internal fault riding on its HTTP response to [`log_faults`].
#[derive(Clone)]
struct Fault(Arc<AppError>);

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
        if matches!(self, Self::Internal { .. }) {
            response.extensions_mut().insert(Fault(Arc::new(self)));
        }
        response
    }
}

/// Middleware (outermost): logs the internal fault behind any HTTP response, once, whichever
/// handler or guard produced it.
pub(crate) async fn log_faults(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(Fault(error)) = response.extensions().get::<Fault>() {
        error.log_if_internal();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_fault_keeps_its_cause_and_shows_only_internal() {
        let cause = std::io::Error::other("disk on fire");
        let error = AppError::internal("storing an upload", cause);
        assert_eq!(error.code(), ErrorCode::Internal);
        assert!(!error.body().message.contains("disk"));
        assert_eq!(
            error.to_string(),
            "internal error: storing an upload: disk on fire",
            "whoever logs it with `%error` gets the cause"
        );
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn an_http_answer_carries_its_fault_to_the_log_and_not_to_the_client() {
        let response = AppError::invariant("a broken promise").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.extensions().get::<Fault>().is_some());
        let refused = AppError::forbidden("no").into_response();
        assert!(refused.extensions().get::<Fault>().is_none());
    }
}
