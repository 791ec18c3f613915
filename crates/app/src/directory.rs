//! Brands and departments (SPEC §3.1): staff read them, admins change them.
use crate::paging::{by_id, page_request, paged};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, check_name, commit_with_event, json,
    require_admin, require_staff,
};
use api_types::{BrandPatch, DepartmentPatch, ListQuery, NewBrand, NewDepartment, WebcallInput};
use domain::account::{DEFAULT_WEBCALL_TIMEOUT_MS, MASKED_SECRET, MAX_WEBCALL_TIMEOUT_MS, WebcallSettings};
use domain::event::{EntityType, EventAction};
use domain::{Brand, Department, Principal, Slug};
use rand::RngExt;
use store::time::now;

/// The customer backends (SPEC §6; `crate::backends`).
const BACKENDS: [&str; 2] = ["local", "webcall"];

/// A given slug must be valid; without one it is derived from the name. `None`: nothing usable could be
/// derived (a name of symbols only), and the record's id becomes its slug once it has one.
fn slug_for(fields: &mut Fields, given: Option<&str>, name: &str) -> Option<String> {
    match given {
        Some(s) => fields.check("slug", Slug::parse(s)).map(Slug::into_inner),
        None => Slug::from_name(name).map(Slug::into_inner),
    }
}

/// A stand-in slug for a record inserted before its id (its real slug) is known: unique, and not a
/// valid slug, so it cannot collide with one a user gave.
fn pending_slug() -> String {
    let n: u128 = rand::rng().random();
    format!("~pending-{n:032x}")
}

fn check_backend(fields: &mut Fields, backend: &str, webcall: Option<&WebcallSettings>) {
    if !BACKENDS.contains(&backend) {
        fields.add("customer_backend", format!("must be one of: {}", BACKENDS.join(", ")));
    } else if backend == "webcall" && webcall.is_none() {
        fields.add(
            "webcall",
            "is required with the webcall backend: {search_url, load_url, update_url, case_url, int_user, int_pass, timeout_ms}",
        );
    }
}

/// An http(s) URL, or empty when `optional`.
fn check_url(fields: &mut Fields, field: &str, url: &str, optional: bool) {
    let url = url.trim();
    if url.is_empty() {
        if !optional {
            fields.add(field, "is required");
        }
        return;
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => fields.add(field, "must be an http or https URL"),
    }
}

/// The settings `input` gives, checked; a password left out, empty or masked keeps `stored`'s.
fn webcall_settings(fields: &mut Fields, input: WebcallInput, stored: Option<&WebcallSettings>) -> WebcallSettings {
    let trimmed = |s: Option<String>| s.map(|s| s.trim().to_owned()).unwrap_or_default();
    let settings = WebcallSettings {
        search_url: input.search_url.trim().to_owned(),
        load_url: input.load_url.trim().to_owned(),
        update_url: trimmed(input.update_url),
        case_url: trimmed(input.case_url),
        int_user: input.int_user.unwrap_or_default(),
        int_pass: match input.int_pass {
            Some(p) if !p.is_empty() && p != MASKED_SECRET => p,
            _ => stored.map(|s| s.int_pass.clone()).unwrap_or_default(),
        },
        timeout_ms: input.timeout_ms.unwrap_or(DEFAULT_WEBCALL_TIMEOUT_MS),
    };
    check_url(fields, "webcall.search_url", &settings.search_url, false);
    check_url(fields, "webcall.load_url", &settings.load_url, false);
    check_url(fields, "webcall.update_url", &settings.update_url, true);
    check_url(fields, "webcall.case_url", &settings.case_url, true);
    if !(100..=MAX_WEBCALL_TIMEOUT_MS).contains(&settings.timeout_ms) {
        fields.add(
            "webcall.timeout_ms",
            format!("must be between 100 and {MAX_WEBCALL_TIMEOUT_MS}"),
        );
    }
    settings
}

impl App {
    pub async fn create_brand(&self, p: &Principal, meta: &RequestMeta, input: NewBrand) -> AppResult<Brand> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = check_name(&mut fields, &input.name);
        let slug = slug_for(&mut fields, input.slug.as_deref(), &name);
        let backend = input.customer_backend.unwrap_or_else(|| "local".into());
        let webcall = input.webcall.map(|w| webcall_settings(&mut fields, w, None));
        check_backend(&mut fields, &backend, webcall.as_ref());
        fields.finish()?;
        let at = now();
        let mut tx = self.store().write().await?;
        let mut brand = tx
            .insert_brand(&Brand {
                id: 0,
                name,
                slug: slug.clone().unwrap_or_else(pending_slug),
                greeting: input.greeting.unwrap_or_default(),
                customer_backend: backend,
                webcall,
                acknowledge_new_tickets: input.acknowledge_new_tickets.unwrap_or(true),
                created_at: at,
                updated_at: at,
            })
            .await?;
        if slug.is_none() {
            brand.slug = brand.id.to_string();
            tx.update_brand(&brand).await?;
        }
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Created,
                Subject(EntityType::Brand, brand.id, None),
                None,
                json(&brand),
                serde_json::Value::Null,
            ),
        )
        .await?;
        Ok(brand)
    }

    pub async fn get_brand(&self, p: &Principal, id: i64) -> AppResult<Brand> {
        require_staff(p)?;
        self.store().read().await?.brand(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_brands(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<Brand>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.brand_list(&page).await?;
        Ok(paged(rows, &page, |b| by_id(b.id)))
    }

    pub async fn update_brand(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: BrandPatch,
    ) -> AppResult<Brand> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.brand(id).await?.ok_or(AppError::NotFound)?;
        let mut b = old.clone();
        let mut fields = Fields::default();
        if let Some(name) = &patch.name {
            b.name = check_name(&mut fields, name);
        }
        if let Some(slug) = &patch.slug {
            b.slug = slug_for(&mut fields, Some(slug), &b.name).unwrap_or_default();
        }
        if let Some(g) = patch.greeting {
            b.greeting = g;
        }
        if let Some(acknowledge) = patch.acknowledge_new_tickets {
            b.acknowledge_new_tickets = acknowledge;
        }
        if let Some(w) = patch.webcall {
            b.webcall = Some(webcall_settings(&mut fields, w, old.webcall.as_ref()));
        }
        if let Some(backend) = patch.customer_backend {
            b.customer_backend = backend;
        }
        check_backend(&mut fields, &b.customer_backend, b.webcall.as_ref());
        fields.finish()?;
        if b == old {
            return Ok(old);
        }
        b.updated_at = now();
        tx.update_brand(&b).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Updated,
                Subject(EntityType::Brand, id, None),
                None,
                json(&b),
                json(&old),
            ),
        )
        .await?;
        Ok(b)
    }

    pub async fn delete_brand(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.brand(id).await?.ok_or(AppError::NotFound)?;
        if tx.brand_department_count(id).await? > 0 {
            return Err(AppError::Conflict(
                "the brand still has departments; delete or move them first".into(),
            ));
        }
        tx.delete_brand(id).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Deleted,
                Subject(EntityType::Brand, id, None),
                None,
                serde_json::Value::Null,
                json(&old),
            ),
        )
        .await?;
        Ok(())
    }

    pub async fn create_department(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        input: NewDepartment,
    ) -> AppResult<Department> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let name = check_name(&mut fields, &input.name);
        let slug = slug_for(&mut fields, input.slug.as_deref(), &name);
        fields.finish()?;
        let mut tx = self.store().write().await?;
        if tx.brand(input.brand_id).await?.is_none() {
            return Err(AppError::field("brand_id", "no such brand"));
        }
        let at = now();
        let mut d = tx
            .insert_department(&Department {
                id: 0,
                brand_id: input.brand_id,
                name,
                slug: slug.clone().unwrap_or_else(pending_slug),
                description: input.description.unwrap_or_default(),
                public: input.public.unwrap_or(true),
                created_at: at,
                updated_at: at,
            })
            .await?;
        if slug.is_none() {
            d.slug = d.id.to_string();
            tx.update_department(&d).await?;
        }
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Created,
                Subject(EntityType::Department, d.id, None),
                None,
                json(&d),
                serde_json::Value::Null,
            ),
        )
        .await?;
        Ok(d)
    }

    /// Staff see every department; end users only public ones (to open tickets in).
    pub async fn get_department(&self, p: &Principal, id: i64) -> AppResult<Department> {
        let d = self
            .store()
            .read()
            .await?
            .department(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if p.is_staff() || d.public {
            Ok(d)
        } else {
            Err(AppError::NotFound)
        }
    }

    pub async fn list_departments(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<Department>> {
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self
            .store()
            .read()
            .await?
            .department_list(q.brand_id, !p.is_staff(), &page)
            .await?;
        Ok(paged(rows, &page, |d| by_id(d.id)))
    }

    pub async fn update_department(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: DepartmentPatch,
    ) -> AppResult<Department> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.department(id).await?.ok_or(AppError::NotFound)?;
        let mut d = old.clone();
        let mut fields = Fields::default();
        if let Some(name) = &patch.name {
            d.name = check_name(&mut fields, name);
        }
        if let Some(slug) = &patch.slug {
            d.slug = slug_for(&mut fields, Some(slug), &d.name).unwrap_or_default();
        }
        if let Some(brand_id) = patch.brand_id {
            if tx.brand(brand_id).await?.is_none() {
                fields.add("brand_id", "no such brand");
            }
            d.brand_id = brand_id;
        }
        if let Some(desc) = patch.description {
            d.description = desc;
        }
        if let Some(public) = patch.public {
            d.public = public;
        }
        fields.finish()?;
        if d == old {
            return Ok(old);
        }
        d.updated_at = now();
        tx.update_department(&d).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Updated,
                Subject(EntityType::Department, id, None),
                None,
                json(&d),
                json(&old),
            ),
        )
        .await?;
        Ok(d)
    }

    /// A department with tickets cannot be deleted (409): the tickets would lose their queue.
    pub async fn delete_department(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.department(id).await?.ok_or(AppError::NotFound)?;
        if tx.department_ticket_count(id).await? > 0 {
            return Err(AppError::Conflict(
                "the department has tickets; move them to another department first".into(),
            ));
        }
        tx.delete_department(id).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Deleted,
                Subject(EntityType::Department, id, None),
                None,
                serde_json::Value::Null,
                json(&old),
            ),
        )
        .await?;
        Ok(())
    }
}
