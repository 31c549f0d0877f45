//! What the server binary writes to its log, with every filter opened (`RUST_LOG=trace`):
//! never a session token, although the socket libraries print whole CONNECT packets at debug
//! level. Run as a process, so it is the binary's own logging set-up that is checked.

use protocol::events::{GENERAL_ROOM, chat};
use protocol::{JoinReq, MessageReq};

use crate::processes::{ServerProcess, free_port, scratch};

#[tokio::test]
async fn session_tokens_never_reach_the_logs_whatever_the_filter() {
    let dir = scratch("logs");
    let server = ServerProcess::start(
        free_port(),
        &dir.join("tertulia.db"),
        &[("RUST_LOG", "trace")],
    )
    .await;
    let (_, token) = crate::peer::guest(server.addr, "ana").await;
    let mut ws = crate::raw::connected(server.addr, chat::NS, &token).await;
    let joined = crate::raw::request(
        &mut ws,
        1,
        &JoinReq {
            room: GENERAL_ROOM.into(),
        },
    )
    .await;
    assert_eq!(joined["ok"], true, "{joined}");
    let said = crate::raw::request(
        &mut ws,
        2,
        &MessageReq {
            room: GENERAL_ROOM.into(),
            text: "hello".into(),
            ..MessageReq::default()
        },
    )
    .await;
    assert_eq!(said["ok"], true, "{said}");
    // The handled event's own trace lines show the capture works (and that trace is on).
    crate::wait::bounded("the message's trace lines", async {
        while !server.output().contains("event{") {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    let logs = server.output();
    assert!(!logs.contains(&token), "a session token was logged");
}
