//! Money: integer minor units carried with their currency (SPEC §5.1). No floats anywhere, and amounts of
//! two currencies never meet: adding them is an error, never a conversion.
use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest amount ferrodesk accepts, in minor units: 10^15 (SPEC §5.2: above it an amount is malformed,
/// 422). Ten trillion euros; far below `i64::MAX`, so sums of a few thousand amounts cannot overflow.
pub const MAX_MINOR_UNITS: i64 = 1_000_000_000_000_000;

/// Why an amount or a currency is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("amounts in {expected} and {found} cannot be combined")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("the amount must not be negative")]
    Negative,
    #[error("the amount is above 10^15 minor units")]
    TooLarge,
}

/// An ISO 4217 currency, by its alphabetic code (`EUR`); parsed case-insensitively, shown in capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&upper)
            .map(Self)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// How many decimal places its minor unit has (2 for EUR, 0 for JPY, 3 for KWD; 0 where ISO 4217
    /// names none, as for gold).
    pub fn exponent(&self) -> u32 {
        self.0.exponent().map_or(0, u32::from)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;

    fn try_from(code: String) -> Result<Self, MoneyError> {
        Self::parse(&code)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

/// An amount a user may give: a price, a payment, a refund. Whole minor units, 0 to [`MAX_MINOR_UNITS`].
pub fn check_amount(minor_units: i64) -> Result<i64, MoneyError> {
    match minor_units {
        n if n < 0 => Err(MoneyError::Negative),
        n if n > MAX_MINOR_UNITS => Err(MoneyError::TooLarge),
        n => Ok(n),
    }
}

/// An amount with its currency. Arithmetic is checked: another currency is an error, and so is a result
/// beyond ±[`MAX_MINOR_UNITS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn zero(currency: Currency) -> Self {
        Self { amount: 0, currency }
    }

    /// `amount` in `currency`, if within ±[`MAX_MINOR_UNITS`] (balances and credits may be negative).
    pub fn new(amount: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount.checked_abs().is_none_or(|a| a > MAX_MINOR_UNITS) {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self { amount, currency })
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Money::new(
            self.amount.checked_add(other.amount).ok_or(MoneyError::TooLarge)?,
            self.currency,
        )
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Money::new(
            self.amount.checked_sub(other.amount).ok_or(MoneyError::TooLarge)?,
            self.currency,
        )
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                expected: self.currency,
                found: other.currency,
            })
        }
    }
}

impl fmt::Display for Money {
    /// `12.34 EUR`, `1200 JPY`, `-0.05 USD`: the minor units placed by the currency's exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = self.currency.exponent();
        let sign = if self.amount < 0 { "-" } else { "" };
        let units = self.amount.unsigned_abs();
        if exponent == 0 {
            return write!(f, "{sign}{units} {}", self.currency);
        }
        let scale = 10u64.pow(exponent);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            units / scale,
            units % scale,
            self.currency,
            width = exponent as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    #[test]
    fn currencies_are_iso_codes_in_any_case() {
        assert_eq!(Currency::parse("eur").map(|c| c.code()), Ok("EUR"));
        assert_eq!(Currency::parse(" usd ").map(|c| c.exponent()), Ok(2));
        assert_eq!(Currency::parse("JPY").map(|c| c.exponent()), Ok(0));
        assert_eq!(Currency::parse("KWD").map(|c| c.exponent()), Ok(3));
        for bad in ["", "EU", "EURO", "XXY", "€", "e u"] {
            assert!(
                matches!(Currency::parse(bad), Err(MoneyError::UnknownCurrency(_))),
                "{bad:?}"
            );
        }
        let json: Currency = serde_json::from_str("\"gbp\"").expect("json");
        assert_eq!(serde_json::to_string(&json).expect("json"), "\"GBP\"");
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }

    #[test]
    fn amounts_are_bounded() {
        assert_eq!(check_amount(0), Ok(0));
        assert_eq!(check_amount(MAX_MINOR_UNITS), Ok(MAX_MINOR_UNITS));
        assert_eq!(check_amount(MAX_MINOR_UNITS + 1), Err(MoneyError::TooLarge));
        assert_eq!(check_amount(-1), Err(MoneyError::Negative));
        assert_eq!(check_amount(i64::MIN), Err(MoneyError::Negative));
        assert_eq!(Money::new(i64::MIN, eur()), Err(MoneyError::TooLarge));
    }

    #[test]
    fn currencies_never_mix() {
        let usd = Currency::parse("USD").expect("USD");
        let sum = Money::zero(eur()).checked_add(Money::zero(usd));
        assert_eq!(
            sum,
            Err(MoneyError::CurrencyMismatch {
                expected: eur(),
                found: usd
            })
        );
    }

    #[test]
    fn money_is_shown_with_its_minor_units_placed() {
        let show = |amount, code| {
            Money::new(amount, Currency::parse(code).expect("currency"))
                .expect("money")
                .to_string()
        };
        assert_eq!(show(1234, "EUR"), "12.34 EUR");
        assert_eq!(show(5, "USD"), "0.05 USD");
        assert_eq!(show(-5, "USD"), "-0.05 USD");
        assert_eq!(show(1200, "JPY"), "1200 JPY");
        assert_eq!(show(1, "KWD"), "0.001 KWD");
    }

    proptest! {
        #[test]
        fn sums_are_exact_or_refused(a in -MAX_MINOR_UNITS..=MAX_MINOR_UNITS, b in -MAX_MINOR_UNITS..=MAX_MINOR_UNITS) {
            let (x, y) = (Money::new(a, eur()).expect("a"), Money::new(b, eur()).expect("b"));
            match x.checked_add(y) {
                Ok(sum) => {
                    prop_assert_eq!(i128::from(sum.amount), i128::from(a) + i128::from(b));
                    prop_assert_eq!(sum.checked_sub(y), Ok(x));
                }
                Err(e) => {
                    prop_assert_eq!(e, MoneyError::TooLarge);
                    prop_assert!((i128::from(a) + i128::from(b)).abs() > i128::from(MAX_MINOR_UNITS));
                }
            }
        }
    }
}
