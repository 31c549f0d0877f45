//! HTTP bodies of the identity API (`/api/auth/*`, `/api/me`).

use serde::{Deserialize, Serialize};

use crate::{ErrorBody, User};

/// `POST /api/auth/register` and `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Username.
    pub username: String,
    /// Password in clear (only ever over the request body).
    pub password: String,
}

/// `POST /api/auth/guest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestReq {
    /// Desired display name; must be free.
    pub username: String,
}

/// Successful authentication: the user and a bearer token for non-browser clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRes {
    /// The signed-in user.
    pub user: User,
    /// Session token (also set as an HttpOnly cookie for browsers).
    pub token: String,
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeRes {
    /// The signed-in user.
    pub user: User,
}

/// Every HTTP error body: `{"error":{code,message}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpError {
    /// The error.
    pub error: ErrorBody,
}
