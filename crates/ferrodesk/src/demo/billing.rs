//! The demo's billing side: support levels and contracts, the catalogue, subscriptions, invoices and payments.
use super::*;

impl Loader<'_> {
    /// Support levels and contracts: a premium one with phone and on-site incidents, a standard one, and one
    /// that ran out last month.
    pub(super) async fn contracts(&mut self) -> anyhow::Result<()> {
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
    pub(super) async fn billing(&mut self) -> anyhow::Result<()> {
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
    pub(super) async fn count_invoices_and_contracts(&mut self) -> anyhow::Result<()> {
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

    pub(super) async fn pay(&mut self, invoice_id: i64, amount: i64, method: &str) -> anyhow::Result<()> {
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
}
