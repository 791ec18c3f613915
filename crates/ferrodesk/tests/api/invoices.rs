//! Invoices, payments and refunds (SPEC §5.3), billing-system links (§5.5) and support levels (§5.4)
//! through the native API: gapless numbers under concurrency, payments that credit the balance, refunds
//! that stay below what was paid, and the SPEC's own money bodies.
use crate::billing::{new_subscription, seat_plan};
use crate::*;
use ferrodesk_client::api_types::{
    BillingSystem, InvoiceQuery, InvoiceStatus, NewBillingLink, NewInvoice, NewInvoiceItem, NewPayment, NewRefund,
};

fn invoice_for(customer_id: i64, currency: &str, items: &[(&str, u64, i64)]) -> NewInvoice {
    NewInvoice {
        customer_id,
        currency: currency.into(),
        items: items
            .iter()
            .map(|(d, q, a)| NewInvoiceItem {
                description: (*d).into(),
                quantity: Some(*q),
                unit_amount: *a,
            })
            .collect(),
        ..NewInvoice::default()
    }
}

/// `2027-000042` → 42 (and the year).
fn sequence(number: &Option<String>) -> (String, i64) {
    let number = number.as_deref().expect("a number");
    let (year, n) = number.split_once('-').expect("year-sequence");
    (year.to_owned(), n.parse().expect("sequence"))
}

#[tokio::test]
async fn invoices_are_numbered_without_gaps_and_voided_with_their_number() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let first = admin
        .create_invoice(&invoice_for(
            customer.id,
            "eur",
            &[("Seats", 3, 1500), ("Setup", 1, 2500)],
        ))
        .await
        .expect("invoice");
    assert_eq!(first.status, InvoiceStatus::Open);
    assert_eq!(
        (first.subtotal, first.total, first.amount_due, first.amount_paid),
        (7000, 7000, 7000, 0)
    );
    assert_eq!(first.items[0].amount, 4500);
    let (year, n) = sequence(&first.number);
    assert_eq!(n, 1, "the first invoice of the year");
    assert_eq!(year, first.issued_at.expect("issued").to_string()[..4]);
    assert!(first.due_at.expect("due") > first.issued_at.expect("issued"));

    // A draft has no number until it is settled; numbers follow the order of issue.
    let draft = admin
        .create_invoice(&NewInvoice {
            draft: Some(true),
            ..invoice_for(customer.id, "EUR", &[("Consulting", 2, 9000)])
        })
        .await
        .expect("draft");
    assert_eq!((draft.status, draft.number.as_deref()), (InvoiceStatus::Draft, None));
    let second = admin
        .create_invoice(&invoice_for(customer.id, "EUR", &[("Seats", 1, 1500)]))
        .await
        .expect("invoice");
    assert_eq!(sequence(&second.number).1, 2);
    let settled = admin.settle_invoice(draft.id).await.expect("settle");
    assert_eq!((settled.status, sequence(&settled.number).1), (InvoiceStatus::Open, 3));
    assert_code(admin.settle_invoice(draft.id).await, ErrorCode::Conflict);

    // Voiding keeps the number: no gap.
    let voided = admin.void_invoice(second.id).await.expect("void");
    assert_eq!((voided.status, voided.amount_due), (InvoiceStatus::Void, 0));
    assert_eq!(voided.number, second.number);
    assert_code(admin.void_invoice(second.id).await, ErrorCode::Conflict);
    let third = admin
        .create_invoice(&invoice_for(customer.id, "EUR", &[("Seats", 1, 1500)]))
        .await
        .expect("invoice");
    assert_eq!(sequence(&third.number).1, 4);

    let listed = admin
        .invoices(&InvoiceQuery {
            customer_id: Some(customer.id),
            ..InvoiceQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.data.len(), 4);
    let events: serde_json::Value = admin.get("/api/v1/events?type=invoice").await.expect("events");
    assert_eq!(
        events["data"].as_array().map(Vec::len),
        Some(6),
        "4 created, 1 settled, 1 voided: {events}"
    );
}

#[tokio::test]
async fn invoices_refuse_bad_money() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let cases: Vec<(NewInvoice, &str)> = vec![
        (invoice_for(customer.id, "EURO", &[("Seats", 1, 100)]), "currency"),
        (
            invoice_for(customer.id, "EUR", &[("Seats", 1, -100)]),
            "items[0].unit_amount",
        ),
        (
            invoice_for(customer.id, "EUR", &[("Seats", 2, 1_000_000_000_000_000)]),
            "items[0].unit_amount",
        ),
        (invoice_for(customer.id, "EUR", &[("", 1, 100)]), "items[0].description"),
        (invoice_for(customer.id, "EUR", &[]), "items"),
        (
            invoice_for(customer.id, "EUR", &[("A", 1, 1_000_000_000_000_000), ("B", 1, 1)]),
            "items",
        ),
        (
            invoice_for(customer.id + 1000, "EUR", &[("Seats", 1, 100)]),
            "customer_id",
        ),
        (
            NewInvoice {
                due_at: Some("next tuesday".into()),
                ..invoice_for(customer.id, "EUR", &[("Seats", 1, 100)])
            },
            "due_at",
        ),
    ];
    for (invoice, field) in cases {
        let p = assert_code(admin.create_invoice(&invoice).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), [field], "{invoice:?}: {p:?}");
    }
    // A subscription's invoice is in the subscription's currency: mixing is a conflict, never converted.
    let (_, plan) = seat_plan(&s, "Support", 0, vec![]).await;
    let sub = admin
        .subscribe(customer.id, &new_subscription(plan.id))
        .await
        .expect("subscribe");
    let mixed = admin
        .create_invoice(&NewInvoice {
            subscription_id: Some(sub.id),
            ..invoice_for(customer.id, "USD", &[("Seats", 1, 100)])
        })
        .await;
    assert_code(mixed, ErrorCode::Conflict);
    let stored = admin.invoices(&InvoiceQuery::default()).await.expect("list").data;
    assert_eq!(
        stored.iter().map(|i| i.subscription_id).collect::<Vec<_>>(),
        [Some(sub.id)],
        "nothing stored but the subscription's first invoice"
    );
}

#[tokio::test]
async fn concurrent_invoices_take_every_number_once() {
    let s = TestServer::start().await;
    let customer = s.customer().await.customer;
    let issued = (0..20).map(|n| {
        let admin = s.admin.clone();
        tokio::spawn(async move {
            admin
                .create_invoice(&invoice_for(customer.id, "EUR", &[("Seats", 1, 100 + n)]))
                .await
                .expect("invoice")
        })
    });
    let mut numbers = Vec::new();
    for task in issued {
        numbers.push(sequence(&task.await.expect("task").number).1);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>(), "no gap, no duplicate");
}

fn pay(amount: i64) -> NewPayment {
    NewPayment {
        amount,
        method: Some("bank".into()),
        reference: Some("ref-1".into()),
    }
}

#[tokio::test]
async fn payments_settle_invoices_credit_the_balance_and_refunds_stay_below_them() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let (_, plan) = seat_plan(&s, "Support", 0, vec![]).await;
    let sub = admin
        .subscribe(customer.id, &new_subscription(plan.id))
        .await
        .expect("subscribe");
    let invoice = admin
        .create_invoice(&NewInvoice {
            subscription_id: Some(sub.id),
            ..invoice_for(customer.id, "EUR", &[("Seats", 2, 500)])
        })
        .await
        .expect("invoice");

    let part = admin.apply_payment(invoice.id, &pay(400)).await.expect("part payment");
    assert_eq!((part.applied, part.credited), (400, 0));
    let after = admin.invoice(invoice.id).await.expect("invoice");
    assert_eq!(
        (after.status, after.amount_paid, after.amount_due),
        (InvoiceStatus::Open, 400, 600)
    );
    assert_eq!(after.amount_paid + after.amount_due, after.total);

    // Paying more than is due marks the invoice paid and credits the subscription's balance.
    let over = admin.apply_payment(invoice.id, &pay(700)).await.expect("overpayment");
    assert_eq!((over.applied, over.credited), (600, 100));
    let paid = admin.invoice(invoice.id).await.expect("invoice");
    assert_eq!(
        (paid.status, paid.amount_paid, paid.amount_due),
        (InvoiceStatus::Paid, 1000, 0)
    );
    assert!(paid.paid_at.is_some());
    assert_eq!(admin.subscription(sub.id).await.expect("subscription").balance, 100);
    assert_code(admin.apply_payment(invoice.id, &pay(1)).await, ErrorCode::Conflict);
    assert_eq!(admin.payments(invoice.id).await.expect("payments").len(), 2);

    // Refunds: partial ones allowed, never more than the payment.
    let r1 = admin
        .refund_payment(over.id, &NewRefund { amount: 300 })
        .await
        .expect("refund");
    assert_eq!(r1.amount, 300);
    assert_code(
        admin.refund_payment(over.id, &NewRefund { amount: 401 }).await,
        ErrorCode::Conflict,
    );
    admin
        .refund_payment(over.id, &NewRefund { amount: 400 })
        .await
        .expect("the rest");
    assert_code(
        admin.refund_payment(over.id, &NewRefund { amount: 1 }).await,
        ErrorCode::Conflict,
    );
    let p = assert_code(
        admin.refund_payment(part.id, &NewRefund { amount: 0 }).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["amount"]);
    assert_eq!(admin.refunds(invoice.id).await.expect("refunds").len(), 2);

    // Payments that break a rule (409) or are malformed (422); nothing is written by them.
    let void = admin
        .create_invoice(&invoice_for(customer.id, "EUR", &[("X", 1, 100)]))
        .await
        .expect("invoice");
    admin.void_invoice(void.id).await.expect("void");
    assert_code(admin.apply_payment(void.id, &pay(100)).await, ErrorCode::Conflict);
    let draft = admin
        .create_invoice(&NewInvoice {
            draft: Some(true),
            ..invoice_for(customer.id, "EUR", &[("X", 1, 100)])
        })
        .await
        .expect("draft");
    assert_code(admin.apply_payment(draft.id, &pay(100)).await, ErrorCode::Conflict);
    let plain = admin
        .create_invoice(&invoice_for(customer.id, "EUR", &[("X", 1, 100)]))
        .await
        .expect("invoice");
    let p = assert_code(admin.apply_payment(plain.id, &pay(150)).await, ErrorCode::Conflict);
    assert!(p.detail.unwrap_or_default().contains("no subscription"));
    for bad in [-5, 0, 1_000_000_000_000_001] {
        let p = assert_code(
            admin.apply_payment(plain.id, &pay(bad)).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["amount"]);
    }
    assert!(admin.payments(plain.id).await.expect("payments").is_empty());
    let events: serde_json::Value = admin.get("/api/v1/events?type=payment").await.expect("events");
    assert_eq!(events["data"].as_array().map(Vec::len), Some(2), "{events}");
    assert_eq!(events["data"][0]["name"], "PaymentApplied", "{events}");
}

#[tokio::test]
async fn concurrent_payments_and_refunds_add_up() {
    let s = TestServer::start().await;
    let customer = s.customer().await.customer;
    let (_, plan) = seat_plan(&s, "Support", 0, vec![]).await;
    let sub = s
        .admin
        .subscribe(customer.id, &new_subscription(plan.id))
        .await
        .expect("subscribe");
    let invoice = s
        .admin
        .create_invoice(&NewInvoice {
            subscription_id: Some(sub.id),
            ..invoice_for(customer.id, "EUR", &[("Seats", 1, 1000)])
        })
        .await
        .expect("invoice");
    // 12 payments of 100 on 1,000 due: 10 pay it, and whatever comes after is refused as "already paid"
    // or credited; in all, nothing is lost and nothing counted twice.
    let payments = (0..12).map(|_| {
        let admin = s.admin.clone();
        tokio::spawn(async move { admin.apply_payment(invoice.id, &pay(100)).await })
    });
    let mut applied = 0;
    let mut credited = 0;
    for payment in payments {
        match payment.await.expect("task") {
            Ok(p) => {
                applied += p.applied;
                credited += p.credited;
            }
            Err(e) => {
                assert_code::<()>(Err(e), ErrorCode::Conflict);
            }
        }
    }
    assert_eq!(applied, 1000);
    let paid = s.admin.invoice(invoice.id).await.expect("invoice");
    assert_eq!((paid.status, paid.amount_paid), (InvoiceStatus::Paid, 1000));
    assert_eq!(
        s.admin.subscription(sub.id).await.expect("subscription").balance,
        credited
    );

    // 5 refunds of 30 on one payment of 100: exactly 3 fit.
    let payment = s.admin.payments(invoice.id).await.expect("payments")[0].clone();
    let refunds = (0..5).map(|_| {
        let admin = s.admin.clone();
        tokio::spawn(async move { admin.refund_payment(payment.id, &NewRefund { amount: 30 }).await })
    });
    let mut ok = 0;
    for refund in refunds {
        if refund.await.expect("task").is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 3, "refunds never exceed the payment");
}

#[tokio::test]
async fn billing_links_name_a_known_system_and_link_an_account_once() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let acme = s.customer().await.customer;
    let other = s.customer().await.customer;
    let link = |system: &str, id: &str| NewBillingLink {
        billing_system: system.into(),
        billing_id: id.into(),
    };
    let whmcs = admin
        .create_billing_link(acme.id, &link("whmcs", "1042"))
        .await
        .expect("link");
    assert_eq!(whmcs.billing_system, BillingSystem::Whmcs);
    let raw: serde_json::Value = admin
        .get(&format!("/api/v1/billing-links/{}", whmcs.id))
        .await
        .expect("raw");
    assert_eq!(
        raw["billing_system"], "WHMCS",
        "the canonical spelling on output: {raw}"
    );
    admin
        .create_billing_link(acme.id, &link("FOSSBILLING", "1042"))
        .await
        .expect("same id, another system");
    // One account links one customer: 409, also for another customer.
    assert_code(
        admin.create_billing_link(other.id, &link("WHMCS", "1042")).await,
        ErrorCode::Conflict,
    );
    let p = assert_code(
        admin.create_billing_link(acme.id, &link("Stripe", "1")).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["billing_system"]);
    assert!(p.errors[0].message.contains("ClientExec"), "{p:?}");
    let p = assert_code(
        admin.create_billing_link(acme.id, &link("Blesta", " ")).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["billing_id"]);
    assert_code(
        admin.create_billing_link(acme.id + 1000, &link("Blesta", "9")).await,
        ErrorCode::NotFound,
    );
    assert_eq!(admin.billing_links(acme.id).await.expect("links").len(), 2);
    admin.delete_billing_link(whmcs.id).await.expect("delete");
    admin
        .create_billing_link(other.id, &link("WHMCS", "1042"))
        .await
        .expect("free again");
    let events: serde_json::Value = admin.get("/api/v1/events?type=billing_link").await.expect("events");
    let names: Vec<&str> = events["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, ["BillingLinkAssigned"; 3], "{events}");
}

#[tokio::test]
async fn support_levels_promise_a_first_response() {
    use ferrodesk_client::api_types::{NewSupportLevel, SupportLevelPatch};
    let s = TestServer::start().await;
    let admin = &s.admin;
    let gold = admin
        .create_support_level(&NewSupportLevel {
            name: "Gold".into(),
            description: Some("Business hours, four hours".into()),
            max_first_response_minutes: Some(240),
        })
        .await
        .expect("level");
    assert_eq!(gold.max_first_response_minutes, Some(240));
    let basic = admin
        .create_support_level(&NewSupportLevel {
            name: "Basic".into(),
            ..NewSupportLevel::default()
        })
        .await
        .expect("level");
    assert_eq!(basic.max_first_response_minutes, None);
    let faster = admin
        .update_support_level(
            gold.id,
            &SupportLevelPatch {
                max_first_response_minutes: Some(Some(60)),
                ..SupportLevelPatch::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(faster.max_first_response_minutes, Some(60));
    let none = admin
        .update_support_level(
            gold.id,
            &SupportLevelPatch {
                max_first_response_minutes: Some(None),
                ..SupportLevelPatch::default()
            },
        )
        .await
        .expect("no promise");
    assert_eq!(none.max_first_response_minutes, None);
    for bad in [0, 525_601] {
        let p = assert_code(
            admin
                .create_support_level(&NewSupportLevel {
                    name: "X".into(),
                    max_first_response_minutes: Some(bad),
                    ..NewSupportLevel::default()
                })
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["max_first_response_minutes"]);
    }
    let listed = admin.support_levels(&ListQuery::default()).await.expect("list");
    assert_eq!(
        listed.data.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![gold.id, basic.id]
    );
    let agent = s.agent().await;
    assert_eq!(agent.support_level(basic.id).await.expect("agents read").name, "Basic");
    assert_code(
        agent
            .create_support_level(&NewSupportLevel {
                name: "Y".into(),
                ..NewSupportLevel::default()
            })
            .await,
        ErrorCode::NotFound,
    );
}

/// SPEC §5.2, read literally: "malformed amounts (negative, not an integer, above 10^15 minor units) are 422
/// `validation_failed`"; "payment on a void invoice … refund above what was paid … are 409 `conflict`". The
/// bodies are sent as raw JSON, exactly as a client would write them.
#[tokio::test]
async fn money_bodies_as_the_spec_shows_them() {
    use serde_json::{Value, json};
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let (_, plan) = seat_plan(&s, "Support", 0, vec![]).await;
    let sub = admin
        .subscribe(customer.id, &new_subscription(plan.id))
        .await
        .expect("subscribe");
    let invoice = admin
        .create_invoice(&NewInvoice {
            subscription_id: Some(sub.id),
            ..invoice_for(customer.id, "EUR", &[("Seats", 1, 1000)])
        })
        .await
        .expect("invoice");
    let payments = format!("/api/v1/invoices/{}/payments", invoice.id);
    for amount in [json!(-1), json!(12.5), json!("350"), json!(1_000_000_000_000_001_i64)] {
        let p = assert_code(
            admin
                .post::<Value, _>(
                    &payments,
                    &json!({"amount": amount, "method": "bank", "reference": "r"}),
                )
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["amount"], "amount {amount}: {p:?}");
    }
    let paid: Value = admin
        .post(
            &payments,
            &json!({"amount": 1200, "method": "bank", "reference": "SEPA-1"}),
        )
        .await
        .expect("payment");
    assert_eq!(
        (paid["applied"].as_i64(), paid["credited"].as_i64()),
        (Some(1000), Some(200)),
        "{paid}"
    );
    let refund = format!("/api/v1/payments/{}/refunds", paid["id"]);
    assert_code(
        admin.post::<Value, _>(&refund, &json!({"amount": 1201})).await,
        ErrorCode::Conflict,
    );
    let refunded: Value = admin.post(&refund, &json!({"amount": 1200})).await.expect("refund");
    assert_eq!(refunded["amount"], 1200, "{refunded}");
    let void: Value = admin
        .post(
            "/api/v1/invoices",
            &json!({"customer_id": customer.id, "currency": "EUR",
            "items": [{"description": "Setup", "quantity": 1, "unit_amount": 500}]}),
        )
        .await
        .expect("invoice");
    admin
        .void_invoice(void["id"].as_i64().expect("id"))
        .await
        .expect("void");
    let on_void = format!("/api/v1/invoices/{}/payments", void["id"]);
    assert_code(
        admin.post::<Value, _>(&on_void, &json!({"amount": 500})).await,
        ErrorCode::Conflict,
    );
    let cancel: Value = admin
        .delete(&format!("/api/v1/subscriptions/{}?at=period_end", sub.id))
        .await
        .expect("cancel at period end");
    assert_eq!(
        (cancel["status"].as_str(), cancel["cancel_at_period_end"].as_bool()),
        (Some("active"), Some(true))
    );
}
