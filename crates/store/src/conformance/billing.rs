//! The billing catalogue: features with what they require, groups with one default, packages with their
//! features, plans of every pricing kind; round trips, lists, soft deletion, keys.
use super::*;
use domain::billing::{
    Currency, Cycle, Feature, Group, Interval, Package, PackageFeature, Plan, PlanUnit, Pricing, Tier, TierMode,
};
use std::collections::BTreeMap;

fn feature(name: &str, unique_key: Option<&str>, dependency_ids: Vec<i64>) -> Feature {
    let now = now();
    Feature {
        id: 0,
        name: name.into(),
        description: format!("The {name}"),
        unique_key: unique_key.map(str::to_owned),
        dependency_ids,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

pub(super) fn group(name: &str, default: bool) -> Group {
    let now = now();
    Group {
        id: 0,
        name: name.into(),
        default,
        default_package_id: None,
        created_at: now,
        updated_at: now,
    }
}

pub(super) fn package(group_id: i64, name: &str, features: Vec<PackageFeature>) -> Package {
    let now = now();
    Package {
        id: 0,
        group_id,
        name: name.into(),
        description: String::new(),
        default: false,
        features,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

pub(super) fn plan(package_id: i64, name: &str, pricing: Pricing) -> Plan {
    let now = now();
    Plan {
        id: 0,
        package_id,
        name: name.into(),
        description: String::new(),
        currency: Currency::parse("EUR").expect("EUR"),
        cycle: Cycle::new(Interval::Month, 1).expect("cycle"),
        trial_days: 0,
        initial_fee: 0,
        pricing,
        unit: PlanUnit::Quantity,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

pub(super) async fn billing_catalogue_round_trip(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let email = w
        .insert_feature(&feature("Email", None, vec![]))
        .await
        .expect("feature");
    let sla = w
        .insert_feature(&feature("SLA", None, vec![email.id]))
        .await
        .expect("feature");
    let incidents = w
        .insert_feature(&feature("Incidents", Some("support_incidents"), vec![sla.id, email.id]))
        .await
        .expect("feature");
    let hosting = w.insert_group(&group("Hosting", true)).await.expect("group");
    let support = w.insert_group(&group("Support", false)).await.expect("group");
    let basic = w
        .insert_package(&package(
            support.id,
            "Basic",
            vec![
                PackageFeature {
                    feature_id: incidents.id,
                    quantity: Some(5),
                },
                PackageFeature {
                    feature_id: email.id,
                    quantity: None,
                },
            ],
        ))
        .await
        .expect("package");
    let other = w
        .insert_package(&package(hosting.id, "Shared", vec![]))
        .await
        .expect("package");
    let tiers = vec![
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
    ];
    let flat = w
        .insert_plan(&Plan {
            trial_days: 14,
            initial_fee: 2500,
            cycle: Cycle::new(Interval::Year, 2).expect("cycle"),
            ..plan(basic.id, "Flat", Pricing::Flat { amount: 9900 })
        })
        .await
        .expect("plan");
    let unit = w
        .insert_plan(&Plan {
            unit: PlanUnit::EndUser,
            currency: Currency::parse("jpy").expect("JPY"),
            ..plan(basic.id, "Per seat", Pricing::Unit { amount: 120 })
        })
        .await
        .expect("plan");
    let tiered = w
        .insert_plan(&plan(
            other.id,
            "Tiered",
            Pricing::Tiered {
                mode: TierMode::Volume,
                tiers: tiers.clone(),
            },
        ))
        .await
        .expect("plan");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    let got = r.feature(incidents.id).await.expect("feature").expect("found");
    assert_eq!(got.dependency_ids, vec![email.id, sla.id], "dependencies in id order");
    assert_eq!(got.unique_key.as_deref(), Some("support_incidents"));
    assert_eq!(got.name, "Incidents");
    assert_eq!(
        r.feature_requirements().await.expect("requirements"),
        BTreeMap::from([(sla.id, vec![email.id]), (incidents.id, vec![email.id, sla.id])])
    );
    let got = r.package(basic.id).await.expect("package").expect("found");
    assert_eq!(
        got.features,
        vec![
            PackageFeature {
                feature_id: email.id,
                quantity: None
            },
            PackageFeature {
                feature_id: incidents.id,
                quantity: Some(5)
            }
        ]
    );
    for expected in [&flat, &unit, &tiered] {
        let got = r.plan(expected.id).await.expect("plan").expect("found");
        assert_eq!(got.pricing, expected.pricing, "{}", expected.name);
        assert_eq!(
            (got.currency, got.cycle, got.unit),
            (expected.currency, expected.cycle, expected.unit)
        );
        assert_eq!(
            (got.trial_days, got.initial_fee),
            (expected.trial_days, expected.initial_fee)
        );
    }
    assert_eq!(
        r.default_group().await.expect("default").map(|g| g.id),
        Some(hosting.id)
    );
    drop(r);

    // A new default takes it from the old one; features and dependencies are replaced on update; soft
    // deletion hides from lists unless asked.
    let mut w = writer(&s).await;
    w.update_group(&Group {
        default: true,
        default_package_id: Some(basic.id),
        ..support.clone()
    })
    .await
    .expect("update group");
    w.update_feature(&Feature {
        dependency_ids: vec![email.id],
        deleted_at: Some(now()),
        ..incidents.clone()
    })
    .await
    .expect("update feature");
    w.update_package(&Package {
        features: vec![PackageFeature {
            feature_id: sla.id,
            quantity: Some(1),
        }],
        ..basic.clone()
    })
    .await
    .expect("update package");
    w.update_plan(&Plan {
        pricing: Pricing::Tiered {
            mode: TierMode::Graduated,
            tiers,
        },
        name: "Flat, now tiered".into(),
        deleted_at: Some(now()),
        ..flat.clone()
    })
    .await
    .expect("update plan");
    let third = w.insert_group(&group("Third", true)).await.expect("group");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    let groups = r.group_list(&PageRequest::first(10)).await.expect("groups");
    let defaults: Vec<i64> = groups.iter().filter(|g| g.default).map(|g| g.id).collect();
    assert_eq!(defaults, vec![third.id], "exactly one default group");
    assert_eq!(
        r.group(support.id)
            .await
            .expect("group")
            .and_then(|g| g.default_package_id),
        Some(basic.id)
    );
    let live = r
        .feature_list(DeletedFilter::Exclude, &PageRequest::first(10))
        .await
        .expect("features");
    assert_eq!(ids(&live), vec![email.id, sla.id]);
    let deleted = r
        .feature_list(DeletedFilter::Only, &PageRequest::first(10))
        .await
        .expect("features");
    assert_eq!(ids(&deleted), vec![incidents.id]);
    assert_eq!(deleted[0].dependency_ids, vec![email.id]);
    let got = r.package(basic.id).await.expect("package").expect("found");
    assert_eq!(
        got.features,
        vec![PackageFeature {
            feature_id: sla.id,
            quantity: Some(1)
        }]
    );
    let of_support = r
        .package_list(Some(support.id), DeletedFilter::Exclude, &PageRequest::first(10))
        .await
        .expect("packages");
    assert_eq!(ids(&of_support), vec![basic.id]);
    let plans = r
        .plan_list(Some(basic.id), DeletedFilter::Exclude, &PageRequest::first(10))
        .await
        .expect("plans");
    assert_eq!(ids(&plans), vec![unit.id], "the deleted plan is left out");
    let all = r
        .plan_list(None, DeletedFilter::Include, &PageRequest::first(2))
        .await
        .expect("plans");
    assert_eq!(ids(&all), vec![flat.id, unit.id], "oldest first, one page");
    let next = PageRequest {
        limit: 2,
        after: Some(Cursor { key: 0, id: unit.id }),
    };
    assert_eq!(
        ids(&r.plan_list(None, DeletedFilter::Include, &next).await.expect("plans")),
        vec![tiered.id]
    );
    let changed = r.plan(flat.id).await.expect("plan").expect("found");
    assert_eq!(changed.name, "Flat, now tiered");
    assert!(matches!(
        changed.pricing,
        Pricing::Tiered {
            mode: TierMode::Graduated,
            ..
        }
    ));
    assert_eq!(changed.created_at, flat.created_at, "an update keeps created_at");
    drop(r);

    let mut w = writer(&s).await;
    let clash = w
        .insert_feature(&feature("Again", Some("support_incidents"), vec![]))
        .await;
    assert!(
        matches!(clash, Err(StoreError::Unique(UniqueKey::FeatureKey))),
        "a feature's unique key is unique: {clash:?}"
    );
}

pub(super) async fn subscriptions_one_live_per_group(s: Arc<dyn Store>) {
    use domain::billing::{Subscription, SubscriptionStatus};
    let mut w = writer(&s).await;
    let customer = w
        .insert_customer(&new_customer("Acme", None), &[])
        .await
        .expect("customer");
    let g = w.insert_group(&group("Support", true)).await.expect("group");
    let pkg = w.insert_package(&package(g.id, "Pack", vec![])).await.expect("package");
    let p = w
        .insert_plan(&plan(pkg.id, "Monthly", Pricing::Unit { amount: 100 }))
        .await
        .expect("plan");
    let at = now();
    let sub = Subscription {
        id: 0,
        customer_id: customer.id,
        plan_id: p.id,
        group_id: g.id,
        status: SubscriptionStatus::Trialing,
        quantity: 3,
        manual: true,
        currency: p.currency,
        anchor: at,
        current_period_start: at,
        current_period_end: from_micros(to_micros(at) + 86_400_000_000),
        trial_end: Some(from_micros(to_micros(at) + 86_400_000_000)),
        cancel_at_period_end: false,
        canceled_at: None,
        balance: 250,
        created_at: at,
        updated_at: at,
    };
    let first = w.insert_subscription(&sub).await.expect("subscription");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.subscription(first.id).await.expect("read"), Some(first.clone()));
    drop(r);
    let mut w = writer(&s).await;
    let second = w.insert_subscription(&sub).await;
    assert!(
        matches!(second, Err(StoreError::Unique(UniqueKey::SubscriptionGroup))),
        "a second live subscription in the group: {second:?}"
    );
    drop(w);

    let mut w = writer(&s).await;
    let live = w.live_subscriptions_in_group(customer.id, g.id).await.expect("live");
    assert_eq!(ids(&live), vec![first.id]);
    let canceled = Subscription {
        status: SubscriptionStatus::Canceled,
        canceled_at: Some(now()),
        ..first.clone()
    };
    w.update_subscription(&canceled).await.expect("cancel");
    let again = w
        .insert_subscription(&sub)
        .await
        .expect("the group is free once canceled");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let listed = r
        .subscriptions_of(customer.id, &PageRequest::first(10))
        .await
        .expect("list");
    assert_eq!(ids(&listed), vec![first.id, again.id]);
    assert_eq!(listed[0].status, SubscriptionStatus::Canceled);
    assert_eq!(listed[0].created_at, first.created_at, "an update keeps created_at");
}

/// Invoice numbers: one sequence per year, starting at 1; a rolled-back transaction gives its number back.
pub(super) async fn invoice_numbers_have_no_gaps(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    assert_eq!(w.next_invoice_number(2027).await.expect("number"), 1);
    assert_eq!(w.next_invoice_number(2027).await.expect("number"), 2);
    assert_eq!(
        w.next_invoice_number(2028).await.expect("number"),
        1,
        "each year its own sequence"
    );
    w.commit().await.expect("commit");
    let mut w = writer(&s).await;
    assert_eq!(w.next_invoice_number(2027).await.expect("number"), 3);
    drop(w);
    let mut w = writer(&s).await;
    assert_eq!(
        w.next_invoice_number(2027).await.expect("number"),
        3,
        "the rollback gave 3 back"
    );
    w.commit().await.expect("commit");
}
