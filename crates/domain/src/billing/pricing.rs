//! The price of a plan for a quantity (SPEC §5.1): flat, per unit, or by tiers, graduated or volume, as
//! Stripe means them. Exact integer arithmetic in minor units; a price beyond `MAX_MINOR_UNITS` is refused,
//! never wrapped.
use super::money::{MAX_MINOR_UNITS, MoneyError, check_amount};
use serde::{Deserialize, Serialize};

/// How a tiered plan prices a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TierMode {
    /// Each unit at the price of the tier it falls in, plus the `flat_amount` of every tier reached.
    Graduated,
    /// Every unit at the price of the tier that holds the whole quantity, plus that tier's `flat_amount`.
    Volume,
}

/// One tier: the units up to `up_to` (inclusive; `None` for the last, unbounded tier) that the tier before
/// it does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub up_to: Option<u64>,
    pub unit_amount: i64,
    pub flat_amount: i64,
}

/// A plan's pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pricing {
    /// One amount per period, whatever the quantity.
    Flat {
        amount: i64,
    },
    /// `amount` per unit.
    Unit {
        amount: i64,
    },
    Tiered {
        mode: TierMode,
        tiers: Vec<Tier>,
    },
}

/// Why a pricing or a quantity is refused; `field` names what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("{field}: {source}")]
    Amount { field: String, source: MoneyError },
    #[error("tiers: a tiered plan needs at least one tier")]
    NoTiers,
    #[error("tiers[{index}].up_to: {message}")]
    Tiers { index: usize, message: &'static str },
    #[error("quantity: a plan priced per unit needs a quantity of at least 1")]
    ZeroQuantity,
    #[error("the price of {quantity} units is above 10^15 minor units")]
    PriceTooLarge { quantity: u64 },
}

impl Pricing {
    /// Checks amounts (0 to 10^15 minor units) and tiers: at least one, `up_to` strictly ascending, every tier
    /// but the last bounded and the last unbounded.
    pub fn validate(&self) -> Result<(), PricingError> {
        let amount = |field: String, value: i64| {
            check_amount(value)
                .map(drop)
                .map_err(|source| PricingError::Amount { field, source })
        };
        match self {
            Pricing::Flat { amount: a } | Pricing::Unit { amount: a } => amount("amount".into(), *a),
            Pricing::Tiered { tiers, .. } => {
                if tiers.is_empty() {
                    return Err(PricingError::NoTiers);
                }
                let last = tiers.len() - 1;
                let mut below = 0u64;
                for (index, tier) in tiers.iter().enumerate() {
                    amount(format!("tiers[{index}].unit_amount"), tier.unit_amount)?;
                    amount(format!("tiers[{index}].flat_amount"), tier.flat_amount)?;
                    match (tier.up_to, index == last) {
                        (None, true) => {}
                        (None, false) => {
                            return Err(PricingError::Tiers {
                                index,
                                message: "only the last tier may be unbounded (null)",
                            });
                        }
                        (Some(_), true) => {
                            return Err(PricingError::Tiers {
                                index,
                                message: "the last tier must be unbounded (null)",
                            });
                        }
                        (Some(up_to), false) if up_to <= below => {
                            return Err(PricingError::Tiers {
                                index,
                                message: "tiers must go up: each up_to above the one before, the first at least 1",
                            });
                        }
                        (Some(up_to), false) => below = up_to,
                    }
                }
                Ok(())
            }
        }
    }

    /// Whether the quantity matters (per unit or tiered): such a plan is never subscribed with quantity 0.
    pub fn counts_units(&self) -> bool {
        !matches!(self, Pricing::Flat { .. })
    }

    /// A subscription's quantity for this plan: at least 1 where units are counted.
    pub fn check_quantity(&self, quantity: u64) -> Result<u64, PricingError> {
        if quantity == 0 && self.counts_units() {
            Err(PricingError::ZeroQuantity)
        } else {
            Ok(quantity)
        }
    }

    /// The price of `quantity` units for one period, in minor units. Zero units of a per-unit or tiered
    /// plan cost nothing (no tier is reached; a plan counting end users can meet a customer with none).
    /// Assumes [`Pricing::validate`] passed.
    pub fn price(&self, quantity: u64) -> Result<i64, PricingError> {
        let too_large = || PricingError::PriceTooLarge { quantity };
        let total: i128 = match self {
            Pricing::Flat { amount } => i128::from(*amount),
            Pricing::Unit { amount } => i128::from(quantity) * i128::from(*amount),
            Pricing::Tiered { .. } if quantity == 0 => 0,
            Pricing::Tiered {
                mode: TierMode::Graduated,
                tiers,
            } => {
                let mut total = 0i128;
                let mut below = 0u64;
                for tier in tiers {
                    if quantity <= below {
                        break;
                    }
                    let top = tier.up_to.map_or(quantity, |up_to| up_to.min(quantity));
                    total += i128::from(top - below) * i128::from(tier.unit_amount) + i128::from(tier.flat_amount);
                    below = top;
                }
                total
            }
            Pricing::Tiered {
                mode: TierMode::Volume,
                tiers,
            } => {
                let tier = tiers
                    .iter()
                    .find(|t| t.up_to.is_none_or(|up_to| quantity <= up_to))
                    .or(tiers.last())
                    .ok_or(PricingError::NoTiers)?;
                i128::from(quantity) * i128::from(tier.unit_amount) + i128::from(tier.flat_amount)
            }
        };
        if total > i128::from(MAX_MINOR_UNITS) {
            return Err(too_large());
        }
        i64::try_from(total).map_err(|_| too_large())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tier(up_to: Option<u64>, unit_amount: i64, flat_amount: i64) -> Tier {
        Tier {
            up_to,
            unit_amount,
            flat_amount,
        }
    }

    /// Stripe's documented example: 1–5 at 5.00, 6–10 at 4.00, 11+ at 3.00, with flat fees 1.00 / 0 / 2.00.
    fn tiers() -> Vec<Tier> {
        vec![tier(Some(5), 500, 100), tier(Some(10), 400, 0), tier(None, 300, 200)]
    }

    #[test]
    fn graduated_tiers_price_each_unit_where_it_falls() {
        let p = Pricing::Tiered {
            mode: TierMode::Graduated,
            tiers: tiers(),
        };
        p.validate().expect("valid");
        assert_eq!(p.price(0), Ok(0), "no unit, no tier reached");
        assert_eq!(p.price(1), Ok(500 + 100));
        assert_eq!(p.price(5), Ok(5 * 500 + 100), "the tier's inclusive bound");
        assert_eq!(p.price(6), Ok(5 * 500 + 100 + 400), "one unit into the second tier");
        assert_eq!(p.price(10), Ok(5 * 500 + 100 + 5 * 400));
        assert_eq!(p.price(11), Ok(5 * 500 + 100 + 5 * 400 + 300 + 200));
        assert_eq!(p.price(20), Ok(5 * 500 + 100 + 5 * 400 + 10 * 300 + 200));
    }

    #[test]
    fn volume_tiers_price_every_unit_at_the_tier_holding_the_quantity() {
        let p = Pricing::Tiered {
            mode: TierMode::Volume,
            tiers: tiers(),
        };
        assert_eq!(p.price(0), Ok(0));
        assert_eq!(p.price(5), Ok(5 * 500 + 100));
        assert_eq!(p.price(6), Ok(6 * 400));
        assert_eq!(p.price(10), Ok(10 * 400));
        assert_eq!(p.price(11), Ok(11 * 300 + 200));
    }

    /// The worked example of docs/billing.md ("Plans").
    #[test]
    fn the_documented_example() {
        let doc_tiers = vec![tier(Some(5), 500, 100), tier(None, 300, 0)];
        let graduated = Pricing::Tiered {
            mode: TierMode::Graduated,
            tiers: doc_tiers.clone(),
        };
        let volume = Pricing::Tiered {
            mode: TierMode::Volume,
            tiers: doc_tiers,
        };
        assert_eq!((graduated.price(7), volume.price(7)), (Ok(3_200), Ok(2_100)));
    }

    #[test]
    fn flat_and_unit_plans() {
        assert_eq!(Pricing::Flat { amount: 1999 }.price(7), Ok(1999));
        assert_eq!(Pricing::Unit { amount: 250 }.price(4), Ok(1000));
        assert_eq!(
            Pricing::Unit { amount: 250 }.check_quantity(0),
            Err(PricingError::ZeroQuantity)
        );
        assert_eq!(Pricing::Flat { amount: 1 }.check_quantity(0), Ok(0));
        assert_eq!(
            Pricing::Unit {
                amount: MAX_MINOR_UNITS
            }
            .price(2),
            Err(PricingError::PriceTooLarge { quantity: 2 })
        );
        assert_eq!(
            Pricing::Unit {
                amount: MAX_MINOR_UNITS
            }
            .price(u64::MAX),
            Err(PricingError::PriceTooLarge { quantity: u64::MAX })
        );
    }

    #[test]
    fn bad_pricings_name_what_to_fix() {
        let tiered = |tiers| Pricing::Tiered {
            mode: TierMode::Graduated,
            tiers,
        };
        assert_eq!(tiered(vec![]).validate(), Err(PricingError::NoTiers));
        assert!(matches!(
            tiered(vec![tier(Some(10), 1, 0), tier(Some(5), 1, 0), tier(None, 1, 0)]).validate(),
            Err(PricingError::Tiers { index: 1, .. })
        ));
        assert!(matches!(
            tiered(vec![tier(Some(10), 1, 0), tier(Some(10), 1, 0), tier(None, 1, 0)]).validate(),
            Err(PricingError::Tiers { index: 1, .. })
        ));
        assert!(matches!(
            tiered(vec![tier(Some(0), 1, 0), tier(None, 1, 0)]).validate(),
            Err(PricingError::Tiers { index: 0, .. })
        ));
        assert!(matches!(
            tiered(vec![tier(None, 1, 0), tier(None, 1, 0)]).validate(),
            Err(PricingError::Tiers { index: 0, .. })
        ));
        assert!(matches!(
            tiered(vec![tier(Some(5), 1, 0)]).validate(),
            Err(PricingError::Tiers { index: 0, .. })
        ));
        assert_eq!(
            tiered(vec![tier(None, -1, 0)]).validate(),
            Err(PricingError::Amount {
                field: "tiers[0].unit_amount".into(),
                source: MoneyError::Negative
            })
        );
        assert_eq!(
            Pricing::Flat {
                amount: MAX_MINOR_UNITS + 1
            }
            .validate(),
            Err(PricingError::Amount {
                field: "amount".into(),
                source: MoneyError::TooLarge
            })
        );
        assert_eq!(tiered(tiers()).validate(), Ok(()));
    }

    /// Valid tiers: ascending bounds, small amounts, the last unbounded.
    fn any_tiers() -> impl Strategy<Value = Vec<Tier>> {
        prop::collection::vec((1u64..20, 0i64..10_000, 0i64..10_000), 1..5).prop_map(|steps| {
            let mut up_to = 0;
            let last = steps.len() - 1;
            steps
                .into_iter()
                .enumerate()
                .map(|(i, (step, unit, flat))| {
                    up_to += step;
                    tier((i < last).then_some(up_to), unit, flat)
                })
                .collect()
        })
    }

    /// The tier unit `k` (1-based) falls in.
    fn tier_of(tiers: &[Tier], k: u64) -> usize {
        tiers
            .iter()
            .position(|t| t.up_to.is_none_or(|u| k <= u))
            .unwrap_or(tiers.len() - 1)
    }

    proptest! {
        #[test]
        fn graduated_total_is_the_sum_of_its_units(tiers in any_tiers(), quantity in 0u64..120) {
            let p = Pricing::Tiered { mode: TierMode::Graduated, tiers: tiers.clone() };
            prop_assert_eq!(p.validate(), Ok(()));
            // Unit by unit: each at its tier's unit price, and each tier's flat fee once it is reached.
            let mut expected = 0i64;
            let mut reached = std::collections::BTreeSet::new();
            for k in 1..=quantity {
                let t = tier_of(&tiers, k);
                expected += tiers[t].unit_amount;
                if reached.insert(t) {
                    expected += tiers[t].flat_amount;
                }
            }
            prop_assert_eq!(p.price(quantity), Ok(expected));
            // More units never cost less.
            prop_assert!(p.price(quantity + 1).expect("price") >= expected);
        }

        #[test]
        fn volume_prices_all_units_at_one_tier(tiers in any_tiers(), quantity in 1u64..120) {
            let p = Pricing::Tiered { mode: TierMode::Volume, tiers: tiers.clone() };
            let t = &tiers[tier_of(&tiers, quantity)];
            prop_assert_eq!(p.price(quantity), Ok(quantity as i64 * t.unit_amount + t.flat_amount));
        }

        #[test]
        fn prices_never_exceed_the_bound(amount in 0..=MAX_MINOR_UNITS, quantity in any::<u64>()) {
            match (Pricing::Unit { amount }).price(quantity) {
                Ok(price) => {
                    prop_assert!(price <= MAX_MINOR_UNITS);
                    prop_assert_eq!(i128::from(price), i128::from(amount) * i128::from(quantity));
                }
                Err(e) => prop_assert_eq!(e, PricingError::PriceTooLarge { quantity }),
            }
        }
    }
}
