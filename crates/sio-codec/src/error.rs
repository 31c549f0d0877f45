use thiserror::Error;

/// Why a frame could not be decoded. Decoding never panics; every malformed input ends here.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The frame was empty.
    #[error("empty frame")]
    Empty,
    /// The first character is not a known packet type.
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    /// The JSON part of the frame is not valid JSON or has the wrong shape.
    #[error("invalid payload: {0}")]
    InvalidPayload(String),
    /// A namespace was opened with `/` but never closed with `,`.
    #[error("unterminated namespace")]
    UnterminatedNamespace,
    /// An ack id does not fit in 64 bits.
    #[error("invalid ack id")]
    InvalidAckId,
    /// Binary attachments (`5`/`6` packets) are not part of Tertulia's contract.
    #[error("binary packets are not supported")]
    BinaryUnsupported,
}
