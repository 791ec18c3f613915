//! Ranked full-text search (SPEC §3.3).
use crate::*;

fn query(q: &str, types: Option<&str>) -> SearchQuery {
    SearchQuery {
        q: q.into(),
        types: types.map(Into::into),
        limit: None,
    }
}

#[tokio::test]
async fn tickets_customers_and_end_users_with_highlights() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let sam = s.customer().await;
    let zebra = s
        .admin
        .create_customer(&NewCustomer {
            name: "Zebra Logistics".into(),
            ..Default::default()
        })
        .await
        .expect("customer");
    s.admin
        .create_end_user(&NewEndUser {
            customer_id: zebra.id,
            name: Some("Zelda Zebra".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    let t1 = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Zebra crossing is broken"))
        .await
        .expect("t1");
    let t2 = sam
        .client
        .create_ticket(&new_ticket(dept.id, "Other"))
        .await
        .expect("t2");
    s.admin
        .reply(
            t2.id,
            &NewReply {
                message: "The zebra printer: 3 < 4 & toner".into(),
                internal: None,
            },
        )
        .await
        .expect("reply");
    s.admin
        .reply(
            t1.id,
            &NewReply {
                message: "mango is the secret".into(),
                internal: Some(true),
            },
        )
        .await
        .expect("note");

    let all = s.admin.search(&query("zebra", None)).await.expect("search");
    let kinds: Vec<(&str, i64)> = all.data.iter().map(|h| (h.kind.as_str(), h.id)).collect();
    assert!(
        kinds.contains(&("ticket", t1.id)) && kinds.contains(&("ticket", t2.id)),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("customer", zebra.id)), "{kinds:?}");
    assert!(kinds.iter().any(|(k, _)| *k == "end_user"), "{kinds:?}");
    let reply_hit = all
        .data
        .iter()
        .find(|h| h.kind == "ticket" && h.id == t2.id)
        .expect("t2 hit");
    assert!(
        reply_hit.highlight.contains("<mark>zebra</mark>"),
        "{}",
        reply_hit.highlight
    );
    assert!(
        reply_hit.highlight.contains("3 &lt; 4 &amp; toner"),
        "highlight is escaped HTML: {}",
        reply_hit.highlight
    );
    assert!(all.data.windows(2).all(|w| w[0].score >= w[1].score), "ranked");

    let only_tickets = s
        .admin
        .search(&query("zebra", Some("tickets")))
        .await
        .expect("tickets only");
    assert!(only_tickets.data.iter().all(|h| h.kind == "ticket"));
    assert_eq!(
        s.admin.search(&query("mango", None)).await.expect("notes").data.len(),
        1
    );

    let mine = pat.client.search(&query("zebra", None)).await.expect("end user search");
    assert_eq!(
        mine.data.iter().map(|h| (h.kind.as_str(), h.id)).collect::<Vec<_>>(),
        [("ticket", t1.id)]
    );
    assert!(
        pat.client
            .search(&query("mango", None))
            .await
            .expect("notes hidden")
            .data
            .is_empty()
    );

    assert_code(s.admin.search(&query("  ", None)).await, ErrorCode::ValidationFailed);
    assert_code(
        s.admin.search(&query("x", Some("planets"))).await,
        ErrorCode::ValidationFailed,
    );
    assert_code(
        s.anonymous().search(&query("zebra", None)).await,
        ErrorCode::Unauthenticated,
    );
    // Query syntax is never interpreted.
    s.admin
        .search(&query("\"zebra OR* NEAR( -x ) :col ' ;", None))
        .await
        .expect("operators are words");
    s.shutdown().await;
}

#[tokio::test]
async fn deleted_customers_leave_search_and_come_back() {
    let s = TestServer::start().await;
    let c = s
        .admin
        .create_customer(&NewCustomer {
            name: "Quokka Industries".into(),
            ..Default::default()
        })
        .await
        .expect("customer");
    let hits = |c: &ferrodesk_client::Client| {
        let c = c.clone();
        async move {
            c.search(&query("quokka", Some("customers")))
                .await
                .expect("search")
                .data
                .len()
        }
    };
    assert_eq!(hits(&s.admin).await, 1);
    s.admin.delete_customer(c.id).await.expect("delete");
    assert_eq!(hits(&s.admin).await, 0);
    s.admin.restore_customer(c.id).await.expect("restore");
    assert_eq!(hits(&s.admin).await, 1);
    s.admin
        .update_customer(
            c.id,
            &CustomerPatch {
                name: Some("Wombat Industries".into()),
                ..Default::default()
            },
        )
        .await
        .expect("rename");
    assert_eq!(hits(&s.admin).await, 0, "the index follows updates");
    s.shutdown().await;
}

#[tokio::test]
async fn accents_and_case_are_ignored_and_the_last_word_is_a_prefix() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let cafe = pat
        .client
        .create_ticket(&NewTicket {
            message: "The PRINTER in the Café jammed".into(),
            ..new_ticket(dept.id, "Crème brûlée machine")
        })
        .await
        .expect("ticket");
    let other = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Printing invoices"))
        .await
        .expect("ticket");
    s.admin
        .reply(
            other.id,
            &NewReply {
                message: "déjà vu".into(),
                internal: Some(true),
            },
        )
        .await
        .expect("note");
    let customer = s
        .admin
        .create_customer(&NewCustomer {
            name: "Société Générale".into(),
            city: Some("Besançon".into()),
            ..Default::default()
        })
        .await
        .expect("customer");
    let person = s
        .admin
        .create_end_user(&NewEndUser {
            customer_id: customer.id,
            name: Some("Zoë Ångström".into()),
            ..Default::default()
        })
        .await
        .expect("end user");

    let found = |client: &ferrodesk_client::Client, q: &str, types: &str| {
        let (client, q) = (client.clone(), query(q, Some(types)));
        async move {
            let mut ids: Vec<(String, i64)> = client
                .search(&q)
                .await
                .expect("search")
                .data
                .into_iter()
                .map(|h| (h.kind, h.id))
                .collect();
            ids.sort();
            ids
        }
    };
    let ticket = |id: i64| ("ticket".to_string(), id);
    assert_eq!(found(&s.admin, "cafe", "tickets").await, [ticket(cafe.id)]);
    assert_eq!(found(&s.admin, "CAFÉ creme", "tickets").await, [ticket(cafe.id)]);
    assert_eq!(found(&s.admin, "creme brul", "tickets").await, [ticket(cafe.id)]);
    assert_eq!(
        found(&s.admin, "print", "tickets").await,
        [ticket(cafe.id), ticket(other.id)]
    );
    assert_eq!(
        found(&s.admin, "deja", "tickets").await,
        [ticket(other.id)],
        "staff find notes"
    );
    assert!(
        found(&pat.client, "deja", "tickets").await.is_empty(),
        "customers never do"
    );
    assert!(
        found(&s.admin, "pri jammed", "tickets").await.is_empty(),
        "only the last word is a prefix"
    );
    assert!(
        found(&s.admin, "printer ja", "tickets").await.is_empty(),
        "two letters are no prefix"
    );
    assert_eq!(
        found(&s.admin, "societe besancon", "customers").await,
        [("customer".to_string(), customer.id)]
    );
    assert_eq!(
        found(&s.admin, "zoe angs", "end_users").await,
        [("end_user".to_string(), person.id)]
    );
    let hits = s.admin.search(&query("machi", Some("tickets"))).await.expect("search");
    assert!(
        hits.data[0].highlight.contains("<mark>machine</mark>"),
        "the prefix match is marked: {}",
        hits.data[0].highlight
    );
    let hits = s.admin.search(&query("cafe", Some("tickets"))).await.expect("search");
    assert!(
        hits.data[0].highlight.contains("<mark>Café</mark>"),
        "{}",
        hits.data[0].highlight
    );

    // The ticket list's q= follows the same rules.
    let listed = |q: &str| {
        let (admin, q) = (s.admin.clone(), q.to_owned());
        async move {
            admin
                .tickets(&TicketQuery {
                    q: Some(q),
                    ..Default::default()
                })
                .await
                .expect("list")
                .data
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("CAFE").await, [cafe.id]);
    assert_eq!(listed("print").await, [other.id, cafe.id]);
    assert_eq!(listed("brulee machin").await, [cafe.id]);
    assert!(listed("brul machine").await.is_empty());
    s.shutdown().await;
}
