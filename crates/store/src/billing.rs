//! The billing aggregate's storage: the catalogue (SPEC §5.1) of features with the features they require,
//! groups, packages with their features, and plans; subscriptions and what renews them (SPEC §5.2);
//! invoices, payments and refunds (SPEC §5.3); billing-system links and support levels.
use crate::{DeletedFilter, PageRequest, Result};
use async_trait::async_trait;
use domain::Timestamp;
use domain::billing::{
    BillingLink, BillingSystem, Currency, Feature, Group, Invoice, Package, Payment, PendingItem, Plan, Refund,
    Subscription, SupportLevel,
};
use std::collections::BTreeMap;

/// Reading the catalogue. Single records are found whether soft-deleted or not (the caller decides what a
/// deleted one means); lists are oldest first.
#[async_trait]
pub trait BillingRead: Send {
    async fn feature(&mut self, id: i64) -> Result<Option<Feature>>;
    async fn feature_list(&mut self, deleted: DeletedFilter, page: &PageRequest) -> Result<Vec<Feature>>;
    /// What every feature requires (feature → required features), deleted features included: the whole
    /// graph, for the dependency rules (`domain::billing::catalogue`).
    async fn feature_requirements(&mut self) -> Result<BTreeMap<i64, Vec<i64>>>;
    async fn group(&mut self, id: i64) -> Result<Option<Group>>;
    async fn group_list(&mut self, page: &PageRequest) -> Result<Vec<Group>>;
    async fn default_group(&mut self) -> Result<Option<Group>>;
    async fn package(&mut self, id: i64) -> Result<Option<Package>>;
    async fn package_list(
        &mut self,
        group_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<Package>>;
    async fn plan(&mut self, id: i64) -> Result<Option<Plan>>;
    async fn plan_list(
        &mut self,
        package_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<Plan>>;
    async fn subscription(&mut self, id: i64) -> Result<Option<Subscription>>;
    /// A customer's subscriptions, oldest first.
    async fn subscriptions_of(&mut self, customer_id: i64, page: &PageRequest) -> Result<Vec<Subscription>>;
    /// The customer's live (not canceled) subscriptions in a group, locked for update where writers run
    /// concurrently (at most one, unless a migration left more).
    async fn live_subscriptions_in_group(&mut self, customer_id: i64, group_id: i64) -> Result<Vec<Subscription>>;
    async fn invoice(&mut self, id: i64) -> Result<Option<Invoice>>;
    /// Invoices, of one customer when given, oldest first.
    async fn invoice_list(&mut self, customer_id: Option<i64>, page: &PageRequest) -> Result<Vec<Invoice>>;
    /// An invoice, locked for update where writers run concurrently (a payment reads and writes it).
    async fn invoice_for_update(&mut self, id: i64) -> Result<Option<Invoice>>;
    async fn subscription_for_update(&mut self, id: i64) -> Result<Option<Subscription>>;
    async fn payment_for_update(&mut self, id: i64) -> Result<Option<Payment>>;
    async fn payments_of(&mut self, invoice_id: i64) -> Result<Vec<Payment>>;
    async fn refunds_of(&mut self, invoice_id: i64) -> Result<Vec<Refund>>;
    async fn billing_link(&mut self, id: i64) -> Result<Option<BillingLink>>;
    /// The link of an account in a billing system, if it is linked.
    async fn billing_link_of_account(&mut self, system: BillingSystem, billing_id: &str)
    -> Result<Option<BillingLink>>;
    /// A customer's links, oldest first.
    async fn billing_links_of(&mut self, customer_id: i64) -> Result<Vec<BillingLink>>;
    async fn support_level(&mut self, id: i64) -> Result<Option<SupportLevel>>;
    async fn support_level_list(&mut self, page: &PageRequest) -> Result<Vec<SupportLevel>>;
    /// Up to `limit` live subscriptions whose period ended at or before `now`, earliest first, locked for
    /// update; where writers run concurrently, rows another transaction holds are skipped (that one is
    /// renewing them).
    async fn due_subscriptions(&mut self, now: Timestamp, limit: i64) -> Result<Vec<Subscription>>;
    /// Up to `limit` subscriptions that are `active` but have an open invoice due at or before `now`,
    /// locked like [`BillingRead::due_subscriptions`].
    async fn overdue_subscriptions(&mut self, now: Timestamp, limit: i64) -> Result<Vec<Subscription>>;
    /// Whether the subscription has an open invoice due at or before `now`.
    async fn has_overdue_invoice(&mut self, subscription_id: i64, now: Timestamp) -> Result<bool>;
    /// The currencies of the customer's open invoices.
    async fn open_invoice_currencies(&mut self, customer_id: i64) -> Result<Vec<Currency>>;
    /// The customer's end users that are not deleted: the units of a plan counting end users.
    async fn end_user_count(&mut self, customer_id: i64) -> Result<u64>;
    /// The subscription's open (issued, unpaid) invoices, oldest first.
    async fn open_invoices_of(&mut self, subscription_id: i64) -> Result<Vec<Invoice>>;
    /// Items waiting for the subscription's next invoice, oldest first.
    async fn pending_items(&mut self, subscription_id: i64) -> Result<Vec<PendingItem>>;
    /// The paying subscriptions (`active` or `past_due`) grouped by plan and quantity: `(plan_id, quantity,
    /// subscriptions)`, at most `limit` groups, read on the subscriptions' status index.
    async fn paying_subscription_counts(&mut self, limit: u32) -> Result<Vec<(i64, u64, u64)>>;
}

/// Changing the catalogue, on a transaction. Inserts ignore the record's `id` and return it as stored;
/// updates write every field (soft deletion is an update of `deleted_at`).
#[async_trait]
pub trait BillingWrite: Send {
    async fn insert_feature(&mut self, feature: &Feature) -> Result<Feature>;
    async fn update_feature(&mut self, feature: &Feature) -> Result<()>;
    /// Stores a group; a default group takes the default from the one before, in the same statement order
    /// every writer uses (so at most one group is ever the default).
    async fn insert_group(&mut self, group: &Group) -> Result<Group>;
    async fn update_group(&mut self, group: &Group) -> Result<()>;
    async fn insert_package(&mut self, package: &Package) -> Result<Package>;
    async fn update_package(&mut self, package: &Package) -> Result<()>;
    async fn insert_plan(&mut self, plan: &Plan) -> Result<Plan>;
    async fn update_plan(&mut self, plan: &Plan) -> Result<()>;
    /// Stores a subscription; a second live one of the customer in the group breaks
    /// [`crate::UniqueKey::SubscriptionGroup`].
    async fn insert_subscription(&mut self, subscription: &Subscription) -> Result<Subscription>;
    async fn update_subscription(&mut self, subscription: &Subscription) -> Result<()>;
    /// Stores an invoice with its items; its `id` is ignored.
    async fn insert_invoice(&mut self, invoice: &Invoice) -> Result<Invoice>;
    /// Writes an invoice's number, status, items, totals and dates.
    async fn update_invoice(&mut self, invoice: &Invoice) -> Result<()>;
    /// The next number of `year`'s gapless sequence (1 for the first), taken in this transaction: another
    /// transaction taking one waits for this one to end, and a rollback gives it back.
    async fn next_invoice_number(&mut self, year: i16) -> Result<i64>;
    async fn insert_payment(&mut self, payment: &Payment) -> Result<Payment>;
    /// Writes how much of a payment was refunded.
    async fn set_payment_refunded(&mut self, payment_id: i64, refunded: i64) -> Result<()>;
    async fn insert_refund(&mut self, refund: &Refund) -> Result<Refund>;
    /// Stores a link; one already linking the same account breaks [`crate::UniqueKey::BillingLink`].
    async fn insert_billing_link(&mut self, link: &BillingLink) -> Result<BillingLink>;
    async fn delete_billing_link(&mut self, id: i64) -> Result<()>;
    async fn insert_support_level(&mut self, level: &SupportLevel) -> Result<SupportLevel>;
    async fn update_support_level(&mut self, level: &SupportLevel) -> Result<()>;
    async fn insert_pending_item(&mut self, item: &PendingItem) -> Result<PendingItem>;
    /// Removes the subscription's pending items (its next invoice took them).
    async fn delete_pending_items(&mut self, subscription_id: i64) -> Result<()>;
}
