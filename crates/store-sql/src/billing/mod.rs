//! The billing aggregate's SQL: the catalogue of features, groups, packages and plans; subscriptions; invoices,
//! payments and refunds; billing-system links; support levels.
use crate::{Connection, Dialect, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err};
use domain::Timestamp;
use domain::billing::{
    BillingLink, BillingSystem, Currency, Feature, Group, Invoice, Package, PackageFeature, Payment, PendingItem, Plan,
    Refund, Subscription, SupportLevel,
};
mod rows;

use rows::*;
use std::collections::BTreeMap;
use store::time::to_micros;
use store::{BillingRead, BillingWrite, DeletedFilter, PageRequest, Result};

/// `SELECT <cols> FROM <table> WHERE id = $1` with the dialect's row lock.
async fn for_update<C: Dialect, T: Send>(
    c: &mut C,
    cols: &str,
    table: &str,
    id: i64,
    map: RowMap<T>,
) -> Result<Option<T>> {
    let sql = format!("SELECT {cols} FROM {table} WHERE id = $1{}", C::FOR_UPDATE);
    c.fetch_optional(sql.into(), &[Value::from(id)], map).await
}

/// `AND deleted_at …` for a list.
fn deleted_condition(deleted: DeletedFilter) -> &'static str {
    match deleted {
        DeletedFilter::Exclude => " AND deleted_at IS NULL",
        DeletedFilter::Only => " AND deleted_at IS NOT NULL",
        DeletedFilter::Include => "",
    }
}

/// An oldest-first keyset page of `table`, narrowed by `condition` (`AND …`, with its values in `params`).
async fn page_of<C: Connection, T: Send>(
    c: &mut C,
    cols: &str,
    table: &str,
    condition: &str,
    params: Vec<Value>,
    page: &PageRequest,
    map: RowMap<T>,
) -> Result<Vec<T>> {
    let after = page.after.as_ref().map_or(0, |a| a.id);
    let mut q = QueryBuilder::new(format!("SELECT {cols} FROM {table} WHERE id > "));
    q.bind(after);
    q.push_numbered(condition, params);
    q.push(" ORDER BY id LIMIT ").bind(i64::from(page.limit));
    let (sql, params) = q.build();
    c.fetch_all(sql, &params, map).await
}

/// The rows of a link table (`owner, other[, extra]`) whose owner is among `owners`, by owner.
async fn links<C: Connection, T: Send>(
    c: &mut C,
    sql_head: &str,
    owners: &[i64],
    map: RowMap<(i64, T)>,
) -> Result<BTreeMap<i64, Vec<T>>> {
    let mut out: BTreeMap<i64, Vec<T>> = BTreeMap::new();
    if owners.is_empty() {
        return Ok(out);
    }
    let mut q = QueryBuilder::new(sql_head.to_owned());
    q.push(" IN (")
        .bind_list(owners.iter().copied())
        .push(") ORDER BY 1, 2");
    let (sql, params) = q.build();
    for (owner, item) in c.fetch_all(sql, &params, map).await? {
        out.entry(owner).or_default().push(item);
    }
    Ok(out)
}

async fn with_dependencies<C: Connection>(c: &mut C, mut features: Vec<Feature>) -> Result<Vec<Feature>> {
    let ids: Vec<i64> = features.iter().map(|f| f.id).collect();
    let mut deps = links(
        c,
        "SELECT feature_id, dependency_id FROM feature_dependencies WHERE feature_id",
        &ids,
        |r| Ok((r.get("feature_id")?, r.get("dependency_id")?)),
    )
    .await?;
    for f in &mut features {
        f.dependency_ids = deps.remove(&f.id).unwrap_or_default();
    }
    Ok(features)
}

async fn with_features<C: Connection>(c: &mut C, mut packages: Vec<Package>) -> Result<Vec<Package>> {
    let ids: Vec<i64> = packages.iter().map(|p| p.id).collect();
    let mut features = links(
        c,
        "SELECT package_id, feature_id, quantity FROM package_features WHERE package_id",
        &ids,
        |r| {
            Ok((
                r.get("package_id")?,
                PackageFeature {
                    feature_id: r.get("feature_id")?,
                    quantity: r.get("quantity")?,
                },
            ))
        },
    )
    .await?;
    for p in &mut packages {
        p.features = features.remove(&p.id).unwrap_or_default();
    }
    Ok(packages)
}

#[async_trait::async_trait]
impl<C: Dialect> BillingRead for SqlConn<C> {
    async fn feature(&mut self, id: i64) -> Result<Option<Feature>> {
        let found = by_id(&mut self.conn, FEATURE_COLS, "features", id, FEATURE_ROW).await?;
        Ok(with_dependencies(&mut self.conn, found.into_iter().collect())
            .await?
            .pop())
    }

    async fn feature_list(&mut self, deleted: DeletedFilter, page: &PageRequest) -> Result<Vec<Feature>> {
        let cond = deleted_condition(deleted);
        let rows = page_of(
            &mut self.conn,
            FEATURE_COLS,
            "features",
            cond,
            vec![],
            page,
            FEATURE_ROW,
        )
        .await?;
        with_dependencies(&mut self.conn, rows).await
    }

    async fn feature_requirements(&mut self) -> Result<BTreeMap<i64, Vec<i64>>> {
        let sql = "SELECT feature_id, dependency_id FROM feature_dependencies ORDER BY 1, 2";
        let rows: Vec<(i64, i64)> = self
            .conn
            .fetch_all(sql.into(), &[], |r| Ok((r.get("feature_id")?, r.get("dependency_id")?)))
            .await?;
        let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (feature, dependency) in rows {
            out.entry(feature).or_default().push(dependency);
        }
        Ok(out)
    }

    async fn group(&mut self, id: i64) -> Result<Option<Group>> {
        by_id(&mut self.conn, GROUP_COLS, "billing_groups", id, GROUP_ROW).await
    }

    async fn group_list(&mut self, page: &PageRequest) -> Result<Vec<Group>> {
        page_of(
            &mut self.conn,
            GROUP_COLS,
            "billing_groups",
            "",
            vec![],
            page,
            GROUP_ROW,
        )
        .await
    }

    async fn default_group(&mut self) -> Result<Option<Group>> {
        let sql = format!("SELECT {GROUP_COLS} FROM billing_groups WHERE is_default");
        self.conn.fetch_optional(sql.into(), &[], GROUP_ROW).await
    }

    async fn package(&mut self, id: i64) -> Result<Option<Package>> {
        let found = by_id(&mut self.conn, PACKAGE_COLS, "packages", id, PACKAGE_ROW).await?;
        Ok(with_features(&mut self.conn, found.into_iter().collect()).await?.pop())
    }

    async fn package_list(
        &mut self,
        group_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<Package>> {
        let (cond, params) = owner_condition("group_id", group_id, deleted);
        let rows = page_of(
            &mut self.conn,
            PACKAGE_COLS,
            "packages",
            &cond,
            params,
            page,
            PACKAGE_ROW,
        )
        .await?;
        with_features(&mut self.conn, rows).await
    }

    async fn plan(&mut self, id: i64) -> Result<Option<Plan>> {
        by_id(&mut self.conn, PLAN_COLS, "plans", id, PLAN_ROW).await
    }

    async fn plan_list(
        &mut self,
        package_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<Plan>> {
        let (cond, params) = owner_condition("package_id", package_id, deleted);
        page_of(&mut self.conn, PLAN_COLS, "plans", &cond, params, page, PLAN_ROW).await
    }

    async fn subscription(&mut self, id: i64) -> Result<Option<Subscription>> {
        by_id(&mut self.conn, SUBSCRIPTION_COLS, "subscriptions", id, SUBSCRIPTION_ROW).await
    }

    async fn subscriptions_of(&mut self, customer_id: i64, page: &PageRequest) -> Result<Vec<Subscription>> {
        let cond = " AND customer_id = $2";
        let params = vec![Value::from(customer_id)];
        page_of(
            &mut self.conn,
            SUBSCRIPTION_COLS,
            "subscriptions",
            cond,
            params,
            page,
            SUBSCRIPTION_ROW,
        )
        .await
    }

    async fn invoice(&mut self, id: i64) -> Result<Option<Invoice>> {
        by_id(&mut self.conn, INVOICE_COLS, "invoices", id, INVOICE_ROW).await
    }

    async fn invoice_list(&mut self, customer_id: Option<i64>, page: &PageRequest) -> Result<Vec<Invoice>> {
        let (cond, params) = owner_condition("customer_id", customer_id, DeletedFilter::Include);
        page_of(
            &mut self.conn,
            INVOICE_COLS,
            "invoices",
            &cond,
            params,
            page,
            INVOICE_ROW,
        )
        .await
    }

    async fn invoice_for_update(&mut self, id: i64) -> Result<Option<Invoice>> {
        for_update(&mut self.conn, INVOICE_COLS, "invoices", id, INVOICE_ROW).await
    }

    async fn subscription_for_update(&mut self, id: i64) -> Result<Option<Subscription>> {
        for_update(&mut self.conn, SUBSCRIPTION_COLS, "subscriptions", id, SUBSCRIPTION_ROW).await
    }

    async fn payment_for_update(&mut self, id: i64) -> Result<Option<Payment>> {
        for_update(&mut self.conn, PAYMENT_COLS, "payments", id, PAYMENT_ROW).await
    }

    async fn payments_of(&mut self, invoice_id: i64) -> Result<Vec<Payment>> {
        let sql = format!("SELECT {PAYMENT_COLS} FROM payments WHERE invoice_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(invoice_id)], PAYMENT_ROW)
            .await
    }

    async fn refunds_of(&mut self, invoice_id: i64) -> Result<Vec<Refund>> {
        let sql = format!("SELECT {REFUND_COLS} FROM refunds WHERE invoice_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(invoice_id)], REFUND_ROW)
            .await
    }

    async fn billing_link(&mut self, id: i64) -> Result<Option<BillingLink>> {
        by_id(&mut self.conn, LINK_COLS, "billing_links", id, LINK_ROW).await
    }

    async fn billing_link_of_account(
        &mut self,
        system: BillingSystem,
        billing_id: &str,
    ) -> Result<Option<BillingLink>> {
        let sql = format!("SELECT {LINK_COLS} FROM billing_links WHERE billing_system = $1 AND billing_id = $2");
        let params = [Value::from(system.as_str()), Value::from(billing_id)];
        self.conn.fetch_optional(sql.into(), &params, LINK_ROW).await
    }

    async fn billing_links_of(&mut self, customer_id: i64) -> Result<Vec<BillingLink>> {
        let sql = format!("SELECT {LINK_COLS} FROM billing_links WHERE customer_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(customer_id)], LINK_ROW)
            .await
    }

    async fn support_level(&mut self, id: i64) -> Result<Option<SupportLevel>> {
        by_id(&mut self.conn, LEVEL_COLS, "support_levels", id, LEVEL_ROW).await
    }

    async fn support_level_list(&mut self, page: &PageRequest) -> Result<Vec<SupportLevel>> {
        page_of(
            &mut self.conn,
            LEVEL_COLS,
            "support_levels",
            "",
            vec![],
            page,
            LEVEL_ROW,
        )
        .await
    }

    async fn due_subscriptions(&mut self, now: Timestamp, limit: i64) -> Result<Vec<Subscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLS} FROM subscriptions s WHERE status <> 'canceled' AND current_period_end <= $1 \
             ORDER BY current_period_end, id LIMIT $2{}",
            C::SKIP_LOCKED
        );
        let params = [Value::from(to_micros(now)), Value::from(limit)];
        self.conn.fetch_all(sql.into(), &params, SUBSCRIPTION_ROW).await
    }

    async fn overdue_subscriptions(&mut self, now: Timestamp, limit: i64) -> Result<Vec<Subscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLS} FROM subscriptions s WHERE status = 'active' AND id IN \
             (SELECT subscription_id FROM invoices WHERE status = 'open' AND due_at <= $1) ORDER BY id LIMIT $2{}",
            C::SKIP_LOCKED
        );
        let params = [Value::from(to_micros(now)), Value::from(limit)];
        self.conn.fetch_all(sql.into(), &params, SUBSCRIPTION_ROW).await
    }

    async fn has_overdue_invoice(&mut self, subscription_id: i64, now: Timestamp) -> Result<bool> {
        let sql = "SELECT count(*) AS n FROM invoices WHERE subscription_id = $1 AND status = 'open' AND due_at <= $2";
        let params = [Value::from(subscription_id), Value::from(to_micros(now))];
        let n: i64 = self.conn.fetch_one(sql.into(), &params, |r| r.get("n")).await?;
        Ok(n > 0)
    }

    async fn open_invoice_currencies(&mut self, customer_id: i64) -> Result<Vec<Currency>> {
        let sql = "SELECT DISTINCT currency FROM invoices WHERE customer_id = $1 AND status = 'open' ORDER BY currency";
        self.conn
            .fetch_all(sql.into(), &[Value::from(customer_id)], |r| {
                Currency::parse(r.get("currency")?).map_err(|e| decode_err("currency", e))
            })
            .await
    }

    async fn end_user_count(&mut self, customer_id: i64) -> Result<u64> {
        let sql = "SELECT count(*) AS n FROM end_users WHERE customer_id = $1 AND deleted_at IS NULL";
        let n: i64 = self
            .conn
            .fetch_one(sql.into(), &[Value::from(customer_id)], |r| r.get("n"))
            .await?;
        u64::try_from(n).map_err(|e| decode_err("n", e))
    }

    async fn paying_subscription_counts(&mut self, limit: u32) -> Result<Vec<(i64, u64, u64)>> {
        let sql = "SELECT plan_id, quantity, count(*) AS n FROM subscriptions \
                   WHERE status IN ('active', 'past_due') GROUP BY plan_id, quantity ORDER BY plan_id, quantity LIMIT $1";
        self.conn
            .fetch_all(sql.into(), &[Value::from(i64::from(limit))], |r| {
                let quantity: i64 = r.get("quantity")?;
                let n: i64 = r.get("n")?;
                Ok((
                    r.get("plan_id")?,
                    u64::try_from(quantity).map_err(|e| decode_err("quantity", e))?,
                    u64::try_from(n).map_err(|e| decode_err("n", e))?,
                ))
            })
            .await
    }

    async fn open_invoices_of(&mut self, subscription_id: i64) -> Result<Vec<Invoice>> {
        let sql = format!(
            "SELECT {INVOICE_COLS} FROM invoices WHERE subscription_id = $1 AND status = 'open' ORDER BY id LIMIT 100"
        );
        self.conn
            .fetch_all(sql.into(), &[Value::from(subscription_id)], INVOICE_ROW)
            .await
    }

    async fn pending_items(&mut self, subscription_id: i64) -> Result<Vec<PendingItem>> {
        let sql = format!("SELECT {PENDING_COLS} FROM pending_invoice_items WHERE subscription_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(subscription_id)], PENDING_ROW)
            .await
    }

    async fn live_subscriptions_in_group(&mut self, customer_id: i64, group_id: i64) -> Result<Vec<Subscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLS} FROM subscriptions WHERE customer_id = $1 AND group_id = $2 \
             AND status <> 'canceled' ORDER BY id{}",
            C::FOR_UPDATE
        );
        let params = [Value::from(customer_id), Value::from(group_id)];
        self.conn.fetch_all(sql.into(), &params, SUBSCRIPTION_ROW).await
    }
}

/// `AND <column> = $2` when an owner is given ([`page_of`] binds its cursor as `$1`), and the deleted
/// condition.
fn owner_condition(column: &str, owner: Option<i64>, deleted: DeletedFilter) -> (String, Vec<Value>) {
    match owner {
        Some(id) => (
            format!(" AND {column} = $2{}", deleted_condition(deleted)),
            vec![Value::from(id)],
        ),
        None => (deleted_condition(deleted).to_owned(), vec![]),
    }
}

async fn write_dependencies<C: Connection>(c: &mut C, feature: i64, dependencies: &[i64], replace: bool) -> Result<()> {
    if replace {
        let sql = "DELETE FROM feature_dependencies WHERE feature_id = $1";
        c.execute(sql.into(), &[Value::from(feature)]).await?;
    }
    let mut sorted = dependencies.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for d in sorted {
        let sql = "INSERT INTO feature_dependencies (feature_id, dependency_id) VALUES ($1, $2)";
        c.execute(sql.into(), &[Value::from(feature), Value::from(d)]).await?;
    }
    Ok(())
}

async fn write_package_features<C: Connection>(
    c: &mut C,
    package: i64,
    features: &[PackageFeature],
    replace: bool,
) -> Result<()> {
    if replace {
        let sql = "DELETE FROM package_features WHERE package_id = $1";
        c.execute(sql.into(), &[Value::from(package)]).await?;
    }
    let mut sorted = features.to_vec();
    sorted.sort_unstable_by_key(|f| f.feature_id);
    sorted.dedup_by_key(|f| f.feature_id);
    for f in sorted {
        let sql = "INSERT INTO package_features (package_id, feature_id, quantity) VALUES ($1, $2, $3)";
        c.execute(
            sql.into(),
            &[Value::from(package), Value::from(f.feature_id), Value::from(f.quantity)],
        )
        .await?;
    }
    Ok(())
}

/// Takes the default from every other group, before `group` becomes the default.
async fn clear_default<C: Connection>(c: &mut C, except: i64) -> Result<()> {
    let sql = "UPDATE billing_groups SET is_default = FALSE WHERE is_default AND id <> $1";
    c.execute(sql.into(), &[Value::from(except)]).await.map(drop)
}

#[async_trait::async_trait]
impl<C: Transaction> BillingWrite for SqlConn<C> {
    async fn insert_feature(&mut self, f: &Feature) -> Result<Feature> {
        let sql = "INSERT INTO features (name, description, unique_key, created_at, updated_at, deleted_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let params = [
            Value::from(&f.name),
            Value::from(&f.description),
            Value::from(&f.unique_key),
            Value::from(to_micros(f.created_at)),
            Value::from(to_micros(f.updated_at)),
            Value::from(f.deleted_at.map(to_micros)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        write_dependencies(&mut self.conn, id, &f.dependency_ids, false).await?;
        Ok(Feature { id, ..f.clone() })
    }

    async fn update_feature(&mut self, f: &Feature) -> Result<()> {
        let sql = "UPDATE features SET name = $2, description = $3, unique_key = $4, updated_at = $5, \
                   deleted_at = $6 WHERE id = $1";
        let params = [
            Value::from(f.id),
            Value::from(&f.name),
            Value::from(&f.description),
            Value::from(&f.unique_key),
            Value::from(to_micros(f.updated_at)),
            Value::from(f.deleted_at.map(to_micros)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        write_dependencies(&mut self.conn, f.id, &f.dependency_ids, true).await
    }

    async fn insert_group(&mut self, g: &Group) -> Result<Group> {
        if g.default {
            clear_default(&mut self.conn, 0).await?;
        }
        let sql = "INSERT INTO billing_groups (name, is_default, default_package_id, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let params = [
            Value::from(&g.name),
            Value::from(g.default),
            Value::from(g.default_package_id),
            Value::from(to_micros(g.created_at)),
            Value::from(to_micros(g.updated_at)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(Group { id, ..g.clone() })
    }

    async fn update_group(&mut self, g: &Group) -> Result<()> {
        if g.default {
            clear_default(&mut self.conn, g.id).await?;
        }
        let sql = "UPDATE billing_groups SET name = $2, is_default = $3, default_package_id = $4, updated_at = $5 \
                   WHERE id = $1";
        let params = [
            Value::from(g.id),
            Value::from(&g.name),
            Value::from(g.default),
            Value::from(g.default_package_id),
            Value::from(to_micros(g.updated_at)),
        ];
        self.conn.execute(sql.into(), &params).await.map(drop)
    }

    async fn insert_package(&mut self, p: &Package) -> Result<Package> {
        let sql = "INSERT INTO packages (group_id, name, description, is_default, created_at, updated_at, deleted_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let params = [
            Value::from(p.group_id),
            Value::from(&p.name),
            Value::from(&p.description),
            Value::from(p.default),
            Value::from(to_micros(p.created_at)),
            Value::from(to_micros(p.updated_at)),
            Value::from(p.deleted_at.map(to_micros)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        write_package_features(&mut self.conn, id, &p.features, false).await?;
        Ok(Package { id, ..p.clone() })
    }

    async fn update_package(&mut self, p: &Package) -> Result<()> {
        let sql = "UPDATE packages SET group_id = $2, name = $3, description = $4, is_default = $5, updated_at = $6, \
                   deleted_at = $7 WHERE id = $1";
        let params = [
            Value::from(p.id),
            Value::from(p.group_id),
            Value::from(&p.name),
            Value::from(&p.description),
            Value::from(p.default),
            Value::from(to_micros(p.updated_at)),
            Value::from(p.deleted_at.map(to_micros)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        write_package_features(&mut self.conn, p.id, &p.features, true).await
    }

    async fn insert_plan(&mut self, p: &Plan) -> Result<Plan> {
        let sql = "INSERT INTO plans (package_id, name, description, currency, cycle, interval_count, trial_days, \
                   initial_fee, pricing, amount, tier_mode, tiers, unit, created_at, updated_at, deleted_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id";
        let params = plan_values(p)?;
        let id = self.conn.fetch_one(sql.into(), &params[1..], |r| r.get("id")).await?;
        Ok(Plan { id, ..p.clone() })
    }

    async fn update_plan(&mut self, p: &Plan) -> Result<()> {
        let sql = "UPDATE plans SET package_id = $2, name = $3, description = $4, currency = $5, cycle = $6, \
                   interval_count = $7, trial_days = $8, initial_fee = $9, pricing = $10, amount = $11, \
                   tier_mode = $12, tiers = $13, unit = $14, updated_at = $15, deleted_at = $16 WHERE id = $1";
        let mut params = plan_values(p)?.to_vec();
        params.remove(CREATED_AT);
        self.conn.execute(sql.into(), &params).await.map(drop)
    }

    async fn insert_subscription(&mut self, s: &Subscription) -> Result<Subscription> {
        let id = self
            .write_row("subscriptions", SUBSCRIPTION_COLS, None, subscription_values(s)?)
            .await?;
        Ok(Subscription { id, ..s.clone() })
    }

    async fn update_subscription(&mut self, s: &Subscription) -> Result<()> {
        self.write_row("subscriptions", SUBSCRIPTION_COLS, Some(s.id), subscription_values(s)?)
            .await
            .map(drop)
    }

    async fn insert_invoice(&mut self, i: &Invoice) -> Result<Invoice> {
        let id = self
            .write_row("invoices", INVOICE_COLS, None, invoice_values(i)?)
            .await?;
        Ok(Invoice { id, ..i.clone() })
    }

    async fn update_invoice(&mut self, i: &Invoice) -> Result<()> {
        self.write_row("invoices", INVOICE_COLS, Some(i.id), invoice_values(i)?)
            .await
            .map(drop)
    }

    async fn insert_payment(&mut self, p: &Payment) -> Result<Payment> {
        let values = vec![
            Value::from(p.invoice_id),
            Value::from(p.amount),
            Value::from(p.applied),
            Value::from(p.credited),
            Value::from(p.refunded),
            Value::from(&p.method),
            Value::from(&p.reference),
            Value::from(to_micros(p.created_at)),
        ];
        let id = self.write_row("payments", PAYMENT_COLS, None, values).await?;
        Ok(Payment { id, ..p.clone() })
    }

    async fn set_payment_refunded(&mut self, payment_id: i64, refunded: i64) -> Result<()> {
        let sql = "UPDATE payments SET refunded = $2 WHERE id = $1";
        self.conn
            .execute(sql.into(), &[Value::from(payment_id), Value::from(refunded)])
            .await
            .map(drop)
    }

    async fn insert_refund(&mut self, r: &Refund) -> Result<Refund> {
        let values = vec![
            Value::from(r.payment_id),
            Value::from(r.invoice_id),
            Value::from(r.amount),
            Value::from(to_micros(r.created_at)),
        ];
        let id = self.write_row("refunds", REFUND_COLS, None, values).await?;
        Ok(Refund { id, ..r.clone() })
    }

    async fn insert_billing_link(&mut self, l: &BillingLink) -> Result<BillingLink> {
        let values = vec![
            Value::from(l.customer_id),
            Value::from(l.billing_system.as_str()),
            Value::from(&l.billing_id),
            Value::from(to_micros(l.created_at)),
        ];
        let id = self.write_row("billing_links", LINK_COLS, None, values).await?;
        Ok(BillingLink { id, ..l.clone() })
    }

    async fn delete_billing_link(&mut self, id: i64) -> Result<()> {
        let sql = "DELETE FROM billing_links WHERE id = $1";
        self.conn.execute(sql.into(), &[Value::from(id)]).await.map(drop)
    }

    async fn insert_support_level(&mut self, l: &SupportLevel) -> Result<SupportLevel> {
        let id = self
            .write_row("support_levels", LEVEL_COLS, None, level_values(l))
            .await?;
        Ok(SupportLevel { id, ..l.clone() })
    }

    async fn update_support_level(&mut self, l: &SupportLevel) -> Result<()> {
        self.write_row("support_levels", LEVEL_COLS, Some(l.id), level_values(l))
            .await
            .map(drop)
    }

    async fn insert_pending_item(&mut self, p: &PendingItem) -> Result<PendingItem> {
        let values = vec![
            Value::from(p.subscription_id),
            Value::from(&p.item.description),
            Value::from(i64::try_from(p.item.quantity).map_err(|e| decode_err("quantity", e))?),
            Value::from(p.item.unit_amount),
            Value::from(p.item.amount),
            Value::from(to_micros(p.created_at)),
        ];
        let id = self
            .write_row("pending_invoice_items", PENDING_COLS, None, values)
            .await?;
        Ok(PendingItem { id, ..p.clone() })
    }

    async fn delete_pending_items(&mut self, subscription_id: i64) -> Result<()> {
        let sql = "DELETE FROM pending_invoice_items WHERE subscription_id = $1";
        self.conn
            .execute(sql.into(), &[Value::from(subscription_id)])
            .await
            .map(drop)
    }

    async fn next_invoice_number(&mut self, year: i16) -> Result<i64> {
        let year = Value::from(i64::from(year));
        let first = "INSERT INTO invoice_numbers (year, last) VALUES ($1, 0) ON CONFLICT (year) DO NOTHING";
        self.conn.execute(first.into(), std::slice::from_ref(&year)).await?;
        let next = "UPDATE invoice_numbers SET last = last + 1 WHERE year = $1 RETURNING last";
        self.conn.fetch_one(next.into(), &[year], |r| r.get("last")).await
    }
}

impl<C: Transaction> SqlConn<C> {
    /// Inserts (`id` = `None`) or updates a row of `table` whose columns are `cols` (`id` first, then the
    /// `values` in order); an update leaves `created_at` alone. Answers the row's id.
    async fn write_row(&mut self, table: &str, cols: &str, id: Option<i64>, mut values: Vec<Value>) -> Result<i64> {
        let cols: Vec<&str> = cols.split(", ").skip(1).map(str::trim).collect();
        let Some(id) = id else {
            let places: Vec<String> = (1..=cols.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({}) RETURNING id",
                cols.join(", "),
                places.join(", ")
            );
            return self.conn.fetch_one(sql.into(), &values, |r| r.get("id")).await;
        };
        let sets: Vec<String> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| **c != "created_at")
            .map(|(i, c)| format!("{c} = ${}", i + 2))
            .collect();
        let sql = format!("UPDATE {table} SET {} WHERE id = $1", sets.join(", "));
        values.insert(0, Value::from(id));
        self.conn.execute(sql.into(), &values).await?;
        Ok(id)
    }
}
