//! The storage conformance suite: one set of checks that every backend must pass, unchanged.
//!
//! A backend's `tests/conformance.rs` (a `libtest-mimic` harness) makes one test of each of [`checks`], which
//! opens a fresh, empty, migrated store and calls [`run_check`]: checks never see each other's rows, use
//! only the public [`Store`], [`Reader`] and [`Writer`] API, and a failure names its check
//! (`cargo test -p <backend> --test conformance <part of a name>` runs some of them).

use crate::time::{from_micros, now, to_micros};
use crate::{
    AssignedFilter, DeletedFilter, EventFilter, ForeignKey, MARK_END, MARK_START, PageRequest, Reader, SearchKind,
    SearchRequest, SearchRow, Store, StoreError, TicketFilter, TicketSort, UniqueKey, Writer,
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
#[derive(Clone, Copy)]
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

/// Every check of the suite, in the order they run. A check's name stays within 43 characters: the
/// PostgreSQL harness names a schema after it (`t_<pid>_<ms>_<name>`, at most 63 bytes).
pub fn checks() -> Vec<Check> {
    checks![
        fresh_store_is_empty,
        staff_round_trip,
        token_round_trip,
        brand_round_trip,
        department_round_trip,
        customer_round_trip,
        end_user_round_trip,
        end_user_password_hash_by_id,
        ticket_round_trip,
        reply_round_trip,
        delete_ticket_removes_replies,
        event_round_trip,
        unique_constraints_conflict,
        end_user_email_unique_among_live,
        foreign_keys_reference,
        writer_dropped_without_commit_rolls_back,
        many_writes_in_one_transaction,
        commit_is_visible_to_new_readers,
        brand_list_pages,
        customer_list_pages,
        end_user_list_pages,
        department_list_pages,
        reply_list_pages,
        ticket_list_filters,
        ticket_list_sorts_and_cursors,
        ticket_list_terms,
        ticket_list_terms_many_matches,
        search_tickets,
        search_customer_scope,
        search_people,
        search_follows_edits,
        search_many_matches,
        search_folds_accents_and_matches_prefixes,
        prefixes_reach_every_word_they_begin,
        verbatim_text,
        event_list_filters,
        concurrent_writers,
        admin_count_holds_the_admins,
        oauth_client_round_trip,
        oauth_tokens_expire_and_end_with_their_client,
        attribute_definitions,
        attribute_values_written_with_people,
        attribute_unique_values,
        attribute_unique_turned_on,
        values_follow_stored_definitions,
        attribute_unique_under_concurrent_writers,
        attribute_unique_turned_on_during_a_write,
        attribute_searchable_switch,
        searchable_switched_during_a_write,
        attribute_change_follows_stored_row,
        person_query_text_attribute,
        person_query_number_and_date_attributes,
        person_query_columns,
        person_query_like_wildcards_are_literal,
        person_query_non_ascii_text,
        person_query_tags,
        person_query_combined,
        person_query_order_and_pages,
        person_query_deleted,
        person_keyword_many_matches,
        person_keyword_punctuation,
        customer_lookups,
        activity_events_by_person,
        billing_catalogue_round_trip,
        subscriptions_one_live_per_group,
        invoice_numbers_have_no_gaps,
        contract_incidents_stay_within_total,
        renewal_queries_and_one_invoice_per_period,
        outbox_claims_in_order_and_take_over,
        deliveries_claim_per_endpoint,
        sessions_failures_and_resets,
        dashboard_counts,
        calls_and_callers_by_number,
        case_updates_claim_record_take_over,
        attachments_round_trip,
        attachments_of_many_replies,
        attachment_contents_swept_with_deletes,
        attachment_rolled_back_with_its_reply,
        attachment_kept_for_a_concurrent_attach,
        mailboxes_round_trip,
        mail_messages_thread_and_dedupe,
        mail_deliveries_claim_record_take_over,
        mail_staff_departments_replace_and_read,
    ]
}

/// Runs one check on `store` (a fresh, empty, migrated store), then closes the store: `Err` says why the
/// check failed (its assertion message, or a timeout).
pub async fn run_check(check: Check, store: Arc<dyn Store>) -> Result<(), String> {
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
    outcome
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
has_id!(domain::OauthClient);
has_id!(
    domain::billing::Feature,
    domain::billing::Group,
    domain::billing::Package,
    domain::billing::Plan,
    domain::billing::Subscription,
    domain::billing::Contract,
    domain::billing::Invoice
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
fn assert_conflict<T: std::fmt::Debug>(r: crate::Result<T>, key: UniqueKey, what: &str) {
    match r {
        Err(StoreError::Unique(broken)) if broken == key => {}
        other => panic!("{what}: expected StoreError::Unique({key:?}), got {other:?}"),
    }
}

/// A broken foreign key must be reported as such, named where the backend can name it (SQLite reports
/// only that *a* foreign key failed: [`ForeignKey::Unnamed`]).
#[track_caller]
fn assert_reference<T: std::fmt::Debug>(r: crate::Result<T>, key: ForeignKey, what: &str) {
    match r {
        Err(StoreError::Reference(broken)) if broken == key || broken == ForeignKey::Unnamed => {}
        other => panic!("{what}: expected StoreError::Reference({key:?}), got {other:?}"),
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
        department_ids: Vec::new(),
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
        webcall: None,
        acknowledge_new_tickets: true,
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
        city: None,
        country: None,
        external_id: external_id.map(str::to_owned),
        tags: vec![],
        attributes: Default::default(),
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
        first_name: None,
        last_name: None,
        city: None,
        country: None,
        attributes: Default::default(),
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
        callid: None,
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
        attachments: Vec::new(),
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
        .insert_customer(&new_customer("Globex", Some("globex-1")), &[])
        .await
        .expect("insert customer");
    let end_user = w
        .insert_end_user(
            &new_end_user(customer.id, "Homer", Some("homer@example.com")),
            None,
            &[],
        )
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

// The checks, after the helper macros above (macros are in scope only below their definition).
mod activity;
mod attachments;
mod attributes;
mod billing;
mod calls;
mod case_updates;
mod constraints;
mod contracts;
mod dashboard;
mod events;
mod lists;
mod mail;
mod oauth;
mod outbox;
mod records;
mod search;
mod sessions;

use activity::*;
use attachments::*;
use attributes::*;
use billing::*;
use calls::*;
use case_updates::*;
use constraints::*;
use contracts::*;
use dashboard::*;
use events::*;
use lists::*;
use mail::*;
use oauth::*;
use outbox::*;
use records::*;
use search::*;
use sessions::*;
