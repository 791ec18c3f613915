//! Support levels (SPEC §5.4): what a support contract promises.
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupportLevel {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The longest wait for a first staff answer that the level promises; `None`: no promise.
    pub max_first_response_minutes: Option<u32>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// The longest first-response promise a level may make: a year, in minutes.
pub const MAX_FIRST_RESPONSE_MINUTES: u32 = 525_600;
