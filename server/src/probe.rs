//! `server probe URL`: the synthetic check, Zulip's send→receive probe built in. A dedicated
//! account signs in, opens two Socket.IO connections (one to `URL`, one to `--via`, another
//! node of the cluster or the same address), sends a message through the first into its own
//! private room and measures how long it takes to arrive through the second. The command exits
//! 0 within the threshold, 1 past it, 2 when the check could not run at all.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use protocol::events::chat;
use protocol::http::{AuthRes, Credentials, Endpoint, Login, Logout, Register};
use protocol::{CreateRoomReq, ErrorCode, JoinReq, Message, MessageReq};
use serde_json::json;
use socket_client::native::{Client, ClientEvent, ConnectOptions};
use socket_client::{Config as ClientConfig, RequestError};
use thiserror::Error;

/// The probe account's private room: `probe-<its user id>`.
#[must_use]
pub fn probe_room(user_id: i64) -> String {
    format!("probe-{user_id}")
}

/// What to probe and how.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Where the message is sent: `http://host:port` of a node or of the proxy.
    pub url: String,
    /// Where it must arrive (default: `url`).
    pub via: Option<String>,
    /// The probe account.
    pub username: String,
    /// Its password.
    pub password: String,
    /// Register the account when it does not exist yet.
    pub register: bool,
    /// Longest acceptable time from sending to arrival.
    pub threshold: Duration,
    /// How long the whole check may take before it gives up.
    pub timeout: Duration,
}

/// What one probe measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// From sending to the sender's ack.
    pub acked: Duration,
    /// From sending to the arrival through `via`.
    pub arrived: Duration,
}

/// Why a probe failed.
#[derive(Debug, Error)]
pub enum ProbeError {
    /// The message arrived, too late.
    #[error("the message took {} ms to arrive (threshold {} ms)", .took.as_millis(), .threshold.as_millis())]
    Slow {
        /// How long it took.
        took: Duration,
        /// The threshold.
        threshold: Duration,
    },
    /// Something did not happen in time.
    #[error("{0} did not happen within the probe's timeout")]
    TimedOut(&'static str),
    /// The address is not one the probe can reach.
    #[error("{0}: give the http:// address of a node or of the proxy (e.g. http://10.0.0.11:3000)")]
    BadUrl(String),
    /// Signing in failed.
    #[error("signing in as {username}: {why}")]
    SignIn {
        /// The account.
        username: String,
        /// The server's answer.
        why: String,
    },
    /// The server refused a step.
    #[error("{step}: {why}")]
    Refused {
        /// What was being done.
        step: &'static str,
        /// The server's answer.
        why: String,
    },
    /// The HTTP exchange failed.
    #[error("HTTP to {url}: {why}")]
    Http {
        /// Where.
        url: String,
        /// Why.
        why: String,
    },
}

impl ProbeError {
    /// The exit status the command ends with: 1 for a slow message, 2 for anything else.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        if matches!(self, Self::Slow { .. }) {
            1
        } else {
            2
        }
    }
}

/// Runs one probe (see the module's doc).
///
/// # Errors
/// [`ProbeError`] saying what failed or how slow the message was.
pub async fn probe(options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    tokio::time::timeout(options.timeout, run(options))
        .await
        .map_err(|_| ProbeError::TimedOut("the whole check"))?
}

async fn run(options: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let from = base(&options.url)?;
    let to = base(options.via.as_deref().unwrap_or(&options.url))?;
    let (user, token) = sign_in(&from, options).await?;
    let measured = measure(&from, &to, &token, &probe_room(user.id), options).await;
    // The probe's session ends with it (a probe a minute would otherwise keep thousands).
    if let Err(error) = post_json(&from, Logout::PATH, &json!({}), Some(&token)).await {
        tracing::debug!(%error, "signing the probe out");
    }
    measured
}

/// Sends through `from` into `room` and times the arrival through `to`.
async fn measure(
    from: &url::Url,
    to: &url::Url,
    token: &str,
    room: &str,
    options: &ProbeOptions,
) -> Result<ProbeReport, ProbeError> {
    let sender = connect(from, token).await?;
    let mut receiver = connect(to, token).await?;

    let created = sender
        .request(&CreateRoomReq {
            name: room.to_owned(),
            topic: Some("The probe's own room (server probe)".to_owned()),
            private: true,
        })
        .await
        .map_err(|error| refused("creating the probe's room", error.to_string()))?;
    match created {
        Ok(_) => {}
        Err(RequestError::Server(error)) if error.code == ErrorCode::Conflict => {}
        Err(error) => return Err(refused("creating the probe's room", error.to_string())),
    }
    for (client, step) in [(&receiver, "joining through --via"), (&sender, "joining")] {
        client
            .request(&JoinReq::new(room.to_owned()))
            .await
            .map_err(|error| refused(step, error.to_string()))?
            .map_err(|error| refused(step, error.to_string()))?;
    }

    let nonce = format!("probe-{:016x}", rand::random::<u64>());
    let text = format!("probe {nonce}");
    let sent = Instant::now();
    let send = async {
        let answer = sender
            .request(&MessageReq {
                room: room.to_owned(),
                text: text.clone(),
                client_id: Some(nonce.clone()),
                ..MessageReq::default()
            })
            .await
            .map_err(|error| refused("sending", error.to_string()))?
            .map_err(|error| refused("sending", error.to_string()))?;
        drop(answer);
        Ok::<Duration, ProbeError>(sent.elapsed())
    };
    let arrive = async {
        while let Some(event) = receiver.next_event().await {
            if let Some(message) = event.decode::<Message>()
                && message.room == room
                && message.text == text
            {
                return Ok(sent.elapsed());
            }
        }
        Err(ProbeError::TimedOut("the message's arrival"))
    };
    let (acked, arrived) = tokio::join!(send, arrive);
    let (acked, arrived) = (acked?, arrived?);
    sender.close();
    receiver.close();
    if arrived > options.threshold {
        return Err(ProbeError::Slow {
            took: arrived,
            threshold: options.threshold,
        });
    }
    Ok(ProbeReport { acked, arrived })
}

fn refused(step: &'static str, why: String) -> ProbeError {
    ProbeError::Refused { step, why }
}

/// `http://host:port` of `url` (a trailing path is ignored); anything else is refused.
fn base(url: &str) -> Result<url::Url, ProbeError> {
    let parsed = url::Url::parse(url).map_err(|_| ProbeError::BadUrl(url.to_owned()))?;
    if parsed.scheme() != "http" || parsed.host_str().is_none() {
        return Err(ProbeError::BadUrl(url.to_owned()));
    }
    Ok(parsed)
}

/// Signs the probe account in (registering it first if asked and needed); it and its token.
async fn sign_in(
    url: &url::Url,
    options: &ProbeOptions,
) -> Result<(protocol::User, String), ProbeError> {
    let credentials = Credentials {
        username: options.username.clone(),
        password: options.password.clone(),
    };
    let (status, body) = post_json(url, Login::PATH, &credentials, None).await?;
    let (status, body) = if status == 401 && options.register {
        post_json(url, Register::PATH, &credentials, None).await?
    } else {
        (status, body)
    };
    if !(200..300).contains(&status) {
        return Err(ProbeError::SignIn {
            username: options.username.clone(),
            why: format!("HTTP {status}: {}", String::from_utf8_lossy(&body)),
        });
    }
    let answer: AuthRes = serde_json::from_slice(&body).map_err(|error| ProbeError::SignIn {
        username: options.username.clone(),
        why: error.to_string(),
    })?;
    let token = answer.token.ok_or_else(|| ProbeError::SignIn {
        username: options.username.clone(),
        why: "no token in the answer".to_owned(),
    })?;
    Ok((answer.user, token))
}

/// `POST path` with a JSON body (and a bearer token) over one HTTP/1.1 connection; the status
/// and the body.
async fn post_json<T: serde::Serialize>(
    url: &url::Url,
    path: &str,
    body: &T,
    bearer: Option<&str>,
) -> Result<(u16, Bytes), ProbeError> {
    let failed = |why: String| ProbeError::Http {
        url: url.to_string(),
        why,
    };
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|error| failed(error.to_string()))?;
    let (mut send, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|error| failed(error.to_string()))?;
    tokio::spawn(connection);
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let json = serde_json::to_vec(body).map_err(|error| failed(error.to_string()))?;
    let mut request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(token) = bearer {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(Full::new(Bytes::from(json)))
        .map_err(|error| failed(error.to_string()))?;
    let response = send
        .send_request(request)
        .await
        .map_err(|error| failed(error.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|error| failed(error.to_string()))?
        .to_bytes();
    Ok((status, body))
}

/// A `/chat` connection to `url` with `token`, once connected.
async fn connect(url: &url::Url, token: &str) -> Result<Client, ProbeError> {
    let base_url = url.origin().ascii_serialization();
    let mut client = Client::connect(ConnectOptions {
        base_url,
        headers: Vec::new(),
        config: ClientConfig::default(),
    });
    client.connect_namespace(chat::NS, Some(json!({ "token": token })));
    while let Some(event) = client.next_event().await {
        match event {
            ClientEvent::Connected(ns) if ns == chat::NS => return Ok(client),
            ClientEvent::ConnectError(_, why) => return Err(refused("connecting", why)),
            _ => {}
        }
    }
    Err(ProbeError::TimedOut("connecting"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_addresses_are_probed() {
        assert!(base("http://10.0.0.11:3000").is_ok());
        assert!(base("http://chat.example.org/chat").is_ok());
        for refused in [
            "https://chat.example.org",
            "ftp://x",
            "10.0.0.11:3000",
            "http://",
        ] {
            assert!(base(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_slow_message_exits_1_anything_else_2() {
        let slow = ProbeError::Slow {
            took: Duration::from_millis(3),
            threshold: Duration::from_millis(2),
        };
        assert_eq!(slow.exit_code(), 1);
        assert_eq!(ProbeError::TimedOut("x").exit_code(), 2);
        assert!(slow.to_string().contains("3 ms"));
    }
}
