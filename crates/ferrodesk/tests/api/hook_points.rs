//! One test per event hook point (SPEC §4, issue 11 item 3): a stored script registers every event hook,
//! each checking the parameter shape WiseCP gives it (throwing otherwise); the test makes each change
//! through the API and reads the script's runs: every point ran, each without an error. (`CallReceived`
//! comes with the telephony screen pop, issue 13.) The view and validation points are tested in hooks.rs.
use crate::billing::{new_subscription, seat_plan};
use crate::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Every event hook point with the check its parameters must pass (a Rhai expression over `p`).
const POINTS: [(&str, &str); 33] = [
    ("TicketClientCreated", "p.id > 0 && p.title != \"\""),
    ("TicketAdminCreated", "p.id > 0 && p.title != \"\""),
    ("TicketClientReplied", "p.request.id > 0 && p.reply.message != \"\""),
    ("TicketAdminReplied", "p.request.id > 0 && p.reply.message != \"\""),
    ("TicketAdminUpdated", "p.id > 0 && type_of(p.changes) == \"map\""),
    ("TicketDeleted", "p.id > 0"),
    (
        "TicketReplyModified",
        "p.request.id > 0 && p.reply.message == \"Edited\"",
    ),
    ("TicketReplyDeleted", "p.request.id > 0 && p.reply.id > 0"),
    ("TicketSolved", "p.status == \"solved\""),
    ("TicketLockChange", "p.changes.locked[\"new\"] == 1"),
    ("TicketDepartmentChange", "p.changes.did[\"new\"] == p.did"),
    ("TicketPriorityChange", "p.changes.priority[\"new\"] == 3"),
    (
        "TicketStatusChange",
        "p.changes.status[\"old\"] != p.changes.status[\"new\"]",
    ),
    ("TicketAssignedChange", "p.changes.assigned[\"new\"] > 0"),
    ("TicketServiceChange", "p.changes.service[\"new\"] > 0"),
    ("CustomerCreated", "p.id > 0 && p.name != \"\""),
    ("CustomerUpdated", "p.name == \"Renamed Ltd\""),
    ("CustomerDeleted", "p.id > 0"),
    ("CustomerRestored", "p.id > 0"),
    ("EndUserCreated", "p.id > 0 && p.customer_id > 0"),
    ("EndUserUpdated", "p.name == \"Renamed Person\""),
    ("EndUserDeleted", "p.id > 0"),
    ("EndUserRestored", "p.id > 0"),
    ("SubscriptionCreated", "p.id > 0 && p.plan_id > 0"),
    ("SubscriptionUpdated", "type_of(p) == \"map\""),
    ("SubscriptionCanceled", "p.status == \"canceled\""),
    ("InvoiceCreated", "p.id > 0 && p.currency != \"\""),
    ("InvoicePaid", "p.status == \"paid\""),
    ("PaymentApplied", "p.amount > 0"),
    ("RefundCreated", "p.amount > 0"),
    ("IncidentRedeemed", "type_of(p) == \"map\""),
    ("IncidentUnredeemed", "type_of(p) == \"map\""),
    ("BillingLinkAssigned", "p.billing_system != \"\""),
];

fn script() -> String {
    POINTS
        .iter()
        .map(|(point, check)| {
            format!(
                "hook(\"{point}\", 1, |p| {{ if !({check}) {{ throw \"unexpected parameters for {point}\"; }} }});\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn every_event_hook_point_fires_with_wisecp_parameters() {
    let s = TestServer::start().await;
    let hook = s
        .admin
        .create_hook(&NewHook {
            name: "every point".into(),
            source: script(),
            enabled: None,
        })
        .await
        .expect("hook");
    let admin = &s.admin;
    let dept = s.department().await;
    let other_dept = s.department().await;
    let person = s.customer().await;
    let agent = admin
        .create_staff(&NewStaff {
            email: format!("{}@example.com", unique("agent").to_lowercase()),
            name: "Agent".into(),
            role: Role::Agent,
            password: "a long enough password".into(),
            department_ids: None,
        })
        .await
        .expect("staff");

    // Tickets and replies.
    let t = person
        .client
        .create_ticket(&new_ticket(dept.id, "Customer's ticket"))
        .await
        .expect("ticket");
    admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            ..new_ticket(dept.id, "Agent's ticket")
        })
        .await
        .expect("staff ticket");
    let message = |m: &str| NewReply {
        message: m.into(),
        ..NewReply::default()
    };
    person
        .client
        .reply(t.id, &message("From the customer"))
        .await
        .expect("reply");
    let staff_reply = admin.reply(t.id, &message("From staff")).await.expect("reply");
    admin
        .update_reply(
            t.id,
            staff_reply.id,
            &ReplyPatch {
                message: "Edited".into(),
            },
        )
        .await
        .expect("edit");
    admin.delete_reply(t.id, staff_reply.id).await.expect("delete reply");
    let patch = |p: TicketPatch| async move { admin.update_ticket(t.id, &p).await.expect("patch") };
    patch(TicketPatch {
        title: Some("Renamed ticket".into()),
        ..TicketPatch::default()
    })
    .await;
    patch(TicketPatch {
        priority: Some(Priority::HIGH),
        ..TicketPatch::default()
    })
    .await;
    patch(TicketPatch {
        did: Some(other_dept.id),
        ..TicketPatch::default()
    })
    .await;
    patch(TicketPatch {
        assigned: Some(Some(agent.id)),
        ..TicketPatch::default()
    })
    .await;
    patch(TicketPatch {
        locked: Some(true),
        ..TicketPatch::default()
    })
    .await;
    patch(TicketPatch {
        status: Some(TicketStatus::Solved),
        ..TicketPatch::default()
    })
    .await;

    // Billing: a subscription (the ticket's service), its items, invoices, payments, refunds.
    let (_, plan) = seat_plan(&s, &unique("Hooks group"), 0, vec![]).await;
    let sub = admin
        .subscribe(person.customer.id, &new_subscription(plan.id))
        .await
        .expect("subscribe");
    patch(TicketPatch {
        service: Some(Some(sub.id)),
        ..TicketPatch::default()
    })
    .await;
    admin
        .add_pending_item(
            sub.id,
            &NewPendingItem {
                description: "Extra".into(),
                quantity: Some(1),
                unit_amount: 100,
                currency: None,
            },
        )
        .await
        .expect("item");
    let invoice = admin
        .invoices(&InvoiceQuery {
            customer_id: Some(person.customer.id),
            ..InvoiceQuery::default()
        })
        .await
        .expect("invoices")
        .data
        .into_iter()
        .next()
        .expect("the first invoice");
    let payment = admin
        .apply_payment(
            invoice.id,
            &NewPayment {
                amount: invoice.amount_due,
                method: Some("bank".into()),
                reference: None,
            },
        )
        .await
        .expect("payment");
    admin
        .refund_payment(payment.id, &NewRefund { amount: 100 })
        .await
        .expect("refund");
    admin.cancel_subscription(sub.id, false).await.expect("cancel");
    admin
        .create_billing_link(
            person.customer.id,
            &NewBillingLink {
                billing_system: "whmcs".into(),
                billing_id: "42".into(),
            },
        )
        .await
        .expect("link");

    // Incidents on a contract.
    let mut incidents = BTreeMap::new();
    incidents.insert("phone".to_owned(), IncidentInput { total: 3, used: None });
    admin
        .create_contract(&NewContract {
            customer_id: person.customer.id,
            start: "2020-01-01".into(),
            end: "2099-12-31".into(),
            incidents: Some(incidents),
            ..NewContract::default()
        })
        .await
        .expect("contract");
    admin.redeem_incidents(t.id, &["phone"]).await.expect("redeem");
    admin.unredeem_incident(t.id, "phone").await.expect("unredeem");

    // People.
    admin
        .update_customer(
            person.customer.id,
            &CustomerPatch {
                name: Some("Renamed Ltd".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("customer");
    admin
        .update_end_user(
            person.end_user.id,
            &EndUserPatch {
                name: Some("Renamed Person".into()),
                ..EndUserPatch::default()
            },
        )
        .await
        .expect("end user");
    admin
        .delete_end_user(person.end_user.id)
        .await
        .expect("delete end user");
    admin
        .restore_end_user(person.end_user.id)
        .await
        .expect("restore end user");
    let spare = s.customer().await;
    admin.delete_customer(spare.customer.id).await.expect("delete customer");
    admin
        .restore_customer(spare.customer.id)
        .await
        .expect("restore customer");
    admin.delete_ticket(t.id).await.expect("delete ticket");

    // Every point ran from the outbox, each without an error.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut runs = Vec::new();
        let mut cursor = None;
        loop {
            let page = admin
                .hook_runs(
                    hook.id,
                    &ListQuery {
                        limit: Some(500),
                        cursor: cursor.clone(),
                        ..ListQuery::default()
                    },
                )
                .await
                .expect("runs");
            runs.extend(page.data);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let failed: Vec<_> = runs.iter().filter(|r| r.status != "ok").collect();
        assert!(failed.is_empty(), "{failed:?}");
        let missing: Vec<&str> = POINTS
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| !runs.iter().any(|r| r.hook == *p))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "never ran: {missing:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.shutdown().await;
}

/// Every view slot renders what its hooks return, for the principal it is for (issue 11 item 3).
#[tokio::test]
async fn every_view_slot_renders_its_hooks() {
    const SLOTS: [&str; 9] = [
        "TicketAdminAreaViewDetail",
        "TicketAdminAreaViewDetailSidebar",
        "TicketAdminAreaViewCreate",
        "TicketAdminAreaViewCreateSidebar",
        "TicketAdminAreaViewList",
        "TicketClientAreaViewDetailTop",
        "TicketClientAreaViewDetail",
        "TicketClientAreaViewCreate",
        "TicketClientAreaViewList",
    ];
    let s = TestServer::start().await;
    let source: String = SLOTS
        .iter()
        .map(|slot| format!("hook(\"{slot}\", 1, |p| `<b>{slot} ${{p.title ?? \"\"}}</b>`);\n"))
        .collect();
    s.admin
        .create_hook(&NewHook {
            name: "every slot".into(),
            source,
            enabled: None,
        })
        .await
        .expect("hook");
    let dept = s.department().await;
    let person = s.customer().await;
    let t = person
        .client
        .create_ticket(&new_ticket(dept.id, "Slot ticket"))
        .await
        .expect("ticket");
    for slot in SLOTS {
        let detail = slot.contains("Detail");
        let path = if detail {
            format!("/api/v1/views/{slot}?ticket_id={}", t.id)
        } else {
            format!("/api/v1/views/{slot}")
        };
        let title = if detail { " Slot ticket" } else { " " };
        let rendered: serde_json::Value = s.admin.get(&path).await.expect(slot);
        assert_eq!(rendered["html"], format!("<b>{slot}{title}</b>"), "{slot}");
        let as_customer = person.client.get::<serde_json::Value>(&path).await;
        if slot.starts_with("TicketClientArea") {
            assert_eq!(
                as_customer.expect(slot)["html"],
                format!("<b>{slot}{title}</b>"),
                "{slot}"
            );
        } else {
            assert_code(as_customer, ErrorCode::NotFound);
        }
    }
    s.shutdown().await;
}
