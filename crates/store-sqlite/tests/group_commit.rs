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
        webcall: None,
        acknowledge_new_tickets: true,
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

fn event(entity_id: i64) -> domain::event::NewEvent {
    domain::event::NewEvent {
        source: domain::event::EventSource::Api,
        member_id: None,
        member_type: None,
        url: None,
        action: domain::event::EventAction::Created,
        name: None,
        entity: domain::event::EntityType::Ticket,
        entity_id,
        customer_id: None,
        value: serde_json::Value::Null,
        old: serde_json::Value::Null,
    }
}

async fn event_entities(store: &Arc<dyn Store>) -> Vec<i64> {
    let mut r = store.read().await.expect("read");
    let mut ids: Vec<i64> = r
        .event_list(&store::EventFilter {
            limit: 100,
            ..store::EventFilter::default()
        })
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.entity_id)
        .collect();
    ids.sort_unstable();
    ids
}

/// Units whose inserts were only queued are sent together with the commit; the one whose insert breaks a
/// reference is told so and undone, the units before and after it in the same round trip commit, and a
/// unit dropped in between leaves nothing.
#[tokio::test]
async fn a_queued_insert_that_fails_at_commit_undoes_only_its_unit() {
    let (store, dir) = open().await;
    // Holding the connection makes the next units queue up behind it and share one batch.
    let mut holder = store.write().await.expect("holder");
    holder.insert_event(&event(1)).await.expect("queue event 1");

    let mut tasks = tokio::task::JoinSet::new();
    for entity in 2..=9_i64 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut w = store.write().await.expect("write");
            if entity == 6 || entity == 8 {
                // A unit that reads from the writer runs in a savepoint of its own.
                w.event_list(&store::EventFilter {
                    limit: 1,
                    ..store::EventFilter::default()
                })
                .await
                .expect("read on the writer");
            }
            w.insert_event(&event(entity)).await.expect("queue event");
            match entity {
                // A reply to a ticket that does not exist: a foreign key fails when the queue is sent.
                4 | 7 | 8 => {
                    w.insert_reply(&domain::Reply {
                        id: 0,
                        owner_id: 4242,
                        user_id: 1,
                        admin: true,
                        name: "Nobody".into(),
                        encrypted: false,
                        message: "to nowhere".into(),
                        ctime: store::time::now(),
                        ip: None,
                        internal: false,
                        attachments: Vec::new(),
                    })
                    .await
                    .expect("queue reply");
                    (entity, w.commit().await)
                }
                // Dropped without commit: its queued event is never written.
                5 => (entity, Err(store::StoreError::internal("dropped"))),
                _ => (entity, w.commit().await),
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    holder.commit().await.expect("holder commits");
    let mut outcomes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        outcomes.push(done.expect("task"));
    }
    outcomes.sort_by_key(|(entity, _)| *entity);
    for (entity, outcome) in &outcomes {
        match entity {
            4 | 7 | 8 => assert!(
                matches!(outcome, Err(store::StoreError::Reference(_))),
                "unit {entity}: {outcome:?}"
            ),
            5 => {}
            _ => assert!(outcome.is_ok(), "unit {entity}: {outcome:?}"),
        }
    }
    assert_eq!(event_entities(&store).await, [1, 2, 3, 6, 9]);

    // The writer goes on normally afterwards.
    let mut w = store.write().await.expect("write");
    w.insert_event(&event(10)).await.expect("queue event");
    w.commit().await.expect("commit");
    assert_eq!(event_entities(&store).await, [1, 2, 3, 6, 9, 10]);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Commits reach the database file from the WAL without waiting for the store to close: the writer's own
/// checkpoints are off, so this is the checkpoint thread's work.
#[tokio::test]
async fn committed_pages_are_checkpointed_into_the_database_file() {
    let (store, dir) = open().await;
    let file = dir.join("db.sqlite");
    let before = std::fs::metadata(&file).expect("database file").len();
    for n in 0..400 {
        let mut w = store.write().await.expect("write");
        let mut b = brand(&format!("brand-{n}"));
        b.greeting = "x".repeat(2000);
        w.insert_brand(&b).await.expect("insert");
        w.commit().await.expect("commit");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut size = before;
    while size < before + 400 * 2000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        size = std::fs::metadata(&file).expect("database file").len();
    }
    assert!(
        size >= before + 400 * 2000,
        "database file stayed at {size} bytes (was {before})"
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
