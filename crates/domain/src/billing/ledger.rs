//! Invoices, payments and refunds (SPEC §5.3): what a payment does to an invoice, where the excess goes, how
//! a balance is consumed, and how much of a payment can still be refunded. Amounts are minor units of one
//! currency (the caller has checked that the currencies agree).
use super::money::{MAX_MINOR_UNITS, MoneyError, check_amount};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum InvoiceStatus {
    /// Being put together: items may still be added; not payable until settled.
    Draft,
    /// Issued and payable.
    Open,
    Paid,
    /// Cancelled: takes no payment.
    Void,
}

/// A money operation that breaks a rule (SPEC §5.2: 409 `conflict`), or a malformed amount (422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("amount: {0}")]
    Amount(MoneyError),
    #[error("amount: must be more than 0")]
    Zero,
    #[error("a void invoice takes no payment")]
    PaymentOnVoid,
    #[error("a draft invoice takes no payment: settle it first")]
    PaymentOnDraft,
    #[error("the invoice is paid already")]
    AlreadyPaid,
    #[error("only {refundable} of this payment can still be refunded")]
    RefundAbovePaid { refundable: i64 },
    #[error("the total is above 10^15 minor units")]
    TooLarge,
}

/// A positive amount of money given by a user: a payment or a refund.
fn positive(amount: i64) -> Result<i64, LedgerError> {
    match check_amount(amount).map_err(LedgerError::Amount)? {
        0 => Err(LedgerError::Zero),
        n => Ok(n),
    }
}

/// The amount of an invoice item: `quantity × unit_amount`, refused beyond 10^15 minor units.
pub fn item_amount(quantity: u64, unit_amount: i64) -> Result<i64, LedgerError> {
    check_amount(unit_amount).map_err(LedgerError::Amount)?;
    let amount = i128::from(quantity) * i128::from(unit_amount);
    if amount > i128::from(MAX_MINOR_UNITS) {
        return Err(LedgerError::TooLarge);
    }
    i64::try_from(amount).map_err(|_| LedgerError::TooLarge)
}

/// The total of item amounts, refused beyond 10^15 minor units.
pub fn total(amounts: impl IntoIterator<Item = i64>) -> Result<i64, LedgerError> {
    let mut sum = 0i64;
    for a in amounts {
        sum = sum
            .checked_add(a)
            .filter(|s| *s <= MAX_MINOR_UNITS)
            .ok_or(LedgerError::TooLarge)?;
    }
    Ok(sum)
}

/// What a payment does to an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentEffect {
    /// The part that pays the invoice.
    pub applied: i64,
    /// The excess, credited to the subscription's (or customer's) balance.
    pub credit: i64,
    /// The invoice's `amount_paid` afterwards.
    pub amount_paid: i64,
    /// Whether the invoice is paid in full afterwards.
    pub paid: bool,
}

/// A payment of `amount` on an invoice of `total`, `amount_paid` of which is paid already. An open invoice
/// takes it: up to what is due pays the invoice, the rest is credit (SPEC §5.3: overpaying marks the invoice
/// paid and credits the balance).
pub fn apply_payment(
    status: InvoiceStatus,
    total: i64,
    amount_paid: i64,
    amount: i64,
) -> Result<PaymentEffect, LedgerError> {
    let amount = positive(amount)?;
    match status {
        InvoiceStatus::Void => return Err(LedgerError::PaymentOnVoid),
        InvoiceStatus::Draft => return Err(LedgerError::PaymentOnDraft),
        InvoiceStatus::Paid => return Err(LedgerError::AlreadyPaid),
        InvoiceStatus::Open => {}
    }
    let due = total.saturating_sub(amount_paid).max(0);
    let applied = amount.min(due);
    let amount_paid = amount_paid + applied;
    Ok(PaymentEffect {
        applied,
        credit: amount - applied,
        amount_paid,
        paid: amount_paid >= total,
    })
}

/// How much of a `balance` (credit) a new invoice with `due` to pay consumes, and what is left of it.
pub fn consume_credit(balance: i64, due: i64) -> (i64, i64) {
    let used = balance.max(0).min(due.max(0));
    (used, balance - used)
}

/// Checks a refund of `amount` against a payment of `paid`, `refunded` of which was refunded before: never
/// more than what is left; partial refunds are fine.
pub fn check_refund(paid: i64, refunded: i64, amount: i64) -> Result<i64, LedgerError> {
    let amount = positive(amount)?;
    let refundable = (paid - refunded).max(0);
    if amount > refundable {
        return Err(LedgerError::RefundAbovePaid { refundable });
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn payments_pay_then_credit() {
        let exact = apply_payment(InvoiceStatus::Open, 1000, 0, 1000).expect("pay");
        assert_eq!(
            (exact.applied, exact.credit, exact.amount_paid, exact.paid),
            (1000, 0, 1000, true)
        );
        let part = apply_payment(InvoiceStatus::Open, 1000, 0, 400).expect("pay");
        assert_eq!(
            (part.applied, part.credit, part.amount_paid, part.paid),
            (400, 0, 400, false)
        );
        let over = apply_payment(InvoiceStatus::Open, 1000, 400, 700).expect("pay");
        assert_eq!(
            (over.applied, over.credit, over.amount_paid, over.paid),
            (600, 100, 1000, true)
        );
    }

    #[test]
    fn payments_that_break_a_rule() {
        assert_eq!(
            apply_payment(InvoiceStatus::Void, 10, 0, 5),
            Err(LedgerError::PaymentOnVoid)
        );
        assert_eq!(
            apply_payment(InvoiceStatus::Draft, 10, 0, 5),
            Err(LedgerError::PaymentOnDraft)
        );
        assert_eq!(
            apply_payment(InvoiceStatus::Paid, 10, 10, 5),
            Err(LedgerError::AlreadyPaid)
        );
        assert_eq!(apply_payment(InvoiceStatus::Open, 10, 0, 0), Err(LedgerError::Zero));
        assert_eq!(
            apply_payment(InvoiceStatus::Open, 10, 0, -5),
            Err(LedgerError::Amount(MoneyError::Negative))
        );
        assert_eq!(
            apply_payment(InvoiceStatus::Open, 10, 0, MAX_MINOR_UNITS + 1),
            Err(LedgerError::Amount(MoneyError::TooLarge))
        );
    }

    #[test]
    fn refunds_never_exceed_what_was_paid() {
        assert_eq!(check_refund(1000, 0, 400), Ok(400));
        assert_eq!(check_refund(1000, 400, 600), Ok(600));
        assert_eq!(
            check_refund(1000, 400, 601),
            Err(LedgerError::RefundAbovePaid { refundable: 600 })
        );
        assert_eq!(
            check_refund(1000, 1000, 1),
            Err(LedgerError::RefundAbovePaid { refundable: 0 })
        );
    }

    #[test]
    fn items_and_totals_are_bounded() {
        assert_eq!(item_amount(3, 250), Ok(750));
        assert_eq!(item_amount(2, MAX_MINOR_UNITS), Err(LedgerError::TooLarge));
        assert_eq!(item_amount(u64::MAX, 1), Err(LedgerError::TooLarge));
        assert_eq!(total([MAX_MINOR_UNITS, 1]), Err(LedgerError::TooLarge));
        assert_eq!(total([]), Ok(0));
        assert_eq!(consume_credit(300, 1000), (300, 0));
        assert_eq!(consume_credit(1500, 1000), (1000, 500));
        assert_eq!(consume_credit(0, 1000), (0, 0));
    }

    proptest! {
        /// However an invoice is paid, paid + due = total while it is open, and every unit given is either
        /// applied or credited.
        #[test]
        fn paid_plus_due_is_the_total(total in 1i64..1_000_000, payments in prop::collection::vec(1i64..400_000, 1..8)) {
            let (mut paid, mut credit, mut status) = (0i64, 0i64, InvoiceStatus::Open);
            for amount in payments {
                match apply_payment(status, total, paid, amount) {
                    Ok(effect) => {
                        prop_assert_eq!(effect.applied + effect.credit, amount);
                        prop_assert!(effect.applied >= 0 && effect.credit >= 0);
                        paid = effect.amount_paid;
                        credit += effect.credit;
                        let due = total - paid;
                        prop_assert!(due >= 0);
                        prop_assert_eq!(paid + due, total);
                        prop_assert_eq!(effect.paid, due == 0);
                        if effect.paid {
                            status = InvoiceStatus::Paid;
                        } else {
                            prop_assert_eq!(effect.credit, 0, "no credit before the invoice is paid");
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(status, InvoiceStatus::Paid);
                        prop_assert_eq!(e, LedgerError::AlreadyPaid);
                    }
                }
            }
            prop_assert!(paid <= total);
            prop_assert!(credit >= 0);
        }

        /// Any sequence of refunds of one payment adds up to at most the payment.
        #[test]
        fn refunds_add_up_to_at_most_the_payment(paid in 1i64..1_000_000, asks in prop::collection::vec(1i64..600_000, 1..10)) {
            let mut refunded = 0i64;
            for ask in asks {
                if let Ok(amount) = check_refund(paid, refunded, ask) {
                    refunded += amount;
                }
                prop_assert!(refunded <= paid);
            }
        }

        #[test]
        fn credit_is_never_created_or_lost(balance in -1_000i64..1_000_000, due in 0i64..1_000_000) {
            let (used, left) = consume_credit(balance, due);
            prop_assert_eq!(used + left, balance);
            prop_assert!(used >= 0 && used <= due);
        }
    }
}
