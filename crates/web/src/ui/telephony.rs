//! The telephony screen pop (SPEC §7.4): the phone system opens
//! `/integrations/telephony/pop?company=…&brand=…&callid=…&ani=…&caseid=…` (or SpiceCSM's
//! `/spiceinstall/integrations/telephony/telephonypop.php`) in the agent's browser. The page shows the
//! brand's call script, the call, who the caller is in the brand's customer backend, the case the caller
//! named, and a form to open a ticket from the call.
//!
//! `company` is SpiceCSM's company id. A ferrodesk installation is one company, company `1`: any other
//! value is answered with a 404 page ("no such company"), so a phone system configured for another
//! installation is noticed at once rather than popping this one's brands.
use super::agent::{AccountView, account_view};
use super::page::{Area, Chrome, FieldErrors, PageError, PageResult, html, see_other};
use super::session::{Posted, Visit};
use super::view::{form_key, number, wire};
use crate::state::AppState;
use api_types::{ListQuery, NewTicket};
use app::console::Submission;
use app::sessions::WebSession;
use app::telephony::{Pop, PopRequest};
use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::account::AccountSummary;
use domain::{Brand, Principal};
use serde::Deserialize;

/// The company a ferrodesk installation is.
const COMPANY: &str = "1";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/integrations/telephony/pop", get(pop))
        .route("/spiceinstall/integrations/telephony/telephonypop.php", get(pop))
        .route("/integrations/telephony/pop/tickets", post(open_ticket))
}

/// What the phone system puts in the pop's URL.
#[derive(Deserialize, Default)]
pub(crate) struct PopQuery {
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    brand: Option<String>,
    #[serde(default)]
    callid: Option<String>,
    #[serde(default)]
    ani: Option<String>,
    #[serde(default)]
    caseid: Option<String>,
}

/// The pop's answers that are not the pop: a parameter missing (400) or naming nothing (404), with the
/// agent's navigation around it.
#[derive(Template)]
#[template(path = "error.html")]
struct PopRefusal {
    c: Chrome,
    heading: String,
    message: String,
}

fn refusal(s: &WebSession, status: StatusCode, heading: &str, message: String) -> Response {
    html(
        status,
        PopRefusal {
            c: Chrome::of(s, Area::Agent, heading),
            heading: heading.to_owned(),
            message,
        },
    )
}

fn no_such_brand(s: &WebSession, brand: &str) -> Response {
    refusal(
        s,
        StatusCode::NOT_FOUND,
        "No such brand",
        format!("The screen pop names brand {brand}, which does not exist."),
    )
}

/// A value the phone system sent: blank is not sent.
fn sent(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A caller matched in the local customer database.
struct Match {
    id: i64,
    href: String,
    name: String,
    email: String,
    phone: String,
}

/// An end user the ticket may be opened for.
struct Requester {
    id: i64,
    name: String,
    email: String,
}

/// What the caller lookup found (not drawn again when the ticket form comes back with errors: the pop is
/// not repeated, so the call is recorded once).
struct Lookup {
    local: bool,
    customers: Vec<Match>,
    end_users: Vec<Match>,
    accounts: Vec<AccountSummary>,
    account: Option<AccountView>,
    /// Why the account shown is the caller's, when one is.
    account_note: &'static str,
    error: Option<String>,
    /// The case the caller keyed in, when it is one of the brand's: `(id, title, status)`.
    ticket: Option<(i64, String, String)>,
    case_missing: Option<String>,
}

#[derive(Template)]
#[template(path = "agent/pop.html")]
struct PopPage {
    c: Chrome,
    brand: Brand,
    callid: String,
    ani: String,
    lookup: Option<Lookup>,
    departments: Vec<(i64, String)>,
    requesters: Vec<Requester>,
    /// The brand's backend is `webcall`: the ticket keeps the account's key.
    webcall: bool,
    form: PopTicketForm,
    errors: FieldErrors,
}

impl PopPage {
    fn did_is(&self, id: &i64) -> bool {
        self.form.did.trim() == id.to_string()
    }
    fn requester_is(&self, id: &i64) -> bool {
        self.form.user_id.trim() == id.to_string()
    }
}

/// The "open a ticket from this call" form.
#[derive(Deserialize, Default)]
pub(crate) struct PopTicketForm {
    #[serde(default)]
    brand: String,
    #[serde(default)]
    callid: String,
    #[serde(default)]
    ani: String,
    #[serde(default)]
    did: String,
    /// One of the matched end users, or empty for the requester named by the next three fields.
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    account_key: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    once: String,
}

/// The brand's departments, where a ticket from its call may open.
async fn departments_of(state: &AppState, p: &Principal, brand_id: i64) -> Result<Vec<(i64, String)>, PageError> {
    let all = ListQuery {
        limit: Some(500),
        ..Default::default()
    };
    Ok(state
        .app
        .list_departments(p, &all)
        .await?
        .data
        .into_iter()
        .filter(|d| d.brand_id == brand_id)
        .map(|d| (d.id, d.name))
        .collect())
}

/// `GET /integrations/telephony/pop` and its SpiceCSM alias: the call is recorded (with `CallReceived`)
/// each time the page is opened.
async fn pop(State(state): State<AppState>, visit: Visit, RawQuery(query): RawQuery) -> PageResult {
    let s = visit.staff()?;
    let p = &s.principal;
    let q: PopQuery = serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
        .map_err(|e| PageError::BadRequest(format!("the screen pop's parameters could not be read: {e}")))?;
    let missing: Vec<&str> = [("company", &q.company), ("brand", &q.brand)]
        .into_iter()
        .filter(|(_, v)| sent(v).is_none())
        .map(|(name, _)| name)
        .collect();
    if !missing.is_empty() {
        let message = match missing.as_slice() {
            [one] => format!("The screen pop's URL lacks the parameter {one}."),
            _ => format!("The screen pop's URL lacks the parameters {}.", missing.join(" and ")),
        };
        return Ok(refusal(s, StatusCode::BAD_REQUEST, "Missing parameter", message));
    }
    let company = sent(&q.company).unwrap_or_default();
    if company != COMPANY {
        return Ok(refusal(
            s,
            StatusCode::NOT_FOUND,
            "No such company",
            format!("The screen pop names company {company}; this installation is company {COMPANY}."),
        ));
    }
    let brand = sent(&q.brand).unwrap_or_default();
    let Ok(brand_id) = brand.parse::<i64>() else {
        return Ok(no_such_brand(s, brand));
    };
    let request = PopRequest {
        brand_id,
        callid: q.callid.clone().unwrap_or_default(),
        ani: q.ani.clone().unwrap_or_default(),
        caseid: q.caseid.clone(),
    };
    let pop = match state.app.screen_pop(p, &visit.meta, request).await {
        Ok(pop) => pop,
        Err(app::AppError::NotFound) => return Ok(no_such_brand(s, brand)),
        Err(e) => return Err(e.into()),
    };
    let departments = departments_of(&state, p, brand_id).await?;
    let form = prefilled_form(&pop, &departments);
    let requesters = pop
        .end_users
        .iter()
        .map(|u| Requester {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone().unwrap_or_default(),
        })
        .collect();
    let Pop {
        brand,
        call,
        customers,
        end_users,
        accounts,
        account,
        ticket,
        case_missing,
        lookup_error,
    } = pop;
    let account_note = match &account {
        Some(a) if accounts.len() == 1 && accounts[0].userkey == a.userkey => {
            "The number matches one account, shown below."
        }
        Some(_) => "The case's account is shown below.",
        None => "",
    };
    let lookup = Lookup {
        local: brand.customer_backend != "webcall",
        customers: customers
            .into_iter()
            .map(|c| Match {
                id: c.id,
                href: format!("/agent/customers/{}", c.id),
                name: c.name,
                email: c.email.unwrap_or_default(),
                phone: c.phone.unwrap_or_default(),
            })
            .collect(),
        end_users: end_users
            .into_iter()
            .map(|u| Match {
                id: u.id,
                href: format!("/agent/customers/{}#contact-{}", u.customer_id, u.id),
                name: u.name,
                email: u.email.unwrap_or_default(),
                phone: u.phone.unwrap_or_default(),
            })
            .collect(),
        accounts,
        account: account.map(account_view),
        account_note,
        error: lookup_error,
        ticket: ticket.map(|t| (t.id, t.title, wire(&t.status))),
        case_missing,
    };
    Ok(html(
        StatusCode::OK,
        PopPage {
            c: Chrome::of(s, Area::Agent, format!("Call for {}", brand.name)),
            webcall: !lookup.local,
            callid: call.callid,
            ani: call.ani,
            brand,
            lookup: Some(lookup),
            departments,
            requesters,
            form,
            errors: FieldErrors::default(),
        },
    ))
}

/// The ticket form as the lookup suggests it: the brand's first department, the only end user matched (or
/// the only customer, with the loaded account's first contact as the requester), the account found.
fn prefilled_form(pop: &Pop, departments: &[(i64, String)]) -> PopTicketForm {
    let contact = pop.account.as_ref().and_then(|a| a.contacts.first());
    let only = |n: usize| n == 1;
    PopTicketForm {
        brand: pop.brand.id.to_string(),
        callid: pop.call.callid.clone(),
        ani: pop.call.ani.clone(),
        did: departments.first().map(|d| d.0.to_string()).unwrap_or_default(),
        user_id: pop
            .end_users
            .first()
            .filter(|_| only(pop.end_users.len()))
            .map(|u| u.id.to_string())
            .unwrap_or_default(),
        customer_id: pop
            .customers
            .first()
            .filter(|_| only(pop.customers.len()))
            .map(|c| c.id.to_string())
            .unwrap_or_default(),
        email: contact.map(|c| c.pemail.clone()).unwrap_or_default(),
        name: contact
            .map(|c| format!("{} {}", c.firstname, c.lastname).trim().to_owned())
            .unwrap_or_default(),
        account_key: pop.account.as_ref().map(|a| a.userkey.clone()).unwrap_or_default(),
        title: if pop.call.ani.is_empty() {
            "Phone call".to_owned()
        } else {
            format!("Call from {}", pop.call.ani)
        },
        message: String::new(),
        once: form_key(),
    }
}

/// `POST /integrations/telephony/pop/tickets`: opens the ticket through the same use case as the console's
/// new-ticket form, carrying the call's `callid` (the call record is linked to the ticket) and the account
/// key. A refused form comes back with its errors and input, without popping the call again.
async fn open_ticket(State(state): State<AppState>, posted: Posted<PopTicketForm>) -> PageResult {
    let s = posted.visit.staff()?;
    let f = &posted.form;
    let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let Some(brand_id) = text(&f.brand).and_then(|b| b.parse::<i64>().ok()) else {
        return Err(PageError::NotFound);
    };
    match state.app.claim_submission(s.id, &f.once).await? {
        Submission::Fresh => {}
        Submission::Done(to) => return see_other(&to, posted.visit.htmx),
        Submission::Pending => return see_other("/agent", posted.visit.htmx),
    }
    // An end user picked from the matches is the requester; the customer and address fields name one
    // otherwise.
    let user_id = number(&text(&f.user_id));
    let new_requester = user_id.is_none();
    let input = NewTicket {
        did: number(&text(&f.did)).unwrap_or(0),
        title: f.title.clone(),
        message: f.message.clone(),
        user_id,
        customer_id: number(&text(&f.customer_id)).filter(|_| new_requester),
        email: text(&f.email).filter(|_| new_requester),
        name: text(&f.name).filter(|_| new_requester),
        account_key: text(&f.account_key),
        callid: text(&f.callid),
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
            refused_ticket(&state, s, brand_id, posted.form, errors).await
        }
    }
}

/// The pop's page again with the ticket form's errors: the brand's script, the call as the form carried
/// it, and the requester picked.
async fn refused_ticket(
    state: &AppState,
    s: &WebSession,
    brand_id: i64,
    mut form: PopTicketForm,
    errors: FieldErrors,
) -> PageResult {
    let p = &s.principal;
    let brand = state.app.get_brand(p, brand_id).await?;
    let departments = departments_of(state, p, brand_id).await?;
    let requesters = match number(&Some(form.user_id.clone())) {
        Some(id) => match state.app.get_end_user(p, id).await {
            Ok(u) => vec![Requester {
                id: u.id,
                name: u.name,
                email: u.email.unwrap_or_default(),
            }],
            Err(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    form.once = form_key();
    Ok(html(
        StatusCode::UNPROCESSABLE_ENTITY,
        PopPage {
            c: Chrome::of(s, Area::Agent, format!("Call for {}", brand.name)),
            webcall: brand.customer_backend == "webcall",
            callid: form.callid.clone(),
            ani: form.ani.clone(),
            brand,
            lookup: None,
            departments,
            requesters,
            form,
            errors,
        },
    ))
}
