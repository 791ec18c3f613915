//! The `local` backend: ferrodesk's own customer database (SPEC §3.4) seen as web-call accounts. A
//! customer is an account (`userkey` = its id, `account` = its name), its end users are the contacts, its
//! custom attributes the fields; every read and write goes through the customer use cases, so their rules
//! (required, unique, types, editable) hold here too.
use super::{CustomerBackend, MAX_ACCOUNTS};
use crate::attributes::AttributeSet;
use crate::people::{change_customer, change_end_user};
use crate::{App, AppError, AppResult, Change, RequestMeta};
use api_types::{CustomerPatch, EndUserPatch, PersonListQuery};
use async_trait::async_trait;
use domain::account::{Account, AccountContact, AccountCriteria, AccountField, AccountSummary};
use domain::{AttributeEntity, AttributeType, Customer, EndUser, FieldError, Principal};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Criteria matched as words of the customers' and end users' search text (names, emails, places).
const TEXT_CRITERIA: [&str; 10] = [
    "FirstName",
    "LastName",
    "AddressOne",
    "AddressTwo",
    "City",
    "Region",
    "PostalCode",
    "Country",
    "PrimaryEmail",
    "SecondaryEmail",
];
/// Criteria matched on the last digits of the customers' and end users' phone numbers.
const PHONE_CRITERIA: [&str; 4] = ["PrimaryPhone", "SecondayPhone", "Modile", "Fax"];
/// Criteria the local database has nothing to compare with.
const UNSEARCHABLE: [&str; 2] = ["Password", "CustFields"];
/// Candidates one criterion yields at most before they are intersected.
const CANDIDATES: u32 = 200;
/// Contacts a loaded account lists at most.
const CONTACTS: u32 = 100;

pub(super) struct LocalBackend<'a> {
    app: &'a App,
    principal: &'a Principal,
    meta: &'a RequestMeta,
}

impl<'a> LocalBackend<'a> {
    pub(super) fn new(app: &'a App, principal: &'a Principal, meta: &'a RequestMeta) -> Self {
        Self { app, principal, meta }
    }

    fn customer_id(userkey: &str) -> AppResult<i64> {
        userkey.trim().parse().map_err(|_| AppError::NotFound)
    }

    async fn customer(&self, userkey: &str) -> AppResult<Customer> {
        let c = self
            .app
            .get_customer(self.principal, Self::customer_id(userkey)?)
            .await?;
        if c.deleted_at.is_some() {
            return Err(AppError::NotFound);
        }
        Ok(c)
    }

    async fn contacts_of(&self, customer_id: i64) -> AppResult<Vec<EndUser>> {
        let q = PersonListQuery {
            limit: Some(CONTACTS),
            customer_id: Some(customer_id),
            sort: Some("id".into()),
            ..PersonListQuery::default()
        };
        Ok(self.app.list_end_users(self.principal, &q, &[]).await?.data)
    }

    /// Ids of live customers whose own search text or one of whose end users' matches `keyword`.
    async fn by_keyword(&self, keyword: &str) -> AppResult<BTreeSet<i64>> {
        let q = PersonListQuery {
            limit: Some(CANDIDATES),
            keyword: Some(keyword.to_owned()),
            ..PersonListQuery::default()
        };
        let mut ids: BTreeSet<i64> = self
            .app
            .list_customers(self.principal, &q, &[])
            .await?
            .data
            .iter()
            .map(|c| c.id)
            .collect();
        ids.extend(
            self.app
                .list_end_users(self.principal, &q, &[])
                .await?
                .data
                .iter()
                .map(|u| u.customer_id),
        );
        Ok(ids)
    }

    /// Ids of live customers whose number, or one of whose end users' number, ends like `phone`.
    async fn by_phone(&self, phone: &str) -> AppResult<BTreeSet<i64>> {
        self.app.customers_by_caller(phone, CANDIDATES).await
    }
}

fn summary(c: &Customer) -> AccountSummary {
    AccountSummary {
        userkey: c.id.to_string(),
        status: status_of(c).into(),
        name: c.name.clone(),
        email: c.email.clone().unwrap_or_default(),
        phone: c.phone.clone().unwrap_or_default(),
    }
}

fn status_of(c: &Customer) -> &'static str {
    if c.deleted_at.is_some() { "Deleted" } else { "Active" }
}

fn contact_of(u: &EndUser) -> AccountContact {
    let (first, last) = match (&u.first_name, &u.last_name) {
        (None, None) => match u.name.split_once(' ') {
            Some((f, l)) => (f.to_owned(), l.to_owned()),
            None => (u.name.clone(), String::new()),
        },
        (f, l) => (f.clone().unwrap_or_default(), l.clone().unwrap_or_default()),
    };
    AccountContact {
        firstname: first,
        lastname: last,
        city: u.city.clone().unwrap_or_default(),
        country: u.country.clone().unwrap_or_default(),
        pphone: u.phone.clone().unwrap_or_default(),
        pemail: u.email.clone().unwrap_or_default(),
        ..AccountContact::default()
    }
}

/// An attribute value as a field's text.
fn field_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A field's text as the value of an attribute of `kind`; text that is no such value is passed on as
/// text, for the attribute's own check to refuse with its message.
fn field_value(kind: AttributeType, text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    match kind {
        AttributeType::Number => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(text.into()), Value::Number),
        AttributeType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => Value::String(text.into()),
        },
        _ => Value::String(text.into()),
    }
}

/// A refused member of the customer in the account's terms: its name is the account's `account`; its
/// attributes keep their names (the fields' ids).
fn customer_member(field: &str) -> &str {
    match field {
        "name" => "account",
        other => other,
    }
}

/// A refused member of an end user in a contact's terms.
fn contact_member(field: &str) -> &str {
    match field {
        "name" | "first_name" => "firstname",
        "last_name" => "lastname",
        "email" => "pemail",
        "phone" => "pphone",
        other => other,
    }
}

fn renamed(error: FieldError, prefix: &str, member: fn(&str) -> &str) -> FieldError {
    FieldError::new(format!("{prefix}{}", member(&error.field)), error.message)
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

#[async_trait]
impl CustomerBackend for LocalBackend<'_> {
    fn name(&self) -> &'static str {
        "local"
    }

    /// Each criterion narrows the accounts (they are intersected): `Userkey` the customer's id, `AccountID`
    /// its `external_id`, the phone criteria the last digits of its or its end users' numbers, the others
    /// words of its or its end users' search text. `Status` other than `Active` finds nothing (deleted
    /// customers are not accounts); `Password` and `CustFields` cannot be searched here (422).
    async fn search(&self, criteria: &AccountCriteria) -> AppResult<Vec<AccountSummary>> {
        for name in UNSEARCHABLE {
            if criteria.get(name).is_some() {
                return Err(AppError::field(
                    name,
                    "the local customer database cannot be searched by this criterion",
                ));
            }
        }
        if criteria
            .get("Status")
            .is_some_and(|s| !s.trim().eq_ignore_ascii_case("active"))
        {
            return Ok(Vec::new());
        }
        let mut sets: Vec<BTreeSet<i64>> = Vec::new();
        if let Some(key) = criteria.get("Userkey") {
            sets.push(match self.customer(key).await {
                Ok(c) => BTreeSet::from([c.id]),
                Err(AppError::NotFound) => BTreeSet::new(),
                Err(e) => return Err(e),
            });
        }
        if let Some(external) = criteria.get("AccountID") {
            let q = PersonListQuery {
                limit: Some(CANDIDATES),
                external_id: Some(external.to_owned()),
                ..PersonListQuery::default()
            };
            sets.push(
                self.app
                    .list_customers(self.principal, &q, &[])
                    .await?
                    .data
                    .iter()
                    .map(|c| c.id)
                    .collect(),
            );
        }
        for name in PHONE_CRITERIA {
            if let Some(phone) = criteria.get(name) {
                sets.push(self.by_phone(phone).await?);
            }
        }
        let words: Vec<&str> = TEXT_CRITERIA.iter().filter_map(|n| criteria.get(n)).collect();
        if !words.is_empty() {
            sets.push(self.by_keyword(&words.join(" ")).await?);
        }
        let Some(mut ids) = sets.pop() else {
            return Ok(Vec::new());
        };
        for other in &sets {
            ids.retain(|id| other.contains(id));
        }
        let mut found = Vec::new();
        for id in ids.into_iter().rev().take(MAX_ACCOUNTS) {
            match self.app.get_customer(self.principal, id).await {
                Ok(c) if c.deleted_at.is_none() => found.push(summary(&c)),
                Ok(_) | Err(AppError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    async fn load(&self, userkey: &str) -> AppResult<Account> {
        let c = self.customer(userkey).await?;
        let mut contacts: Vec<AccountContact> = self.contacts_of(c.id).await?.iter().map(contact_of).collect();
        if contacts.is_empty() {
            contacts.push(AccountContact {
                firstname: c.name.clone(),
                city: c.city.clone().unwrap_or_default(),
                country: c.country.clone().unwrap_or_default(),
                pphone: c.phone.clone().unwrap_or_default(),
                pemail: c.email.clone().unwrap_or_default(),
                ..AccountContact::default()
            });
        }
        Ok(Account {
            userkey: c.id.to_string(),
            password: String::new(),
            status: status_of(&c).into(),
            account: c.name.clone(),
            contacts,
            fields: c
                .attributes
                .iter()
                .map(|(name, value)| AccountField {
                    id: name.clone(),
                    value: field_text(value),
                })
                .collect(),
        })
    }

    /// The account's name is the customer's name, its fields the customer's attributes (each by name,
    /// converted to the attribute's type), its contacts the customer's end users in order (first name, last
    /// name, email, phone, city, country); contacts past the existing end users are not created here. One
    /// transaction: when any value is refused nothing is written, and the refusal names the account's
    /// members (`account`, a field's id, `contacts[i].pemail`).
    async fn update(&self, account: &Account) -> AppResult<()> {
        let c = self.customer(&account.userkey).await?;
        let people = self.contacts_of(c.id).await?;
        let mut tx = self.app.store().write().await?;
        let customer_set = AttributeSet::load(&mut *tx, AttributeEntity::Customer).await?;
        let end_user_set = AttributeSet::load(&mut *tx, AttributeEntity::EndUser).await?;
        let change = Change {
            principal: self.principal,
            meta: self.meta,
        };
        let mut patch = CustomerPatch {
            name: optional(&account.account),
            ..CustomerPatch::default()
        };
        for field in &account.fields {
            let kind = customer_set.find(&field.id).map_or(AttributeType::Text, |a| a.kind);
            patch
                .attributes
                .insert(field.id.clone(), field_value(kind, &field.value));
        }
        let mut refused: Vec<FieldError> = Vec::new();
        let mut changed = match change_customer(&mut *tx, &customer_set, &change, c.id, patch).await {
            Ok((_, changed)) => changed,
            Err(AppError::Validation(fields)) => {
                refused.extend(fields.into_iter().map(|f| renamed(f, "", customer_member)));
                false
            }
            Err(e) => return Err(e),
        };
        for (index, (person, contact)) in people.iter().zip(&account.contacts).enumerate() {
            let name = format!("{} {}", contact.firstname.trim(), contact.lastname.trim());
            let patch = EndUserPatch {
                name: optional(&name),
                first_name: Some(optional(&contact.firstname)),
                last_name: Some(optional(&contact.lastname)),
                email: Some(optional(&contact.pemail)),
                phone: Some(optional(&contact.pphone)),
                city: Some(optional(&contact.city)),
                country: Some(optional(&contact.country)),
                ..EndUserPatch::default()
            };
            match change_end_user(&mut *tx, &end_user_set, &change, person.id, patch, None).await {
                Ok((_, c)) => changed |= c,
                Err(AppError::Validation(fields)) => {
                    let prefix = format!("contacts[{index}].");
                    refused.extend(fields.into_iter().map(|f| renamed(f, &prefix, contact_member)));
                }
                Err(e) => return Err(e),
            }
        }
        if !refused.is_empty() {
            return Err(AppError::Validation(refused));
        }
        if changed {
            tx.commit().await?;
        }
        Ok(())
    }

    async fn test(&self) -> AppResult<Duration> {
        let started = Instant::now();
        self.app.store().read().await?.customer(0).await?;
        Ok(started.elapsed())
    }
}
