//! The WiseCP ticket model and the rules that move a ticket between states.
use crate::names::one_of;
use crate::{Timestamp, int_bool};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::LazyLock;

/// Where a ticket stands in its conversation.
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
    strum::VariantNames,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum TicketStatus {
    /// Awaiting an answer from staff.
    Waiting,
    /// Staff answered; the ball is with the customer.
    Replied,
    /// Staff is working on it.
    Process,
    Solved,
}

impl TicketStatus {
    pub const ALL: &'static [TicketStatus] = <Self as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        static INVALID: LazyLock<String> = LazyLock::new(one_of::<TicketStatus>);
        s.parse().map_err(|_| INVALID.as_str())
    }
}

impl fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 1 = low, 2 = medium, 3 = high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = u8, minimum = 1, maximum = 3))]
#[serde(try_from = "i64", into = "i64")]
pub struct Priority(u8);

impl Priority {
    pub const LOW: Priority = Priority(1);
    pub const MEDIUM: Priority = Priority(2);
    pub const HIGH: Priority = Priority(3);
    pub const INVALID: &'static str = "must be 1, 2 or 3";

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Priority {
    type Error = &'static str;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        match v {
            1..=3 => Ok(Priority(v as u8)),
            _ => Err(Self::INVALID),
        }
    }
}

impl From<Priority> for i64 {
    fn from(p: Priority) -> i64 {
        i64::from(p.0)
    }
}

/// Which side of the conversation acts: the help desk's staff or the customer's people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Staff,
    Customer,
}

/// A support ticket, with WiseCP's field names on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: i64,
    /// Department id.
    pub did: i64,
    /// The end user who opened it (the requester).
    pub user_id: i64,
    pub customer_id: i64,
    pub status: TicketStatus,
    #[serde(with = "int_bool")]
    #[cfg_attr(feature = "openapi", schema(value_type = u8))]
    pub locked: bool,
    pub priority: Priority,
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ctime: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub lastreply: Timestamp,
    /// WiseCP's `userunread`: 1 when the customer has read the latest staff message.
    #[serde(rename = "userunread", with = "int_bool")]
    #[cfg_attr(feature = "openapi", schema(value_type = u8))]
    pub read_by_customer: bool,
    /// WiseCP's `adminunread`: 1 when staff has read the latest customer message.
    #[serde(rename = "adminunread", with = "int_bool")]
    #[cfg_attr(feature = "openapi", schema(value_type = u8))]
    pub read_by_staff: bool,
    /// The customer's subscription this ticket is about.
    pub service: Option<i64>,
    pub assigned: Option<i64>,
    #[serde(rename = "assignedBy")]
    pub assigned_by: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// Incident types redeemed against a support contract for this ticket.
    pub redeemed: Vec<String>,
    /// The account key (`Userkey`) of the requester in the brand's customer backend.
    pub account_key: Option<String>,
    /// The telephony call (`callid` of a screen pop) the ticket was opened from.
    #[serde(default)]
    pub callid: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<Reply>>,
}

/// One message in a ticket's conversation, with WiseCP's reply fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reply {
    pub id: i64,
    /// The ticket this reply belongs to.
    pub owner_id: i64,
    /// The author: an end user id when `admin` is 0, a staff id when it is 1.
    pub user_id: i64,
    #[serde(with = "int_bool")]
    #[cfg_attr(feature = "openapi", schema(value_type = u8))]
    pub admin: bool,
    /// The author's display name at the time of writing.
    pub name: String,
    #[serde(with = "int_bool")]
    #[cfg_attr(feature = "openapi", schema(value_type = u8))]
    pub encrypted: bool,
    pub message: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ctime: Timestamp,
    pub ip: Option<String>,
    /// A staff-only note: never shown to end users, changes no status.
    pub internal: bool,
    /// The files sent with the message (SPEC §10), visible as the reply is; `[]` when there are none.
    #[serde(default)]
    pub attachments: Vec<crate::attachment::Attachment>,
}

/// What a new message does to the ticket's status and read flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyEffect {
    pub status: TicketStatus,
    pub read_by_customer: bool,
    pub read_by_staff: bool,
}

/// Why a message may not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefused {
    #[error("the ticket is locked; the customer can no longer reply")]
    Locked,
    #[error("only staff may write internal notes")]
    InternalByCustomer,
}

impl Ticket {
    /// The state of a ticket just opened by `side`.
    pub fn opening_state(side: Side) -> ReplyEffect {
        match side {
            Side::Customer => ReplyEffect {
                status: TicketStatus::Waiting,
                read_by_customer: true,
                read_by_staff: false,
            },
            Side::Staff => ReplyEffect {
                status: TicketStatus::Replied,
                read_by_customer: false,
                read_by_staff: true,
            },
        }
    }

    /// What a reply by `side` does: a customer message puts the ticket back in the staff queue, a staff
    /// message hands it to the customer, and an internal note changes nothing.
    pub fn reply_effect(&self, side: Side, internal: bool) -> Result<ReplyEffect, ReplyRefused> {
        match (side, internal) {
            (Side::Customer, true) => Err(ReplyRefused::InternalByCustomer),
            (Side::Customer, false) if self.locked => Err(ReplyRefused::Locked),
            (Side::Customer, false) => Ok(ReplyEffect {
                status: TicketStatus::Waiting,
                read_by_customer: true,
                read_by_staff: false,
            }),
            (Side::Staff, false) => Ok(ReplyEffect {
                status: TicketStatus::Replied,
                read_by_customer: false,
                read_by_staff: true,
            }),
            (Side::Staff, true) => Ok(ReplyEffect {
                status: self.status,
                read_by_customer: self.read_by_customer,
                read_by_staff: self.read_by_staff,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(status: TicketStatus, locked: bool) -> Ticket {
        let now = Timestamp::UNIX_EPOCH;
        Ticket {
            id: 1,
            did: 1,
            user_id: 1,
            customer_id: 1,
            status,
            locked,
            priority: Priority::MEDIUM,
            title: "t".into(),
            ctime: now,
            lastreply: now,
            read_by_customer: true,
            read_by_staff: true,
            service: None,
            assigned: None,
            assigned_by: None,
            custom_fields: Default::default(),
            redeemed: vec![],
            account_key: None,
            callid: None,
            updated_at: now,
            replies: None,
        }
    }

    #[test]
    fn priorities() {
        assert!(Priority::try_from(0).is_err());
        assert!(Priority::try_from(4).is_err());
        assert_eq!(Priority::try_from(3).map(Priority::get), Ok(3));
    }

    #[test]
    fn status_round_trips() {
        for &s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Ok(s));
        }
        assert_eq!(
            TicketStatus::parse("open"),
            Err("must be one of waiting, replied, process, solved")
        );
    }

    #[test]
    fn opening_states() {
        assert_eq!(Ticket::opening_state(Side::Customer).status, TicketStatus::Waiting);
        assert!(!Ticket::opening_state(Side::Customer).read_by_staff);
        assert_eq!(Ticket::opening_state(Side::Staff).status, TicketStatus::Replied);
        assert!(!Ticket::opening_state(Side::Staff).read_by_customer);
    }

    #[test]
    fn every_status_and_side() {
        for &status in TicketStatus::ALL {
            let t = ticket(status, false);
            let c = t.reply_effect(Side::Customer, false).expect("customer reply allowed");
            assert_eq!((c.status, c.read_by_staff), (TicketStatus::Waiting, false));
            let s = t.reply_effect(Side::Staff, false).expect("staff reply allowed");
            assert_eq!((s.status, s.read_by_customer), (TicketStatus::Replied, false));
            let n = t.reply_effect(Side::Staff, true).expect("note allowed");
            assert_eq!((n.status, n.read_by_customer, n.read_by_staff), (status, true, true));
        }
    }

    #[test]
    fn locked_tickets_refuse_customers_only() {
        let t = ticket(TicketStatus::Replied, true);
        assert_eq!(t.reply_effect(Side::Customer, false), Err(ReplyRefused::Locked));
        assert!(t.reply_effect(Side::Staff, false).is_ok());
        assert_eq!(
            ticket(TicketStatus::Waiting, false).reply_effect(Side::Customer, true),
            Err(ReplyRefused::InternalByCustomer)
        );
    }

    #[test]
    fn wire_names() {
        let json = serde_json::to_value(ticket(TicketStatus::Waiting, true)).expect("serialize");
        assert_eq!(json["locked"], 1);
        assert_eq!(json["userunread"], 1);
        assert_eq!(json["priority"], 2);
        assert_eq!(json["status"], "waiting");
        assert!(json.get("assignedBy").is_some());
        assert!(json.get("replies").is_none());
    }
}
