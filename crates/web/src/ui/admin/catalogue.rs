//! The billing catalogue (SPEC §5.1): groups, features, packages and plans. A plan's prices and cycle are
//! fixed once it exists (the use case says which fields a change may touch), so its edit form has only
//! those.
use super::directory::Nothing;
use super::{
    Action, Cell, Field, FormPage, Kind, ListPage, PageQuery, checked, given, list_of, next_page, number, options,
};
use crate::state::AppState;
use crate::ui::page::{FieldErrors, PageError, PageResult, ok, see_other};
use crate::ui::session::{Posted, Visit};
use api_types::{
    CatalogueQuery, FeaturePatch, NewFeature, NewGroup, NewPackage, NewPlan, PackageFeature, PackagePatch, PlanPatch,
    Tier,
};
use app::sessions::WebSession;
use axum::extract::{Path, Query, State};
use domain::FieldError;
use domain::billing::{Feature, Group, Interval, Package, Plan, PlanUnit, Pricing, TierMode};
use serde::Deserialize;

fn everything() -> CatalogueQuery {
    CatalogueQuery {
        limit: Some(500),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- groups

pub(crate) async fn groups(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_groups(&s.principal, &q.catalogue()).await?;
    let rows = page
        .data
        .iter()
        .map(|g| vec![Cell::text(&g.name), Cell::yes_no(g.default)])
        .collect();
    ok(ListPage::new(s, "groups", "Groups")
        .intro("A customer has at most one live subscription per group; packages belong to a group.")
        .notices(q.notices())
        .new_link("/admin/groups/new", "New group")
        .table(&["Name", "Default"], rows, next_page("/admin/groups", page.next_cursor)))
}

#[derive(Deserialize, Default)]
pub(crate) struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    default: Option<String>,
}

fn group_form(s: &WebSession, f: &GroupForm) -> FormPage {
    FormPage::new(s, "groups", "New group", "/admin/groups")
        .fields(vec![
            Field::input("name", "Name", &f.name).required(),
            Field::checkbox("default", "The default group", checked(&f.default)),
        ])
        .submit("Create group")
}

pub(crate) async fn new_group(visit: Visit) -> PageResult {
    group_form(visit.admin()?, &GroupForm::default()).show()
}

pub(crate) async fn create_group(State(state): State<AppState>, posted: Posted<GroupForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let input = NewGroup {
        name: f.name.clone(),
        default: checked(&f.default).then_some(true),
        default_package_id: None,
    };
    match state.app.create_group(&s.principal, &posted.visit.meta, input).await {
        Ok(_) => see_other("/admin/groups?saved=1", posted.visit.htmx),
        Err(e) => group_form(s, f).refused(&FieldErrors::from_app(e)?),
    }
}

// ---------------------------------------------------------------- features

#[derive(Deserialize, Default)]
pub(crate) struct FeatureForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    unique_key: String,
    #[serde(default)]
    dependency_ids: String,
}

impl FeatureForm {
    fn of(f: &Feature) -> Self {
        Self {
            name: f.name.clone(),
            description: f.description.clone(),
            unique_key: f.unique_key.clone().unwrap_or_default(),
            dependency_ids: f
                .dependency_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
    fn fields(&self) -> Vec<Field> {
        vec![
            Field::input("name", "Name", &self.name).required(),
            Field::of("description", "Description", Kind::TextArea, &self.description),
            Field::input("unique_key", "Key", &self.unique_key)
                .hint("Optional stable key code finds it by, e.g. support_incidents."),
            Field::input("dependency_ids", "Requires features (ids)", &self.dependency_ids)
                .hint("Comma-separated ids of the features this one needs."),
        ]
    }
    fn dependencies(&self) -> Result<Vec<i64>, FieldErrors> {
        list_of(&self.dependency_ids)
            .iter()
            .map(|id| id.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                FieldErrors(vec![FieldError::new(
                    "dependency_ids",
                    "must be feature ids separated by commas",
                )])
            })
    }
}

pub(crate) async fn features(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_features(&s.principal, &q.catalogue()).await?;
    let rows = page
        .data
        .iter()
        .map(|f| {
            vec![
                Cell::text(f.id),
                Cell::link(format!("/admin/features/{}", f.id), &f.name),
                Cell::text(f.unique_key.clone().unwrap_or_default()),
                Cell::text(FeatureForm::of(f).dependency_ids),
            ]
        })
        .collect();
    ok(ListPage::new(s, "features", "Features")
        .notices(q.notices())
        .new_link("/admin/features/new", "New feature")
        .table(
            &["Id", "Name", "Key", "Requires"],
            rows,
            next_page("/admin/features", page.next_cursor),
        ))
}

pub(crate) async fn new_feature(visit: Visit) -> PageResult {
    let s = visit.admin()?;
    FormPage::new(s, "features", "New feature", "/admin/features")
        .fields(FeatureForm::default().fields())
        .submit("Create feature")
        .show()
}

pub(crate) async fn create_feature(State(state): State<AppState>, posted: Posted<FeatureForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let result = match f.dependencies() {
        Ok(deps) => state
            .app
            .create_feature(
                &s.principal,
                &posted.visit.meta,
                NewFeature {
                    name: f.name.clone(),
                    description: Some(f.description.clone()),
                    unique_key: given(&f.unique_key),
                    dependency_ids: Some(deps),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(created) => see_other(&format!("/admin/features/{}?saved=1", created.id), posted.visit.htmx),
        Err(e) => FormPage::new(s, "features", "New feature", "/admin/features")
            .fields(f.fields())
            .submit("Create feature")
            .refused(&e?),
    }
}

fn feature_form(s: &WebSession, id: i64, f: &FeatureForm) -> FormPage {
    FormPage::new(
        s,
        "features",
        format!("Feature {}", f.name),
        format!("/admin/features/{id}"),
    )
    .fields(f.fields())
    .action(Action::new(
        format!("/admin/features/{id}/delete"),
        "Delete feature",
        true,
    ))
}

pub(crate) async fn feature(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let f = state.app.get_feature(&s.principal, id).await?;
    feature_form(s, id, &FeatureForm::of(&f)).notices(q.notices()).show()
}

pub(crate) async fn update_feature(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<FeatureForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let result = match f.dependencies() {
        Ok(deps) => state
            .app
            .update_feature(
                &s.principal,
                &posted.visit.meta,
                id,
                FeaturePatch {
                    name: Some(f.name.clone()),
                    description: Some(f.description.clone()),
                    unique_key: Some(given(&f.unique_key)),
                    dependency_ids: Some(deps),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(_) => see_other(&format!("/admin/features/{id}?saved=1"), posted.visit.htmx),
        Err(e) => feature_form(s, id, f).refused(&e?),
    }
}

pub(crate) async fn delete_feature(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    state.app.delete_feature(&s.principal, &posted.visit.meta, id).await?;
    see_other("/admin/features?saved=1", posted.visit.htmx)
}

// ---------------------------------------------------------------- packages

#[derive(Deserialize, Default)]
pub(crate) struct PackageForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    features: String,
}

impl PackageForm {
    fn of(p: &Package) -> Self {
        Self {
            name: p.name.clone(),
            group_id: p.group_id.to_string(),
            description: p.description.clone(),
            default: p.default.then(|| "true".into()),
            features: p
                .features
                .iter()
                .map(|f| match f.quantity {
                    Some(q) => format!("{}:{q}", f.feature_id),
                    None => f.feature_id.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
    fn fields(&self, groups: &[Group]) -> Vec<Field> {
        let mut group_options = vec![(String::new(), "The default group".to_owned())];
        group_options.extend(groups.iter().map(|g| (g.id.to_string(), g.name.clone())));
        vec![
            Field::input("name", "Name", &self.name).required(),
            Field::select("group_id", "Group", &self.group_id, group_options),
            Field::of("description", "Description", Kind::TextArea, &self.description),
            Field::checkbox("default", "The default package of its group", checked(&self.default)),
            Field::input("features", "Features", &self.features)
                .hint("Feature ids separated by commas, each with an optional quantity: 3, 7:10."),
        ]
    }
    fn features(&self) -> Result<Vec<PackageFeature>, FieldErrors> {
        let bad = || {
            FieldErrors(vec![FieldError::new(
                "features",
                "write feature ids, each with an optional :quantity",
            )])
        };
        list_of(&self.features)
            .iter()
            .map(|item| {
                let (id, quantity) = match item.split_once(':') {
                    Some((id, q)) => (id, Some(q.trim().parse().map_err(|_| bad())?)),
                    None => (item.as_str(), None),
                };
                Ok(PackageFeature {
                    feature_id: id.trim().parse().map_err(|_| bad())?,
                    quantity,
                })
            })
            .collect()
    }
    fn group_id(&self, errors: &mut Vec<FieldError>) -> Option<i64> {
        number("group_id", &self.group_id, errors)
    }
}

async fn all_groups(state: &AppState, s: &WebSession) -> Result<Vec<Group>, PageError> {
    Ok(state.app.list_groups(&s.principal, &everything()).await?.data)
}

pub(crate) async fn packages(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_packages(&s.principal, &q.catalogue()).await?;
    let groups = all_groups(&state, s).await?;
    let rows = page
        .data
        .iter()
        .map(|p| {
            let group = groups
                .iter()
                .find(|g| g.id == p.group_id)
                .map_or_else(|| p.group_id.to_string(), |g| g.name.clone());
            vec![
                Cell::text(p.id),
                Cell::link(format!("/admin/packages/{}", p.id), &p.name),
                Cell::text(group),
                Cell::yes_no(p.default),
                Cell::text(PackageForm::of(p).features),
            ]
        })
        .collect();
    ok(ListPage::new(s, "packages", "Packages")
        .notices(q.notices())
        .new_link("/admin/packages/new", "New package")
        .table(
            &["Id", "Name", "Group", "Default", "Features"],
            rows,
            next_page("/admin/packages", page.next_cursor),
        ))
}

pub(crate) async fn new_package(State(state): State<AppState>, visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let groups = all_groups(&state, s).await?;
    FormPage::new(s, "packages", "New package", "/admin/packages")
        .fields(PackageForm::default().fields(&groups))
        .submit("Create package")
        .show()
}

pub(crate) async fn create_package(State(state): State<AppState>, posted: Posted<PackageForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let mut errors = Vec::new();
    let group_id = f.group_id(&mut errors);
    let result = match f.features() {
        Ok(features) if errors.is_empty() => state
            .app
            .create_package(
                &s.principal,
                &posted.visit.meta,
                NewPackage {
                    name: f.name.clone(),
                    group_id,
                    description: Some(f.description.clone()),
                    default: Some(checked(&f.default)),
                    features: Some(features),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Ok(_) => Err(Ok(FieldErrors(errors))),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(p) => see_other(&format!("/admin/packages/{}?saved=1", p.id), posted.visit.htmx),
        Err(e) => {
            let groups = all_groups(&state, s).await?;
            FormPage::new(s, "packages", "New package", "/admin/packages")
                .fields(f.fields(&groups))
                .submit("Create package")
                .refused(&e?)
        }
    }
}

fn package_form(s: &WebSession, id: i64, f: &PackageForm, groups: &[Group]) -> FormPage {
    FormPage::new(
        s,
        "packages",
        format!("Package {}", f.name),
        format!("/admin/packages/{id}"),
    )
    .fields(f.fields(groups))
    .action(Action::new(
        format!("/admin/packages/{id}/delete"),
        "Delete package",
        true,
    ))
}

pub(crate) async fn package(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let p = state.app.get_package(&s.principal, id).await?;
    let groups = all_groups(&state, s).await?;
    package_form(s, id, &PackageForm::of(&p), &groups)
        .notices(q.notices())
        .show()
}

pub(crate) async fn update_package(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<PackageForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let mut errors = Vec::new();
    let group_id = f.group_id(&mut errors);
    let result = match f.features() {
        Ok(features) if errors.is_empty() => state
            .app
            .update_package(
                &s.principal,
                &posted.visit.meta,
                id,
                PackagePatch {
                    name: Some(f.name.clone()),
                    group_id,
                    description: Some(f.description.clone()),
                    default: Some(checked(&f.default)),
                    features: Some(features),
                },
            )
            .await
            .map_err(FieldErrors::from_app),
        Ok(_) => Err(Ok(FieldErrors(errors))),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(_) => see_other(&format!("/admin/packages/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let groups = all_groups(&state, s).await?;
            package_form(s, id, f, &groups).refused(&e?)
        }
    }
}

pub(crate) async fn delete_package(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    state.app.delete_package(&s.principal, &posted.visit.meta, id).await?;
    see_other("/admin/packages?saved=1", posted.visit.htmx)
}

// ---------------------------------------------------------------- plans

#[derive(Deserialize, Default)]
pub(crate) struct PlanForm {
    #[serde(default)]
    package_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    interval: String,
    #[serde(default)]
    interval_count: String,
    #[serde(default)]
    trial_days: String,
    #[serde(default)]
    initial_fee: String,
    #[serde(default)]
    pricing: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    tiers: String,
    #[serde(default)]
    tier_mode: String,
    #[serde(default)]
    unit: String,
}

fn interval_name(i: Interval) -> &'static str {
    match i {
        Interval::Day => "day",
        Interval::Week => "week",
        Interval::Month => "month",
        Interval::Year => "year",
    }
}

/// A plan's price in words: `1000 per unit`, `tiers (graduated)`.
fn price_of(p: &Plan) -> String {
    match &p.pricing {
        Pricing::Flat { amount } => format!("{amount} flat"),
        Pricing::Unit { amount } => format!("{amount} per unit"),
        Pricing::Tiered { mode, tiers } => {
            let mode = match mode {
                TierMode::Graduated => "graduated",
                TierMode::Volume => "volume",
            };
            format!("{} tiers ({mode})", tiers.len())
        }
    }
}

impl PlanForm {
    fn fields(&self, packages: &[Package]) -> Vec<Field> {
        let package_options = packages.iter().map(|p| (p.id.to_string(), p.name.clone())).collect();
        vec![
            Field::select("package_id", "Package", &self.package_id, package_options),
            Field::input("name", "Name", &self.name).required(),
            Field::of("description", "Description", Kind::TextArea, &self.description),
            Field::input("currency", "Currency", &self.currency).hint("ISO 4217 code, e.g. EUR."),
            Field::select(
                "interval",
                "Billed every",
                &self.interval,
                options(&["month", "year", "week", "day"]),
            ),
            Field::of(
                "interval_count",
                "Number of intervals per period",
                Kind::Input("number"),
                &self.interval_count,
            ),
            Field::of("trial_days", "Trial days", Kind::Input("number"), &self.trial_days),
            Field::of(
                "initial_fee",
                "Initial fee (minor units)",
                Kind::Input("number"),
                &self.initial_fee,
            ),
            Field::select("pricing", "Pricing", &self.pricing, options(&["flat", "unit", "tier"])),
            Field::of(
                "amount",
                "Amount (minor units; flat and unit pricing)",
                Kind::Input("number"),
                &self.amount,
            ),
            Field::of("tiers", "Tiers (tier pricing)", Kind::TextArea, &self.tiers)
                .hint("One tier a line: up_to unit_amount flat_amount; the last tier's up_to is *."),
            Field::select(
                "tier_mode",
                "Tier mode",
                &self.tier_mode,
                options(&["graduated", "volume"]),
            ),
            Field::select("unit", "Counts", &self.unit, options(&["quantity", "enduser"])),
        ]
    }

    fn input(&self) -> Result<NewPlan, FieldErrors> {
        let mut errors = Vec::new();
        let package_id = number("package_id", &self.package_id, &mut errors);
        if package_id.is_none() && errors.is_empty() {
            errors.push(FieldError::new("package_id", "choose a package"));
        }
        let interval_count = number("interval_count", &self.interval_count, &mut errors);
        let trial_days = number("trial_days", &self.trial_days, &mut errors);
        let initial_fee = number("initial_fee", &self.initial_fee, &mut errors);
        let amount = number("amount", &self.amount, &mut errors);
        let tiers = if self.pricing == "tier" {
            match parse_tiers(&self.tiers) {
                Ok(t) => Some(t),
                Err(e) => {
                    errors.push(FieldError::new("tiers", e));
                    None
                }
            }
        } else {
            None
        };
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        Ok(NewPlan {
            package_id: package_id.unwrap_or_default(),
            name: self.name.clone(),
            description: Some(self.description.clone()),
            currency: self.currency.trim().to_owned(),
            interval: self.interval.clone(),
            interval_count,
            trial_days,
            initial_fee,
            pricing: self.pricing.clone(),
            amount,
            tiers,
            tier_mode: (self.pricing == "tier").then(|| self.tier_mode.clone()),
            unit: given(&self.unit),
        })
    }
}

fn parse_tiers(text: &str) -> Result<Vec<Tier>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let bad = || {
                format!(
                    "line {}: write up_to unit_amount flat_amount (up_to * for the last)",
                    i + 1
                )
            };
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [up_to, unit_amount, flat_amount] = parts[..] else {
                return Err(bad());
            };
            Ok(Tier {
                up_to: if up_to == "*" {
                    None
                } else {
                    Some(up_to.parse().map_err(|_| bad())?)
                },
                unit_amount: unit_amount.parse().map_err(|_| bad())?,
                flat_amount: flat_amount.parse().map_err(|_| bad())?,
            })
        })
        .collect()
}

async fn all_packages(state: &AppState, s: &WebSession) -> Result<Vec<Package>, PageError> {
    Ok(state.app.list_packages(&s.principal, &everything()).await?.data)
}

pub(crate) async fn plans(State(state): State<AppState>, visit: Visit, Query(q): Query<PageQuery>) -> PageResult {
    let s = visit.admin()?;
    let page = state.app.list_plans(&s.principal, &q.catalogue()).await?;
    let rows = page
        .data
        .iter()
        .map(|p| {
            vec![
                Cell::link(format!("/admin/plans/{}", p.id), &p.name),
                Cell::text(p.package_id),
                Cell::text(p.currency.code()),
                Cell::text(format!("{} × {}", p.cycle.count, interval_name(p.cycle.interval))),
                Cell::text(price_of(p)),
                Cell::text(p.trial_days),
            ]
        })
        .collect();
    ok(ListPage::new(s, "plans", "Plans")
        .notices(q.notices())
        .new_link("/admin/plans/new", "New plan")
        .table(
            &["Name", "Package", "Currency", "Period", "Price", "Trial days"],
            rows,
            next_page("/admin/plans", page.next_cursor),
        ))
}

fn new_plan_form(s: &WebSession, f: &PlanForm, packages: &[Package]) -> FormPage {
    FormPage::new(s, "plans", "New plan", "/admin/plans")
        .fields(f.fields(packages))
        .submit("Create plan")
}

pub(crate) async fn new_plan(State(state): State<AppState>, visit: Visit) -> PageResult {
    let s = visit.admin()?;
    let packages = all_packages(&state, s).await?;
    let f = PlanForm {
        currency: "EUR".into(),
        interval: "month".into(),
        interval_count: "1".into(),
        trial_days: "0".into(),
        initial_fee: "0".into(),
        pricing: "flat".into(),
        tier_mode: "graduated".into(),
        unit: "quantity".into(),
        ..Default::default()
    };
    new_plan_form(s, &f, &packages).show()
}

pub(crate) async fn create_plan(State(state): State<AppState>, posted: Posted<PlanForm>) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let result = match f.input() {
        Ok(input) => state
            .app
            .create_plan(&s.principal, &posted.visit.meta, input)
            .await
            .map_err(FieldErrors::from_app),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(p) => see_other(&format!("/admin/plans/{}?saved=1", p.id), posted.visit.htmx),
        Err(e) => {
            let packages = all_packages(&state, s).await?;
            new_plan_form(s, f, &packages).refused(&e?)
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct PlanEditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    trial_days: String,
}

fn plan_form(s: &WebSession, p: &Plan, f: &PlanEditForm) -> FormPage {
    let mut page = FormPage::new(s, "plans", format!("Plan {}", p.name), format!("/admin/plans/{}", p.id))
        .fields(vec![
            Field::input("name", "Name", &f.name).required(),
            Field::of("description", "Description", Kind::TextArea, &f.description),
            Field::of("trial_days", "Trial days", Kind::Input("number"), &f.trial_days),
        ])
        .action(Action::new(
            format!("/admin/plans/{}/delete", p.id),
            "Delete plan",
            true,
        ));
    page.notices.push(format!(
        "{} every {} {}(s), {}; {} counted. Prices, currency and cycle are fixed once a plan exists: make a new plan to change them.",
        p.currency.code(),
        p.cycle.count,
        interval_name(p.cycle.interval),
        price_of(p),
        match p.unit {
            PlanUnit::Quantity => "the subscription's quantity",
            PlanUnit::EndUser => "the customer's end users",
        }
    ));
    page
}

pub(crate) async fn plan(
    State(state): State<AppState>,
    visit: Visit,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let s = visit.admin()?;
    let p = state.app.get_plan(&s.principal, id).await?;
    let f = PlanEditForm {
        name: p.name.clone(),
        description: p.description.clone(),
        trial_days: p.trial_days.to_string(),
    };
    let mut page = plan_form(s, &p, &f);
    page.notices.extend(q.notices());
    page.show()
}

pub(crate) async fn update_plan(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<PlanEditForm>,
) -> PageResult {
    let s = posted.visit.admin()?;
    let f = &posted.form;
    let mut errors = Vec::new();
    let trial_days = number("trial_days", &f.trial_days, &mut errors);
    let result = if errors.is_empty() {
        state
            .app
            .update_plan(
                &s.principal,
                &posted.visit.meta,
                id,
                PlanPatch {
                    name: Some(f.name.clone()),
                    description: Some(f.description.clone()),
                    trial_days,
                },
            )
            .await
            .map_err(FieldErrors::from_app)
    } else {
        Err(Ok(FieldErrors(errors)))
    };
    match result {
        Ok(_) => see_other(&format!("/admin/plans/{id}?saved=1"), posted.visit.htmx),
        Err(e) => {
            let p = state.app.get_plan(&s.principal, id).await?;
            plan_form(s, &p, f).refused(&e?)
        }
    }
}

pub(crate) async fn delete_plan(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<Nothing>,
) -> PageResult {
    let s = posted.visit.admin()?;
    state.app.delete_plan(&s.principal, &posted.visit.meta, id).await?;
    see_other("/admin/plans?saved=1", posted.visit.htmx)
}
