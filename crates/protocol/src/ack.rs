//! Ack bodies and error codes: `{"ok":true, ...}` or `{"ok":false,"error":{code,message}}`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Every error code of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The payload has the wrong shape or an invalid field.
    BadRequest,
    /// No valid credential.
    Unauthorized,
    /// The credential is valid but the role or membership does not allow this.
    Forbidden,
    /// The room, user or message does not exist (or is not visible to the caller).
    NotFound,
    /// The socket has not joined the room it addresses.
    NotMember,
    /// The message text is empty after trimming.
    EmptyMessage,
    /// The message text (or another field) exceeds its limit.
    TooLong,
    /// Too many requests; try again later.
    RateLimited,
    /// The thing already exists (room name, username).
    Conflict,
    /// The server failed; details are in its log, not in the answer.
    Internal,
    /// Something the request needs beyond this server (a bot's web address) did not answer
    /// as it should (v1.29).
    Unavailable,
}

/// Every error code, in contract order.
pub const ALL_CODES: [ErrorCode; 11] = [
    ErrorCode::BadRequest,
    ErrorCode::Unauthorized,
    ErrorCode::Forbidden,
    ErrorCode::NotFound,
    ErrorCode::NotMember,
    ErrorCode::EmptyMessage,
    ErrorCode::TooLong,
    ErrorCode::RateLimited,
    ErrorCode::Conflict,
    ErrorCode::Internal,
    ErrorCode::Unavailable,
];

impl ErrorCode {
    /// The code as written on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::NotMember => "not_member",
            Self::EmptyMessage => "empty_message",
            Self::TooLong => "too_long",
            Self::RateLimited => "rate_limited",
            Self::Conflict => "conflict",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{code, message}`: the error of an ack, of the `error` event and of HTTP answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation, safe to show to the user.
    pub message: String,
}

impl ErrorBody {
    /// Builds an error body.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ErrorBody {}

/// An ack answer: success with the body `T` flattened next to `"ok": true`, or an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Ack<T> {
    /// `{"ok":true, ..T}`
    Ok(T),
    /// `{"ok":false,"error":{..}}`
    Err(ErrorBody),
}

impl<T> From<Result<T, ErrorBody>> for Ack<T> {
    fn from(result: Result<T, ErrorBody>) -> Self {
        match result {
            Ok(body) => Self::Ok(body),
            Err(error) => Self::Err(error),
        }
    }
}

impl<T> From<Ack<T>> for Result<T, ErrorBody> {
    fn from(ack: Ack<T>) -> Self {
        match ack {
            Ack::Ok(body) => Ok(body),
            Ack::Err(error) => Err(error),
        }
    }
}

impl<T: Serialize> Serialize for Ack<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Success<'a, T> {
            ok: bool,
            #[serde(flatten)]
            body: &'a T,
        }
        #[derive(Serialize)]
        struct Failure<'a> {
            ok: bool,
            error: &'a ErrorBody,
        }
        match self {
            Self::Ok(body) => Success { ok: true, body }.serialize(serializer),
            Self::Err(error) => Failure { ok: false, error }.serialize(serializer),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Ack<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut value = Value::deserialize(deserializer)?;
        let map = value
            .as_object_mut()
            .ok_or_else(|| D::Error::custom("an ack must be an object"))?;
        match map.remove("ok") {
            Some(Value::Bool(true)) => T::deserialize(value)
                .map(Self::Ok)
                .map_err(D::Error::custom),
            Some(Value::Bool(false)) => {
                let error = map
                    .remove("error")
                    .ok_or_else(|| D::Error::custom("a failed ack needs an error"))?;
                ErrorBody::deserialize(error)
                    .map(Self::Err)
                    .map_err(D::Error::custom)
            }
            _ => Err(D::Error::custom("an ack needs a boolean `ok`")),
        }
    }
}

/// The body of an ack that carries nothing but `ok`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Body {
        n: i64,
    }

    #[test]
    fn success_is_flattened_next_to_ok() {
        let ack = Ack::Ok(Body { n: 3 });
        assert_eq!(
            serde_json::to_value(&ack).unwrap(),
            json!({"ok": true, "n": 3})
        );
        assert_eq!(
            serde_json::from_value::<Ack<Body>>(json!({"ok": true, "n": 3})).unwrap(),
            ack
        );
    }

    #[test]
    fn empty_success_is_just_ok() {
        assert_eq!(
            serde_json::to_value(Ack::Ok(Empty {})).unwrap(),
            json!({"ok": true})
        );
    }

    #[test]
    fn failure_carries_code_and_message() {
        let ack: Ack<Body> = Ack::Err(ErrorBody::new(ErrorCode::NotMember, "join the room first"));
        let value =
            json!({"ok": false, "error": {"code": "not_member", "message": "join the room first"}});
        assert_eq!(serde_json::to_value(&ack).unwrap(), value);
        assert_eq!(serde_json::from_value::<Ack<Body>>(value).unwrap(), ack);
    }

    #[test]
    fn every_code_has_its_wire_name() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::NotMember,
            ErrorCode::EmptyMessage,
            ErrorCode::TooLong,
            ErrorCode::RateLimited,
            ErrorCode::Conflict,
            ErrorCode::Internal,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
    }

    #[test]
    fn malformed_acks_are_rejected() {
        for value in [
            json!([]),
            json!({}),
            json!({"ok": "yes"}),
            json!({"ok": false}),
        ] {
            assert!(serde_json::from_value::<Ack<Empty>>(value).is_err());
        }
    }
}
