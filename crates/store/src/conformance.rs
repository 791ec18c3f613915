//! The storage conformance suite: one set of checks that every backend must pass, unchanged.
//!
//! A backend's integration test calls [`run_all`] with a factory that opens a fresh, empty, migrated store.
//! Every check gets its own store, so checks never see each other's rows, and uses only the public
//! [`Store`], [`Reader`] and [`Writer`] API. A failing check panics; the runner catches the panic, runs the
//! remaining checks, and then panics itself, naming every check that failed.
//!
//! `FERRODESK_CONFORMANCE_ONLY=part,part` runs only the checks whose names contain one of the parts.

use crate::time::{from_micros, now, to_micros};
use crate::{
    AssignedFilter, EventFilter, MARK_END, MARK_START, PageRequest, Reader, SearchKind, SearchRequest, SearchRow,
    Store, StoreError, TicketFilter, TicketSort, Writer,
};
use domain::event::NewEvent;
use domain::{
    ApiToken, Brand, Cursor, Customer, Department, EndUser, EntityType, Event, EventAction, EventSource, Priority,
    Reply, Role, Staff, Ticket, TicketStatus, Timestamp,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What a check returns: a boxed future, so that checks of different bodies fit in one list.
pub type CheckFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One named check. It panics (with an assertion message) when the store does not conform.
pub struct Check {
    pub name: &'static str,
    pub run: fn(Arc<dyn Store>) -> CheckFuture,
}

/// How long one check may take before it counts as failed (a deadlock, or a pool that never answers).
const CHECK_TIMEOUT: Duration = Duration::from_secs(120);

macro_rules! checks {
    ($($name:ident),* $(,)?) => {
        vec![$(Check { name: stringify!($name), run: |s| Box::pin($name(s)) }),*]
    };
}

/// Every check of the suite, in the order they run.
pub fn checks() -> Vec<Check> {
    checks![
        fresh_store_is_empty,
        staff_round_trip,
        token_round_trip,
        brand_round_trip,
        department_round_trip,
        customer_round_trip,
        end_user_round_trip,
        ticket_round_trip,
        reply_round_trip,
        delete_ticket_removes_replies,
        event_round_trip,
        unique_constraints_conflict,
        foreign_keys_reference,
        writer_dropped_without_commit_rolls_back,
        commit_is_visible_to_new_readers,
        brand_list_pages,
        customer_list_pages,
        end_user_list_pages,
        department_list_pages,
        ticket_list_filters,
        ticket_list_sorts_and_cursors,
        ticket_list_terms,
        search_tickets,
        search_customer_scope,
        search_people,
        verbatim_text,
        event_list_filters,
        concurrent_writers,
    ]
}

/// Runs every check (or those selected by `FERRODESK_CONFORMANCE_ONLY`), each on a fresh store from `make`,
/// and panics naming the checks that failed.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let only: Option<Vec<String>> = std::env::var("FERRODESK_CONFORMANCE_ONLY").ok().map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let selected = checks()
        .into_iter()
        .filter(|c| {
            only.as_ref()
                .is_none_or(|parts| parts.iter().any(|p| c.name.contains(p.as_str())))
        })
        .collect();
    run_checks(make, selected).await;
}

/// Runs `checks`, each on a fresh store from `make`, and panics naming the checks that failed.
pub async fn run_checks<F, Fut>(make: F, checks: Vec<Check>)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let total = checks.len();
    let mut failed = Vec::new();
    for check in checks {
        let store = make().await;
        let backend = store.backend();
        let mut task = tokio::spawn((check.run)(Arc::clone(&store)));
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, &mut task).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(panic_message(e)),
            Err(_) => {
                task.abort();
                let _ = task.await;
                Err(format!("timed out after {CHECK_TIMEOUT:?}"))
            }
        };
        store.close().await;
        match outcome {
            Ok(()) => eprintln!("conformance [{backend}] {} ... ok", check.name),
            Err(why) => {
                eprintln!("conformance [{backend}] {} ... FAILED: {why}", check.name);
                failed.push(format!("{}: {why}", check.name));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {total} conformance checks failed:\n  {}",
        failed.len(),
        failed.join("\n  ")
    );
}

fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned()),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------- helpers

async fn writer(s: &Arc<dyn Store>) -> Box<dyn Writer> {
    s.write().await.expect("Store::write")
}

async fn reader(s: &Arc<dyn Store>) -> Box<dyn Reader> {
    s.read().await.expect("Store::read")
}

/// `base` moved by a number of microseconds.
fn at(base: Timestamp, micros: i64) -> Timestamp {
    from_micros(to_micros(base) + micros)
}

trait HasId {
    fn id(&self) -> i64;
}

macro_rules! has_id {
    ($($t:ty),*) => { $(impl HasId for $t { fn id(&self) -> i64 { self.id } })* };
}
has_id!(
    Staff, ApiToken, Brand, Department, Customer, EndUser, Ticket, Reply, Event, SearchRow
);

fn ids<T: HasId>(rows: &[T]) -> Vec<i64> {
    rows.iter().map(HasId::id).collect()
}

fn id_set<T: HasId>(rows: &[T]) -> BTreeSet<i64> {
    rows.iter().map(HasId::id).collect()
}

fn newest_first(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable_by(|a, b| b.cmp(a));
    v
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) {
    match r {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{what}: expected StoreError::Conflict, got {other:?}"),
    }
}

#[track_caller]
fn assert_reference<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) {
    match r {
        Err(StoreError::Reference(_)) => {}
        other => panic!("{what}: expected StoreError::Reference, got {other:?}"),
    }
}

/// Follows an id-ordered (newest first) list page by page and returns every id in order.
macro_rules! id_pages {
    ($limit:expr, $page:ident => $fetch:expr) => {{
        let limit: u32 = $limit;
        let mut all: Vec<i64> = Vec::new();
        let mut after: Option<Cursor> = None;
        for _ in 0..100 {
            let $page = PageRequest {
                limit,
                after: after.clone(),
            };
            let rows = ids(&$fetch);
            assert!(
                rows.len() <= limit as usize,
                "a page is longer than its limit {limit}: {rows:?}"
            );
            match rows.last() {
                None => break,
                Some(&last) => after = Some(Cursor { key: 0, id: last }),
            }
            all.extend(rows);
        }
        all
    }};
}

fn new_staff(email: &str, name: &str, role: Role) -> Staff {
    let now = now();
    Staff {
        id: 0,
        email: email.into(),
        name: name.into(),
        role,
        created_at: now,
        updated_at: now,
    }
}

fn new_brand(name: &str, slug: &str) -> Brand {
    let now = now();
    Brand {
        id: 0,
        name: name.into(),
        slug: slug.into(),
        greeting: format!("Thank you for calling {name}"),
        customer_backend: "local".into(),
        created_at: now,
        updated_at: now,
    }
}

fn new_department(brand_id: i64, name: &str, slug: &str, public: bool) -> Department {
    let now = now();
    Department {
        id: 0,
        brand_id,
        name: name.into(),
        slug: slug.into(),
        description: format!("{name} questions"),
        public,
        created_at: now,
        updated_at: now,
    }
}

fn new_customer(name: &str, external_id: Option<&str>) -> Customer {
    let now = now();
    Customer {
        id: 0,
        name: name.into(),
        email: None,
        phone: None,
        external_id: external_id.map(str::to_owned),
        tags: vec![],
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

fn new_end_user(customer_id: i64, name: &str, email: Option<&str>) -> EndUser {
    let now = now();
    EndUser {
        id: 0,
        customer_id,
        name: name.into(),
        email: email.map(str::to_owned),
        phone: None,
        tags: vec![],
        has_password: false,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

fn new_ticket(w: &World, title: &str) -> Ticket {
    let now = now();
    Ticket {
        id: 0,
        did: w.department.id,
        user_id: w.end_user.id,
        customer_id: w.customer.id,
        status: TicketStatus::Waiting,
        locked: false,
        priority: Priority::MEDIUM,
        title: title.into(),
        ctime: now,
        lastreply: now,
        read_by_customer: true,
        read_by_staff: false,
        service: None,
        assigned: None,
        assigned_by: None,
        custom_fields: Map::new(),
        redeemed: vec![],
        account_key: None,
        updated_at: now,
        replies: None,
    }
}

fn new_reply(ticket_id: i64, message: &str, internal: bool) -> Reply {
    Reply {
        id: 0,
        owner_id: ticket_id,
        user_id: 1,
        admin: internal,
        name: if internal { "Agent".into() } else { "Customer".into() },
        encrypted: false,
        message: message.into(),
        ctime: now(),
        ip: None,
        internal,
    }
}

fn new_event(entity: EntityType, entity_id: i64, customer_id: Option<i64>) -> NewEvent {
    NewEvent {
        source: EventSource::Api,
        member_id: Some(1),
        member_type: Some("staff"),
        url: Some(format!("/api/v1/{}/{entity_id}", entity.as_str())),
        action: EventAction::Created,
        name: None,
        entity,
        entity_id,
        customer_id,
        value: json!({ "id": entity_id }),
        old: Value::Null,
    }
}

/// The rows most checks need: a brand with a department, a customer with an end user, and an agent.
struct World {
    brand: Brand,
    department: Department,
    customer: Customer,
    end_user: EndUser,
    staff: Staff,
}

async fn world(s: &Arc<dyn Store>) -> World {
    let mut w = writer(s).await;
    let brand = w.insert_brand(&new_brand("Acme", "acme")).await.expect("insert brand");
    let department = w
        .insert_department(&new_department(brand.id, "Support", "support", true))
        .await
        .expect("insert department");
    let customer = w
        .insert_customer(&new_customer("Globex", Some("globex-1")))
        .await
        .expect("insert customer");
    let end_user = w
        .insert_end_user(&new_end_user(customer.id, "Homer", Some("homer@example.com")), None)
        .await
        .expect("insert end user");
    let staff = w
        .insert_staff(&new_staff("agent@example.com", "Agent Smith", Role::Agent), "hash")
        .await
        .expect("insert staff");
    w.commit().await.expect("commit world");
    World {
        brand,
        department,
        customer,
        end_user,
        staff,
    }
}

async fn insert_tickets(s: &Arc<dyn Store>, tickets: Vec<Ticket>) -> Vec<Ticket> {
    let mut w = writer(s).await;
    let mut out = Vec::with_capacity(tickets.len());
    for t in &tickets {
        out.push(w.insert_ticket(t).await.expect("insert ticket"));
    }
    w.commit().await.expect("commit tickets");
    out
}

async fn insert_replies(s: &Arc<dyn Store>, replies: Vec<Reply>) -> Vec<Reply> {
    let mut w = writer(s).await;
    let mut out = Vec::with_capacity(replies.len());
    for r in &replies {
        out.push(w.insert_reply(r).await.expect("insert reply"));
    }
    w.commit().await.expect("commit replies");
    out
}

fn ticket_terms(terms: &[&str], search_internal: bool) -> TicketFilter {
    TicketFilter {
        terms: terms.iter().map(|t| (*t).to_owned()).collect(),
        search_internal,
        ..TicketFilter::default()
    }
}

async fn term_ids(r: &mut Box<dyn Reader>, terms: &[&str], search_internal: bool) -> Vec<i64> {
    ids(&r
        .ticket_list(&ticket_terms(terms, search_internal))
        .await
        .expect("ticket_list with terms"))
}

fn search_request(terms: &[&str], kinds: &[SearchKind], customer_scope: Option<i64>) -> SearchRequest {
    SearchRequest {
        terms: terms.iter().map(|t| (*t).to_owned()).collect(),
        kinds: kinds.to_vec(),
        limit: 20,
        customer_scope,
    }
}

async fn search(r: &mut Box<dyn Reader>, terms: &[&str], kinds: &[SearchKind], scope: Option<i64>) -> Vec<SearchRow> {
    let rows = r.search(&search_request(terms, kinds, scope)).await.expect("search");
    for row in &rows {
        assert!(
            kinds.contains(&row.kind),
            "search for {kinds:?} returned a {:?}",
            row.kind
        );
        assert!(row.score.is_finite(), "search score is not finite: {row:?}");
    }
    for kind in kinds {
        let scores: Vec<f64> = rows
            .iter()
            .filter(|row| row.kind == *kind)
            .map(|row| row.score)
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "{kind:?} hits are not ranked best first: {scores:?}"
        );
    }
    rows
}

#[track_caller]
fn assert_marked(row: &SearchRow, word: &str) {
    assert!(
        row.text.to_lowercase().contains(&word.to_lowercase()),
        "text of {:?} {} does not show {word:?}: {:?}",
        row.kind,
        row.id,
        row.text
    );
    let marked = domain::excerpt(&row.text, &[word.to_owned()], 24);
    assert!(
        marked.contains(MARK_START) && marked.contains(MARK_END),
        "the excerpt of {:?} {} marks no match: {marked:?}",
        row.kind,
        row.id,
    );
}

// ---------------------------------------------------------------- checks: records

async fn fresh_store_is_empty(s: Arc<dyn Store>) {
    s.ping().await.expect("ping");
    assert!(!s.backend().is_empty(), "backend() is empty");
    let mut r = reader(&s).await;
    assert_eq!(r.staff_count().await.expect("staff_count"), 0);
    assert!(
        r.staff_list(&PageRequest::first(10))
            .await
            .expect("staff_list")
            .is_empty()
    );
    assert!(
        r.token_list(&PageRequest::first(10))
            .await
            .expect("token_list")
            .is_empty()
    );
    assert!(
        r.brand_list(&PageRequest::first(10))
            .await
            .expect("brand_list")
            .is_empty()
    );
    assert!(
        r.department_list(None, false, &PageRequest::first(10))
            .await
            .expect("department_list")
            .is_empty()
    );
    assert!(
        r.customer_list(false, &PageRequest::first(10))
            .await
            .expect("customer_list")
            .is_empty()
    );
    assert!(
        r.end_user_list(None, false, &PageRequest::first(10))
            .await
            .expect("end_user_list")
            .is_empty()
    );
    assert!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .is_empty()
    );
    let events = r
        .event_list(&EventFilter {
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .expect("event_list");
    assert!(events.is_empty());
    assert!(r.ticket(1).await.expect("ticket").is_none());
    assert!(r.staff(1).await.expect("staff").is_none());
    assert!(r.event(1).await.expect("event").is_none());
}

async fn staff_round_trip(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let ann = w
        .insert_staff(&new_staff("ann@example.com", "Ann Admin", Role::Admin), "$argon2id$ann")
        .await
        .expect("insert ann");
    let bob = w
        .insert_staff(&new_staff("bob@example.com", "Bob Agent", Role::Agent), "$argon2id$bob")
        .await
        .expect("insert bob");
    assert!(
        ann.id > 0 && bob.id > 0 && ann.id != bob.id,
        "ids {} and {}",
        ann.id,
        bob.id
    );
    assert_eq!(
        w.staff(ann.id).await.expect("staff in writer"),
        Some(ann.clone()),
        "a writer reads its own writes"
    );
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.staff(ann.id).await.expect("staff"), Some(ann.clone()));
    assert_eq!(r.staff(bob.id).await.expect("staff"), Some(bob.clone()));
    let creds = r
        .staff_credentials("ann@example.com")
        .await
        .expect("credentials")
        .expect("ann's credentials");
    assert_eq!(creds.staff, ann);
    assert_eq!(creds.password_hash, "$argon2id$ann");
    assert!(
        r.staff_credentials("nobody@example.com")
            .await
            .expect("credentials")
            .is_none()
    );
    assert_eq!(r.staff_count().await.expect("staff_count"), 2);
    assert_eq!(
        r.staff_list(&PageRequest::first(10)).await.expect("staff_list"),
        vec![bob.clone(), ann.clone()]
    );
    assert_eq!(
        id_pages!(1, page => r.staff_list(&page).await.expect("staff_list")),
        vec![bob.id, ann.id]
    );
    drop(r);

    // Every field; no new password keeps the old one.
    let ann2 = Staff {
        email: "ann.new@example.com".into(),
        name: "Ann Agent".into(),
        role: Role::Agent,
        updated_at: at(now(), 17),
        ..ann.clone()
    };
    let mut w = writer(&s).await;
    w.update_staff(&ann2, None).await.expect("update staff");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.staff(ann.id).await.expect("staff"), Some(ann2.clone()));
    assert!(
        r.staff_credentials("ann@example.com")
            .await
            .expect("credentials")
            .is_none(),
        "old email still logs in"
    );
    let creds = r
        .staff_credentials("ann.new@example.com")
        .await
        .expect("credentials")
        .expect("credentials");
    assert_eq!(
        creds.password_hash, "$argon2id$ann",
        "update without a password changed the hash"
    );
    drop(r);

    let mut w = writer(&s).await;
    w.update_staff(&ann2, Some("$argon2id$new"))
        .await
        .expect("update password");
    w.delete_staff(bob.id).await.expect("delete staff");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let creds = r
        .staff_credentials("ann.new@example.com")
        .await
        .expect("credentials")
        .expect("credentials");
    assert_eq!(creds.password_hash, "$argon2id$new");
    assert!(
        r.staff(bob.id).await.expect("staff").is_none(),
        "deleted staff still there"
    );
    assert_eq!(r.staff_count().await.expect("staff_count"), 1);
}

async fn token_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let created = now();
    let mut w = writer(&s).await;
    let ci = w
        .insert_token(
            &ApiToken {
                id: 0,
                name: "CI".into(),
                role: Role::Admin,
                end_user_id: None,
                created_by: Some(world.staff.id),
                created_at: created,
            },
            "sha256:one",
        )
        .await
        .expect("insert token");
    let portal = w
        .insert_token(
            &ApiToken {
                id: 0,
                name: "Portal".into(),
                role: Role::EndUser,
                end_user_id: Some(world.end_user.id),
                created_by: None,
                created_at: at(created, 1),
            },
            "sha256:two",
        )
        .await
        .expect("insert token");
    w.commit().await.expect("commit");
    assert_eq!(
        (ci.name.as_str(), ci.created_by, ci.created_at),
        ("CI", Some(world.staff.id), created)
    );

    let mut r = reader(&s).await;
    assert_eq!(r.token(ci.id).await.expect("token"), Some(ci.clone()));
    assert_eq!(r.token(portal.id).await.expect("token"), Some(portal.clone()));
    assert_eq!(
        r.token_by_hash("sha256:one").await.expect("token_by_hash"),
        Some(ci.clone())
    );
    assert_eq!(
        r.token_by_hash("sha256:two").await.expect("token_by_hash"),
        Some(portal.clone())
    );
    assert!(r.token_by_hash("sha256:three").await.expect("token_by_hash").is_none());
    assert_eq!(
        r.token_list(&PageRequest::first(10)).await.expect("token_list"),
        vec![portal.clone(), ci.clone()]
    );
    assert_eq!(
        id_pages!(1, page => r.token_list(&page).await.expect("token_list")),
        vec![portal.id, ci.id]
    );
    drop(r);

    let mut w = writer(&s).await;
    w.delete_token(ci.id).await.expect("delete token");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.token(ci.id).await.expect("token").is_none());
    assert!(r.token_by_hash("sha256:one").await.expect("token_by_hash").is_none());
    assert_eq!(
        ids(&r.token_list(&PageRequest::first(10)).await.expect("token_list")),
        vec![portal.id]
    );
}

async fn brand_round_trip(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let brand = w.insert_brand(&new_brand("Acme", "acme")).await.expect("insert brand");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.brand(brand.id).await.expect("brand"), Some(brand.clone()));
    assert_eq!(r.brand_department_count(brand.id).await.expect("count"), 0);
    drop(r);

    let changed = Brand {
        name: "Acme Europe".into(),
        slug: "acme-eu".into(),
        greeting: "Guten Tag".into(),
        customer_backend: "webcall".into(),
        updated_at: at(now(), 99),
        ..brand.clone()
    };
    let mut w = writer(&s).await;
    w.update_brand(&changed).await.expect("update brand");
    let dept = w
        .insert_department(&new_department(brand.id, "Sales", "sales", true))
        .await
        .expect("insert department");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.brand(brand.id).await.expect("brand"), Some(changed));
    assert_eq!(r.brand_department_count(brand.id).await.expect("count"), 1);
    drop(r);

    let mut w = writer(&s).await;
    w.delete_department(dept.id).await.expect("delete department");
    w.delete_brand(brand.id).await.expect("delete brand");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        r.brand(brand.id).await.expect("brand").is_none(),
        "deleted brand still there"
    );
    assert!(
        r.brand_list(&PageRequest::first(10))
            .await
            .expect("brand_list")
            .is_empty()
    );
}

async fn department_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other_brand = w
        .insert_brand(&new_brand("Initech", "initech"))
        .await
        .expect("insert brand");
    let dept = w
        .insert_department(&new_department(world.brand.id, "Billing", "billing", true))
        .await
        .expect("insert department");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.department(dept.id).await.expect("department"), Some(dept.clone()));
    assert_eq!(r.department_ticket_count(dept.id).await.expect("count"), 0);
    drop(r);

    let changed = Department {
        brand_id: other_brand.id,
        name: "Accounts".into(),
        slug: "accounts".into(),
        description: "Invoices and refunds".into(),
        public: false,
        updated_at: at(now(), 5),
        ..dept.clone()
    };
    let mut w = writer(&s).await;
    w.update_department(&changed).await.expect("update department");
    let ticket = w
        .insert_ticket(&Ticket {
            did: dept.id,
            ..new_ticket(&world, "Refund")
        })
        .await
        .expect("ticket");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.department(dept.id).await.expect("department"), Some(changed));
    assert_eq!(r.department_ticket_count(dept.id).await.expect("count"), 1);
    assert_eq!(r.department_ticket_count(world.department.id).await.expect("count"), 0);
    drop(r);

    let mut w = writer(&s).await;
    w.delete_ticket(ticket.id).await.expect("delete ticket");
    w.delete_department(dept.id).await.expect("delete department");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        r.department(dept.id).await.expect("department").is_none(),
        "deleted department still there"
    );
    assert_eq!(
        r.department(world.department.id).await.expect("department"),
        Some(world.department)
    );
}

async fn customer_round_trip(s: Arc<dyn Store>) {
    let created = now();
    let full = Customer {
        email: Some("billing@initech.example".into()),
        phone: Some("+1 555 0100".into()),
        tags: vec!["vip".into(), "münchen".into(), "".into()],
        created_at: created,
        updated_at: at(created, 3),
        ..new_customer("Initech", Some("crm-42"))
    };
    let bare = new_customer("Bare", None);
    let mut w = writer(&s).await;
    let full = w.insert_customer(&full).await.expect("insert customer");
    let bare = w.insert_customer(&bare).await.expect("insert customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.customer(full.id).await.expect("customer"), Some(full.clone()));
    assert_eq!(r.customer(bare.id).await.expect("customer"), Some(bare.clone()));
    drop(r);

    let deleted_at = at(now(), 11);
    let changed = Customer {
        name: "Initrode".into(),
        email: None,
        phone: Some("+44 20 7946 0000".into()),
        external_id: Some("crm-43".into()),
        tags: vec!["former".into()],
        updated_at: deleted_at,
        deleted_at: Some(deleted_at),
        ..full.clone()
    };
    let filled = Customer {
        email: Some("x@bare.example".into()),
        external_id: Some("crm-44".into()),
        tags: vec!["a".into(), "b".into()],
        ..bare.clone()
    };
    let mut w = writer(&s).await;
    w.update_customer(&changed).await.expect("update customer");
    w.update_customer(&filled).await.expect("update customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.customer(full.id).await.expect("customer"),
        Some(changed.clone()),
        "soft-deleted customer"
    );
    assert_eq!(r.customer(bare.id).await.expect("customer"), Some(filled));
    assert_eq!(
        ids(&r.customer_list(true, &PageRequest::first(10)).await.expect("list")),
        vec![full.id]
    );
    assert_eq!(
        ids(&r.customer_list(false, &PageRequest::first(10)).await.expect("list")),
        vec![bare.id]
    );
    drop(r);

    let restored = Customer {
        deleted_at: None,
        ..changed
    };
    let mut w = writer(&s).await;
    w.update_customer(&restored).await.expect("restore customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.customer(full.id).await.expect("customer"), Some(restored));
    assert!(
        r.customer_list(true, &PageRequest::first(10))
            .await
            .expect("list")
            .is_empty()
    );
}

async fn end_user_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other = w
        .insert_customer(&new_customer("Other", None))
        .await
        .expect("insert customer");
    let created = now();
    let with_password = EndUser {
        phone: Some("+1 555 0101".into()),
        tags: vec!["owner".into()],
        created_at: created,
        updated_at: at(created, 9),
        ..new_end_user(world.customer.id, "Marge", Some("marge@example.com"))
    };
    let marge = w
        .insert_end_user(&with_password, Some("$argon2id$marge"))
        .await
        .expect("insert end user");
    let bart = w
        .insert_end_user(&new_end_user(world.customer.id, "Bart", Some("bart@example.com")), None)
        .await
        .expect("insert end user");
    w.commit().await.expect("commit");
    assert!(
        marge.has_password,
        "insert with a password hash returns has_password = false"
    );
    assert!(
        !bart.has_password,
        "insert without a password hash returns has_password = true"
    );
    assert_eq!(
        marge,
        EndUser {
            id: marge.id,
            has_password: true,
            ..with_password
        }
    );

    let mut r = reader(&s).await;
    assert_eq!(r.end_user(marge.id).await.expect("end_user"), Some(marge.clone()));
    assert_eq!(r.end_user(bart.id).await.expect("end_user"), Some(bart.clone()));
    let creds = r
        .end_user_credentials("marge@example.com")
        .await
        .expect("credentials")
        .expect("marge's credentials");
    assert_eq!(creds.end_user, marge);
    assert_eq!(creds.password_hash.as_deref(), Some("$argon2id$marge"));
    assert!(
        r.end_user_credentials("bart@example.com")
            .await
            .expect("credentials")
            .is_none(),
        "an end user without a password has credentials"
    );
    assert_eq!(
        r.end_user_by_email(world.customer.id, "bart@example.com")
            .await
            .expect("by email"),
        Some(bart.clone())
    );
    assert!(
        r.end_user_by_email(other.id, "bart@example.com")
            .await
            .expect("by email")
            .is_none()
    );
    drop(r);

    // Every field; `None` keeps the password, `Some(Some)` replaces it, `Some(None)` removes it.
    let moved = EndUser {
        customer_id: other.id,
        name: "Marjorie".into(),
        email: Some("marjorie@example.com".into()),
        phone: None,
        tags: vec![],
        updated_at: at(now(), 21),
        ..marge.clone()
    };
    let mut w = writer(&s).await;
    w.update_end_user(&moved, None).await.expect("update end user");
    w.update_end_user(&bart, Some(Some("$argon2id$bart")))
        .await
        .expect("set password");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.end_user(marge.id).await.expect("end_user"), Some(moved.clone()));
    let creds = r
        .end_user_credentials("marjorie@example.com")
        .await
        .expect("credentials")
        .expect("credentials");
    assert_eq!(
        creds.password_hash.as_deref(),
        Some("$argon2id$marge"),
        "update without a password changed it"
    );
    let creds = r
        .end_user_credentials("bart@example.com")
        .await
        .expect("credentials")
        .expect("bart's credentials");
    assert!(creds.end_user.has_password);
    assert_eq!(creds.password_hash.as_deref(), Some("$argon2id$bart"));
    drop(r);

    let mut w = writer(&s).await;
    w.update_end_user(&moved, Some(None)).await.expect("remove password");
    let gone = EndUser {
        deleted_at: Some(at(now(), 1)),
        has_password: true,
        ..bart.clone()
    };
    w.update_end_user(&gone, None).await.expect("soft-delete end user");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let read = r.end_user(marge.id).await.expect("end_user").expect("marge");
    assert!(!read.has_password, "password not removed");
    assert!(
        r.end_user_credentials("marjorie@example.com")
            .await
            .expect("credentials")
            .is_none()
    );
    assert_eq!(
        r.end_user(bart.id).await.expect("end_user"),
        Some(gone),
        "soft-deleted end user"
    );
    assert!(
        r.end_user_credentials("bart@example.com")
            .await
            .expect("credentials")
            .is_none()
    );
    assert!(
        r.end_user_by_email(world.customer.id, "bart@example.com")
            .await
            .expect("by email")
            .is_none()
    );
}

async fn ticket_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let dept2 = w
        .insert_department(&new_department(world.brand.id, "Sales", "sales", false))
        .await
        .expect("insert department");
    let customer2 = w
        .insert_customer(&new_customer("Initech", None))
        .await
        .expect("insert customer");
    let user2 = w
        .insert_end_user(&new_end_user(customer2.id, "Peter", None), None)
        .await
        .expect("insert end user");
    let staff2 = w
        .insert_staff(&new_staff("lead@example.com", "Lead", Role::Admin), "hash")
        .await
        .expect("insert staff");
    w.commit().await.expect("commit");

    let base = now();
    let mut custom = Map::new();
    custom.insert("order".into(), json!(12345));
    custom.insert("ratio".into(), json!(0.5));
    custom.insert("flag".into(), json!(true));
    custom.insert("none".into(), Value::Null);
    custom.insert(
        "nested".into(),
        json!({ "list": [1, "two", { "three": [] }], "text": "Grüße 日本" }),
    );
    let full = Ticket {
        status: TicketStatus::Process,
        locked: true,
        priority: Priority::HIGH,
        title: "Printer on fire".into(),
        ctime: base,
        lastreply: at(base, 1_234),
        read_by_customer: false,
        read_by_staff: true,
        service: Some(77),
        assigned: Some(world.staff.id),
        assigned_by: Some(staff2.id),
        custom_fields: custom,
        redeemed: vec!["phone".into(), "onsite".into()],
        account_key: Some("ACC-42".into()),
        updated_at: at(base, 2_345),
        ..new_ticket(&world, "")
    };
    let bare = Ticket {
        status: TicketStatus::Waiting,
        priority: Priority::LOW,
        ..new_ticket(&world, "Bare")
    };
    let mut w = writer(&s).await;
    let inserted = w.insert_ticket(&full).await.expect("insert ticket");
    let bare_in = w.insert_ticket(&bare).await.expect("insert ticket");
    w.commit().await.expect("commit");
    assert!(
        inserted.id > 0 && bare_in.id > inserted.id,
        "ids {} then {}",
        inserted.id,
        bare_in.id
    );
    assert_eq!(
        inserted,
        Ticket {
            id: inserted.id,
            ..full
        }
    );
    assert_eq!(bare_in, Ticket { id: bare_in.id, ..bare });

    let mut r = reader(&s).await;
    assert_eq!(r.ticket(inserted.id).await.expect("ticket"), Some(inserted.clone()));
    assert_eq!(r.ticket(bare_in.id).await.expect("ticket"), Some(bare_in.clone()));
    drop(r);

    // Every field but the creation time.
    let mut w = writer(&s).await;
    let locked = w.ticket_for_update(inserted.id).await.expect("ticket_for_update");
    assert_eq!(locked, Some(inserted.clone()));
    let mut other_custom = Map::new();
    other_custom.insert("order".into(), json!("A-1"));
    let changed = Ticket {
        did: dept2.id,
        user_id: user2.id,
        customer_id: customer2.id,
        status: TicketStatus::Solved,
        locked: false,
        priority: Priority::LOW,
        title: "Printer fixed".into(),
        lastreply: at(base, 10_000),
        read_by_customer: true,
        read_by_staff: false,
        service: None,
        assigned: Some(staff2.id),
        assigned_by: None,
        custom_fields: other_custom,
        redeemed: vec![],
        account_key: None,
        updated_at: at(base, 10_001),
        ..inserted.clone()
    };
    w.update_ticket(&changed).await.expect("update ticket");
    let filled = Ticket {
        status: TicketStatus::Replied,
        locked: true,
        priority: Priority::HIGH,
        service: Some(5),
        assigned: Some(world.staff.id),
        assigned_by: Some(world.staff.id),
        redeemed: vec!["remote".into()],
        account_key: Some("K".into()),
        ..bare_in.clone()
    };
    w.update_ticket(&filled).await.expect("update ticket");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.ticket(inserted.id).await.expect("ticket"), Some(changed));
    assert_eq!(r.ticket(bare_in.id).await.expect("ticket"), Some(filled));
    drop(r);

    let mut w = writer(&s).await;
    w.delete_ticket(inserted.id).await.expect("delete ticket");
    assert!(
        w.ticket_for_update(inserted.id)
            .await
            .expect("ticket_for_update")
            .is_none()
    );
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        r.ticket(inserted.id).await.expect("ticket").is_none(),
        "deleted ticket still there"
    );
    assert_eq!(
        ids(&r.ticket_list(&TicketFilter::default()).await.expect("ticket_list")),
        vec![bare_in.id]
    );
}

async fn reply_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let ticket = insert_tickets(&s, vec![new_ticket(&world, "Question")]).await.remove(0);
    let public = Reply {
        user_id: world.end_user.id,
        name: "Homer".into(),
        encrypted: true,
        ip: Some("203.0.113.7".into()),
        ctime: at(now(), 5),
        ..new_reply(ticket.id, "Hello,\nit does not work.", false)
    };
    let note = Reply {
        user_id: world.staff.id,
        ..new_reply(ticket.id, "Looks like a driver issue", true)
    };
    let replies = insert_replies(&s, vec![public.clone(), note.clone()]).await;
    let (public, note) = (replies[0].clone(), replies[1].clone());
    assert!(public.id > 0 && note.id > public.id);
    assert_eq!(public.message, "Hello,\nit does not work.");

    let mut r = reader(&s).await;
    assert_eq!(r.reply(public.id).await.expect("reply"), Some(public.clone()));
    assert_eq!(r.reply(note.id).await.expect("reply"), Some(note.clone()));
    assert_eq!(
        r.reply_list(ticket.id, false).await.expect("reply_list"),
        vec![public.clone()]
    );
    assert_eq!(
        r.reply_list(ticket.id, true).await.expect("reply_list"),
        vec![public.clone(), note.clone()]
    );
    drop(r);

    let edited = Reply {
        message: "Hello, it works now.".into(),
        internal: true,
        ..public.clone()
    };
    let mut w = writer(&s).await;
    w.update_reply(&edited).await.expect("update reply");
    w.delete_reply(note.id).await.expect("delete reply");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.reply(public.id).await.expect("reply"), Some(edited.clone()));
    assert!(
        r.reply(note.id).await.expect("reply").is_none(),
        "deleted reply still there"
    );
    assert!(r.reply_list(ticket.id, false).await.expect("reply_list").is_empty());
    assert_eq!(r.reply_list(ticket.id, true).await.expect("reply_list"), vec![edited]);
}

async fn delete_ticket_removes_replies(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let tickets = insert_tickets(&s, vec![new_ticket(&world, "Doomed"), new_ticket(&world, "Survivor")]).await;
    let (doomed, survivor) = (&tickets[0], &tickets[1]);
    let replies = insert_replies(
        &s,
        vec![
            new_reply(doomed.id, "first albatross", false),
            new_reply(doomed.id, "second albatross", true),
            new_reply(survivor.id, "lone albatross", false),
        ],
    )
    .await;

    let mut w = writer(&s).await;
    w.delete_ticket(doomed.id).await.expect("delete ticket");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.ticket(doomed.id).await.expect("ticket").is_none());
    assert!(
        r.reply(replies[0].id).await.expect("reply").is_none(),
        "reply of a deleted ticket survived"
    );
    assert!(
        r.reply(replies[1].id).await.expect("reply").is_none(),
        "note of a deleted ticket survived"
    );
    assert!(r.reply_list(doomed.id, true).await.expect("reply_list").is_empty());
    assert_eq!(
        r.reply_list(survivor.id, true).await.expect("reply_list"),
        vec![replies[2].clone()]
    );
    let hits = search(&mut r, &["albatross"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![survivor.id], "search still finds the deleted ticket");
    assert_eq!(term_ids(&mut r, &["albatross"], true).await, vec![survivor.id]);
}

async fn event_round_trip(s: Arc<dyn Store>) {
    let before = now();
    let first = NewEvent {
        source: EventSource::Ui,
        member_id: Some(7),
        member_type: Some("staff"),
        url: Some("/api/v1/tickets/12".into()),
        action: EventAction::Updated,
        name: Some("TicketUpdated"),
        entity: EntityType::Ticket,
        entity_id: 12,
        customer_id: Some(3),
        value: json!({
            "id": 12,
            "title": "Привет, 日本語 — '; DROP TABLE events; --",
            "custom": { "ratio": 0.25, "list": [true, null, -1] },
        }),
        old: json!({ "status": "waiting" }),
    };
    let second = NewEvent {
        source: EventSource::System,
        member_id: None,
        member_type: None,
        url: None,
        action: EventAction::Deleted,
        name: None,
        entity: EntityType::BillingLink,
        entity_id: 4,
        customer_id: None,
        value: json!([]),
        old: Value::Null,
    };
    let mut w = writer(&s).await;
    let e1 = w.insert_event(&first).await.expect("insert event");
    let e2 = w.insert_event(&second).await.expect("insert event");
    w.commit().await.expect("commit");
    let after = now();

    assert!(e1.id > 0 && e2.id > e1.id, "event ids {} then {}", e1.id, e2.id);
    for (e, n) in [(&e1, &first), (&e2, &second)] {
        assert_eq!(e.source, n.source);
        assert_eq!(e.member_id, n.member_id);
        assert_eq!(e.member_type.as_deref(), n.member_type);
        assert_eq!(e.url, n.url);
        assert_eq!(e.action, n.action);
        assert_eq!(e.name.as_deref(), n.name);
        assert_eq!(e.data.entity, n.entity);
        assert_eq!(e.data.value, n.value);
        assert_eq!(e.data.old, n.old);
        assert_eq!(e.entity_id, n.entity_id);
        assert_eq!(e.customer_id, n.customer_id);
        assert_eq!(e.status, "pending");
        assert!(
            before <= e.timestamp && e.timestamp <= after,
            "event timestamp {} outside the insert",
            e.timestamp
        );
        assert!(
            before <= e.created_at && e.created_at <= after,
            "event created_at {}",
            e.created_at
        );
        assert!(
            before <= e.updated_at && e.updated_at <= after,
            "event updated_at {}",
            e.updated_at
        );
    }
    let mut r = reader(&s).await;
    assert_eq!(r.event(e1.id).await.expect("event"), Some(e1));
    assert_eq!(r.event(e2.id).await.expect("event"), Some(e2));
}

// ---------------------------------------------------------------- checks: constraints and transactions

async fn unique_constraints_conflict(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other_staff = w
        .insert_staff(&new_staff("other@example.com", "Other", Role::Agent), "hash")
        .await
        .expect("insert staff");
    let free = w
        .insert_customer(&new_customer("No id 1", None))
        .await
        .expect("customer without external id");
    let free2 = w
        .insert_customer(&new_customer("No id 2", None))
        .await
        .expect("second customer without external id");
    w.insert_token(
        &ApiToken {
            id: 0,
            name: "t".into(),
            role: Role::Agent,
            end_user_id: None,
            created_by: None,
            created_at: now(),
        },
        "sha256:same",
    )
    .await
    .expect("insert token");
    w.commit().await.expect("commit");
    assert_ne!(free.id, free2.id);

    // Each violation on its own writer: after an error a transaction may be unusable (PostgreSQL aborts it).
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_staff(&new_staff("agent@example.com", "Twin", Role::Admin), "hash")
            .await,
        "second staff with the same email",
    );
    drop(w);
    let mut w = writer(&s).await;
    let renamed = Staff {
        email: world.staff.email.clone(),
        ..other_staff
    };
    assert_conflict(w.update_staff(&renamed, None).await, "staff updated to another's email");
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_brand(&new_brand("Acme 2", "acme")).await,
        "second brand with the same slug",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_department(&new_department(world.brand.id, "Support 2", "support", true))
            .await,
        "second department with the same slug",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_customer(&new_customer("Globex twin", Some("globex-1"))).await,
        "second customer with the same external id",
    );
    drop(w);
    let mut w = writer(&s).await;
    let token = ApiToken {
        id: 0,
        name: "t2".into(),
        role: Role::Agent,
        end_user_id: None,
        created_by: None,
        created_at: now(),
    };
    assert_conflict(
        w.insert_token(&token, "sha256:same").await,
        "second token with the same secret hash",
    );
    drop(w);

    // Nothing of the failed writes is visible, and the store still takes writes.
    let mut r = reader(&s).await;
    assert_eq!(r.staff_count().await.expect("staff_count"), 2);
    assert_eq!(
        r.brand_list(&PageRequest::first(10)).await.expect("brand_list").len(),
        1
    );
    assert_eq!(
        r.customer_list(false, &PageRequest::first(10))
            .await
            .expect("customer_list")
            .len(),
        3
    );
    drop(r);
    let mut w = writer(&s).await;
    w.insert_brand(&new_brand("Acme 2", "acme-2"))
        .await
        .expect("insert after conflicts");
    w.commit().await.expect("commit after conflicts");
}

async fn foreign_keys_reference(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let missing = 1_000_000;
    let mut w = writer(&s).await;
    assert_reference(
        w.insert_department(&new_department(missing, "Orphan", "orphan", true))
            .await,
        "department of a missing brand",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_reference(
        w.insert_end_user(&new_end_user(missing, "Orphan", None), None).await,
        "end user of a missing customer",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_reference(
        w.insert_ticket(&Ticket {
            did: missing,
            ..new_ticket(&world, "Orphan")
        })
        .await,
        "ticket in a missing department",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_reference(
        w.insert_ticket(&Ticket {
            assigned: Some(missing),
            ..new_ticket(&world, "Orphan")
        })
        .await,
        "ticket assigned to missing staff",
    );
    drop(w);
    let mut w = writer(&s).await;
    let token = ApiToken {
        id: 0,
        name: "orphan".into(),
        role: Role::EndUser,
        end_user_id: Some(missing),
        created_by: None,
        created_at: now(),
    };
    assert_reference(
        w.insert_token(&token, "sha256:orphan").await,
        "token of a missing end user",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_reference(
        w.delete_brand(world.brand.id).await,
        "deleting a brand that has departments",
    );
    drop(w);

    let mut r = reader(&s).await;
    assert_eq!(r.brand(world.brand.id).await.expect("brand"), Some(world.brand));
    assert_eq!(
        ids(&r
            .department_list(None, false, &PageRequest::first(10))
            .await
            .expect("list")),
        vec![world.department.id]
    );
    assert!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .is_empty()
    );
}

async fn writer_dropped_without_commit_rolls_back(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let brand = w
        .insert_brand(&new_brand("Ghost", "ghost"))
        .await
        .expect("insert brand");
    let customer = w
        .insert_customer(&new_customer("Phantom", None))
        .await
        .expect("insert customer");
    let ticket = w
        .insert_ticket(&new_ticket(&world, "Spectral wobble"))
        .await
        .expect("insert ticket");
    let reply = w
        .insert_reply(&new_reply(ticket.id, "ectoplasm everywhere", false))
        .await
        .expect("insert reply");
    let event = w
        .insert_event(&new_event(EntityType::Ticket, ticket.id, None))
        .await
        .expect("insert event");
    let renamed = Brand {
        name: "Renamed".into(),
        ..world.brand.clone()
    };
    w.update_brand(&renamed).await.expect("update brand");
    assert_eq!(
        w.ticket(ticket.id).await.expect("ticket in writer"),
        Some(ticket.clone())
    );
    drop(w);

    let mut r = reader(&s).await;
    assert!(
        r.brand(brand.id).await.expect("brand").is_none(),
        "rolled-back brand visible"
    );
    assert_eq!(
        r.brand(world.brand.id).await.expect("brand"),
        Some(world.brand),
        "rolled-back update visible"
    );
    assert!(
        r.customer(customer.id).await.expect("customer").is_none(),
        "rolled-back customer visible"
    );
    assert!(
        r.ticket(ticket.id).await.expect("ticket").is_none(),
        "rolled-back ticket visible"
    );
    assert!(
        r.reply(reply.id).await.expect("reply").is_none(),
        "rolled-back reply visible"
    );
    assert!(
        r.event(event.id).await.expect("event").is_none(),
        "rolled-back event visible"
    );
    let events = r
        .event_list(&EventFilter {
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .expect("event_list");
    assert!(events.is_empty(), "rolled-back event listed");
    assert!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .is_empty()
    );
    assert!(
        search(&mut r, &["spectral"], &[SearchKind::Ticket], None)
            .await
            .is_empty(),
        "rolled-back title found"
    );
    assert!(
        search(&mut r, &["ectoplasm"], &[SearchKind::Ticket], None)
            .await
            .is_empty(),
        "rolled-back reply found"
    );
    assert!(
        search(&mut r, &["phantom"], &[SearchKind::Customer], None)
            .await
            .is_empty()
    );
    drop(r);

    // The store still takes writes afterwards.
    let mut w = writer(&s).await;
    w.insert_brand(&new_brand("Ghost", "ghost"))
        .await
        .expect("insert after rollback");
    w.commit().await.expect("commit after rollback");
}

async fn commit_is_visible_to_new_readers(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let ticket = w
        .insert_ticket(&new_ticket(&world, "Visible soon"))
        .await
        .expect("insert ticket");
    let event = w
        .insert_event(&new_event(EntityType::Ticket, ticket.id, None))
        .await
        .expect("insert event");
    {
        let mut r = reader(&s).await;
        assert!(
            r.ticket(ticket.id).await.expect("ticket").is_none(),
            "uncommitted ticket visible to a reader"
        );
        assert!(
            r.event(event.id).await.expect("event").is_none(),
            "uncommitted event visible to a reader"
        );
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.ticket(ticket.id).await.expect("ticket"), Some(ticket));
    assert_eq!(r.event(event.id).await.expect("event"), Some(event));
    assert_eq!(
        ids(&search(&mut r, &["visible"], &[SearchKind::Ticket], None).await).len(),
        1
    );
}

// ---------------------------------------------------------------- checks: id-ordered lists

async fn brand_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(
            w.insert_brand(&new_brand(&format!("Brand {i}"), &format!("brand-{i}")))
                .await
                .expect("brand")
                .id,
        );
    }
    w.commit().await.expect("commit");
    let expected = newest_first(made);
    let mut r = reader(&s).await;
    assert_eq!(
        ids(&r.brand_list(&PageRequest::first(10)).await.expect("brand_list")),
        expected
    );
    assert_eq!(
        ids(&r.brand_list(&PageRequest::first(2)).await.expect("brand_list")),
        expected[..2]
    );
    for limit in [1, 2, 3, 5] {
        assert_eq!(
            id_pages!(limit, page => r.brand_list(&page).await.expect("brand_list")),
            expected,
            "limit {limit}"
        );
    }
    let after_second = PageRequest {
        limit: 10,
        after: Some(Cursor {
            key: 0,
            id: expected[1],
        }),
    };
    assert_eq!(
        ids(&r.brand_list(&after_second).await.expect("brand_list")),
        expected[2..]
    );
}

async fn customer_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let mut live = Vec::new();
    let mut deleted = Vec::new();
    for i in 0..7 {
        let mut c = new_customer(&format!("Customer {i}"), None);
        if i % 3 == 1 {
            c.deleted_at = Some(now());
        }
        let c = w.insert_customer(&c).await.expect("insert customer");
        if c.deleted_at.is_some() {
            deleted.push(c.id);
        } else {
            live.push(c.id);
        }
    }
    w.commit().await.expect("commit");
    let (live, deleted) = (newest_first(live), newest_first(deleted));
    let mut r = reader(&s).await;
    for limit in [1, 2, 10] {
        assert_eq!(
            id_pages!(limit, page => r.customer_list(false, &page).await.expect("list")),
            live,
            "live, {limit}"
        );
        assert_eq!(
            id_pages!(limit, page => r.customer_list(true, &page).await.expect("list")),
            deleted,
            "deleted"
        );
    }
    drop(r);

    // Soft delete through update_customer moves a customer between the lists.
    let mut w = writer(&s).await;
    let mut c = w.customer(live[0]).await.expect("customer").expect("live customer");
    c.deleted_at = Some(now());
    w.update_customer(&c).await.expect("soft delete");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        ids(&r.customer_list(false, &PageRequest::first(10)).await.expect("list")),
        live[1..]
    );
    assert_eq!(
        ids(&r.customer_list(true, &PageRequest::first(10)).await.expect("list")),
        newest_first(deleted.iter().copied().chain([live[0]]).collect())
    );
}

async fn end_user_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let c1 = w.insert_customer(&new_customer("One", None)).await.expect("customer");
    let c2 = w.insert_customer(&new_customer("Two", None)).await.expect("customer");
    let mut users: Vec<EndUser> = Vec::new();
    for i in 0..8 {
        let customer = if i % 2 == 0 { c1.id } else { c2.id };
        let mut u = new_end_user(customer, &format!("User {i}"), None);
        if i == 4 || i == 5 {
            u.deleted_at = Some(now());
        }
        users.push(w.insert_end_user(&u, None).await.expect("end user"));
    }
    w.commit().await.expect("commit");
    let expect = |customer: Option<i64>, deleted: bool| {
        newest_first(
            users
                .iter()
                .filter(|u| customer.is_none_or(|c| u.customer_id == c) && u.deleted_at.is_some() == deleted)
                .map(|u| u.id)
                .collect(),
        )
    };
    let mut r = reader(&s).await;
    for customer in [None, Some(c1.id), Some(c2.id)] {
        for deleted in [false, true] {
            let expected = expect(customer, deleted);
            assert!(!expected.is_empty());
            for limit in [1, 2, 50] {
                let got = id_pages!(limit, page => r.end_user_list(customer, deleted, &page).await.expect("list"));
                assert_eq!(
                    got, expected,
                    "end users of {customer:?}, deleted {deleted}, limit {limit}"
                );
            }
        }
    }
    assert_eq!(
        r.end_user_list(Some(c1.id), false, &PageRequest::first(50))
            .await
            .expect("list")
            .len(),
        3
    );
}

async fn department_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let b1 = w.insert_brand(&new_brand("One", "one")).await.expect("brand");
    let b2 = w.insert_brand(&new_brand("Two", "two")).await.expect("brand");
    let mut depts = Vec::new();
    for i in 0..7 {
        let brand = if i < 4 { b1.id } else { b2.id };
        let d = new_department(brand, &format!("Dept {i}"), &format!("dept-{i}"), i % 2 == 0);
        depts.push(w.insert_department(&d).await.expect("department"));
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    for brand in [None, Some(b1.id), Some(b2.id)] {
        for public_only in [false, true] {
            let expected = newest_first(
                depts
                    .iter()
                    .filter(|d| brand.is_none_or(|b| d.brand_id == b) && (d.public || !public_only))
                    .map(|d| d.id)
                    .collect(),
            );
            for limit in [1, 2, 50] {
                let got = id_pages!(limit, page => r.department_list(brand, public_only, &page).await.expect("list"));
                assert_eq!(
                    got, expected,
                    "departments of brand {brand:?}, public_only {public_only}, limit {limit}"
                );
            }
        }
    }
    let all = r
        .department_list(None, true, &PageRequest::first(50))
        .await
        .expect("list");
    assert!(all.iter().all(|d| d.public), "public_only listed a private department");
    assert_eq!(all.len(), 4);
}

// ---------------------------------------------------------------- checks: tickets

/// Tickets spread over two departments, customers, users and agents, with every status and priority.
struct TicketWorld {
    dept_a: i64,
    dept_b: i64,
    customer_1: i64,
    customer_2: i64,
    user_1: i64,
    user_3: i64,
    staff_1: i64,
    staff_2: i64,
    tickets: Vec<Ticket>,
}

async fn ticket_world(s: &Arc<dyn Store>) -> TicketWorld {
    let world = world(s).await;
    let mut w = writer(s).await;
    let dept_b = w
        .insert_department(&new_department(world.brand.id, "Billing", "billing", false))
        .await
        .expect("department");
    let customer_2 = w
        .insert_customer(&new_customer("Initech", None))
        .await
        .expect("customer");
    let user_2 = w
        .insert_end_user(&new_end_user(customer_2.id, "Peter", None), None)
        .await
        .expect("end user");
    let user_3 = w
        .insert_end_user(&new_end_user(world.customer.id, "Lisa", None), None)
        .await
        .expect("end user");
    let staff_2 = w
        .insert_staff(&new_staff("b@example.com", "B", Role::Agent), "h")
        .await
        .expect("staff");
    w.commit().await.expect("commit");

    let (a, b) = (world.department.id, dept_b.id);
    let (u1, u2, u3) = (world.end_user.id, user_2.id, user_3.id);
    let (c1, c2) = (world.customer.id, customer_2.id);
    let (s1, s2) = (world.staff.id, staff_2.id);
    use TicketStatus::*;
    // (department, user, customer, status, priority, assigned, locked, lastreply offset)
    let rows = [
        (a, u1, c1, Waiting, 1, None, false, 30),
        (b, u2, c2, Replied, 2, Some(s1), true, 10),
        (a, u3, c1, Process, 3, Some(s2), false, 30),
        (b, u1, c1, Solved, 2, Some(s1), true, 20),
        (a, u2, c2, Waiting, 3, None, true, 10),
        (a, u1, c1, Replied, 1, Some(s2), false, 30),
        (b, u3, c1, Waiting, 3, None, false, 5),
        (a, u2, c2, Process, 2, Some(s1), false, 20),
    ];
    let base = now();
    let tickets = rows
        .iter()
        .enumerate()
        .map(
            |(i, &(did, user_id, customer_id, status, priority, assigned, locked, offset))| Ticket {
                did,
                user_id,
                customer_id,
                status,
                priority: Priority::try_from(priority).expect("a valid priority"),
                assigned,
                assigned_by: assigned.map(|_| s1),
                locked,
                lastreply: at(base, offset),
                ..new_ticket(&world, &format!("Ticket number {i}"))
            },
        )
        .collect();
    let tickets = insert_tickets(s, tickets).await;
    TicketWorld {
        dept_a: a,
        dept_b: b,
        customer_1: c1,
        customer_2: c2,
        user_1: u1,
        user_3: u3,
        staff_1: s1,
        staff_2: s2,
        tickets,
    }
}

fn expected_ids(tickets: &[Ticket], keep: impl Fn(&Ticket) -> bool) -> Vec<i64> {
    newest_first(tickets.iter().filter(|t| keep(t)).map(|t| t.id).collect())
}

async fn ticket_list_filters(s: Arc<dyn Store>) {
    let tw = ticket_world(&s).await;
    let all = &tw.tickets;
    let mut r = reader(&s).await;

    let listed = r.ticket_list(&TicketFilter::default()).await.expect("ticket_list");
    let mut newest: Vec<Ticket> = all.clone();
    newest.reverse();
    assert_eq!(
        listed, newest,
        "the unfiltered list is every ticket, newest first, as stored"
    );

    type Keep = Box<dyn Fn(&Ticket) -> bool + Send>;
    let cases: Vec<(&str, TicketFilter, Keep)> = vec![
        (
            "status waiting",
            TicketFilter {
                statuses: vec![TicketStatus::Waiting],
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.status == TicketStatus::Waiting),
        ),
        (
            "status waiting or solved",
            TicketFilter {
                statuses: vec![TicketStatus::Waiting, TicketStatus::Solved],
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| matches!(t.status, TicketStatus::Waiting | TicketStatus::Solved)),
        ),
        (
            "every status",
            TicketFilter {
                statuses: TicketStatus::ALL.to_vec(),
                ..TicketFilter::default()
            },
            Box::new(|_: &Ticket| true),
        ),
        (
            "department a",
            TicketFilter {
                did: Some(tw.dept_a),
                ..TicketFilter::default()
            },
            {
                let d = tw.dept_a;
                Box::new(move |t: &Ticket| t.did == d)
            },
        ),
        (
            "department b",
            TicketFilter {
                did: Some(tw.dept_b),
                ..TicketFilter::default()
            },
            {
                let d = tw.dept_b;
                Box::new(move |t: &Ticket| t.did == d)
            },
        ),
        (
            "customer 1",
            TicketFilter {
                customer_id: Some(tw.customer_1),
                ..TicketFilter::default()
            },
            {
                let c = tw.customer_1;
                Box::new(move |t: &Ticket| t.customer_id == c)
            },
        ),
        (
            "customer 2",
            TicketFilter {
                customer_id: Some(tw.customer_2),
                ..TicketFilter::default()
            },
            {
                let c = tw.customer_2;
                Box::new(move |t: &Ticket| t.customer_id == c)
            },
        ),
        (
            "user 1",
            TicketFilter {
                user_id: Some(tw.user_1),
                ..TicketFilter::default()
            },
            {
                let u = tw.user_1;
                Box::new(move |t: &Ticket| t.user_id == u)
            },
        ),
        (
            "user 3",
            TicketFilter {
                user_id: Some(tw.user_3),
                ..TicketFilter::default()
            },
            {
                let u = tw.user_3;
                Box::new(move |t: &Ticket| t.user_id == u)
            },
        ),
        (
            "assigned to nobody",
            TicketFilter {
                assigned: Some(AssignedFilter::Nobody),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.assigned.is_none()),
        ),
        (
            "assigned to staff 1",
            TicketFilter {
                assigned: Some(AssignedFilter::Staff(tw.staff_1)),
                ..TicketFilter::default()
            },
            {
                let s1 = tw.staff_1;
                Box::new(move |t: &Ticket| t.assigned == Some(s1))
            },
        ),
        (
            "assigned to staff 2",
            TicketFilter {
                assigned: Some(AssignedFilter::Staff(tw.staff_2)),
                ..TicketFilter::default()
            },
            {
                let s2 = tw.staff_2;
                Box::new(move |t: &Ticket| t.assigned == Some(s2))
            },
        ),
        (
            "priority 1",
            TicketFilter {
                priority: Some(1),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.priority.get() == 1),
        ),
        (
            "priority 2",
            TicketFilter {
                priority: Some(2),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.priority.get() == 2),
        ),
        (
            "priority 3",
            TicketFilter {
                priority: Some(3),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.priority.get() == 3),
        ),
        (
            "locked",
            TicketFilter {
                locked: Some(true),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.locked),
        ),
        (
            "unlocked",
            TicketFilter {
                locked: Some(false),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| !t.locked),
        ),
        (
            "department a, waiting or replied, unlocked",
            TicketFilter {
                did: Some(tw.dept_a),
                statuses: vec![TicketStatus::Waiting, TicketStatus::Replied],
                locked: Some(false),
                ..TicketFilter::default()
            },
            {
                let d = tw.dept_a;
                Box::new(move |t: &Ticket| {
                    t.did == d && matches!(t.status, TicketStatus::Waiting | TicketStatus::Replied) && !t.locked
                })
            },
        ),
        (
            "customer 1 assigned to staff 1",
            TicketFilter {
                customer_id: Some(tw.customer_1),
                assigned: Some(AssignedFilter::Staff(tw.staff_1)),
                ..TicketFilter::default()
            },
            {
                let (c, s1) = (tw.customer_1, tw.staff_1);
                Box::new(move |t: &Ticket| t.customer_id == c && t.assigned == Some(s1))
            },
        ),
        (
            "nothing matches",
            TicketFilter {
                did: Some(tw.dept_b),
                priority: Some(1),
                ..TicketFilter::default()
            },
            Box::new(|_: &Ticket| false),
        ),
    ];
    for (name, filter, keep) in cases {
        let expected = expected_ids(all, keep);
        assert!(
            name == "nothing matches" || !expected.is_empty(),
            "case {name} selects nothing"
        );
        let got = ids(&r.ticket_list(&filter).await.expect("ticket_list"));
        assert_eq!(got, expected, "ticket_list filter: {name}");
        // The same filter, two at a time.
        let got = id_pages!(2, page => r.ticket_list(&TicketFilter { page, ..filter.clone() }).await.expect("list"));
        assert_eq!(got, expected, "ticket_list filter: {name}, in pages of 2");
    }
    let two = TicketFilter {
        page: PageRequest::first(2),
        ..TicketFilter::default()
    };
    assert_eq!(
        r.ticket_list(&two).await.expect("ticket_list").len(),
        2,
        "limit not applied"
    );
}

fn sort_key(t: &Ticket, sort: TicketSort) -> i64 {
    match sort {
        TicketSort::IdAsc | TicketSort::IdDesc => 0,
        TicketSort::LastReplyAsc | TicketSort::LastReplyDesc => to_micros(t.lastreply),
        TicketSort::PriorityAsc | TicketSort::PriorityDesc => i64::from(t.priority),
    }
}

async fn ticket_list_sorts_and_cursors(s: Arc<dyn Store>) {
    let tw = ticket_world(&s).await;
    let mut r = reader(&s).await;
    let sorts = [
        TicketSort::IdDesc,
        TicketSort::IdAsc,
        TicketSort::LastReplyDesc,
        TicketSort::LastReplyAsc,
        TicketSort::PriorityDesc,
        TicketSort::PriorityAsc,
    ];
    for sort in sorts {
        for locked in [None, Some(false)] {
            let mut expected: Vec<&Ticket> = tw
                .tickets
                .iter()
                .filter(|t| locked.is_none_or(|l| t.locked == l))
                .collect();
            expected.sort_by_key(|t| (sort_key(t, sort), t.id));
            if sort.descending() {
                expected.reverse();
            }
            let expected: Vec<i64> = expected.iter().map(|t| t.id).collect();
            for limit in [1, 2, 3, 50] {
                let base = TicketFilter {
                    locked,
                    sort,
                    ..TicketFilter::default()
                };
                let mut got: Vec<i64> = Vec::new();
                let mut after: Option<Cursor> = None;
                for _ in 0..50 {
                    let filter = TicketFilter {
                        page: PageRequest {
                            limit,
                            after: after.clone(),
                        },
                        ..base.clone()
                    };
                    let page = r.ticket_list(&filter).await.expect("ticket_list");
                    assert!(page.len() <= limit as usize, "{sort:?}: page longer than {limit}");
                    let Some(last) = page.last() else { break };
                    after = Some(Cursor {
                        key: sort_key(last, sort),
                        id: last.id,
                    });
                    got.extend(ids(&page));
                }
                assert_eq!(got, expected, "{sort:?}, locked {locked:?}, pages of {limit}");
            }
        }
    }
}

async fn ticket_list_terms(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other = w.insert_customer(&new_customer("Other", None)).await.expect("customer");
    let other_user = w
        .insert_end_user(&new_end_user(other.id, "Otto", None), None)
        .await
        .expect("end user");
    w.commit().await.expect("commit");
    let tickets = insert_tickets(
        &s,
        vec![
            new_ticket(&world, "Printer jammed again"),
            Ticket {
                customer_id: other.id,
                user_id: other_user.id,
                ..new_ticket(&world, "Invoice question")
            },
            new_ticket(&world, "Network down"),
        ],
    )
    .await;
    let (a, b, c) = (tickets[0].id, tickets[1].id, tickets[2].id);
    let replies = insert_replies(
        &s,
        vec![
            new_reply(a, "the toner cartridge leaks", false),
            new_reply(a, "customer seems grumpy", true),
            new_reply(b, "printer works now thanks", false),
            new_reply(c, "printer firmware suspected", true),
        ],
    )
    .await;

    let mut r = reader(&s).await;
    assert_eq!(
        term_ids(&mut r, &["printer"], false).await,
        vec![b, a],
        "title and public reply"
    );
    assert_eq!(
        term_ids(&mut r, &["PRINTER"], false).await,
        vec![b, a],
        "terms ignore case"
    );
    assert_eq!(
        term_ids(&mut r, &["printer"], true).await,
        vec![c, b, a],
        "with internal notes"
    );
    assert_eq!(
        term_ids(&mut r, &["toner"], false).await,
        vec![a],
        "a word only in a reply"
    );
    assert_eq!(
        term_ids(&mut r, &["jammed"], false).await,
        vec![a],
        "a word only in the title"
    );
    assert!(
        term_ids(&mut r, &["grumpy"], false).await.is_empty(),
        "internal note matched without search_internal"
    );
    assert_eq!(
        term_ids(&mut r, &["grumpy"], true).await,
        vec![a],
        "internal note with search_internal"
    );
    assert!(
        term_ids(&mut r, &["print"], true).await.is_empty(),
        "terms are whole words, not prefixes"
    );
    assert!(term_ids(&mut r, &["nonexistent"], true).await.is_empty());
    // Every term must occur, in any of the searched texts.
    assert_eq!(
        term_ids(&mut r, &["printer", "toner"], false).await,
        vec![a],
        "title + reply"
    );
    assert_eq!(
        term_ids(&mut r, &["printer", "thanks"], false).await,
        vec![b],
        "both in a reply"
    );
    assert!(
        term_ids(&mut r, &["printer", "network"], false).await.is_empty(),
        "one term only in a note"
    );
    assert_eq!(
        term_ids(&mut r, &["network", "printer"], true).await,
        vec![c],
        "title + internal note"
    );
    assert_eq!(
        term_ids(&mut r, &["jammed", "grumpy"], true).await,
        vec![a],
        "title + internal note"
    );
    assert!(
        term_ids(&mut r, &["toner", "thanks"], true).await.is_empty(),
        "terms in different tickets"
    );

    // Terms combine with the other filters, sorts and pages.
    let scoped = TicketFilter {
        customer_id: Some(other.id),
        ..ticket_terms(&["printer"], true)
    };
    assert_eq!(ids(&r.ticket_list(&scoped).await.expect("ticket_list")), vec![b]);
    let oldest_first = TicketFilter {
        sort: TicketSort::IdAsc,
        ..ticket_terms(&["printer"], true)
    };
    let got = id_pages!(1, page => r.ticket_list(&TicketFilter { page, ..ticket_terms(&["printer"], true) })
        .await.expect("ticket_list"));
    assert_eq!(got, vec![c, b, a], "terms in pages of 1");
    assert_eq!(
        ids(&r.ticket_list(&oldest_first).await.expect("ticket_list")),
        vec![a, b, c]
    );
    drop(r);

    // The index follows edits: a new title, an edited reply, a note made public, a deleted reply.
    let mut w = writer(&s).await;
    let retitled = Ticket {
        title: "Printer cleared".into(),
        ..tickets[0].clone()
    };
    w.update_ticket(&retitled).await.expect("update ticket");
    w.update_reply(&Reply {
        message: "the drum unit leaks".into(),
        ..replies[0].clone()
    })
    .await
    .expect("edit");
    w.update_reply(&Reply {
        internal: false,
        ..replies[3].clone()
    })
    .await
    .expect("publish note");
    w.delete_reply(replies[2].id).await.expect("delete reply");
    w.insert_reply(&new_reply(b, "resolved by reinstalling", false))
        .await
        .expect("insert reply");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        term_ids(&mut r, &["jammed"], true).await.is_empty(),
        "old title still matches"
    );
    assert_eq!(term_ids(&mut r, &["cleared"], false).await, vec![a], "new title");
    assert!(
        term_ids(&mut r, &["toner"], true).await.is_empty(),
        "edited-away reply text still matches"
    );
    assert_eq!(term_ids(&mut r, &["drum"], false).await, vec![a], "edited reply text");
    assert_eq!(
        term_ids(&mut r, &["firmware"], false).await,
        vec![c],
        "note made public"
    );
    assert!(
        term_ids(&mut r, &["thanks"], true).await.is_empty(),
        "deleted reply still matches"
    );
    assert_eq!(
        term_ids(&mut r, &["reinstalling"], false).await,
        vec![b],
        "reply added later"
    );
    assert_eq!(term_ids(&mut r, &["printer"], false).await, vec![c, a], "after edits");
}

// ---------------------------------------------------------------- checks: search

async fn search_tickets(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let long_reply = "Weekly report follows with many unrelated words about budgets meetings schedules travel \
                      lunch coffee parking badges printers chairs desks windows doors lamps plants and one nebula \
                      mention hidden among them plus more filler words at the very end of this message";
    let tickets = insert_tickets(
        &s,
        vec![
            new_ticket(&world, "Quasar alignment failure"),
            new_ticket(&world, "Routine checkup"),
            new_ticket(&world, "Nebula nebula"),
            new_ticket(&world, "Weekly report"),
            new_ticket(&world, "Unrelated matter"),
        ],
    )
    .await;
    let (quasar, routine, nebula, weekly) = (&tickets[0], &tickets[1], &tickets[2], &tickets[3]);
    insert_replies(
        &s,
        vec![
            new_reply(routine.id, "the quasar telescope is fine", false),
            new_reply(nebula.id, "nebula nebula nebula", false),
            new_reply(weekly.id, long_reply, false),
        ],
    )
    .await;

    let mut r = reader(&s).await;
    let hits = search(&mut r, &["quasar"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        id_set(&hits),
        BTreeSet::from([quasar.id, routine.id]),
        "a word in a title and in a reply"
    );
    for hit in &hits {
        assert_eq!(hit.kind, SearchKind::Ticket);
        let ticket = tickets.iter().find(|t| t.id == hit.id).expect("hit is a ticket");
        assert_eq!(hit.title, ticket.title, "a ticket hit's title is the ticket's title");
        assert_marked(hit, "quasar");
    }

    let hits = search(&mut r, &["telescope"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![routine.id], "a word only in a reply");
    assert_eq!(hits[0].title, "Routine checkup");
    assert_marked(&hits[0], "telescope");

    let hits = search(&mut r, &["nebula"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        ids(&hits),
        vec![nebula.id, weekly.id],
        "five mentions rank above one in a long text"
    );
    assert!(
        hits[0].score > hits[1].score,
        "ranked hits have distinct scores: {hits:?}"
    );
    let one = r
        .search(&SearchRequest {
            limit: 1,
            ..search_request(&["nebula"], &[SearchKind::Ticket], None)
        })
        .await
        .expect("search");
    assert_eq!(ids(&one), vec![nebula.id], "limit keeps the best hit");

    let hits = search(&mut r, &["quasar", "telescope"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![routine.id], "every term must match");
    assert!(
        search(&mut r, &["quasar"], &[SearchKind::Customer, SearchKind::EndUser], None)
            .await
            .is_empty()
    );
    assert!(
        search(&mut r, &["pulsar"], &[SearchKind::Ticket], None)
            .await
            .is_empty()
    );
    assert!(
        search(&mut r, &["quasar"], &[], None).await.is_empty(),
        "no kinds, no hits"
    );
}

async fn search_customer_scope(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other = w.insert_customer(&new_customer("Other", None)).await.expect("customer");
    let other_user = w
        .insert_end_user(&new_end_user(other.id, "Otto", None), None)
        .await
        .expect("end user");
    w.commit().await.expect("commit");
    let tickets = insert_tickets(
        &s,
        vec![
            new_ticket(&world, "Gizmo broken"),
            Ticket {
                customer_id: other.id,
                user_id: other_user.id,
                ..new_ticket(&world, "Gizmo squeaks")
            },
        ],
    )
    .await;
    let (mine, theirs) = (tickets[0].id, tickets[1].id);
    insert_replies(
        &s,
        vec![
            new_reply(mine, "gizmo secretword confidential", true),
            new_reply(theirs, "sprocket replaced", false),
        ],
    )
    .await;
    let own = Some(world.customer.id);

    let mut r = reader(&s).await;
    let all = search(&mut r, &["gizmo"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        id_set(&all),
        BTreeSet::from([mine, theirs]),
        "staff see every customer's tickets"
    );
    let scoped = search(&mut r, &["gizmo"], &[SearchKind::Ticket], own).await;
    assert_eq!(
        ids(&scoped),
        vec![mine],
        "customer_scope keeps to that customer's tickets"
    );
    assert_marked(&scoped[0], "gizmo");
    assert!(
        !scoped[0].text.contains("secretword"),
        "a scoped hit's text shows an internal note: {:?}",
        scoped[0]
    );
    assert_eq!(
        ids(&search(&mut r, &["gizmo"], &[SearchKind::Ticket], Some(other.id)).await),
        vec![theirs]
    );
    assert_eq!(
        ids(&search(&mut r, &["sprocket"], &[SearchKind::Ticket], Some(other.id)).await),
        vec![theirs]
    );
    assert!(
        search(&mut r, &["sprocket"], &[SearchKind::Ticket], own)
            .await
            .is_empty(),
        "another customer's reply"
    );

    let staff = search(&mut r, &["secretword"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&staff), vec![mine], "staff find internal notes");
    assert_marked(&staff[0], "secretword");
    assert!(
        search(&mut r, &["secretword"], &[SearchKind::Ticket], own)
            .await
            .is_empty(),
        "customer_scope matched an internal note"
    );
    assert!(
        search(&mut r, &["gizmo", "confidential"], &[SearchKind::Ticket], own)
            .await
            .is_empty(),
        "customer_scope matched a term found only in an internal note"
    );
    let split = search(&mut r, &["broken", "confidential"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        ids(&split),
        vec![mine],
        "staff: one term in the title, the other only in an internal note"
    );
}

async fn search_people(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let zi = w
        .insert_customer(&Customer {
            email: Some("info@zi.example".into()),
            ..new_customer("Zephyr Industries", None)
        })
        .await
        .expect("customer");
    let zl = w
        .insert_customer(&new_customer("Zephyr Labs", None))
        .await
        .expect("customer");
    let oc = w
        .insert_customer(&new_customer("Other Corp", None))
        .await
        .expect("customer");
    let zj = w
        .insert_end_user(&new_end_user(oc.id, "Zephyr Jones", None), None)
        .await
        .expect("end user");
    let al = w
        .insert_end_user(&new_end_user(zi.id, "Alice Smith", None), None)
        .await
        .expect("end user");
    let gone = w
        .insert_end_user(
            &EndUser {
                deleted_at: Some(now()),
                ..new_end_user(zl.id, "Zephyr Gone", None)
            },
            None,
        )
        .await
        .expect("end user");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    let customers = search(&mut r, &["zephyr"], &[SearchKind::Customer], None).await;
    assert_eq!(id_set(&customers), BTreeSet::from([zi.id, zl.id]), "customers by name");
    for hit in &customers {
        let name = if hit.id == zi.id { &zi.name } else { &zl.name };
        assert_eq!(&hit.title, name, "a customer hit's title is its name");
        assert_marked(hit, "zephyr");
    }
    let users = search(&mut r, &["zephyr"], &[SearchKind::EndUser], None).await;
    assert_eq!(
        ids(&users),
        vec![zj.id],
        "end users by name, soft-deleted ones left out"
    );
    assert_eq!(users[0].title, "Zephyr Jones");
    assert_marked(&users[0], "zephyr");
    assert_eq!(
        ids(&search(&mut r, &["alice"], &[SearchKind::EndUser], None).await),
        vec![al.id]
    );
    assert!(!ids(&search(&mut r, &["gone"], &[SearchKind::EndUser], None).await).contains(&gone.id));

    let both = search(&mut r, &["zephyr"], &[SearchKind::Customer, SearchKind::EndUser], None).await;
    let kinds: BTreeSet<(&str, i64)> = both.iter().map(|h| (h.kind.as_str(), h.id)).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([("customer", zi.id), ("customer", zl.id), ("end_user", zj.id)]),
        "both kinds at once"
    );
    assert!(
        search(&mut r, &["zephyr"], &[SearchKind::Ticket], None)
            .await
            .is_empty()
    );
    drop(r);

    // Soft delete (through update_customer) hides a customer; restoring and renaming show in search.
    let mut w = writer(&s).await;
    w.update_customer(&Customer {
        deleted_at: Some(now()),
        ..zl.clone()
    })
    .await
    .expect("soft delete");
    w.update_customer(&Customer {
        name: "Zephyr Holdings".into(),
        ..oc.clone()
    })
    .await
    .expect("rename");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let customers = search(&mut r, &["zephyr"], &[SearchKind::Customer], None).await;
    assert_eq!(
        id_set(&customers),
        BTreeSet::from([zi.id, oc.id]),
        "soft-deleted customer found, or rename missed"
    );
    assert!(
        search(&mut r, &["labs"], &[SearchKind::Customer], None)
            .await
            .is_empty(),
        "soft-deleted customer"
    );
    assert!(
        search(&mut r, &["corp"], &[SearchKind::Customer], None)
            .await
            .is_empty(),
        "old name still found"
    );
    drop(r);

    let mut w = writer(&s).await;
    w.update_customer(&zl).await.expect("restore");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        ids(&search(&mut r, &["labs"], &[SearchKind::Customer], None).await),
        vec![zl.id],
        "restored"
    );
}

async fn verbatim_text(s: Arc<dyn Store>) {
    const SQL: &str = "'; DROP TABLE tickets; --";
    const SQL_REPLY: &str = "Robert'); DROP TABLE replies;-- \"quoted\" \\backslash\\ 100% _under_ $1 ? :name";
    const RUSSIAN: &str = "Привет мир";
    const JAPANESE: &str = "日本語 ユーザー";
    const MIXED: &str = "Grüße, 😀 — Привет мир 日本語\ttab\nnewline";

    let mut w = writer(&s).await;
    let brand = w
        .insert_brand(&Brand {
            greeting: MIXED.into(),
            ..new_brand(RUSSIAN, "verbatim")
        })
        .await
        .expect("brand");
    let dept = w
        .insert_department(&Department {
            description: SQL.into(),
            ..new_department(brand.id, JAPANESE, "d", true)
        })
        .await
        .expect("department");
    let customer = w
        .insert_customer(&Customer {
            tags: vec![SQL.into(), MIXED.into()],
            ..new_customer(RUSSIAN, Some(SQL))
        })
        .await
        .expect("customer");
    let user = w
        .insert_end_user(&new_end_user(customer.id, JAPANESE, Some("ユーザー@example.com")), None)
        .await
        .expect("end user");
    let staff = w
        .insert_staff(&new_staff(SQL, MIXED, Role::Agent), SQL)
        .await
        .expect("staff");
    w.commit().await.expect("commit");
    let world = World {
        brand,
        department: dept,
        customer,
        end_user: user,
        staff,
    };

    let mut custom = Map::new();
    custom.insert(SQL.into(), json!(MIXED));
    custom.insert(RUSSIAN.into(), json!([JAPANESE, SQL]));
    let tickets = insert_tickets(
        &s,
        vec![
            Ticket {
                custom_fields: custom,
                account_key: Some(SQL.into()),
                ..new_ticket(&world, SQL)
            },
            new_ticket(&world, RUSSIAN),
            new_ticket(&world, MIXED),
        ],
    )
    .await;
    let replies = insert_replies(&s, vec![new_reply(tickets[0].id, SQL_REPLY, false)]).await;
    let mut w = writer(&s).await;
    let event = NewEvent {
        value: json!({ "title": SQL, "text": MIXED }),
        ..new_event(EntityType::Ticket, 1, None)
    };
    let event = w.insert_event(&event).await.expect("event");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.brand(world.brand.id).await.expect("brand"), Some(world.brand.clone()));
    assert_eq!(
        r.department(world.department.id).await.expect("department"),
        Some(world.department.clone())
    );
    assert_eq!(
        r.customer(world.customer.id).await.expect("customer"),
        Some(world.customer.clone())
    );
    assert_eq!(
        r.end_user(world.end_user.id).await.expect("end user"),
        Some(world.end_user.clone())
    );
    assert_eq!(r.staff(world.staff.id).await.expect("staff"), Some(world.staff.clone()));
    let creds = r
        .staff_credentials(SQL)
        .await
        .expect("credentials")
        .expect("credentials by SQL-looking email");
    assert_eq!(creds.password_hash, SQL);
    for t in &tickets {
        assert_eq!(
            r.ticket(t.id).await.expect("ticket").as_ref(),
            Some(t),
            "ticket text changed"
        );
    }
    assert_eq!(r.reply(replies[0].id).await.expect("reply"), Some(replies[0].clone()));
    assert_eq!(r.event(event.id).await.expect("event"), Some(event));
    let by_email = r
        .end_user_by_email(world.customer.id, "ユーザー@example.com")
        .await
        .expect("by email");
    assert_eq!(by_email, Some(world.end_user.clone()));

    let hits = search(&mut r, &["DROP"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        ids(&hits),
        vec![tickets[0].id],
        "SQL-looking title and reply found as text"
    );
    assert_eq!(hits[0].title, SQL);
    let hits = search(&mut r, &["Привет"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        id_set(&hits),
        BTreeSet::from([tickets[1].id, tickets[2].id]),
        "Cyrillic word in titles"
    );
    assert!(
        hits.iter().all(|h| h.title == RUSSIAN || h.title == MIXED),
        "titles returned verbatim: {hits:?}"
    );
    let hits = search(&mut r, &["日本語"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![tickets[2].id], "Japanese word in a title");
    let hits = search(&mut r, &["Привет"], &[SearchKind::Customer], None).await;
    assert_eq!(ids(&hits), vec![world.customer.id]);
    assert_eq!(hits[0].title, RUSSIAN);
    assert_marked(&hits[0], "Привет");
    let hits = search(&mut r, &["日本語"], &[SearchKind::EndUser], None).await;
    assert_eq!(ids(&hits), vec![world.end_user.id]);
    assert_eq!(hits[0].title, JAPANESE);
    assert_eq!(
        term_ids(&mut r, &["мир"], false).await,
        vec![tickets[2].id, tickets[1].id]
    );
    assert_eq!(
        term_ids(&mut r, &["Robert"], false).await,
        vec![tickets[0].id],
        "a word of the SQL-looking reply"
    );

    // The tables the texts name are still there.
    assert_eq!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .len(),
        3
    );
    assert_eq!(r.reply_list(tickets[0].id, true).await.expect("reply_list").len(), 1);
}

// ---------------------------------------------------------------- checks: events and concurrency

async fn event_list_filters(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let e1 = w
        .insert_event(&new_event(EntityType::Ticket, 1, Some(10)))
        .await
        .expect("event");
    let e2 = w
        .insert_event(&new_event(EntityType::Ticket, 2, Some(20)))
        .await
        .expect("event");
    let e3 = w
        .insert_event(&new_event(EntityType::Customer, 10, Some(10)))
        .await
        .expect("event");
    w.commit().await.expect("commit");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut w = writer(&s).await;
    let e4 = w
        .insert_event(&new_event(EntityType::Ticket, 1, Some(10)))
        .await
        .expect("event");
    let e5 = w
        .insert_event(&new_event(EntityType::EndUser, 5, Some(20)))
        .await
        .expect("event");
    let e6 = w
        .insert_event(&new_event(EntityType::Brand, 1, None))
        .await
        .expect("event");
    w.commit().await.expect("commit");
    assert!(
        e3.timestamp < e4.timestamp,
        "event timestamps do not advance: {} then {}",
        e3.timestamp,
        e4.timestamp
    );
    let all = [e1, e2, e3, e4, e5, e6];
    let (e3, e4) = (&all[2], &all[3]);

    let mut r = reader(&s).await;
    let unfiltered = r
        .event_list(&EventFilter {
            limit: 100,
            ..EventFilter::default()
        })
        .await
        .expect("event_list");
    let mut newest: Vec<Event> = all.to_vec();
    newest.reverse();
    assert_eq!(unfiltered, newest, "every event, newest first, as stored");

    let expect = |keep: &dyn Fn(&Event) -> bool| newest_first(all.iter().filter(|e| keep(e)).map(|e| e.id).collect());
    let cases: Vec<(&str, EventFilter, Vec<i64>)> = vec![
        (
            "entity ticket",
            EventFilter {
                entity: Some("ticket"),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.data.entity == EntityType::Ticket),
        ),
        (
            "entity ticket 1",
            EventFilter {
                entity: Some("ticket"),
                entity_id: Some(1),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.data.entity == EntityType::Ticket && e.entity_id == 1),
        ),
        (
            "entity id 1 of any entity",
            EventFilter {
                entity_id: Some(1),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.entity_id == 1),
        ),
        (
            "customer 10",
            EventFilter {
                customer_id: Some(10),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.customer_id == Some(10)),
        ),
        (
            "since the second batch",
            EventFilter {
                since_micros: Some(to_micros(e4.timestamp)),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.id >= e4.id),
        ),
        (
            "before the second batch",
            EventFilter {
                before_id: Some(e4.id),
                limit: 100,
                ..EventFilter::default()
            },
            expect(&|e| e.id < e4.id),
        ),
        (
            "limit 2",
            EventFilter {
                limit: 2,
                ..EventFilter::default()
            },
            expect(&|e| e.id > e4.id),
        ),
        (
            "limit 2 before the second batch",
            EventFilter {
                limit: 2,
                before_id: Some(e4.id),
                ..EventFilter::default()
            },
            expect(&|e| e.id < e4.id && e.id > all[0].id),
        ),
        (
            "customer 10 since the second batch",
            EventFilter {
                customer_id: Some(10),
                since_micros: Some(to_micros(e4.timestamp)),
                limit: 100,
                ..EventFilter::default()
            },
            vec![e4.id],
        ),
        (
            "entity customer before the last",
            EventFilter {
                entity: Some("customer"),
                before_id: Some(e3.id + 100),
                limit: 100,
                ..EventFilter::default()
            },
            vec![e3.id],
        ),
        (
            "nothing",
            EventFilter {
                entity: Some("invoice"),
                limit: 100,
                ..EventFilter::default()
            },
            vec![],
        ),
    ];
    for (name, filter, expected) in cases {
        let got = ids(&r.event_list(&filter).await.expect("event_list"));
        assert_eq!(got, expected, "event_list: {name}");
    }
}

async fn concurrent_writers(s: Arc<dyn Store>) {
    const TASKS: usize = 20;
    let world = Arc::new(world(&s).await);
    let mut handles = Vec::with_capacity(TASKS);
    for i in 0..TASKS {
        let (s, world) = (Arc::clone(&s), Arc::clone(&world));
        handles.push(tokio::spawn(async move {
            let mut w = s.write().await.expect("write() under concurrency");
            let t = w
                .insert_ticket(&new_ticket(&world, &format!("Concurrent {i}")))
                .await
                .expect("insert ticket");
            w.commit().await.expect("commit under concurrency");
            t.id
        }));
    }
    let mut made = BTreeSet::new();
    for h in handles {
        let id = h.await.expect("writer task");
        assert!(made.insert(id), "id {id} handed out twice");
    }
    assert_eq!(made.len(), TASKS);
    let mut r = reader(&s).await;
    let listed = r.ticket_list(&TicketFilter::default()).await.expect("ticket_list");
    assert_eq!(id_set(&listed), made, "every committed ticket is listed");
    let titles: BTreeSet<String> = listed.into_iter().map(|t| t.title).collect();
    assert_eq!(titles.len(), TASKS);
}
