//! `server backup` and `server restore`, run as the operator runs them: a backup taken while
//! a client keeps sending, restored into a fresh location, served by a fresh server that has
//! every message acknowledged before the backup began and every file; and the refusals (a
//! non-empty target, a damaged backup, one from a newer Tertulia, a backup directory in use).
//! On SQLite always; on PostgreSQL when the test script provides two databases.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use protocol::events::{GENERAL_ROOM, chat};
use protocol::links;
use protocol::{Attachment, Message, MessageReq};
use tokio::sync::watch;

use crate::peer::{Peer, as_stored};
use crate::processes::{ServerProcess, free_port, scratch};

/// Messages acknowledged before the backup starts.
const BEFORE: usize = 20;

/// Runs `server <args>` with `env` to completion.
fn run_server(args: &[&str], env: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("the server binary runs")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Where a server keeps its data.
struct Place {
    database_url: String,
    files: PathBuf,
}

impl Place {
    fn sqlite(dir: &Path) -> Self {
        Self {
            database_url: format!("sqlite://{}?mode=rwc", dir.join("tertulia.db").display()),
            files: dir.join("files"),
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", self.database_url.clone()),
            ("TERTULIA_FILES_DIR", self.files.display().to_string()),
        ]
    }
}

/// Uploads `bytes` as `name` to the general room with `token`; the attachment's id.
async fn upload(addr: std::net::SocketAddr, token: &str, name: &str, bytes: &str) -> String {
    let boundary = "tertulia-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{GENERAL_ROOM}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{name}\"\r\n\
         Content-Type: text/plain\r\n\r\n{bytes}\r\n--{boundary}--\r\n",
        links::files::ROOM,
        links::files::FILE,
    );
    let bearer = format!("Bearer {token}");
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (status, answer) = crate::raw::http_with(
        addr,
        "POST",
        links::FILES,
        &[
            ("Authorization", bearer.as_str()),
            ("Content-Type", content_type.as_str()),
        ],
        &body,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    serde_json::from_str::<Attachment>(&answer).unwrap().id
}

/// A backup of a server on `live`, taken while a client sends; restored into `restored`;
/// a server on the restored data has every message acked before the backup and the file.
async fn round_trip(live: &Place, restored: &Place, backups: &Path) {
    let mut env = live.env();
    // The burst sends as fast as the server answers until the backup is done: neither its
    // message budget nor its budget of events may stop it (a fast machine and a slow backup
    // once spent the default 240 events a minute).
    env.push(("TERTULIA_MESSAGE_BURST", "100000".to_owned()));
    env.push(("TERTULIA_EVENT_BUDGET", "1000000".to_owned()));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = ServerProcess::start(free_port(), Path::new("unused.db"), &env_refs).await;

    // A file, sent with a message.
    let (_, token) = crate::peer::guest(server.addr, "bea").await;
    let id = upload(
        server.addr,
        &token,
        "notes.txt",
        "the minutes of the meeting",
    )
    .await;
    let mut ws = crate::raw::connected(server.addr, chat::NS, &token).await;
    let joined = crate::raw::request(&mut ws, 1, &protocol::JoinReq::new(GENERAL_ROOM)).await;
    assert_eq!(joined["ok"], true, "{joined}");
    let sent = crate::raw::request(
        &mut ws,
        2,
        &MessageReq {
            room: GENERAL_ROOM.into(),
            text: "the minutes".into(),
            attachments: vec![id.clone()],
            ..MessageReq::default()
        },
    )
    .await;
    assert_eq!(sent["ok"], true, "{sent}");

    // Ana keeps sending while the backup runs.
    let mut ana = Peer::enter(server.addr, None, "ana", GENERAL_ROOM).await;
    let acked: Arc<Mutex<Vec<Message>>> = Arc::default();
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let (stop_tx, stop_rx) = watch::channel(false);
    let burst = {
        let acked = acked.clone();
        async move {
            let mut i = 0;
            while !*stop_rx.borrow() {
                let message = ana.say(&format!("burst {i}"), &format!("burst-{i}")).await;
                let mut acked = acked.lock().unwrap();
                acked.push(message);
                let _ = count_tx.send(acked.len());
                i += 1;
            }
        }
    };
    let backup = {
        let acked = acked.clone();
        let env = env.clone();
        let backups = backups.to_owned();
        async move {
            count_rx.wait_for(|n| *n >= BEFORE).await.unwrap();
            let before: Vec<Message> = acked.lock().unwrap().clone();
            let dir = backups.display().to_string();
            let output = tokio::task::spawn_blocking(move || run_server(&["backup", &dir], &env))
                .await
                .unwrap();
            assert!(output.status.success(), "backup: {}", said(&output));
            // The burst went on during the backup.
            let during = acked.lock().unwrap().len() - before.len();
            stop_tx.send(true).unwrap();
            (before, during)
        }
    };
    let ((), (before, during)) = tokio::join!(burst, backup);
    eprintln!(
        "{} messages acked before the backup, {during} during it",
        before.len()
    );
    drop(server);

    let output = run_server(
        &["restore", &backups.display().to_string()],
        &restored.env(),
    );
    assert!(output.status.success(), "restore: {}", said(&output));
    assert!(said(&output).contains("restored"), "{}", said(&output));

    let restored_env = restored.env();
    let env_refs: Vec<(&str, &str)> = restored_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = ServerProcess::start(free_port(), Path::new("unused.db"), &env_refs).await;
    let mut reader = Peer::enter(server.addr, None, "cid", GENERAL_ROOM).await;
    let stored = reader.read_all().await;
    for message in &before {
        assert!(
            stored.contains(&as_stored(message)),
            "acked before the backup and restored: {message:?}"
        );
    }
    let bearer = format!("Bearer {token}");
    let (status, body) = crate::raw::http_with(
        server.addr,
        "GET",
        &links::file(&id),
        &[("Authorization", bearer.as_str())],
        "",
    )
    .await;
    assert_eq!(
        status, 200,
        "the file is restored and bea's session with it"
    );
    assert_eq!(body, "the minutes of the meeting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_during_a_burst_restores_every_acked_message_and_every_file() {
    let dir = scratch("backup-sqlite");
    let live = Place::sqlite(&dir.join("live"));
    let restored = Place::sqlite(&dir.join("restored"));
    let backups = dir.join("backup");
    round_trip(&live, &restored, &backups).await;

    // Restoring again into the same place: refused, it holds data now.
    let output = run_server(
        &["restore", &backups.display().to_string()],
        &restored.env(),
    );
    assert!(!output.status.success());
    assert!(
        said(&output).contains("already holds data"),
        "{}",
        said(&output)
    );
    // Backing up into a directory in use: refused.
    let output = run_server(&["backup", &backups.display().to_string()], &live.env());
    assert!(!output.status.success());
    assert!(said(&output).contains("not empty"), "{}", said(&output));

    // A damaged copy is refused before anything is written.
    let damaged = dir.join("damaged");
    copy_dir(&backups, &damaged);
    let database = damaged.join("database.sqlite");
    let mut bytes = std::fs::read(&database).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&database, bytes).unwrap();
    let fresh = Place::sqlite(&dir.join("fresh-1"));
    let output = run_server(&["restore", &damaged.display().to_string()], &fresh.env());
    assert!(!output.status.success());
    assert!(said(&output).contains("damaged"), "{}", said(&output));
    assert!(
        !dir.join("fresh-1").join("tertulia.db").exists(),
        "nothing written"
    );

    // A backup from a newer Tertulia (a schema this build does not know) is refused.
    let newer = dir.join("newer");
    copy_dir(&backups, &newer);
    let manifest_path = newer.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["schema"] = serde_json::json!(99_991_231_000_000_i64);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let fresh = Place::sqlite(&dir.join("fresh-2"));
    let output = run_server(&["restore", &newer.display().to_string()], &fresh.env());
    assert!(!output.status.success());
    assert!(
        said(&output).contains("newer than this Tertulia"),
        "{}",
        said(&output)
    );

    // A directory that is no backup.
    let output = run_server(
        &["restore", &dir.join("live").display().to_string()],
        &fresh.env(),
    );
    assert!(!output.status.success());
    assert!(
        said(&output).contains("no manifest.json"),
        "{}",
        said(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_during_a_burst_restores_every_acked_message_and_every_file() {
    let urls = (
        std::env::var("TERTULIA_TEST_POSTGRES_BACKUP_URL"),
        std::env::var("TERTULIA_TEST_POSTGRES_RESTORE_URL"),
    );
    let (Ok(live_url), Ok(restore_url)) = urls else {
        assert!(
            std::env::var_os("TERTULIA_TEST_REQUIRE_SERVICES").is_none(),
            "TERTULIA_TEST_REQUIRE_SERVICES is set but the PostgreSQL backup databases are not \
             (scripts/test.sh sets TERTULIA_TEST_POSTGRES_BACKUP_URL and _RESTORE_URL)"
        );
        eprintln!("no PostgreSQL backup databases: skipped");
        return;
    };
    let dir = scratch("backup-postgres");
    let live = Place {
        database_url: live_url,
        files: dir.join("live-files"),
    };
    let restored = Place {
        database_url: restore_url,
        files: dir.join("restored-files"),
    };
    round_trip(&live, &restored, &dir.join("backup")).await;
    // The restored database holds data now: a second restore is refused.
    let output = run_server(
        &["restore", &dir.join("backup").display().to_string()],
        &Place {
            database_url: restored.database_url.clone(),
            files: dir.join("other-files"),
        }
        .env(),
    );
    assert!(!output.status.success());
    assert!(
        said(&output).contains("already holds data"),
        "{}",
        said(&output)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
