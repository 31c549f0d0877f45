//! `server probe`: a dedicated account sends through one address and measures the arrival
//! through another; a slow arrival (past the threshold) fails it, and so does a wrong password.
//! (Through two nodes of a cluster: `tests/deployed/cluster.rs`.)

use std::time::Duration;

use server::{ProbeError, ProbeOptions, probe};

use crate::common::TestServer;

fn options(url: String) -> ProbeOptions {
    ProbeOptions {
        url,
        via: None,
        username: "probe-bot".into(),
        password: "probe-password-1".into(),
        register: true,
        threshold: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn the_probe_measures_a_message_from_sending_to_arrival() {
    let server = TestServer::spawn().await;
    // The first run registers the account and creates its private room; the second finds both.
    for _ in 0..2 {
        let report = probe(&options(server.base_url()))
            .await
            .expect("the probe passes");
        assert!(report.arrived >= report.acked.min(report.arrived));
        assert!(report.arrived < Duration::from_secs(5));
    }
    let bot = server
        .store()
        .user_by_name("probe-bot")
        .await
        .unwrap()
        .expect("the probe's account")
        .user;
    let room = server
        .store()
        .room_by_name(&server::probe_room(bot.id))
        .await
        .unwrap()
        .expect("the probe's room");
    assert!(room.private, "nobody else sees the probe's messages");
    let live = server
        .store()
        .live_sessions(bot.id, crate::common::now_ms())
        .await
        .unwrap();
    assert_eq!(live, 0, "each probe signs out");
}

#[tokio::test]
async fn a_message_slower_than_the_threshold_fails_the_probe_with_exit_1() {
    let server = TestServer::spawn().await;
    let mut slow = options(server.base_url());
    slow.threshold = Duration::ZERO;
    let error = probe(&slow).await.expect_err("nothing arrives in 0 ms");
    assert!(matches!(error, ProbeError::Slow { .. }), "{error}");
    assert_eq!(error.exit_code(), 1);
}

#[tokio::test]
async fn a_wrong_password_fails_the_probe_with_exit_2() {
    let server = TestServer::spawn().await;
    probe(&options(server.base_url())).await.unwrap();
    let mut wrong = options(server.base_url());
    wrong.password = "not-the-password".into();
    wrong.register = false;
    let error = probe(&wrong).await.expect_err("refused");
    assert!(matches!(error, ProbeError::SignIn { .. }), "{error}");
    assert_eq!(error.exit_code(), 2);
}
