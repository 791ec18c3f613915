//! Mailboxes (SPEC §10): list, create, change, delete, and a connection test that says which server failed.
//! Passwords are shown masked; a URL saved with its masked password keeps the stored one.
use super::directory::Nothing;
use super::{Action, Cell, Field, FormPage, ListPage, PageQuery, checked};
use crate::state::AppState;
use crate::ui::page::{FieldErrors, PageError, PageResult, ok, see_other};
use crate::ui::session::{Posted, Visit};
use api_types::{ListQuery, MailboxPatch, NewMailbox, ServerCheck};
use app::sessions::WebSession;
use axum::extract::{Path, Query, State};
use domain::Department;
use domain::mailbox::Mailbox;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub(crate) struct MailboxForm {
    #[serde(default)]
    address: String,
    /// The department new tickets open in; the mailbox's brand is the department's.
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    imap_url: String,
    #[serde(default)]
    smtp_url: String,
    #[serde(default)]
    active: Option<String>,
}

impl MailboxForm {
    fn of(m: &Mailbox) -> Self {
        Self {
            address: m.address.clone(),
            department_id: m.department_id.to_string(),
            imap_url: m
                .imap_url
                .as_deref()
                .map(domain::mailbox::masked_url)
                .unwrap_or_default(),
            smtp_url: m
                .smtp_url
                .as_deref()
                .map(domain::mailbox::masked_url)
                .unwrap_or_default(),
            active: m.active.then(|| "true".into()),
        }
    }

    fn fields(&self, departments: &[(Department, String)]) -> Vec<Field> {
        let options = departments
            .iter()
            .map(|(d, brand)| (d.id.to_string(), format!("{brand} — {}", d.name)))
            .collect();
        vec![
            Field::of("address", "Address", super::Kind::Input("email"), &self.address)
                .required()
                .hint("The address customers write to."),
            Field::select("department_id", "Department", &self.department_id, options)
                .hint("New tickets by mail open here; the mailbox belongs to the department's brand."),
            Field::input("imap_url", "IMAP URL", &self.imap_url).hint(
                "imaps://user:password@imap.example.com/INBOX — fetched by the server; empty when an MTA pipes \
                 mail into ferrodesk mail-in.",
            ),
            Field::input("smtp_url", "SMTP URL", &self.smtp_url).hint(
                "smtp://user:password@smtp.example.com:587 or smtps://…:465 — empty: the installation's \
                 FERRODESK_SMTP_URL.",
            ),
            Field::checkbox(
                "active",
                "Active (polled, and mail to it is taken)",
                checked(&self.active),
            ),
        ]
    }

    fn department_id(&self) -> Result<i64, FieldErrors> {
        super::chosen_id("department_id", &self.department_id, "a department")
    }
}

/// Every department with its brand's name (few: one select).
async fn departments(state: &AppState, s: &WebSession) -> Result<Vec<(Department, String)>, PageError> {
    let q = ListQuery {
        limit: Some(500),
        ..Default::default()
    };
    let brands = super::directory::all_brands(state, s).await?;
    let departments = state.app.list_departments(&s.principal, &q).await?.data;
    Ok(departments
        .into_iter()
        .map(|d| {
            let brand = brands
                .iter()
                .find(|b| b.id == d.brand_id)
                .map_or_else(|| d.brand_id.to_string(), |b| b.name.clone());
            (d, brand)
        })
        .collect())
}

fn brand_of(departments: &[(Department, String)], department_id: i64) -> i64 {
    departments
        .iter()
        .find(|(d, _)| d.id == department_id)
        .map_or(0, |(d, _)| d.brand_id)
}

pub(crate) async fn list(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let mailboxes = state.app.list_mailboxes(&s.principal, None).await?;
    let departments = departments(&state, s).await?;
    let rows = mailboxes
        .iter()
        .map(|m| {
            let department = departments
                .iter()
                .find(|(d, _)| d.id == m.department_id)
                .map_or_else(|| m.department_id.to_string(), |(d, b)| format!("{b} — {}", d.name));
            vec![
                Cell::link(format!("/admin/mailboxes/{}", m.id), &m.address),
                Cell::text(department),
                Cell::text(if m.imap_url.is_some() { "IMAP" } else { "mail-in" }),
                Cell::yes_no(m.active),
                Cell::text(m.last_error.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    ok(ListPage::new(s, "mailboxes", "Mailboxes")
        .notices(q.notices())
        .new_link("/admin/mailboxes/new", "New mailbox")
        .table(
            &["Address", "Department", "Receives by", "Active", "Last error"],
            rows,
            None,
        ))
}

fn new_form(s: &WebSession, f: &MailboxForm, departments: &[(Department, String)]) -> FormPage {
    FormPage::new(s, "mailboxes", "New mailbox", "/admin/mailboxes")
        .fields(f.fields(departments))
        .submit("Create mailbox")
}

pub(crate) async fn new(State(state): State<AppState>, visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let departments = departments(&state, s).await?;
    let f = MailboxForm {
        active: Some("true".into()),
        ..Default::default()
    };
    new_form(s, &f, &departments).show()
}

pub(crate) async fn create(State(state): State<AppState>, posted: Posted<MailboxForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let departments = departments(&state, s).await?;
    let result = match f.department_id() {
        Ok(department_id) => state
            .app
            .create_mailbox(
                &s.principal,
                &posted.visit.meta,
                NewMailbox {
                    brand_id: brand_of(&departments, department_id),
                    address: f.address.clone(),
                    department_id,
                    imap_url: Some(f.imap_url.clone()),
                    smtp_url: Some(f.smtp_url.clone()),
                    active: Some(checked(&f.active)),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(m) => see_other(&format!("/admin/mailboxes/{}?saved=1", m.id), posted.visit.htmx),
        Err(e) => new_form(s, f, &departments).refused(&e?),
    }
}

fn edit_form(s: &WebSession, m: &Mailbox, f: &MailboxForm, departments: &[(Department, String)]) -> FormPage {
    FormPage::new(
        s,
        "mailboxes",
        format!("Mailbox {}", m.address),
        format!("/admin/mailboxes/{}", m.id),
    )
    .fields(f.fields(departments))
    .action(Action::new(
        format!("/admin/mailboxes/{}/test", m.id),
        "Test connection",
        false,
    ))
    .action(Action::new(
        format!("/admin/mailboxes/{}/delete", m.id),
        "Delete mailbox",
        true,
    ))
}

/// What the mailbox's last poll and the last test said, as lines above the form.
fn status_lines(m: &Mailbox) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(error) = &m.last_error {
        lines.push(format!("The last IMAP poll failed: {error}"));
    } else if let Some(at) = m.last_polled_at {
        lines.push(format!("Last polled {}.", super::time(at)));
    }
    lines
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let m = state.app.mailbox(&s.principal, id).await?;
    let departments = departments(&state, s).await?;
    let mut notices = q.notices();
    notices.extend(status_lines(&m));
    edit_form(s, &m, &MailboxForm::of(&m), &departments)
        .notices(notices)
        .show()
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<MailboxForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let departments = departments(&state, s).await?;
    let given = |v: &str| Some((!v.trim().is_empty()).then(|| v.to_owned()));
    let result = match f.department_id() {
        Ok(department_id) => state
            .app
            .update_mailbox(
                &s.principal,
                &posted.visit.meta,
                id,
                MailboxPatch {
                    brand_id: Some(brand_of(&departments, department_id)),
                    address: Some(f.address.clone()),
                    department_id: Some(department_id),
                    imap_url: given(&f.imap_url),
                    smtp_url: given(&f.smtp_url),
                    active: Some(checked(&f.active)),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(_) => see_other(&format!("/admin/mailboxes/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let m = state.app.mailbox(&s.principal, id).await?;
            edit_form(s, &m, f, &departments).refused(&e?)
        }
    }
}

fn check_line(server: &str, check: &ServerCheck) -> String {
    match check.status.as_str() {
        "ok" => format!(
            "{server}: connected and logged in ({}).",
            check.url.as_deref().unwrap_or("")
        ),
        "not_configured" => format!("{server}: not set."),
        _ => format!("{server}: {}", check.error.as_deref().unwrap_or("failed")),
    }
}

pub(crate) async fn test(State(state): State<AppState>, Path(id): Path<i64>, posted: Posted<Nothing>) -> PageResult {
    let s = posted.visit.admin()?;
    let checked = state.app.test_mailbox(&s.principal, id).await?;
    let m = state.app.mailbox(&s.principal, id).await?;
    let departments = departments(&state, s).await?;
    let notices = vec![check_line("IMAP", &checked.imap), check_line("SMTP", &checked.smtp)];
    edit_form(s, &m, &MailboxForm::of(&m), &departments)
        .notices(notices)
        .show()
}

pub(crate) async fn delete(State(state): State<AppState>, Path(id): Path<i64>, posted: Posted<Nothing>) -> PageResult {
    let s = posted.visit.admin()?;
    state.app.delete_mailbox(&s.principal, &posted.visit.meta, id).await?;
    see_other("/admin/mailboxes?saved=1", posted.visit.htmx)
}
