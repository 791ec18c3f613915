//! The admin dashboard's counts: tickets opened and solved per day, tickets by status (bounded), the first
//! public staff reply of recent tickets, and the paying subscriptions per plan and quantity.
use super::billing::{group, package, plan};
use super::*;
use crate::DayCount;
use domain::billing::{Pricing, Subscription, SubscriptionStatus};

const DAY: i64 = 86_400_000_000;

pub(super) async fn dashboard_counts(s: Arc<dyn Store>) {
    let w0 = world(&s).await;
    let today = to_micros(now()) / DAY;
    let days_ago = |n: i64| from_micros((today - n) * DAY + 3_600_000_000);
    let ticket = |opened: Timestamp, status: TicketStatus| Ticket {
        ctime: opened,
        status,
        ..new_ticket(&w0, "dashboard")
    };
    let tickets = insert_tickets(
        &s,
        vec![
            ticket(days_ago(40), TicketStatus::Solved),
            ticket(days_ago(2), TicketStatus::Waiting),
            ticket(days_ago(2), TicketStatus::Waiting),
            ticket(days_ago(1), TicketStatus::Replied),
            ticket(days_ago(0), TicketStatus::Process),
            ticket(days_ago(0), TicketStatus::Solved),
        ],
    )
    .await;
    let since = days_ago(29);
    let mut r = reader(&s).await;
    let opened = r.tickets_opened_per_day(today - 29..today + 1).await.expect("opened");
    assert_eq!(
        opened,
        vec![(today - 2, 2), (today - 1, 1), (today, 2)],
        "days without tickets are left out, the ticket before the window too"
    );
    assert_eq!(
        r.tickets_opened_per_day(today - 2..today).await.expect("opened"),
        vec![(today - 2, 2), (today - 1, 1)],
        "the range's end is left out"
    );
    assert_eq!(
        r.ticket_count_by_status(TicketStatus::Waiting, 10)
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        r.ticket_count_by_status(TicketStatus::Solved, 10).await.expect("count"),
        2
    );
    assert_eq!(
        r.ticket_count_by_status(TicketStatus::Waiting, 1).await.expect("count"),
        1,
        "counting stops at the bound"
    );
    drop(r);

    // First public staff replies: a customer's reply and an internal note do not count, the earliest
    // staff reply does.
    let reply = |ticket: &Ticket, admin: bool, internal: bool, after_micros: i64| Reply {
        admin,
        internal,
        ctime: at(ticket.ctime, after_micros),
        ..new_reply(ticket.id, "answer", internal)
    };
    insert_replies(
        &s,
        vec![
            reply(&tickets[1], false, false, 1_000_000),
            reply(&tickets[1], true, true, 2_000_000),
            reply(&tickets[1], true, false, 60_000_000),
            reply(&tickets[1], true, false, 90_000_000),
            reply(&tickets[3], true, false, 5_000_000),
            reply(&tickets[0], true, false, 1_000_000),
        ],
    )
    .await;
    let mut r = reader(&s).await;
    let firsts = r.first_responses(since, 10).await.expect("first responses");
    let seconds: Vec<(i64, Option<i64>)> = firsts
        .iter()
        .map(|(o, a)| (to_micros(*o), a.map(|a| (to_micros(a) - to_micros(*o)) / 1_000_000)))
        .collect();
    assert_eq!(
        seconds.len(),
        5,
        "the ticket before the window is left out: {seconds:?}"
    );
    assert!(
        seconds.windows(2).all(|p| p[0].0 >= p[1].0),
        "newest first: {seconds:?}"
    );
    let mut answered: Vec<i64> = seconds.iter().filter_map(|(_, a)| *a).collect();
    answered.sort_unstable();
    assert_eq!(answered, vec![5, 60]);
    assert_eq!(r.first_responses(since, 2).await.expect("limit").len(), 2);
    drop(r);

    // Solving is a ticket update whose status became `solved`; an update of a ticket that stays solved,
    // another change, and a reply are not.
    let mut w = writer(&s).await;
    let change = |entity: EntityType, value: Value, old: Value| NewEvent {
        action: EventAction::Updated,
        value,
        old,
        ..new_event(entity, tickets[1].id, Some(w0.customer.id))
    };
    let solved = json!({"id": tickets[1].id, "status": "solved", "title": "x"});
    let waiting = json!({"id": tickets[1].id, "status": "waiting", "title": "x"});
    for e in [
        change(EntityType::Ticket, solved.clone(), waiting.clone()),
        change(EntityType::Ticket, solved.clone(), solved.clone()),
        change(EntityType::Ticket, waiting.clone(), solved.clone()),
        change(EntityType::Reply, solved.clone(), waiting.clone()),
        NewEvent {
            value: solved.clone(),
            ..new_event(EntityType::Ticket, tickets[2].id, Some(w0.customer.id))
        },
    ] {
        w.insert_event(&e).await.expect("event");
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.tickets_solved_per_day(today - 29..today + 1).await.expect("solved"),
        vec![(today, 1)]
    );
    assert_eq!(
        r.tickets_solved_per_day(today + 1..today + 2).await.expect("solved"),
        vec![]
    );
    assert_eq!(
        r.tickets_solved_per_day(today - 29..today).await.expect("solved"),
        vec![]
    );
    drop(r);

    // Kept figures of days that are over: kept again they are replaced, forgotten they are gone.
    let day = |day: i64, opened: u64, solved: u64| DayCount { day, opened, solved };
    let mut w = writer(&s).await;
    w.keep_day_counts(&[day(today - 3, 4, 1), day(today - 2, 2, 0), day(today - 40, 9, 9)])
        .await
        .expect("keep");
    w.keep_day_counts(&[day(today - 2, 3, 1)]).await.expect("keep again");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.kept_day_counts(today - 29..today + 1).await.expect("kept"),
        vec![day(today - 3, 4, 1), day(today - 2, 3, 1)]
    );
    drop(r);
    let mut w = writer(&s).await;
    w.forget_day_count(today - 3).await.expect("forget");
    w.forget_day_count(today - 100)
        .await
        .expect("forgetting a day never kept");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.kept_day_counts(today - 29..today + 1).await.expect("kept"),
        vec![day(today - 2, 3, 1)]
    );
    drop(r);

    let mut w = writer(&s).await;
    let g = w.insert_group(&group("Support", true)).await.expect("group");
    let pkg = w.insert_package(&package(g.id, "Pack", vec![])).await.expect("package");
    let unit = w
        .insert_plan(&plan(pkg.id, "Per seat", Pricing::Unit { amount: 100 }))
        .await
        .expect("plan");
    let flat = w
        .insert_plan(&plan(pkg.id, "Flat", Pricing::Flat { amount: 900 }))
        .await
        .expect("plan");
    let t = now();
    let mut n = 0;
    for (plan_id, status, quantity) in [
        (unit.id, SubscriptionStatus::Active, 3),
        (unit.id, SubscriptionStatus::Active, 3),
        (unit.id, SubscriptionStatus::PastDue, 5),
        (unit.id, SubscriptionStatus::Trialing, 3),
        (unit.id, SubscriptionStatus::Canceled, 3),
        (flat.id, SubscriptionStatus::Active, 1),
    ] {
        n += 1;
        let customer = w
            .insert_customer(&new_customer(&format!("Payer {n}"), None), &[])
            .await
            .expect("customer");
        w.insert_subscription(&Subscription {
            id: 0,
            customer_id: customer.id,
            plan_id,
            group_id: g.id,
            status,
            quantity,
            manual: true,
            currency: unit.currency,
            anchor: t,
            current_period_start: t,
            current_period_end: at(t, DAY),
            trial_end: None,
            cancel_at_period_end: false,
            canceled_at: None,
            balance: 0,
            created_at: t,
            updated_at: t,
        })
        .await
        .expect("subscription");
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.paying_subscription_counts(100).await.expect("paying"),
        vec![(unit.id, 3, 2), (unit.id, 5, 1), (flat.id, 1, 1)],
        "active and past due subscriptions pay; trialing and canceled ones do not"
    );
    assert_eq!(r.paying_subscription_counts(1).await.expect("paying").len(), 1);
}
