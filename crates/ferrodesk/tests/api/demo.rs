//! `ferrodesk demo` as a new user runs it: example data through the use cases, logins printed, a second run
//! refused.
use crate::pages::Browser;
use crate::process::ferrodesk;
use crate::*;
use reqwest::StatusCode;

/// Every item of a list, page after page: `all!(client, method, QueryType)`.
macro_rules! all {
    ($client:expr, $method:ident, $query:ident) => {{
        let mut items = Vec::new();
        let mut cursor = None;
        loop {
            let query = $query {
                cursor,
                ..Default::default()
            };
            let page = $client.$method(&query).await.expect(stringify!($method));
            items.extend(page.data);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break items;
            }
        }
    }};
}

/// The value printed after `label` on the line that mentions `line_with`.
fn printed(text: &str, line_with: &str, label: &str) -> String {
    text.lines()
        .find(|l| l.contains(line_with))
        .and_then(|l| l.split(label).nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {label} on the line with {line_with}: {text}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_loads_a_living_help_desk_once() {
    let (db, dir) = fresh_database().await;
    let out = ferrodesk(&["demo", "--database-url", &db]).output().expect("run demo");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("12 tickets"), "{text}");
    let agent_password = printed(&text, "agent@demo.example", "password:");
    let portal_password = printed(&text, "alice@acme.example", "password:");
    let admin_password = printed(&text, "admin@demo.example", "password:");

    let s = TestServer::start_on(db.clone(), dir, |_| {}).await;
    let a = &s.admin;
    let brands = all!(a, brands, ListQuery);
    assert_eq!(brands.len(), 2);
    assert!(brands.iter().all(|b| !b.greeting.is_empty()));
    let departments = all!(a, departments, ListQuery);
    assert_eq!(departments.len(), 5);
    let customers = all!(a, customers, ListQuery);
    assert_eq!(customers.len(), 6);
    assert!(
        customers.iter().all(|c| c.attributes.contains_key("tier")),
        "{customers:?}"
    );
    let definitions = a.attributes(AttributeEntity::Customer).await.expect("attributes").data;
    for name in ["tier", "account_manager", "vip", "customer_since"] {
        assert!(
            definitions.iter().any(|d| d.name == name && d.id.is_some()),
            "{name}: {definitions:?}"
        );
    }
    let end_users = all!(a, end_users, ListQuery);
    assert_eq!(end_users.len(), 8);
    let plans = all!(a, plans, CatalogueQuery);
    assert_eq!(plans.len(), 4);
    let invoices = all!(a, invoices, InvoiceQuery);
    let unpaid = invoices.iter().filter(|i| i.amount_due > 0).count();
    assert!(
        invoices.len() >= 6 && unpaid >= 2 && unpaid < invoices.len(),
        "{invoices:?}"
    );
    let contracts = all!(a, contracts, ContractQuery);
    assert!(
        contracts
            .iter()
            .any(|c| c.support_level_id.is_some() && !c.incidents.is_empty())
    );
    assert!(
        contracts.iter().any(|c| c.incidents.values().any(|n| n.used > 0)),
        "an incident redeemed"
    );
    let mut subscriptions = 0;
    for c in &customers {
        subscriptions += a
            .subscriptions(c.id, &ListQuery::default())
            .await
            .expect("subscriptions")
            .data
            .len();
    }
    assert_eq!(subscriptions, 5);

    let tickets = all!(a, tickets, TicketQuery);
    assert_eq!(tickets.len(), 12);
    let statuses: std::collections::BTreeSet<_> = tickets.iter().map(|t| t.status.as_str()).collect();
    assert_eq!(statuses.len(), TicketStatus::ALL.len(), "every status: {statuses:?}");
    let priorities: std::collections::BTreeSet<_> = tickets.iter().map(|t| i64::from(t.priority)).collect();
    assert_eq!(priorities.len(), 3);
    assert!(tickets.iter().any(|t| t.locked) && tickets.iter().any(|t| t.assigned.is_some()));
    let mut replies = Vec::new();
    for t in &tickets {
        replies.extend(a.replies(t.id).await.expect("replies").data);
    }
    assert!(replies.iter().any(|r| r.internal), "internal notes");
    assert!(replies.iter().any(|r| r.admin && !r.internal), "staff replies");
    assert!(
        replies.iter().filter(|r| !r.admin).count() > tickets.len(),
        "customer replies"
    );

    // The printed logins work.
    let agent = Browser::new(&s);
    let landed = agent.login("agent@demo.example", &agent_password).await;
    assert_eq!(
        (landed.status, landed.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/agent"))
    );
    let admin = Browser::new(&s);
    let landed = admin.login("admin@demo.example", &admin_password).await;
    assert_eq!(
        (landed.status, landed.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/agent"))
    );
    let customer = Browser::new(&s);
    let landed = customer.login("alice@acme.example", &portal_password).await;
    assert_eq!(
        (landed.status, landed.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/portal"))
    );

    // A second run leaves the database alone and says why.
    let again = ferrodesk(&["demo", "--database-url", &db])
        .output()
        .expect("run demo again");
    assert!(!again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("has brands already"), "{said}");
    let tickets_after = all!(a, tickets, TicketQuery);
    assert_eq!(tickets_after.len(), 12);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_refuses_a_database_with_brands_of_its_own() {
    let s = TestServer::start().await;
    s.department().await;
    let out = ferrodesk(&["demo", "--database-url", &s.database_url])
        .output()
        .expect("run demo");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has brands already"));
    let customers = s.admin.customers(&ListQuery::default()).await.expect("customers");
    assert!(customers.data.is_empty(), "nothing loaded");
    s.shutdown().await;
}
