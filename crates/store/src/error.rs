//! The storage error: what can go wrong below the use cases, with broken constraints named by type.
use std::fmt;
use thiserror::Error;

/// Any error a driver reports, kept as the source of an [`StoreError::Internal`] or
/// [`StoreError::Unavailable`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong below the use cases. Each backend maps its driver's errors onto these once (constraint
/// names included), so use cases match on variants, never on message text.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule was broken.
    #[error("unique constraint violated: {0}")]
    Unique(UniqueKey),
    /// A row refers to one that does not exist (or one still referred to was deleted).
    #[error("reference constraint violated: {0}")]
    Reference(ForeignKey),
    /// The database cannot be reached or is restarting; the request may be retried.
    #[error("database unavailable: {message}")]
    Unavailable {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
    /// A row could not be decoded, or the database answered something unexpected.
    #[error("storage error: {message}")]
    Internal {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl StoreError {
    /// [`StoreError::Unavailable`] without an underlying error.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: None,
        }
    }

    /// [`StoreError::Unavailable`] caused by `source`.
    pub fn unavailable_from(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// [`StoreError::Internal`] without an underlying error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// [`StoreError::Internal`] caused by `source`.
    pub fn internal_from(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// The unique keys of the schema: which one a write broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UniqueKey {
    /// `staff.email`
    StaffEmail,
    /// `brands.slug`
    BrandSlug,
    /// `departments.slug`
    DepartmentSlug,
    /// `customers.external_id`
    CustomerExternalId,
    /// `end_users.email`, unique per customer among live end users (`end_users_customer_email`)
    EndUserEmail,
    /// `api_tokens.secret_hash`
    TokenSecret,
    /// `customers.email` (`customers_email`)
    CustomerEmail,
    /// `attributes.name`, per entity, ignoring case (`attributes_name`)
    AttributeName,
    /// A unique attribute's value (`attribute_values_unique`); the attribute's id when the store knows it.
    AttributeValue(Option<i64>),
    /// `features.unique_key`
    FeatureKey,
    /// One live subscription per customer and group (`subscriptions_one_per_group`).
    SubscriptionGroup,
    /// `billing_links (billing_system, billing_id)`
    BillingLink,
    /// One invoice per subscription period (`invoices_one_per_period`).
    InvoicePeriod,
    /// A ticket redeems an incident type once (`ticket_incidents (ticket_id, type)`).
    TicketIncident,
    /// A row's id (a primary key).
    Id,
    /// A key this build does not know by name (the backend's name for it).
    Other(String),
}

impl fmt::Display for UniqueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StaffEmail => "staff.email",
            Self::BrandSlug => "brands.slug",
            Self::DepartmentSlug => "departments.slug",
            Self::CustomerExternalId => "customers.external_id",
            Self::EndUserEmail => "end_users.email",
            Self::TokenSecret => "api_tokens.secret_hash",
            Self::CustomerEmail => "customers.email",
            Self::AttributeName => "attributes.name",
            Self::AttributeValue(_) => "attribute_values.unique_value",
            Self::FeatureKey => "features.unique_key",
            Self::SubscriptionGroup => "subscriptions.group_id",
            Self::BillingLink => "billing_links.billing_id",
            Self::InvoicePeriod => "invoices.period_start",
            Self::TicketIncident => "ticket_incidents.type",
            Self::Id => "id",
            Self::Other(name) => name,
        })
    }
}

/// The foreign keys of the schema: which reference a write broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForeignKey {
    /// `departments.brand_id`
    DepartmentBrand,
    /// `end_users.customer_id`
    EndUserCustomer,
    /// `api_tokens.end_user_id`
    TokenEndUser,
    /// `api_tokens.created_by`
    TokenCreator,
    /// `tickets.did`
    TicketDepartment,
    /// `tickets.user_id`
    TicketEndUser,
    /// `tickets.customer_id`
    TicketCustomer,
    /// `tickets.assigned`
    TicketAssignee,
    /// `tickets.assigned_by`
    TicketAssigner,
    /// `replies.ticket_id`
    ReplyTicket,
    /// SQLite reports only that *a* foreign key failed, never which one.
    Unnamed,
    /// A key this build does not know by name (the backend's name for it).
    Other(String),
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DepartmentBrand => "departments.brand_id",
            Self::EndUserCustomer => "end_users.customer_id",
            Self::TokenEndUser => "api_tokens.end_user_id",
            Self::TokenCreator => "api_tokens.created_by",
            Self::TicketDepartment => "tickets.did",
            Self::TicketEndUser => "tickets.user_id",
            Self::TicketCustomer => "tickets.customer_id",
            Self::TicketAssignee => "tickets.assigned",
            Self::TicketAssigner => "tickets.assigned_by",
            Self::ReplyTicket => "replies.ticket_id",
            Self::Unnamed => "a foreign key",
            Self::Other(name) => name,
        })
    }
}
