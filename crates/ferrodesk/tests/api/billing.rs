//! The billing catalogue through the native API (SPEC §5.1, issue 10 item 1): features and what they
//! require, groups with one default, packages that must hold what their features require, plans of every
//! pricing kind, and the bad input each refuses with the field named.
use crate::*;
use ferrodesk_client::api_types::{
    BillingSystem, CatalogueQuery, FeaturePatch, GroupPatch, InvoiceQuery, InvoiceStatus, NewBillingLink, NewFeature,
    NewGroup, NewInvoice, NewInvoiceItem, NewPackage, NewPayment, NewPlan, NewRefund, NewSubscription, PackageFeature,
    PackagePatch, Plan, PlanPatch, SubscriptionStatus, Tier,
};

fn new_feature(name: &str, unique_key: Option<&str>, dependency_ids: Vec<i64>) -> NewFeature {
    NewFeature {
        name: name.into(),
        description: None,
        unique_key: unique_key.map(str::to_owned),
        dependency_ids: Some(dependency_ids),
    }
}

fn flat_plan(package_id: i64, currency: &str, amount: i64) -> NewPlan {
    NewPlan {
        package_id,
        name: "Monthly".into(),
        currency: currency.into(),
        interval: "month".into(),
        pricing: "flat".into(),
        amount: Some(amount),
        ..NewPlan::default()
    }
}

fn with(feature_id: i64, quantity: Option<i64>) -> PackageFeature {
    PackageFeature { feature_id, quantity }
}

#[tokio::test]
async fn catalogue_of_features_groups_packages_and_plans() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let email = admin
        .create_feature(&new_feature("Email", None, vec![]))
        .await
        .expect("feature");
    let sla = admin
        .create_feature(&new_feature("SLA", None, vec![email.id]))
        .await
        .expect("feature");
    let incidents = admin
        .create_feature(&new_feature("Incidents", Some("support_incidents"), vec![sla.id]))
        .await
        .expect("feature");
    assert_eq!(incidents.dependency_ids, vec![sla.id]);
    assert_eq!(incidents.unique_key.as_deref(), Some("support_incidents"));

    // The first group becomes the default; a later one takes the default only when it says so.
    let hosting = admin
        .create_group(&NewGroup {
            name: "Hosting".into(),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    assert!(hosting.default, "the first group is the default");
    let support = admin
        .create_group(&NewGroup {
            name: "Support".into(),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    assert!(!support.default);

    // A package must hold what its features require, directly or not.
    let lacking = admin
        .create_package(&NewPackage {
            name: "Incident pack".into(),
            group_id: Some(support.id),
            features: Some(vec![with(incidents.id, Some(5)), with(sla.id, None)]),
            ..NewPackage::default()
        })
        .await;
    let p = assert_code(lacking, ErrorCode::ValidationFailed);
    assert_eq!(fields(&p), ["features"]);
    assert!(
        p.errors[0].message.contains(&format!("requires feature {}", email.id)),
        "{p:?}"
    );
    let pack = admin
        .create_package(&NewPackage {
            name: "Incident pack".into(),
            group_id: Some(support.id),
            features: Some(vec![
                with(incidents.id, Some(5)),
                with(sla.id, None),
                with(email.id, None),
            ]),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    assert_eq!(pack.features.len(), 3);
    let shared = admin
        .create_package(&NewPackage {
            name: "Shared hosting".into(),
            ..NewPackage::default()
        })
        .await
        .expect("package in the default group");
    assert_eq!(shared.group_id, hosting.id);

    // Plans of every pricing kind.
    let flat = admin
        .create_plan(&flat_plan(pack.id, "eur", 4900))
        .await
        .expect("flat plan");
    assert_eq!(flat.currency.code(), "EUR");
    let tiered = admin
        .create_plan(&NewPlan {
            name: "Per seat".into(),
            interval: "year".into(),
            interval_count: Some(1),
            trial_days: Some(30),
            initial_fee: Some(1000),
            pricing: "tier".into(),
            amount: None,
            tiers: Some(vec![
                Tier {
                    up_to: Some(5),
                    unit_amount: 500,
                    flat_amount: 100,
                },
                Tier {
                    up_to: None,
                    unit_amount: 300,
                    flat_amount: 0,
                },
            ]),
            tier_mode: Some("volume".into()),
            unit: Some("enduser".into()),
            ..flat_plan(shared.id, "USD", 0)
        })
        .await
        .expect("tier plan");
    let raw: serde_json::Value = admin
        .get(&format!("/api/v1/plans/{}", tiered.id))
        .await
        .expect("raw plan");
    assert_eq!(raw["pricing"], "tier", "{raw}");
    assert_eq!(raw["tier_mode"], "volume", "{raw}");
    assert_eq!(raw["interval"], "year", "{raw}");
    assert_eq!(raw["unit"], "enduser", "{raw}");
    assert_eq!(raw["tiers"][1]["up_to"], serde_json::Value::Null, "{raw}");
    assert_eq!(raw["currency"], "USD", "{raw}");
    let raw: serde_json::Value = admin
        .get(&format!("/api/v1/plans/{}", flat.id))
        .await
        .expect("raw plan");
    assert_eq!(
        (raw["pricing"].as_str(), raw["amount"].as_i64()),
        (Some("flat"), Some(4900)),
        "{raw}"
    );

    // Lists by owner, soft deletion, restore.
    let by_package = |package_id| CatalogueQuery {
        package_id: Some(package_id),
        ..CatalogueQuery::default()
    };
    assert_eq!(
        ids_of(
            admin
                .plans(&by_package(pack.id))
                .await
                .expect("plans")
                .data
                .iter()
                .map(|p| p.id)
        ),
        vec![flat.id]
    );
    admin.delete_plan(flat.id).await.expect("delete plan");
    assert!(admin.plans(&by_package(pack.id)).await.expect("plans").data.is_empty());
    let renamed = admin
        .update_plan(
            tiered.id,
            &PlanPatch {
                name: Some("Seats".into()),
                ..PlanPatch::default()
            },
        )
        .await
        .expect("rename plan");
    assert_eq!(renamed.name, "Seats");
    admin.delete_package(shared.id).await.expect("delete package");
    let groups_packages = admin
        .packages(&CatalogueQuery {
            group_id: Some(hosting.id),
            ..CatalogueQuery::default()
        })
        .await
        .expect("packages");
    assert!(groups_packages.data.is_empty());
    assert_eq!(
        admin.restore_package(shared.id).await.expect("restore").deleted_at,
        None
    );
    assert_code(admin.restore_package(shared.id).await, ErrorCode::Conflict);

    // Moving the default; the default cannot simply be switched off.
    let moved = admin
        .update_group(
            support.id,
            &GroupPatch {
                default: Some(true),
                default_package_id: Some(Some(pack.id)),
                ..GroupPatch::default()
            },
        )
        .await
        .expect("move default");
    assert!(moved.default);
    assert!(
        !admin.group(hosting.id).await.expect("group").default,
        "the old default gave it up"
    );
    let p = assert_code(
        admin
            .update_group(
                support.id,
                &GroupPatch {
                    default: Some(false),
                    ..GroupPatch::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["default"]);
    let p = assert_code(
        admin
            .update_group(
                hosting.id,
                &GroupPatch {
                    default_package_id: Some(Some(pack.id)),
                    ..GroupPatch::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["default_package_id"], "a package of another group");

    // Features never require themselves; a package keeps what its features require.
    let p = assert_code(
        admin
            .update_feature(
                email.id,
                &FeaturePatch {
                    dependency_ids: Some(vec![incidents.id]),
                    ..FeaturePatch::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["dependency_ids"]);
    let p = assert_code(
        admin
            .update_package(
                pack.id,
                &PackagePatch {
                    features: Some(vec![with(incidents.id, Some(5))]),
                    ..PackagePatch::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["features"]);
    let clash = admin
        .create_feature(&new_feature("Again", Some("support_incidents"), vec![]))
        .await;
    assert_code(clash, ErrorCode::Conflict);

    // Agents read the catalogue but do not change it; every change left its event.
    let agent = s.agent().await;
    assert_eq!(agent.feature(email.id).await.expect("agent reads").name, "Email");
    assert_code(
        agent.create_feature(&new_feature("X", None, vec![])).await,
        ErrorCode::NotFound,
    );
    let events: serde_json::Value = admin.get("/api/v1/events?type=plan").await.expect("events");
    let actions: Vec<&str> = events["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions.len(),
        4,
        "two plans created, one deleted, one renamed: {events}"
    );
}

fn ids_of(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    ids.collect()
}

#[tokio::test]
async fn plans_refuse_bad_money_and_bad_tiers() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let pack = admin
        .create_package(&NewPackage {
            name: "Pack".into(),
            group_id: Some(
                admin
                    .create_group(&NewGroup {
                        name: "G".into(),
                        ..NewGroup::default()
                    })
                    .await
                    .expect("group")
                    .id,
            ),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    let tiers = |bounds: &[Option<u64>]| {
        Some(
            bounds
                .iter()
                .map(|&up_to| Tier {
                    up_to,
                    unit_amount: 100,
                    flat_amount: 0,
                })
                .collect::<Vec<_>>(),
        )
    };
    let cases: Vec<(NewPlan, &str)> = vec![
        (flat_plan(pack.id, "XYZ", 100), "currency"),
        (flat_plan(pack.id, "EUR", -1), "amount"),
        (flat_plan(pack.id, "EUR", 1_000_000_000_000_001), "amount"),
        (
            NewPlan {
                interval: "fortnight".into(),
                ..flat_plan(pack.id, "EUR", 100)
            },
            "interval",
        ),
        (
            NewPlan {
                interval_count: Some(0),
                ..flat_plan(pack.id, "EUR", 100)
            },
            "interval_count",
        ),
        (
            NewPlan {
                initial_fee: Some(-5),
                ..flat_plan(pack.id, "EUR", 100)
            },
            "initial_fee",
        ),
        (
            NewPlan {
                pricing: "unit".into(),
                amount: None,
                ..flat_plan(pack.id, "EUR", 0)
            },
            "amount",
        ),
        (
            NewPlan {
                pricing: "free".into(),
                ..flat_plan(pack.id, "EUR", 0)
            },
            "pricing",
        ),
        (
            NewPlan {
                pricing: "tier".into(),
                amount: None,
                tiers: tiers(&[Some(10), Some(5), None]),
                ..flat_plan(pack.id, "EUR", 0)
            },
            "tiers[1].up_to",
        ),
        (
            NewPlan {
                pricing: "tier".into(),
                amount: None,
                tiers: tiers(&[Some(10)]),
                ..flat_plan(pack.id, "EUR", 0)
            },
            "tiers[0].up_to",
        ),
        (
            NewPlan {
                pricing: "tier".into(),
                amount: None,
                tiers: Some(vec![]),
                ..flat_plan(pack.id, "EUR", 0)
            },
            "tiers",
        ),
        (
            NewPlan {
                pricing: "tier".into(),
                amount: None,
                tiers: tiers(&[None]),
                tier_mode: Some("stacked".into()),
                ..flat_plan(pack.id, "EUR", 0)
            },
            "tier_mode",
        ),
        (flat_plan(pack.id + 1000, "EUR", 100), "package_id"),
    ];
    for (plan, field) in cases {
        let p = assert_code(admin.create_plan(&plan).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), [field], "{plan:?}: {p:?}");
    }
    assert!(
        admin
            .plans(&CatalogueQuery::default())
            .await
            .expect("plans")
            .data
            .is_empty(),
        "nothing stored"
    );
}

/// A group with one package of `features` and a plan priced per unit, with a trial when `trial_days` > 0.
async fn seat_plan(s: &TestServer, group: &str, trial_days: u32, features: Vec<PackageFeature>) -> (i64, Plan) {
    let g = s
        .admin
        .create_group(&NewGroup {
            name: group.into(),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    let pack = s
        .admin
        .create_package(&NewPackage {
            name: format!("{group} pack"),
            group_id: Some(g.id),
            features: Some(features),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    let plan = s
        .admin
        .create_plan(&NewPlan {
            pricing: "unit".into(),
            amount: Some(1500),
            trial_days: Some(trial_days),
            ..flat_plan(pack.id, "EUR", 0)
        })
        .await
        .expect("plan");
    (g.id, plan)
}

fn new_subscription(plan_id: i64) -> NewSubscription {
    NewSubscription {
        plan_id,
        ..NewSubscription::default()
    }
}

#[tokio::test]
async fn subscriptions_one_per_group_trials_and_cancelling() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let (group, plan) = seat_plan(&s, "Support", 14, vec![]).await;

    let first = admin
        .subscribe(
            customer.id,
            &NewSubscription {
                quantity: Some(3),
                ..new_subscription(plan.id)
            },
        )
        .await
        .expect("subscribe");
    assert_eq!(first.status, SubscriptionStatus::Trialing);
    assert_eq!(
        (first.group_id, first.quantity, first.currency.code()),
        (group, 3, "EUR")
    );
    let trial_end = first.trial_end.expect("a trial");
    assert_eq!(trial_end.as_second() - first.created_at.as_second(), 14 * 86_400);
    assert_eq!(first.current_period_end, trial_end, "the trial is the first stretch");

    // One live subscription per group; force replaces it.
    let p = assert_code(
        admin.subscribe(customer.id, &new_subscription(plan.id)).await,
        ErrorCode::Conflict,
    );
    assert!(p.detail.as_deref().unwrap_or_default().contains("force"), "{p:?}");
    let second = admin
        .subscribe(
            customer.id,
            &NewSubscription {
                force: Some(true),
                ..new_subscription(plan.id)
            },
        )
        .await
        .expect("force");
    assert_eq!(
        admin.subscription(first.id).await.expect("first").status,
        SubscriptionStatus::Canceled
    );

    // Cancelling at the period's end keeps the group until then; cancelling now frees it.
    let later = admin
        .cancel_subscription(second.id, true)
        .await
        .expect("cancel at period end");
    assert!(later.cancel_at_period_end);
    assert_eq!(later.status, SubscriptionStatus::Trialing);
    assert_code(
        admin.subscribe(customer.id, &new_subscription(plan.id)).await,
        ErrorCode::Conflict,
    );
    let now = admin.cancel_subscription(second.id, false).await.expect("cancel now");
    assert_eq!(now.status, SubscriptionStatus::Canceled);
    assert_code(admin.cancel_subscription(second.id, false).await, ErrorCode::Conflict);
    let third = admin
        .subscribe(customer.id, &new_subscription(plan.id))
        .await
        .expect("the group is free");
    let listed = admin
        .subscriptions(customer.id, &ListQuery::default())
        .await
        .expect("list");
    assert_eq!(
        listed.data.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![first.id, second.id, third.id]
    );
    let bad_at: Result<serde_json::Value, _> = admin
        .delete(&format!("/api/v1/subscriptions/{}?at=tomorrow", third.id))
        .await;
    assert_eq!(fields(&assert_code(bad_at, ErrorCode::ValidationFailed)), ["at"]);
    let events: serde_json::Value = admin.get("/api/v1/events?type=subscription").await.expect("events");
    assert_eq!(
        events["data"].as_array().map(Vec::len),
        Some(6),
        "3 created, first replaced, 2 cancels: {events}"
    );
}

#[tokio::test]
async fn subscribing_refuses_what_cannot_be_sold() {
    let s = TestServer::start().await;
    let admin = &s.admin;
    let customer = s.customer().await.customer;
    let email = admin
        .create_feature(&new_feature("Email", None, vec![]))
        .await
        .expect("feature");
    let phone = admin
        .create_feature(&new_feature("Phone", None, vec![]))
        .await
        .expect("feature");
    let (group, plan) = seat_plan(&s, "Support", 0, vec![with(email.id, None)]).await;

    let zero = admin
        .subscribe(
            customer.id,
            &NewSubscription {
                quantity: Some(0),
                ..new_subscription(plan.id)
            },
        )
        .await;
    assert_eq!(fields(&assert_code(zero, ErrorCode::ValidationFailed)), ["quantity"]);
    let wrong_group = admin
        .subscribe(
            customer.id,
            &NewSubscription {
                group_id: Some(group + 100),
                ..new_subscription(plan.id)
            },
        )
        .await;
    assert_eq!(
        fields(&assert_code(wrong_group, ErrorCode::ValidationFailed)),
        ["group_id"]
    );
    let unknown = admin.subscribe(customer.id, &new_subscription(plan.id + 100)).await;
    assert_eq!(fields(&assert_code(unknown, ErrorCode::ValidationFailed)), ["plan_id"]);
    assert_code(
        admin.subscribe(customer.id + 1000, &new_subscription(plan.id)).await,
        ErrorCode::NotFound,
    );

    // A feature of the package came to require one the package lacks: the package cannot be sold.
    admin
        .update_feature(
            email.id,
            &FeaturePatch {
                dependency_ids: Some(vec![phone.id]),
                ..FeaturePatch::default()
            },
        )
        .await
        .expect("email now requires phone");
    let p = assert_code(
        admin.subscribe(customer.id, &new_subscription(plan.id)).await,
        ErrorCode::Conflict,
    );
    let detail = p.detail.unwrap_or_default();
    assert!(detail.contains(&format!("requires feature {}", phone.id)), "{detail}");

    // A deleted plan is not for sale either; nothing was stored by any refusal.
    admin.delete_plan(plan.id).await.expect("delete plan");
    let deleted = admin.subscribe(customer.id, &new_subscription(plan.id)).await;
    assert_eq!(fields(&assert_code(deleted, ErrorCode::ValidationFailed)), ["plan_id"]);
    let listed = admin
        .subscriptions(customer.id, &ListQuery::default())
        .await
        .expect("list");
    assert!(listed.data.is_empty());
}

#[tokio::test]
async fn concurrent_subscribes_to_one_group_leave_one() {
    let s = TestServer::start().await;
    let customer = s.customer().await.customer;
    let (_, plan) = seat_plan(&s, "Support", 0, vec![]).await;
    let attempts = (0..10).map(|_| {
        let admin = s.admin.clone();
        tokio::spawn(async move { admin.subscribe(customer.id, &new_subscription(plan.id)).await })
    });
    let mut won = 0;
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(_) => won += 1,
            Err(e) => {
                assert_code::<()>(Err(e), ErrorCode::Conflict);
            }
        }
    }
    assert_eq!(won, 1, "exactly one subscribe wins");
    let listed = s
        .admin
        .subscriptions(customer.id, &ListQuery::default())
        .await
        .expect("list");
    assert_eq!(listed.data.len(), 1);
}

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
