//! The server's integration tests, in one binary (one link instead of twenty): the real router
//! served on a loopback port over a fresh in-memory database, driven by our native Socket.IO
//! client, by raw WebSockets, TCP and HTTP/2, and in-process over HTTP. One module per
//! behaviour; `common` is the fixture, `raw` the misbehaving client.
//!
//! The tests that run Tertulia as separate processes (a crash, a cluster) are in
//! `tests/deployed/`.

#[path = "../support/common.rs"]
mod common;
#[path = "../support/raw.rs"]
mod raw;
#[path = "../support/wait.rs"]
mod wait;

mod accounts;
mod admin;
mod avatars;
mod blocks;
mod bookmarks;
mod bots;
mod chat;
mod connections;
mod conversation;
mod directory;
mod display_names;
mod docs;
mod files;
mod first_screen;
mod frames;
mod gaps;
mod group_dms;
mod heartbeat;
mod highlight;
mod http;
mod layers;
mod link_previews;
mod metrics;
mod moderation;
mod notifications;
mod ordering;
mod people;
mod pins;
mod pipeline;
mod probe;
mod profile;
mod proxies;
mod saved;
mod scale;
mod security;
mod slow_readers;
mod threads;
mod webhooks;
