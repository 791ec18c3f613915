//! Brands (with the greeting agents read on a screen pop), departments, and the custom attributes of
//! customers and end users.
use super::{
    Action, Cell, Field, FormPage, Kind, ListPage, PageQuery, Secret, checked, given, next_page, number, options,
};
use crate::state::AppState;
use crate::ui::page::{Area, Chrome, FieldErrors, PageError, PageResult, html, ok, see_other};
use crate::ui::session::{Posted, Visit};
use api_types::{AttributeInput, BrandPatch, DepartmentPatch, ListQuery, NewBrand, NewDepartment, WebcallInput};
use app::sessions::WebSession;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::account::WebcallSettings;
use domain::{Attribute, AttributeEntity, Brand, Department};
use serde::Deserialize;

// ---------------------------------------------------------------- brands

/// The customer backends an admin chooses from (SPEC §6), with what they are.
const BACKENDS: [(&str, &str); 2] = [
    ("local", "local (ferrodesk's customers)"),
    ("webcall", "webcall (SpiceCSM web calls)"),
];

#[derive(Deserialize, Default)]
pub(crate) struct BrandForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    greeting: String,
    /// Whether new tickets by mail or from the portal are acknowledged by mail (a checkbox: absent is off).
    #[serde(default)]
    acknowledge_new_tickets: Option<String>,
    /// Absent from a form without the backend fields: the stored backend stays.
    #[serde(default)]
    customer_backend: String,
    #[serde(default, rename = "webcall.search_url")]
    search_url: String,
    #[serde(default, rename = "webcall.load_url")]
    load_url: String,
    #[serde(default, rename = "webcall.update_url")]
    update_url: String,
    #[serde(default, rename = "webcall.case_url")]
    case_url: String,
    #[serde(default, rename = "webcall.int_user")]
    int_user: String,
    /// Never filled in from the stored one: empty keeps it.
    #[serde(default, rename = "webcall.int_pass")]
    int_pass: String,
    #[serde(default, rename = "webcall.timeout_ms")]
    timeout_ms: String,
    /// The stored brand has a web-call password (shown as such, never as its value).
    #[serde(skip)]
    pass_set: bool,
}

impl BrandForm {
    fn of(b: &Brand) -> Self {
        let w = b.webcall.as_ref();
        let text = |f: fn(&WebcallSettings) -> &str| w.map(|w| f(w).to_owned()).unwrap_or_default();
        Self {
            name: b.name.clone(),
            slug: b.slug.clone(),
            greeting: b.greeting.clone(),
            acknowledge_new_tickets: b.acknowledge_new_tickets.then(|| "true".into()),
            customer_backend: b.customer_backend.clone(),
            search_url: text(|w| &w.search_url),
            load_url: text(|w| &w.load_url),
            update_url: text(|w| &w.update_url),
            case_url: text(|w| &w.case_url),
            int_user: text(|w| &w.int_user),
            int_pass: String::new(),
            timeout_ms: w.map(|w| w.timeout_ms.to_string()).unwrap_or_default(),
            pass_set: w.is_some_and(|w| !w.int_pass.is_empty()),
        }
    }

    /// The same form submitted again, knowing whether the brand has a password stored.
    fn with_stored(mut self, b: &Brand) -> Self {
        self.pass_set = b.webcall.as_ref().is_some_and(|w| !w.int_pass.is_empty());
        self
    }

    fn fields(&self) -> Vec<Field> {
        vec![
            Field::input("name", "Name", &self.name).required(),
            Field::input("slug", "Slug", &self.slug)
                .hint("Lower-case letters, digits and dashes; made from the name when empty."),
            Field::of("greeting", "Greeting", Kind::TextArea, &self.greeting)
                .hint("The call script an agent reads when a call for this brand pops up; it also opens the mail that acknowledges a new ticket."),
            Field::checkbox(
                "acknowledge_new_tickets",
                "Acknowledge new tickets by mail (opened by mail or in the portal)",
                checked(&self.acknowledge_new_tickets),
            ),
        ]
    }

    fn backend_fields(&self) -> Vec<Field> {
        let backend = if self.customer_backend.is_empty() {
            "local"
        } else {
            &self.customer_backend
        };
        let choices = BACKENDS
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect();
        vec![
            Field::select("customer_backend", "Customer backend", backend, choices),
            Field::of("webcall.search_url", "Search URL", Kind::Input("url"), &self.search_url)
                .hint("Web calls: where accounts are searched (also what the connection test calls)."),
            Field::of("webcall.load_url", "Load URL", Kind::Input("url"), &self.load_url),
            Field::of("webcall.update_url", "Update URL", Kind::Input("url"), &self.update_url)
                .hint("Empty: accounts are not written back."),
            Field::of(
                "webcall.case_url",
                "Case update URL",
                Kind::Input("url"),
                &self.case_url,
            )
            .hint("Empty: no case updates are sent after replies."),
            Field::input("webcall.int_user", "Integration user (intUser)", &self.int_user),
            Field::of(
                "webcall.int_pass",
                "Integration password (intPass)",
                Kind::Input("password"),
                "",
            )
            .hint(if self.pass_set {
                "A password is set; it is not shown. Leave empty to keep it."
            } else {
                "No password is set."
            }),
            Field::of(
                "webcall.timeout_ms",
                "Time limit (ms)",
                Kind::Input("number"),
                &self.timeout_ms,
            )
            .hint("How long one web call may take, answer included (100 to 60000; 5000 when empty)."),
        ]
    }

    /// The web-call settings the form gives, when it gives any (or chooses the `webcall` backend, which
    /// needs them); `None` keeps the stored ones.
    fn webcall(&self, errors: &mut Vec<domain::FieldError>) -> Option<WebcallInput> {
        let typed = [
            &self.search_url,
            &self.load_url,
            &self.update_url,
            &self.case_url,
            &self.int_user,
            &self.int_pass,
            &self.timeout_ms,
        ]
        .iter()
        .any(|v| !v.trim().is_empty());
        if !typed && self.customer_backend != "webcall" {
            return None;
        }
        Some(WebcallInput {
            search_url: self.search_url.trim().to_owned(),
            load_url: self.load_url.trim().to_owned(),
            update_url: Some(self.update_url.trim().to_owned()),
            case_url: Some(self.case_url.trim().to_owned()),
            int_user: Some(self.int_user.trim().to_owned()),
            int_pass: Some(self.int_pass.clone()).filter(|p| !p.is_empty()),
            timeout_ms: number("webcall.timeout_ms", &self.timeout_ms, errors),
        })
    }
}

/// What the last connection test said.
pub(crate) struct TestResult {
    ok: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "admin/brand.html")]
pub(crate) struct BrandPage {
    c: Chrome,
    section: &'static str,
    heading: String,
    id: i64,
    notices: Vec<String>,
    secrets: Vec<Secret>,
    others: Vec<String>,
    fields: Vec<Field>,
    backend_fields: Vec<Field>,
    test: Option<TestResult>,
}

impl BrandPage {
    fn new(s: &WebSession, b: &Brand, form: &BrandForm) -> Self {
        let heading = format!("Brand {}", b.name);
        Self {
            c: Chrome::of(s, Area::Admin, heading.clone()),
            section: "brands",
            heading,
            id: b.id,
            notices: Vec::new(),
            secrets: Vec::new(),
            others: Vec::new(),
            fields: form.fields(),
            backend_fields: form.backend_fields(),
            test: None,
        }
    }

    /// Puts each error next to its field; the rest go above the form.
    fn errors(mut self, errors: &FieldErrors) -> Self {
        let names: Vec<&str> = self.fields.iter().chain(&self.backend_fields).map(|f| f.name).collect();
        self.others = errors.others(&names);
        for f in self.fields.iter_mut().chain(self.backend_fields.iter_mut()) {
            f.error = errors.get(f.name).map(str::to_owned);
        }
        self
    }
}

pub(crate) async fn brands(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_brands(&s.principal, &q.list()).await?;
    let rows = page
        .data
        .iter()
        .map(|b| {
            vec![
                Cell::link(format!("/admin/brands/{}", b.id), &b.name),
                Cell::text(&b.slug),
                Cell::text(&b.customer_backend),
            ]
        })
        .collect();
    ok(ListPage::new(s, "brands", "Brands")
        .notices(q.notices())
        .new_link("/admin/brands/new", "New brand")
        .table(
            &["Name", "Slug", "Customers"],
            rows,
            next_page("/admin/brands", page.next_cursor),
        ))
}

fn new_brand_form(s: &WebSession, form: &BrandForm) -> FormPage {
    let mut fields = form.fields();
    fields.extend(form.backend_fields());
    FormPage::new(s, "brands", "New brand", "/admin/brands")
        .fields(fields)
        .submit("Create brand")
}

pub(crate) async fn new_brand(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let form = BrandForm {
        acknowledge_new_tickets: Some("true".into()),
        ..BrandForm::default()
    };
    new_brand_form(s, &form).show()
}

pub(crate) async fn create_brand(State(state): State<AppState>, posted: Posted<BrandForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let mut errors = Vec::new();
    let webcall = f.webcall(&mut errors);
    let input = NewBrand {
        name: f.name.clone(),
        slug: given(&f.slug),
        greeting: Some(f.greeting.clone()),
        customer_backend: given(&f.customer_backend),
        webcall,
        acknowledge_new_tickets: Some(checked(&f.acknowledge_new_tickets)),
    };
    let result = if errors.is_empty() {
        state
            .app
            .create_brand(&s.principal, &posted.visit.meta, input)
            .await
            .map_err(FieldErrors::from_app)
    } else {
        Err(Ok(FieldErrors(errors)))
    };
    match result {
        Ok(b) => see_other(&format!("/admin/brands/{}?saved=1", b.id), posted.visit.htmx),
        Err(e) => new_brand_form(s, f).refused(&e?),
    }
}

pub(crate) async fn brand(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let b = state.app.get_brand(&s.principal, id).await?;
    let mut page = BrandPage::new(s, &b, &BrandForm::of(&b));
    page.notices = q.notices();
    ok(page)
}

pub(crate) async fn update_brand(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<BrandForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let mut errors = Vec::new();
    let webcall = f.webcall(&mut errors);
    let patch = BrandPatch {
        name: Some(f.name.clone()),
        slug: given(&f.slug),
        greeting: Some(f.greeting.clone()),
        customer_backend: given(&f.customer_backend),
        webcall,
        acknowledge_new_tickets: Some(checked(&f.acknowledge_new_tickets)),
    };
    let result = if errors.is_empty() {
        state
            .app
            .update_brand(&s.principal, &posted.visit.meta, id, patch)
            .await
            .map_err(FieldErrors::from_app)
    } else {
        Err(Ok(FieldErrors(errors)))
    };
    match result {
        Ok(_) => see_other(&format!("/admin/brands/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let errors = e?;
            let b = state.app.get_brand(&s.principal, id).await?;
            // A password typed is not shown back.
            let form = BrandForm {
                int_pass: String::new(),
                ..posted.form
            }
            .with_stored(&b);
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                BrandPage::new(s, &b, &form).errors(&errors),
            ))
        }
    }
}

/// `POST /admin/brands/{id}/backend/test`: calls the brand's saved backend and says how it went next to
/// the button.
pub(crate) async fn test_backend(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let outcome = state.app.test_backend(&s.principal, &posted.visit.meta, id).await?;
    let b = state.app.get_brand(&s.principal, id).await?;
    let mut page = BrandPage::new(s, &b, &BrandForm::of(&b));
    page.test = Some(TestResult {
        ok: outcome.ok,
        text: match &outcome.error {
            None => format!(
                "Connection OK: the {} backend answered in {} ms.",
                outcome.backend, outcome.latency_ms
            ),
            Some(e) => format!("Connection failed after {} ms: {e}", outcome.latency_ms),
        },
    });
    ok(page)
}

#[derive(Deserialize)]
pub(crate) struct Nothing {}

pub(crate) async fn delete_brand(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    match state.app.delete_brand(&s.principal, &posted.visit.meta, id).await {
        Ok(()) => see_other("/admin/brands?saved=1", posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            let b = state.app.get_brand(&s.principal, id).await?;
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                BrandPage::new(s, &b, &BrandForm::of(&b)).errors(&errors),
            ))
        }
    }
}

// ---------------------------------------------------------------- departments

#[derive(Deserialize, Default)]
pub(crate) struct DepartmentForm {
    #[serde(default)]
    brand_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    public: Option<String>,
}

impl DepartmentForm {
    fn of(d: &Department) -> Self {
        Self {
            brand_id: d.brand_id.to_string(),
            name: d.name.clone(),
            slug: d.slug.clone(),
            description: d.description.clone(),
            public: d.public.then(|| "true".into()),
        }
    }
    fn fields(&self, brands: &[Brand]) -> Vec<Field> {
        let brand_options = brands.iter().map(|b| (b.id.to_string(), b.name.clone())).collect();
        vec![
            Field::select("brand_id", "Brand", &self.brand_id, brand_options),
            Field::input("name", "Name", &self.name).required(),
            Field::input("slug", "Slug", &self.slug).hint("Made from the name when empty."),
            Field::of("description", "Description", Kind::TextArea, &self.description),
            Field::checkbox(
                "public",
                "Customers may open tickets here from the portal",
                checked(&self.public),
            ),
        ]
    }
    fn brand_id(&self) -> Result<i64, FieldErrors> {
        super::chosen_id("brand_id", &self.brand_id, "a brand")
    }
}

/// The brands to choose from (the first page is plenty for a select; brands are few).
pub(super) async fn all_brands(state: &AppState, s: &app::sessions::WebSession) -> Result<Vec<Brand>, PageError> {
    let q = ListQuery {
        limit: Some(500),
        ..Default::default()
    };
    Ok(state.app.list_brands(&s.principal, &q).await?.data)
}

pub(crate) async fn departments(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_departments(&s.principal, &q.list()).await?;
    let brands = all_brands(&state, s).await?;
    let brand_name = |id: i64| {
        brands
            .iter()
            .find(|b| b.id == id)
            .map_or_else(|| id.to_string(), |b| b.name.clone())
    };
    let rows = page
        .data
        .iter()
        .map(|d| {
            vec![
                Cell::link(format!("/admin/departments/{}", d.id), &d.name),
                Cell::text(brand_name(d.brand_id)),
                Cell::text(&d.slug),
                Cell::yes_no(d.public),
            ]
        })
        .collect();
    ok(ListPage::new(s, "departments", "Departments")
        .notices(q.notices())
        .new_link("/admin/departments/new", "New department")
        .table(
            &["Name", "Brand", "Slug", "Public"],
            rows,
            next_page("/admin/departments", page.next_cursor),
        ))
}

pub(crate) async fn new_department(State(state): State<AppState>, visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let brands = all_brands(&state, s).await?;
    let form = DepartmentForm {
        public: Some("true".into()),
        ..Default::default()
    };
    FormPage::new(s, "departments", "New department", "/admin/departments")
        .fields(form.fields(&brands))
        .submit("Create department")
        .show()
}

pub(crate) async fn create_department(State(state): State<AppState>, posted: Posted<DepartmentForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let result = match f.brand_id() {
        Ok(brand_id) => state
            .app
            .create_department(
                &s.principal,
                &posted.visit.meta,
                NewDepartment {
                    brand_id,
                    name: f.name.clone(),
                    slug: given(&f.slug),
                    description: Some(f.description.clone()),
                    public: Some(checked(&f.public)),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(d) => see_other(&format!("/admin/departments/{}?saved=1", d.id), posted.visit.htmx),
        Err(e) => {
            let brands = all_brands(&state, s).await?;
            FormPage::new(s, "departments", "New department", "/admin/departments")
                .fields(f.fields(&brands))
                .submit("Create department")
                .refused(&e?)
        }
    }
}

fn department_form(
    s: &app::sessions::WebSession,
    id: i64,
    name: &str,
    form: &DepartmentForm,
    brands: &[Brand],
) -> FormPage {
    FormPage::new(
        s,
        "departments",
        format!("Department {name}"),
        format!("/admin/departments/{id}"),
    )
    .fields(form.fields(brands))
    .action(Action::new(
        format!("/admin/departments/{id}/delete"),
        "Delete department",
        true,
    ))
}

pub(crate) async fn department(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let d = state.app.get_department(&s.principal, id).await?;
    let brands = all_brands(&state, s).await?;
    department_form(s, id, &d.name, &DepartmentForm::of(&d), &brands)
        .notices(q.notices())
        .show()
}

pub(crate) async fn update_department(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<DepartmentForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let result = match f.brand_id() {
        Ok(brand_id) => state
            .app
            .update_department(
                &s.principal,
                &posted.visit.meta,
                id,
                DepartmentPatch {
                    brand_id: Some(brand_id),
                    name: Some(f.name.clone()),
                    slug: given(&f.slug),
                    description: Some(f.description.clone()),
                    public: Some(checked(&f.public)),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(_) => see_other(&format!("/admin/departments/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let d = state.app.get_department(&s.principal, id).await?;
            let brands = all_brands(&state, s).await?;
            department_form(s, id, &d.name, f, &brands).refused(&e?)
        }
    }
}

pub(crate) async fn delete_department(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    match state.app.delete_department(&s.principal, &posted.visit.meta, id).await {
        Ok(()) => see_other("/admin/departments?saved=1", posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            let d = state.app.get_department(&s.principal, id).await?;
            let brands = all_brands(&state, s).await?;
            department_form(s, id, &d.name, &DepartmentForm::of(&d), &brands).refused(&errors)
        }
    }
}

// ---------------------------------------------------------------- attributes

fn entity_of(s: &str) -> Result<AttributeEntity, PageError> {
    AttributeEntity::parse(s).ok_or(PageError::NotFound)
}

fn entity_label(e: AttributeEntity) -> &'static str {
    match e {
        AttributeEntity::Customer => "customers",
        AttributeEntity::EndUser => "end users",
    }
}

const ATTRIBUTE_TYPES: [&str; 6] = ["text", "number", "boolean", "date", "email", "select"];

#[derive(Deserialize, Default)]
pub(crate) struct AttributeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    pretty_name: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    required: Option<String>,
    #[serde(default)]
    editable: Option<String>,
    #[serde(default)]
    searchable: Option<String>,
    #[serde(default)]
    unique: Option<String>,
    #[serde(default)]
    options: String,
    #[serde(default)]
    default_value: String,
}

fn flag(b: bool) -> Option<String> {
    b.then(|| "true".into())
}

impl AttributeForm {
    fn of(a: &Attribute) -> Self {
        Self {
            name: a.name.clone(),
            pretty_name: a.pretty_name.clone(),
            kind: serde_json::to_value(a.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            description: a.description.clone(),
            required: flag(a.required),
            editable: flag(a.editable),
            searchable: flag(a.searchable),
            unique: flag(a.unique),
            options: a.options.join(", "),
            default_value: match &a.default_value {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            },
        }
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::input("name", "Name", &self.name)
                .required()
                .hint("The machine name (letters, digits, underscores); fixed once created."),
            Field::input("pretty_name", "Label", &self.pretty_name),
            Field::select("type", "Type", &self.kind, options(&ATTRIBUTE_TYPES)),
            Field::of("description", "Description", Kind::TextArea, &self.description),
            Field::checkbox("required", "Required", checked(&self.required)),
            Field::checkbox("editable", "Editable", checked(&self.editable)),
            Field::checkbox("searchable", "Searchable", checked(&self.searchable)),
            Field::checkbox("unique", "Unique", checked(&self.unique)),
            Field::input("options", "Options (select)", &self.options).hint("Comma-separated allowed values."),
            Field::input("default_value", "Default value", &self.default_value),
        ]
    }
    fn input(&self) -> AttributeInput {
        let kind = given(&self.kind);
        let default_value = given(&self.default_value).map(|v| match kind.as_deref() {
            Some("number" | "boolean") => serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v)),
            _ => serde_json::Value::String(v),
        });
        let options = super::list_of(&self.options);
        AttributeInput {
            name: given(&self.name),
            pretty_name: given(&self.pretty_name),
            kind,
            description: Some(self.description.clone()),
            required: Some(checked(&self.required)),
            editable: Some(checked(&self.editable)),
            searchable: Some(checked(&self.searchable)),
            unique: Some(checked(&self.unique)),
            default_value,
            options: (!options.is_empty()).then_some(options),
            ..Default::default()
        }
    }
}

pub(crate) async fn attributes(
    State(state): State<AppState>,
    visit: Visit,
    Path(entity): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let e = entity_of(&entity)?;
    let list = state.app.list_attributes(&s.principal, e).await?;
    let rows = list
        .iter()
        .map(|a| {
            let name = match a.id {
                Some(id) if !a.default => Cell::link(format!("/admin/attributes/{entity}/{id}"), &a.name),
                _ => Cell::text(&a.name),
            };
            vec![
                name,
                Cell::text(&a.pretty_name),
                Cell::text(AttributeForm::of(a).kind),
                Cell::yes_no(a.required),
                Cell::yes_no(a.searchable),
                Cell::yes_no(a.unique),
                Cell::text(if a.default { "built in" } else { "custom" }),
            ]
        })
        .collect();
    let other = match e {
        AttributeEntity::Customer => "end_user",
        AttributeEntity::EndUser => "customer",
    };
    let other_label = entity_label(AttributeEntity::parse(other).unwrap_or(e));
    ok(ListPage::new(s, "attributes", &format!("Attributes of {}", entity_label(e)))
        .intro(format!("Custom fields beside the built-in ones. See also the attributes of {other_label}: /admin/attributes/{other}."))
        .notices(q.notices())
        .new_link(&format!("/admin/attributes/{entity}/new"), "New attribute")
        .table(
            &["Name", "Label", "Type", "Required", "Searchable", "Unique", "Kind"],
            rows,
            None,
        ))
}

pub(crate) async fn new_attribute(visit: Visit, Path(entity): Path<String>) -> PageResult {
    let s = visit.admin()?;
    let e = entity_of(&entity)?;
    let form = AttributeForm {
        kind: "text".into(),
        editable: Some("true".into()),
        ..Default::default()
    };
    FormPage::new(
        s,
        "attributes",
        format!("New attribute of {}", entity_label(e)),
        format!("/admin/attributes/{entity}"),
    )
    .fields(form.fields())
    .submit("Create attribute")
    .back(format!("/admin/attributes/{entity}"))
    .show()
}

pub(crate) async fn create_attribute(
    State(state): State<AppState>,
    Path(entity): Path<String>,
    posted: Posted<AttributeForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let e = entity_of(&entity)?;
    let f = &posted.form;
    match state
        .app
        .create_attribute(&s.principal, &posted.visit.meta, e, f.input())
        .await
    {
        Ok(_) => see_other(&format!("/admin/attributes/{entity}?saved=1"), posted.visit.htmx),
        Err(err) => FormPage::new(
            s,
            "attributes",
            format!("New attribute of {}", entity_label(e)),
            format!("/admin/attributes/{entity}"),
        )
        .fields(f.fields())
        .submit("Create attribute")
        .back(format!("/admin/attributes/{entity}"))
        .refused(&FieldErrors::from_app(err)?),
    }
}

fn attribute_form(s: &app::sessions::WebSession, entity: &str, id: i64, form: &AttributeForm) -> FormPage {
    FormPage::new(
        s,
        "attributes",
        format!("Attribute {}", form.name),
        format!("/admin/attributes/{entity}/{id}"),
    )
    .fields(form.fields())
    .back(format!("/admin/attributes/{entity}"))
    .action(Action::new(
        format!("/admin/attributes/{entity}/{id}/delete"),
        "Delete attribute",
        true,
    ))
}

pub(crate) async fn attribute(
    State(state): State<AppState>,
    visit: Visit,
    Path((entity, id)): Path<(String, i64)>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let e = entity_of(&entity)?;
    let a = state.app.get_attribute(&s.principal, e, id).await?;
    attribute_form(s, &entity, id, &AttributeForm::of(&a))
        .notices(q.notices())
        .show()
}

pub(crate) async fn update_attribute(
    State(state): State<AppState>,
    Path((entity, id)): Path<(String, i64)>,
    posted: Posted<AttributeForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let e = entity_of(&entity)?;
    let f = &posted.form;
    match state
        .app
        .update_attribute(&s.principal, &posted.visit.meta, e, id, f.input())
        .await
    {
        Ok(_) => see_other(&format!("/admin/attributes/{entity}/{id}?saved=1"), posted.visit.htmx),
        Err(err) => attribute_form(s, &entity, id, f).refused(&FieldErrors::from_app(err)?),
    }
}

pub(crate) async fn delete_attribute(
    State(state): State<AppState>,
    Path((entity, id)): Path<(String, i64)>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let e = entity_of(&entity)?;
    state
        .app
        .set_attribute_deleted(&s.principal, &posted.visit.meta, e, id, true)
        .await?;
    see_other(&format!("/admin/attributes/{entity}?saved=1"), posted.visit.htmx)
}
