//! Upgrades keep data: a database made by Tertulia's first schema (the first migration, as the
//! first release applied it) holding the data of `fixtures/v1-data.sql` is opened by today's
//! store, which migrates it, and everything reads back; on SQLite always, on PostgreSQL when
//! `TERTULIA_TEST_POSTGRES_URL` is set (in a schema of its own). And a database a newer build
//! migrated is refused with a clear error instead of being used.

use std::path::{Path, PathBuf};

use protocol::Role;
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, Connection, Executor};
use store::{Backend, Store, StoreError};

const FIXTURE: &str = include_str!("fixtures/v1-data.sql");
/// The first release's schema: its one migration.
const FIRST: &str = "20261123000001_init.sql";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tertulia-upgrade-{name}-{}-{:x}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Builds the first release's database at `url`: its migration, then the fixture's data.
async fn first_release(url: &str, backend: &str) {
    sqlx::any::install_default_drivers();
    let only_first = scratch(&format!("{backend}-migrations"));
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
        .join(FIRST);
    std::fs::copy(&source, only_first.join(FIRST)).unwrap();
    let migrator = Migrator::new(only_first.as_path()).await.unwrap();
    let mut conn = AnyConnection::connect(url).await.unwrap();
    migrator.run(&mut conn).await.unwrap();
    for statement in FIXTURE
        .split(";\n")
        .map(|s| {
            s.lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| !s.trim().is_empty())
    {
        conn.execute(statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("{e}: {statement}"));
    }
    conn.close().await.unwrap();
}

/// Today's store opens (and migrates) the first release's database; the data reads back.
async fn reads_back(url: &str, backend: Backend) {
    let before = store::schema_of(url).await.unwrap();
    assert_eq!(
        before,
        Some(20_261_123_000_001),
        "the fixture is at the first schema"
    );
    let store = Store::connect(url).await.unwrap();
    assert_eq!(
        store::schema_of(url).await.unwrap(),
        Some(store::known_schema(backend)),
        "migrated to today's schema"
    );
    let ana = store.user_by_name("ANA").await.unwrap().expect("Ana");
    assert_eq!(ana.user.role, Role::Admin);
    assert!(
        ana.password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    let visitor = store
        .user_by_name("visitor")
        .await
        .unwrap()
        .expect("the guest");
    assert_eq!(visitor.user.role, Role::Guest);
    let session = store.session_user("v1-session-hash", 5_000).await.unwrap();
    assert_eq!(
        session.map(|user| user.id),
        Some(ana.user.id),
        "Ana stays signed in"
    );

    let general = store
        .room_by_name("general")
        .await
        .unwrap()
        .expect("general");
    let texts: Vec<String> = store
        .history(&general, None, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|message| format!("{}: {}", message.user.username, message.text))
        .collect();
    assert_eq!(
        texts,
        ["Ana: hello everyone", "visitor: hi, a visitor here"]
    );
    let plans = store
        .room_by_name("plans")
        .await
        .unwrap()
        .expect("the private room");
    assert!(plans.private);
    let bea = store.user_by_name("bea").await.unwrap().unwrap().user;
    assert!(store.is_member(plans.id, bea.id).await.unwrap());
    assert!(!store.is_member(plans.id, visitor.user.id).await.unwrap());
    let said = store.history(&plans, None, None, 50).await.unwrap();
    assert_eq!(said.len(), 1);
    assert_eq!(said[0].text, "the plan: **Lisbon**");
    let dm = store
        .room_by_name(&store::dm_name(ana.user.id, bea.id))
        .await
        .unwrap()
        .expect("the DM");
    assert_eq!(store.history(&dm, None, None, 50).await.unwrap().len(), 1);
    // New rows go after the old ones.
    let next = store.create_account("cid", "hash", 10_000).await.unwrap();
    assert!(next.id > visitor.user.id);
    store.close().await;
}

#[tokio::test]
async fn a_first_release_sqlite_database_is_migrated_with_its_data() {
    let dir = scratch("sqlite");
    let url = format!("sqlite://{}?mode=rwc", dir.join("v1.db").display());
    first_release(&url, "sqlite").await;
    reads_back(&url, Backend::Sqlite).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_first_release_postgres_database_is_migrated_with_its_data() {
    let Ok(base) = std::env::var("TERTULIA_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("TERTULIA_TEST_REQUIRE_SERVICES").is_none(),
            "TERTULIA_TEST_REQUIRE_SERVICES is set but TERTULIA_TEST_POSTGRES_URL is not"
        );
        eprintln!("no PostgreSQL: skipped");
        return;
    };
    // A schema of its own in the test database, named in the URL (libpq's `options`).
    sqlx::any::install_default_drivers();
    let schema = format!("upgrade_{:x}", rand_suffix() & 0xffff_ffff);
    let mut admin = AnyConnection::connect(&base).await.unwrap();
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    first_release(&url, "postgres").await;
    reads_back(&url, Backend::Postgres).await;
    admin
        .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
}

#[tokio::test]
async fn a_database_a_newer_build_migrated_is_refused() {
    let dir = scratch("newer");
    let url = format!("sqlite://{}?mode=rwc", dir.join("newer.db").display());
    Store::connect(&url).await.unwrap().close().await;
    // As a newer build would leave it: one more migration applied.
    let future = 99_991_231_000_001_i64;
    let mut conn = AnyConnection::connect(&url).await.unwrap();
    conn.execute(
        format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ({future}, 'from a newer build', TRUE, x'00', 0)"
        )
        .as_str(),
    )
    .await
    .unwrap();
    conn.close().await.unwrap();
    match Store::connect(&url).await {
        Err(StoreError::NewerSchema { database, known }) => {
            assert_eq!(database, future);
            assert_eq!(known, store::known_schema(Backend::Sqlite));
            let said = StoreError::NewerSchema { database, known }.to_string();
            assert!(said.contains("newer version"), "{said}");
        }
        other => panic!("expected NewerSchema, got {:?}", other.map(|_| ())),
    }
    std::fs::remove_dir_all(dir).unwrap();
}
