//! Socket.IO v5 text packets, carried inside Engine.IO `4` messages.
//!
//! Format: `<type>[<nsp>,][<ack id>][<json>]`, e.g. `2/chat,7["join",{"room":"general"}]`.
//! The default namespace `/` is written without its `nsp,` part.

use serde_json::Value;

use crate::CodecError;

/// One Socket.IO packet (text packets only; binary attachments are refused).
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// `0`: connect to a namespace; client → server carries `auth`, server → client `{sid}`.
    Connect {
        /// Namespace, e.g. `/chat`.
        ns: String,
        /// Optional JSON object.
        data: Option<Value>,
    },
    /// `1`: leave a namespace.
    Disconnect {
        /// Namespace.
        ns: String,
    },
    /// `2`: an event with its arguments; `id` asks for an ack.
    Event {
        /// Namespace.
        ns: String,
        /// Ack id, if the sender wants an answer.
        id: Option<u64>,
        /// Event name (first element of the JSON array).
        event: String,
        /// The remaining elements.
        args: Vec<Value>,
    },
    /// `3`: the answer to an event sent with an ack id.
    Ack {
        /// Namespace.
        ns: String,
        /// The id of the event being answered.
        id: u64,
        /// The answer's arguments.
        args: Vec<Value>,
    },
    /// `4`: the server refused a namespace connection.
    ConnectError {
        /// Namespace.
        ns: String,
        /// The `message` of the error object.
        message: String,
    },
}

impl Packet {
    /// The namespace this packet belongs to.
    #[must_use]
    pub fn ns(&self) -> &str {
        match self {
            Self::Connect { ns, .. }
            | Self::Disconnect { ns }
            | Self::Event { ns, .. }
            | Self::Ack { ns, .. }
            | Self::ConnectError { ns, .. } => ns,
        }
    }

    /// Encodes the packet (without the Engine.IO `4` prefix).
    #[must_use]
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let (kind, ns) = match self {
            Self::Connect { ns, .. } => ('0', ns),
            Self::Disconnect { ns } => ('1', ns),
            Self::Event { ns, .. } => ('2', ns),
            Self::Ack { ns, .. } => ('3', ns),
            Self::ConnectError { ns, .. } => ('4', ns),
        };
        out.push(kind);
        if ns != "/" {
            out.push_str(ns);
            out.push(',');
        }
        match self {
            Self::Connect { data, .. } => {
                if let Some(data) = data {
                    out.push_str(&data.to_string());
                }
            }
            Self::Disconnect { .. } => {}
            Self::Event {
                id, event, args, ..
            } => {
                if let Some(id) = id {
                    out.push_str(&id.to_string());
                }
                let mut array = Vec::with_capacity(args.len() + 1);
                array.push(Value::String(event.clone()));
                array.extend(args.iter().cloned());
                out.push_str(&Value::Array(array).to_string());
            }
            Self::Ack { id, args, .. } => {
                out.push_str(&id.to_string());
                out.push_str(&Value::Array(args.clone()).to_string());
            }
            Self::ConnectError { message, .. } => {
                out.push_str(&serde_json::json!({ "message": message }).to_string());
            }
        }
        out
    }

    /// Decodes one packet (the text after the Engine.IO `4`).
    ///
    /// # Errors
    /// [`CodecError`] when the type is unknown, the namespace is unterminated, the ack id
    /// overflows, the JSON is invalid or has the wrong shape for the type, or the packet is binary.
    pub fn decode(text: &str) -> Result<Self, CodecError> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(CodecError::Empty)?;
        let rest = chars.as_str();
        if matches!(kind, '5' | '6') {
            return Err(CodecError::BinaryUnsupported);
        }
        if !matches!(kind, '0'..='4') {
            return Err(CodecError::UnknownType(kind));
        }
        let (ns, rest) = split_namespace(rest)?;
        let (id, rest) = split_ack_id(rest)?;
        let data = if rest.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str::<Value>(rest)
                    .map_err(|e| CodecError::InvalidPayload(e.to_string()))?,
            )
        };
        let invalid = |what: &str| CodecError::InvalidPayload(what.to_owned());
        match kind {
            '0' => match data {
                None | Some(Value::Object(_)) => Ok(Self::Connect { ns, data }),
                Some(_) => Err(invalid("connect data must be an object")),
            },
            '1' => Ok(Self::Disconnect { ns }),
            '2' => {
                let Some(Value::Array(mut items)) = data else {
                    return Err(invalid("event data must be an array"));
                };
                if items.is_empty() {
                    return Err(invalid("event without a name"));
                }
                let Value::String(event) = items.remove(0) else {
                    return Err(invalid("event name must be a string"));
                };
                Ok(Self::Event {
                    ns,
                    id,
                    event,
                    args: items,
                })
            }
            '3' => {
                let id = id.ok_or_else(|| invalid("ack without an id"))?;
                let Some(Value::Array(args)) = data else {
                    return Err(invalid("ack data must be an array"));
                };
                Ok(Self::Ack { ns, id, args })
            }
            _ => {
                // v5 sends an object with `message`; v4 servers sent a bare string.
                let message = match data {
                    Some(Value::Object(mut map)) => match map.remove("message") {
                        Some(Value::String(message)) => message,
                        _ => return Err(invalid("connect error without a message")),
                    },
                    Some(Value::String(message)) => message,
                    _ => return Err(invalid("connect error without a message")),
                };
                Ok(Self::ConnectError { ns, message })
            }
        }
    }
}

/// Splits `"/chat,rest"` into (`/chat`, `rest`); anything not starting with `/` is the default namespace.
fn split_namespace(text: &str) -> Result<(String, &str), CodecError> {
    if !text.starts_with('/') {
        return Ok(("/".to_owned(), text));
    }
    match text.find(',') {
        Some(end) => Ok((text[..end].to_owned(), &text[end + 1..])),
        // `1/chat` (disconnect) and `0/chat` (connect without data) may end without a comma.
        None if !text.contains(['[', '{', '"']) => Ok((text.to_owned(), "")),
        None => Err(CodecError::UnterminatedNamespace),
    }
}

/// Splits leading ASCII digits off as an ack id.
fn split_ack_id(text: &str) -> Result<(Option<u64>, &str), CodecError> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Ok((None, text));
    }
    let id = text[..digits]
        .parse()
        .map_err(|_| CodecError::InvalidAckId)?;
    Ok((Some(id), &text[digits..]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn round_trip(frame: &str, packet: Packet) {
        assert_eq!(Packet::decode(frame).unwrap(), packet, "decoding {frame}");
        assert_eq!(packet.encode(), frame, "encoding {packet:?}");
    }

    #[test]
    fn connect_with_and_without_auth() {
        round_trip(
            "0/chat,",
            Packet::Connect {
                ns: "/chat".into(),
                data: None,
            },
        );
        round_trip(
            r#"0/chat,{"token":"t"}"#,
            Packet::Connect {
                ns: "/chat".into(),
                data: Some(json!({"token": "t"})),
            },
        );
        round_trip(
            r#"0{"sid":"x"}"#,
            Packet::Connect {
                ns: "/".into(),
                data: Some(json!({"sid": "x"})),
            },
        );
    }

    #[test]
    fn connect_without_trailing_comma() {
        assert_eq!(
            Packet::decode("0/admin").unwrap(),
            Packet::Connect {
                ns: "/admin".into(),
                data: None
            }
        );
    }

    #[test]
    fn disconnect() {
        round_trip("1/chat,", Packet::Disconnect { ns: "/chat".into() });
        round_trip("1", Packet::Disconnect { ns: "/".into() });
        assert_eq!(
            Packet::decode("1/chat").unwrap(),
            Packet::Disconnect { ns: "/chat".into() }
        );
    }

    #[test]
    fn event_with_and_without_ack_id() {
        round_trip(
            r#"2/chat,["message","hi \"there\""]"#,
            Packet::Event {
                ns: "/chat".into(),
                id: None,
                event: "message".into(),
                args: vec![json!("hi \"there\"")],
            },
        );
        round_trip(
            r#"2/chat,12["join",{"room":"general"}]"#,
            Packet::Event {
                ns: "/chat".into(),
                id: Some(12),
                event: "join".into(),
                args: vec![json!({"room": "general"})],
            },
        );
        round_trip(
            r#"2["ping"]"#,
            Packet::Event {
                ns: "/".into(),
                id: None,
                event: "ping".into(),
                args: vec![],
            },
        );
    }

    #[test]
    fn ack() {
        round_trip(
            r#"3/chat,1[{"ok":true}]"#,
            Packet::Ack {
                ns: "/chat".into(),
                id: 1,
                args: vec![json!({"ok": true})],
            },
        );
        round_trip(
            "30[]",
            Packet::Ack {
                ns: "/".into(),
                id: 0,
                args: vec![],
            },
        );
    }

    #[test]
    fn connect_error_v5_object_and_v4_string() {
        round_trip(
            r#"4/chat,{"message":"unauthorized"}"#,
            Packet::ConnectError {
                ns: "/chat".into(),
                message: "unauthorized".into(),
            },
        );
        assert_eq!(
            Packet::decode(r#"4/admin,"forbidden""#).unwrap(),
            Packet::ConnectError {
                ns: "/admin".into(),
                message: "forbidden".into()
            }
        );
    }

    #[test]
    fn unicode_payload_survives() {
        round_trip(
            r#"2/chat,["message","¡hola! 👋 مرحبا"]"#,
            Packet::Event {
                ns: "/chat".into(),
                id: None,
                event: "message".into(),
                args: vec![json!("¡hola! 👋 مرحبا")],
            },
        );
    }

    #[test]
    fn malformed_packets_are_errors_not_panics() {
        let cases = [
            "",
            "9",
            "x",
            "2",
            "2/chat,",
            "2/chat,[]",
            "2/chat,[1]",
            "2/chat,{\"a\":1}",
            "2/chat,[\"a\"",
            "2/chat[\"a\"]",
            "3/chat,[]",
            "3/chat,1{}",
            "0/chat,[1]",
            "4/chat,{}",
            "4/chat,",
            "2/chat,99999999999999999999999[\"a\"]",
            "451-/chat,[\"a\",{\"_placeholder\":true,\"num\":0}]",
            "6",
            "2/chat,1",
            "2é",
        ];
        for case in cases {
            assert!(Packet::decode(case).is_err(), "{case:?} should not decode");
        }
    }

    #[test]
    fn binary_packets_are_refused_explicitly() {
        assert_eq!(
            Packet::decode("51-/chat,[\"upload\",{\"_placeholder\":true,\"num\":0}]"),
            Err(CodecError::BinaryUnsupported)
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every prefix of a mix of valid and hostile frames.
        let corpus = "2/chat,12[\"join\",{\"room\":\"g\"}]4/x,{\"message\":\"m\"}0/👋,{}3/a,9[1,2]";
        for start in 0..corpus.len() {
            for end in start..=corpus.len() {
                if let Some(slice) = corpus.get(start..end) {
                    let _ = Packet::decode(slice);
                }
            }
        }
    }
}
