//! The customer portal (`/portal`): an end user's tickets (their customer's), opening one in a public
//! department, reading and answering it (not when locked), marking it solved, and the invoices.
use super::page::{Area, Chrome, FieldErrors, PageError, PageResult, html, ok, see_other};
use super::session::{Posted, Visit};
use super::view::{money, number, priority_name, query_string, slot, when, wire};
use crate::extract::Id;
use crate::state::AppState;
use api_types::{InvoiceQuery, ListQuery, NewReply, NewTicket, TicketPatch, TicketQuery};
use app::console::Submission;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use domain::TicketStatus;
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(tickets))
        .route("/portal/tickets/new", get(new_ticket_form).post(create_ticket))
        .route("/portal/tickets/{id}", get(ticket))
        .route("/portal/tickets/{id}/replies", post(reply))
        .route("/portal/tickets/{id}/solved", post(mark_solved))
        .route("/portal/invoices", get(invoices))
}

const PAGE: u32 = 25;

struct Row {
    id: i64,
    title: String,
    status: String,
    lastreply: String,
    /// Staff answered and the customer has not read it yet.
    unread: bool,
}

#[derive(Template)]
#[template(path = "portal/tickets.html")]
struct TicketsPage {
    c: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
    list_slot: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct CursorQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// `GET /portal`: the customer's tickets, latest activity first.
async fn tickets(State(state): State<AppState>, visit: Visit, Query(q): Query<CursorQuery>) -> PageResult {
    let s = visit.end_user()?;
    let p = &s.principal;
    let listed = state
        .app
        .list_tickets(
            p,
            &TicketQuery {
                sort: Some("-lastreply".into()),
                cursor: q.cursor.filter(|c| !c.is_empty()),
                limit: Some(PAGE),
                ..Default::default()
            },
        )
        .await?;
    ok(TicketsPage {
        c: Chrome::of(s, Area::Portal, "My tickets"),
        rows: listed
            .data
            .iter()
            .map(|t| Row {
                id: t.id,
                title: t.title.clone(),
                status: wire(&t.status),
                lastreply: when(t.lastreply),
                unread: !t.read_by_customer,
            })
            .collect(),
        next: listed.next_cursor.map(|c| query_string(&[("cursor", &c)])),
        list_slot: slot(&state, p, "TicketClientAreaViewList", None).await,
    })
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
    priority: Option<String>,
    /// Optional details the department asks for, kept as the ticket's custom fields.
    #[serde(default)]
    reference: String,
    /// The form's one-time key (a second submission shows the first one's ticket).
    #[serde(default)]
    once: String,
}

#[derive(Template)]
#[template(path = "portal/new_ticket.html")]
struct NewTicketPage {
    c: Chrome,
    departments: Vec<(i64, String, String)>,
    form: NewTicketForm,
    errors: FieldErrors,
    create_slot: String,
}

impl NewTicketPage {
    fn department_is(&self, id: &i64) -> bool {
        number(&self.form.did) == Some(*id)
    }
}

async fn new_ticket_page(state: &AppState, visit: &Visit, mut form: NewTicketForm, errors: FieldErrors) -> PageResult {
    let s = visit.end_user()?;
    let p = &s.principal;
    let departments = state
        .app
        .list_departments(
            p,
            &ListQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?
        .data
        .into_iter()
        .map(|d| (d.id, d.name, d.description))
        .collect();
    // A new key each time the form is drawn: a corrected form is a new submission.
    form.once = super::view::form_key();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        NewTicketPage {
            c: Chrome::of(s, Area::Portal, "New ticket"),
            departments,
            form,
            errors,
            create_slot: slot(state, p, "TicketClientAreaViewCreate", None).await,
        },
    ))
}

/// `GET /portal/tickets/new` (`?did=` preselects a department).
async fn new_ticket_form(State(state): State<AppState>, visit: Visit, Query(form): Query<NewTicketForm>) -> PageResult {
    new_ticket_page(&state, &visit, form, FieldErrors::default()).await
}

/// `POST /portal/tickets/new`.
async fn create_ticket(State(state): State<AppState>, posted: Posted<NewTicketForm>) -> PageResult {
    let s = posted.visit.end_user()?;
    let f = &posted.form;
    match state.app.claim_submission(s.id, &f.once).await? {
        Submission::Fresh => {}
        Submission::Done(to) => return see_other(&to, posted.visit.htmx),
        Submission::Pending => return see_other("/portal", posted.visit.htmx),
    }
    let mut custom = serde_json::Map::new();
    if !f.reference.trim().is_empty() {
        custom.insert("reference".into(), f.reference.trim().into());
    }
    let input = NewTicket {
        did: number(&f.did).unwrap_or(0),
        title: f.title.clone(),
        message: f.message.clone(),
        priority: number(&f.priority).and_then(|v| domain::Priority::try_from(v).ok()),
        custom_fields: Some(custom).filter(|c| !c.is_empty()),
        ..Default::default()
    };
    match state.app.create_ticket(&s.principal, &posted.visit.meta, input).await {
        Ok(t) => {
            let to = format!("/portal/tickets/{}?done=created", t.id);
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

struct Message {
    author: String,
    staff: bool,
    at: String,
    text: String,
    files: Vec<super::attachments::FileLink>,
}

#[derive(Template)]
#[template(path = "portal/ticket.html")]
struct TicketPage {
    c: Chrome,
    id: i64,
    title: String,
    status: String,
    priority: &'static str,
    locked: bool,
    solved: bool,
    messages: Vec<Message>,
    top_slot: String,
    detail_slot: String,
    errors: FieldErrors,
    draft: String,
    once: String,
    notice: Option<&'static str>,
}

async fn ticket_page(
    state: &AppState,
    visit: &Visit,
    id: i64,
    draft: String,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> PageResult {
    let s = visit.end_user()?;
    let p = &s.principal;
    let mut t = state.app.get_ticket(p, id, true).await?;
    if !t.read_by_customer {
        let replies = t.replies.take();
        t = state.app.mark_ticket_read(p, &visit.meta, id).await?;
        t.replies = replies;
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        TicketPage {
            c: Chrome::of(s, Area::Portal, format!("#{} {}", t.id, t.title)),
            id: t.id,
            title: t.title.clone(),
            status: wire(&t.status),
            priority: priority_name(t.priority),
            locked: t.locked,
            solved: t.status == TicketStatus::Solved,
            messages: t
                .replies
                .iter()
                .flatten()
                .filter(|r| !r.internal)
                .map(|r| Message {
                    author: r.name.clone(),
                    staff: r.admin,
                    at: when(r.ctime),
                    text: r.message.clone(),
                    files: super::attachments::links("/portal", &r.attachments),
                })
                .collect(),
            top_slot: slot(state, p, "TicketClientAreaViewDetailTop", Some(id)).await,
            detail_slot: slot(state, p, "TicketClientAreaViewDetail", Some(id)).await,
            errors,
            draft,
            once: super::view::form_key(),
            notice,
        },
    ))
}

/// `GET /portal/tickets/{id}`: another customer's ticket is 404.
async fn ticket(State(state): State<AppState>, visit: Visit, Id(id): Id, Query(q): Query<CursorQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("created") => Some("Your ticket was opened. We will answer soon."),
        Some("reply") => Some("Your reply was sent."),
        Some("solved") => Some("Marked as solved. Reply to open it again."),
        _ => None,
    };
    ticket_page(&state, &visit, id, String::new(), FieldErrors::default(), notice).await
}

#[derive(Deserialize)]
pub(crate) struct ReplyForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    once: String,
}

/// `POST /portal/tickets/{id}/replies` with the files chosen (multipart; refused while the ticket is locked).
async fn reply(
    State(state): State<AppState>,
    Id(id): Id,
    posted: super::attachments::PostedFiles<ReplyForm>,
) -> PageResult {
    let s = posted.visit.end_user()?;
    let f = &posted.form;
    if let Some(refused) = posted.refused {
        let errors = FieldErrors(vec![domain::FieldError::new("file", refused)]);
        return ticket_page(&state, &posted.visit, id, f.message.clone(), errors, None).await;
    }
    match state.app.claim_submission(s.id, &f.once).await? {
        Submission::Fresh => {}
        Submission::Done(to) => return see_other(&to, posted.visit.htmx),
        Submission::Pending => return see_other(&format!("/portal/tickets/{id}"), posted.visit.htmx),
    }
    let input = NewReply {
        message: f.message.clone(),
        internal: None,
    };
    match state
        .app
        .reply_with_files(&s.principal, &posted.visit.meta, id, input, posted.files)
        .await
    {
        Ok(_) => {
            let to = format!("/portal/tickets/{id}?done=reply#bottom");
            state.app.finish_submission(s.id, &f.once, Some(&to)).await?;
            see_other(&to, posted.visit.htmx)
        }
        Err(e) => {
            state.app.finish_submission(s.id, &f.once, None).await?;
            let errors = FieldErrors::from_app(e)?;
            ticket_page(&state, &posted.visit, id, f.message.clone(), errors, None).await
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct NoFields {}

/// `POST /portal/tickets/{id}/solved`: the customer closes their own ticket.
async fn mark_solved(State(state): State<AppState>, Id(id): Id, posted: Posted<NoFields>) -> PageResult {
    let s = posted.visit.end_user()?;
    let patch = TicketPatch {
        status: Some(TicketStatus::Solved),
        ..Default::default()
    };
    state
        .app
        .update_ticket(&s.principal, &posted.visit.meta, id, patch)
        .await?;
    see_other(&format!("/portal/tickets/{id}?done=solved"), posted.visit.htmx)
}

struct InvoiceRow {
    number: String,
    status: String,
    total: String,
    due: String,
    due_at: String,
    issued: String,
}

#[derive(Template)]
#[template(path = "portal/invoices.html")]
struct InvoicesPage {
    c: Chrome,
    rows: Vec<InvoiceRow>,
    next: Option<String>,
}

/// `GET /portal/invoices`: the customer's issued invoices with status and amounts.
async fn invoices(State(state): State<AppState>, visit: Visit, Query(q): Query<CursorQuery>) -> PageResult {
    let s = visit.end_user()?;
    let listed = state
        .app
        .list_invoices(
            &s.principal,
            &InvoiceQuery {
                limit: Some(PAGE),
                cursor: q.cursor.filter(|c| !c.is_empty()),
                customer_id: None,
            },
        )
        .await
        .map_err(PageError::from)?;
    ok(InvoicesPage {
        c: Chrome::of(s, Area::Portal, "Invoices"),
        rows: listed
            .data
            .into_iter()
            .map(|i| InvoiceRow {
                number: i.number.clone().unwrap_or_else(|| format!("#{}", i.id)),
                status: wire(&i.status),
                total: money(i.total, i.currency),
                due: money(i.amount_due, i.currency),
                due_at: i.due_at.map(when).unwrap_or_default(),
                issued: when(i.created_at),
            })
            .collect(),
        next: listed.next_cursor.map(|c| query_string(&[("cursor", &c)])),
    })
}
