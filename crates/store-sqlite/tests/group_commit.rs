//! The SQLite writer's group commit: units that share a transaction stay independent.
use domain::Brand;
use ferrodesk_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use store::{Store, Writer};

fn brand(slug: &str) -> Brand {
    let now = store::time::now();
    Brand {
        id: 0,
        name: slug.into(),
        slug: slug.into(),
        greeting: String::new(),
        customer_backend: "local".into(),
        created_at: now,
        updated_at: now,
    }
}

async fn open() -> (Arc<dyn Store>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("fd-group-commit-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = SqliteStore::open(&format!("sqlite://{}/db.sqlite", dir.display()))
        .await
        .expect("open");
    (Arc::new(store), dir)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

async fn slugs(store: &Arc<dyn Store>) -> Vec<String> {
    let mut r = store.read().await.expect("read");
    let mut s: Vec<String> = r
        .brand_list(&store::PageRequest::first(100))
        .await
        .expect("list")
        .into_iter()
        .map(|b| b.slug)
        .collect();
    s.sort();
    s
}

async fn insert(w: &mut Box<dyn Writer>, slug: &str) {
    w.insert_brand(&brand(slug)).await.expect("insert");
}

#[tokio::test]
async fn a_unit_dropped_after_others_released_leaves_them_committed() {
    let (store, dir) = open().await;
    let mut first = store.write().await.expect("first");
    insert(&mut first, "kept-first").await;

    // The second unit queues for the connection while the first holds it.
    let later = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut w = store.write().await.expect("second");
            insert(&mut w, "dropped").await;
            drop(w);
            let mut w = store.write().await.expect("third");
            insert(&mut w, "kept-third").await;
            w.commit().await.expect("third commits");
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    first.commit().await.expect("first commits");
    later.await.expect("task");
    assert_eq!(slugs(&store).await, ["kept-first", "kept-third"]);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failed_statement_undoes_only_its_unit() {
    let (store, dir) = open().await;
    let mut w = store.write().await.expect("write");
    insert(&mut w, "taken").await;
    w.commit().await.expect("commit");

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut w = store.write().await.expect("write");
            w.insert_brand(&brand(&format!("ok-{i:02}"))).await.expect("insert");
            if i % 4 == 0 {
                // A unique violation: this unit fails and is dropped, the others commit.
                assert!(w.insert_brand(&brand("taken")).await.is_err());
                return false;
            }
            w.commit().await.expect("commit");
            true
        });
    }
    let mut committed = 0;
    while let Some(done) = tasks.join_next().await {
        committed += usize::from(done.expect("task"));
    }
    let stored = slugs(&store).await;
    assert_eq!(committed, 15);
    assert_eq!(stored.len(), 16, "{stored:?}");
    assert!(
        stored
            .iter()
            .all(|s| s == "taken" || s.trim_start_matches("ok-").parse::<u32>().is_ok_and(|i| i % 4 != 0))
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
