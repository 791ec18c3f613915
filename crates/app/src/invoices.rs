//! Invoices (SPEC §5.3): made with items, issued with a number that is gapless per year, voided. Payments
//! and refunds build on them.
use crate::paging::{by_id, page_request, paged};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_staff,
};
use api_types::{InvoiceQuery, NewInvoice};
use domain::billing::invoice::{number, totals};
use domain::billing::{Currency, Invoice, InvoiceItem, InvoiceStatus};
use domain::event::{EntityType, EventAction};
use domain::{Principal, Timestamp};
use jiff::ToSpan;
use store::Writer;
use store::time::now;

/// How long after issue an invoice is due, unless it says otherwise.
const DEFAULT_DAYS_TO_PAY: i64 = 14;

/// Issues `invoice` at `at`: the next number of the year, `open`, due in [`DEFAULT_DAYS_TO_PAY`] days unless
/// it names a date. Taking the number locks the year's counter until the transaction ends.
async fn issue(tx: &mut Box<dyn Writer>, invoice: &mut Invoice, at: Timestamp) -> AppResult<()> {
    let year = jiff::tz::Offset::UTC.to_datetime(at).year();
    let sequence = tx.next_invoice_number(year).await?;
    invoice.number = Some(number(year, sequence));
    invoice.status = InvoiceStatus::Open;
    invoice.issued_at = Some(at);
    if invoice.due_at.is_none() {
        invoice.due_at = at.checked_add((DEFAULT_DAYS_TO_PAY * 24).hours()).ok();
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
        let total = match totals(&items) {
            Ok(t) => t,
            Err(e) => {
                fields.add("items", e.to_string());
                0
            }
        };
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
        let mut invoice = Invoice {
            id: 0,
            customer_id: input.customer_id,
            subscription_id: input.subscription_id,
            number: None,
            currency,
            status: InvoiceStatus::Draft,
            items,
            subtotal: total,
            total,
            amount_paid: 0,
            amount_due: total,
            issued_at: None,
            due_at,
            paid_at: None,
            created_at: at,
            updated_at: at,
        };
        if !input.draft.unwrap_or(false) {
            issue(&mut tx, &mut invoice, at).await?;
        }
        let invoice = tx.insert_invoice(&invoice).await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Created,
            Subject(EntityType::Invoice, invoice.id, Some(invoice.customer_id)),
            None,
            json(&invoice),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(invoice)
    }

    pub async fn get_invoice(&self, p: &Principal, id: i64) -> AppResult<Invoice> {
        require_staff(p)?;
        self.store().read().await?.invoice(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_invoices(&self, p: &Principal, q: &InvoiceQuery) -> AppResult<Paged<Invoice>> {
        require_staff(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.invoice_list(q.customer_id, &page).await?;
        Ok(paged(rows, &page, |i| by_id(i.id)))
    }

    /// Issues a draft (TeamTools' `settle`): it gets its number and becomes payable.
    pub async fn settle_invoice(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<Invoice> {
        self.change_invoice(p, meta, id, |tx, invoice, at| {
            Box::pin(async move {
                if invoice.status != InvoiceStatus::Draft {
                    return Err(AppError::Conflict(format!(
                        "only a draft is settled; this invoice is {}",
                        <&str>::from(invoice.status)
                    )));
                }
                issue(tx, invoice, at).await
            })
        })
        .await
    }

    /// Voids a draft or an open invoice that nothing was paid on; it keeps its number (no gap).
    pub async fn void_invoice(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<Invoice> {
        self.change_invoice(p, meta, id, |_, invoice, _| {
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
        change: impl for<'a> FnOnce(
            &'a mut Box<dyn Writer>,
            &'a mut Invoice,
            Timestamp,
        ) -> std::pin::Pin<Box<dyn Future<Output = AppResult<()>> + Send + 'a>>,
    ) -> AppResult<Invoice> {
        require_staff(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.invoice(id).await?.ok_or(AppError::NotFound)?;
        let mut invoice = old.clone();
        let at = now();
        change(&mut tx, &mut invoice, at).await?;
        invoice.updated_at = at;
        tx.update_invoice(&invoice).await?;
        let change = Change { principal: p, meta };
        let event = change.event(
            EventAction::Updated,
            Subject(EntityType::Invoice, id, Some(invoice.customer_id)),
            None,
            json(&invoice),
            json(&old),
        );
        commit_with_event(tx, event).await?;
        Ok(invoice)
    }
}
