//! `ferrodesk export` and `ferrodesk restore` as an operator runs them: data made through the API on SQLite
//! moves to the other backend (PostgreSQL when the suite runs on it) and back, and every read answers the
//! same body afterwards.
use crate::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ferrodesk");

/// Runs the binary on `database_url`; returns whether it succeeded and what it printed.
pub(crate) fn cli(args: &[&str], database_url: &str) -> (bool, String) {
    let mut c = Command::new(BIN);
    c.args(args).args(["--database-url", database_url]);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FERRODESK_")) {
        c.env_remove(k);
    }
    let out = c.env("RUST_LOG", "warn").output().expect("run ferrodesk");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

pub(crate) fn export(database_url: &str, file: &Path) {
    let (ok, out) = cli(&["export", &file.to_string_lossy()], database_url);
    assert!(ok, "export failed: {out}");
    assert!(out.contains("exported"), "{out}");
}

pub(crate) fn restore(database_url: &str, file: &Path) {
    let (ok, out) = cli(&["restore", &file.to_string_lossy()], database_url);
    assert!(ok, "restore failed: {out}");
    assert!(out.contains("restored"), "{out}");
}

/// Data of every kind the API makes today, soft-deleted records and internal notes included. Returns the
/// end user's client's token, to show restored tokens still authenticate.
async fn fill(s: &TestServer) -> String {
    let department = s.department().await;
    let agent = s.agent().await;
    let person = s.customer().await;
    s.admin
        .update_customer(
            person.customer.id,
            &CustomerPatch {
                city: Some(Some("Zürich".into())),
                country: Some(Some("CH".into())),
                tags: Some(vec!["vip".into(), "hosting".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("customer details");
    let mut ids = Vec::new();
    for n in 0..3 {
        let t = person
            .client
            .create_ticket(&new_ticket(department.id, &format!("Printer jam número {n}")))
            .await
            .expect("ticket");
        agent
            .reply(
                t.id,
                &NewReply {
                    message: format!("Try turning it off and on, café {n}"),
                    ..Default::default()
                },
            )
            .await
            .expect("reply");
        agent
            .reply(
                t.id,
                &NewReply {
                    message: "internal: customer is on the old plan".into(),
                    internal: Some(true),
                },
            )
            .await
            .expect("note");
        ids.push(t.id);
    }
    agent
        .update_ticket(
            ids[0],
            &TicketPatch {
                status: Some(TicketStatus::Solved),
                priority: Some(Priority::HIGH),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    s.admin.delete_ticket(ids[1]).await.expect("delete ticket");
    let gone = s.customer().await;
    s.admin
        .delete_end_user(gone.end_user.id)
        .await
        .expect("delete end user");
    s.admin
        .delete_customer(gone.customer.id)
        .await
        .expect("delete customer");
    fill_customer_database(s).await;
    fill_catalogue(s).await;
    let token = s
        .admin
        .create_end_user_token(person.end_user.id, Some("portal"))
        .await
        .expect("token");
    token.token
}

fn attribute(name: &str, kind: &str) -> AttributeInput {
    AttributeInput {
        name: Some(name.into()),
        kind: Some(kind.into()),
        ..Default::default()
    }
}

fn values(pairs: &[(&str, Value)]) -> serde_json::Map<String, Value> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// Custom attributes of every kind (searchable, unique, a soft-deleted one that keeps its values), their
/// values, tags, and end users with first and last names: what the list queries of [`customer_lists`] read.
/// A billing catalogue: features that require others, two groups, packages with feature quantities, a
/// tiered plan and a deleted flat one.
async fn fill_catalogue(s: &TestServer) {
    use ferrodesk_client::api_types::{NewFeature, NewGroup, NewPackage, NewPlan, PackageFeature, Tier};
    let a = &s.admin;
    let email = a
        .create_feature(&NewFeature {
            name: "Email".into(),
            ..NewFeature::default()
        })
        .await
        .expect("feature");
    let incidents = a
        .create_feature(&NewFeature {
            name: "Incidents".into(),
            unique_key: Some("support_incidents".into()),
            dependency_ids: Some(vec![email.id]),
            ..NewFeature::default()
        })
        .await
        .expect("feature");
    a.create_group(&NewGroup {
        name: "Hosting".into(),
        ..NewGroup::default()
    })
    .await
    .expect("group");
    let support = a
        .create_group(&NewGroup {
            name: "Support".into(),
            default: Some(false),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    let pack = a
        .create_package(&NewPackage {
            name: "Incident pack".into(),
            group_id: Some(support.id),
            features: Some(vec![
                PackageFeature {
                    feature_id: email.id,
                    quantity: None,
                },
                PackageFeature {
                    feature_id: incidents.id,
                    quantity: Some(5),
                },
            ]),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    let seats = a
        .create_plan(&NewPlan {
            package_id: pack.id,
            name: "Seats".into(),
            currency: "CHF".into(),
            interval: "month".into(),
            interval_count: Some(3),
            trial_days: Some(14),
            initial_fee: Some(5000),
            pricing: "tier".into(),
            tiers: Some(vec![
                Tier {
                    up_to: Some(10),
                    unit_amount: 1200,
                    flat_amount: 500,
                },
                Tier {
                    up_to: None,
                    unit_amount: 900,
                    flat_amount: 0,
                },
            ]),
            tier_mode: Some("graduated".into()),
            unit: Some("enduser".into()),
            ..NewPlan::default()
        })
        .await
        .expect("plan");
    let subscriber = s.customer().await.customer;
    let subscription = a
        .subscribe(
            subscriber.id,
            &ferrodesk_client::api_types::NewSubscription {
                plan_id: seats.id,
                manual: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("subscribe");
    a.add_pending_item(
        subscription.id,
        &ferrodesk_client::api_types::NewPendingItem {
            description: "Onboarding call".into(),
            unit_amount: 9900,
            ..Default::default()
        },
    )
    .await
    .expect("pending item");
    let (dept, _) = crate::process::department_and_requester(a).await;
    let ticket = a
        .create_ticket(&NewTicket {
            customer_id: Some(subscriber.id),
            email: Some("subscriber@example.com".into()),
            service: Some(subscription.id),
            ..new_ticket(dept.id, "Incident to redeem")
        })
        .await
        .expect("ticket");
    a.create_contract(&ferrodesk_client::api_types::NewContract {
        customer_id: subscriber.id,
        start: "2026-01-01".into(),
        end: "2099-12-31".into(),
        incidents: Some(
            [(
                "phone".to_owned(),
                ferrodesk_client::api_types::IncidentInput { total: 2, used: None },
            )]
            .into(),
        ),
        ..Default::default()
    })
    .await
    .expect("contract");
    a.redeem_incidents(ticket.id, &["phone"]).await.expect("redeem");
    a.create_support_level(&ferrodesk_client::api_types::NewSupportLevel {
        name: "Gold".into(),
        description: Some("Four hours".into()),
        max_first_response_minutes: Some(240),
    })
    .await
    .expect("support level");
    a.create_billing_link(
        subscriber.id,
        &ferrodesk_client::api_types::NewBillingLink {
            billing_system: "blesta".into(),
            billing_id: "c-77".into(),
        },
    )
    .await
    .expect("billing link");
    use ferrodesk_client::api_types::{NewInvoice, NewInvoiceItem};
    for draft in [false, true] {
        let invoice = a
            .create_invoice(&NewInvoice {
                customer_id: subscriber.id,
                currency: "CHF".into(),
                items: vec![NewInvoiceItem {
                    description: "Seats".into(),
                    quantity: Some(4),
                    unit_amount: 1200,
                }],
                draft: Some(draft),
                ..NewInvoice::default()
            })
            .await
            .expect("invoice");
        if !draft {
            use ferrodesk_client::api_types::{NewPayment, NewRefund};
            let paid = a
                .apply_payment(
                    invoice.id,
                    &NewPayment {
                        amount: 2000,
                        method: Some("card".into()),
                        reference: None,
                    },
                )
                .await
                .expect("payment");
            a.refund_payment(paid.id, &NewRefund { amount: 500 })
                .await
                .expect("refund");
        }
    }
    let old = a
        .create_plan(&NewPlan {
            package_id: pack.id,
            name: "Old".into(),
            currency: "CHF".into(),
            interval: "year".into(),
            pricing: "flat".into(),
            amount: Some(99_00),
            ..NewPlan::default()
        })
        .await
        .expect("plan");
    a.delete_plan(old.id).await.expect("delete plan");
}

async fn fill_customer_database(s: &TestServer) {
    let a = &s.admin;
    for input in [
        AttributeInput {
            searchable: Some(true),
            ..attribute("industry", "text")
        },
        attribute("seats", "number"),
        attribute("renewal", "date"),
        AttributeInput {
            unique: Some(true),
            ..attribute("vat", "text")
        },
        AttributeInput {
            options: Some(vec!["gold".into(), "silver".into()]),
            ..attribute("plan", "select")
        },
        attribute("legacy", "text"),
    ] {
        a.create_attribute(AttributeEntity::Customer, &input)
            .await
            .expect("customer attribute");
    }
    for input in [
        AttributeInput {
            searchable: Some(true),
            ..attribute("role_title", "text")
        },
        attribute("level", "number"),
    ] {
        a.create_attribute(AttributeEntity::EndUser, &input)
            .await
            .expect("end-user attribute");
    }
    // 9 < 10 < 100 as numbers, where their text sorts "10" < "100" < "9".
    let mut customers = Vec::new();
    for (name, seats, industry, renewal, vat, tags) in [
        ("Jamaica Rum", 9, "Distillery", "2027-01-01", "JM-1", vec!["vip"]),
        ("Berlin Bikes", 10, "Bicycles", "2026-06-30", "DE-2", vec!["eu", "vip"]),
        ("Hamburg Harbour", 100, "Logistics", "2028-03-15", "DE-3", vec!["eu"]),
    ] {
        let c = a
            .create_customer(&NewCustomer {
                name: name.into(),
                tags: Some(tags.into_iter().map(String::from).collect()),
                attributes: values(&[
                    ("seats", json!(seats)),
                    ("industry", json!(industry)),
                    ("renewal", json!(renewal)),
                    ("vat", json!(vat)),
                    ("plan", json!("gold")),
                    ("legacy", json!(format!("old-{vat}"))),
                ]),
                ..Default::default()
            })
            .await
            .expect("customer with attributes");
        customers.push(c);
    }
    for (customer, first, last, role_title, level) in [
        (&customers[1], "Ada", "Lovelace", "Analyst", 3),
        (&customers[2], "Grace", "Hopper", "Rear Admiral", 10),
    ] {
        a.create_end_user(&NewEndUser {
            customer_id: customer.id,
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            attributes: values(&[("role_title", json!(role_title)), ("level", json!(level))]),
            ..Default::default()
        })
        .await
        .expect("end user with attributes");
    }
    // A deleted attribute hides its values; they stay stored for its restore.
    let legacy = a
        .attributes(AttributeEntity::Customer)
        .await
        .expect("attributes")
        .data
        .into_iter()
        .find(|x| x.name == "legacy")
        .and_then(|x| x.id)
        .expect("legacy attribute");
    a.delete_attribute(AttributeEntity::Customer, legacy)
        .await
        .expect("delete attribute");
}

/// One list request: `GET /api/v1/{list}?{query}`, and the names it must list first.
struct ListCheck {
    list: &'static str,
    query: &'static [(&'static str, &'static str)],
    first: &'static [&'static str],
}

const fn check(
    list: &'static str,
    query: &'static [(&'static str, &'static str)],
    first: &'static [&'static str],
) -> ListCheck {
    ListCheck { list, query, first }
}

/// The list queries over attributes, tags, names and keywords that must answer alike on every backend,
/// with the names each must list first (checked on the source, so the comparison is not vacuous).
const CUSTOMER_LISTS: &[ListCheck] = &[
    check(
        "customers",
        &[("filter", "seats{gt}9"), ("sort", "seats")],
        &["Berlin Bikes", "Hamburg Harbour"],
    ),
    check(
        "customers",
        &[("sort", "-seats")],
        &["Hamburg Harbour", "Berlin Bikes", "Jamaica Rum"],
    ),
    check(
        "customers",
        &[("filter", "seats{in}9,100")],
        &["Hamburg Harbour", "Jamaica Rum"],
    ),
    check(
        "customers",
        &[("filter", "renewal{lt}2027-06-01"), ("sort", "renewal")],
        &["Berlin Bikes", "Jamaica Rum"],
    ),
    check("customers", &[("filter", "vat{eq}de-2")], &["Berlin Bikes"]),
    check("customers", &[("filter", "industry{sw}BI")], &["Berlin Bikes"]),
    check("customers", &[("tag", "eu")], &["Hamburg Harbour", "Berlin Bikes"]),
    check(
        "customers",
        &[("filter", "tags{ne}vip;plan{eq}gold")],
        &["Hamburg Harbour"],
    ),
    check("customers", &[("keyword", "logistics")], &["Hamburg Harbour"]),
    check("customers", &[("keyword", "distill")], &["Jamaica Rum"]),
    check("end-users", &[("keyword", "analyst")], &["Ada Lovelace"]),
    check("end-users", &[("keyword", "admiral hopper")], &["Grace Hopper"]),
    check("end-users", &[("filter", "last_name{eq}LOVELACE")], &["Ada Lovelace"]),
    check("end-users", &[("filter", "first_name{sw}gra")], &["Grace Hopper"]),
    check("end-users", &[("filter", "level{gte}5")], &["Grace Hopper"]),
    check("end-users", &[("sort", "-level")], &["Grace Hopper", "Ada Lovelace"]),
];

/// Every list of [`CUSTOMER_LISTS`]: its body, after checking the names it lists first.
async fn customer_lists(s: &TestServer, what: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for ListCheck { list, query, first } in CUSTOMER_LISTS {
        let path = format!("/api/v1/{list}");
        let body: Value = s
            .admin
            .get_query(&path, query)
            .await
            .unwrap_or_else(|e| panic!("{what}: GET {path} {query:?}: {e}"));
        let names: Vec<&str> = body["data"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(
            names.starts_with(first),
            "{what}: GET {path} {query:?} lists {names:?}, not first {first:?}"
        );
        out.push((format!("{path} {query:?}"), body));
    }
    out
}

/// What the database itself holds after a copy: unique attribute values are still unique, and the values
/// of a deleted attribute come back with it.
async fn customer_database_holds(s: &TestServer, what: &str) {
    let p = assert_code(
        s.admin
            .create_customer(&NewCustomer {
                name: "Copycat".into(),
                attributes: values(&[("vat", json!("de-2"))]),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["vat"], "{what}: a unique value is still taken");
}

/// The paths whose bodies must survive a copy.
async fn paths(s: &TestServer) -> Vec<String> {
    let mut paths: Vec<String> = [
        "/api/v1/me",
        "/api/v1/staff?limit=500",
        "/api/v1/tokens?limit=500",
        "/api/v1/brands?limit=500",
        "/api/v1/departments?limit=500",
        "/api/v1/customers?limit=500",
        "/api/v1/end-users?limit=500",
        "/api/v1/tickets?limit=500",
        "/api/v1/tickets?limit=500&sort=lastreply",
        "/api/v1/events?limit=500",
        "/api/v1/attributes/customer",
        "/api/v1/attributes/end_user",
        "/api/v1/features?limit=500&deleted=include",
        "/api/v1/groups?limit=500",
        "/api/v1/packages?limit=500&deleted=include",
        "/api/v1/plans?limit=500&deleted=include",
        "/api/v1/invoices?limit=500",
        "/api/v1/support-levels?limit=500",
        "/api/v1/contracts?limit=500",
    ]
    .map(str::to_owned)
    .to_vec();
    let events: Value = s.admin.get("/api/v1/events?limit=500").await.expect("events");
    let events = events["data"].as_array().expect("event list");
    assert!(events.len() > 20, "the fill writes events");
    for e in events {
        let id = e["data"]["value"]["id"]
            .as_i64()
            .or(e["entity_id"].as_i64())
            .unwrap_or(0);
        match e["data"]["type"].as_str() {
            Some("ticket") => {
                paths.push(format!("/api/v1/tickets/{id}?include=replies"));
                paths.push(format!("/api/v1/tickets/{id}/replies"));
                paths.push(format!("/api/v1/tickets/{id}/incidents"));
            }
            Some("invoice") => {
                paths.push(format!("/api/v1/invoices/{id}"));
                paths.push(format!("/api/v1/invoices/{id}/payments"));
                paths.push(format!("/api/v1/invoices/{id}/refunds"));
            }
            Some("subscription") => {
                paths.push(format!("/api/v1/subscriptions/{id}"));
                paths.push(format!("/api/v1/subscriptions/{id}/items"));
            }
            Some("customer") => {
                paths.push(format!("/api/v1/customers/{id}"));
                paths.push(format!("/api/v1/customers/{id}/events"));
                paths.push(format!("/api/v1/customers/{id}/end-users"));
                paths.push(format!("/api/v1/customers/{id}/subscriptions"));
                paths.push(format!("/api/v1/customers/{id}/billing-links"));
            }
            Some("end_user") => {
                paths.push(format!("/api/v1/end-users/{id}"));
                paths.push(format!("/api/v1/end-users/{id}/tokens"));
            }
            _ => {}
        }
        paths.push(format!("/api/v1/events/{}", e["id"]));
    }
    paths.sort();
    paths.dedup();
    paths
}

/// Every path's status and body (a deleted ticket's 404 counts too).
async fn read_all(s: &TestServer, paths: &[String]) -> Vec<(String, Value)> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let body = match s.admin.get::<Value>(path).await {
            Ok(v) => v,
            Err(e) => serde_json::json!({"error": e.code().map(|c| format!("{c:?}"))}),
        };
        out.push((path.clone(), body));
    }
    out
}

/// Which tickets a search finds (ranking scores and excerpts are each backend's own).
async fn found(s: &TestServer, q: &str) -> Vec<String> {
    let results: Value = s
        .admin
        .get(&format!("/api/v1/search?q={q}&types=tickets,customers,end_users"))
        .await
        .expect("search");
    let mut ids: Vec<String> = results["data"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| format!("{}:{}", r["type"], r["id"]))
        .collect();
    ids.sort_unstable();
    ids
}

fn assert_same(before: &[(String, Value)], after: &[(String, Value)], what: &str) {
    assert_eq!(before.len(), after.len());
    for ((path, a), (_, b)) in before.iter().zip(after) {
        assert_eq!(a, b, "{what}: GET {path} differs");
    }
}

pub(crate) fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/ferrodesk.db", dir.display())
}

#[tokio::test]
async fn export_and_restore_move_every_record_to_the_other_backend_and_back() {
    let scratch_dir = temp_dir();
    let scratch = scratch_dir.path();

    // Made on SQLite, copied while the server runs.
    let source = TestServer::start_on(sqlite_url(&scratch.join("a")), None, |_| {}).await;
    let end_user_token = fill(&source).await;
    let paths = paths(&source).await;
    let before = read_all(&source, &paths).await;
    let lists = customer_lists(&source, "on the source").await;
    let searched = found(&source, "café").await;
    assert!(!searched.is_empty());
    // The last word also matches as a prefix: on SQLite through the vocabulary a restore rebuilds.
    let prefixed = found(&source, "numer").await;
    assert_eq!(prefixed.len(), 2, "numer finds both numero tickets");
    let first = scratch.join("first.jsonl.gz");
    export(&source.database_url, &first);
    source.shutdown().await;

    // Into the other backend (PostgreSQL when the suite runs on it).
    let (target_url, _target_dir) = fresh_database().await;
    restore(&target_url, &first);
    let (ok, out) = cli(&["restore", &first.to_string_lossy()], &target_url);
    assert!(!ok && out.contains("not empty"), "a second restore is refused: {out}");
    let target = TestServer::start_on(target_url.clone(), None, |_| {}).await;
    assert_same(&before, &read_all(&target, &paths).await, "after the first restore");
    assert_same(
        &lists,
        &customer_lists(&target, "after the first restore").await,
        "after the first restore",
    );
    customer_database_holds(&target, "after the first restore").await;
    assert_eq!(found(&target, "café").await, searched);
    assert_eq!(found(&target, "numer").await, prefixed);
    assert_eq!(
        found(&target, "numero").await.len(),
        2,
        "accents fold alike on both backends"
    );
    target
        .client(&end_user_token)
        .me()
        .await
        .expect("a restored token still authenticates");

    // New records continue after the copied ids.
    let tickets: Value = target.admin.get("/api/v1/tickets?limit=1").await.expect("tickets");
    let newest = tickets["data"][0]["id"].as_i64().expect("a ticket");
    let department = target.department().await;
    let person = target.customer().await;
    let t = person
        .client
        .create_ticket(&new_ticket(department.id, "After the move"))
        .await
        .expect("a ticket after the restore");
    assert!(t.id > newest, "ids go on after the restored ones");
    let paths = crate::transfer::paths(&target).await;
    let moved = read_all(&target, &paths).await;
    let lists_moved = customer_lists(&target, "after new records").await;
    let second = scratch.join("second.jsonl.gz");
    export(&target.database_url, &second);
    target.shutdown().await;

    // And back to SQLite.
    let back_url = sqlite_url(&scratch.join("b"));
    restore(&back_url, &second);
    let back = TestServer::start_on(back_url, None, |_| {}).await;
    assert_same(&moved, &read_all(&back, &paths).await, "after the way back");
    assert_same(
        &lists_moved,
        &customer_lists(&back, "after the way back").await,
        "after the way back",
    );
    customer_database_holds(&back, "after the way back").await;
    assert_eq!(found(&back, "numer").await, prefixed);
    // The values of the attribute deleted before the copies come back with its restore.
    // (Deleted attributes are not shown, not even by id: restoring every id that is not listed finds it.)
    let live: Vec<i64> = back
        .admin
        .attributes(AttributeEntity::Customer)
        .await
        .expect("attributes")
        .data
        .iter()
        .filter_map(|a| a.id)
        .collect();
    assert_eq!(live.len(), 5, "the live custom attributes: {live:?}");
    let mut restored = Vec::new();
    for id in (1..=20).filter(|id| !live.contains(id)) {
        if let Ok(a) = back.admin.restore_attribute(AttributeEntity::Customer, id).await {
            restored.push(a.name);
        }
    }
    assert_eq!(restored, ["legacy"], "the deleted attribute was copied as deleted");
    let body: Value = back
        .admin
        .get_query("/api/v1/customers", &[("filter", "legacy{sw}OLD-DE")])
        .await
        .expect("customers");
    let restored: Vec<(&str, &str)> = body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or(""), c["legacy"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        restored,
        [("Hamburg Harbour", "old-DE-3"), ("Berlin Bikes", "old-DE-2")],
        "values of a deleted attribute survive two copies"
    );
    back.shutdown().await;
}

#[tokio::test]
async fn a_damaged_copy_restores_nothing() {
    let scratch_dir = temp_dir();
    let scratch = scratch_dir.path();
    let source = TestServer::start_on(sqlite_url(&scratch.join("a")), None, |_| {}).await;
    fill(&source).await;
    let file = scratch.join("copy.jsonl.gz");
    export(&source.database_url, &file);
    source.shutdown().await;

    // Exported files hold password and token hashes: only their owner may read them.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o077, 0, "export file mode {mode:o}");
    }
    let (ok, out) = cli(&["export", &file.to_string_lossy()], &sqlite_url(&scratch.join("a")));
    assert!(!ok && out.contains("must not exist"), "export never overwrites: {out}");

    // The same rows with the last ones cut off, compressed again: a whole gzip file that ends early.
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&file).expect("open"))
            .read_to_string(&mut s)
            .expect("gunzip");
        s
    };
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines[..lines.len() - 3].join("\n") + "\n";
    let truncated = scratch.join("truncated.jsonl.gz");
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&truncated).expect("create"),
            flate2::Compression::fast(),
        );
        gz.write_all(cut.as_bytes()).expect("write");
        gz.finish().expect("finish");
    }
    let (target_url, _target_dir) = fresh_database().await;
    let (ok, out) = cli(&["restore", &truncated.to_string_lossy()], &target_url);
    assert!(!ok && out.contains("nothing was restored"), "{out}");

    // Nothing of it stayed: the good copy still loads into the same database.
    restore(&target_url, &file);

    // Not a copy at all.
    let junk = scratch.join("junk.gz");
    std::fs::write(&junk, b"hello").expect("write");
    let (other_url, _other_dir) = fresh_database().await;
    let (ok, out) = cli(&["restore", &junk.to_string_lossy()], &other_url);
    assert!(!ok && out.contains("not a gzip file"), "{out}");
}
