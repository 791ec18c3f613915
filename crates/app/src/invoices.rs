//! Invoices (SPEC §5.3): made with items, issued with a number that is gapless per year, voided; payments
//! applied to them, and refunds of those payments.
use crate::paging::{by_id, page_request, paged};
use crate::subscriptions::save_subscription;
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_staff,
};
use api_types::{InvoiceQuery, NewInvoice, NewPayment, NewRefund};
use domain::billing::invoice::{number, totals};
use domain::billing::ledger::{apply_payment, check_refund, consume_credit};
use domain::billing::{
    Currency, Invoice, InvoiceItem, InvoiceStatus, LedgerError, MAX_MINOR_UNITS, Payment, Refund, Subscription,
    SubscriptionStatus,
};
use domain::event::{EntityType, EventAction};
use domain::{HookPoint, Principal, Timestamp};
use jiff::ToSpan;
use store::Writer;
use store::time::now;

/// How long after issue an invoice is due, unless it says otherwise.
const DEFAULT_DAYS_TO_PAY: i64 = 14;

/// Issues `invoice` at `at`: the next number of the year, `open`, due in [`DEFAULT_DAYS_TO_PAY`] days unless
/// it names a date. Taking the number locks the year's counter until the transaction ends. The balance of
/// `subscription` (the invoice's, locked by the caller) pays what it can: that credit counts as paid, and
/// `credit_applied` shows it. An invoice with nothing left to pay is paid at once.
pub(crate) async fn issue(
    tx: &mut Box<dyn Writer>,
    invoice: &mut Invoice,
    at: Timestamp,
    subscription: Option<&mut Subscription>,
) -> AppResult<()> {
    let year = jiff::tz::Offset::UTC.to_datetime(at).year();
    let sequence = tx.next_invoice_number(year).await?;
    invoice.number = Some(number(year, sequence));
    invoice.status = InvoiceStatus::Open;
    invoice.issued_at = Some(at);
    if invoice.due_at.is_none() {
        invoice.due_at = at.checked_add((DEFAULT_DAYS_TO_PAY * 24).hours()).ok();
    }
    if let Some(s) = subscription {
        let (used, left) = consume_credit(s.balance, invoice.amount_due);
        if used > 0 {
            invoice.credit_applied += used;
            invoice.amount_paid += used;
            invoice.amount_due -= used;
            s.balance = left;
            s.updated_at = at;
        }
    }
    if invoice.amount_due == 0 {
        invoice.status = InvoiceStatus::Paid;
        invoice.paid_at = Some(at);
    }
    Ok(())
}

/// [`issue`] for an invoice made or settled through the API: locks its subscription (if it has one) for
/// the credit, and records the subscription's change when the balance paid some of it.
async fn issue_with_credit(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    invoice: &mut Invoice,
    at: Timestamp,
) -> AppResult<()> {
    let Some(id) = invoice.subscription_id else {
        return issue(tx, invoice, at, None).await;
    };
    let before = tx.subscription_for_update(id).await?.ok_or(AppError::NotFound)?;
    let mut after = before.clone();
    issue(tx, invoice, at, Some(&mut after)).await?;
    if after != before {
        save_subscription(tx, change, &before, &after).await?;
    }
    Ok(())
}

impl App {
    pub async fn create_invoice(&self, p: &Principal, meta: &RequestMeta, input: NewInvoice) -> AppResult<Invoice> {
        require_staff(p)?;
        let mut fields = Fields::default();
        let currency = Currency::parse(&input.currency)
            .map_err(|e| fields.add("currency", e.to_string()))
            .ok();
        let mut items = Vec::with_capacity(input.items.len());
        for (n, item) in input.items.into_iter().enumerate() {
            let description = item.description.trim().to_owned();
            if description.is_empty() || description.chars().count() > 500 {
                fields.add(&format!("items[{n}].description"), "must be 1 to 500 characters");
            }
            match InvoiceItem::new(description, item.quantity.unwrap_or(1), item.unit_amount) {
                Ok(i) => items.push(i),
                Err(e) => fields.add(&format!("items[{n}].unit_amount"), e.to_string()),
            }
        }
        if items.is_empty() && fields.is_empty() {
            fields.add("items", "an invoice needs at least one item");
        }
        if let Err(e) = totals(&items) {
            fields.add("items", e.to_string());
        }
        let due_at = input.due_at.as_deref().and_then(|d| {
            d.parse::<Timestamp>()
                .map_err(|_| fields.add("due_at", "must be an RFC 3339 timestamp"))
                .ok()
        });
        fields.finish()?;
        let Some(currency) = currency else {
            return Err(AppError::field("currency", "is missing"));
        };
        let mut tx = self.store().write().await?;
        let customer = tx.customer(input.customer_id).await?;
        if customer.is_none_or(|c| c.deleted_at.is_some()) {
            return Err(AppError::field("customer_id", "no such customer"));
        }
        if let Some(id) = input.subscription_id {
            let subscription = tx.subscription(id).await?;
            match subscription {
                Some(s) if s.customer_id != input.customer_id => {
                    return Err(AppError::field("subscription_id", "a subscription of another customer"));
                }
                Some(s) if s.currency != currency => {
                    return Err(AppError::Conflict(format!(
                        "the subscription is billed in {}, not {currency}",
                        s.currency
                    )));
                }
                Some(_) => {}
                None => return Err(AppError::field("subscription_id", "no such subscription")),
            }
        }
        let at = now();
        let mut invoice = Invoice::draft(input.customer_id, input.subscription_id, currency, items, at)
            .map_err(|e| AppError::field("items", e.to_string()))?;
        invoice.due_at = due_at;
        let change = Change { principal: p, meta };
        if !input.draft.unwrap_or(false) {
            issue_with_credit(&mut tx, &change, &mut invoice, at).await?;
        }
        let invoice = tx.insert_invoice(&invoice).await?;
        record_new_invoice(&mut tx, &change, &invoice).await?;
        tx.commit().await?;
        Ok(invoice)
    }

    /// An invoice: staff see any; an end user their own customer's issued ones (drafts are not theirs to
    /// see until issued), anything else is 404.
    pub async fn get_invoice(&self, p: &Principal, id: i64) -> AppResult<Invoice> {
        let invoice = self
            .store()
            .read()
            .await?
            .invoice(id)
            .await?
            .ok_or(AppError::NotFound)?;
        match p.customer_scope() {
            None if p.is_staff() => Ok(invoice),
            Some(c) if c == invoice.customer_id && invoice.status != InvoiceStatus::Draft => Ok(invoice),
            _ => Err(AppError::NotFound),
        }
    }

    /// Invoices, newest first: staff any customer's (or all); an end user their own customer's issued ones.
    pub async fn list_invoices(&self, p: &Principal, q: &InvoiceQuery) -> AppResult<Paged<Invoice>> {
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let Some(scope) = p.customer_scope() else {
            require_staff(p)?;
            let rows = self.store().read().await?.invoice_list(q.customer_id, &page).await?;
            return Ok(paged(rows, &page, |i| by_id(i.id)));
        };
        if q.customer_id.is_some_and(|c| c != scope) {
            return Ok(Paged {
                data: vec![],
                next_cursor: None,
            });
        }
        let rows = self.store().read().await?.invoice_list(Some(scope), &page).await?;
        // Drafts are left out after the page is cut, so a page may come back short; its cursor still
        // follows the last row read.
        let mut listed = paged(rows, &page, |i| by_id(i.id));
        listed.data.retain(|i| i.status != InvoiceStatus::Draft);
        Ok(listed)
    }

    /// Issues a draft (TeamTools' `settle`): it gets its number and becomes payable (the subscription's
    /// balance paying what it can).
    pub async fn settle_invoice(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<Invoice> {
        self.change_invoice(p, meta, id, |tx, change, invoice, at| {
            Box::pin(async move {
                if invoice.status != InvoiceStatus::Draft {
                    return Err(AppError::Conflict(format!(
                        "only a draft is settled; this invoice is {}",
                        <&str>::from(invoice.status)
                    )));
                }
                issue_with_credit(tx, change, invoice, at).await
            })
        })
        .await
    }

    /// Voids a draft or an open invoice that nothing was paid on; it keeps its number (no gap).
    pub async fn void_invoice(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<Invoice> {
        self.change_invoice(p, meta, id, |_, _, invoice, _| {
            Box::pin(async move {
                match invoice.status {
                    InvoiceStatus::Draft | InvoiceStatus::Open if invoice.amount_paid == 0 => {
                        invoice.status = InvoiceStatus::Void;
                        invoice.amount_due = 0;
                        Ok(())
                    }
                    InvoiceStatus::Void => Err(AppError::Conflict("the invoice is void already".into())),
                    _ => Err(AppError::Conflict(
                        "an invoice with payments cannot be voided: refund the payments instead".into(),
                    )),
                }
            })
        })
        .await
    }

    /// Reads an invoice for update, applies `change`, writes it with its event.
    async fn change_invoice(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        apply: impl for<'a> FnOnce(
            &'a mut Box<dyn Writer>,
            &'a Change<'a>,
            &'a mut Invoice,
            Timestamp,
        ) -> std::pin::Pin<Box<dyn Future<Output = AppResult<()>> + Send + 'a>>,
    ) -> AppResult<Invoice> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.invoice_for_update(id).await?.ok_or(AppError::NotFound)?;
        let mut invoice = old.clone();
        let at = now();
        let change = Change { principal: p, meta };
        apply(&mut tx, &change, &mut invoice, at).await?;
        invoice.updated_at = at;
        tx.update_invoice(&invoice).await?;
        let paid = old.status != InvoiceStatus::Paid && invoice.status == InvoiceStatus::Paid;
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::Invoice, id, Some(invoice.customer_id)),
            paid.then_some(HookPoint::InvoicePaid),
            json(&invoice),
            json(&old),
        );
        commit_with_event(tx, event).await?;
        Ok(invoice)
    }
}

/// The events of an invoice just stored: `InvoiceCreated`, and `InvoicePaid` when the subscription's
/// balance (or a zero total) paid it as it was issued.
pub(crate) async fn record_new_invoice(
    tx: &mut Box<dyn Writer>,
    change: &Change<'_>,
    invoice: &Invoice,
) -> AppResult<()> {
    let subject = || Subject(EntityType::Invoice, invoice.id, Some(invoice.customer_id));
    let created = change.event(
        EventAction::Created,
        subject(),
        Some(HookPoint::InvoiceCreated),
        json(invoice),
        serde_json::Value::Null,
    );
    tx.insert_event(&created).await?;
    if invoice.status == InvoiceStatus::Paid {
        let paid = change.event(
            EventAction::Updated,
            subject(),
            Some(HookPoint::InvoicePaid),
            json(invoice),
            serde_json::Value::Null,
        );
        tx.insert_event(&paid).await?;
    }
    Ok(())
}

/// A money rule broken (409) or a malformed amount (422), as SPEC §5.2 sorts them.
fn ledger_error(e: LedgerError) -> AppError {
    match e {
        LedgerError::Amount(_) | LedgerError::Zero | LedgerError::TooLarge => AppError::field("amount", e.to_string()),
        LedgerError::PaymentOnVoid
        | LedgerError::PaymentOnDraft
        | LedgerError::AlreadyPaid
        | LedgerError::RefundAbovePaid { .. } => AppError::Conflict(e.to_string()),
    }
}

impl App {
    /// Applies a payment: up to what is due pays the invoice (which is paid when nothing is due); the excess
    /// goes to the balance of the invoice's subscription, which the next invoice consumes. The invoice (and
    /// the subscription) stay locked until the payment is written, so concurrent payments add up.
    pub async fn apply_payment(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        invoice_id: i64,
        input: NewPayment,
    ) -> AppResult<Payment> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.invoice_for_update(invoice_id).await?.ok_or(AppError::NotFound)?;
        let effect = apply_payment(old.status, old.total, old.amount_paid, input.amount).map_err(ledger_error)?;
        let at = now();
        let change = Change { principal: p, meta };
        if effect.credit > 0 && old.subscription_id.is_none() {
            return Err(AppError::Conflict(format!(
                "only {} is due, and the invoice has no subscription whose balance could take the rest",
                old.amount_due
            )));
        }
        let mut invoice = old.clone();
        invoice.amount_paid = effect.amount_paid;
        invoice.amount_due = invoice.total - effect.amount_paid;
        invoice.updated_at = at;
        if effect.paid {
            invoice.status = InvoiceStatus::Paid;
            invoice.paid_at = Some(at);
        }
        tx.update_invoice(&invoice).await?;
        if let Some(subscription_id) = old.subscription_id.filter(|_| effect.credit > 0 || effect.paid) {
            let before = tx
                .subscription_for_update(subscription_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let mut after = before.clone();
            after.balance = before
                .balance
                .checked_add(effect.credit)
                .filter(|b| *b <= MAX_MINOR_UNITS)
                .ok_or_else(|| AppError::field("amount", "the balance would exceed 10^15 minor units"))?;
            // Paying the last overdue invoice makes a past-due subscription active again.
            if after.status == SubscriptionStatus::PastDue && !tx.has_overdue_invoice(subscription_id, at).await? {
                after.status = SubscriptionStatus::Active;
            }
            if after != before {
                after.updated_at = at;
                save_subscription(&mut tx, &change, &before, &after).await?;
            }
        }
        let payment = tx
            .insert_payment(&Payment {
                id: 0,
                invoice_id,
                amount: input.amount,
                applied: effect.applied,
                credited: effect.credit,
                refunded: 0,
                method: input.method.unwrap_or_default(),
                reference: input.reference.unwrap_or_default(),
                created_at: at,
            })
            .await?;
        let invoice_event = change.event(
            EventAction::Updated,
            Subject(EntityType::Invoice, invoice.id, Some(invoice.customer_id)),
            effect.paid.then_some(HookPoint::InvoicePaid),
            json(&invoice),
            json(&old),
        );
        tx.insert_event(&invoice_event).await?;
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Payment, payment.id, Some(invoice.customer_id)),
            Some(HookPoint::PaymentApplied),
            json(&payment),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(payment)
    }

    pub async fn list_payments(&self, p: &Principal, invoice_id: i64) -> AppResult<Vec<Payment>> {
        require_staff(p)?;
        let mut r = self.store().read().await?;
        r.invoice(invoice_id).await?.ok_or(AppError::NotFound)?;
        Ok(r.payments_of(invoice_id).await?)
    }

    pub async fn list_refunds(&self, p: &Principal, invoice_id: i64) -> AppResult<Vec<Refund>> {
        require_staff(p)?;
        let mut r = self.store().read().await?;
        r.invoice(invoice_id).await?.ok_or(AppError::NotFound)?;
        Ok(r.refunds_of(invoice_id).await?)
    }

    /// Refunds (part of) a payment: never more than what is left of it (409 otherwise). The payment stays
    /// locked until the refund is written, so concurrent refunds cannot add up to more.
    pub async fn refund_payment(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        payment_id: i64,
        input: NewRefund,
    ) -> AppResult<Refund> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let payment = tx.payment_for_update(payment_id).await?.ok_or(AppError::NotFound)?;
        let amount = check_refund(payment.amount, payment.refunded, input.amount).map_err(ledger_error)?;
        let invoice = tx.invoice(payment.invoice_id).await?.ok_or(AppError::NotFound)?;
        tx.set_payment_refunded(payment_id, payment.refunded + amount).await?;
        let refund = tx
            .insert_refund(&Refund {
                id: 0,
                payment_id,
                invoice_id: payment.invoice_id,
                amount,
                created_at: now(),
            })
            .await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Refund, refund.id, Some(invoice.customer_id)),
            Some(HookPoint::RefundCreated),
            json(&refund),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(refund)
    }
}
