//! Brands (with the greeting agents read on a screen pop), departments, and the custom attributes of
//! customers and end users.
use super::{Action, Cell, Field, FormPage, Kind, ListPage, PageQuery, checked, given, next_page, options};
use crate::state::AppState;
use crate::ui::page::{FieldErrors, PageError, PageResult, ok, see_other};
use crate::ui::session::{Posted, Visit};
use api_types::{AttributeInput, BrandPatch, DepartmentPatch, ListQuery, NewBrand, NewDepartment};
use axum::extract::{Path, Query, State};
use domain::{Attribute, AttributeEntity, Brand, Department};
use serde::Deserialize;

// ---------------------------------------------------------------- brands

#[derive(Deserialize, Default)]
pub(crate) struct BrandForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    greeting: String,
}

impl BrandForm {
    fn of(b: &Brand) -> Self {
        Self {
            name: b.name.clone(),
            slug: b.slug.clone(),
            greeting: b.greeting.clone(),
        }
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::input("name", "Name", &self.name).required(),
            Field::input("slug", "Slug", &self.slug)
                .hint("Lower-case letters, digits and dashes; made from the name when empty."),
            Field::of("greeting", "Greeting", Kind::TextArea, &self.greeting)
                .hint("The call script an agent reads when a call for this brand pops up."),
        ]
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

pub(crate) async fn new_brand(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    FormPage::new(s, "brands", "New brand", "/admin/brands")
        .fields(BrandForm::default().fields())
        .submit("Create brand")
        .show()
}

pub(crate) async fn create_brand(State(state): State<AppState>, posted: Posted<BrandForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let input = NewBrand {
        name: f.name.clone(),
        slug: given(&f.slug),
        greeting: Some(f.greeting.clone()),
        customer_backend: None,
        webcall: None,
    };
    match state.app.create_brand(&s.principal, &posted.visit.meta, input).await {
        Ok(b) => see_other(&format!("/admin/brands/{}?saved=1", b.id), posted.visit.htmx),
        Err(e) => FormPage::new(s, "brands", "New brand", "/admin/brands")
            .fields(f.fields())
            .submit("Create brand")
            .refused(&FieldErrors::from_app(e)?),
    }
}

fn brand_form(s: &app::sessions::WebSession, id: i64, name: &str, form: &BrandForm) -> FormPage {
    FormPage::new(s, "brands", format!("Brand {name}"), format!("/admin/brands/{id}"))
        .fields(form.fields())
        .action(Action::new(format!("/admin/brands/{id}/delete"), "Delete brand", true))
}

pub(crate) async fn brand(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let b = state.app.get_brand(&s.principal, id).await?;
    brand_form(s, id, &b.name, &BrandForm::of(&b))
        .notices(q.notices())
        .show()
}

pub(crate) async fn update_brand(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<BrandForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let patch = BrandPatch {
        name: Some(f.name.clone()),
        slug: given(&f.slug),
        greeting: Some(f.greeting.clone()),
        customer_backend: None,
        webcall: None,
    };
    match state
        .app
        .update_brand(&s.principal, &posted.visit.meta, id, patch)
        .await
    {
        Ok(_) => see_other(&format!("/admin/brands/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            let b = state.app.get_brand(&s.principal, id).await?;
            brand_form(s, id, &b.name, f).refused(&errors)
        }
    }
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
            brand_form(s, id, &b.name, &BrandForm::of(&b)).refused(&errors)
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
        self.brand_id
            .trim()
            .parse()
            .map_err(|_| FieldErrors(vec![domain::FieldError::new("brand_id", "choose a brand")]))
    }
}

/// The brands to choose from (the first page is plenty for a select; brands are few).
async fn all_brands(state: &AppState, s: &app::sessions::WebSession) -> Result<Vec<Brand>, PageError> {
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
