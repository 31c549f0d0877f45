//! Tertulia as separate processes, the way it is deployed: one server binary over a SQLite
//! file, or `deploy/cluster.sh` (Redis, PostgreSQL, nodes, nginx). Tests kill and restart
//! them; everything started here is stopped when its handle drops.
#![allow(dead_code)] // each test binary uses a subset

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

/// How long a server or cluster may take to come up.
const START: Duration = Duration::from_secs(90);

/// The workspace root (where `Cargo.toml` with the Leptos settings is).
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends `signal` (`KILL`, `TERM`...) to a process.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -s {signal} {pid} failed");
}

/// Whether a process (not necessarily our child) still runs.
pub fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Echoes a child's output lines (to the test's own output, shown on failure), keeps them in
/// `kept`, and reports the first line containing `ready` (or `None` if the output ends first).
fn watch_output(
    output: impl std::io::Read + Send + 'static,
    label: String,
    ready: &'static str,
    kept: Arc<Mutex<Vec<String>>>,
) -> oneshot::Receiver<Option<String>> {
    let (tell, told) = oneshot::channel();
    std::thread::spawn(move || {
        let mut tell = Some(tell);
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            eprintln!("[{label}] {line}");
            kept.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(line.clone());
            if line.contains(ready)
                && let Some(tell) = tell.take()
            {
                let _ = tell.send(Some(line));
            }
        }
        if let Some(tell) = tell.take() {
            let _ = tell.send(None);
        }
    });
    told
}

async fn wait_ready(told: oneshot::Receiver<Option<String>>, what: &str) {
    let line = tokio::time::timeout(START, told)
        .await
        .unwrap_or_else(|_| panic!("{what} did not come up within {START:?}"))
        .expect("output watcher");
    assert!(line.is_some(), "{what} stopped before it was up");
}

/// One server process (single node, embedded SQLite file).
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    output: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the server binary on `port` over the SQLite file `db`; returns once it listens.
    pub async fn start(port: u16, db: &Path, env: &[(&str, &str)]) -> Self {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(root())
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", db.display()),
            )
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server binary starts");
        let output = Arc::default();
        let told = watch_output(
            child.stdout.take().unwrap(),
            format!("server :{port}"),
            "Tertulia is up",
            Arc::clone(&output),
        );
        wait_ready(told, "the server").await;
        Self {
            child,
            addr,
            output,
        }
    }

    /// Everything the server has logged so far (its standard output).
    pub fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .join("\n")
    }

    /// Kills the process at once (SIGKILL: no shutdown code runs).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `deploy/cluster.sh` running: Redis, PostgreSQL, the nodes and nginx on loopback.
pub struct Cluster {
    script: Child,
    dir: PathBuf,
    /// nginx, where clients connect.
    pub addr: SocketAddr,
    port: u16,
    /// A Redis started by [`Self::restart_redis`] (the script only knows its first one).
    replacement_redis: Option<Child>,
}

impl Cluster {
    /// Starts a cluster of `nodes` behind nginx on `port` (nodes on the next ports, Redis on
    /// port + 100) over a fresh PostgreSQL database `tertulia_cluster_<name>`.
    pub async fn start(name: &str, port: u16, nodes: u8, env: &[(&str, &str)]) -> Self {
        let dir = scratch(&format!("cluster-{name}"));
        let mut script = Command::new("bash")
            .current_dir(root())
            .arg("deploy/cluster.sh")
            .args(["--port", &port.to_string(), "--nodes", &nodes.to_string()])
            .arg("--data")
            .arg(&dir)
            .args(["--db", &format!("tertulia_cluster_{name}"), "--fresh"])
            .args(["--binary", env!("CARGO_BIN_EXE_server")])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("deploy/cluster.sh starts");
        let told = watch_output(
            script.stderr.take().unwrap(),
            format!("cluster {name}"),
            "nodes behind",
            Arc::default(),
        );
        let cluster = Self {
            script,
            dir,
            addr: format!("127.0.0.1:{port}").parse().unwrap(),
            port,
            replacement_redis: None,
        };
        // The script reports ready once every node answers its health check (database and
        // Redis reached, heartbeat registered).
        wait_ready(told, "the cluster").await;
        cluster
    }

    /// A node's own address (bypassing nginx).
    pub fn node_addr(&self, n: u8) -> SocketAddr {
        format!("127.0.0.1:{}", self.port + u16::from(n))
            .parse()
            .unwrap()
    }

    /// The pid of node `n` (1-based).
    pub fn node_pid(&self, n: u8) -> u32 {
        read_pid(&self.dir.join(format!("node{n}.pid")))
    }

    /// A node's log so far.
    pub fn node_log(&self, n: u8) -> String {
        std::fs::read_to_string(self.dir.join(format!("node{n}.log"))).unwrap_or_default()
    }

    /// Kills Redis (SIGKILL: its in-memory state is gone) and starts an empty one on the same
    /// port; returns once it answers.
    pub async fn restart_redis(&mut self) {
        let pid = read_pid(&self.dir.join("redis.pid"));
        signal(pid, "KILL");
        crate::wait::bounded("the killed Redis to go", async {
            while alive(pid) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        if let Some(mut old) = self.replacement_redis.take() {
            let _ = old.kill();
            let _ = old.wait();
        }
        let redis_port = self.port + 100;
        let mut redis = Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("redis-server starts");
        let told = watch_output(
            redis.stdout.take().unwrap(),
            "redis".to_owned(),
            "Ready to accept connections",
            Arc::default(),
        );
        self.replacement_redis = Some(redis);
        wait_ready(told, "the new Redis").await;
    }
}

fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .unwrap()
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The script stops what it started (nodes get SIGTERM and drain).
        signal(self.script.id(), "TERM");
        let _ = self.script.wait();
        if let Some(mut redis) = self.replacement_redis.take() {
            let _ = redis.kill();
            let _ = redis.wait();
        }
    }
}
