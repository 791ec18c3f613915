//! Support contracts and renewals' storage: incident counts that only change within their bounds, the
//! contract per-incident support draws from, one redeem of a type per ticket; the due and overdue
//! subscriptions a billing run locks, one invoice per subscription period, pending items.
use super::*;
use domain::billing::{
    Contract, ContractStatus, Currency, Cycle, IncidentCount, Interval, Invoice, InvoiceItem, InvoiceStatus, Package,
    PendingItem, Plan, PlanUnit, Pricing, Subscription, SubscriptionStatus, TicketIncident,
};
use jiff::civil::Date;
use std::collections::BTreeMap;

fn day(s: &str) -> Date {
    s.parse().expect("date")
}

fn contract(customer_id: i64, status: ContractStatus, start: &str, end: &str, counts: &[(&str, i64)]) -> Contract {
    let now = now();
    Contract {
        id: 0,
        customer_id,
        status,
        start: day(start),
        end: day(end),
        support_level_id: None,
        incidents: counts
            .iter()
            .map(|(kind, total)| ((*kind).to_owned(), IncidentCount { total: *total, used: 0 }))
            .collect(),
        created_at: now,
        updated_at: now,
    }
}

pub(super) async fn contract_incidents_stay_within_total(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let ticket = insert_tickets(&s, vec![new_ticket(&world, "Printer on fire")])
        .await
        .remove(0);
    let customer = world.customer.id;
    let mut w = writer(&s).await;
    let ended = w
        .insert_contract(&contract(
            customer,
            ContractStatus::Active,
            "2020-01-01",
            "2020-12-31",
            &[("phone", 9)],
        ))
        .await
        .expect("contract");
    let cancelled = w
        .insert_contract(&contract(
            customer,
            ContractStatus::Cancelled,
            "2027-01-01",
            "2027-12-31",
            &[("phone", 9)],
        ))
        .await
        .expect("contract");
    let plain = w
        .insert_contract(&contract(
            customer,
            ContractStatus::Active,
            "2027-01-01",
            "2027-12-31",
            &[],
        ))
        .await
        .expect("contract without incidents");
    let current = w
        .insert_contract(&contract(
            customer,
            ContractStatus::Active,
            "2027-01-01",
            "2027-12-31",
            &[("phone", 2), ("email", 1)],
        ))
        .await
        .expect("contract");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.contract(current.id).await.expect("read"), Some(current.clone()));
    let listed = r
        .contract_list(Some(customer), &PageRequest::first(10))
        .await
        .expect("list");
    assert_eq!(ids(&listed), vec![ended.id, cancelled.id, plain.id, current.id]);
    let found = r.incident_contract(customer, day("2027-06-01")).await.expect("find");
    assert_eq!(
        found.map(|c| c.id),
        Some(current.id),
        "active, covering the day, with incidents"
    );
    assert_eq!(
        r.incident_contract(customer, day("2028-01-01")).await.expect("find"),
        None
    );
    drop(r);

    let mut w = writer(&s).await;
    assert!(w.use_incident(current.id, "phone").await.expect("use"));
    assert!(w.use_incident(current.id, "phone").await.expect("use"));
    assert!(!w.use_incident(current.id, "phone").await.expect("use"), "none left");
    assert!(!w.use_incident(current.id, "fax").await.expect("use"), "no such type");
    w.return_incident(current.id, "phone").await.expect("return");
    w.add_incidents(current.id, "email", 4).await.expect("top up");
    w.add_incidents(current.id, "onsite", 1).await.expect("new type");
    let redeemed = w
        .insert_ticket_incident(&TicketIncident {
            id: 0,
            ticket_id: ticket.id,
            contract_id: current.id,
            kind: "phone".into(),
            created_at: now(),
        })
        .await
        .expect("redeem");
    let again = w
        .insert_ticket_incident(&TicketIncident {
            id: 0,
            ..redeemed.clone()
        })
        .await;
    assert_conflict(again, UniqueKey::TicketIncident, "a type twice on one ticket");
    drop(w);

    let mut w = writer(&s).await;
    assert!(w.use_incident(current.id, "phone").await.expect("use"));
    w.add_incidents(current.id, "email", 4).await.expect("top up");
    w.insert_ticket_incident(&redeemed).await.expect("redeem");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let counts = r.contract(current.id).await.expect("read").expect("contract").incidents;
    assert_eq!(
        counts,
        BTreeMap::from([
            ("email".to_owned(), IncidentCount { total: 5, used: 0 }),
            ("phone".to_owned(), IncidentCount { total: 2, used: 1 }),
        ]),
        "the rolled-back transaction left nothing"
    );
    let on_ticket = r.ticket_incidents(ticket.id).await.expect("incidents");
    assert_eq!(on_ticket.iter().map(|i| i.kind.as_str()).collect::<Vec<_>>(), ["phone"]);
    drop(r);

    let mut w = writer(&s).await;
    w.delete_ticket_incident(on_ticket[0].id).await.expect("unredeem");
    let mut changed = current.clone();
    changed.status = ContractStatus::Expired;
    changed.end = day("2027-06-30");
    changed.incidents = BTreeMap::from([("phone".to_owned(), IncidentCount { total: 3, used: 1 })]);
    w.update_contract(&changed).await.expect("update");
    w.set_incident_counts(&changed).await.expect("counts");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.contract(current.id).await.expect("read"), Some(changed));
    assert!(r.ticket_incidents(ticket.id).await.expect("incidents").is_empty());
}

fn subscription(
    customer_id: i64,
    plan: &Plan,
    group_id: i64,
    end: Timestamp,
    status: SubscriptionStatus,
) -> Subscription {
    let at = now();
    Subscription {
        id: 0,
        customer_id,
        plan_id: plan.id,
        group_id,
        status,
        quantity: 1,
        manual: false,
        currency: plan.currency,
        anchor: at,
        current_period_start: at,
        current_period_end: end,
        trial_end: None,
        cancel_at_period_end: false,
        canceled_at: None,
        balance: 0,
        created_at: at,
        updated_at: at,
    }
}

fn invoice(s: &Subscription, status: InvoiceStatus, period_start: Option<Timestamp>, due_at: Timestamp) -> Invoice {
    let at = now();
    Invoice {
        id: 0,
        customer_id: s.customer_id,
        subscription_id: Some(s.id),
        number: None,
        currency: s.currency,
        status,
        items: vec![InvoiceItem::new("Pro".into(), 1, 1000).expect("item")],
        subtotal: 1000,
        total: 1000,
        amount_paid: 0,
        amount_due: 1000,
        credit_applied: 0,
        period_start,
        period_end: None,
        issued_at: Some(at),
        due_at: Some(due_at),
        paid_at: None,
        created_at: at,
        updated_at: at,
    }
}

pub(super) async fn renewal_queries_and_one_invoice_per_period(s: Arc<dyn Store>) {
    let t0 = now();
    let mut w = writer(&s).await;
    let mut customers = Vec::new();
    for n in 0..4 {
        customers.push(
            w.insert_customer(&new_customer(&format!("C{n}"), None), &[])
                .await
                .expect("customer")
                .id,
        );
    }
    let g = w
        .insert_group(&domain::billing::Group {
            id: 0,
            name: "G".into(),
            default: true,
            default_package_id: None,
            created_at: t0,
            updated_at: t0,
        })
        .await
        .expect("group");
    let pkg = w
        .insert_package(&Package {
            id: 0,
            group_id: g.id,
            name: "P".into(),
            description: String::new(),
            default: false,
            features: vec![],
            created_at: t0,
            updated_at: t0,
            deleted_at: None,
        })
        .await
        .expect("package");
    let p = w
        .insert_plan(&Plan {
            id: 0,
            package_id: pkg.id,
            name: "Monthly".into(),
            description: String::new(),
            currency: Currency::parse("EUR").expect("EUR"),
            cycle: Cycle::new(Interval::Month, 1).expect("cycle"),
            trial_days: 0,
            initial_fee: 0,
            pricing: Pricing::Flat { amount: 1000 },
            unit: PlanUnit::Quantity,
            created_at: t0,
            updated_at: t0,
            deleted_at: None,
        })
        .await
        .expect("plan");
    let late = w
        .insert_subscription(&subscription(
            customers[0],
            &p,
            g.id,
            at(t0, -2_000),
            SubscriptionStatus::Active,
        ))
        .await
        .expect("due");
    let later = w
        .insert_subscription(&subscription(
            customers[1],
            &p,
            g.id,
            at(t0, -1_000),
            SubscriptionStatus::PastDue,
        ))
        .await
        .expect("due");
    let running = w
        .insert_subscription(&subscription(
            customers[2],
            &p,
            g.id,
            at(t0, 1_000_000),
            SubscriptionStatus::Active,
        ))
        .await
        .expect("not due");
    w.insert_subscription(&subscription(
        customers[3],
        &p,
        g.id,
        at(t0, -5_000),
        SubscriptionStatus::Canceled,
    ))
    .await
    .expect("canceled");
    w.insert_invoice(&invoice(
        &running,
        InvoiceStatus::Open,
        Some(running.current_period_start),
        at(t0, -1),
    ))
    .await
    .expect("overdue invoice");
    w.insert_invoice(&invoice(&late, InvoiceStatus::Paid, None, at(t0, -1)))
        .await
        .expect("paid invoice");
    w.commit().await.expect("commit");

    let mut w = writer(&s).await;
    let clash = w
        .insert_invoice(&invoice(
            &running,
            InvoiceStatus::Draft,
            Some(running.current_period_start),
            at(t0, 10),
        ))
        .await;
    assert_conflict(clash, UniqueKey::InvoicePeriod, "a second invoice for one period");
    drop(w);

    let mut w = writer(&s).await;
    w.insert_pending_item(&PendingItem {
        id: 0,
        subscription_id: late.id,
        item: InvoiceItem::new("Extra".into(), 2, 150).expect("item"),
        created_at: t0,
    })
    .await
    .expect("pending");
    w.insert_end_user(&new_end_user(customers[0], "A", None), None, &[])
        .await
        .expect("end user");
    w.commit().await.expect("commit");

    let mut w = writer(&s).await;
    let due = w.due_subscriptions(t0, 10).await.expect("due");
    assert_eq!(ids(&due), vec![late.id, later.id], "live and ended, earliest first");
    assert_eq!(ids(&w.due_subscriptions(t0, 1).await.expect("due")), vec![late.id]);
    let behind = w.overdue_subscriptions(t0, 10).await.expect("overdue");
    assert_eq!(ids(&behind), vec![running.id], "active with an open invoice past due");
    assert!(w.has_overdue_invoice(running.id, t0).await.expect("overdue"));
    assert!(!w.has_overdue_invoice(late.id, t0).await.expect("paid"));
    assert!(
        !w.has_overdue_invoice(running.id, at(t0, -10))
            .await
            .expect("not due yet")
    );
    assert_eq!(
        w.open_invoice_currencies(customers[2]).await.expect("currencies"),
        vec![p.currency]
    );
    assert!(
        w.open_invoice_currencies(customers[0])
            .await
            .expect("currencies")
            .is_empty()
    );
    assert_eq!(w.end_user_count(customers[0]).await.expect("count"), 1);
    assert_eq!(ids(&w.open_invoices_of(running.id).await.expect("open")).len(), 1);
    let pending = w.pending_items(late.id).await.expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].item.quantity, pending[0].item.amount), (2, 300));
    w.delete_pending_items(late.id).await.expect("take");
    assert!(w.pending_items(late.id).await.expect("pending").is_empty());
    w.commit().await.expect("commit");
}
