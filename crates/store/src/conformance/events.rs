//! The event log's filters, and concurrent writers.
use super::*;

pub(super) async fn event_list_filters(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let e1 = w
        .insert_event(&new_event(EntityType::Ticket, 1, Some(10)))
        .await
        .expect("event");
    let e2 = w
        .insert_event(&new_event(EntityType::Ticket, 2, Some(20)))
        .await
        .expect("event");
    let e3 = w
        .insert_event(&new_event(EntityType::Customer, 10, Some(10)))
        .await
        .expect("event");
    w.commit().await.expect("commit");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut w = writer(&s).await;
    let e4 = w
        .insert_event(&new_event(EntityType::Ticket, 1, Some(10)))
        .await
        .expect("event");
    let e5 = w
        .insert_event(&new_event(EntityType::EndUser, 5, Some(20)))
        .await
        .expect("event");
    let e6 = w
        .insert_event(&new_event(EntityType::Brand, 1, None))
        .await
        .expect("event");
    w.commit().await.expect("commit");
    assert!(
        e3.timestamp < e4.timestamp,
        "event timestamps do not advance: {} then {}",
        e3.timestamp,
        e4.timestamp
    );
    let all = [e1, e2, e3, e4, e5, e6];
    let (e3, e4) = (&all[2], &all[3]);

    let mut r = reader(&s).await;
    let unfiltered = r
        .event_list(&EventFilter {
            limit: 100,
            ..EventFilter::default()
        })
        .await
        .expect("event_list");
    let mut newest: Vec<Event> = all.to_vec();
    newest.reverse();
    assert_eq!(unfiltered, newest, "every event, newest first, as stored");

    let expect = |keep: &dyn Fn(&Event) -> bool| newest_first(all.iter().filter(|e| keep(e)).map(|e| e.id).collect());
    let cases: Vec<(&str, EventFilter, Vec<i64>)> = vec![
        (
            "entity ticket",
            EventFilter {
                entity: Some("ticket"),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.data.entity == EntityType::Ticket),
        ),
        (
            "entity ticket 1",
            EventFilter {
                entity: Some("ticket"),
                entity_id: Some(1),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.data.entity == EntityType::Ticket && e.entity_id == 1),
        ),
        (
            "entity id 1 of any entity",
            EventFilter {
                entity_id: Some(1),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.entity_id == 1),
        ),
        (
            "customer 10",
            EventFilter {
                customer_id: Some(10),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.customer_id == Some(10)),
        ),
        (
            "since the second batch",
            EventFilter {
                since_micros: Some(to_micros(e4.timestamp)),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.id >= e4.id),
        ),
        (
            "before the second batch",
            EventFilter {
                before_id: Some(e4.id),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.id < e4.id),
        ),
        (
            "limit 2",
            EventFilter {
                limit: 2,
                ..EventFilter::default()
            },
            expect(&|e| e.id > e4.id),
        ),
        (
            "limit 2 before the second batch",
            EventFilter {
                limit: 2,
                before_id: Some(e4.id),
                ..EventFilter::default()
            },
            expect(&|e| e.id < e4.id && e.id > all[0].id),
        ),
        (
            "customer 10 since the second batch",
            EventFilter {
                customer_id: Some(10),
                since_micros: Some(to_micros(e4.timestamp)),
                limit: 100,
                ..EventFilter::default()
            },
            vec![e4.id],
        ),
        (
            "entity customer before the last",
            EventFilter {
                entity: Some("customer"),
                before_id: Some(e3.id + 100),
                limit: 100,
                ..EventFilter::default()
            },
            vec![e3.id],
        ),
        (
            "nothing",
            EventFilter {
                entity: Some("invoice"),
                limit: 100,
                ..EventFilter::default()
            },
            vec![],
        ),
    ];
    for (name, filter, expected) in cases {
        let got = ids(&r.event_list(&filter).await.expect("event_list"));
        assert_eq!(got, expected, "event_list: {name}");
    }
}

pub(super) async fn concurrent_writers(s: Arc<dyn Store>) {
    const TASKS: usize = 20;
    let world = Arc::new(world(&s).await);
    let mut handles = Vec::with_capacity(TASKS);
    for i in 0..TASKS {
        let (s, world) = (Arc::clone(&s), Arc::clone(&world));
        handles.push(tokio::spawn(async move {
            let mut w = s.write().await.expect("write() under concurrency");
            let t = w
                .insert_ticket(&new_ticket(&world, &format!("Concurrent {i}")))
                .await
                .expect("insert ticket");
            w.commit().await.expect("commit under concurrency");
            t.id
        }));
    }
    let mut made = BTreeSet::new();
    for h in handles {
        let id = h.await.expect("writer task");
        assert!(made.insert(id), "id {id} handed out twice");
    }
    assert_eq!(made.len(), TASKS);
    let mut r = reader(&s).await;
    let listed = r.ticket_list(&TicketFilter::default()).await.expect("ticket_list");
    assert_eq!(id_set(&listed), made, "every committed ticket is listed");
    let titles: BTreeSet<String> = listed.into_iter().map(|t| t.title).collect();
    assert_eq!(titles.len(), TASKS);
}
