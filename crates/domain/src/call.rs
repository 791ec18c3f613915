//! A telephony call as the screen pop recorded it (SPEC §7.4).
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// `{callid, ani, brand, customer, ticket, agent, time}`: who called which brand, what the lookup by the
/// caller's number found, the agent whose browser popped, and the ticket opened from the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Call {
    pub id: i64,
    /// The phone system's id of the call (may be empty when it sent none).
    pub callid: String,
    /// The caller's number as the phone system sent it.
    pub ani: String,
    pub brand_id: i64,
    /// The local customer the number matched, if any.
    pub customer_id: Option<i64>,
    pub end_user_id: Option<i64>,
    /// The account the brand's `webcall` backend matched, if any.
    pub account_key: Option<String>,
    pub ticket_id: Option<i64>,
    /// The staff member who took the call.
    pub staff_id: Option<i64>,
    /// Why the lookup failed (the backend was down), when it did.
    pub lookup_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}
