//! Case updates (SPEC §6): after each reply on a ticket with an account key, a `webcall` brand's customer
//! database is told about it (`Userkey` and `caseXML`). The outbox queues them; these are the queued rows,
//! the rules that pick the events that queue one, and how a ticket and a reply read as a SpiceCSM case
//! response.
use crate::account::CaseUpdate;
use crate::automation::DeliveryStatus;
use crate::event::{EntityType, EventAction};
use crate::{Event, Reply, Ticket, TicketStatus, Timestamp};
use serde::{Deserialize, Serialize};

/// A case update queued for a reply, with its attempts (`GET /api/v1/events/{id}` shows them under
/// `case_updates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseUpdateDelivery {
    pub id: i64,
    /// The event that queued it.
    pub event_id: i64,
    /// The brand whose customer database receives it.
    pub brand_id: i64,
    /// `cid` of the case update.
    pub ticket_id: i64,
    /// `id` of the case update.
    pub reply_id: i64,
    /// The account (`Userkey`) the ticket had when the reply was written.
    pub userkey: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_attempt_at: Option<Timestamp>,
    /// No attempt is started after this.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub deadline_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Every attempt, oldest first (filled where the answer shows them).
    #[serde(default)]
    pub attempt_log: Vec<CaseUpdateAttempt>,
}

/// One attempt to send a case update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseUpdateAttempt {
    pub id: i64,
    pub case_update_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub attempted_at: Timestamp,
    /// The HTTP status of an answer that was not 2xx (a 2xx answer is success: no error).
    pub status_code: Option<i64>,
    /// Why the attempt failed (none: the customer database took it).
    pub error: Option<String>,
    pub latency_us: i64,
}

/// What a case update is queued for: the ticket and reply an event names, with what decides whether one is
/// sent (the ticket's department, for its brand, and its account key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSubject {
    pub ticket_id: i64,
    pub reply_id: i64,
    pub department_id: i64,
    pub userkey: String,
}

#[derive(Deserialize)]
struct TicketPart {
    id: i64,
    did: i64,
    #[serde(default)]
    account_key: Option<String>,
    #[serde(default)]
    replies: Option<Vec<ReplyPart>>,
}

#[derive(Deserialize)]
struct ReplyPart {
    id: i64,
}

#[derive(Deserialize)]
struct ReplyCreated {
    request: TicketPart,
    reply: ReplyPart,
}

/// The reply an event adds to a ticket with an account key, if it adds one: a `reply` created (its value is
/// `{request: <ticket>, reply: <reply>}`), or a `ticket` created, whose opening message is the case's first
/// response (its value is the ticket with `replies: [<first>]`). Internal notes count: they are the
/// case's journal entries.
pub fn case_subject(event: &Event) -> Option<CaseSubject> {
    if event.action != EventAction::Created {
        return None;
    }
    let (ticket, reply_id) = match event.data.entity {
        EntityType::Reply => {
            let created = ReplyCreated::deserialize(&event.data.value).ok()?;
            (created.request, created.reply.id)
        }
        EntityType::Ticket => {
            let ticket = TicketPart::deserialize(&event.data.value).ok()?;
            let first = ticket.replies.as_ref()?.first()?.id;
            (ticket, first)
        }
        _ => return None,
    };
    let userkey = ticket.account_key.as_deref().map(str::trim).unwrap_or_default();
    if userkey.is_empty() {
        return None;
    }
    Some(CaseSubject {
        ticket_id: ticket.id,
        reply_id,
        department_id: ticket.did,
        userkey: userkey.to_owned(),
    })
}

/// A ticket status as a case status: its name and its numeric id (`sid`). "In Progress" is 2 as in the
/// protocol's example; the others follow the order a case moves through.
pub fn case_status(status: TicketStatus) -> (&'static str, u8) {
    match status {
        TicketStatus::Waiting => ("Waiting", 1),
        TicketStatus::Process => ("In Progress", 2),
        TicketStatus::Replied => ("Replied", 3),
        TicketStatus::Solved => ("Solved", 4),
    }
}

/// A time as the protocol writes it, in UTC: `1/27/06 1:27:51 PM` (month and day unpadded, two-digit
/// year, twelve-hour clock: midnight is 12 AM, noon 12 PM).
pub fn case_date(at: Timestamp) -> String {
    let t = jiff::tz::Offset::UTC.to_datetime(at);
    let hour = t.hour();
    let (hour12, half) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!(
        "{}/{}/{:02} {}:{:02}:{:02} {}",
        t.month(),
        t.day(),
        t.year().rem_euclid(100),
        hour12,
        t.minute(),
        t.second(),
        half
    )
}

/// The tier a case is at: ferrodesk has no escalation tiers, so every case is at the first.
pub const CASE_TIER: &str = "1";

/// The case update of `reply` on `ticket` as they are now, `assignee` being the name of the staff member the
/// ticket is assigned to (empty: nobody). An internal note is a journal entry (`journal`), a reply to the
/// customer an e-mail (`email`); the author, staff or customer, is the `agent`. ferrodesk has no knowledge
/// base articles, process flows or scheduled events: those stay empty.
pub fn case_update(ticket: &Ticket, reply: &Reply, assignee: &str) -> CaseUpdate {
    let (status, sid) = case_status(ticket.status);
    let (journal, email) = if reply.internal {
        (reply.message.clone(), String::new())
    } else {
        (String::new(), reply.message.clone())
    };
    CaseUpdate {
        cid: ticket.id.to_string(),
        id: reply.id.to_string(),
        tier: CASE_TIER.to_owned(),
        date: case_date(reply.ctime),
        status: status.to_owned(),
        sid: sid.to_string(),
        issue: ticket.title.clone(),
        agent: reply.name.clone(),
        aname: assignee.to_owned(),
        journal,
        email,
        article: String::new(),
        treepath: String::new(),
        events: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Priority;
    use crate::event::{EventData, EventSource};
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn dates_read_like_the_protocols_example() {
        assert_eq!(case_date(at("2006-01-27T13:27:51Z")), "1/27/06 1:27:51 PM");
        assert_eq!(case_date(at("2026-12-02T00:05:09Z")), "12/2/26 12:05:09 AM", "midnight");
        assert_eq!(case_date(at("2026-07-04T12:00:00Z")), "7/4/26 12:00:00 PM", "noon");
        assert_eq!(case_date(at("2026-07-04T11:59:59Z")), "7/4/26 11:59:59 AM");
        assert_eq!(case_date(at("2000-10-10T23:00:00Z")), "10/10/00 11:00:00 PM");
        assert_eq!(
            case_date(at("2009-03-01T01:02:03.999Z")),
            "3/1/09 1:02:03 AM",
            "no fraction"
        );
        // UTC whatever the offset it was written with.
        assert_eq!(case_date(at("2006-01-27T08:27:51-05:00")), "1/27/06 1:27:51 PM");
    }

    #[test]
    fn every_status_has_its_own_numeric_id() {
        let sids: std::collections::BTreeSet<u8> = TicketStatus::ALL.iter().map(|s| case_status(*s).1).collect();
        assert_eq!(sids.len(), TicketStatus::ALL.len());
        assert_eq!(case_status(TicketStatus::Process), ("In Progress", 2));
    }

    fn ticket() -> Ticket {
        let t = at("2006-01-27T13:00:00Z");
        Ticket {
            id: 6344,
            did: 3,
            user_id: 9,
            customer_id: 4,
            status: TicketStatus::Process,
            locked: false,
            priority: Priority::MEDIUM,
            title: "Browsing".into(),
            ctime: t,
            lastreply: t,
            read_by_customer: true,
            read_by_staff: true,
            service: None,
            assigned: Some(2),
            assigned_by: None,
            custom_fields: serde_json::Map::new(),
            redeemed: vec![],
            account_key: Some("jdoe".into()),
            callid: None,
            updated_at: t,
            replies: None,
        }
    }

    fn reply(internal: bool) -> Reply {
        Reply {
            id: 7906,
            owner_id: 6344,
            user_id: 2,
            admin: true,
            name: "Doe, John".into(),
            encrypted: false,
            message: "adding a second ticket for case dump testing".into(),
            ctime: at("2006-01-27T13:27:51Z"),
            ip: None,
            internal,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn a_reply_reads_as_the_protocols_case_response() {
        let case = case_update(&ticket(), &reply(false), "Roe, Jane");
        assert_eq!(
            case,
            CaseUpdate {
                cid: "6344".into(),
                id: "7906".into(),
                tier: "1".into(),
                date: "1/27/06 1:27:51 PM".into(),
                status: "In Progress".into(),
                sid: "2".into(),
                issue: "Browsing".into(),
                agent: "Doe, John".into(),
                aname: "Roe, Jane".into(),
                journal: String::new(),
                email: "adding a second ticket for case dump testing".into(),
                article: String::new(),
                treepath: String::new(),
                events: String::new(),
            }
        );
        let note = case_update(&ticket(), &reply(true), "");
        assert_eq!(note.journal, "adding a second ticket for case dump testing");
        assert_eq!((note.email.as_str(), note.aname.as_str()), ("", ""));
    }

    fn event(entity: EntityType, action: EventAction, value: serde_json::Value) -> Event {
        let t = at("2026-01-01T00:00:00Z");
        Event {
            id: 1,
            timestamp: t,
            source: EventSource::Api,
            member_id: None,
            member_type: None,
            url: None,
            action,
            name: None,
            data: EventData {
                entity,
                value,
                old: serde_json::Value::Null,
            },
            entity_id: 1,
            customer_id: None,
            status: "pending".into(),
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn replies_and_opened_tickets_with_an_account_key_queue_a_case_update() {
        let t = ticket();
        let r = reply(false);
        let replied = event(
            EntityType::Reply,
            EventAction::Created,
            json!({"request": t, "reply": r}),
        );
        let expected = CaseSubject {
            ticket_id: 6344,
            reply_id: 7906,
            department_id: 3,
            userkey: "jdoe".into(),
        };
        assert_eq!(case_subject(&replied), Some(expected.clone()));
        let opened = Ticket {
            replies: Some(vec![r.clone()]),
            ..t.clone()
        };
        let opened = event(EntityType::Ticket, EventAction::Created, json!(opened));
        assert_eq!(case_subject(&opened), Some(expected));

        let no_key = Ticket {
            account_key: Some("  ".into()),
            ..t.clone()
        };
        let none = event(
            EntityType::Reply,
            EventAction::Created,
            json!({"request": no_key, "reply": r}),
        );
        assert_eq!(case_subject(&none), None, "a blank account key");
        let edited = event(
            EntityType::Reply,
            EventAction::Updated,
            json!({"request": t, "reply": r}),
        );
        assert_eq!(case_subject(&edited), None, "an edit is no new response");
        let updated = event(EntityType::Ticket, EventAction::Updated, json!(t));
        assert_eq!(case_subject(&updated), None);
        let other = event(EntityType::Brand, EventAction::Created, json!({"id": 1}));
        assert_eq!(case_subject(&other), None);
    }
}
