//! The hook points of SPEC §4: every name a hook script, a webhook or the event log uses, written once here.
use crate::ticket::Side;
use serde::{Deserialize, Serialize};

/// When a hook runs, which decides what it may return (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookKind {
    /// Returns HTML for a slot of the web UI.
    View,
    /// Runs before the write and may reject it.
    Validation,
    /// Runs after commit, once per event of the log (the outbox).
    Event,
}

/// A named hook point. The name on the wire, in scripts and in the event log's `name` is the variant's name,
/// exactly as SPEC §4 spells it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum HookPoint {
    // View hooks: HTML for a slot of the web UI.
    TicketAdminAreaViewDetail,
    TicketAdminAreaViewDetailSidebar,
    TicketAdminAreaViewCreate,
    TicketAdminAreaViewCreateSidebar,
    TicketAdminAreaViewList,
    TicketClientAreaViewDetailTop,
    TicketClientAreaViewDetail,
    TicketClientAreaViewCreate,
    TicketClientAreaViewList,
    // Validation hooks: before the write.
    TicketClientCreateValidation,
    TicketAdminCreateValidation,
    TicketClientReplyValidation,
    TicketAdminReplyValidation,
    // Event hooks, WiseCP's.
    TicketClientCreated,
    TicketAdminCreated,
    TicketClientReplied,
    TicketAdminReplied,
    TicketAdminUpdated,
    TicketDeleted,
    TicketReplyModified,
    TicketReplyDeleted,
    TicketSolved,
    TicketLockChange,
    TicketDepartmentChange,
    TicketPriorityChange,
    TicketStatusChange,
    TicketAssignedChange,
    TicketServiceChange,
    // Event hooks beyond WiseCP.
    CustomerCreated,
    CustomerUpdated,
    CustomerDeleted,
    CustomerRestored,
    EndUserCreated,
    EndUserUpdated,
    EndUserDeleted,
    EndUserRestored,
    SubscriptionCreated,
    SubscriptionUpdated,
    SubscriptionCanceled,
    InvoiceCreated,
    InvoicePaid,
    PaymentApplied,
    RefundCreated,
    IncidentRedeemed,
    IncidentUnredeemed,
    BillingLinkAssigned,
    CallReceived,
}

impl HookPoint {
    /// Every hook point, in SPEC §4's order.
    pub const ALL: &'static [HookPoint] = <Self as strum::VariantArray>::VARIANTS;

    /// The name, as scripts register it and the event log records it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    pub fn kind(self) -> HookKind {
        use HookPoint::*;
        match self {
            TicketAdminAreaViewDetail
            | TicketAdminAreaViewDetailSidebar
            | TicketAdminAreaViewCreate
            | TicketAdminAreaViewCreateSidebar
            | TicketAdminAreaViewList
            | TicketClientAreaViewDetailTop
            | TicketClientAreaViewDetail
            | TicketClientAreaViewCreate
            | TicketClientAreaViewList => HookKind::View,
            TicketClientCreateValidation
            | TicketAdminCreateValidation
            | TicketClientReplyValidation
            | TicketAdminReplyValidation => HookKind::Validation,
            _ => HookKind::Event,
        }
    }

    /// A ticket opened: the Admin variant for staff, the Client variant for end users.
    pub fn ticket_created(side: Side) -> Self {
        match side {
            Side::Staff => Self::TicketAdminCreated,
            Side::Customer => Self::TicketClientCreated,
        }
    }

    /// Before a ticket is opened: the Admin variant for staff, the Client variant for end users.
    pub fn create_validation(side: Side) -> Self {
        match side {
            Side::Staff => Self::TicketAdminCreateValidation,
            Side::Customer => Self::TicketClientCreateValidation,
        }
    }

    /// Before a reply is added.
    pub fn reply_validation(side: Side) -> Self {
        match side {
            Side::Staff => Self::TicketAdminReplyValidation,
            Side::Customer => Self::TicketClientReplyValidation,
        }
    }

    /// A reply added (not an internal note, which fires no reply hook).
    pub fn ticket_replied(side: Side) -> Self {
        match side {
            Side::Staff => Self::TicketAdminReplied,
            Side::Customer => Self::TicketClientReplied,
        }
    }
}

impl std::fmt::Display for HookPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §4, "Hook names and when they run — exactly these names", as written there.
    const SPEC_TABLE: &str = r#"
| view (return HTML for a slot in the web UI) | `TicketAdminAreaViewDetail`, `TicketAdminAreaViewDetailSidebar`, `TicketAdminAreaViewCreate`, `TicketAdminAreaViewCreateSidebar`, `TicketAdminAreaViewList`, `TicketClientAreaViewDetailTop`, `TicketClientAreaViewDetail`, `TicketClientAreaViewCreate`, `TicketClientAreaViewList` |
| validation (before the write; may reject) | `TicketClientCreateValidation`, `TicketAdminCreateValidation`, `TicketClientReplyValidation`, `TicketAdminReplyValidation` |
| event (after commit) | `TicketClientCreated`, `TicketAdminCreated`, `TicketClientReplied`, `TicketAdminReplied`, `TicketAdminUpdated`, `TicketDeleted`, `TicketReplyModified`, `TicketReplyDeleted`, `TicketSolved`, `TicketLockChange`, `TicketDepartmentChange`, `TicketPriorityChange`, `TicketStatusChange`, `TicketAssignedChange`, `TicketServiceChange` |
| event, beyond WiseCP | `CustomerCreated`, `CustomerUpdated`, `CustomerDeleted`, `CustomerRestored`, `EndUserCreated`, `EndUserUpdated`, `EndUserDeleted`, `EndUserRestored`, `SubscriptionCreated`, `SubscriptionUpdated`, `SubscriptionCanceled`, `InvoiceCreated`, `InvoicePaid`, `PaymentApplied`, `RefundCreated`, `IncidentRedeemed`, `IncidentUnredeemed`, `BillingLinkAssigned`, `CallReceived` |
"#;

    /// The table's rows as (kind, names), the kind read from the row's first cell.
    fn spec_rows() -> Vec<(HookKind, Vec<&'static str>)> {
        SPEC_TABLE
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
                let kind = match cells[0].split([' ', ',']).next() {
                    Some("view") => HookKind::View,
                    Some("validation") => HookKind::Validation,
                    Some("event") => HookKind::Event,
                    other => panic!("unknown kind {other:?}"),
                };
                let names = cells[1].split(',').map(|n| n.trim().trim_matches('`')).collect();
                (kind, names)
            })
            .collect()
    }

    #[test]
    fn the_enum_is_specs_table_in_order_with_its_kinds() {
        let spec: Vec<(&str, HookKind)> = spec_rows()
            .into_iter()
            .flat_map(|(kind, names)| names.into_iter().map(move |n| (n, kind)))
            .collect();
        let ours: Vec<(&str, HookKind)> = HookPoint::ALL.iter().map(|h| (h.as_str(), h.kind())).collect();
        assert_eq!(ours, spec);
        assert_eq!(ours.len(), 9 + 4 + 15 + 19);
    }

    #[test]
    fn admin_variants_for_staff_client_variants_for_end_users() {
        assert_eq!(HookPoint::ticket_created(Side::Staff).as_str(), "TicketAdminCreated");
        assert_eq!(
            HookPoint::ticket_created(Side::Customer).as_str(),
            "TicketClientCreated"
        );
        assert_eq!(HookPoint::ticket_replied(Side::Staff).as_str(), "TicketAdminReplied");
        assert_eq!(
            HookPoint::ticket_replied(Side::Customer).as_str(),
            "TicketClientReplied"
        );
    }

    #[test]
    fn names_parse_exactly() {
        assert_eq!(HookPoint::parse("TicketSolved"), Some(HookPoint::TicketSolved));
        assert_eq!(HookPoint::parse("ticketsolved"), None);
        assert_eq!(HookPoint::parse("TicketUpdated"), None);
    }
}
