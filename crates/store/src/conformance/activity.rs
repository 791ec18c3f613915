//! Checks of end users' activity events (TeamTools' `Event`): stored as given, read by id, listed newest
//! first per end user and per customer, bounded.
use super::*;
use domain::ActivityEvent;

pub(super) async fn activity_events_by_person(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let acme = w
        .insert_customer(&new_customer("Acme", None), &[])
        .await
        .expect("customer");
    let other = w
        .insert_customer(&new_customer("Other", None), &[])
        .await
        .expect("customer");
    let ann = w
        .insert_end_user(&new_end_user(acme.id, "Ann", None), None, &[])
        .await
        .expect("ann");
    let bob = w
        .insert_end_user(&new_end_user(acme.id, "Bob", None), None, &[])
        .await
        .expect("bob");
    let cy = w
        .insert_end_user(&new_end_user(other.id, "Cy", None), None, &[])
        .await
        .expect("cy");
    let at = from_micros(to_micros(now()));
    let mut stored = Vec::new();
    for (who, name, counter) in [
        (&ann, "login", 1),
        (&bob, "upload", 3),
        (&ann, "logout", 1),
        (&cy, "login", 2),
    ] {
        let e = w
            .insert_activity_event(&ActivityEvent {
                id: 0,
                end_user_id: who.id,
                customer_id: who.customer_id,
                name: name.into(),
                counter,
                metadata: json!({"ip": "10.0.0.1", "tags": ["a", "é"]}),
                timestamp: at,
            })
            .await
            .expect("activity");
        stored.push(e);
    }
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    let first = r.activity_event(stored[0].id).await.expect("read").expect("found");
    assert_eq!(first, stored[0], "an activity event reads back as written");
    assert!(r.activity_event(999_999).await.expect("read").is_none());
    let names = |events: Vec<ActivityEvent>| events.into_iter().map(|e| e.name).collect::<Vec<_>>();
    assert_eq!(
        names(r.activity_events(&[ann.id], &[], 100).await.expect("ann")),
        ["logout", "login"],
        "one end user's, newest first"
    );
    assert_eq!(
        names(r.activity_events(&[], &[acme.id], 100).await.expect("acme")),
        ["logout", "upload", "login"],
        "a customer's end users'"
    );
    assert_eq!(
        names(r.activity_events(&[cy.id], &[acme.id], 2).await.expect("both")),
        ["login", "logout"],
        "end users and customers together, at most the limit"
    );
    assert!(r.activity_events(&[], &[], 100).await.expect("none").is_empty());
}
