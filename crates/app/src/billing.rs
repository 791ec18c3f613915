//! The billing catalogue (SPEC §5.1): features and what they require, groups with one default, packages
//! of features, and plans that price a package. Staff read it; admins change it. Every change writes its
//! event in the same transaction.
use crate::paging::{by_id, page_request, paged};
use crate::people::deleted_filter;
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, check_name, commit_with_event, json,
    require_admin, require_staff,
};
use api_types::{
    CatalogueQuery, FeaturePatch, GroupPatch, NewFeature, NewGroup, NewPackage, NewPlan, PackagePatch, PlanPatch,
};
use domain::billing::catalogue::{MAX_TRIAL_DAYS, dependency_cycle, missing_dependencies};
use domain::billing::money::check_amount;
use domain::billing::{
    Currency, Cycle, Feature, Group, Interval, Package, PackageFeature, Plan, PlanUnit, Pricing, TierMode,
};
use domain::event::{EntityType, EventAction};
use domain::{Principal, Timestamp};
use store::Writer;
use store::time::now;

fn check_unique_key(fields: &mut Fields, key: Option<String>) -> Option<String> {
    let key = key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty())?;
    let shaped = key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !shaped {
        fields.add("unique_key", "must be 1 to 64 lower-case letters, digits or _");
    }
    Some(key)
}

/// Checks that every feature of `ids` exists, naming `field` otherwise.
async fn check_features_exist(tx: &mut Box<dyn Writer>, field: &str, ids: &[i64]) -> AppResult<()> {
    for &id in ids {
        if tx.feature(id).await?.is_none() {
            return Err(AppError::field(field, format!("no feature {id}")));
        }
    }
    Ok(())
}

/// A package's features as they are stored and shown: by feature id, each once (the first given wins).
fn package_features(mut features: Vec<PackageFeature>) -> Vec<PackageFeature> {
    features.sort_by_key(|f| f.feature_id);
    features.dedup_by_key(|f| f.feature_id);
    features
}

/// A package's features must include what they require (SPEC §5.1): 422 naming `features` otherwise.
async fn check_package_features(tx: &mut Box<dyn Writer>, features: &[PackageFeature]) -> AppResult<()> {
    let ids: Vec<i64> = features.iter().map(|f| f.feature_id).collect();
    check_features_exist(tx, "features", &ids).await?;
    if let Some(f) = features.iter().find(|f| f.quantity.is_some_and(|q| q < 0)) {
        return Err(AppError::field(
            "features",
            format!("feature {}: quantity must not be negative", f.feature_id),
        ));
    }
    let missing = missing_dependencies(&ids, &tx.feature_requirements().await?);
    if let Some((feature, lacking)) = missing.iter().next() {
        let lacking: Vec<String> = lacking.iter().map(i64::to_string).collect();
        return Err(AppError::field(
            "features",
            format!(
                "feature {feature} requires feature {} that the package lacks",
                lacking.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The plan a `NewPlan` describes, every bad field named.
fn plan_from(input: NewPlan) -> AppResult<Plan> {
    let mut fields = Fields::default();
    let name = check_name(&mut fields, &input.name);
    let currency = Currency::parse(&input.currency)
        .map_err(|e| fields.add("currency", e.to_string()))
        .ok();
    let interval = input
        .interval
        .parse::<Interval>()
        .map_err(|_| fields.add("interval", "must be day, week, month or year"))
        .ok();
    let cycle = interval.and_then(|i| {
        Cycle::new(i, input.interval_count.unwrap_or(1))
            .map_err(|e| {
                fields.add(
                    "interval_count",
                    e.to_string().trim_start_matches("interval_count: ").to_owned(),
                )
            })
            .ok()
    });
    let trial_days = input.trial_days.unwrap_or(0);
    if trial_days > MAX_TRIAL_DAYS {
        fields.add("trial_days", format!("must be at most {MAX_TRIAL_DAYS}"));
    }
    let initial_fee = input.initial_fee.unwrap_or(0);
    if let Err(e) = check_amount(initial_fee) {
        fields.add("initial_fee", e.to_string());
    }
    let unit = match input.unit.as_deref() {
        None => PlanUnit::Quantity,
        Some(u) => u
            .parse::<PlanUnit>()
            .map_err(|_| fields.add("unit", "must be quantity or enduser"))
            .unwrap_or(PlanUnit::Quantity),
    };
    let pricing = match input.pricing.as_str() {
        "flat" | "unit" if input.tiers.is_some() => {
            fields.add("tiers", "only a tier plan has tiers");
            None
        }
        "flat" | "unit" => match input.amount {
            None => {
                fields.add("amount", "a flat or unit plan needs an amount");
                None
            }
            Some(amount) if input.pricing == "flat" => Some(Pricing::Flat { amount }),
            Some(amount) => Some(Pricing::Unit { amount }),
        },
        "tier" => {
            let mode = match input.tier_mode.as_deref() {
                None => Some(TierMode::Graduated),
                Some(m) => m
                    .parse::<TierMode>()
                    .map_err(|_| fields.add("tier_mode", "must be graduated or volume"))
                    .ok(),
            };
            if input.amount.is_some() {
                fields.add("amount", "a tier plan is priced by its tiers");
            }
            mode.map(|mode| Pricing::Tiered {
                mode,
                tiers: input.tiers.clone().unwrap_or_default(),
            })
        }
        _ => {
            fields.add("pricing", "must be flat, unit or tier");
            None
        }
    };
    if let Some(p) = &pricing
        && let Err(e) = p.validate()
    {
        let text = e.to_string();
        let (field, message) = text.split_once(": ").unwrap_or(("pricing", text.as_str()));
        fields.add(field, message);
    }
    fields.finish()?;
    let (Some(currency), Some(cycle), Some(pricing)) = (currency, cycle, pricing) else {
        return Err(AppError::field("pricing", "is incomplete"));
    };
    let at = now();
    Ok(Plan {
        id: 0,
        package_id: input.package_id,
        name,
        description: input.description.unwrap_or_default(),
        currency,
        cycle,
        trial_days,
        initial_fee,
        pricing,
        unit,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    })
}

impl App {
    // ------------------------------------------------------------------ features

    pub async fn create_feature(&self, p: &Principal, meta: &RequestMeta, input: NewFeature) -> AppResult<Feature> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = check_name(&mut fields, &input.name);
        let unique_key = check_unique_key(&mut fields, input.unique_key);
        fields.finish()?;
        let mut tx = self.store().write().await?;
        let mut dependency_ids = input.dependency_ids.unwrap_or_default();
        dependency_ids.sort_unstable();
        dependency_ids.dedup();
        check_features_exist(&mut tx, "dependency_ids", &dependency_ids).await?;
        let at = now();
        let f = tx
            .insert_feature(&Feature {
                id: 0,
                name,
                description: input.description.unwrap_or_default(),
                unique_key,
                dependency_ids,
                created_at: at,
                updated_at: at,
                deleted_at: None,
            })
            .await?;
        self.commit_created(tx, p, meta, f).await
    }

    pub async fn get_feature(&self, p: &Principal, id: i64) -> AppResult<Feature> {
        require_staff(p)?;
        self.store().read().await?.feature(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_features(&self, p: &Principal, q: &CatalogueQuery) -> AppResult<Paged<Feature>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self
            .store()
            .read()
            .await?
            .feature_list(deleted_filter(q.deleted), &page)
            .await?;
        Ok(paged(rows, &page, |f| by_id(f.id)))
    }

    pub async fn update_feature(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: FeaturePatch,
    ) -> AppResult<Feature> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.feature(id).await?.ok_or(AppError::NotFound)?;
        let mut f = old.clone();
        let mut fields = Fields::default();
        if let Some(name) = &patch.name {
            f.name = check_name(&mut fields, name);
        }
        if let Some(d) = patch.description {
            f.description = d;
        }
        if let Some(key) = patch.unique_key {
            f.unique_key = check_unique_key(&mut fields, key);
        }
        fields.finish()?;
        if let Some(mut deps) = patch.dependency_ids {
            deps.sort_unstable();
            deps.dedup();
            check_features_exist(&mut tx, "dependency_ids", &deps).await?;
            if let Some(d) = dependency_cycle(id, &deps, &tx.feature_requirements().await?) {
                return Err(AppError::field(
                    "dependency_ids",
                    format!("feature {d} requires this feature already (a feature cannot require itself)"),
                ));
            }
            f.dependency_ids = deps;
        }
        self.save_entry(tx, p, meta, old, f, EventAction::Updated).await
    }

    pub async fn delete_feature(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        self.set_entry_deleted::<Feature>(p, meta, id, true).await.map(drop)
    }

    pub async fn restore_feature(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<Feature> {
        self.set_entry_deleted(p, meta, id, false).await
    }

    // ------------------------------------------------------------------ groups

    pub async fn create_group(&self, p: &Principal, meta: &RequestMeta, input: NewGroup) -> AppResult<Group> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = check_name(&mut fields, &input.name);
        fields.finish()?;
        let mut tx = self.store().write().await?;
        // The first group becomes the default unless it says otherwise (TeamTools).
        let default = match input.default {
            Some(d) => d,
            None => tx.default_group().await?.is_none(),
        };
        let at = now();
        let g = tx
            .insert_group(&Group {
                id: 0,
                name,
                default,
                default_package_id: input.default_package_id,
                created_at: at,
                updated_at: at,
            })
            .await?;
        if let Some(package) = g.default_package_id {
            check_package_in_group(&mut tx, package, g.id).await?;
        }
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Group, g.id, None),
            None,
            json(&g),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(g)
    }

    pub async fn get_group(&self, p: &Principal, id: i64) -> AppResult<Group> {
        require_staff(p)?;
        self.store().read().await?.group(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_groups(&self, p: &Principal, q: &CatalogueQuery) -> AppResult<Paged<Group>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.group_list(&page).await?;
        Ok(paged(rows, &page, |g| by_id(g.id)))
    }

    pub async fn update_group(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: GroupPatch,
    ) -> AppResult<Group> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.group(id).await?.ok_or(AppError::NotFound)?;
        let mut g = old.clone();
        let mut fields = Fields::default();
        if let Some(name) = &patch.name {
            g.name = check_name(&mut fields, name);
        }
        match patch.default {
            Some(false) if old.default => {
                fields.add(
                    "default",
                    "one group is always the default: make another group the default instead",
                );
            }
            Some(d) => g.default = d,
            None => {}
        }
        fields.finish()?;
        if let Some(package) = patch.default_package_id {
            if let Some(package) = package {
                check_package_in_group(&mut tx, package, id).await?;
            }
            g.default_package_id = package;
        }
        if g == old {
            return Ok(old);
        }
        g.updated_at = now();
        tx.update_group(&g).await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::Group, id, None),
            None,
            json(&g),
            json(&old),
        );
        commit_with_event(tx, event).await?;
        Ok(g)
    }

    // ------------------------------------------------------------------ packages

    pub async fn create_package(&self, p: &Principal, meta: &RequestMeta, input: NewPackage) -> AppResult<Package> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = check_name(&mut fields, &input.name);
        fields.finish()?;
        let mut tx = self.store().write().await?;
        let group_id = match input.group_id {
            Some(id) => tx.group(id).await?.map(|g| g.id),
            None => tx.default_group().await?.map(|g| g.id),
        }
        .ok_or_else(|| AppError::field("group_id", "no such group (and no default group to join)"))?;
        let features = package_features(input.features.unwrap_or_default());
        check_package_features(&mut tx, &features).await?;
        let at = now();
        let pkg = tx
            .insert_package(&Package {
                id: 0,
                group_id,
                name,
                description: input.description.unwrap_or_default(),
                default: input.default.unwrap_or(false),
                features,
                created_at: at,
                updated_at: at,
                deleted_at: None,
            })
            .await?;
        self.commit_created(tx, p, meta, pkg).await
    }

    pub async fn get_package(&self, p: &Principal, id: i64) -> AppResult<Package> {
        require_staff(p)?;
        self.store().read().await?.package(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_packages(&self, p: &Principal, q: &CatalogueQuery) -> AppResult<Paged<Package>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self
            .store()
            .read()
            .await?
            .package_list(q.group_id, deleted_filter(q.deleted), &page)
            .await?;
        Ok(paged(rows, &page, |x| by_id(x.id)))
    }

    pub async fn update_package(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: PackagePatch,
    ) -> AppResult<Package> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.package(id).await?.ok_or(AppError::NotFound)?;
        let mut pkg = old.clone();
        let mut fields = Fields::default();
        if let Some(name) = &patch.name {
            pkg.name = check_name(&mut fields, name);
        }
        fields.finish()?;
        if let Some(d) = patch.description {
            pkg.description = d;
        }
        if let Some(d) = patch.default {
            pkg.default = d;
        }
        if let Some(group) = patch.group_id {
            tx.group(group)
                .await?
                .ok_or_else(|| AppError::field("group_id", "no such group"))?;
            pkg.group_id = group;
        }
        if let Some(features) = patch.features {
            let features = package_features(features);
            check_package_features(&mut tx, &features).await?;
            pkg.features = features;
        }
        self.save_entry(tx, p, meta, old, pkg, EventAction::Updated).await
    }

    pub async fn delete_package(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        self.set_entry_deleted::<Package>(p, meta, id, true).await.map(drop)
    }

    pub async fn restore_package(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<Package> {
        self.set_entry_deleted(p, meta, id, false).await
    }

    // ------------------------------------------------------------------ plans

    pub async fn create_plan(&self, p: &Principal, meta: &RequestMeta, input: NewPlan) -> AppResult<Plan> {
        require_admin(p)?;
        let plan = plan_from(input)?;
        let mut tx = self.store().write().await?;
        let package = tx.package(plan.package_id).await?;
        if package.is_none_or(|x| x.deleted_at.is_some()) {
            return Err(AppError::field("package_id", "no such package"));
        }
        let plan = tx.insert_plan(&plan).await?;
        self.commit_created(tx, p, meta, plan).await
    }

    pub async fn get_plan(&self, p: &Principal, id: i64) -> AppResult<Plan> {
        require_staff(p)?;
        self.store().read().await?.plan(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_plans(&self, p: &Principal, q: &CatalogueQuery) -> AppResult<Paged<Plan>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self
            .store()
            .read()
            .await?
            .plan_list(q.package_id, deleted_filter(q.deleted), &page)
            .await?;
        Ok(paged(rows, &page, |x| by_id(x.id)))
    }

    pub async fn update_plan(&self, p: &Principal, meta: &RequestMeta, id: i64, patch: PlanPatch) -> AppResult<Plan> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.plan(id).await?.ok_or(AppError::NotFound)?;
        let mut plan = old.clone();
        let mut fields = Fields::default();
        if let Some(name) = &patch.name {
            plan.name = check_name(&mut fields, name);
        }
        if let Some(d) = patch.description {
            plan.description = d;
        }
        if let Some(days) = patch.trial_days {
            if days > MAX_TRIAL_DAYS {
                fields.add("trial_days", format!("must be at most {MAX_TRIAL_DAYS}"));
            }
            plan.trial_days = days;
        }
        fields.finish()?;
        self.save_entry(tx, p, meta, old, plan, EventAction::Updated).await
    }

    pub async fn delete_plan(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        self.set_entry_deleted::<Plan>(p, meta, id, true).await.map(drop)
    }

    /// Soft-deletes (`deleted`) or restores a catalogue entry: deleting one that is deleted is 404, restoring
    /// one that is not is 409.
    async fn set_entry_deleted<E: Entry>(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        deleted: bool,
    ) -> AppResult<E> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = E::read(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        if old.deleted_at().is_some() == deleted {
            return Err(if deleted {
                AppError::NotFound
            } else {
                AppError::Conflict(format!("the {} is not deleted", E::NAME))
            });
        }
        let new = old.clone().with_deleted_at(deleted.then(now));
        let action = if deleted {
            EventAction::Deleted
        } else {
            EventAction::Restored
        };
        self.save_entry(tx, p, meta, old, new, action).await
    }

    /// Writes a new catalogue entry's event, and commits.
    async fn commit_created<E: Entry>(
        &self,
        tx: Box<dyn Writer>,
        p: &Principal,
        meta: &RequestMeta,
        entry: E,
    ) -> AppResult<E> {
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Created,
            Subject(E::ENTITY, entry.id(), None),
            None,
            json(&entry),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(entry)
    }

    /// Writes a changed catalogue entry and its event, and commits; an unchanged one writes nothing.
    async fn save_entry<E: Entry>(
        &self,
        mut tx: Box<dyn Writer>,
        p: &Principal,
        meta: &RequestMeta,
        old: E,
        new: E,
        action: EventAction,
    ) -> AppResult<E> {
        if new == old {
            return Ok(old);
        }
        let new = new.with_updated_at(now());
        new.write(&mut tx).await?;
        let change = Change { principal: p, meta };
        let event = change.event(action, Subject(E::ENTITY, new.id(), None), None, json(&new), json(&old));
        commit_with_event(tx, event).await?;
        Ok(new)
    }
}

/// A soft-deletable catalogue entry, as the shared save and delete steps see it.
trait Entry: Clone + PartialEq + serde::Serialize + Send + Sync + 'static {
    const ENTITY: EntityType;
    /// How messages name it.
    const NAME: &'static str;
    fn id(&self) -> i64;
    fn deleted_at(&self) -> Option<Timestamp>;
    fn with_deleted_at(self, at: Option<Timestamp>) -> Self;
    fn with_updated_at(self, at: Timestamp) -> Self;
    fn read<'a>(tx: &'a mut Box<dyn Writer>, id: i64) -> impl Future<Output = store::Result<Option<Self>>> + Send + 'a;
    fn write<'a>(&'a self, tx: &'a mut Box<dyn Writer>) -> impl Future<Output = store::Result<()>> + Send + 'a;
}

macro_rules! entry {
    ($ty:ty, $entity:ident, $name:literal, $read:ident, $write:ident) => {
        impl Entry for $ty {
            const ENTITY: EntityType = EntityType::$entity;
            const NAME: &'static str = $name;

            fn id(&self) -> i64 {
                self.id
            }

            fn deleted_at(&self) -> Option<Timestamp> {
                self.deleted_at
            }

            fn with_deleted_at(self, deleted_at: Option<Timestamp>) -> Self {
                Self { deleted_at, ..self }
            }

            fn with_updated_at(self, updated_at: Timestamp) -> Self {
                Self { updated_at, ..self }
            }

            fn read<'a>(
                tx: &'a mut Box<dyn Writer>,
                id: i64,
            ) -> impl Future<Output = store::Result<Option<Self>>> + Send + 'a {
                tx.$read(id)
            }

            fn write<'a>(&'a self, tx: &'a mut Box<dyn Writer>) -> impl Future<Output = store::Result<()>> + Send + 'a {
                tx.$write(self)
            }
        }
    };
}

entry!(Feature, Feature, "feature", feature, update_feature);
entry!(Package, Package, "package", package, update_package);
entry!(Plan, Plan, "plan", plan, update_plan);

/// A group's default package must be one of the group's packages.
async fn check_package_in_group(tx: &mut Box<dyn Writer>, package: i64, group: i64) -> AppResult<()> {
    match tx.package(package).await? {
        Some(pkg) if pkg.group_id == group && pkg.deleted_at.is_none() => Ok(()),
        _ => Err(AppError::field("default_package_id", "no such package in this group")),
    }
}
