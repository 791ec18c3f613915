//! Renewals (SPEC §5.2, issue 10 item 3): the first invoice at subscribe, one renewal invoice per period
//! from `ferrodesk billing run --now` across months and years, the balance and pending items the next
//! invoice takes, past due and back, ends at the period's end; exactly once after a crash mid-run and
//! with several processes on one PostgreSQL.
use crate::process::{ferrodesk, spawn_server};
use crate::*;
use jiff::{Timestamp, ToSpan};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

struct Catalogue {
    plan: Plan,
}

/// A plan of `pricing` in EUR (monthly unless it names an interval) in a group of its own; `features` on
/// its package.
async fn plan(admin: &Client, pricing: NewPlan, features: Vec<PackageFeature>) -> Catalogue {
    let group = admin
        .create_group(&NewGroup {
            name: unique("Group"),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    let package = admin
        .create_package(&NewPackage {
            name: unique("Package"),
            group_id: Some(group.id),
            features: Some(features),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    let plan = admin
        .create_plan(&NewPlan {
            package_id: package.id,
            name: "Pro".into(),
            currency: "EUR".into(),
            interval: if pricing.interval.is_empty() {
                "month".into()
            } else {
                pricing.interval.clone()
            },
            ..pricing
        })
        .await
        .expect("plan");
    Catalogue { plan }
}

fn flat(amount: i64) -> NewPlan {
    NewPlan {
        pricing: "flat".into(),
        amount: Some(amount),
        ..NewPlan::default()
    }
}

fn subscription_of(plan_id: i64) -> NewSubscription {
    NewSubscription {
        plan_id,
        ..NewSubscription::default()
    }
}

/// Runs `ferrodesk billing run --now <at>` on `database_url` and answers what it printed.
fn billing_run(database_url: &str, at: Timestamp) -> String {
    let out = ferrodesk(&[
        "billing",
        "run",
        "--now",
        &at.to_string(),
        "--database-url",
        database_url,
    ])
    .output()
    .expect("run ferrodesk billing run");
    assert!(
        out.status.success(),
        "billing run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn invoices_of(admin: &Client, customer_id: i64) -> Vec<Invoice> {
    admin
        .invoices(&InvoiceQuery {
            customer_id: Some(customer_id),
            limit: Some(200),
            ..InvoiceQuery::default()
        })
        .await
        .expect("invoices")
        .data
}

fn plus_days(t: Timestamp, days: i64) -> Timestamp {
    t.checked_add((days * 24).hours()).expect("timestamp")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_period_is_invoiced_once_across_months_and_years() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let c = plan(
        admin,
        NewPlan {
            initial_fee: Some(500),
            ..flat(1000)
        },
        vec![],
    )
    .await;
    let sub = admin
        .subscribe(customer.id, &subscription_of(c.plan.id))
        .await
        .expect("subscribe");

    // Subscribing issues the first period's invoice with the initial fee.
    let first = invoices_of(admin, customer.id).await;
    assert_eq!(first.len(), 1);
    let first = &first[0];
    assert_eq!(
        (first.total, first.status, first.subscription_id),
        (1500, InvoiceStatus::Open, Some(sub.id))
    );
    assert_eq!(first.items.len(), 2, "{:?}", first.items);
    assert_eq!(
        (first.period_start, first.period_end),
        (Some(sub.current_period_start), Some(sub.current_period_end))
    );

    // Overpaying puts 300 on the balance; an item added now waits for the next invoice.
    let payment = admin
        .apply_payment(
            first.id,
            &NewPayment {
                amount: 1800,
                ..NewPayment::default()
            },
        )
        .await
        .expect("pay");
    assert_eq!(payment.credited, 300);
    admin
        .add_pending_item(
            sub.id,
            &NewPendingItem {
                description: "Extra mailbox".into(),
                unit_amount: 250,
                currency: Some("eur".into()),
                ..NewPendingItem::default()
            },
        )
        .await
        .expect("pending item");
    assert_eq!(admin.pending_items(sub.id).await.expect("items").len(), 1);

    // Nothing is due before the period ends.
    let before_end = sub.current_period_end.checked_sub(1.second()).expect("ts");
    assert!(billing_run(&s.database_url, before_end).contains("0 invoices issued"));
    assert_eq!(invoices_of(admin, customer.id).await.len(), 1);

    // At the period's end: one renewal invoice, the pending item on it, the balance consumed.
    let end = sub.current_period_end;
    assert!(billing_run(&s.database_url, end).contains("1 invoices issued"));
    let all = invoices_of(admin, customer.id).await;
    assert_eq!(all.len(), 2);
    let renewal = &all[1];
    assert_eq!(renewal.period_start, Some(end));
    assert_eq!(renewal.total, 1250);
    assert_eq!(
        (renewal.credit_applied, renewal.amount_paid, renewal.amount_due),
        (300, 300, 950)
    );
    assert!(admin.pending_items(sub.id).await.expect("items").is_empty());
    let renewed = admin.subscription(sub.id).await.expect("subscription");
    assert_eq!(renewed.balance, 0);
    assert_eq!(renewed.current_period_start, end);

    // A re-run at the same moment issues nothing more.
    assert!(billing_run(&s.database_url, end).contains("0 invoices issued"));
    assert_eq!(invoices_of(admin, customer.id).await.len(), 2);

    // Fourteen months later in one run: one invoice per period missed, across the new year, each period
    // once, month ends counted from the anchor.
    let later = plus_days(end, 14 * 31);
    billing_run(&s.database_url, later);
    let all = invoices_of(admin, customer.id).await;
    let periods: Vec<Timestamp> = all.iter().filter_map(|i| i.period_start).collect();
    let distinct: BTreeSet<Timestamp> = periods.iter().copied().collect();
    assert_eq!(distinct.len(), periods.len(), "no period twice");
    assert!(all.len() >= 15, "{} invoices", all.len());
    let current = admin.subscription(sub.id).await.expect("subscription");
    assert!(current.current_period_start <= later && later < current.current_period_end);
    for pair in all.windows(2).skip(1) {
        assert_eq!(pair[0].period_end, pair[1].period_start, "periods follow each other");
    }
    let years: BTreeSet<&str> = all
        .iter()
        .filter_map(|i| i.number.as_deref())
        .map(|n| &n[..4])
        .collect();
    assert!(years.len() >= 2, "numbers of more than one year: {years:?}");

    // Unpaid past the due date: past due; paying everything makes it active again.
    billing_run(&s.database_url, plus_days(later, 15));
    let overdue = admin.subscription(sub.id).await.expect("subscription");
    assert_eq!(overdue.status, SubscriptionStatus::PastDue);
    for invoice in invoices_of(admin, customer.id).await {
        if invoice.status == InvoiceStatus::Open {
            admin
                .apply_payment(
                    invoice.id,
                    &NewPayment {
                        amount: invoice.amount_due,
                        ..NewPayment::default()
                    },
                )
                .await
                .expect("pay");
        }
    }
    assert_eq!(
        admin.subscription(sub.id).await.expect("subscription").status,
        SubscriptionStatus::Active
    );

    // Cancelled at the period's end: it ends then, with no invoice for the period after.
    let count = invoices_of(admin, customer.id).await.len();
    let cancelled = admin.cancel_subscription(sub.id, true).await.expect("cancel");
    let out = billing_run(&s.database_url, plus_days(cancelled.current_period_end, 40));
    assert!(out.contains("1 ended"), "{out}");
    let ended = admin.subscription(sub.id).await.expect("subscription");
    assert_eq!(ended.status, SubscriptionStatus::Canceled);
    assert_eq!(ended.canceled_at, Some(cancelled.current_period_end));
    assert_eq!(invoices_of(admin, customer.id).await.len(), count);

    // Every renewal wrote its events.
    let events = admin
        .events(&EventQuery {
            entity: Some("invoice".into()),
            limit: Some(200),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    assert!(
        events
            .data
            .iter()
            .filter(|e| e.name.as_deref() == Some("InvoiceCreated"))
            .count()
            >= count,
        "an InvoiceCreated event per invoice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trials_end_into_a_billed_period_and_end_user_plans_count_people() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let person = s.customer().await;
    let customer = person.customer;
    let trial = plan(
        admin,
        NewPlan {
            trial_days: Some(14),
            ..flat(900)
        },
        vec![],
    )
    .await;
    let sub = admin
        .subscribe(customer.id, &subscription_of(trial.plan.id))
        .await
        .expect("subscribe");
    assert_eq!(sub.status, SubscriptionStatus::Trialing);
    assert!(
        invoices_of(admin, customer.id).await.is_empty(),
        "a trial without an initial fee bills nothing"
    );
    let trial_end = sub.trial_end.expect("trial end");
    billing_run(&s.database_url, trial_end);
    let after = admin.subscription(sub.id).await.expect("subscription");
    assert_eq!(after.status, SubscriptionStatus::Active);
    let invoices = invoices_of(admin, customer.id).await;
    assert_eq!(invoices.len(), 1);
    assert_eq!((invoices[0].total, invoices[0].period_start), (900, Some(trial_end)));

    // A plan counting end users bills the customer's people at invoice time: one now, three at renewal.
    let per_person = plan(
        admin,
        NewPlan {
            pricing: "unit".into(),
            amount: Some(400),
            unit: Some("enduser".into()),
            ..NewPlan::default()
        },
        vec![],
    )
    .await;
    let seats = admin
        .subscribe(customer.id, &subscription_of(per_person.plan.id))
        .await
        .expect("subscribe");
    let first = invoices_of(admin, customer.id).await;
    let first = first
        .iter()
        .find(|i| i.subscription_id == Some(seats.id))
        .expect("first");
    assert_eq!((first.items[0].quantity, first.total), (1, 400));
    for n in 0..2 {
        admin
            .create_end_user(&NewEndUser {
                customer_id: customer.id,
                name: Some(format!("Person {n}")),
                ..NewEndUser::default()
            })
            .await
            .expect("end user");
    }
    billing_run(&s.database_url, seats.current_period_end);
    let renewal = invoices_of(admin, customer.id)
        .await
        .into_iter()
        .find(|i| i.subscription_id == Some(seats.id) && i.period_start == Some(seats.current_period_end))
        .expect("renewal");
    assert_eq!((renewal.items[0].quantity, renewal.total), (3, 1200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn currencies_are_never_mixed_and_pending_items_are_checked() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    admin
        .create_invoice(&NewInvoice {
            customer_id: customer.id,
            currency: "USD".into(),
            items: vec![NewInvoiceItem {
                description: "Setup".into(),
                quantity: None,
                unit_amount: 100,
            }],
            ..NewInvoice::default()
        })
        .await
        .expect("invoice");
    let euro = plan(admin, flat(1000), vec![]).await;
    let p = assert_code(
        admin.subscribe(customer.id, &subscription_of(euro.plan.id)).await,
        ErrorCode::Conflict,
    );
    assert!(p.detail.as_deref().is_some_and(|d| d.contains("USD")), "{p:?}");

    let other = s.customer().await.customer;
    let sub = admin
        .subscribe(other.id, &subscription_of(euro.plan.id))
        .await
        .expect("subscribe");
    let item = |description: &str, unit_amount: i64, currency: Option<&str>| NewPendingItem {
        description: description.into(),
        unit_amount,
        currency: currency.map(str::to_owned),
        ..NewPendingItem::default()
    };
    assert_code(
        admin.add_pending_item(sub.id, &item("Fee", 100, Some("USD"))).await,
        ErrorCode::Conflict,
    );
    let p = assert_code(
        admin.add_pending_item(sub.id, &item("Fee", -1, None)).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["unit_amount"]);
    let p = assert_code(
        admin.add_pending_item(sub.id, &item(" ", 100, Some("EURO"))).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["description", "currency"]);
    assert_code(
        admin.add_pending_item(sub.id + 1000, &item("Fee", 100, None)).await,
        ErrorCode::NotFound,
    );
    assert!(admin.pending_items(sub.id).await.expect("items").is_empty());
}

/// `count` customers subscribed to one monthly plan; answers the plan's first period end (all are alike
/// to the second or so).
async fn subscribed_customers(admin: &Client, count: usize) -> Timestamp {
    let c = plan(admin, flat(1000), vec![]).await;
    let mut latest = Timestamp::UNIX_EPOCH;
    for n in 0..count {
        let customer = admin
            .create_customer(&NewCustomer {
                name: format!("Renewal customer {n}"),
                ..NewCustomer::default()
            })
            .await
            .expect("customer");
        let sub = admin
            .subscribe(customer.id, &subscription_of(c.plan.id))
            .await
            .expect("subscribe");
        latest = latest.max(sub.current_period_end);
    }
    latest
}

/// The renewal invoices (the second period on) in the database, as (subscription, period start) pairs.
async fn renewals(admin: &Client) -> Vec<(i64, Timestamp)> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = admin
            .invoices(&InvoiceQuery {
                limit: Some(200),
                cursor: cursor.clone(),
                ..InvoiceQuery::default()
            })
            .await
            .expect("invoices");
        for i in &page.data {
            if let (Some(sub), Some(start)) = (i.subscription_id, i.period_start)
                && i.items.len() == 1
                && i.issued_at.is_some_and(|at| at > Timestamp::now() + 24.hours())
            {
                out.push((sub, start));
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Killed mid-run (SIGKILL, after its first batch committed), `billing run` leaves whole batches only; the
/// re-run issues the missing invoices and no period twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_midway_is_finished_by_the_next_without_duplicates() {
    const SUBSCRIPTIONS: usize = 60;
    let s = TestServer::start().await;
    let admin = &s.admin;
    let due = plus_days(subscribed_customers(admin, SUBSCRIPTIONS).await, 1);
    let mut run = ferrodesk(&[
        "billing",
        "run",
        "--now",
        &due.to_string(),
        "--batch-size",
        "2",
        "--database-url",
        &s.database_url,
    ])
    .env("RUST_LOG", "ferrodesk=debug")
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn billing run");
    let stderr = run.stderr.take().expect("stderr");
    let (mut log, mut killed) = (Vec::new(), false);
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("log line");
        if line.contains("billing batch committed") {
            run.kill().expect("kill");
            killed = true;
            break;
        }
        log.push(line);
    }
    run.wait().expect("wait");
    assert!(killed, "the run committed no batch: {log:?}");
    let partial = renewals(admin).await;
    assert!(
        !partial.is_empty() && partial.len() < SUBSCRIPTIONS,
        "killed after its first batch: {} of {SUBSCRIPTIONS} renewed",
        partial.len()
    );
    billing_run(&s.database_url, due);
    let all = renewals(admin).await;
    let distinct: BTreeSet<(i64, Timestamp)> = all.iter().copied().collect();
    assert_eq!(all.len(), SUBSCRIPTIONS, "every subscription renewed");
    assert_eq!(distinct.len(), SUBSCRIPTIONS, "no period twice");
}

/// Three `billing run` processes at once on one PostgreSQL, then three `serve` processes whose schedulers
/// find the same subscriptions due: every period is invoiced exactly once, and the year's numbers have no
/// gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_postgresql_renew_each_period_once() {
    if !on_postgres() {
        eprintln!("skipped: several processes share a PostgreSQL database only");
        return;
    }
    const SUBSCRIPTIONS: usize = 150;
    let s = TestServer::start_with(|settings| settings.billing_interval_secs = 0).await;
    let admin = &s.admin;
    let due = plus_days(subscribed_customers(admin, SUBSCRIPTIONS).await, 1);
    let runs: Vec<_> = (0..3)
        .map(|_| {
            ferrodesk(&[
                "billing",
                "run",
                "--now",
                &due.to_string(),
                "--batch-size",
                "5",
                "--database-url",
                &s.database_url,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn billing run")
        })
        .collect();
    let mut issued = 0u64;
    for run in runs {
        let out = run.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let n: u64 = text
            .split(" invoices issued")
            .next()
            .and_then(|head| head.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("invoices issued");
        issued += n;
    }
    assert_eq!(issued, SUBSCRIPTIONS as u64, "the three runs split the work");
    let all = renewals(admin).await;
    let distinct: BTreeSet<(i64, Timestamp)> = all.iter().copied().collect();
    assert_eq!((all.len(), distinct.len()), (SUBSCRIPTIONS, SUBSCRIPTIONS));
    let mut numbers: Vec<String> = Vec::new();
    let mut cursor = None;
    loop {
        let page = admin
            .invoices(&InvoiceQuery {
                limit: Some(200),
                cursor,
                ..InvoiceQuery::default()
            })
            .await
            .expect("invoices");
        numbers.extend(page.data.iter().filter_map(|i| i.number.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    for year in numbers.iter().map(|n| n[..4].to_owned()).collect::<BTreeSet<_>>() {
        let mut seq: Vec<i64> = numbers
            .iter()
            .filter(|n| n.starts_with(&year))
            .map(|n| n[5..].parse().expect("sequence"))
            .collect();
        seq.sort_unstable();
        assert_eq!(seq, (1..=seq.len() as i64).collect::<Vec<_>>(), "{year}: no gaps");
    }

    // Three serve processes, their schedulers every second, on subscriptions made due by moving their
    // periods two days into the past (as if they were subscribed two days ago on a daily plan).
    let daily = plan(
        admin,
        NewPlan {
            interval: "day".into(),
            ..flat(100)
        },
        vec![],
    )
    .await;
    let mut subs = Vec::new();
    for n in 0..30 {
        let customer = admin
            .create_customer(&NewCustomer {
                name: format!("Daily {n}"),
                ..NewCustomer::default()
            })
            .await
            .expect("customer");
        subs.push(
            admin
                .subscribe(
                    customer.id,
                    &NewSubscription {
                        plan_id: daily.plan.id,
                        ..NewSubscription::default()
                    },
                )
                .await
                .expect("subscribe")
                .id,
        );
    }
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&s.database_url)
        .await
        .expect("connect");
    let two_days: i64 = 2 * 86_400 * 1_000_000;
    let moved = sqlx::query(
        "UPDATE subscriptions SET anchor = anchor - $1, current_period_start = current_period_start - $1, \
         current_period_end = current_period_end - $1 WHERE plan_id = $2",
    )
    .bind(two_days)
    .bind(daily.plan.id)
    .execute(&mut db)
    .await
    .expect("move the periods back");
    assert_eq!(moved.rows_affected(), 30);
    sqlx::query(
        "UPDATE invoices SET period_start = period_start - $1, period_end = period_end - $1 \
         WHERE subscription_id IN (SELECT id FROM subscriptions WHERE plan_id = $2)",
    )
    .bind(two_days)
    .bind(daily.plan.id)
    .execute(&mut db)
    .await
    .expect("move the first invoices back");
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(spawn_server(&s.database_url, &[("FERRODESK_BILLING_INTERVAL_SECS", "1")]).await);
    }
    // Each subscription is two periods behind: 2 renewals each, 60 in all, whichever node makes them.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let renewed = loop {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM invoices WHERE subscription_id IN (SELECT id FROM subscriptions WHERE plan_id = $1)",
        )
        .bind(daily.plan.id)
        .fetch_one(&mut db)
        .await
        .expect("count");
        if n >= 90 || std::time::Instant::now() > deadline {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // A few more scheduler rounds on every node, which must find nothing more to do.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (mut node, _) in nodes {
        let _ = node.kill();
        let _ = node.wait();
    }
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invoices WHERE subscription_id IN (SELECT id FROM subscriptions WHERE plan_id = $1)",
    )
    .bind(daily.plan.id)
    .fetch_one(&mut db)
    .await
    .expect("count");
    assert_eq!((renewed, total), (90, 90), "30 first invoices and 2 renewals each");
    let distinct: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT (subscription_id, period_start)) FROM invoices \
         WHERE subscription_id IN (SELECT id FROM subscriptions WHERE plan_id = $1)",
    )
    .bind(daily.plan.id)
    .fetch_one(&mut db)
    .await
    .expect("count");
    assert_eq!(distinct, 90);
    assert_eq!(subs.len(), 30);
}

/// A subscription whose next invoice cannot be made (its pending items add up past 10^15 minor units) is
/// left as it is, and the others renew: one bad record never stops billing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_that_cannot_be_invoiced_does_not_stop_the_others() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let c = plan(admin, flat(1000), vec![]).await;
    let mut subs = Vec::new();
    for n in 0..3 {
        let customer = admin
            .create_customer(&NewCustomer {
                name: format!("Customer {n}"),
                ..NewCustomer::default()
            })
            .await
            .expect("customer");
        subs.push(
            admin
                .subscribe(customer.id, &subscription_of(c.plan.id))
                .await
                .expect("subscribe"),
        );
    }
    for _ in 0..2 {
        admin
            .add_pending_item(
                subs[0].id,
                &NewPendingItem {
                    description: "Huge".into(),
                    unit_amount: 900_000_000_000_000,
                    ..NewPendingItem::default()
                },
            )
            .await
            .expect("item");
    }
    let due = subs.iter().map(|s| s.current_period_end).max().expect("due");
    assert_eq!(admin.pending_items(subs[0].id).await.expect("items").len(), 2);
    let out = billing_run(&s.database_url, due);
    assert!(out.contains("2 invoices issued"), "{out}");
    let stuck = admin.subscription(subs[0].id).await.expect("subscription");
    assert_eq!(stuck.current_period_end, subs[0].current_period_end, "left as it was");
    assert_eq!(admin.pending_items(subs[0].id).await.expect("items").len(), 2);
    for sub in &subs[1..] {
        let renewed = admin.subscription(sub.id).await.expect("subscription");
        assert!(renewed.current_period_end > sub.current_period_end);
    }
}
