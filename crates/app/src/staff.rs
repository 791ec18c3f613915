//! Staff accounts (admin only) and the bootstrap of the first admin.
use crate::auth::{check_password, hash_password, token_hash, verify_password};
use crate::paging::{by_id, page_request, paged};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_admin,
};
use api_types::{ListQuery, Me, NewStaff, StaffPatch};
use domain::event::{EntityType, EventAction, EventSource};
use domain::{ApiToken, Email, Principal, Role, Staff};
use store::time::now;
use store::{StoreError, UniqueKey};

/// What bootstrap did, so the binary can tell the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    Nothing,
    /// An admin was created with a generated password, to be printed once.
    CreatedAdmin {
        email: String,
        password: String,
    },
}

fn system_meta() -> RequestMeta {
    RequestMeta {
        source: Some(EventSource::System),
        url: None,
        ip: None,
    }
}

fn check_role(fields: &mut Fields, role: Role) {
    if !role.is_staff() {
        fields.add("role", "must be admin or agent");
    }
}

impl App {
    pub fn me(&self, p: &Principal) -> AppResult<Me> {
        let (kind, id, customer_id) = match p {
            Principal::Staff { id, .. } => ("staff", *id, None),
            Principal::Integration { token_id, kind, .. } => (kind.as_str(), *token_id, None),
            Principal::EndUser { id, customer_id, .. } => ("end_user", *id, Some(*customer_id)),
            Principal::System => return Err(AppError::Unauthenticated),
        };
        Ok(Me {
            kind: kind.into(),
            id,
            role: p.role(),
            name: p.display_name().into(),
            customer_id,
        })
    }

    pub async fn create_staff(&self, p: &Principal, meta: &RequestMeta, input: NewStaff) -> AppResult<Staff> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let email = fields.check("email", Email::parse(&input.email));
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 255 {
            fields.add("name", "must be 1 to 255 characters");
        }
        check_role(&mut fields, input.role);
        fields.check("password", check_password(&input.password));
        let department_ids = self
            .check_departments(&mut fields, input.department_ids.unwrap_or_default())
            .await?;
        fields.finish()?;
        let email = email.ok_or_else(|| AppError::Internal("email checked above".into()))?;
        let hash = hash_password(input.password).await?;
        let at = now();
        let staff = Staff {
            id: 0,
            email: email.into(),
            name,
            role: input.role,
            department_ids,
            created_at: at,
            updated_at: at,
        };
        self.add_staff(&Change { principal: p, meta }, &staff, &hash).await
    }

    /// Inserts a staff account with its event, in one transaction.
    async fn add_staff(&self, change: &Change<'_>, staff: &Staff, password_hash: &str) -> AppResult<Staff> {
        let mut tx = self.store().write().await?;
        let mut s = tx.insert_staff(staff, password_hash).await?;
        tx.set_staff_departments(s.id, &staff.department_ids).await?;
        s.department_ids = staff.department_ids.clone();
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Staff, s.id, None),
            None,
            json(&s),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(s)
    }

    pub async fn get_staff(&self, p: &Principal, id: i64) -> AppResult<Staff> {
        require_admin(p)?;
        let mut db = self.store().read().await?;
        let mut staff = db.staff(id).await?.ok_or(AppError::NotFound)?;
        staff.department_ids = db.staff_departments(id).await?;
        Ok(staff)
    }

    /// The departments named exist; given back sorted, without repeats.
    async fn check_departments(&self, fields: &mut Fields, mut ids: Vec<i64>) -> AppResult<Vec<i64>> {
        ids.sort_unstable();
        ids.dedup();
        let mut db = self.store().read().await?;
        for id in &ids {
            if db.department(*id).await?.is_none() {
                fields.add("department_ids", format!("no department {id}"));
            }
        }
        Ok(ids)
    }

    pub async fn list_staff(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<Staff>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut db = self.store().read().await?;
        let mut rows = db.staff_list(&page).await?;
        for staff in &mut rows {
            staff.department_ids = db.staff_departments(staff.id).await?;
        }
        Ok(paged(rows, &page, |s| by_id(s.id)))
    }

    pub async fn update_staff(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: StaffPatch,
    ) -> AppResult<Staff> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let email = patch.email.as_deref().map(|e| fields.check("email", Email::parse(e)));
        if let Some(role) = patch.role {
            check_role(&mut fields, role);
        }
        if let Some(pw) = &patch.password {
            fields.check("password", check_password(pw));
        }
        if patch
            .name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 255)
        {
            fields.add("name", "must be 1 to 255 characters");
        }
        let department_ids = match patch.department_ids {
            Some(ids) => Some(self.check_departments(&mut fields, ids).await?),
            None => None,
        };
        fields.finish()?;
        let hash = match patch.password {
            Some(pw) => {
                self.count_password_change(p)?;
                Some(hash_password(pw).await?)
            }
            None => None,
        };
        let mut tx = self.store().write().await?;
        let mut old = tx.staff(id).await?.ok_or(AppError::NotFound)?;
        old.department_ids = tx.staff_departments(id).await?;
        let mut s = old.clone();
        if let Some(ids) = department_ids {
            s.department_ids = ids;
        }
        if let Some(Some(e)) = email {
            s.email = e.into();
        }
        if let Some(n) = patch.name {
            s.name = n.trim().to_owned();
        }
        if let Some(r) = patch.role {
            if old.role == Role::Admin && r != Role::Admin && tx.admin_count_for_update().await? <= 1 {
                return Err(AppError::Conflict(
                    "this is the last admin; make another admin first".into(),
                ));
            }
            s.role = r;
        }
        if s == old && hash.is_none() {
            return Ok(old);
        }
        s.updated_at = now();
        tx.update_staff(&s, hash.as_deref()).await?;
        if s.department_ids != old.department_ids {
            tx.set_staff_departments(id, &s.department_ids).await?;
        }
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Updated,
                Subject(EntityType::Staff, id, None),
                None,
                json(&s),
                json(&old),
            ),
        )
        .await?;
        Ok(s)
    }

    pub async fn delete_staff(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.staff(id).await?.ok_or(AppError::NotFound)?;
        if old.role == Role::Admin && tx.admin_count_for_update().await? <= 1 {
            return Err(AppError::Conflict(
                "this is the last admin; make another admin first".into(),
            ));
        }
        tx.delete_staff(id).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Deleted,
                Subject(EntityType::Staff, id, None),
                None,
                serde_json::Value::Null,
                json(&old),
            ),
        )
        .await?;
        Ok(())
    }

    /// Makes sure the admin named by `FERRODESK_ADMIN_EMAIL`/`_PASSWORD` exists with that password.
    ///
    /// Idempotent under concurrent starts: when another node creates the same account between our look and
    /// our insert, the insert's conflict sends us round again to find the account it made.
    pub async fn ensure_admin(&self, email: &str, password: &str) -> AppResult<()> {
        let email = Email::parse(email).map_err(|e| AppError::field("FERRODESK_ADMIN_EMAIL", e))?;
        check_password(password).map_err(|e| AppError::field("FERRODESK_ADMIN_PASSWORD", e))?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.ensure_admin_once(&email, password).await {
                Err(AppError::Conflict(_)) if attempts < 3 => continue,
                other => return other,
            }
        }
    }

    async fn ensure_admin_once(&self, email: &Email, password: &str) -> AppResult<()> {
        let existing = self.store().read().await?.staff_credentials(email.as_str()).await?;
        let meta = system_meta();
        let change = Change {
            principal: &Principal::System,
            meta: &meta,
        };
        match existing {
            Some(c)
                if c.staff.role == Role::Admin && verify_password(password.into(), c.password_hash.clone()).await =>
            {
                Ok(())
            }
            Some(c) => {
                let hash = hash_password(password.into()).await?;
                let mut tx = self.store().write().await?;
                let s = Staff {
                    role: Role::Admin,
                    updated_at: now(),
                    ..c.staff.clone()
                };
                tx.update_staff(&s, Some(&hash)).await?;
                commit_with_event(
                    tx,
                    change.event(
                        EventAction::Updated,
                        Subject(EntityType::Staff, s.id, None),
                        None,
                        json(&s),
                        json(&c.staff),
                    ),
                )
                .await?;
                Ok(())
            }
            None => {
                let hash = hash_password(password.into()).await?;
                self.add_staff(&change, &bootstrap_admin(email), &hash).await?;
                Ok(())
            }
        }
    }

    /// Makes sure an admin API token with exactly this secret exists (`FERRODESK_ADMIN_TOKEN`).
    pub async fn ensure_admin_token(&self, secret: &str) -> AppResult<()> {
        crate::auth::check_bootstrap_token(secret).map_err(|e| AppError::field("FERRODESK_ADMIN_TOKEN", e))?;
        let hash = token_hash(secret);
        if self.store().read().await?.token_by_hash(&hash).await?.is_some() {
            return Ok(());
        }
        let meta = system_meta();
        let change = Change {
            principal: &Principal::System,
            meta: &meta,
        };
        let mut tx = self.store().write().await?;
        let token = ApiToken {
            id: 0,
            name: "bootstrap admin token".into(),
            role: Role::Admin,
            end_user_id: None,
            created_by: None,
            created_at: now(),
        };
        let inserted = match tx.insert_token(&token, &hash).await {
            Ok(t) => t,
            // Another node starting at the same moment stored the same secret first (its hash is unique).
            Err(StoreError::Unique(UniqueKey::TokenSecret)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Token, inserted.id, None),
            None,
            json(&inserted),
            serde_json::Value::Null,
        );
        match commit_with_event(tx, event).await {
            Err(AppError::Conflict(_)) => Ok(()),
            other => other,
        }
    }

    /// With no staff at all and no bootstrap variables, creates `admin@localhost.localdomain` with a random
    /// password.
    ///
    /// When several nodes start on one empty database, one of them creates the account and prints its
    /// password; the others meet the conflict and print nothing (their password was never stored).
    pub async fn bootstrap_first_admin(&self) -> AppResult<Bootstrap> {
        if self.store().read().await?.staff_count(None).await? > 0 {
            return Ok(Bootstrap::Nothing);
        }
        let email = Email::parse("admin@localhost.localdomain").map_err(|e| AppError::Internal(e.to_string()))?;
        let password = crate::auth::new_password();
        let hash = hash_password(password.clone()).await?;
        let meta = system_meta();
        let change = Change {
            principal: &Principal::System,
            meta: &meta,
        };
        match self.add_staff(&change, &bootstrap_admin(&email), &hash).await {
            Ok(_) => Ok(Bootstrap::CreatedAdmin {
                email: email.as_str().to_owned(),
                password,
            }),
            Err(AppError::Conflict(_)) => Ok(Bootstrap::Nothing),
            Err(e) => Err(e),
        }
    }
}

/// The account the bootstrap creates for `email`.
fn bootstrap_admin(email: &Email) -> Staff {
    let at = now();
    Staff {
        id: 0,
        email: email.as_str().into(),
        name: "Administrator".into(),
        role: Role::Admin,
        department_ids: Vec::new(),
        created_at: at,
        updated_at: at,
    }
}
