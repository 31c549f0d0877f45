//! `server backup DIR` and `server restore DIR`: a consistent copy of the database and the
//! uploaded files taken while the server runs, and its return into an empty data location.
//!
//! A backup directory holds the database (`database.sqlite`, a `VACUUM INTO` copy, or
//! `database.pgdump`, `pg_dump`'s custom format), the files under `files/`, and
//! `manifest.json` (written last: a directory without it is an unfinished backup) with the
//! schema version and every file's size and SHA-256. The database is copied first, then the
//! files: every file a message of the copy refers to was on disk before the copy began (only a
//! file deleted in between, with its message, can be missing).
//!
//! Restore checks everything before it writes anything: the manifest, every checksum, the
//! schema (a backup from a newer Tertulia is refused), the backend, and that the target
//! database and files directory are empty. An older backup is upgraded by the usual migrations
//! once restored.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{Backend, Store, StoreError};
use thiserror::Error;

use crate::config::{Config, redact};

/// The manifest's name in a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// The format of the manifest this build writes and reads.
const FORMAT: u32 = 1;
/// The SQLite copy's name.
const SQLITE_COPY: &str = "database.sqlite";
/// The PostgreSQL dump's name.
const POSTGRES_DUMP: &str = "database.pgdump";
/// Where the uploaded files go in a backup.
const FILES: &str = "files";

/// What a backup holds (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest's format (1).
    pub format: u32,
    /// The Tertulia version that made it.
    pub tertulia: String,
    /// When it was made (Unix ms).
    pub created_ms: i64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The database's schema version (its newest migration).
    pub schema: i64,
    /// The database copy.
    pub database: Entry,
    /// The uploaded files (paths under `files/`).
    pub files: Vec<Entry>,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its path in the backup directory, `/`-separated.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, in hex.
    pub sha256: String,
}

/// Why a backup or restore did nothing (or stopped).
#[derive(Debug, Error)]
pub enum BackupError {
    /// The backup directory already holds something.
    #[error("{0} is not empty: back up into a new or empty directory")]
    NotEmpty(PathBuf),
    /// There is no database to back up.
    #[error("there is no Tertulia database at {0}")]
    NoDatabase(String),
    /// The directory has no manifest.
    #[error("{0} has no manifest.json: it is not a Tertulia backup, or one that did not finish")]
    NoManifest(PathBuf),
    /// The manifest cannot be used.
    #[error("{0}'s manifest.json: {1}")]
    BadManifest(PathBuf, String),
    /// A file does not match the manifest.
    #[error("{0} does not match the manifest (size or checksum): the backup is damaged")]
    Damaged(String),
    /// The backup comes from a newer Tertulia.
    #[error(
        "the backup has schema {backup}, newer than this Tertulia knows ({known}): restore it \
         with the version that made it ({made_by}) or a newer one"
    )]
    NewerSchema {
        /// The backup's schema.
        backup: i64,
        /// This build's newest.
        known: i64,
        /// The version that made the backup.
        made_by: String,
    },
    /// The backup is of the other kind of database.
    #[error("the backup is of a {backup} database but DATABASE_URL is {target}")]
    WrongBackend {
        /// The backup's.
        backup: String,
        /// The target's.
        target: String,
    },
    /// The place to restore into holds data already.
    #[error("{0} already holds data: restore into an empty database and files directory")]
    TargetNotEmpty(String),
    /// The database URL names no file (SQLite in memory).
    #[error("DATABASE_URL {0} is not a database file")]
    NotAFile(String),
    /// An external program is missing.
    #[error(
        "{0} is not installed: it comes with PostgreSQL's client programs (Debian: postgresql-client)"
    )]
    ToolMissing(&'static str),
    /// An external program failed.
    #[error("{tool} failed ({status}): {output}")]
    Tool {
        /// The program.
        tool: &'static str,
        /// Its exit status.
        status: String,
        /// What it wrote to stderr.
        output: String,
    },
    /// Reading or writing a file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: io::Error,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An I/O error saying what was being done.
fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// The schema after restoring (newer than the backup's when the migrations upgraded it).
    pub schema: i64,
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// `server backup DIR`: copies the database (consistently, while the server keeps writing)
/// and the uploaded files into `dir`, which must be new or empty, and writes the manifest.
///
/// # Errors
/// [`BackupError`] saying what went wrong; `dir` may then hold an unfinished backup (without a
/// manifest), which [`restore`] refuses.
pub async fn backup(config: &Config, dir: &Path) -> Result<Manifest, BackupError> {
    ensure_empty_dir(dir, true)?;
    let url = &config.database_url;
    let backend = Backend::from_url(url)?;
    let schema = match store::schema_of(url).await {
        Ok(Some(schema)) => schema,
        Ok(None) | Err(StoreError::NoDatabase(_)) => {
            return Err(BackupError::NoDatabase(redact(url)));
        }
        Err(error) => return Err(error.into()),
    };
    let database = match backend {
        Backend::Sqlite => {
            let copy = dir.join(SQLITE_COPY);
            store::copy_sqlite(url, &copy).await?;
            SQLITE_COPY
        }
        Backend::Postgres => {
            let dump = dir.join(POSTGRES_DUMP);
            let mut command = postgres_tool("pg_dump", url)?;
            command
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(&dump);
            run_tool("pg_dump", command).await?;
            POSTGRES_DUMP
        }
    };
    let database = entry_of(dir, database)?;
    let files_dir = config.files_dir.clone();
    let target = dir.join(FILES);
    let files = tokio::task::spawn_blocking(move || copy_files(&files_dir, &target))
        .await
        .map_err(|error| BackupError::Io {
            what: "copying the files".into(),
            source: io::Error::other(error),
        })??;
    let manifest = Manifest {
        format: FORMAT,
        tertulia: env!("CARGO_PKG_VERSION").to_owned(),
        created_ms: crate::clock::now_ms(),
        backend: backend_name(backend).to_owned(),
        schema,
        database,
        files,
    };
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}

/// `server restore DIR`: checks the backup in `dir`, then puts its database and files where
/// the settings say (`DATABASE_URL`, `TERTULIA_FILES_DIR`), which must be empty, and upgrades
/// the schema if the backup is older than this build.
///
/// # Errors
/// [`BackupError`]; nothing is written unless every check passed.
pub async fn restore(config: &Config, dir: &Path) -> Result<Restored, BackupError> {
    let manifest = read_manifest(dir)?;
    let url = &config.database_url;
    let backend = Backend::from_url(url)?;
    if manifest.backend != backend_name(backend) {
        return Err(BackupError::WrongBackend {
            backup: manifest.backend.clone(),
            target: backend_name(backend).to_owned(),
        });
    }
    let known = store::known_schema(backend);
    if manifest.schema > known {
        return Err(BackupError::NewerSchema {
            backup: manifest.schema,
            known,
            made_by: manifest.tertulia.clone(),
        });
    }
    let checked = manifest.clone();
    let root = dir.to_owned();
    tokio::task::spawn_blocking(move || verify(&root, &checked))
        .await
        .map_err(|error| BackupError::Io {
            what: "checking the backup".into(),
            source: io::Error::other(error),
        })??;
    ensure_empty_dir(&config.files_dir, false)
        .map_err(|_| BackupError::TargetNotEmpty(config.files_dir.display().to_string()))?;
    match backend {
        Backend::Sqlite => {
            let target =
                store::sqlite_path(url).ok_or_else(|| BackupError::NotAFile(redact(url)))?;
            restore_sqlite(&dir.join(&manifest.database.path), &target)?;
        }
        Backend::Postgres => {
            if store::postgres_tables(url).await? > 0 {
                return Err(BackupError::TargetNotEmpty(redact(url)));
            }
            let mut command = postgres_tool("pg_restore", url)?;
            let database = postgres_database(url)?;
            command
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                ])
                .arg(format!("--dbname={database}"))
                .arg(dir.join(&manifest.database.path));
            run_tool("pg_restore", command).await?;
        }
    }
    let files = manifest.files.clone();
    let (from, into) = (dir.to_owned(), config.files_dir.clone());
    tokio::task::spawn_blocking(move || restore_files(&from, &files, &into))
        .await
        .map_err(|error| BackupError::Io {
            what: "restoring the files".into(),
            source: io::Error::other(error),
        })??;
    // The usual start-up migrations bring an older backup up to this build's schema.
    let store = Store::connect(url).await?;
    store.close().await;
    let schema = store::schema_of(url).await?.unwrap_or(manifest.schema);
    Ok(Restored { manifest, schema })
}

/// Refuses a directory with anything in it; creates it when missing (if `create`).
fn ensure_empty_dir(dir: &Path, create: bool) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(dir.to_owned()));
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if !create {
                return Ok(());
            }
            std::fs::create_dir_all(dir)
                .map_err(io_error(format!("creating {}", dir.display())))?;
        }
        Err(error) => return Err(io_error(format!("reading {}", dir.display()))(error)),
    }
    // A backup holds password hashes and every message: its owner only (whoever made the
    // directory, and whatever the files inside are created with).
    #[cfg(unix)]
    if create {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_error(format!("protecting {}", dir.display())))?;
    }
    Ok(())
}

/// The size and checksum of `dir/path`.
fn entry_of(dir: &Path, path: &str) -> Result<Entry, BackupError> {
    let full = dir.join(path);
    let mut file =
        std::fs::File::open(&full).map_err(io_error(format!("reading {}", full.display())))?;
    let (bytes, sha256) = hash_copy(&mut file, &mut io::sink())
        .map_err(io_error(format!("reading {}", full.display())))?;
    Ok(Entry {
        path: path.to_owned(),
        bytes,
        sha256,
    })
}

/// Copies `from` into `into`, returning the bytes copied and their SHA-256 (hex).
fn hash_copy(from: &mut impl Read, into: &mut impl Write) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let read = from.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        into.write_all(&buffer[..read])?;
        total += read as u64;
    }
    let digest = hasher.finalize();
    Ok((
        total,
        digest.iter().map(|byte| format!("{byte:02x}")).collect(),
    ))
}

/// Copies every finished upload under `files_dir` (not the uploads in progress under `tmp/`)
/// into `target`, returning their entries.
fn copy_files(files_dir: &Path, target: &Path) -> Result<Vec<Entry>, BackupError> {
    let mut entries = Vec::new();
    let shards = match std::fs::read_dir(files_dir) {
        Ok(shards) => shards,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(entries),
        Err(error) => return Err(io_error(format!("reading {}", files_dir.display()))(error)),
    };
    let mut names = BTreeSet::new();
    for shard in shards {
        let shard = shard.map_err(io_error(format!("reading {}", files_dir.display())))?;
        let name = shard.file_name().to_string_lossy().into_owned();
        if name == "tmp" || !shard.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path())
            .map_err(io_error(format!("reading {}", shard.path().display())))?
        {
            let file = file.map_err(io_error(format!("reading {}", shard.path().display())))?;
            if file.path().is_file() {
                names.insert(format!("{name}/{}", file.file_name().to_string_lossy()));
            }
        }
    }
    for name in names {
        let from = files_dir.join(&name);
        let to = target.join(&name);
        let mut source = match std::fs::File::open(&from) {
            Ok(source) => source,
            // Deleted (with its message) since it was listed: nothing to keep.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(io_error(format!("reading {}", from.display()))(error)),
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io_error(format!("creating {}", parent.display())))?;
        }
        let mut copy =
            std::fs::File::create(&to).map_err(io_error(format!("writing {}", to.display())))?;
        let (bytes, sha256) = hash_copy(&mut source, &mut copy)
            .map_err(io_error(format!("copying {}", from.display())))?;
        copy.sync_all()
            .map_err(io_error(format!("writing {}", to.display())))?;
        entries.push(Entry {
            path: format!("{FILES}/{name}"),
            bytes,
            sha256,
        });
    }
    Ok(entries)
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let text = serde_json::to_vec_pretty(manifest).map_err(|error| BackupError::Io {
        what: "writing the manifest".into(),
        source: io::Error::other(error),
    })?;
    // Written under another name and renamed: a manifest is there whole or not at all.
    let partial = dir.join(format!("{MANIFEST}.part"));
    std::fs::write(&partial, text).map_err(io_error("writing the manifest"))?;
    std::fs::rename(&partial, dir.join(MANIFEST)).map_err(io_error("writing the manifest"))
}

fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let text = match std::fs::read(dir.join(MANIFEST)) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(BackupError::NoManifest(dir.to_owned()));
        }
        Err(error) => return Err(io_error("reading the manifest")(error)),
    };
    let bad = |why: String| BackupError::BadManifest(dir.to_owned(), why);
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(bad(format!(
            "format {} (this Tertulia reads format {FORMAT})",
            manifest.format
        )));
    }
    let expected_database = match manifest.backend.as_str() {
        "sqlite" => SQLITE_COPY,
        "postgres" => POSTGRES_DUMP,
        other => return Err(bad(format!("unknown backend `{other}`"))),
    };
    if manifest.database.path != expected_database {
        return Err(bad(format!(
            "unexpected database `{}`",
            manifest.database.path
        )));
    }
    for file in &manifest.files {
        if !is_safe_file_path(&file.path) {
            return Err(bad(format!("unsafe file path `{}`", file.path)));
        }
    }
    Ok(manifest)
}

/// A path the manifest may name: `files/<shard>/<name>`, relative, nothing but plain names.
fn is_safe_file_path(path: &str) -> bool {
    let parts: Vec<Component<'_>> = Path::new(path).components().collect();
    parts.len() == 3
        && parts[0] == Component::Normal(FILES.as_ref())
        && parts
            .iter()
            .all(|part| matches!(part, Component::Normal(_)))
        && !path.contains('\\')
}

/// Checks every file of the backup against the manifest.
fn verify(dir: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    for entry in std::iter::once(&manifest.database).chain(&manifest.files) {
        let found =
            entry_of(dir, &entry.path).map_err(|_| BackupError::Damaged(entry.path.clone()))?;
        if found.bytes != entry.bytes || found.sha256 != entry.sha256 {
            return Err(BackupError::Damaged(entry.path.clone()));
        }
    }
    Ok(())
}

/// Puts the SQLite copy at `target`, which must not exist (nor its journal files).
fn restore_sqlite(copy: &Path, target: &Path) -> Result<(), BackupError> {
    let journal = |suffix: &str| {
        let mut path = target.as_os_str().to_owned();
        path.push(suffix);
        PathBuf::from(path)
    };
    for path in [target.to_owned(), journal("-wal"), journal("-shm")] {
        if path.exists() {
            return Err(BackupError::TargetNotEmpty(path.display().to_string()));
        }
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(io_error(format!("creating {}", parent.display())))?;
    }
    let partial = target.with_extension("restoring");
    std::fs::copy(copy, &partial).map_err(io_error(format!("writing {}", partial.display())))?;
    std::fs::rename(&partial, target).map_err(io_error(format!("writing {}", target.display())))
}

/// Copies the backup's files into the (empty) files directory.
fn restore_files(dir: &Path, files: &[Entry], into: &Path) -> Result<(), BackupError> {
    for entry in files {
        let relative = entry
            .path
            .strip_prefix(&format!("{FILES}/"))
            .unwrap_or(&entry.path);
        let to = into.join(relative);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io_error(format!("creating {}", parent.display())))?;
        }
        std::fs::copy(dir.join(&entry.path), &to)
            .map_err(io_error(format!("writing {}", to.display())))?;
    }
    Ok(())
}

/// `tool` (`pg_dump`, `pg_restore`) with the connection of `url` in libpq's environment
/// variables, so the password never appears on a command line.
fn postgres_tool(tool: &'static str, url: &str) -> Result<Command, BackupError> {
    let parsed = url::Url::parse(url).map_err(|_| BackupError::NotAFile(redact(url)))?;
    let decode = percent_decode;
    let mut command = Command::new(tool);
    command.env_remove("PGPASSFILE");
    if let Some(host) = parsed.host_str() {
        command.env("PGHOST", host.trim_start_matches('[').trim_end_matches(']'));
    }
    if let Some(port) = parsed.port() {
        command.env("PGPORT", port.to_string());
    }
    if !parsed.username().is_empty() {
        command.env("PGUSER", decode(parsed.username()));
    }
    if let Some(password) = parsed.password() {
        command.env("PGPASSWORD", decode(password));
    }
    command.env("PGDATABASE", postgres_database(url)?);
    for (key, value) in parsed.query_pairs() {
        if key == "sslmode" {
            command.env("PGSSLMODE", value.as_ref());
        }
    }
    Ok(command)
}

/// The database name of a PostgreSQL URL.
fn postgres_database(url: &str) -> Result<String, BackupError> {
    let parsed = url::Url::parse(url).map_err(|_| BackupError::NotAFile(redact(url)))?;
    let name = percent_decode(parsed.path().trim_start_matches('/'));
    if name.is_empty() {
        return Err(BackupError::NotAFile(redact(url)));
    }
    Ok(name)
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Runs `command` to completion; its stderr becomes the error when it fails.
async fn run_tool(tool: &'static str, mut command: Command) -> Result<(), BackupError> {
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|error| BackupError::Io {
            what: format!("running {tool}"),
            source: io::Error::other(error),
        })?
        .map_err(|error| {
            if error.kind() == io::ErrorKind::NotFound {
                BackupError::ToolMissing(tool)
            } else {
                BackupError::Io {
                    what: format!("running {tool}"),
                    source: error,
                }
            }
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(BackupError::Tool {
        tool,
        status: output.status.to_string(),
        output: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_stay_inside_the_files_directory() {
        assert!(is_safe_file_path("files/ab/abcdef"));
        assert!(is_safe_file_path("files/ab/abcdef.preview"));
        for hostile in [
            "files/../../etc/passwd",
            "/etc/passwd",
            "files/ab",
            "files/ab/../../x",
            "other/ab/x",
            "files/ab/x/y",
            "files\\ab\\x",
        ] {
            assert!(!is_safe_file_path(hostile), "{hostile}");
        }
    }

    #[test]
    fn hash_copy_counts_and_hashes() {
        let mut copy = Vec::new();
        let (bytes, sha) = hash_copy(&mut &b"abc"[..], &mut copy).unwrap();
        assert_eq!(bytes, 3);
        assert_eq!(copy, b"abc");
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn postgres_passwords_are_decoded_for_libpq() {
        assert_eq!(percent_decode("p%40ss%2Bw+rd"), "p@ss+w+rd");
        assert_eq!(
            postgres_database("postgres://u:p@h:5/my%20db?sslmode=require").unwrap(),
            "my db"
        );
    }
}
