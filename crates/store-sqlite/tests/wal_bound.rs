//! The SQLite WAL stays under its bound under sustained writes, with readers beside them; a reader that
//! holds one snapshot keeps it from being emptied but does not stall the writer, and once it lets go the
//! WAL shrinks again.
use domain::Brand;
use ferrodesk_store_sqlite::{SqliteStore, WalBound};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use store::Store;

/// A low bound, so that a few hundred small commits pass it many times over.
const LIMIT: u64 = 256 * 1024;

/// The most the WAL may reach under [`LIMIT`]: past the bound the writer empties it after its next commit,
/// unless the checkpoint thread is copying just then; it waits for that copy once the WAL has grown past
/// twice the bound; add one commit (a few pages here).
const CEILING: u64 = 3 * LIMIT;

fn bound() -> WalBound {
    WalBound {
        limit_bytes: LIMIT,
        reader_wait: Duration::from_millis(100),
    }
}

fn brand(slug: &str) -> Brand {
    let now = store::time::now();
    Brand {
        id: 0,
        name: slug.into(),
        slug: slug.into(),
        // More than a page of text: every commit appends a few pages to the WAL.
        greeting: "x".repeat(6000),
        customer_backend: "local".into(),
        created_at: now,
        updated_at: now,
        webcall: None,
        acknowledge_new_tickets: true,
    }
}

async fn open(name: &str) -> (Arc<dyn Store>, PathBuf) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("fd-wal-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = SqliteStore::open_with(&format!("sqlite://{}/db.sqlite", dir.display()), bound())
        .await
        .expect("open");
    (Arc::new(store), dir)
}

fn wal_size(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("db.sqlite-wal")).map_or(0, |m| m.len())
}

/// Commits `count` brands one by one; the largest WAL size seen after a commit.
async fn write_brands(store: &Arc<dyn Store>, dir: &Path, prefix: &str, count: usize) -> u64 {
    let mut peak = 0;
    for n in 0..count {
        let mut w = store.write().await.expect("write");
        w.insert_brand(&brand(&format!("{prefix}-{n}"))).await.expect("insert");
        w.commit().await.expect("commit");
        peak = peak.max(wal_size(dir));
    }
    peak
}

/// Readers through the store, one short read after another, until `stop`.
fn keep_reading(store: Arc<dyn Store>, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut reads = 0;
        while !stop.load(Ordering::Relaxed) {
            let mut r = store.read().await.expect("read");
            r.brand_list(&store::PageRequest::first(20)).await.expect("list");
            drop(r);
            reads += 1;
            tokio::task::yield_now().await;
        }
        reads
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_bounded_under_sustained_writes_with_and_without_readers() {
    let (store, dir) = open("readers").await;
    // Some 3 MB of commits, twelve times the bound, with nobody reading.
    let alone = write_brands(&store, &dir, "alone", 500).await;
    assert!(
        alone <= CEILING,
        "without readers the WAL reached {alone} bytes (ceiling {CEILING})"
    );

    // The same with readers coming and going all the time beside the writer.
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3).map(|_| keep_reading(store.clone(), stop.clone())).collect();
    let with_readers = write_brands(&store, &dir, "read", 500).await;
    stop.store(true, Ordering::Relaxed);
    let mut reads = 0;
    for reader in readers {
        reads += reader.await.expect("reader");
    }
    assert!(reads > 0, "the readers never ran");
    assert!(
        with_readers <= CEILING,
        "with readers the WAL reached {with_readers} bytes (ceiling {CEILING})"
    );

    // Every commit is in the database.
    let check = rusqlite::Connection::open(dir.join("db.sqlite")).expect("check connection");
    let count: i64 = check
        .query_row(
            "SELECT count(*) FROM brands WHERE slug LIKE 'alone-%' OR slug LIKE 'read-%'",
            [],
            |row| row.get(0),
        )
        .expect("count");
    drop(check);
    assert_eq!(count, 1000);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_holding_a_snapshot_holds_the_wal_back_without_stalling_the_writer() {
    let (store, dir) = open("snapshot").await;
    write_brands(&store, &dir, "before", 10).await;

    // A long reader (an export, say): one read transaction across all the writes below.
    let held = rusqlite::Connection::open_with_flags(dir.join("db.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("reader connection");
    held.execute_batch("BEGIN").expect("begin");
    let seen: i64 = held
        .query_row("SELECT count(*) FROM brands", [], |row| row.get(0))
        .expect("snapshot");

    let started = Instant::now();
    let held_peak = write_brands(&store, &dir, "held", 300).await;
    let took = started.elapsed();
    // The snapshot needs the WAL's pages, so SQLite cannot start it over.
    assert!(
        held_peak > CEILING,
        "the WAL stayed at {held_peak} bytes while a snapshot was held"
    );
    // Were the writer to wait for the reader after every commit, 300 commits would take 30 s; it waits
    // only once the WAL has grown by another bound (a few times here).
    assert!(took < Duration::from_secs(10), "300 commits took {took:?}");
    let still: i64 = held
        .query_row("SELECT count(*) FROM brands", [], |row| row.get(0))
        .expect("snapshot");
    assert_eq!(still, seen, "the held snapshot saw later commits");

    held.execute_batch("COMMIT").expect("end the read");
    drop(held);
    // Once the reader lets go, the next attempt (at most another bound of WAL later) empties it.
    let after = write_brands(&store, &dir, "after", 100).await;
    let last = wal_size(&dir);
    assert!(
        last <= CEILING,
        "the WAL stayed at {last} bytes after the reader let go"
    );
    assert!(
        after <= held_peak + 2 * LIMIT,
        "the WAL went on growing to {after} bytes"
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
