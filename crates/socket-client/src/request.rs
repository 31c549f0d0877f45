//! Typed request/response over emit-with-ack: `Ack<T>` bodies decoded into `Result`.

use protocol::ErrorBody;
use thiserror::Error;

use crate::{AckError, EmitError};

/// Why a typed request did not produce its answer.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RequestError {
    /// Not sent.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// Sent, but no ack came.
    #[error(transparent)]
    Ack(#[from] AckError),
    /// The server answered with an error.
    #[error("{0}")]
    Server(ErrorBody),
    /// The answer did not have the expected shape.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

/// Decodes the first ack argument as `{"ok":true,..}` / `{"ok":false,"error":..}`.
///
/// # Errors
/// [`RequestError::Server`] for an error answer, [`RequestError::Decode`] for anything else.
pub fn decode_ack<T: serde::de::DeserializeOwned>(
    mut args: Vec<serde_json::Value>,
) -> Result<T, RequestError> {
    if args.is_empty() {
        return Err(RequestError::Decode("empty ack".into()));
    }
    let ack: protocol::Ack<T> = serde_json::from_value(args.swap_remove(0))
        .map_err(|e| RequestError::Decode(e.to_string()))?;
    Result::from(ack).map_err(RequestError::Server)
}

#[cfg(test)]
mod tests {
    use protocol::{Empty, ErrorCode};
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_success_error_and_garbage() {
        assert_eq!(decode_ack::<Empty>(vec![json!({"ok": true})]), Ok(Empty {}));
        assert_eq!(
            decode_ack::<Empty>(vec![
                serde_json::to_value(protocol::Ack::<Empty>::Err(ErrorBody::new(
                    ErrorCode::NotMember,
                    "m"
                )))
                .unwrap()
            ]),
            Err(RequestError::Server(ErrorBody::new(
                ErrorCode::NotMember,
                "m"
            )))
        );
        assert!(matches!(
            decode_ack::<Empty>(vec![]),
            Err(RequestError::Decode(_))
        ));
        assert!(matches!(
            decode_ack::<Empty>(vec![json!(3)]),
            Err(RequestError::Decode(_))
        ));
    }
}
