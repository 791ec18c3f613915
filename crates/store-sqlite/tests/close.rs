//! Closing the SQLite store leaves the database in one file: the final checkpoint empties the WAL even
//! when the checkpoint thread was copying commits at that moment.
use domain::Brand;
use ferrodesk_store_sqlite::SqliteStore;
use store::Store;

fn brand(slug: String) -> Brand {
    let now = store::time::now();
    Brand {
        id: 0,
        name: slug.clone(),
        slug,
        greeting: String::new(),
        customer_backend: "local".into(),
        created_at: now,
        updated_at: now,
        webcall: None,
        acknowledge_new_tickets: true,
    }
}

#[tokio::test]
async fn close_right_after_commits_empties_the_wal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db.sqlite");
    let url = format!("sqlite://{}", db.display());
    // Each round commits, which wakes the checkpoint thread, and closes at once: a close that met the
    // thread's checkpoint used to leave the WAL behind.
    for round in 0..20 {
        let store = SqliteStore::open(&url).await.expect("open");
        for i in 0..20 {
            let mut w = store.write().await.expect("writer");
            w.insert_brand(&brand(format!("r{round}-b{i}"))).await.expect("insert");
            w.commit().await.expect("commit");
        }
        store.close().await;
        let wal = std::fs::metadata(dir.path().join("db.sqlite-wal")).map_or(0, |m| m.len());
        assert_eq!(wal, 0, "round {round}: WAL left behind after close");
        drop(store);
    }
    let store = SqliteStore::open(&url).await.expect("open again");
    let mut r = store.read().await.expect("reader");
    let brands = r.brand_list(&store::PageRequest::first(500)).await.expect("list");
    assert_eq!(brands.len(), 400, "every commit survived the closes");
    drop(r);
    store.close().await;
}
