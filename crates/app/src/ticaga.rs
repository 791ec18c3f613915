//! What Ticaga's billing plugins do to people (SPEC §7.2): Ticaga's users are people, so every Ticaga id is
//! a ferrodesk end-user id; linking finds the end user by address (or makes a customer and end user for a
//! new one) and links the billing account to that end user's customer. Each use case is one transaction.
use crate::attributes::AttributeSet;
use crate::links::{check_link, ensure_link};
use crate::people::{change_customer, insert_customer, insert_end_user};
use crate::{App, AppError, AppResult, Change, RequestMeta, clean, require_staff};
use api_types::{CustomerPatch, NewCustomer, NewEndUser};
use domain::billing::BillingLink;
use domain::{AttributeEntity, Customer, Email, EndUser, Principal};
use store::Writer;

/// A Ticaga user: an end user and the billing links of their customer.
#[derive(Debug, Clone)]
pub struct TicagaUser {
    pub end_user: EndUser,
    pub links: Vec<BillingLink>,
}

fn parse_email(email: &str) -> AppResult<Email> {
    Email::parse(email.trim()).map_err(|e| AppError::field("email", e))
}

/// A display name from what a plugin sent, else the address's local part.
fn name_or_local_part(name: Option<&str>, email: &Email) -> String {
    clean(name.map(str::to_owned))
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or(email.as_str()).to_owned())
}

/// A new end user of `customer_id` with `email`, held to the end-user attributes like any other.
async fn new_end_user(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    customer_id: i64,
    name: String,
    email: &Email,
) -> AppResult<EndUser> {
    let set = AttributeSet::load(&mut **tx, AttributeEntity::EndUser).await?;
    let input = NewEndUser {
        customer_id,
        name: Some(name),
        email: Some(email.as_str().to_owned()),
        ..NewEndUser::default()
    };
    insert_end_user(&mut **tx, &set, change, input, None).await
}

/// A new customer named `name` with `email` (unless another customer has that address) and `external_id`.
async fn new_customer(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    name: String,
    email: &Email,
    external_id: Option<String>,
) -> AppResult<Customer> {
    let taken = tx.customer_by_email(email.as_str()).await?.is_some();
    let set = AttributeSet::load(&mut **tx, AttributeEntity::Customer).await?;
    let input = NewCustomer {
        name,
        email: (!taken).then(|| email.as_str().to_owned()),
        external_id,
        ..NewCustomer::default()
    };
    insert_customer(&mut **tx, &set, change, input).await
}

/// The end user with `email`, of any customer; else a new one, of the customer `customer_hint` names (a
/// customer the billing account is linked to already), or of the customer that has this address, or of a
/// new customer.
async fn person_by_email(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    email: &Email,
    name: Option<&str>,
    customer_hint: Option<i64>,
) -> AppResult<EndUser> {
    if let Some(found) = tx.first_end_user_with_email(email.as_str()).await? {
        return Ok(found);
    }
    let name = name_or_local_part(name, email);
    let customer_id = match customer_hint {
        Some(id) => id,
        None => match tx
            .customer_by_email(email.as_str())
            .await?
            .filter(|c| c.deleted_at.is_none())
        {
            Some(c) => c.id,
            None => new_customer(tx, change, name.clone(), email, None).await?.id,
        },
    };
    new_end_user(tx, change, customer_id, name, email).await
}

impl App {
    /// A Ticaga user by end-user id (404 for none, or a deleted one).
    pub async fn ticaga_user(&self, p: &Principal, end_user_id: i64) -> AppResult<TicagaUser> {
        require_staff(p)?;
        let mut r = self.store().read().await?;
        let end_user = r
            .end_user(end_user_id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or(AppError::NotFound)?;
        let links = r.billing_links_of(end_user.customer_id).await?;
        Ok(TicagaUser { end_user, links })
    }

    /// `customers/link`: the end user with `email` (made, with a customer, when there is none), and the
    /// billing account linked to their customer. Idempotent: calling it again changes nothing.
    pub async fn ticaga_link(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        email: &str,
        name: Option<&str>,
        billing_system: &str,
        billing_id: &str,
    ) -> AppResult<EndUser> {
        require_staff(p)?;
        let email = parse_email(email)?;
        let (system, billing_id) = check_link(billing_system, billing_id)?;
        let change = Change { principal: p, meta };
        let mut tx = self.store().write().await?;
        let linked = tx.billing_link_of_account(system, &billing_id).await?;
        let person = person_by_email(&mut tx, &change, &email, name, linked.map(|l| l.customer_id)).await?;
        ensure_link(&mut tx, &change, person.customer_id, system, billing_id).await?;
        tx.commit().await?;
        Ok(person)
    }

    /// `customers/assign`: links the billing account to the customer of end user `end_user_id` (404 when
    /// there is no such end user). Idempotent.
    pub async fn ticaga_assign(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        end_user_id: i64,
        billing_system: &str,
        billing_id: &str,
    ) -> AppResult<BillingLink> {
        require_staff(p)?;
        let (system, billing_id) = check_link(billing_system, billing_id)?;
        let mut tx = self.store().write().await?;
        let person = tx
            .end_user(end_user_id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or(AppError::NotFound)?;
        let link = ensure_link(
            &mut tx,
            &Change { principal: p, meta },
            person.customer_id,
            system,
            billing_id,
        )
        .await?;
        tx.commit().await?;
        Ok(link)
    }

    /// `customers/sync` (ClientExec): the customer with `external_id` is created or updated (named after
    /// `company`, else `name`), and its end user with `email` made if missing; answers that end user.
    pub async fn ticaga_sync(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        external_id: &str,
        name: Option<&str>,
        email: &str,
        company: Option<&str>,
    ) -> AppResult<EndUser> {
        require_staff(p)?;
        let external_id = external_id.trim();
        if external_id.is_empty() {
            return Err(AppError::field("external_id", "is required"));
        }
        let email = parse_email(email)?;
        let person_name = name_or_local_part(name, &email);
        let customer_name = clean(company.map(str::to_owned)).unwrap_or_else(|| person_name.clone());
        let change = Change { principal: p, meta };
        let mut tx = self.store().write().await?;
        let customer = match tx
            .customer_by_external_id(external_id)
            .await?
            .filter(|c| c.deleted_at.is_none())
        {
            Some(existing) if existing.name == customer_name => existing,
            Some(existing) => {
                let set = AttributeSet::load(&mut *tx, AttributeEntity::Customer).await?;
                let patch = CustomerPatch {
                    name: Some(customer_name),
                    ..CustomerPatch::default()
                };
                change_customer(&mut *tx, &set, &change, existing.id, patch).await?.0
            }
            None => new_customer(&mut tx, &change, customer_name, &email, Some(external_id.to_owned())).await?,
        };
        let person = match tx.end_user_by_email(customer.id, email.as_str()).await? {
            Some(found) => found,
            None => new_end_user(&mut tx, &change, customer.id, person_name, &email).await?,
        };
        tx.commit().await?;
        Ok(person)
    }

    /// The requester of a Ticaga guest ticket: the end user with `email`, made (with a customer) if new.
    pub async fn ticaga_guest(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        email: &str,
        name: Option<&str>,
    ) -> AppResult<EndUser> {
        require_staff(p)?;
        let email = parse_email(email).map_err(|_| AppError::field("public_email", "must be an email address"))?;
        let change = Change { principal: p, meta };
        let mut tx = self.store().write().await?;
        let person = person_by_email(&mut tx, &change, &email, name, None).await?;
        tx.commit().await?;
        Ok(person)
    }
}
