//! `ferrodesk demo`: example data for a first look (SPEC §1), the analogue of Eventum's example backend data.
//!
//! Everything goes through the use cases, as an operator's API calls would, so the demo holds only what the
//! rules allow and leaves the same events behind (the outbox takes them once `serve` runs).
mod billing;
mod data;

use crate::describe;
use anyhow::bail;
use api_types::{
    AttributeInput, ContractQuery, IncidentInput, InvoiceQuery, ListQuery, NewBrand, NewContract, NewCustomer,
    NewDepartment, NewEndUser, NewFeature, NewGroup, NewInvoice, NewInvoiceItem, NewPackage, NewPayment, NewPlan,
    NewReply, NewStaff, NewSubscription, NewSupportLevel, NewTicket, PackageFeature, RedeemIncidents, TicketPatch,
};
use app::{App, AppResult, RequestMeta};
use data::*;
use domain::event::EventSource;
use domain::{AttributeEntity, Principal, Role};
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt;

/// An account a new user logs in with.
pub struct Login {
    pub email: String,
    pub password: String,
}

/// What the demo loaded, and the accounts to look at it with.
pub struct Demo {
    pub agent: Login,
    /// An end user of a customer, for the portal; every demo end user has this password.
    pub end_user: Login,
    /// An admin account, created only when the database had no staff yet (`serve` would not create one
    /// after the demo's agents exist).
    pub admin: Option<Login>,
    pub counts: Counts,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub brands: usize,
    pub departments: usize,
    pub customers: usize,
    pub end_users: usize,
    pub plans: usize,
    pub subscriptions: usize,
    pub invoices: usize,
    pub unpaid_invoices: usize,
    pub contracts: usize,
    pub tickets: usize,
    pub replies: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} brands, {} departments, {} customers with {} end users, {} plans, {} subscriptions, {} invoices \
             ({} unpaid), {} support contracts, {} tickets with {} replies",
            self.brands,
            self.departments,
            self.customers,
            self.end_users,
            self.plans,
            self.subscriptions,
            self.invoices,
            self.unpaid_invoices,
            self.contracts,
            self.tickets,
            self.replies
        )
    }
}

/// The demo agent's address, printed with its password.
pub const AGENT_EMAIL: &str = "agent@demo.example";
/// The end user whose portal login is printed.
pub const END_USER_EMAIL: &str = "alice@acme.example";
const ADMIN_EMAIL: &str = "admin@demo.example";

/// Loads the demo into `app`'s database, which must have no brands yet.
pub async fn load(app: &App) -> anyhow::Result<Demo> {
    let mut demo = Loader {
        app,
        system: Principal::System,
        meta: RequestMeta {
            source: Some(EventSource::System),
            url: Some("cli: demo".into()),
            ip: None,
        },
        counts: Counts::default(),
        departments: BTreeMap::new(),
        people: BTreeMap::new(),
        staff: BTreeMap::new(),
        today: jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::now()).date(),
    };
    demo.refuse_a_used_database().await?;
    let admin = demo.staff().await?;
    let agent_password = app::auth::new_password();
    demo.staff_member("dana", AGENT_EMAIL, "Dana Agent", &agent_password)
        .await?;
    demo.staff_member("sam", "sam@demo.example", "Sam Rivera", &app::auth::new_password())
        .await?;
    demo.brands().await?;
    demo.attributes().await?;
    let portal_password = app::auth::new_password();
    demo.customers(&portal_password).await?;
    demo.contracts().await?;
    demo.billing().await?;
    for story in STORIES {
        demo.story(story).await?;
    }
    Ok(Demo {
        agent: Login {
            email: AGENT_EMAIL.into(),
            password: agent_password,
        },
        end_user: Login {
            email: END_USER_EMAIL.into(),
            password: portal_password,
        },
        admin,
        counts: demo.counts,
    })
}

/// An application error with what the demo was doing.
trait Doing<T> {
    fn doing(self, what: &str) -> anyhow::Result<T>;
}

impl<T> Doing<T> for AppResult<T> {
    fn doing(self, what: &str) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::anyhow!("{what}: {}", describe(&e)))
    }
}

/// A brand: name, slug, greeting, and its departments as (short name, name, description, public).
type BrandRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str, bool)],
);
/// A contract: the customer's person, status, first and last day from today, support level, and incident
/// types as (type, total, used).
type ContractRow = (
    &'static str,
    &'static str,
    i64,
    i64,
    &'static str,
    &'static [(&'static str, i64, i64)],
);
/// A package: name, description, and its features as (unique key, quantity).
type PackageRow = (&'static str, &'static str, &'static [(&'static str, Option<i64>)]);

struct Loader<'a> {
    app: &'a App,
    system: Principal,
    meta: RequestMeta,
    counts: Counts,
    /// Departments by the short names the stories use.
    departments: BTreeMap<&'static str, i64>,
    /// End users (as the principal they act as) by the short names the stories use.
    people: BTreeMap<&'static str, Principal>,
    staff: BTreeMap<&'static str, Principal>,
    today: Date,
}

fn page_of_one() -> ListQuery {
    ListQuery {
        limit: Some(1),
        ..Default::default()
    }
}

fn attributes(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

impl Loader<'_> {
    /// The demo is for a new database: loading it next to real data (or twice) would mix fiction into it.
    async fn refuse_a_used_database(&self) -> anyhow::Result<()> {
        let brands = self
            .app
            .list_brands(&self.system, &page_of_one())
            .await
            .doing("reading the brands")?;
        if !brands.data.is_empty() {
            bail!(
                "this database has brands already (the demo's or your own), so the demo was not loaded: \
                 `ferrodesk demo` fills a new, empty database only (e.g. --database-url sqlite://demo.db)"
            );
        }
        Ok(())
    }

    /// An admin when there is no staff at all, as `serve` would create on an empty database.
    async fn staff(&mut self) -> anyhow::Result<Option<Login>> {
        let staff = self
            .app
            .list_staff(&self.system, &page_of_one())
            .await
            .doing("reading the staff")?;
        if !staff.data.is_empty() {
            return Ok(None);
        }
        let password = app::auth::new_password();
        self.app
            .create_staff(
                &self.system,
                &self.meta,
                NewStaff {
                    email: ADMIN_EMAIL.into(),
                    name: "Demo Admin".into(),
                    role: Role::Admin,
                    password: password.clone(),
                    department_ids: None,
                },
            )
            .await
            .doing("creating the demo admin")?;
        Ok(Some(Login {
            email: ADMIN_EMAIL.into(),
            password,
        }))
    }

    async fn staff_member(&mut self, key: &'static str, email: &str, name: &str, password: &str) -> anyhow::Result<()> {
        let staff = self
            .app
            .create_staff(
                &self.system,
                &self.meta,
                NewStaff {
                    email: email.into(),
                    name: name.into(),
                    role: Role::Agent,
                    password: password.into(),
                    department_ids: None,
                },
            )
            .await
            .doing(&format!("creating the agent {email}"))?;
        self.staff.insert(
            key,
            Principal::Staff {
                id: staff.id,
                role: staff.role,
                name: staff.name,
            },
        );
        Ok(())
    }

    async fn brands(&mut self) -> anyhow::Result<()> {
        let brands: [BrandRow; 2] = [
            (
                "Northwind Hosting",
                "northwind",
                "Welcome to Northwind Hosting support. We answer within four business hours; outages are \
                 handled around the clock.",
                &[
                    (
                        "nw-tech",
                        "Technical Support",
                        "Servers, websites, e-mail and DNS",
                        true,
                    ),
                    ("nw-billing", "Billing", "Invoices, payments and plan changes", true),
                    ("nw-abuse", "Abuse", "Spam and abuse reports (opened by staff)", false),
                ],
            ),
            (
                "Bluebird Apps",
                "bluebird",
                "Hi! You have reached the Bluebird Apps team. Tell us which app version and phone you use, \
                 and we will get back to you today.",
                &[
                    (
                        "bb-apps",
                        "App Support",
                        "Bugs and questions about our iOS and Android apps",
                        true,
                    ),
                    ("bb-sales", "Sales", "Quotes, seats and volume licences", true),
                ],
            ),
        ];
        for (name, slug, greeting, departments) in brands {
            let brand = self
                .app
                .create_brand(
                    &self.system,
                    &self.meta,
                    NewBrand {
                        name: name.into(),
                        slug: Some(slug.into()),
                        greeting: Some(greeting.into()),
                        customer_backend: None,
                        webcall: None,
                        acknowledge_new_tickets: None,
                    },
                )
                .await
                .doing(&format!("creating the brand {name}"))?;
            self.counts.brands += 1;
            for (key, name, description, public) in departments {
                let department = self
                    .app
                    .create_department(
                        &self.system,
                        &self.meta,
                        NewDepartment {
                            brand_id: brand.id,
                            name: (*name).into(),
                            slug: None,
                            description: Some((*description).into()),
                            public: Some(*public),
                        },
                    )
                    .await
                    .doing(&format!("creating the department {name}"))?;
                self.departments.insert(key, department.id);
                self.counts.departments += 1;
            }
        }
        Ok(())
    }

    async fn attributes(&mut self) -> anyhow::Result<()> {
        let definitions = [
            (
                AttributeEntity::Customer,
                "tier",
                "Support tier",
                "select",
                Some(vec!["bronze", "silver", "gold"]),
            ),
            (
                AttributeEntity::Customer,
                "account_manager",
                "Account manager",
                "text",
                None,
            ),
            (AttributeEntity::Customer, "vip", "VIP", "boolean", None),
            (
                AttributeEntity::Customer,
                "customer_since",
                "Customer since",
                "date",
                None,
            ),
            (AttributeEntity::EndUser, "job_title", "Job title", "text", None),
        ];
        for (entity, name, pretty_name, kind, options) in definitions {
            self.app
                .create_attribute(
                    &self.system,
                    &self.meta,
                    entity,
                    AttributeInput {
                        name: Some(name.into()),
                        pretty_name: Some(pretty_name.into()),
                        kind: Some(kind.into()),
                        searchable: Some(kind == "text"),
                        options: options.map(|o| o.into_iter().map(Into::into).collect()),
                        ..Default::default()
                    },
                )
                .await
                .doing(&format!("creating the attribute {name}"))?;
        }
        Ok(())
    }

    async fn customers(&mut self, portal_password: &str) -> anyhow::Result<()> {
        for c in CUSTOMERS {
            let customer = self
                .app
                .create_customer(
                    &self.system,
                    &self.meta,
                    NewCustomer {
                        name: c.name.into(),
                        email: Some(c.email.into()),
                        phone: Some(c.phone.into()),
                        city: Some(c.city.into()),
                        country: Some(c.country.into()),
                        external_id: Some(c.external_id.into()),
                        tags: Some(c.tags.iter().map(|t| (*t).into()).collect()),
                        attributes: attributes(&[
                            ("tier", json!(c.tier)),
                            ("account_manager", json!(c.account_manager)),
                            ("vip", json!(c.vip)),
                            ("customer_since", json!(c.since)),
                        ]),
                    },
                )
                .await
                .doing(&format!("creating the customer {}", c.name))?;
            self.counts.customers += 1;
            for p in c.people {
                let end_user = self
                    .app
                    .create_end_user(
                        &self.system,
                        &self.meta,
                        NewEndUser {
                            customer_id: customer.id,
                            first_name: Some(p.first_name.into()),
                            last_name: Some(p.last_name.into()),
                            email: Some(p.email.into()),
                            password: Some(portal_password.into()),
                            attributes: attributes(&[("job_title", json!(p.job_title))]),
                            ..Default::default()
                        },
                    )
                    .await
                    .doing(&format!("creating the end user {}", p.email))?;
                self.counts.end_users += 1;
                self.people.insert(
                    p.key,
                    Principal::EndUser {
                        id: end_user.id,
                        customer_id: end_user.customer_id,
                        name: end_user.name,
                    },
                );
            }
        }
        Ok(())
    }

    fn customer_of(&self, person: &str) -> anyhow::Result<i64> {
        match self.people.get(person) {
            Some(Principal::EndUser { customer_id, .. }) => Ok(*customer_id),
            _ => bail!("the demo has no end user {person}"),
        }
    }

    fn day(&self, days_from_today: i64) -> anyhow::Result<String> {
        Ok(self.today.checked_add(days_from_today.days())?.to_string())
    }

    fn acting(&self, who: &str) -> anyhow::Result<&Principal> {
        match self.staff.get(who).or_else(|| self.people.get(who)) {
            Some(p) => Ok(p),
            None => bail!("the demo has nobody called {who}"),
        }
    }

    fn staff_id(&self, who: &str) -> anyhow::Result<i64> {
        match self.staff.get(who) {
            Some(Principal::Staff { id, .. }) => Ok(*id),
            _ => bail!("the demo has no agent {who}"),
        }
    }

    /// One ticket as it happened: opened by the requester (or by staff for them), then each step in turn.
    async fn story(&mut self, story: &Story) -> anyhow::Result<()> {
        let Some(&did) = self.departments.get(story.department) else {
            bail!("the demo has no department {}", story.department);
        };
        let requester = self.acting(story.requester)?.clone();
        let opener = match story.opened_by {
            Some(agent) => self.acting(agent)?.clone(),
            None => requester.clone(),
        };
        let (user_id, customer_id) = match (&requester, story.opened_by) {
            (Principal::EndUser { id, customer_id, .. }, Some(_)) => (Some(*id), Some(*customer_id)),
            _ => (None, None),
        };
        let custom_fields: Map<String, Value> = story.fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
        let ticket = self
            .app
            .create_ticket(
                &opener,
                &self.meta,
                NewTicket {
                    did,
                    title: story.title.into(),
                    message: story.message.into(),
                    priority: Some(story.priority),
                    user_id,
                    customer_id,
                    custom_fields: (!custom_fields.is_empty()).then_some(custom_fields),
                    ..Default::default()
                },
            )
            .await
            .doing(&format!("opening the ticket {:?}", story.title))?;
        self.counts.tickets += 1;
        self.counts.replies += 1;
        let what = format!("the ticket {:?}", story.title);
        for step in story.steps {
            match step {
                Step::Says(who, message) | Step::Notes(who, message) => {
                    let by = self.acting(who)?.clone();
                    self.app
                        .reply_to_ticket(
                            &by,
                            &self.meta,
                            ticket.id,
                            NewReply {
                                message: (*message).into(),
                                internal: Some(matches!(step, Step::Notes(..))),
                            },
                        )
                        .await
                        .doing(&format!("replying to {what}"))?;
                    self.counts.replies += 1;
                }
                Step::Assign(who) => {
                    let patch = TicketPatch {
                        assigned: Some(Some(self.staff_id(who)?)),
                        ..Default::default()
                    };
                    self.change(ticket.id, patch, &what).await?;
                }
                Step::Status(status) => {
                    let patch = TicketPatch {
                        status: Some(*status),
                        ..Default::default()
                    };
                    self.change(ticket.id, patch, &what).await?;
                }
                Step::Lock => {
                    let patch = TicketPatch {
                        locked: Some(true),
                        ..Default::default()
                    };
                    self.change(ticket.id, patch, &what).await?;
                }
                Step::Redeem(who, kind) => {
                    let by = self.acting(who)?.clone();
                    self.app
                        .redeem_incidents(
                            &by,
                            &self.meta,
                            ticket.id,
                            RedeemIncidents {
                                types: vec![(*kind).into()],
                            },
                        )
                        .await
                        .doing(&format!("redeeming an incident for {what}"))?;
                }
            }
        }
        Ok(())
    }

    async fn change(&mut self, ticket_id: i64, patch: TicketPatch, what: &str) -> anyhow::Result<()> {
        self.app
            .update_ticket(&self.system, &self.meta, ticket_id, patch)
            .await
            .doing(&format!("changing {what}"))?;
        Ok(())
    }
}
