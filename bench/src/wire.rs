//! The cheapest websocket client that still speaks the protocol: a hand-written HTTP upgrade
//! and RFC 6455 frames read straight out of one buffer per connection. A load generator must
//! cost less per delivery than the server it measures; a general websocket library (its
//! buffering, its per-frame allocations, its generic stream machinery) costs about as much as
//! the server's own sending, which made the generator the ceiling of every comparison.
//!
//! What it does not need, it does not do: frames from the server must be unfragmented;
//! websocket pings are not answered (Engine.IO servers send their heartbeat as Engine.IO
//! packets, which the caller answers); frames to the server are masked with a zero key (legal,
//! and the server cannot tell).

use std::net::{IpAddr, SocketAddr};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// A loopback source address for client `n` of `spread` (1: every client from 127.0.0.1).
/// All of 127.0.0.0/8 reaches the local host, so the server sees `spread` different clients'
/// addresses and no per-address limit (or ephemeral port range) is shared by all of them.
#[must_use]
pub fn source(n: usize, spread: usize) -> IpAddr {
    if spread <= 1 {
        return IpAddr::from([127, 0, 0, 1]);
    }
    let index = n % spread;
    // 127.1.0.1 onwards: 250 hosts per /24 (never .0 or .255), then the next /24.
    let host = (index % 250 + 1) as u8;
    let third = ((index / 250) % 256) as u8;
    let second = (1 + index / (250 * 256)).min(255) as u8;
    IpAddr::from([127, second, third, host])
}

/// Opens a TCP connection to `addr` from `source` (port chosen by the kernel).
///
/// # Errors
/// The address does not resolve, or the bind or connect fails.
pub async fn tcp(addr: &str, source: IpAddr) -> Result<tokio::net::TcpStream> {
    let target: SocketAddr = tokio::net::lookup_host(addr)
        .await
        .with_context(|| format!("resolving {addr}"))?
        .find(|a| a.is_ipv4() == source.is_ipv4())
        .with_context(|| format!("{addr}: no address of the source's family"))?;
    let socket = if source.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket
        .bind(SocketAddr::new(source, 0))
        .with_context(|| format!("binding to {source}"))?;
    let stream = socket.connect(target).await.context("connecting")?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The reading half of a websocket: frames parsed in place from one growing buffer.
pub struct Reader {
    half: OwnedReadHalf,
    buf: Vec<u8>,
    /// Where the next frame starts.
    pos: usize,
    /// How much of `buf` holds data.
    len: usize,
}

/// The writing half of a websocket.
pub struct Writer {
    half: OwnedWriteHalf,
    frame: Vec<u8>,
}

/// Upgrades a connection from `source` to a websocket at `path` of `addr`.
///
/// # Errors
/// The connection fails or the server does not switch protocols.
pub async fn connect(addr: &str, source: IpAddr, path: &str) -> Result<(Reader, Writer)> {
    let stream = tcp(addr, source).await?;
    let (read, mut write) = stream.into_split();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    write.write_all(request.as_bytes()).await?;
    let mut reader = Reader {
        half: read,
        buf: vec![0; 4096],
        pos: 0,
        len: 0,
    };
    // The response head; whatever follows it is already the first frames.
    let head_end = loop {
        if let Some(end) = find(&reader.buf[..reader.len], b"\r\n\r\n") {
            break end + 4;
        }
        if !reader.fill().await? {
            bail!("closed during the websocket upgrade");
        }
    };
    let head = String::from_utf8_lossy(&reader.buf[..head_end]);
    if !head.starts_with("HTTP/1.1 101") {
        bail!(
            "websocket upgrade refused: {}",
            head.lines().next().unwrap_or_default()
        );
    }
    reader.pos = head_end;
    Ok((
        reader,
        Writer {
            half: write,
            frame: Vec::with_capacity(256),
        },
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A frame's header: (header length, payload length, opcode), once all of it has arrived.
fn header(bytes: &[u8]) -> Result<Option<(usize, usize, u8)>> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    if first & 0x80 == 0 {
        bail!("fragmented frames are not expected from the server");
    }
    if second & 0x80 != 0 {
        bail!("a frame from the server is masked");
    }
    let opcode = first & 0x0f;
    let (header_len, payload_len) = match second & 0x7f {
        126 => match bytes.get(2..4) {
            Some(len) => (4, usize::from(u16::from_be_bytes([len[0], len[1]]))),
            None => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(len) => (
                10,
                usize::try_from(u64::from_be_bytes(len.try_into().expect("8 bytes")))?,
            ),
            None => return Ok(None),
        },
        short => (2, usize::from(short)),
    };
    Ok(Some((header_len, payload_len, opcode)))
}

impl Reader {
    /// Reads more bytes into the buffer (moving what is left to its start, growing it when a
    /// frame does not fit); false at the end of the stream.
    async fn fill(&mut self) -> Result<bool> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let read = self.half.read(&mut self.buf[self.len..]).await?;
        self.len += read;
        Ok(read > 0)
    }

    /// The next text frame's payload; `None` once the server closes.
    ///
    /// # Errors
    /// The connection fails or a frame is not what the server should send.
    pub async fn next(&mut self) -> Result<Option<&str>> {
        loop {
            if let Some((header_len, payload_len, opcode)) = header(&self.buf[self.pos..self.len])?
                && self.len - self.pos >= header_len + payload_len
            {
                let start = self.pos + header_len;
                let end = start + payload_len;
                self.pos = end;
                match opcode {
                    0x1 => {
                        return Ok(Some(
                            std::str::from_utf8(&self.buf[start..end]).context("text frame")?,
                        ));
                    }
                    0x8 => return Ok(None),
                    _ => {}
                }
                continue;
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }
}

impl Writer {
    /// Sends `texts` as text frames in one write.
    ///
    /// # Errors
    /// The connection fails.
    pub async fn send_all<'a>(&mut self, texts: impl IntoIterator<Item = &'a [u8]>) -> Result<()> {
        self.frame.clear();
        for text in texts {
            encode(&mut self.frame, 0x1, text);
        }
        self.half.write_all(&self.frame).await?;
        Ok(())
    }

    /// Sends one text frame.
    ///
    /// # Errors
    /// The connection fails.
    pub async fn send(&mut self, text: &str) -> Result<()> {
        self.send_all([text.as_bytes()]).await
    }
}

impl Writer {
    /// Makes closing the connection a reset (RST) instead of an orderly close: dropping both
    /// halves afterwards cuts it as a dead network would, without a close frame or FIN.
    ///
    /// # Errors
    /// The socket option cannot be set.
    pub fn reset_on_close(&self) -> Result<()> {
        self.half.as_ref().set_zero_linger()?;
        Ok(())
    }
}

/// Appends a final, masked (zero key) frame of `opcode` carrying `payload`.
fn encode(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    match payload.len() {
        len @ 0..=125 => out.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_spread_over_loopback_and_never_end_in_0_or_255() {
        assert_eq!(source(5, 1), IpAddr::from([127, 0, 0, 1]));
        let spread: std::collections::HashSet<IpAddr> = (0..1000).map(|n| source(n, 600)).collect();
        assert_eq!(spread.len(), 600);
        for address in spread {
            let IpAddr::V4(v4) = address else { panic!() };
            let [a, b, _, d] = v4.octets();
            assert_eq!((a, b), (127, 1));
            assert!((1..=250).contains(&d), "{v4}");
        }
        assert_eq!(source(0, 600), source(600, 600));
    }

    #[test]
    fn frames_round_trip_through_the_header_parser() {
        for len in [0, 5, 125, 126, 300, 70_000] {
            let payload = vec![b'x'; len];
            let mut frame = Vec::new();
            encode(&mut frame, 0x1, &payload);
            // What the server sends is the same without the mask bit and key.
            frame[1] &= 0x7f;
            let header_len = frame.len() - 4 - len;
            frame.drain(header_len..header_len + 4);
            assert_eq!(
                header(&frame).unwrap(),
                Some((header_len, len, 0x1)),
                "{len}"
            );
            assert_eq!(header(&frame[..header_len - 1]).unwrap(), None);
        }
        assert!(header(&[0x01, 0x05]).is_err(), "fragment");
        assert!(header(&[0x81, 0x85]).is_err(), "masked");
    }
}
