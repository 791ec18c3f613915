//! The billing catalogue and subscriptions through the native API (SPEC §5.1, §5.2): features and what
//! they require, groups with one default, packages that must hold what their features require, plans of
//! every pricing kind, subscribing, and the bad input each refuses with the field named. Invoices, payments,
//! refunds, links and support levels: `invoices.rs`.
use crate::*;
use ferrodesk_client::api_types::{
    CatalogueQuery, FeaturePatch, GroupPatch, NewFeature, NewGroup, NewPackage, NewPlan, NewSubscription,
    PackageFeature, PackagePatch, Plan, PlanPatch, SubscriptionStatus, Tier,
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
pub(crate) async fn seat_plan(
    s: &TestServer,
    group: &str,
    trial_days: u32,
    features: Vec<PackageFeature>,
) -> (i64, Plan) {
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

pub(crate) fn new_subscription(plan_id: i64) -> NewSubscription {
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
