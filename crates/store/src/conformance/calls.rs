//! Telephony calls, and finding customers and end users by the caller's number: numbers match on their last
//! digits whatever punctuation or country code comes first; deleted people are not found.
use super::*;
use domain::call::Call;

pub(super) async fn calls_and_callers_by_number(s: Arc<dyn Store>) {
    let w0 = world(&s).await;
    let mut w = writer(&s).await;
    let with_phone = |name: &str, phone: Option<&str>| Customer {
        phone: phone.map(str::to_owned),
        ..new_customer(name, None)
    };
    let dialled = w
        .insert_customer(&with_phone("Dialled", Some("+1 (555) 555-0100")), &[])
        .await
        .expect("customer");
    let national = w
        .insert_customer(&with_phone("National", Some("555.555.0100")), &[])
        .await
        .expect("customer");
    let other = w
        .insert_customer(&with_phone("Other", Some("555-555-0199")), &[])
        .await
        .expect("customer");
    let gone = w
        .insert_customer(&with_phone("Gone", Some("5555550100")), &[])
        .await
        .expect("customer");
    w.update_customer(
        &Customer {
            deleted_at: Some(now()),
            ..gone.clone()
        },
        None,
    )
    .await
    .expect("delete");
    let person = w
        .insert_end_user(
            &EndUser {
                phone: Some("(555) 555 0100".into()),
                ..new_end_user(other.id, "Pat", Some("pat@other.example"))
            },
            None,
            &[],
        )
        .await
        .expect("end user");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    // The last digits of a caller's number, reversed (a `domain::account::caller_key`).
    let key = "0010555555";
    let found: Vec<i64> = r
        .customers_by_phone(key, 10)
        .await
        .expect("customers")
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        found,
        vec![national.id, dialled.id],
        "newest first, the deleted one left out"
    );
    assert_eq!(r.customers_by_phone(key, 1).await.expect("limit").len(), 1);
    let people: Vec<i64> = r
        .end_users_by_phone(key, 10)
        .await
        .expect("end users")
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(people, vec![person.id]);
    assert!(r.customers_by_phone("9999999999", 10).await.expect("none").is_empty());
    drop(r);

    // A number changed: its old digits no longer find it.
    let mut w = writer(&s).await;
    w.update_customer(
        &Customer {
            phone: Some("+44 20 7946 0958".into()),
            ..national.clone()
        },
        None,
    )
    .await
    .expect("update");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let found: Vec<i64> = r
        .customers_by_phone(key, 10)
        .await
        .expect("customers")
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(found, vec![dialled.id]);
    assert_eq!(r.customers_by_phone("8590649702", 10).await.expect("uk").len(), 1);
    drop(r);

    let ticket = insert_tickets(&s, vec![new_ticket(&w0, "Called in")]).await.remove(0);
    let mut w = writer(&s).await;
    let call = |callid: &str| Call {
        id: 0,
        callid: callid.into(),
        ani: "+1 555 555 0100".into(),
        brand_id: w0.brand.id,
        customer_id: Some(dialled.id),
        end_user_id: None,
        account_key: Some("jdoe".into()),
        ticket_id: None,
        staff_id: Some(w0.staff.id),
        lookup_error: None,
        created_at: now(),
    };
    let first = w.insert_call(&call("C-1")).await.expect("call");
    let again = w.insert_call(&call("C-1")).await.expect("the same call popped again");
    let failed = w
        .insert_call(&Call {
            customer_id: None,
            account_key: None,
            lookup_error: Some("the customer database did not answer".into()),
            ..call("C-2")
        })
        .await
        .expect("call");
    w.set_call_ticket(again.id, ticket.id).await.expect("link");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.call(first.id).await.expect("call"), Some(first.clone()));
    assert_eq!(r.call(failed.id).await.expect("call"), Some(failed.clone()));
    let newest = r.call_by_callid(w0.brand.id, "C-1").await.expect("by callid");
    assert_eq!(newest.map(|c| (c.id, c.ticket_id)), Some((again.id, Some(ticket.id))));
    assert_eq!(r.call_by_callid(w0.brand.id, "C-9").await.expect("none"), None);
    assert_eq!(
        r.call_by_callid(w0.brand.id + 1, "C-1").await.expect("other brand"),
        None
    );
}
