//! Tertulia as deployed, in separate processes: the server binary over a SQLite file killed in
//! the middle of a burst (`crash`), and `deploy/cluster.sh` with Redis, PostgreSQL, two nodes
//! and nginx, where nodes and Redis are killed under traffic (`cluster`, `#[ignore]`d: they
//! need Redis, nginx and PostgreSQL, so `scripts/test.sh` runs them with
//! `cargo test -p server --test deployed -- --ignored --test-threads 1`).

#[path = "../support/peer.rs"]
mod peer;
#[path = "../support/processes.rs"]
mod processes;
#[path = "../support/raw.rs"]
mod raw;
#[path = "../support/wait.rs"]
mod wait;

mod backups;
mod cluster;
mod crash;
mod logs;
mod operations;
