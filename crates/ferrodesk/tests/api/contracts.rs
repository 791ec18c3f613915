//! Support contracts and per-incident support (SPEC §5.4, issue 10 items 5 and 7): contracts with incident
//! counts per type, redeeming a ticket (exactly one winner for the last incident), unredeeming, the
//! `support_incidents` feature topping contracts up each period, and a ticket's `service`.
use crate::process::ferrodesk;
use crate::*;
use std::collections::BTreeMap;

fn counts(types: &[(&str, i64)]) -> BTreeMap<String, IncidentInput> {
    types
        .iter()
        .map(|(kind, total)| {
            (
                (*kind).to_owned(),
                IncidentInput {
                    total: *total,
                    used: None,
                },
            )
        })
        .collect()
}

fn new_contract(customer_id: i64, types: &[(&str, i64)]) -> NewContract {
    NewContract {
        customer_id,
        start: "2020-01-01".into(),
        end: "2099-12-31".into(),
        incidents: Some(counts(types)),
        ..NewContract::default()
    }
}

/// A ticket of `customer_id`, opened by staff for a new end user of that customer.
async fn ticket_of(admin: &Client, did: i64, customer_id: i64, title: &str) -> Ticket {
    admin
        .create_ticket(&NewTicket {
            customer_id: Some(customer_id),
            email: Some(format!("{}@example.com", unique("requester").to_lowercase())),
            ..new_ticket(did, title)
        })
        .await
        .expect("ticket")
}

async fn department(admin: &Client) -> i64 {
    crate::process::department_and_requester(admin).await.0.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contracts_keep_incident_counts_and_refuse_bad_input() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let level = admin
        .create_support_level(&NewSupportLevel {
            name: "Gold".into(),
            max_first_response_minutes: Some(60),
            ..NewSupportLevel::default()
        })
        .await
        .expect("level");
    let contract = admin
        .create_contract(&NewContract {
            support_level_id: Some(level.id),
            ..new_contract(customer.id, &[("phone", 3), ("email", 10)])
        })
        .await
        .expect("contract");
    assert_eq!(contract.status, ContractStatus::Active);
    assert_eq!(contract.start.to_string(), "2020-01-01");
    assert_eq!(contract.incidents["phone"], IncidentCount { total: 3, used: 0 });
    let body: serde_json::Value = admin
        .get(&format!("/api/v1/contracts/{}", contract.id))
        .await
        .expect("raw");
    assert_eq!(body["end"], "2099-12-31", "dates as YYYY-MM-DD: {body}");
    assert_eq!(body["incidents"]["email"], serde_json::json!({"total": 10, "used": 0}));
    assert_eq!(
        admin.customer_contracts(customer.id).await.expect("list").data,
        vec![contract.clone()]
    );

    let changed = admin
        .update_contract(
            contract.id,
            &ContractPatch {
                status: Some("expired".into()),
                support_level_id: Some(None),
                incidents: Some(counts(&[("phone", 5)])),
                ..ContractPatch::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(changed.status, ContractStatus::Expired);
    assert_eq!(changed.support_level_id, None);
    assert_eq!(changed.incidents.keys().collect::<Vec<_>>(), ["phone"]);

    let cases: Vec<(NewContract, &[&str])> = vec![
        (
            NewContract {
                start: "01/02/2027".into(),
                end: "2027-02-30".into(),
                ..new_contract(customer.id, &[])
            },
            &["start", "end"],
        ),
        (
            NewContract {
                start: "2027-02-01".into(),
                end: "2027-01-31".into(),
                ..new_contract(customer.id, &[])
            },
            &["end"],
        ),
        (
            NewContract {
                status: Some("open".into()),
                ..new_contract(customer.id, &[("phone", -1)])
            },
            &["status", "incidents.phone"],
        ),
        (new_contract(customer.id + 1000, &[]), &["customer_id"]),
        (
            NewContract {
                support_level_id: Some(level.id + 1000),
                ..new_contract(customer.id, &[])
            },
            &["support_level_id"],
        ),
    ];
    for (input, expected) in cases {
        let p = assert_code(admin.create_contract(&input).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), expected, "{input:?}");
    }
    let mut used_above_total = counts(&[("phone", 1)]);
    used_above_total.insert(
        "email".into(),
        IncidentInput {
            total: 1,
            used: Some(2),
        },
    );
    let p = assert_code(
        admin
            .update_contract(
                contract.id,
                &ContractPatch {
                    incidents: Some(used_above_total),
                    ..ContractPatch::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["incidents.email"]);
    assert_code(admin.contract(contract.id + 1000).await, ErrorCode::NotFound);
    // End users see no contracts.
    let person = s.customer().await;
    assert_code(person.client.contract(contract.id).await, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_redeem_incidents_once_each_and_give_them_back() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let did = department(admin).await;
    let customer = s.customer().await.customer;
    let first = ticket_of(admin, did, customer.id, "First incident").await;

    // No contract: a conflict that says so.
    let p = assert_code(admin.redeem_incidents(first.id, &["phone"]).await, ErrorCode::Conflict);
    assert!(
        p.detail.as_deref().is_some_and(|d| d.contains("no per-incident")),
        "{p:?}"
    );
    let none = admin.ticket_incidents(first.id).await.expect("incidents");
    assert_eq!((none.contract_id, none.data.len()), (None, 0));

    let contract = admin
        .create_contract(&new_contract(customer.id, &[("phone", 1), ("email", 2)]))
        .await
        .expect("contract");
    let after = admin
        .redeem_incidents(first.id, &["phone", "email"])
        .await
        .expect("redeem");
    assert_eq!(after.contract_id, Some(contract.id));
    let phone = after.data.iter().find(|u| u.kind == "phone").expect("phone");
    assert_eq!((phone.total, phone.used, phone.left, phone.redeemed), (1, 1, 0, true));
    assert_eq!(
        admin.ticket(first.id).await.expect("ticket").redeemed,
        ["phone", "email"]
    );

    // The same type again on this ticket: a conflict; the last phone incident is gone for another ticket.
    let again = assert_code(admin.redeem_incidents(first.id, &["email"]).await, ErrorCode::Conflict);
    assert!(
        again.detail.as_deref().is_some_and(|d| d.contains("already")),
        "{again:?}"
    );
    let second = ticket_of(admin, did, customer.id, "Second incident").await;
    let p = assert_code(
        admin.redeem_incidents(second.id, &["email", "phone"]).await,
        ErrorCode::NoIncidentsLeft,
    );
    assert_eq!(p.status, 409);
    let seen = admin.ticket_incidents(second.id).await.expect("incidents");
    let email = seen.data.iter().find(|u| u.kind == "email").expect("email");
    assert_eq!(
        (email.used, email.redeemed),
        (1, false),
        "all or nothing: email untouched"
    );
    assert_code(
        admin.redeem_incidents(second.id, &["fax"]).await,
        ErrorCode::ValidationFailed,
    );
    assert_code(
        admin.redeem_incidents(second.id, &[]).await,
        ErrorCode::ValidationFailed,
    );

    // Unredeeming gives the incident back, once.
    let back = admin.unredeem_incident(first.id, "phone").await.expect("unredeem");
    let phone = back.data.iter().find(|u| u.kind == "phone").expect("phone");
    assert_eq!((phone.used, phone.left, phone.redeemed), (0, 1, false));
    assert_code(admin.unredeem_incident(first.id, "phone").await, ErrorCode::NotFound);
    admin
        .redeem_incidents(second.id, &["phone"])
        .await
        .expect("the returned incident");
    assert_eq!(
        admin.contract(contract.id).await.expect("contract").incidents["phone"].used,
        1
    );

    let events = admin
        .events(&EventQuery {
            entity: Some("ticket".into()),
            limit: Some(100),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    let names: Vec<&str> = events.data.iter().filter_map(|e| e.name.as_deref()).collect();
    assert!(
        names.contains(&"IncidentRedeemed") && names.contains(&"IncidentUnredeemed"),
        "{names:?}"
    );

    // End users neither see nor redeem incidents.
    let person = s.customer().await;
    assert_code(person.client.ticket_incidents(first.id).await, ErrorCode::NotFound);
}

/// Concurrent redeems of the last incidents: exactly as many win as are left, the rest get 409
/// `no_incidents_left`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_redeems_of_the_last_incidents_leave_exact_winners() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let did = department(admin).await;
    let customer = s.customer().await.customer;
    let contract = admin
        .create_contract(&new_contract(customer.id, &[("remote", 3)]))
        .await
        .expect("contract");
    let mut tickets = Vec::new();
    for n in 0..10 {
        tickets.push(ticket_of(admin, did, customer.id, &format!("Race {n}")).await.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for id in tickets {
        let admin = admin.clone();
        tasks.spawn(async move { admin.redeem_incidents(id, &["remote"]).await });
    }
    let (mut won, mut lost) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(_) => won += 1,
            Err(ferrodesk_client::Error::Api(p)) if p.code == ErrorCode::NoIncidentsLeft => lost += 1,
            Err(e) => panic!("unexpected answer: {e:?}"),
        }
    }
    assert_eq!((won, lost), (3, 7));
    let after = admin.contract(contract.id).await.expect("contract");
    assert_eq!(after.incidents["remote"], IncidentCount { total: 3, used: 3 });
}

/// The package feature `support_incidents` tops the customer's contract up each billing period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_packs_sold_through_billing_top_up_each_period() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let feature = admin
        .create_feature(&NewFeature {
            name: "Incidents".into(),
            unique_key: Some("support_incidents".into()),
            ..NewFeature::default()
        })
        .await
        .expect("feature");
    admin
        .create_group(&NewGroup {
            name: "Support".into(),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    let package = admin
        .create_package(&NewPackage {
            name: "Incident pack".into(),
            features: Some(vec![PackageFeature {
                feature_id: feature.id,
                quantity: Some(5),
            }]),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    let plan = admin
        .create_plan(&NewPlan {
            package_id: package.id,
            name: "Five a month".into(),
            currency: "EUR".into(),
            interval: "month".into(),
            pricing: "flat".into(),
            amount: Some(4900),
            ..NewPlan::default()
        })
        .await
        .expect("plan");
    let sub = admin
        .subscribe(
            customer.id,
            &NewSubscription {
                plan_id: plan.id,
                ..NewSubscription::default()
            },
        )
        .await
        .expect("subscribe");
    let contracts = admin.customer_contracts(customer.id).await.expect("contracts").data;
    assert_eq!(contracts.len(), 1, "the first period made a contract");
    assert_eq!(
        contracts[0].incidents["support_incidents"],
        IncidentCount { total: 5, used: 0 }
    );
    let out = ferrodesk(&[
        "billing",
        "run",
        "--now",
        &sub.current_period_end.to_string(),
        "--database-url",
        &s.database_url,
    ])
    .output()
    .expect("billing run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let topped = admin.contract(contracts[0].id).await.expect("contract");
    assert_eq!(topped.incidents["support_incidents"].total, 10);
    assert!(
        topped.end.to_string() > contracts[0].end.to_string(),
        "extended to the new period"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tickets_service_is_a_subscription_of_its_customer() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let did = department(admin).await;
    let person = s.customer().await;
    let customer = person.customer.clone();
    let other = s.customer().await.customer;
    admin
        .create_group(&NewGroup {
            name: "Hosting".into(),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    let package = admin
        .create_package(&NewPackage {
            name: "Hosting".into(),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    let plan = admin
        .create_plan(&NewPlan {
            package_id: package.id,
            name: "Hosting monthly".into(),
            currency: "EUR".into(),
            interval: "month".into(),
            pricing: "flat".into(),
            amount: Some(1200),
            ..NewPlan::default()
        })
        .await
        .expect("plan");
    let on_plan = NewSubscription {
        plan_id: plan.id,
        ..NewSubscription::default()
    };
    let mine = admin.subscribe(customer.id, &on_plan).await.expect("subscribe");
    let theirs = admin.subscribe(other.id, &on_plan).await.expect("subscribe");

    let bad = admin
        .create_ticket(&NewTicket {
            customer_id: Some(customer.id),
            email: Some("svc@example.com".into()),
            service: Some(theirs.id),
            ..new_ticket(did, "Not my service")
        })
        .await;
    assert_eq!(fields(&assert_code(bad, ErrorCode::ValidationFailed)), ["service"]);
    let unknown = admin
        .create_ticket(&NewTicket {
            customer_id: Some(customer.id),
            email: Some("svc@example.com".into()),
            service: Some(theirs.id + 1000),
            ..new_ticket(did, "No such service")
        })
        .await;
    assert_eq!(fields(&assert_code(unknown, ErrorCode::ValidationFailed)), ["service"]);
    // End users too may only name their own customer's subscription.
    let by_end_user = person
        .client
        .create_ticket(&NewTicket {
            service: Some(theirs.id),
            ..new_ticket(did, "Sneaky")
        })
        .await;
    assert_eq!(
        fields(&assert_code(by_end_user, ErrorCode::ValidationFailed)),
        ["service"]
    );

    let ticket = admin
        .create_ticket(&NewTicket {
            customer_id: Some(customer.id),
            email: Some("svc@example.com".into()),
            service: Some(mine.id),
            ..new_ticket(did, "My hosting is down")
        })
        .await
        .expect("ticket");
    assert_eq!(ticket.service, Some(mine.id));
    let p = assert_code(
        admin
            .update_ticket(
                ticket.id,
                &TicketPatch {
                    service: Some(Some(theirs.id)),
                    ..TicketPatch::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["service"]);

    admin
        .create_contract(&new_contract(customer.id, &[("phone", 4)]))
        .await
        .expect("contract");
    admin.redeem_incidents(ticket.id, &["phone"]).await.expect("redeem");
    let shown: serde_json::Value = admin
        .get(&format!("/api/v1/tickets/{}?include=service,replies", ticket.id))
        .await
        .expect("ticket with service");
    let service = &shown["service"];
    assert_eq!(service["id"], mine.id);
    assert_eq!(service["status"], "active");
    assert_eq!(service["plan"]["name"], "Hosting monthly");
    assert_eq!(service["unpaid_invoices"].as_array().map(Vec::len), Some(1));
    assert_eq!(service["amount_due"], 1200);
    assert_eq!(service["incidents_left"], 3);
    assert!(shown["replies"].is_array());
    let plain: serde_json::Value = admin
        .get(&format!("/api/v1/tickets/{}", ticket.id))
        .await
        .expect("ticket");
    assert_eq!(plain["service"], mine.id, "without the include, the id");
}
