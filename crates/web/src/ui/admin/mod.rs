//! The admin pages (`/admin`): the dashboard, settings (brands, departments, attributes), people and access
//! (staff, API tokens, OAuth clients), the billing catalogue, mailboxes, and automation (webhooks, hook scripts).
//! Only admins see them (everyone else gets 404); every change goes through the use case the API uses.
//!
//! Most pages are a list ([`ListPage`]) or a form ([`FormPage`]) built from rows and fields, so that every
//! form gets labels, errors next to its fields and kept input the same way.
mod access;
mod automation;
mod catalogue;
mod dashboard;
mod directory;
mod mailboxes;
mod staff;

use super::page::{Chrome, FieldErrors, PageResult, html, ok};
use crate::state::AppState;
use app::sessions::WebSession;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard::page))
        .route("/admin/brands", get(directory::brands).post(directory::create_brand))
        .route("/admin/brands/new", get(directory::new_brand))
        .route(
            "/admin/brands/{id}",
            get(directory::brand).post(directory::update_brand),
        )
        .route("/admin/brands/{id}/delete", post(directory::delete_brand))
        .route("/admin/brands/{id}/backend/test", post(directory::test_backend))
        .route(
            "/admin/departments",
            get(directory::departments).post(directory::create_department),
        )
        .route("/admin/departments/new", get(directory::new_department))
        .route(
            "/admin/departments/{id}",
            get(directory::department).post(directory::update_department),
        )
        .route("/admin/departments/{id}/delete", post(directory::delete_department))
        .route(
            "/admin/attributes/{entity}",
            get(directory::attributes).post(directory::create_attribute),
        )
        .route("/admin/attributes/{entity}/new", get(directory::new_attribute))
        .route(
            "/admin/attributes/{entity}/{id}",
            get(directory::attribute).post(directory::update_attribute),
        )
        .route(
            "/admin/attributes/{entity}/{id}/delete",
            post(directory::delete_attribute),
        )
        .route("/admin/staff", get(staff::list).post(staff::create))
        .route("/admin/staff/new", get(staff::new))
        .route("/admin/staff/{id}", get(staff::edit).post(staff::update))
        .route("/admin/staff/{id}/delete", post(staff::delete))
        .route("/admin/staff/{id}/reset-link", post(staff::reset_link))
        .route("/admin/tokens", get(access::tokens).post(access::create_token))
        .route("/admin/tokens/new", get(access::new_token))
        .route("/admin/tokens/{id}/delete", post(access::delete_token))
        .route(
            "/admin/oauth-clients",
            get(access::oauth_clients).post(access::create_oauth_client),
        )
        .route("/admin/oauth-clients/new", get(access::new_oauth_client))
        .route("/admin/oauth-clients/{id}/delete", post(access::delete_oauth_client))
        .route("/admin/groups", get(catalogue::groups).post(catalogue::create_group))
        .route("/admin/groups/new", get(catalogue::new_group))
        .route(
            "/admin/features",
            get(catalogue::features).post(catalogue::create_feature),
        )
        .route("/admin/features/new", get(catalogue::new_feature))
        .route(
            "/admin/features/{id}",
            get(catalogue::feature).post(catalogue::update_feature),
        )
        .route("/admin/features/{id}/delete", post(catalogue::delete_feature))
        .route(
            "/admin/packages",
            get(catalogue::packages).post(catalogue::create_package),
        )
        .route("/admin/packages/new", get(catalogue::new_package))
        .route(
            "/admin/packages/{id}",
            get(catalogue::package).post(catalogue::update_package),
        )
        .route("/admin/packages/{id}/delete", post(catalogue::delete_package))
        .route("/admin/plans", get(catalogue::plans).post(catalogue::create_plan))
        .route("/admin/plans/new", get(catalogue::new_plan))
        .route("/admin/plans/{id}", get(catalogue::plan).post(catalogue::update_plan))
        .route("/admin/plans/{id}/delete", post(catalogue::delete_plan))
        .route(
            "/admin/webhooks",
            get(automation::webhooks).post(automation::create_webhook),
        )
        .route("/admin/webhooks/new", get(automation::new_webhook))
        .route(
            "/admin/webhooks/{id}",
            get(automation::webhook).post(automation::update_webhook),
        )
        .route("/admin/webhooks/{id}/delete", post(automation::delete_webhook))
        .route("/admin/deliveries/{id}/replay", post(automation::replay_delivery))
        .route("/admin/mailboxes", get(mailboxes::list).post(mailboxes::create))
        .route("/admin/mailboxes/new", get(mailboxes::new))
        .route("/admin/mailboxes/{id}", get(mailboxes::edit).post(mailboxes::update))
        .route("/admin/mailboxes/{id}/test", post(mailboxes::test))
        .route("/admin/mailboxes/{id}/delete", post(mailboxes::delete))
        .route("/admin/hooks", get(automation::hooks).post(automation::create_hook))
        .route("/admin/hooks/new", get(automation::new_hook))
        .route("/admin/hooks/{id}", get(automation::hook).post(automation::update_hook))
        .route("/admin/hooks/{id}/delete", post(automation::delete_hook))
        .route("/admin/hooks/{id}/test", post(automation::test_hook))
}

/// Admin lists are paged by the use cases' cursors, 50 rows a page.
const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

impl PageQuery {
    fn list(&self) -> api_types::ListQuery {
        api_types::ListQuery {
            limit: Some(PAGE_SIZE),
            cursor: self.cursor.clone(),
            ..Default::default()
        }
    }

    fn catalogue(&self) -> api_types::CatalogueQuery {
        api_types::CatalogueQuery {
            limit: Some(PAGE_SIZE),
            cursor: self.cursor.clone(),
            ..Default::default()
        }
    }

    /// The notice after a successful form (`?saved=1`), which redirects back here.
    fn notices(&self) -> Vec<String> {
        self.saved.iter().map(|_| "Saved.".to_owned()).collect()
    }
}

/// The link to the next page of `path`, if there is one.
fn next_page(path: &str, next_cursor: Option<String>) -> Option<String> {
    next_cursor.map(|c| {
        let c: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        format!("{path}?cursor={c}")
    })
}

/// One cell of an admin table.
pub(crate) enum Cell {
    Text(String),
    Link(String, String),
    Badge(String),
    /// A button that posts to the URL (deleting, replaying).
    Post(String, String),
}

impl Cell {
    fn text(t: impl ToString) -> Self {
        Cell::Text(t.to_string())
    }
    fn link(href: impl Into<String>, text: impl ToString) -> Self {
        Cell::Link(href.into(), text.to_string())
    }
    fn yes_no(b: bool) -> Self {
        Cell::Badge(if b { "yes" } else { "no" }.into())
    }
}

/// A value shown once (a token's secret): the admin copies it now, it is never shown again.
pub(crate) struct Secret {
    label: String,
    value: String,
}

impl Secret {
    fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/list.html")]
pub(crate) struct ListPage {
    c: Chrome,
    section: &'static str,
    heading: String,
    intro: Option<String>,
    notices: Vec<String>,
    secrets: Vec<Secret>,
    new_link: Option<(String, String)>,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    next: Option<String>,
}

impl ListPage {
    fn new(session: &WebSession, section: &'static str, heading: &str) -> Self {
        Self {
            c: Chrome::of(session, super::page::Area::Admin, heading),
            section,
            heading: heading.into(),
            intro: None,
            notices: Vec::new(),
            secrets: Vec::new(),
            new_link: None,
            columns: Vec::new(),
            rows: Vec::new(),
            next: None,
        }
    }
    fn intro(mut self, text: impl Into<String>) -> Self {
        self.intro = Some(text.into());
        self
    }
    fn new_link(mut self, href: &str, label: &str) -> Self {
        self.new_link = Some((href.into(), label.into()));
        self
    }
    fn table(mut self, columns: &[&'static str], rows: Vec<Vec<Cell>>, next: Option<String>) -> Self {
        self.columns = columns.to_vec();
        self.rows = rows;
        self.next = next;
        self
    }
    fn notices(mut self, notices: Vec<String>) -> Self {
        self.notices = notices;
        self
    }
    fn secret(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }
}

/// How a form field is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `<input type=…>`.
    Input(&'static str),
    TextArea,
    /// A monospace editor for scripts.
    Code,
    Select,
    Checkbox,
}

/// One field of a form, with its label, the value to show (the stored one, or what was submitted) and its
/// error.
pub(crate) struct Field {
    name: &'static str,
    label: &'static str,
    kind: Kind,
    value: String,
    checked: bool,
    options: Vec<(String, String)>,
    hint: Option<&'static str>,
    error: Option<String>,
    required: bool,
}

impl Field {
    fn input(name: &'static str, label: &'static str, value: impl Into<String>) -> Self {
        Self::of(name, label, Kind::Input("text"), value)
    }
    fn of(name: &'static str, label: &'static str, kind: Kind, value: impl Into<String>) -> Self {
        Self {
            name,
            label,
            kind,
            value: value.into(),
            checked: false,
            options: Vec::new(),
            hint: None,
            error: None,
            required: false,
        }
    }
    fn checkbox(name: &'static str, label: &'static str, checked: bool) -> Self {
        Self {
            checked,
            ..Self::of(name, label, Kind::Checkbox, "true")
        }
    }
    fn select(
        name: &'static str,
        label: &'static str,
        value: impl Into<String>,
        options: Vec<(String, String)>,
    ) -> Self {
        Self {
            options,
            ..Self::of(name, label, Kind::Select, value)
        }
    }
    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Input(t) => t,
            _ => "text",
        }
    }
}

/// `(value, label)` options of a select from plain values.
fn options(values: &[&str]) -> Vec<(String, String)> {
    values.iter().map(|v| ((*v).to_owned(), (*v).to_owned())).collect()
}

/// A button under a form that posts elsewhere (delete, issue a reset link).
pub(crate) struct Action {
    action: String,
    label: String,
    danger: bool,
}

impl Action {
    fn new(action: impl Into<String>, label: impl Into<String>, danger: bool) -> Self {
        Self {
            action: action.into(),
            label: label.into(),
            danger,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/form.html")]
pub(crate) struct FormPage {
    c: Chrome,
    section: &'static str,
    heading: String,
    notices: Vec<String>,
    secrets: Vec<Secret>,
    /// Errors that name none of the fields (a conflict, a hook's refusal).
    others: Vec<String>,
    action: String,
    fields: Vec<Field>,
    submit: &'static str,
    actions: Vec<Action>,
    back: String,
}

impl FormPage {
    fn new(session: &WebSession, section: &'static str, heading: impl Into<String>, action: impl Into<String>) -> Self {
        let heading = heading.into();
        Self {
            c: Chrome::of(session, super::page::Area::Admin, heading.clone()),
            section,
            heading,
            notices: Vec::new(),
            secrets: Vec::new(),
            others: Vec::new(),
            action: action.into(),
            fields: Vec::new(),
            submit: "Save",
            actions: Vec::new(),
            back: format!("/admin/{section}"),
        }
    }
    fn fields(mut self, fields: Vec<Field>) -> Self {
        self.fields = fields;
        self
    }
    fn submit(mut self, label: &'static str) -> Self {
        self.submit = label;
        self
    }
    fn action(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }
    fn notices(mut self, notices: Vec<String>) -> Self {
        self.notices = notices;
        self
    }
    fn back(mut self, back: impl Into<String>) -> Self {
        self.back = back.into();
        self
    }
    /// Puts each error next to its field; the rest go above the form.
    fn errors(mut self, errors: &FieldErrors) -> Self {
        let names: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
        self.others = errors.others(&names);
        for f in &mut self.fields {
            f.error = errors.get(f.name).map(str::to_owned);
        }
        self
    }
    /// The form again with the use case's errors and the input kept (422).
    fn refused(self, errors: &FieldErrors) -> PageResult {
        Ok(html(StatusCode::UNPROCESSABLE_ENTITY, self.errors(errors)))
    }
    fn show(self) -> PageResult {
        ok(self)
    }
}

/// A checkbox's form value: present when checked.
fn checked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| !v.is_empty() && v != "false")
}

/// An optional text field: empty is absent.
fn given(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A whole number typed into a form; the use case names the field when it is not one.
fn number<T: std::str::FromStr>(field: &'static str, v: &str, errors: &mut Vec<domain::FieldError>) -> Option<T> {
    let t = v.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(domain::FieldError::new(field, "must be a whole number"));
            None
        }
    }
}

/// The id a select posted; `what` names the thing to choose when nothing (or something else) came.
fn chosen_id(field: &'static str, v: &str, what: &str) -> Result<i64, FieldErrors> {
    v.trim()
        .parse()
        .map_err(|_| FieldErrors(vec![domain::FieldError::new(field, format!("choose {what}"))]))
}

/// A comma-separated list typed into one field.
fn list_of(v: &str) -> Vec<String> {
    v.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn time(t: domain::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}
