//! Engine.IO v4 text packets: the transport-level frames under Socket.IO.
//!
//! Over a WebSocket every text frame is exactly one packet: a type digit followed by
//! its data (`0{..}` open, `2` ping, `3` pong, `4...` message).

use serde::{Deserialize, Serialize};

use crate::CodecError;

/// The handshake the server sends first (`0{...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPacket {
    /// Engine.IO session id.
    pub sid: String,
    /// Transports the client may upgrade to.
    #[serde(default)]
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong (and the client for the next ping) before
    /// declaring the link dead.
    pub ping_timeout: u64,
    /// Largest payload in bytes the server accepts.
    pub max_payload: u64,
}

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnginePacket {
    /// `0`: handshake.
    Open(OpenPacket),
    /// `1`: the peer closes the session.
    Close,
    /// `2`: heartbeat from the server (data is only used by the upgrade probe).
    Ping(String),
    /// `3`: heartbeat answer.
    Pong(String),
    /// `4`: a Socket.IO packet.
    Message(String),
    /// `5`: transport upgrade.
    Upgrade,
    /// `6`: nothing (used during upgrades).
    Noop,
}

impl EnginePacket {
    /// Decodes one text frame.
    ///
    /// # Errors
    /// [`CodecError`] for an empty frame, an unknown type or an invalid open handshake.
    pub fn decode(frame: &str) -> Result<Self, CodecError> {
        let mut chars = frame.chars();
        let kind = chars.next().ok_or(CodecError::Empty)?;
        let data = chars.as_str();
        Ok(match kind {
            '0' => Self::Open(
                serde_json::from_str(data)
                    .map_err(|e| CodecError::InvalidPayload(e.to_string()))?,
            ),
            '1' => Self::Close,
            '2' => Self::Ping(data.to_owned()),
            '3' => Self::Pong(data.to_owned()),
            '4' => Self::Message(data.to_owned()),
            '5' => Self::Upgrade,
            '6' => Self::Noop,
            'b' => return Err(CodecError::BinaryUnsupported),
            other => return Err(CodecError::UnknownType(other)),
        })
    }

    /// Encodes the packet as one text frame.
    #[must_use]
    pub fn encode(&self) -> String {
        match self {
            Self::Open(open) => {
                let json = serde_json::to_string(open).unwrap_or_else(|_| "{}".into());
                format!("0{json}")
            }
            Self::Close => "1".into(),
            Self::Ping(data) => format!("2{data}"),
            Self::Pong(data) => format!("3{data}"),
            Self::Message(data) => format!("4{data}"),
            Self::Upgrade => "5".into(),
            Self::Noop => "6".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_open() {
        let frame = r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#;
        let EnginePacket::Open(open) = EnginePacket::decode(frame).unwrap() else {
            panic!("not an open packet");
        };
        assert_eq!(open.sid, "abc");
        assert_eq!(open.ping_interval, 25_000);
        assert_eq!(open.ping_timeout, 20_000);
        assert_eq!(open.max_payload, 100_000);
    }

    #[test]
    fn encode_open_round_trips() {
        let open = EnginePacket::Open(OpenPacket {
            sid: "s".into(),
            upgrades: vec!["websocket".into()],
            ping_interval: 1,
            ping_timeout: 2,
            max_payload: 3,
        });
        assert_eq!(EnginePacket::decode(&open.encode()).unwrap(), open);
    }

    #[test]
    fn decode_heartbeats_and_messages() {
        assert_eq!(
            EnginePacket::decode("2").unwrap(),
            EnginePacket::Ping(String::new())
        );
        assert_eq!(
            EnginePacket::decode("2probe").unwrap(),
            EnginePacket::Ping("probe".into())
        );
        assert_eq!(
            EnginePacket::decode("3").unwrap(),
            EnginePacket::Pong(String::new())
        );
        assert_eq!(EnginePacket::decode("1").unwrap(), EnginePacket::Close);
        assert_eq!(EnginePacket::decode("5").unwrap(), EnginePacket::Upgrade);
        assert_eq!(EnginePacket::decode("6").unwrap(), EnginePacket::Noop);
        assert_eq!(
            EnginePacket::decode("40/chat,").unwrap(),
            EnginePacket::Message("0/chat,".into())
        );
    }

    #[test]
    fn encode_heartbeats_and_messages() {
        assert_eq!(EnginePacket::Pong(String::new()).encode(), "3");
        assert_eq!(EnginePacket::Ping(String::new()).encode(), "2");
        assert_eq!(EnginePacket::Close.encode(), "1");
        assert_eq!(EnginePacket::Message("0/chat,".into()).encode(), "40/chat,");
    }

    #[test]
    fn malformed_frames_are_errors() {
        assert_eq!(EnginePacket::decode(""), Err(CodecError::Empty));
        assert_eq!(EnginePacket::decode("9"), Err(CodecError::UnknownType('9')));
        assert_eq!(EnginePacket::decode("é"), Err(CodecError::UnknownType('é')));
        assert!(matches!(
            EnginePacket::decode("0{"),
            Err(CodecError::InvalidPayload(_))
        ));
        assert!(matches!(
            EnginePacket::decode("0{\"sid\":1}"),
            Err(CodecError::InvalidPayload(_))
        ));
        assert_eq!(
            EnginePacket::decode("bAAA="),
            Err(CodecError::BinaryUnsupported)
        );
    }
}
