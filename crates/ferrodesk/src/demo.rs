//! `ferrodesk demo`: example data for a first look (SPEC §1), the analogue of Eventum's example backend data.
//!
//! Everything goes through the use cases, as an operator's API calls would, so the demo holds only what the
//! rules allow and leaves the same events behind (the outbox takes them once `serve` runs).
use crate::describe;
use anyhow::bail;
use api_types::{
    AttributeInput, ContractQuery, IncidentInput, InvoiceQuery, ListQuery, NewBrand, NewContract, NewCustomer,
    NewDepartment, NewEndUser, NewFeature, NewGroup, NewInvoice, NewInvoiceItem, NewPackage, NewPayment, NewPlan,
    NewReply, NewStaff, NewSubscription, NewSupportLevel, NewTicket, PackageFeature, RedeemIncidents, TicketPatch,
};
use app::{App, AppResult, RequestMeta};
use domain::event::EventSource;
use domain::{AttributeEntity, Principal, Priority, Role, TicketStatus};
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

    /// Support levels and contracts: a premium one with phone and on-site incidents, a standard one, and one
    /// that ran out last month.
    async fn contracts(&mut self) -> anyhow::Result<()> {
        let mut levels = BTreeMap::new();
        for (name, description, minutes) in [
            ("Standard", "First answer within one business day", 480),
            ("Premium", "First answer within one hour, around the clock", 60),
        ] {
            let level = self
                .app
                .create_support_level(
                    &self.system,
                    &self.meta,
                    NewSupportLevel {
                        name: name.into(),
                        description: Some(description.into()),
                        max_first_response_minutes: Some(minutes),
                    },
                )
                .await
                .doing(&format!("creating the support level {name}"))?;
            levels.insert(name, level.id);
        }
        let contracts: [ContractRow; 3] = [
            (
                "alice",
                "active",
                -60,
                305,
                "Premium",
                &[("phone", 10, 2), ("onsite", 2, 0)],
            ),
            ("grace", "active", -10, 355, "Standard", &[("phone", 5, 0)]),
            ("dave", "expired", -400, -35, "Standard", &[]),
        ];
        for (person, status, from, to, level, incidents) in contracts {
            let incidents: BTreeMap<String, IncidentInput> = incidents
                .iter()
                .map(|(kind, total, used)| {
                    (
                        (*kind).to_owned(),
                        IncidentInput {
                            total: *total,
                            used: Some(*used),
                        },
                    )
                })
                .collect();
            self.app
                .create_contract(
                    &self.system,
                    &self.meta,
                    NewContract {
                        customer_id: self.customer_of(person)?,
                        status: Some(status.into()),
                        start: self.day(from)?,
                        end: self.day(to)?,
                        support_level_id: levels.get(level).copied(),
                        incidents: (!incidents.is_empty()).then_some(incidents),
                    },
                )
                .await
                .doing("creating a support contract")?;
        }
        Ok(())
    }

    /// The catalogue (features, one group, three packages, four plans), subscriptions with their first
    /// invoices, payments for some of them, and invoices made by hand.
    async fn billing(&mut self) -> anyhow::Result<()> {
        let mut features = BTreeMap::new();
        for (key, name, description) in [
            ("email_support", "E-mail support", "Tickets by e-mail and in the portal"),
            ("phone_support", "Phone support", "The support hotline, business hours"),
            ("priority_queue", "Priority queue", "Tickets answered before the others"),
            (
                "support_incidents",
                "Support incidents",
                "Incidents per billing period for calls and visits",
            ),
        ] {
            let feature = self
                .app
                .create_feature(
                    &self.system,
                    &self.meta,
                    NewFeature {
                        name: name.into(),
                        description: Some(description.into()),
                        unique_key: Some(key.into()),
                        dependency_ids: None,
                    },
                )
                .await
                .doing(&format!("creating the feature {name}"))?;
            features.insert(key, feature.id);
        }
        let group = self
            .app
            .create_group(
                &self.system,
                &self.meta,
                NewGroup {
                    name: "Support plans".into(),
                    default: Some(true),
                    default_package_id: None,
                },
            )
            .await
            .doing("creating the package group")?;
        let packages: [PackageRow; 3] = [
            ("Basic", "E-mail support for small sites", &[("email_support", None)]),
            (
                "Business",
                "E-mail and phone support with five incidents a month",
                &[
                    ("email_support", None),
                    ("phone_support", None),
                    ("support_incidents", Some(5)),
                ],
            ),
            (
                "Enterprise",
                "Everything, first in the queue, twenty incidents a year",
                &[
                    ("email_support", None),
                    ("phone_support", None),
                    ("priority_queue", None),
                    ("support_incidents", Some(20)),
                ],
            ),
        ];
        let mut package_ids = BTreeMap::new();
        for (name, description, included) in packages {
            let package = self
                .app
                .create_package(
                    &self.system,
                    &self.meta,
                    NewPackage {
                        name: name.into(),
                        group_id: Some(group.id),
                        description: Some(description.into()),
                        default: None,
                        features: Some(
                            included
                                .iter()
                                .map(|(key, quantity)| PackageFeature {
                                    feature_id: features[key],
                                    quantity: *quantity,
                                })
                                .collect(),
                        ),
                    },
                )
                .await
                .doing(&format!("creating the package {name}"))?;
            package_ids.insert(name, package.id);
        }
        let plans = [
            ("basic", "Basic", "Basic monthly", "month", "flat", 1_900),
            ("business", "Business", "Business monthly", "month", "flat", 9_900),
            ("seats", "Business", "Business per seat", "month", "unit", 1_500),
            ("enterprise", "Enterprise", "Enterprise yearly", "year", "flat", 199_000),
        ];
        let mut plan_ids = BTreeMap::new();
        for (key, package, name, interval, pricing, amount) in plans {
            let plan = self
                .app
                .create_plan(
                    &self.system,
                    &self.meta,
                    NewPlan {
                        package_id: package_ids[package],
                        name: name.into(),
                        description: None,
                        currency: "EUR".into(),
                        interval: interval.into(),
                        interval_count: None,
                        trial_days: None,
                        initial_fee: None,
                        pricing: pricing.into(),
                        amount: Some(amount),
                        tiers: None,
                        tier_mode: None,
                        unit: None,
                    },
                )
                .await
                .doing(&format!("creating the plan {name}"))?;
            plan_ids.insert(key, plan.id);
            self.counts.plans += 1;
        }
        // (customer's person, plan, quantity, share of the first invoice paid, in percent)
        let subscriptions = [
            ("alice", "enterprise", 1, 100),
            ("carol", "business", 1, 100),
            ("dave", "basic", 1, 0),
            ("erin", "seats", 12, 50),
            ("frank", "basic", 1, 0),
        ];
        for (person, plan, quantity, paid_percent) in subscriptions {
            let customer_id = self.customer_of(person)?;
            let subscription = self
                .app
                .subscribe(
                    &self.system,
                    &self.meta,
                    customer_id,
                    NewSubscription {
                        plan_id: plan_ids[plan],
                        quantity: Some(quantity),
                        ..Default::default()
                    },
                )
                .await
                .doing("subscribing a customer")?;
            self.counts.subscriptions += 1;
            let invoices = self
                .app
                .list_invoices(
                    &self.system,
                    &InvoiceQuery {
                        customer_id: Some(customer_id),
                        ..Default::default()
                    },
                )
                .await
                .doing("reading a customer's invoices")?;
            for invoice in invoices
                .data
                .iter()
                .filter(|i| i.subscription_id == Some(subscription.id))
            {
                self.pay(invoice.id, invoice.amount_due * paid_percent / 100, "card")
                    .await?;
            }
        }
        let wayne = self.customer_of("grace")?;
        let dave = self.customer_of("dave")?;
        // (customer, item, quantity, unit amount, paid, due in days from today)
        let by_hand = [
            (wayne, "Data migration, hours", 6, 9_500, true, 14),
            (wayne, "On-site training for dispatchers", 1, 120_000, false, 14),
            (dave, "Domain transfer initech.example", 1, 1_900, false, -5),
        ];
        for (customer_id, description, quantity, unit_amount, paid, due_in) in by_hand {
            let due = self.today.checked_add(due_in.days())?;
            let invoice = self
                .app
                .create_invoice(
                    &self.system,
                    &self.meta,
                    NewInvoice {
                        customer_id,
                        currency: "EUR".into(),
                        items: vec![NewInvoiceItem {
                            description: description.into(),
                            quantity: Some(quantity),
                            unit_amount,
                        }],
                        subscription_id: None,
                        due_at: Some(format!("{due}T12:00:00Z")),
                        draft: None,
                    },
                )
                .await
                .doing("creating an invoice")?;
            if paid {
                self.pay(invoice.id, invoice.amount_due, "bank transfer").await?;
            }
        }
        self.count_invoices_and_contracts().await
    }

    /// Invoices and contracts as the database has them: subscriptions issue invoices and top contracts up
    /// (or open them) by their own rules.
    async fn count_invoices_and_contracts(&mut self) -> anyhow::Result<()> {
        let mut cursor = None;
        loop {
            let query = InvoiceQuery {
                cursor,
                limit: Some(100),
                ..Default::default()
            };
            let page = self
                .app
                .list_invoices(&self.system, &query)
                .await
                .doing("reading the invoices")?;
            self.counts.invoices += page.data.len();
            self.counts.unpaid_invoices += page.data.iter().filter(|i| i.amount_due > 0).count();
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        let mut cursor = None;
        self.counts.contracts = 0;
        loop {
            let query = ContractQuery {
                cursor,
                limit: Some(100),
                ..Default::default()
            };
            let page = self
                .app
                .list_contracts(&self.system, &query)
                .await
                .doing("reading the contracts")?;
            self.counts.contracts += page.data.len();
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        Ok(())
    }

    async fn pay(&mut self, invoice_id: i64, amount: i64, method: &str) -> anyhow::Result<()> {
        if amount <= 0 {
            return Ok(());
        }
        self.app
            .apply_payment(
                &self.system,
                &self.meta,
                invoice_id,
                NewPayment {
                    amount,
                    method: Some(method.into()),
                    reference: Some(format!("demo-{invoice_id}")),
                },
            )
            .await
            .doing("paying an invoice")?;
        Ok(())
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

struct DemoPerson {
    key: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    email: &'static str,
    job_title: &'static str,
}

struct DemoCustomer {
    name: &'static str,
    email: &'static str,
    phone: &'static str,
    city: &'static str,
    country: &'static str,
    external_id: &'static str,
    tags: &'static [&'static str],
    tier: &'static str,
    account_manager: &'static str,
    vip: bool,
    since: &'static str,
    people: &'static [DemoPerson],
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        name: "Acme Corporation",
        email: "billing@acme.example",
        phone: "+49 30 1234567",
        city: "Berlin",
        country: "DE",
        external_id: "CRM-1001",
        tags: &["enterprise", "hosting"],
        tier: "gold",
        account_manager: "Dana Agent",
        vip: true,
        since: "2019-04-01",
        people: &[
            DemoPerson {
                key: "alice",
                first_name: "Alice",
                last_name: "Andersen",
                email: END_USER_EMAIL,
                job_title: "Head of IT",
            },
            DemoPerson {
                key: "bob",
                first_name: "Bob",
                last_name: "Brennan",
                email: "bob@acme.example",
                job_title: "Office manager",
            },
        ],
    },
    DemoCustomer {
        name: "Globex Ltd",
        email: "accounts@globex.example",
        phone: "+44 20 7946 0000",
        city: "London",
        country: "GB",
        external_id: "CRM-1002",
        tags: &["hosting"],
        tier: "silver",
        account_manager: "Sam Rivera",
        vip: false,
        since: "2021-09-15",
        people: &[DemoPerson {
            key: "carol",
            first_name: "Carol",
            last_name: "Chen",
            email: "carol@globex.example",
            job_title: "CTO",
        }],
    },
    DemoCustomer {
        name: "Initech GmbH",
        email: "office@initech.example",
        phone: "+49 89 7654321",
        city: "Munich",
        country: "DE",
        external_id: "CRM-1003",
        tags: &["hosting"],
        tier: "bronze",
        account_manager: "Sam Rivera",
        vip: false,
        since: "2022-02-01",
        people: &[DemoPerson {
            key: "dave",
            first_name: "Dave",
            last_name: "Dufresne",
            email: "dave@initech.example",
            job_title: "Accountant",
        }],
    },
    DemoCustomer {
        name: "Umbrella Health",
        email: "it@umbrella.example",
        phone: "+1 617 555 0100",
        city: "Boston",
        country: "US",
        external_id: "CRM-1004",
        tags: &["apps", "hosting"],
        tier: "silver",
        account_manager: "Dana Agent",
        vip: false,
        since: "2023-06-20",
        people: &[DemoPerson {
            key: "erin",
            first_name: "Erin",
            last_name: "Evans",
            email: "erin@umbrella.example",
            job_title: "IT support",
        }],
    },
    DemoCustomer {
        name: "Stark Studio",
        email: "hello@stark.example",
        phone: "+351 21 000 0000",
        city: "Lisbon",
        country: "PT",
        external_id: "CRM-1005",
        tags: &["apps"],
        tier: "bronze",
        account_manager: "Sam Rivera",
        vip: false,
        since: "2024-01-10",
        people: &[
            DemoPerson {
                key: "frank",
                first_name: "Frank",
                last_name: "Fischer",
                email: "frank@stark.example",
                job_title: "Photographer",
            },
            DemoPerson {
                key: "hana",
                first_name: "Hana",
                last_name: "Hoshino",
                email: "hana@stark.example",
                job_title: "Studio manager",
            },
        ],
    },
    DemoCustomer {
        name: "Wayne Logistics",
        email: "procurement@wayne.example",
        phone: "+1 312 555 0199",
        city: "Chicago",
        country: "US",
        external_id: "CRM-1006",
        tags: &["apps", "enterprise"],
        tier: "gold",
        account_manager: "Dana Agent",
        vip: true,
        since: "2020-11-03",
        people: &[DemoPerson {
            key: "grace",
            first_name: "Grace",
            last_name: "Garcia",
            email: "grace@wayne.example",
            job_title: "Fleet manager",
        }],
    },
];

/// What happens to a ticket after it opens; names are the staff's and people's short names.
enum Step {
    /// A reply the customer sees.
    Says(&'static str, &'static str),
    /// An internal note.
    Notes(&'static str, &'static str),
    Assign(&'static str),
    Status(TicketStatus),
    Lock,
    /// An agent redeems an incident of this type of the customer's contract.
    Redeem(&'static str, &'static str),
}

struct Story {
    department: &'static str,
    requester: &'static str,
    /// The agent who opened it for the requester; `None`: the requester did, in the portal.
    opened_by: Option<&'static str>,
    title: &'static str,
    message: &'static str,
    priority: Priority,
    fields: &'static [(&'static str, &'static str)],
    steps: &'static [Step],
}

const STORIES: &[Story] = &[
    Story {
        department: "nw-tech",
        requester: "alice",
        opened_by: None,
        title: "Website returns 502 errors since the PHP 8.3 upgrade",
        message: "Since last night's PHP upgrade our shop at acme.example answers every second request with \
                  502 Bad Gateway. Nothing changed on our side. Can you take a look? This is costing us orders.",
        priority: Priority::HIGH,
        fields: &[("domain", "acme.example")],
        steps: &[
            Step::Assign("dana"),
            Step::Notes(
                "dana",
                "The PHP 8.3 pool for acme was created from the default template: pm.max_children = 5, \
                 saturated all night. Raised it to 20.",
            ),
            Step::Says(
                "dana",
                "Hi Alice, thanks for the quick report. The PHP 8.3 pool of your site was created with a worker \
                 limit far too low for your traffic. I have raised it; the 502 errors should stop within a \
                 minute. Could you confirm from your side?",
            ),
            Step::Says(
                "alice",
                "Looks good now, no errors in the last ten minutes. Thanks! We also called your hotline \
                 earlier, I hope that was fine.",
            ),
            Step::Redeem("dana", "phone"),
        ],
    },
    Story {
        department: "nw-billing",
        requester: "bob",
        opened_by: None,
        title: "Please add two more mailboxes to our plan",
        message: "We are hiring two people next month. Can we add two mailboxes (jane@ and omar@acme.example) \
                  to our plan, and what will it cost?",
        priority: Priority::LOW,
        fields: &[],
        steps: &[Step::Says(
            "sam",
            "Hi Bob, your Enterprise plan includes 50 mailboxes and you use 31, so two more cost nothing. You can \
             create them in the control panel under Mail, Mailboxes, or reply here and we set them up for you.",
        )],
    },
    Story {
        department: "nw-tech",
        requester: "carol",
        opened_by: None,
        title: "SSL certificate renewal failed for shop.globex.example",
        message: "The browser warns that the certificate of shop.globex.example expires in three days. The \
                  automatic renewal seems to have failed.",
        priority: Priority::HIGH,
        fields: &[("domain", "shop.globex.example")],
        steps: &[
            Step::Assign("dana"),
            Step::Notes(
                "dana",
                "The http-01 challenge fails: a rewrite rule in their .htaccess sends /.well-known to the shop. \
                 Asked their web team for an exception.",
            ),
            Step::Says(
                "dana",
                "Hi Carol, the renewal fails because a rewrite rule in the site's .htaccess also catches the \
                 path the certificate authority checks. We are adding an exception and will renew the \
                 certificate today.",
            ),
            Step::Status(TicketStatus::Process),
        ],
    },
    Story {
        department: "nw-billing",
        requester: "dave",
        opened_by: None,
        title: "Were we billed twice this month?",
        message: "We received two invoices of 19.00 EUR from Northwind this month. Could you check?",
        priority: Priority::MEDIUM,
        fields: &[],
        steps: &[
            Step::Says(
                "sam",
                "Hi Dave, the first invoice is for the Basic plan, the second for the domain transfer you ordered \
                 on the 3rd. Both are on the invoices page of the portal; nothing was billed twice.",
            ),
            Step::Says("dave", "Ah, the domain transfer. All clear, thank you!"),
            Step::Status(TicketStatus::Solved),
        ],
    },
    Story {
        department: "nw-tech",
        requester: "erin",
        opened_by: None,
        title: "Cannot log in to the control panel",
        message: "Since this morning the control panel says \"invalid credentials\" for my account, although \
                  the password manager has the right password. My colleague can log in.",
        priority: Priority::MEDIUM,
        fields: &[],
        steps: &[],
    },
    Story {
        department: "bb-apps",
        requester: "frank",
        opened_by: None,
        title: "App crashes when uploading photos on Android 14",
        message: "Every time I pick more than five photos in the upload dialog the app closes. Open an album, \
                  tap Upload, select six photos, tap Done: gone. It worked in version 3.1.",
        priority: Priority::HIGH,
        fields: &[("app_version", "3.2.1"), ("platform", "Android 14, Pixel 8")],
        steps: &[
            Step::Assign("sam"),
            Step::Says(
                "sam",
                "Thanks Frank, we can reproduce it on Android 14 with more than five photos. A fix is in \
                 testing; I will let you know when 3.2.2 is in the Play Store.",
            ),
            Step::Notes(
                "sam",
                "Bug BB-1042: the read permission of the content URIs is lost after the fifth one. Fixed in \
                 3.2.2, release planned for Thursday.",
            ),
            Step::Status(TicketStatus::Process),
        ],
    },
    Story {
        department: "bb-sales",
        requester: "grace",
        opened_by: None,
        title: "Quote for 50 additional seats",
        message: "We would like to roll out the Bluebird field app to 50 more drivers. Could you send a quote \
                  for an annual licence?",
        priority: Priority::LOW,
        fields: &[],
        steps: &[
            Step::Assign("dana"),
            Step::Says(
                "dana",
                "Hello Grace, for 50 more seats we can offer 15.00 EUR per seat and month, billed yearly \
                 (9,000.00 EUR). Reply here to accept and we add the seats the same day.",
            ),
        ],
    },
    Story {
        department: "bb-apps",
        requester: "alice",
        opened_by: None,
        title: "Push notifications arrive hours late",
        message: "Notifications about new orders reach our staff phones two to three hours late.",
        priority: Priority::MEDIUM,
        fields: &[("app_version", "3.2.0"), ("platform", "iOS 17.4")],
        steps: &[
            Step::Says(
                "dana",
                "Hi Alice, iOS holds back notifications of apps while a phone is in Low Power Mode. Could you \
                 check whether the staff phones have it turned on?",
            ),
            Step::Says(
                "alice",
                "That was it: three of the phones were in Low Power Mode. Thank you!",
            ),
            Step::Says(
                "dana",
                "Glad it works. I am closing this ticket; open a new one any time if it comes back.",
            ),
            Step::Status(TicketStatus::Solved),
            Step::Lock,
        ],
    },
    Story {
        department: "nw-abuse",
        requester: "carol",
        opened_by: Some("dana"),
        title: "Spam complaint about mail from 203.0.113.25",
        message: "We received three complaints today about unsolicited mail sent from your server \
                  203.0.113.25 (mail.globex.example). Please check it for compromised accounts and tell us \
                  what you found.",
        priority: Priority::HIGH,
        fields: &[],
        steps: &[
            Step::Assign("dana"),
            Step::Notes(
                "dana",
                "Listed on a blocklist since 09:40. Outgoing mail on port 25 throttled until the customer answers.",
            ),
        ],
    },
    Story {
        department: "bb-sales",
        requester: "erin",
        opened_by: None,
        title: "Feature request: export our tickets as CSV",
        message: "It would help our monthly reporting if we could export our ticket history as CSV from the \
                  portal.",
        priority: Priority::LOW,
        fields: &[],
        steps: &[Step::Notes(
            "sam",
            "Noted for the roadmap review: the fourth request for an export this quarter.",
        )],
    },
    Story {
        department: "nw-tech",
        requester: "dave",
        opened_by: None,
        title: "DNS record for status.initech.example",
        message: "Please add a CNAME for status.initech.example pointing to initech.statuspage.example.",
        priority: Priority::LOW,
        fields: &[("domain", "status.initech.example")],
        steps: &[
            Step::Says(
                "sam",
                "Done: status.initech.example now points to initech.statuspage.example. It can take up to an \
                 hour until every resolver sees it.",
            ),
            Step::Status(TicketStatus::Solved),
        ],
    },
    Story {
        department: "bb-apps",
        requester: "hana",
        opened_by: None,
        title: "Two-factor codes do not arrive by SMS",
        message: "Since yesterday none of us receives the SMS code to log in. Codes by e-mail work.",
        priority: Priority::HIGH,
        fields: &[("app_version", "3.2.1"), ("platform", "iOS 17.5")],
        steps: &[],
    },
];
