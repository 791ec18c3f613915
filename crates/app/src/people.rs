//! Customers and end users: the basic fields tickets need (SPEC §3.4), with soft delete and restore.
use crate::attributes::AttributeSet;
use crate::auth::{check_password, hash_password, verify_password};
use crate::paging::{by_id, page_request, paged};
use crate::person_query::{conditions, keyword_terms, order};
use crate::{App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, clean, json, require_staff};
use api_types::{CustomerPatch, DeletedQuery, EndUserPatch, MigrateEndUsers, NewCustomer, NewEndUser, PersonListQuery};
use domain::event::{EntityType, EventAction};
use domain::{AttributeEntity, Customer, Email, EndUser, HookPoint, Principal};
use store::time::now;
use store::{DeletedFilter, PersonColumn, PersonField, PersonPage, PersonQuery, StoreError, UniqueKey};

pub(crate) fn check_name(fields: &mut Fields, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        fields.add("name", "must be 1 to 255 characters");
    }
    name.to_owned()
}

pub(crate) fn check_email(fields: &mut Fields, email: Option<String>) -> Option<String> {
    clean(email).and_then(|e| fields.check("email", Email::parse(&e)).map(String::from))
}

pub(crate) fn check_phone(fields: &mut Fields, phone: Option<String>) -> Option<String> {
    let phone = clean(phone)?;
    if phone.chars().count() > 50 {
        fields.add("phone", "must be at most 50 characters");
    }
    Some(phone)
}

/// A live end user of the same customer has this email, found by the check before the write. When a
/// concurrent writer gets there first, the database's unique index (`end_users_customer_email`) reports
/// [`UniqueKey::EndUserEmail`] instead, which becomes this very answer: both are one conversion.
fn duplicate_email() -> AppError {
    StoreError::Unique(UniqueKey::EndUserEmail).into()
}

pub(crate) fn deleted_filter(q: Option<DeletedQuery>) -> DeletedFilter {
    match q {
        None => DeletedFilter::Exclude,
        Some(DeletedQuery::Only) => DeletedFilter::Only,
        Some(DeletedQuery::Include) => DeletedFilter::Include,
    }
}

/// An optional place name (`city`, `country`): trimmed, empty means none, at most 100 characters.
pub(crate) fn check_place(fields: &mut Fields, field: &str, value: Option<String>) -> Option<String> {
    let value = clean(value)?;
    if value.chars().count() > 100 {
        fields.add(field, "must be at most 100 characters");
    }
    Some(value)
}

/// An end user's name: the one given, or else `first_name last_name`.
pub(crate) fn end_user_name(name: Option<String>, first_name: Option<&str>, last_name: Option<&str>) -> String {
    match clean(name) {
        Some(name) => name,
        None => [first_name, last_name]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

pub(crate) fn check_tags(fields: &mut Fields, tags: Option<Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if out.iter().any(|t| t.chars().count() > 100) {
        fields.add("tags", "each tag must be at most 100 characters");
    }
    out.sort();
    out.dedup();
    out
}

/// Most matches a list's total counts (TeamTools' `meta.pagination.total`). Counting every match of a
/// common value among a million customers took 0.3–2 s (docs/benchmarks.md, "Customer database"); up to
/// this bound it stays within milliseconds.
pub const COUNT_BOUND: i64 = 1_000;

impl App {
    pub async fn create_customer(&self, p: &Principal, meta: &RequestMeta, input: NewCustomer) -> AppResult<Customer> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::Customer).await?;
        let c = insert_customer(&mut *tx, &set, &Change { principal: p, meta }, input).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// A customer; end users may read their own. Soft-deleted ones are found by staff only.
    pub async fn get_customer(&self, p: &Principal, id: i64) -> AppResult<Customer> {
        if p.customer_scope().is_some_and(|c| c != id) {
            return Err(AppError::NotFound);
        }
        let mut c = self
            .store()
            .read()
            .await?
            .customer(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if c.deleted_at.is_some() && !p.is_staff() {
            return Err(AppError::NotFound);
        }
        self.visible_customers(std::slice::from_mut(&mut c)).await?;
        Ok(c)
    }

    /// Customers by keyword, filters, tag or external id, in any order (SPEC §3.4).
    pub async fn list_customers(
        &self,
        p: &Principal,
        q: &PersonListQuery,
        filters: &[String],
    ) -> AppResult<Paged<Customer>> {
        require_staff(p)?;
        let mut db = self.store().read().await?;
        let set = AttributeSet::load(&mut *db, AttributeEntity::Customer).await?;
        let query = person_query(AttributeEntity::Customer, &set, q, filters, None)?;
        let rows = db.customer_query(&query).await?;
        drop(db);
        let mut page = page_of(rows, &query, |c: &Customer| c.id);
        for c in &mut page.data {
            set.visible(&mut c.attributes);
        }
        Ok(page)
    }

    /// How many customers or end users a list query matches, all pages together (TeamTools' `total`),
    /// counted up to [`COUNT_BOUND`]: `COUNT_BOUND` means "at least that many" (docs/customers.md).
    pub async fn count_people(
        &self,
        p: &Principal,
        entity: AttributeEntity,
        q: &PersonListQuery,
        filters: &[String],
    ) -> AppResult<i64> {
        require_staff(p)?;
        let mut db = self.store().read().await?;
        let set = AttributeSet::load(&mut *db, entity).await?;
        let query = person_query(entity, &set, q, filters, q.customer_id)?;
        Ok(db.person_count_bounded(&query, COUNT_BOUND).await?)
    }

    /// Restores several soft-deleted customers or end users in one transaction (TeamTools' `restoreAll`):
    /// each id must name a deleted record, or nothing is restored.
    pub async fn restore_people(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        entity: AttributeEntity,
        ids: &[i64],
    ) -> AppResult<Vec<i64>> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, entity).await?;
        let change = Change { principal: p, meta };
        for &id in ids {
            match entity {
                AttributeEntity::Customer => {
                    mark_customer_deleted(&mut *tx, &set, &change, id, false).await?;
                }
                AttributeEntity::EndUser => {
                    mark_end_user_deleted(&mut *tx, &set, &change, id, false).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(ids.to_vec())
    }

    /// Hides the values of deleted attributes.
    pub(crate) async fn visible_customers(&self, rows: &mut [Customer]) -> AppResult<()> {
        let set = AttributeSet::load(&mut *self.store().read().await?, AttributeEntity::Customer).await?;
        for c in rows {
            set.visible(&mut c.attributes);
        }
        Ok(())
    }

    /// Hides the values of deleted attributes.
    pub(crate) async fn visible_end_users(&self, rows: &mut [EndUser]) -> AppResult<()> {
        let set = AttributeSet::load(&mut *self.store().read().await?, AttributeEntity::EndUser).await?;
        for u in rows {
            set.visible(&mut u.attributes);
        }
        Ok(())
    }

    pub async fn update_customer(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: CustomerPatch,
    ) -> AppResult<Customer> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::Customer).await?;
        let (c, changed) = change_customer(&mut *tx, &set, &Change { principal: p, meta }, id, patch).await?;
        if changed {
            tx.commit().await?;
        }
        Ok(c)
    }

    /// Creates (rows without `id`) and updates (rows with one) customers in one transaction: all or nothing.
    /// The first row that fails is reported with its index (0-based), and nothing is written: after a
    /// failed statement PostgreSQL takes no more in that transaction, so later rows are not tried.
    pub async fn bulk_customers(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        rows: Vec<BulkRow<NewCustomer, CustomerPatch>>,
    ) -> Result<Vec<Customer>, BulkError> {
        require_staff(p).map_err(BulkError::Refused)?;
        let mut tx = self.store().write().await.map_err(|e| BulkError::Refused(e.into()))?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::Customer)
            .await
            .map_err(BulkError::Refused)?;
        let change = Change { principal: p, meta };
        let mut done = Vec::with_capacity(rows.len());
        for (row, input) in rows.into_iter().enumerate() {
            let result = match input {
                BulkRow::Create(new) => insert_customer(&mut *tx, &set, &change, new).await,
                BulkRow::Update(id, patch) => change_customer(&mut *tx, &set, &change, id, patch)
                    .await
                    .map(|(c, _)| c),
            };
            match result {
                Ok(c) => done.push(c),
                Err(e @ (AppError::Unavailable(_) | AppError::Internal(_))) => return Err(BulkError::Refused(e)),
                Err(e) => return Err(BulkError::Row(row, e)),
            }
        }
        tx.commit().await.map_err(|e| BulkError::Refused(e.into()))?;
        Ok(done)
    }

    /// Soft delete (`restore = false`) or restore (`true`).
    pub async fn set_customer_deleted(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        deleted: bool,
    ) -> AppResult<Customer> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::Customer).await?;
        let c = mark_customer_deleted(&mut *tx, &set, &Change { principal: p, meta }, id, deleted).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn create_end_user(&self, p: &Principal, meta: &RequestMeta, input: NewEndUser) -> AppResult<EndUser> {
        require_staff(p)?;
        let hash = match &input.password {
            Some(pw) => {
                check_password(pw).map_err(|e| AppError::field("password", e))?;
                Some(hash_password(pw.clone()).await?)
            }
            None => None,
        };
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::EndUser).await?;
        let u = insert_end_user(&mut *tx, &set, &Change { principal: p, meta }, input, hash).await?;
        tx.commit().await?;
        Ok(u)
    }

    /// Creates and updates end users in one transaction, as [`App::bulk_customers`] does customers.
    /// Passwords are set one end user at a time (each costs an argon2 hash), not in bulk.
    pub async fn bulk_end_users(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        rows: Vec<BulkRow<NewEndUser, EndUserPatch>>,
    ) -> Result<Vec<EndUser>, BulkError> {
        require_staff(p).map_err(BulkError::Refused)?;
        let mut tx = self.store().write().await.map_err(|e| BulkError::Refused(e.into()))?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::EndUser)
            .await
            .map_err(BulkError::Refused)?;
        let change = Change { principal: p, meta };
        let mut done = Vec::with_capacity(rows.len());
        for (row, input) in rows.into_iter().enumerate() {
            let result = match input {
                BulkRow::Create(new) if new.password.is_some() => {
                    Err(AppError::field("password", "set passwords one end user at a time"))
                }
                BulkRow::Create(new) => insert_end_user(&mut *tx, &set, &change, new, None).await,
                BulkRow::Update(_, patch) if patch.password.is_some() => {
                    Err(AppError::field("password", "set passwords one end user at a time"))
                }
                BulkRow::Update(id, patch) => change_end_user(&mut *tx, &set, &change, id, patch, None)
                    .await
                    .map(|(u, _)| u),
            };
            match result {
                Ok(u) => done.push(u),
                Err(e @ (AppError::Unavailable(_) | AppError::Internal(_))) => return Err(BulkError::Refused(e)),
                Err(e) => return Err(BulkError::Row(row, e)),
            }
        }
        tx.commit().await.map_err(|e| BulkError::Refused(e.into()))?;
        Ok(done)
    }

    /// Moves end users of customer `from` to another customer, in one transaction: the listed ones (each
    /// must be a live end user of `from`), or all of them when none are listed. The target must be a live
    /// customer other than `from`; an end user whose email the target's people already have is refused.
    pub async fn migrate_end_users(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        from: i64,
        input: MigrateEndUsers,
    ) -> AppResult<Vec<EndUser>> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        tx.customer(from)
            .await?
            .filter(|c| c.deleted_at.is_none())
            .ok_or(AppError::NotFound)?;
        let target = input.new_customer_id;
        if target == from {
            return Err(AppError::field("new_customer_id", "is the customer they belong to"));
        }
        match tx.customer(target).await? {
            Some(c) if c.deleted_at.is_none() => {}
            Some(_) => return Err(AppError::field("new_customer_id", "this customer is deleted")),
            None => return Err(AppError::field("new_customer_id", "no such customer")),
        }
        let people = tx.end_users_of(&[from]).await?;
        let wanted = input.end_user_ids.unwrap_or_default();
        let moving: Vec<EndUser> = if wanted.is_empty() {
            people
        } else {
            let missing: Vec<String> = wanted
                .iter()
                .filter(|id| !people.iter().any(|u| u.id == **id))
                .map(i64::to_string)
                .collect();
            if !missing.is_empty() {
                return Err(AppError::field(
                    "end_user_ids",
                    format!("not end users of customer {from}: {}", missing.join(", ")),
                ));
            }
            people.into_iter().filter(|u| wanted.contains(&u.id)).collect()
        };
        let set = AttributeSet::load(&mut *tx, AttributeEntity::EndUser).await?;
        let at = now();
        let change = Change { principal: p, meta };
        let mut moved = Vec::with_capacity(moving.len());
        for old in moving {
            if let Some(email) = &old.email
                && tx.end_user_by_email(target, email).await?.is_some()
            {
                return Err(AppError::field(
                    "end_user_ids",
                    format!("end user {} has an email that customer {target} already has", old.id),
                ));
            }
            let mut u = EndUser {
                customer_id: target,
                updated_at: at,
                ..old.clone()
            };
            tx.update_end_user(&u, None, None).await?;
            set.visible(&mut u.attributes);
            let mut shown_old = old;
            set.visible(&mut shown_old.attributes);
            tx.insert_event(&change.event(
                EventAction::Updated,
                Subject(EntityType::EndUser, u.id, Some(target)),
                Some(HookPoint::EndUserUpdated),
                json(&u),
                json(&shown_old),
            ))
            .await?;
            moved.push(u);
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// An end user; end users may read themselves and the people of their own customer.
    pub async fn get_end_user(&self, p: &Principal, id: i64) -> AppResult<EndUser> {
        let mut u = self
            .store()
            .read()
            .await?
            .end_user(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if p.customer_scope()
            .is_some_and(|c| c != u.customer_id || u.deleted_at.is_some())
        {
            return Err(AppError::NotFound);
        }
        self.visible_end_users(std::slice::from_mut(&mut u)).await?;
        Ok(u)
    }

    pub async fn list_end_users(
        &self,
        p: &Principal,
        q: &PersonListQuery,
        filters: &[String],
    ) -> AppResult<Paged<EndUser>> {
        let customer_id = match p.customer_scope() {
            Some(own) if q.customer_id.is_some_and(|c| c != own) => {
                return Ok(Paged {
                    data: vec![],
                    next_cursor: None,
                });
            }
            Some(own) => Some(own),
            None => q.customer_id,
        };
        let mut db = self.store().read().await?;
        let set = AttributeSet::load(&mut *db, AttributeEntity::EndUser).await?;
        let mut query = person_query(AttributeEntity::EndUser, &set, q, filters, customer_id)?;
        // End users never see deleted people, whatever they ask for.
        if !p.is_staff() {
            query.deleted = DeletedFilter::Exclude;
        }
        let rows = db.end_user_query(&query).await?;
        drop(db);
        let mut page = page_of(rows, &query, |u: &EndUser| u.id);
        for u in &mut page.data {
            set.visible(&mut u.attributes);
        }
        Ok(page)
    }

    /// Staff change any end user; an end user may change their own name, phone and password.
    pub async fn update_end_user(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: EndUserPatch,
    ) -> AppResult<EndUser> {
        let mut fields = Fields::default();
        if let Principal::EndUser { id: me, .. } = p {
            if *me != id {
                return Err(AppError::NotFound);
            }
            if patch.email.is_some() {
                fields.add("email", "ask staff to change your email");
            }
            if patch.tags.is_some() {
                fields.add("tags", "may only be set by staff");
            }
            for name in patch.attributes.keys() {
                fields.add(name, "may only be set by staff");
            }
        }
        let hash = match &patch.password {
            Some(Some(pw)) => {
                fields.check("password", check_password(pw));
                fields.0.is_empty().then_some(pw.clone())
            }
            _ => None,
        };
        if patch.current_password.is_some() && patch.password.is_none() {
            fields.add("current_password", "is only needed to change the password");
        }
        fields.finish()?;
        if patch.password.is_some() {
            self.count_password_change(p)?;
            if matches!(p, Principal::EndUser { .. }) {
                self.check_current_password(id, patch.current_password.as_deref())
                    .await?;
            }
        }
        let hash = match hash {
            Some(pw) => Some(Some(hash_password(pw).await?)),
            None if matches!(patch.password, Some(None)) => Some(None),
            None => None,
        };
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::EndUser).await?;
        let (u, changed) = change_end_user(&mut *tx, &set, &Change { principal: p, meta }, id, patch, hash).await?;
        if changed {
            tx.commit().await?;
        }
        Ok(u)
    }

    /// An end user changing their own password proves they know the current one (a stolen token alone
    /// must not take over the portal login). One without a password yet has nothing to prove.
    async fn check_current_password(&self, id: i64, current: Option<&str>) -> AppResult<()> {
        let mut db = self.store().read().await?;
        let user = db
            .end_user(id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or(AppError::NotFound)?;
        if !user.has_password {
            return Ok(());
        }
        let Some(current) = current else {
            return Err(AppError::field(
                "current_password",
                "is required to change your password",
            ));
        };
        // By id, not by email: another customer's end user may share the email (and have a password).
        let hash = db.end_user_password_hash(id).await?;
        drop(db);
        let matches = match hash {
            Some(hash) => verify_password(current.to_owned(), hash).await,
            None => false,
        };
        if matches {
            Ok(())
        } else {
            Err(AppError::field("current_password", "is not your current password"))
        }
    }

    pub async fn set_end_user_deleted(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        deleted: bool,
    ) -> AppResult<EndUser> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let set = AttributeSet::load(&mut *tx, AttributeEntity::EndUser).await?;
        let u = mark_end_user_deleted(&mut *tx, &set, &Change { principal: p, meta }, id, deleted).await?;
        tx.commit().await?;
        Ok(u)
    }
}

/// Soft-deletes (`deleted`) or restores a customer, with its event, on `tx`. Deleting a deleted one is
/// 404; restoring a live one is 409.
async fn mark_customer_deleted(
    tx: &mut dyn store::Writer,
    set: &AttributeSet,
    change: &Change<'_>,
    id: i64,
    deleted: bool,
) -> AppResult<Customer> {
    let mut old = tx.customer(id).await?.ok_or(AppError::NotFound)?;
    if old.deleted_at.is_some() == deleted {
        return Err(if deleted {
            AppError::NotFound
        } else {
            AppError::Conflict(format!("customer {id} is not deleted"))
        });
    }
    let at = now();
    let mut c = Customer {
        deleted_at: deleted.then_some(at),
        updated_at: at,
        ..old.clone()
    };
    tx.update_customer(&c, None).await?;
    set.visible(&mut c.attributes);
    set.visible(&mut old.attributes);
    let (action, name) = if deleted {
        (EventAction::Deleted, HookPoint::CustomerDeleted)
    } else {
        (EventAction::Restored, HookPoint::CustomerRestored)
    };
    tx.insert_event(&change.event(
        action,
        Subject(EntityType::Customer, id, Some(id)),
        Some(name),
        json(&c),
        json(&old),
    ))
    .await?;
    Ok(c)
}

/// Soft-deletes (`deleted`) or restores an end user, with its event, on `tx`, as for customers. Restoring
/// one whose email another live end user of the customer took meanwhile is a conflict (the unique index).
async fn mark_end_user_deleted(
    tx: &mut dyn store::Writer,
    set: &AttributeSet,
    change: &Change<'_>,
    id: i64,
    deleted: bool,
) -> AppResult<EndUser> {
    let mut old = tx.end_user(id).await?.ok_or(AppError::NotFound)?;
    if old.deleted_at.is_some() == deleted {
        return Err(if deleted {
            AppError::NotFound
        } else {
            AppError::Conflict(format!("end user {id} is not deleted"))
        });
    }
    let at = now();
    let mut u = EndUser {
        deleted_at: deleted.then_some(at),
        updated_at: at,
        ..old.clone()
    };
    tx.update_end_user(&u, None, None).await?;
    set.visible(&mut u.attributes);
    set.visible(&mut old.attributes);
    let (action, name) = if deleted {
        (EventAction::Deleted, HookPoint::EndUserDeleted)
    } else {
        (EventAction::Restored, HookPoint::EndUserRestored)
    };
    let subject = Subject(EntityType::EndUser, id, Some(u.customer_id));
    tx.insert_event(&change.event(action, subject, Some(name), json(&u), json(&old)))
        .await?;
    Ok(u)
}

/// An external id: trimmed, blank is none, one line of at most 255 characters.
pub(crate) fn check_external_id(fields: &mut Fields, value: Option<String>) -> Option<String> {
    let value = clean(value)?;
    if value.chars().count() > 255 || value.chars().any(char::is_control) {
        fields.add("external_id", "must be one line of at most 255 characters");
    }
    Some(value)
}

/// The store query of a person list: keyword, filters, tag, external id, order and page.
fn person_query(
    entity: AttributeEntity,
    set: &AttributeSet,
    q: &PersonListQuery,
    filters: &[String],
    customer_id: Option<i64>,
) -> AppResult<PersonQuery> {
    let limit = crate::paging::checked_limit(
        q.limit,
        store::PageRequest::DEFAULT_LIMIT,
        store::PageRequest::MAX_LIMIT,
    )?;
    let mut all_filters: Vec<String> = q.filter.iter().cloned().collect();
    all_filters.extend(filters.iter().cloned());
    let order = match q.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(sort) => order(entity, set, sort, None, "sort")?,
        None => store::PersonOrder::default(),
    };
    let by_id = order.field == PersonField::Column(PersonColumn::Id);
    let page = match (q.offset, &q.cursor) {
        (Some(_), Some(_)) => return Err(AppError::field("offset", "give a cursor or an offset, not both")),
        (Some(offset), None) => PersonPage::Offset {
            offset,
            limit: limit + 1,
        },
        (None, cursor) if by_id => PersonPage::Keyset(page_request(Some(limit), cursor.as_deref())?),
        // Other orders page by offset; their cursor carries it.
        (None, cursor) => {
            let offset = match cursor.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => {
                    let c = domain::Cursor::decode(c).map_err(|e| AppError::field("cursor", e))?;
                    u64::try_from(c.key)
                        .map_err(|_| AppError::field("cursor", "is not a cursor returned by this list"))?
                }
                None => 0,
            };
            PersonPage::Offset {
                offset,
                limit: limit + 1,
            }
        }
    };
    let mut tags = Vec::new();
    if let Some(tag) = q.tag.as_deref() {
        tags.push(store::PersonCondition {
            field: PersonField::Tags,
            op: domain::FilterOp::Eq,
            operand: store::Operand::Text(tag.to_owned()),
        });
    }
    let mut conditions = conditions(entity, set, &all_filters)?;
    conditions.extend(tags);
    Ok(PersonQuery {
        entity,
        deleted: deleted_filter(q.deleted),
        customer_id,
        external_id: clean(q.external_id.clone()),
        terms: keyword_terms(q.keyword.as_deref())?,
        conditions,
        order,
        page,
    })
}

/// One page of a person list, with the cursor of the next: by id after the last row, or the next offset.
fn page_of<T>(mut rows: Vec<T>, query: &PersonQuery, id: impl Fn(&T) -> i64) -> Paged<T> {
    match &query.page {
        PersonPage::Keyset(page) => paged(rows, page, |r| by_id(id(r))),
        PersonPage::Offset { offset, limit } => {
            let keep = (*limit - 1) as usize;
            let more = rows.len() > keep;
            rows.truncate(keep);
            let next = offset + keep as u64;
            Paged {
                data: rows,
                next_cursor: more.then(|| {
                    domain::Cursor {
                        key: i64::try_from(next).unwrap_or(i64::MAX),
                        id: 0,
                    }
                    .encode()
                }),
            }
        }
    }
}

/// One row of a bulk write: a new record, or a change to the record with this id.
#[derive(Debug, Clone)]
pub enum BulkRow<N, P> {
    Create(N),
    Update(i64, P),
}

/// Why a bulk write stored nothing: the whole request was refused, or this row (0-based) failed.
#[derive(Debug)]
pub enum BulkError {
    Refused(AppError),
    Row(usize, AppError),
}

/// Inserts a customer (with its event) on `tx`.
pub(crate) async fn insert_customer(
    tx: &mut dyn store::Writer,
    set: &AttributeSet,
    change: &Change<'_>,
    input: NewCustomer,
) -> AppResult<Customer> {
    let mut fields = Fields::default();
    let at = now();
    let mut customer = Customer {
        id: 0,
        name: check_name(&mut fields, &input.name),
        email: check_email(&mut fields, input.email),
        phone: check_phone(&mut fields, input.phone),
        city: check_place(&mut fields, "city", input.city),
        country: check_place(&mut fields, "country", input.country),
        external_id: check_external_id(&mut fields, input.external_id),
        tags: check_tags(&mut fields, input.tags),
        attributes: Default::default(),
        created_at: at,
        updated_at: at,
        deleted_at: None,
    };
    set.apply(&mut customer.attributes, input.attributes, true, &mut fields);
    fields.finish()?;
    let values = set.index(&customer.attributes);
    let mut c = tx
        .insert_customer(&customer, &values)
        .await
        .map_err(|e| set.explain(e, AttributeEntity::Customer))?;
    set.visible(&mut c.attributes);
    tx.insert_event(&change.event(
        EventAction::Created,
        Subject(EntityType::Customer, c.id, Some(c.id)),
        Some(HookPoint::CustomerCreated),
        json(&c),
        serde_json::Value::Null,
    ))
    .await?;
    Ok(c)
}

/// Applies a change to a live customer (with its event) on `tx`; `false` when nothing changed.
pub(crate) async fn change_customer(
    tx: &mut dyn store::Writer,
    set: &AttributeSet,
    change: &Change<'_>,
    id: i64,
    patch: CustomerPatch,
) -> AppResult<(Customer, bool)> {
    let old = tx
        .customer(id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let mut c = old.clone();
    let mut fields = Fields::default();
    if let Some(name) = &patch.name {
        c.name = check_name(&mut fields, name);
    }
    if let Some(email) = patch.email {
        c.email = check_email(&mut fields, email);
    }
    if let Some(phone) = patch.phone {
        c.phone = check_phone(&mut fields, phone);
    }
    if let Some(city) = patch.city {
        c.city = check_place(&mut fields, "city", city);
    }
    if let Some(country) = patch.country {
        c.country = check_place(&mut fields, "country", country);
    }
    if let Some(ext) = patch.external_id {
        c.external_id = check_external_id(&mut fields, ext);
    }
    if patch.tags.is_some() {
        c.tags = check_tags(&mut fields, patch.tags);
    }
    set.apply(&mut c.attributes, patch.attributes, false, &mut fields);
    fields.finish()?;
    let mut shown_old = old.clone();
    set.visible(&mut shown_old.attributes);
    if c == old {
        return Ok((shown_old, false));
    }
    c.updated_at = now();
    let values = set.index(&c.attributes);
    tx.update_customer(&c, Some(&values))
        .await
        .map_err(|e| set.explain(e, AttributeEntity::Customer))?;
    set.visible(&mut c.attributes);
    tx.insert_event(&change.event(
        EventAction::Updated,
        Subject(EntityType::Customer, id, Some(id)),
        Some(HookPoint::CustomerUpdated),
        json(&c),
        json(&shown_old),
    ))
    .await?;
    Ok((c, true))
}

/// Inserts an end user (with its event) on `tx`; `hash` is the portal password's hash, already made.
pub(crate) async fn insert_end_user(
    tx: &mut dyn store::Writer,
    set: &AttributeSet,
    change: &Change<'_>,
    input: NewEndUser,
    hash: Option<String>,
) -> AppResult<EndUser> {
    let mut fields = Fields::default();
    let at = now();
    let first_name = check_place(&mut fields, "first_name", input.first_name);
    let last_name = check_place(&mut fields, "last_name", input.last_name);
    let name = end_user_name(input.name, first_name.as_deref(), last_name.as_deref());
    let mut user = EndUser {
        id: 0,
        customer_id: input.customer_id,
        name: check_name(&mut fields, &name),
        first_name,
        last_name,
        email: check_email(&mut fields, input.email),
        phone: check_phone(&mut fields, input.phone),
        city: check_place(&mut fields, "city", input.city),
        country: check_place(&mut fields, "country", input.country),
        tags: check_tags(&mut fields, input.tags),
        attributes: Default::default(),
        has_password: false,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    };
    if hash.is_some() && user.email.is_none() {
        fields.add("email", "is required to log in with a password");
    }
    set.apply(&mut user.attributes, input.attributes, true, &mut fields);
    fields.finish()?;
    if tx
        .customer(input.customer_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .is_none()
    {
        return Err(AppError::field("customer_id", "no such customer"));
    }
    if let Some(email) = &user.email
        && tx.end_user_by_email(input.customer_id, email).await?.is_some()
    {
        return Err(duplicate_email());
    }
    let values = set.index(&user.attributes);
    let mut u = tx
        .insert_end_user(&user, hash.as_deref(), &values)
        .await
        .map_err(|e| set.explain(e, AttributeEntity::EndUser))?;
    set.visible(&mut u.attributes);
    tx.insert_event(&change.event(
        EventAction::Created,
        Subject(EntityType::EndUser, u.id, Some(u.customer_id)),
        Some(HookPoint::EndUserCreated),
        json(&u),
        serde_json::Value::Null,
    ))
    .await?;
    Ok(u)
}

/// Applies a change to a live end user (with its event) on `tx`; `hash`: `Some` sets (or with `None`
/// inside, removes) the portal password. `false` when nothing changed.
pub(crate) async fn change_end_user(
    tx: &mut dyn store::Writer,
    set: &AttributeSet,
    change: &Change<'_>,
    id: i64,
    patch: EndUserPatch,
    hash: Option<Option<String>>,
) -> AppResult<(EndUser, bool)> {
    let old = tx
        .end_user(id)
        .await?
        .filter(|u| u.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let mut u = old.clone();
    let mut fields = Fields::default();
    if let Some(name) = &patch.name {
        u.name = check_name(&mut fields, name);
    }
    if let Some(email) = patch.email {
        u.email = check_email(&mut fields, email);
    }
    if let Some(phone) = patch.phone {
        u.phone = check_phone(&mut fields, phone);
    }
    if let Some(v) = patch.first_name {
        u.first_name = check_place(&mut fields, "first_name", v);
    }
    if let Some(v) = patch.last_name {
        u.last_name = check_place(&mut fields, "last_name", v);
    }
    if let Some(v) = patch.city {
        u.city = check_place(&mut fields, "city", v);
    }
    if let Some(v) = patch.country {
        u.country = check_place(&mut fields, "country", v);
    }
    if patch.tags.is_some() {
        u.tags = check_tags(&mut fields, patch.tags);
    }
    set.apply(&mut u.attributes, patch.attributes, false, &mut fields);
    if let Some(h) = &hash {
        u.has_password = h.is_some();
        if h.is_some() && u.email.is_none() {
            fields.add("email", "is required to log in with a password");
        }
    }
    fields.finish()?;
    if u.email != old.email
        && let Some(email) = &u.email
        && tx
            .end_user_by_email(u.customer_id, email)
            .await?
            .is_some_and(|other| other.id != id)
    {
        return Err(duplicate_email());
    }
    let mut shown_old = old.clone();
    set.visible(&mut shown_old.attributes);
    if u == old && hash.is_none() {
        return Ok((shown_old, false));
    }
    u.updated_at = now();
    let values = set.index(&u.attributes);
    tx.update_end_user(&u, hash.as_ref().map(|h| h.as_deref()), Some(&values))
        .await
        .map_err(|e| set.explain(e, AttributeEntity::EndUser))?;
    set.visible(&mut u.attributes);
    tx.insert_event(&change.event(
        EventAction::Updated,
        Subject(EntityType::EndUser, id, Some(u.customer_id)),
        Some(HookPoint::EndUserUpdated),
        json(&u),
        json(&shown_old),
    ))
    .await?;
    Ok((u, true))
}
