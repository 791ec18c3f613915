//! The agent console (`/agent`): the queue with filters and saved views, a ticket with its conversation,
//! controls and customer sidebar, search as you type, and a customer's page. The queue and an open ticket
//! poll for changes (the event log and the ticket row, so a change made on any node shows on every node),
//! and a ticket shows who else has it open or is writing a reply.
use super::page::{Area, Chrome, FieldErrors, PageError, PageResult, html, ok, see_other};
use super::session::{Posted, Visit};
use super::view::{money, number, priority_name, query_string, slot, when, wire};
use crate::extract::Id;
use crate::state::AppState;
use api_types::{ListQuery, NewReply, NewTicket, RedeemIncidents, SearchQuery, TicketPatch, TicketQuery};
use app::console::{CustomerOverview, Submission};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use domain::account::Account;
use domain::{Principal, Priority, Ticket, TicketStatus};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/agent", get(queue))
        .route("/agent/queue/live", get(queue_live))
        .route("/agent/views", post(save_view))
        .route("/agent/views/{id}/delete", post(delete_view))
        .route("/agent/tickets/new", get(new_ticket_form).post(create_ticket))
        .route("/agent/tickets/{id}", get(ticket).post(update_ticket))
        .route("/agent/tickets/{id}/replies", post(reply))
        .route("/agent/tickets/{id}/incidents", post(redeem))
        .route("/agent/tickets/{id}/live", get(ticket_live))
        .route("/agent/search", get(search))
        .route("/agent/customers/{id}", get(customer))
        .route("/agent/end-users/{id}", get(end_user))
        .route("/agent/end-users/{id}/reset-link", post(end_user_reset_link))
}

/// Names of the things a ticket refers to by id.
struct Names {
    departments: Vec<(i64, String, i64)>,
    brands: Vec<(i64, String)>,
    staff: Vec<(i64, String)>,
}

impl Names {
    async fn load(state: &AppState, p: &Principal) -> Result<Names, PageError> {
        let all = ListQuery {
            limit: Some(500),
            ..Default::default()
        };
        let departments = state.app.list_departments(p, &all).await?.data;
        let brands = state.app.list_brands(p, &all).await?.data;
        Ok(Names {
            departments: departments.into_iter().map(|d| (d.id, d.name, d.brand_id)).collect(),
            brands: brands.into_iter().map(|b| (b.id, b.name)).collect(),
            staff: state.app.assignable_staff(p).await?,
        })
    }

    fn department(&self, id: i64) -> String {
        let d = self.departments.iter().find(|d| d.0 == id);
        match d {
            Some((_, name, brand)) if self.brands.len() > 1 => {
                let b = self
                    .brands
                    .iter()
                    .find(|b| b.0 == *brand)
                    .map(|b| b.1.as_str())
                    .unwrap_or("");
                format!("{b} · {name}")
            }
            Some((_, name, _)) => name.clone(),
            None => format!("#{id}"),
        }
    }

    fn staff_name(&self, id: Option<i64>) -> String {
        match id {
            None => String::new(),
            Some(id) => self
                .staff
                .iter()
                .find(|s| s.0 == id)
                .map(|s| s.1.clone())
                .unwrap_or_else(|| format!("#{id}")),
        }
    }
}

/// One line of the queue.
struct Row {
    id: i64,
    title: String,
    status: String,
    priority: &'static str,
    department: String,
    assignee: String,
    lastreply: String,
    unread: bool,
    locked: bool,
}

fn row(t: &Ticket, names: &Names) -> Row {
    Row {
        id: t.id,
        title: t.title.clone(),
        status: wire(&t.status),
        priority: priority_name(t.priority),
        department: names.department(t.did),
        assignee: names.staff_name(t.assigned),
        lastreply: when(t.lastreply),
        unread: !t.read_by_staff,
        locked: t.locked,
    }
}

/// The queue's filters, as the form and the URL carry them ("" = any).
#[derive(Deserialize, Default, Clone)]
pub(crate) struct QueueParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    did: Option<String>,
    #[serde(default)]
    brand: Option<String>,
    #[serde(default)]
    assigned: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
    /// The event the page was drawn at (live polling).
    #[serde(default)]
    since: Option<i64>,
}

impl QueueParams {
    fn get(v: &Option<String>) -> &str {
        v.as_deref().map(str::trim).unwrap_or("")
    }

    /// The filters as a query string (without cursor and marker): what a saved view keeps.
    fn filters(&self) -> String {
        query_string(&[
            ("status", Self::get(&self.status)),
            ("did", Self::get(&self.did)),
            ("brand", Self::get(&self.brand)),
            ("assigned", Self::get(&self.assigned)),
            ("priority", Self::get(&self.priority)),
            ("sort", Self::get(&self.sort)),
        ])
    }

    fn ticket_query(&self, me: i64) -> TicketQuery {
        let assigned = match Self::get(&self.assigned) {
            "" => None,
            "me" => Some(me.to_string()),
            other => Some(other.to_owned()),
        };
        TicketQuery {
            status: Some(Self::get(&self.status)).filter(|s| !s.is_empty()).map(|s| {
                if s == "active" {
                    // Every status but solved: the work still to do.
                    TicketStatus::ALL
                        .iter()
                        .filter(|st| **st != TicketStatus::Solved)
                        .map(wire)
                        .collect::<Vec<_>>()
                        .join(",")
                } else {
                    s.to_owned()
                }
            }),
            did: number(&self.did),
            brand: number(&self.brand),
            assigned,
            priority: number(&self.priority),
            sort: Some(Self::get(&self.sort)).filter(|s| !s.is_empty()).map(str::to_owned),
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
            limit: Some(QUEUE_PAGE),
            ..Default::default()
        }
    }
}

const QUEUE_PAGE: u32 = 50;

/// The queue's table: drawn in the page, and alone ([`QueueLive`]) when it changed since the page was drawn.
struct QueuePart {
    rows: Vec<Row>,
    next: Option<String>,
    filters: String,
    since: i64,
    list_slot: String,
}

#[derive(Template)]
#[template(path = "agent/queue_live.html")]
struct QueueLive {
    part: QueuePart,
}

#[derive(Template)]
#[template(path = "agent/queue.html")]
struct QueuePage {
    c: Chrome,
    f: QueueParams,
    names_departments: Vec<(i64, String, i64)>,
    names_brands: Vec<(i64, String)>,
    names_staff: Vec<(i64, String)>,
    statuses: Vec<String>,
    views: Vec<(i64, String, String)>,
    part: QueuePart,
    errors: FieldErrors,
}

impl QueuePage {
    fn selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "status" => &self.f.status,
            "did" => &self.f.did,
            "brand" => &self.f.brand,
            "assigned" => &self.f.assigned,
            "priority" => &self.f.priority,
            "sort" => &self.f.sort,
            _ => return false,
        };
        QueueParams::get(current) == value
    }
}

fn staff_id(p: &Principal) -> i64 {
    match p {
        Principal::Staff { id, .. } => *id,
        _ => 0,
    }
}

async fn queue_part(state: &AppState, p: &Principal, f: &QueueParams, names: &Names) -> Result<QueuePart, PageError> {
    // The marker is read before the list: a change between the two is drawn again at the next poll.
    let since = state.app.latest_change(p).await?;
    let tickets = match state.app.list_tickets(p, &f.ticket_query(staff_id(p))).await {
        Ok(t) => t,
        Err(app::AppError::Validation(_)) => app::Paged {
            data: vec![],
            next_cursor: None,
        },
        Err(e) => return Err(e.into()),
    };
    let filters = f.filters();
    let next = tickets.next_cursor.map(|c| {
        let q = query_string(&[("cursor", &c)]);
        if filters.is_empty() {
            q
        } else {
            format!("{filters}&{q}")
        }
    });
    Ok(QueuePart {
        rows: tickets.data.iter().map(|t| row(t, names)).collect(),
        next,
        filters,
        since,
        list_slot: slot(state, p, "TicketAdminAreaViewList", None).await,
    })
}

async fn queue_page(state: &AppState, visit: &Visit, f: QueueParams, errors: FieldErrors) -> PageResult {
    let s = visit.staff()?;
    let p = &s.principal;
    let names = Names::load(state, p).await?;
    let part = queue_part(state, p, &f, &names).await?;
    let views = state
        .app
        .saved_views(p)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name, v.query))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        QueuePage {
            c: Chrome::of(s, Area::Agent, "Queue"),
            f,
            names_departments: names.departments,
            names_brands: names.brands,
            names_staff: names.staff,
            statuses: TicketStatus::ALL.iter().map(wire).collect(),
            views,
            part,
            errors,
        },
    ))
}

/// `GET /agent`: the queue.
async fn queue(State(state): State<AppState>, visit: Visit, Query(f): Query<QueueParams>) -> PageResult {
    queue_page(&state, &visit, f, FieldErrors::default()).await
}

/// `GET /agent/queue/live?…&since=N`: 204 while nothing changed since event N, else the queue's table.
async fn queue_live(State(state): State<AppState>, visit: Visit, Query(f): Query<QueueParams>) -> PageResult {
    let s = visit.staff()?;
    let p = &s.principal;
    if f.since.is_some_and(|since| since >= 0) && state.app.latest_change(p).await? == f.since.unwrap_or(-1) {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let names = Names::load(&state, p).await?;
    ok(QueueLive {
        part: queue_part(&state, p, &f, &names).await?,
    })
}

#[derive(Deserialize)]
pub(crate) struct ViewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /agent/views`: saves the queue's filters under a name.
async fn save_view(State(state): State<AppState>, posted: Posted<ViewForm>) -> PageResult {
    let s = posted.visit.staff()?;
    let f = &posted.form;
    match state.app.save_view(&s.principal, &f.name, &f.query).await {
        Ok(v) => see_other(&format!("/agent?{}", v.query), posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            let params: QueueParams = serde_urlencoded::from_str(&f.query).unwrap_or_default();
            queue_page(&state, &posted.visit, params, errors).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct NoFields {}

async fn delete_view(State(state): State<AppState>, Id(id): Id, posted: Posted<NoFields>) -> PageResult {
    let s = posted.visit.staff()?;
    state.app.delete_saved_view(&s.principal, id).await?;
    see_other("/agent", posted.visit.htmx)
}

/// A message of the conversation as the console shows it.
struct Message {
    id: i64,
    author: String,
    staff: bool,
    internal: bool,
    at: String,
    text: String,
    files: Vec<super::attachments::FileLink>,
}

/// The parts of the ticket page that change when someone else acts on the ticket.
#[derive(Template)]
#[template(path = "agent/conversation.html")]
struct Conversation {
    t: TicketView,
    messages: Vec<Message>,
}

struct TicketView {
    id: i64,
    title: String,
    status: String,
    priority: &'static str,
    department: String,
    assignee: String,
    locked: bool,
    opened: String,
    version: i64,
    redeemed: Vec<String>,
}

#[derive(Template)]
#[template(path = "agent/ticket.html")]
struct TicketPage {
    c: Chrome,
    conv: Conversation,
    ticket: Ticket,
    statuses: Vec<String>,
    departments: Vec<(i64, String)>,
    staff: Vec<(i64, String)>,
    overview: Option<Overview>,
    /// The ticket's account in its brand's `webcall` backend, or why it could not be loaded.
    account: Option<AccountView>,
    account_error: Option<String>,
    requester: String,
    detail_slot: String,
    sidebar_slot: String,
    errors: FieldErrors,
    draft: String,
    draft_internal: bool,
    notice: Option<String>,
    once: String,
}

impl TicketPage {
    fn priority_is(&self, p: u8) -> bool {
        self.ticket.priority.get() == p
    }

    fn assigned_is(&self, staff_id: &i64) -> bool {
        self.ticket.assigned == Some(*staff_id)
    }
}

/// The customer sidebar, ready to draw.
pub(crate) struct Overview {
    customer_id: i64,
    name: String,
    email: String,
    phone: String,
    tags: String,
    attributes: Vec<(String, String)>,
    contacts: Vec<(i64, String, String)>,
    subscriptions: Vec<(i64, String, String, String)>,
    unpaid: Vec<(i64, String, String, String)>,
    has_contract: bool,
    incidents: Vec<(String, i64, i64, bool)>,
    /// The ticket whose sidebar this is (incidents are redeemed for it).
    ticket_id: Option<i64>,
}

fn overview(o: CustomerOverview) -> Overview {
    let c = o.customer;
    Overview {
        customer_id: c.id,
        name: c.name,
        email: c.email.unwrap_or_default(),
        phone: c.phone.unwrap_or_default(),
        tags: c.tags.join(", "),
        attributes: c
            .attributes
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
        contacts: o
            .contacts
            .into_iter()
            .map(|u| (u.id, u.name, u.email.unwrap_or_default()))
            .collect(),
        subscriptions: o
            .subscriptions
            .into_iter()
            .map(|(s, plan)| (s.id, plan, wire(&s.status), when(s.current_period_end)))
            .collect(),
        unpaid: o
            .unpaid
            .into_iter()
            .map(|i| {
                (
                    i.id,
                    i.number.unwrap_or_else(|| format!("#{}", i.id)),
                    money(i.amount_due, i.currency),
                    i.due_at.map(when).unwrap_or_default(),
                )
            })
            .collect(),
        has_contract: o.contract_id.is_some(),
        incidents: o
            .incidents
            .into_iter()
            .map(|u| (u.kind, u.left, u.total, u.redeemed))
            .collect(),
        ticket_id: None,
    }
}

/// An account of a customer backend, drawn like a local customer in the sidebar (and on the screen pop).
pub(crate) struct AccountView {
    pub(crate) userkey: String,
    /// The account's name: its `account`, else its userkey.
    pub(crate) title: String,
    pub(crate) status: String,
    pub(crate) contacts: Vec<ContactView>,
    /// The backend's custom fields, `(id, value)`.
    pub(crate) fields: Vec<(String, String)>,
}

pub(crate) struct ContactView {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) phones: String,
    pub(crate) address: String,
}

/// The non-empty parts, joined.
fn joined(parts: &[&str], separator: &str) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

pub(crate) fn account_view(a: Account) -> AccountView {
    let contacts = a
        .contacts
        .iter()
        .map(|c| {
            let labelled = |label: &str, v: &str| {
                let v = v.trim();
                if v.is_empty() {
                    String::new()
                } else {
                    format!("{label} {v}")
                }
            };
            ContactView {
                name: joined(&[&c.firstname, &c.lastname], " "),
                email: joined(&[&c.pemail, &c.semail], ", "),
                phones: joined(
                    &[
                        &c.pphone,
                        &c.sphone,
                        &labelled("mobile", &c.mobile),
                        &labelled("fax", &c.fax),
                    ],
                    ", ",
                ),
                address: joined(&[&c.aone, &c.atwo, &c.city, &c.region, &c.pc, &c.country], ", "),
            }
        })
        .collect();
    AccountView {
        title: if a.account.trim().is_empty() {
            a.userkey.clone()
        } else {
            a.account.clone()
        },
        userkey: a.userkey,
        status: a.status,
        contacts,
        fields: a.fields.into_iter().map(|f| (f.id, f.value)).collect(),
    }
}

/// The account `userkey` of a `webcall` brand, or what to say instead: a backend that fails (down, slow
/// beyond its timeout, answering garbage) is said in the sidebar and the rest of the page works.
async fn backend_account(
    state: &AppState,
    visit: &Visit,
    p: &Principal,
    brand_id: i64,
    userkey: &str,
) -> Result<Result<AccountView, String>, PageError> {
    match state.app.account_load(p, &visit.meta, brand_id, userkey).await {
        Ok(a) => Ok(Ok(account_view(a))),
        Err(app::AppError::BackendUnavailable(detail)) => Ok(Err(format!("customer database unavailable: {detail}"))),
        Err(app::AppError::NotFound) => Ok(Err(format!("the customer database has no account {userkey}"))),
        Err(app::AppError::Validation(errors)) => Ok(Err(errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "))),
        Err(e) => Err(e.into()),
    }
}

fn messages(t: &Ticket) -> Vec<Message> {
    t.replies
        .iter()
        .flatten()
        .map(|r| Message {
            id: r.id,
            author: r.name.clone(),
            staff: r.admin,
            internal: r.internal,
            at: when(r.ctime),
            text: r.message.clone(),
            files: super::attachments::links("/agent", &r.attachments),
        })
        .collect()
}

fn ticket_view(t: &Ticket, names: &Names) -> TicketView {
    TicketView {
        id: t.id,
        title: t.title.clone(),
        status: wire(&t.status),
        priority: priority_name(t.priority),
        department: names.department(t.did),
        assignee: names.staff_name(t.assigned),
        locked: t.locked,
        opened: when(t.ctime),
        version: version(t),
        redeemed: t.redeemed.clone(),
    }
}

/// What changes whenever the ticket or its conversation does.
fn version(t: &Ticket) -> i64 {
    store::time::to_micros(t.updated_at).max(store::time::to_micros(t.lastreply))
}

struct Draft {
    message: String,
    internal: bool,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn ticket_page(state: &AppState, visit: &Visit, id: i64, draft: Draft) -> PageResult {
    let s = visit.staff()?;
    let p = &s.principal;
    let mut t = state.app.get_ticket(p, id, true).await?;
    if !t.read_by_staff {
        // Opening the ticket is reading it (WiseCP's adminunread).
        let replies = t.replies.take();
        t = state.app.mark_ticket_read(p, &visit.meta, id).await?;
        t.replies = replies;
    }
    let names = Names::load(state, p).await?;
    let overview = match state.app.customer_overview(p, t.customer_id, Some(id)).await {
        Ok(o) => Some(Overview {
            ticket_id: Some(id),
            ..overview(o)
        }),
        Err(app::AppError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let brand_id = names.departments.iter().find(|d| d.0 == t.did).map(|d| d.2);
    let (account, account_error) = match (brand_id, t.account_key.as_deref()) {
        (Some(brand_id), Some(key)) if state.app.get_brand(p, brand_id).await?.customer_backend == "webcall" => {
            match backend_account(state, visit, p, brand_id, key).await? {
                Ok(a) => (Some(a), None),
                Err(why) => (None, Some(why)),
            }
        }
        _ => (None, None),
    };
    let requester = state
        .app
        .get_end_user(p, t.user_id)
        .await
        .map(|u| match u.email {
            Some(e) => format!("{} <{e}>", u.name),
            None => u.name,
        })
        .unwrap_or_default();
    let status = if draft.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TicketPage {
        c: Chrome::of(s, Area::Agent, format!("#{} {}", t.id, t.title)),
        conv: Conversation {
            t: ticket_view(&t, &names),
            messages: messages(&t),
        },
        statuses: TicketStatus::ALL.iter().map(wire).collect(),
        departments: names.departments.iter().map(|d| (d.0, names.department(d.0))).collect(),
        staff: names.staff.clone(),
        overview,
        account,
        account_error,
        requester,
        detail_slot: slot(state, p, "TicketAdminAreaViewDetail", Some(id)).await,
        sidebar_slot: slot(state, p, "TicketAdminAreaViewDetailSidebar", Some(id)).await,
        errors: draft.errors,
        draft: draft.message,
        draft_internal: draft.internal,
        notice: draft.notice,
        once: super::view::form_key(),
        ticket: t,
    };
    Ok(html(status, page))
}

#[derive(Deserialize, Default)]
pub(crate) struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /agent/tickets/{id}`.
async fn ticket(State(state): State<AppState>, visit: Visit, Id(id): Id, Query(q): Query<NoticeQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("reply") => Some("Reply sent.".to_owned()),
        Some("note") => Some("Internal note added.".to_owned()),
        Some("update") => Some("Ticket updated.".to_owned()),
        Some("redeem") => Some("Incident redeemed.".to_owned()),
        Some("created") => Some("Ticket opened.".to_owned()),
        _ => None,
    };
    ticket_page(
        &state,
        &visit,
        id,
        Draft {
            message: String::new(),
            internal: false,
            errors: FieldErrors::default(),
            notice,
        },
    )
    .await
}

#[derive(Deserialize)]
pub(crate) struct ReplyForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    internal: Option<String>,
    /// The form's one-time key: a second submission of the same reply adds nothing.
    #[serde(default)]
    once: String,
}

/// `POST /agent/tickets/{id}/replies`: a reply, or an internal note, with the files chosen (multipart).
async fn reply(
    State(state): State<AppState>,
    Id(id): Id,
    posted: super::attachments::PostedFiles<ReplyForm>,
) -> PageResult {
    let s = posted.visit.staff()?;
    let internal = posted.form.internal.is_some();
    if let Some(refused) = posted.refused {
        let draft = Draft {
            message: posted.form.message.clone(),
            internal,
            errors: FieldErrors(vec![domain::FieldError::new("file", refused)]),
            notice: None,
        };
        return ticket_page(&state, &posted.visit, id, draft).await;
    }
    let once = &posted.form.once;
    match state.app.claim_submission(s.id, once).await? {
        Submission::Fresh => {}
        Submission::Done(to) => return see_other(&to, posted.visit.htmx),
        Submission::Pending => return see_other(&format!("/agent/tickets/{id}"), posted.visit.htmx),
    }
    let input = NewReply {
        message: posted.form.message.clone(),
        internal: Some(internal),
    };
    match state
        .app
        .reply_with_files(&s.principal, &posted.visit.meta, id, input, posted.files)
        .await
    {
        Ok(_) => {
            let done = if internal { "note" } else { "reply" };
            let to = format!("/agent/tickets/{id}?done={done}#bottom");
            state.app.finish_submission(s.id, once, Some(&to)).await?;
            see_other(&to, posted.visit.htmx)
        }
        Err(e) => {
            state.app.finish_submission(s.id, once, None).await?;
            let errors = FieldErrors::from_app(e)?;
            let draft = Draft {
                message: posted.form.message.clone(),
                internal,
                errors,
                notice: None,
            };
            ticket_page(&state, &posted.visit, id, draft).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ControlsForm {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    did: Option<String>,
    #[serde(default)]
    assigned: Option<String>,
    #[serde(default)]
    locked: Option<String>,
}

/// `POST /agent/tickets/{id}`: status, priority, department, assignee and lock in one change.
async fn update_ticket(State(state): State<AppState>, Id(id): Id, posted: Posted<ControlsForm>) -> PageResult {
    let s = posted.visit.staff()?;
    let f = &posted.form;
    let mut errors = Vec::new();
    let status = match f.status.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match TicketStatus::parse(v) {
            Ok(st) => Some(st),
            Err(e) => {
                errors.push(domain::FieldError::new("status", e.to_string()));
                None
            }
        },
    };
    let priority = match number(&f.priority) {
        None => None,
        Some(v) => match Priority::try_from(v).ok() {
            Some(p) => Some(p),
            None => {
                errors.push(domain::FieldError::new("priority", "must be 1, 2 or 3"));
                None
            }
        },
    };
    let patch = TicketPatch {
        status,
        priority,
        did: number(&f.did),
        // The control always sends the lock state: a checkbox is absent when unticked.
        locked: Some(f.locked.is_some()),
        assigned: f.assigned.as_ref().map(|a| number(&Some(a.clone()))),
        ..Default::default()
    };
    let result = if errors.is_empty() {
        state
            .app
            .update_ticket(&s.principal, &posted.visit.meta, id, patch)
            .await
            .map(drop)
    } else {
        Err(app::AppError::Validation(errors))
    };
    match result {
        Ok(()) => see_other(&format!("/agent/tickets/{id}?done=update"), posted.visit.htmx),
        Err(e) => {
            let draft = Draft {
                message: String::new(),
                internal: false,
                errors: FieldErrors::from_app(e)?,
                notice: None,
            };
            ticket_page(&state, &posted.visit, id, draft).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct RedeemForm {
    #[serde(default, rename = "type")]
    kind: String,
}

/// `POST /agent/tickets/{id}/incidents`: redeems one incident of a type of the customer's contract.
async fn redeem(State(state): State<AppState>, Id(id): Id, posted: Posted<RedeemForm>) -> PageResult {
    let s = posted.visit.staff()?;
    let input = RedeemIncidents {
        types: vec![posted.form.kind.clone()],
    };
    match state
        .app
        .redeem_incidents(&s.principal, &posted.visit.meta, id, input)
        .await
    {
        Ok(_) => see_other(&format!("/agent/tickets/{id}?done=redeem"), posted.visit.htmx),
        Err(e) => {
            let draft = Draft {
                message: String::new(),
                internal: false,
                errors: FieldErrors::from_app(e)?,
                notice: None,
            };
            ticket_page(&state, &posted.visit, id, draft).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LiveQuery {
    #[serde(default)]
    v: i64,
    #[serde(default)]
    replying: Option<String>,
}

#[derive(Template)]
#[template(path = "agent/live.html")]
struct Live {
    id: i64,
    version: i64,
    others: Vec<(String, bool)>,
    changed: Option<Conversation>,
}

/// `GET /agent/tickets/{id}/live?v=VERSION&replying=0|1`: marks this agent as looking at (or answering) the
/// ticket, and answers who else is, with the conversation again when the ticket changed since `v`.
async fn ticket_live(
    State(state): State<AppState>,
    visit: Visit,
    Id(id): Id,
    Query(q): Query<LiveQuery>,
) -> PageResult {
    let s = visit.staff()?;
    let p = &s.principal;
    let replying = q.replying.as_deref().is_some_and(|r| r == "1" || r == "true");
    let others = state.app.mark_presence(p, id, replying).await?;
    let t = state.app.get_ticket(p, id, false).await?;
    let changed = if version(&t) != q.v {
        let t = state.app.get_ticket(p, id, true).await?;
        let names = Names::load(&state, p).await?;
        Some(Conversation {
            t: ticket_view(&t, &names),
            messages: messages(&t),
        })
    } else {
        None
    };
    ok(Live {
        id,
        version: changed.as_ref().map(|c| c.t.version).unwrap_or(q.v),
        others: others.into_iter().map(|o| (o.staff_name, o.replying)).collect(),
        changed,
    })
}

#[derive(Template)]
#[template(path = "agent/new_ticket.html")]
struct NewTicketPage {
    c: Chrome,
    departments: Vec<(i64, String)>,
    form: NewTicketForm,
    errors: FieldErrors,
    create_slot: String,
    create_sidebar_slot: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct NewTicketForm {
    #[serde(default)]
    did: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    once: String,
}

async fn new_ticket_page(state: &AppState, visit: &Visit, mut form: NewTicketForm, errors: FieldErrors) -> PageResult {
    let s = visit.staff()?;
    form.once = super::view::form_key();
    let p = &s.principal;
    let names = Names::load(state, p).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        NewTicketPage {
            c: Chrome::of(s, Area::Agent, "New ticket"),
            departments: names.departments.iter().map(|d| (d.0, names.department(d.0))).collect(),
            form,
            errors,
            create_slot: slot(state, p, "TicketAdminAreaViewCreate", None).await,
            create_sidebar_slot: slot(state, p, "TicketAdminAreaViewCreateSidebar", None).await,
        },
    ))
}

/// `GET /agent/tickets/new` (`?customer_id=` fills in the customer).
async fn new_ticket_form(State(state): State<AppState>, visit: Visit, Query(form): Query<NewTicketForm>) -> PageResult {
    new_ticket_page(&state, &visit, form, FieldErrors::default()).await
}

/// `POST /agent/tickets/new`: opens a ticket for a customer's end user (found or created by email).
async fn create_ticket(State(state): State<AppState>, posted: Posted<NewTicketForm>) -> PageResult {
    let s = posted.visit.staff()?;
    let f = &posted.form;
    match state.app.claim_submission(s.id, &f.once).await? {
        Submission::Fresh => {}
        Submission::Done(to) => return see_other(&to, posted.visit.htmx),
        Submission::Pending => return see_other("/agent", posted.visit.htmx),
    }
    let input = NewTicket {
        did: number(&f.did).unwrap_or(0),
        title: f.title.clone(),
        message: f.message.clone(),
        customer_id: number(&f.customer_id),
        email: Some(f.email.trim().to_owned()).filter(|e| !e.is_empty()),
        name: Some(f.name.trim().to_owned()).filter(|n| !n.is_empty()),
        priority: number(&f.priority).and_then(|v| Priority::try_from(v).ok()),
        ..Default::default()
    };
    match state.app.create_ticket(&s.principal, &posted.visit.meta, input).await {
        Ok(t) => {
            let to = format!("/agent/tickets/{}?done=created", t.id);
            state.app.finish_submission(s.id, &f.once, Some(&to)).await?;
            see_other(&to, posted.visit.htmx)
        }
        Err(e) => {
            state.app.finish_submission(s.id, &f.once, None).await?;
            let errors = FieldErrors::from_app(e)?;
            new_ticket_page(&state, &posted.visit, posted.form, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct SearchParams {
    #[serde(default)]
    q: String,
}

struct Hit {
    href: String,
    kind: &'static str,
    title: String,
    /// Escaped text with `<mark>` around the matched words (the search use case escapes the rest).
    highlight: String,
}

#[derive(Template)]
#[template(path = "agent/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    hits: Vec<Hit>,
    error: Option<String>,
}

/// `GET /agent/search?q=`: tickets, customers and end users, matched words highlighted; the field
/// searches as one types (htmx swaps the results in).
async fn search(State(state): State<AppState>, visit: Visit, Query(params): Query<SearchParams>) -> PageResult {
    let s = visit.staff()?;
    let q = params.q.trim().to_owned();
    let mut hits = Vec::new();
    let mut error = None;
    if !q.is_empty() {
        let query = SearchQuery {
            q: q.clone(),
            types: None,
            limit: Some(30),
        };
        match state.app.search(&s.principal, &query).await {
            Ok(found) => {
                for h in found.data {
                    let (href, kind) = match h.kind.as_str() {
                        "ticket" => (format!("/agent/tickets/{}", h.id), "Ticket"),
                        "customer" => (format!("/agent/customers/{}", h.id), "Customer"),
                        _ => (format!("/agent/end-users/{}", h.id), "End user"),
                    };
                    hits.push(Hit {
                        href,
                        kind,
                        title: h.title,
                        highlight: h.highlight,
                    });
                }
            }
            Err(app::AppError::Validation(e)) => {
                error = Some(e.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "));
            }
            Err(e) => return Err(e.into()),
        }
    }
    ok(SearchPage {
        c: Chrome::of(s, Area::Agent, "Search"),
        q,
        hits,
        error,
    })
}

#[derive(Template)]
#[template(path = "agent/customer.html")]
struct CustomerPage {
    c: Chrome,
    o: Overview,
    rows: Vec<Row>,
    next: Option<String>,
    /// A reset link just issued for a contact: (their name, the link), shown once.
    reset: Option<(String, String)>,
}

#[derive(Deserialize, Default)]
pub(crate) struct CursorQuery {
    #[serde(default)]
    cursor: Option<String>,
}

/// `GET /agent/customers/{id}`: the account with its contacts, billing and contract, and its tickets.
async fn customer(State(state): State<AppState>, visit: Visit, Id(id): Id, Query(q): Query<CursorQuery>) -> PageResult {
    customer_page(&state, &visit, id, q.cursor, None).await
}

async fn customer_page(
    state: &AppState,
    visit: &Visit,
    id: i64,
    cursor: Option<String>,
    reset: Option<(String, String)>,
) -> PageResult {
    let s = visit.staff()?;
    let p = &s.principal;
    let o = overview(state.app.customer_overview(p, id, None).await?);
    let names = Names::load(state, p).await?;
    let tickets = state
        .app
        .list_tickets(
            p,
            &TicketQuery {
                customer_id: Some(id),
                cursor: cursor.filter(|c| !c.is_empty()),
                limit: Some(QUEUE_PAGE),
                ..Default::default()
            },
        )
        .await?;
    let rows = tickets.data.iter().map(|t| row(t, &names)).collect();
    ok(CustomerPage {
        c: Chrome::of(s, Area::Agent, o.name.clone()),
        next: tickets.next_cursor.map(|c| query_string(&[("cursor", &c)])),
        o,
        rows,
        reset,
    })
}

/// `GET /agent/end-users/{id}`: an end user is shown on their customer's page.
async fn end_user(State(state): State<AppState>, visit: Visit, Id(id): Id) -> PageResult {
    let s = visit.staff()?;
    let u = state.app.get_end_user(&s.principal, id).await?;
    see_other(&format!("/agent/customers/{}#contact-{id}", u.customer_id), false)
}

/// `POST /agent/end-users/{id}/reset-link` (admins): a portal password reset link for the end user,
/// shown once on their customer's page.
async fn end_user_reset_link(State(state): State<AppState>, Id(id): Id, posted: Posted<NoFields>) -> PageResult {
    let s = posted.visit.admin()?;
    let u = state.app.get_end_user(&s.principal, id).await?;
    let secret = state
        .app
        .create_password_reset(&s.principal, store::Person::EndUser(id))
        .await?;
    let link = format!("/reset/{secret}");
    customer_page(&state, &posted.visit, u.customer_id, None, Some((u.name, link))).await
}
