//! Invoices (SPEC §5.3): items, totals, and numbers that are gapless per year.
use super::ledger::{InvoiceStatus, LedgerError, item_amount, total};
use super::money::Currency;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceItem {
    pub description: String,
    pub quantity: u64,
    /// Minor units of the invoice's currency.
    pub unit_amount: i64,
    /// `quantity × unit_amount`.
    pub amount: i64,
}

impl InvoiceItem {
    pub fn new(description: String, quantity: u64, unit_amount: i64) -> Result<Self, LedgerError> {
        Ok(Self {
            amount: item_amount(quantity, unit_amount)?,
            description,
            quantity,
            unit_amount,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    pub id: i64,
    pub customer_id: i64,
    pub subscription_id: Option<i64>,
    /// `2027-000042`: the year it was issued in and its place in that year, given when it is issued (a
    /// draft has none), never reused, never skipped.
    pub number: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: InvoiceStatus,
    pub items: Vec<InvoiceItem>,
    pub subtotal: i64,
    pub total: i64,
    /// Paid so far: payments applied, and credit taken from the subscription's balance when it was issued.
    pub amount_paid: i64,
    pub amount_due: i64,
    /// The part of `amount_paid` that the subscription's balance (credit) paid.
    pub credit_applied: i64,
    /// The subscription period a renewal invoice bills (`[period_start, period_end)`); one invoice per period.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub period_start: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub period_end: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub issued_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub paid_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

impl Invoice {
    /// A new draft of `items` made at `at`, nothing paid: its totals from the items (refused past 10^15).
    pub fn draft(
        customer_id: i64,
        subscription_id: Option<i64>,
        currency: Currency,
        items: Vec<InvoiceItem>,
        at: Timestamp,
    ) -> Result<Self, LedgerError> {
        let total = totals(&items)?;
        Ok(Self {
            id: 0,
            customer_id,
            subscription_id,
            number: None,
            currency,
            status: InvoiceStatus::Draft,
            items,
            subtotal: total,
            total,
            amount_paid: 0,
            amount_due: total,
            credit_applied: 0,
            period_start: None,
            period_end: None,
            issued_at: None,
            due_at: None,
            paid_at: None,
            created_at: at,
            updated_at: at,
        })
    }
}

/// The subtotal (and, with no taxes or discounts yet, total) of `items`.
pub fn totals(items: &[InvoiceItem]) -> Result<i64, LedgerError> {
    total(items.iter().map(|i| i.amount))
}

/// The number of the `sequence`-th invoice issued in `year`.
pub fn number(year: i16, sequence: i64) -> String {
    format!("{year:04}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_totals() {
        assert_eq!(number(2027, 42), "2027-000042");
        assert_eq!(number(2027, 1_234_567), "2027-1234567");
        let items = [
            InvoiceItem::new("Seats".into(), 3, 1500).expect("item"),
            InvoiceItem::new("Setup".into(), 1, 2500).expect("item"),
        ];
        assert_eq!(items[0].amount, 4500);
        assert_eq!(totals(&items), Ok(7000));
        assert_eq!(
            InvoiceItem::new("x".into(), 1, -1),
            Err(LedgerError::Amount(super::super::MoneyError::Negative))
        );
    }
}

/// An item added to a subscription (TeamTools' `addInvoiceItem`) that its next invoice picks up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingItem {
    pub id: i64,
    pub subscription_id: i64,
    #[serde(flatten)]
    pub item: InvoiceItem,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A payment applied to an invoice (SPEC §5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub id: i64,
    pub invoice_id: i64,
    /// What was paid, in minor units of the invoice's currency.
    pub amount: i64,
    /// The part that paid the invoice.
    pub applied: i64,
    /// The excess, credited to the subscription's balance.
    pub credited: i64,
    /// How much of it was refunded so far.
    pub refunded: i64,
    pub method: String,
    pub reference: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A refund of (part of) a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refund {
    pub id: i64,
    pub payment_id: i64,
    pub invoice_id: i64,
    pub amount: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}
