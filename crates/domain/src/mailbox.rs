//! Mailboxes and outbound mail (SPEC §10): where a brand's mail arrives and leaves from, and the queued
//! mails of the outbox with their attempts.
use crate::Timestamp;
use crate::account::MASKED_SECRET;
use crate::automation::DeliveryStatus;
use serde::{Deserialize, Serialize};

/// A brand's mailbox. Its URLs carry passwords: they are shown masked ([`masked_url`]) everywhere they are
/// serialized, and only the store and the mail clients read them whole.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mailbox {
    pub id: i64,
    pub brand_id: i64,
    /// Lowercase; unique over the installation (mail to it is this mailbox's).
    pub address: String,
    /// Where new tickets by mail to this address open.
    pub department_id: i64,
    /// `imaps://user:pass@host[:port]/FOLDER` (or `imap://`): `serve` fetches unseen mail from it.
    pub imap_url: Option<String>,
    /// `smtp://` or `smtps://user:pass@host:port`; none: the installation's `FERRODESK_SMTP_URL`.
    pub smtp_url: Option<String>,
    pub active: bool,
    /// What the last IMAP poll ran into (none: it worked, or there was none yet).
    pub last_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_polled_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

impl Serialize for Mailbox {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Mailbox", 11)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("brand_id", &self.brand_id)?;
        s.serialize_field("address", &self.address)?;
        s.serialize_field("department_id", &self.department_id)?;
        s.serialize_field("imap_url", &self.imap_url.as_deref().map(masked_url))?;
        s.serialize_field("smtp_url", &self.smtp_url.as_deref().map(masked_url))?;
        s.serialize_field("active", &self.active)?;
        s.serialize_field("last_error", &self.last_error)?;
        s.serialize_field("last_polled_at", &self.last_polled_at)?;
        s.serialize_field("created_at", &self.created_at)?;
        s.serialize_field("updated_at", &self.updated_at)?;
        s.end()
    }
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("id", &self.id)
            .field("brand_id", &self.brand_id)
            .field("address", &self.address)
            .field("department_id", &self.department_id)
            .field("imap_url", &self.imap_url.as_deref().map(masked_url))
            .field("smtp_url", &self.smtp_url.as_deref().map(masked_url))
            .field("active", &self.active)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// The password part of a URL's user info, or `None` when it has none.
fn password_span(url: &str) -> Option<std::ops::Range<usize>> {
    let authority_start = url.find("://")? + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let at = url[authority_start..authority_end].rfind('@')? + authority_start;
    let colon = url[authority_start..at].find(':')? + authority_start;
    Some(colon + 1..at)
}

/// `url` with the password of its user info replaced by [`MASKED_SECRET`] (`smtp://me:********@host`).
pub fn masked_url(url: &str) -> String {
    match password_span(url) {
        Some(span) if !span.is_empty() => format!("{}{MASKED_SECRET}{}", &url[..span.start], &url[span.end..]),
        _ => url.to_owned(),
    }
}

/// `given` as a form or API client sends it back after reading it masked: where its password is
/// [`MASKED_SECRET`], the password of `stored` is put back, so a change of host or folder keeps the
/// password without retyping it.
pub fn unmasked_url(given: &str, stored: Option<&str>) -> String {
    let (Some(span), Some(stored)) = (password_span(given), stored) else {
        return given.to_owned();
    };
    if &given[span.clone()] != MASKED_SECRET {
        return given.to_owned();
    }
    match password_span(stored) {
        Some(kept) => format!("{}{}{}", &given[..span.start], &stored[kept], &given[span.end..]),
        None => given.to_owned(),
    }
}

/// Why a mail is sent (SPEC §10).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::Display,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum MailKind {
    /// A staff reply, to the requester.
    Reply,
    /// The receipt of a new ticket opened by mail or in the portal, to the requester.
    Acknowledgement,
    /// A customer's new ticket or reply, to the agents who should see it.
    Notification,
}

/// One mail to one recipient, queued by the outbox for an event, with its attempts (`GET
/// /api/v1/events/{id}` shows them under `mails`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailDelivery {
    pub id: i64,
    pub event_id: i64,
    pub kind: MailKind,
    /// The mailbox it is sent from.
    pub mailbox_id: i64,
    pub brand_id: i64,
    pub ticket_id: i64,
    /// The reply it carries (none: an acknowledgement of a ticket opened without one).
    pub reply_id: Option<i64>,
    pub recipient: String,
    /// Its `Message-ID`, without angle brackets.
    pub message_id: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_attempt_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub deadline_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Every attempt, oldest first (filled where the answer shows them).
    #[serde(default)]
    pub attempt_log: Vec<MailAttempt>,
}

/// One attempt to hand a mail to the SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailAttempt {
    pub id: i64,
    pub mail_delivery_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub attempted_at: Timestamp,
    /// The SMTP reply code of a refusal (none: accepted, or no answer came).
    pub smtp_code: Option<i64>,
    /// Why the attempt failed (none: the server took the mail).
    pub error: Option<String>,
    pub latency_us: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_only_the_password() {
        assert_eq!(
            masked_url("smtp://me:s3cret@mail.example:587"),
            "smtp://me:********@mail.example:587"
        );
        assert_eq!(
            masked_url("imaps://me%40x.example:p%3Ass@imap.example/INBOX"),
            "imaps://me%40x.example:********@imap.example/INBOX"
        );
        assert_eq!(masked_url("smtp://mail.example:25"), "smtp://mail.example:25");
        assert_eq!(masked_url("smtp://me@mail.example"), "smtp://me@mail.example");
        assert_eq!(
            masked_url("imaps://u:p@h/a@b"),
            "imaps://u:********@h/a@b",
            "an @ in the path is no user info"
        );
        assert_eq!(masked_url("not a url"), "not a url");
    }

    #[test]
    fn a_masked_password_sent_back_keeps_the_stored_one() {
        let stored = Some("imaps://me:s3cret@old.example/INBOX");
        assert_eq!(
            unmasked_url("imaps://me:********@new.example/INBOX", stored),
            "imaps://me:s3cret@new.example/INBOX"
        );
        assert_eq!(
            unmasked_url("imaps://me:other@new.example/INBOX", stored),
            "imaps://me:other@new.example/INBOX"
        );
        assert_eq!(
            unmasked_url("imaps://me:********@h/INBOX", None),
            "imaps://me:********@h/INBOX"
        );
    }
}

/// What an event of the log means for mail: the ticket and message it concerns, as the outbox reads them
/// from the event's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSubject {
    pub ticket_id: i64,
    pub department_id: i64,
    /// The ticket's requester (an end user).
    pub requester_id: i64,
    pub assigned: Option<i64>,
    /// The message: the new reply, or the opening message of a new ticket.
    pub reply_id: i64,
    /// The message's author when a person wrote it (nobody is mailed their own message); `None` when an
    /// integration's token or the system did, which have no address.
    pub author: Option<MessageAuthor>,
    /// What the mail is: answers to send.
    pub kinds: Vec<MailKind>,
}

/// Who wrote a message, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAuthor {
    Staff(i64),
    EndUser(i64),
}

#[derive(Deserialize)]
struct TicketPart {
    id: i64,
    did: i64,
    user_id: i64,
    #[serde(default)]
    assigned: Option<i64>,
    #[serde(default)]
    replies: Option<Vec<ReplyPart>>,
}

#[derive(Deserialize)]
struct ReplyPart {
    id: i64,
    user_id: i64,
    #[serde(with = "crate::int_bool")]
    admin: bool,
    #[serde(default)]
    internal: bool,
}

#[derive(Deserialize)]
struct ReplyCreated {
    request: TicketPart,
    reply: ReplyPart,
}

/// The mails an event asks for (SPEC §10): a staff reply that is not internal goes to the requester; a
/// customer's reply or new ticket is told to the agents; a customer's new ticket opened by mail or in the
/// portal (`source` `MAIL` or `UI`) is acknowledged. Internal notes, tickets staff open and every other
/// event send nothing.
pub fn mail_subject(event: &crate::Event) -> Option<MailSubject> {
    use crate::event::{EntityType, EventAction, EventSource};
    if event.action != EventAction::Created {
        return None;
    }
    let (ticket, reply, opened) = match event.data.entity {
        EntityType::Reply => {
            let created = ReplyCreated::deserialize(&event.data.value).ok()?;
            (created.request, created.reply, false)
        }
        EntityType::Ticket => {
            let mut ticket = TicketPart::deserialize(&event.data.value).ok()?;
            let first = ticket.replies.take()?.into_iter().next()?;
            (ticket, first, true)
        }
        _ => return None,
    };
    if reply.internal {
        return None;
    }
    let kinds = match (reply.admin, opened) {
        (true, false) => vec![MailKind::Reply],
        (true, true) => return None,
        (false, false) => vec![MailKind::Notification],
        (false, true) if matches!(event.source, EventSource::Mail | EventSource::Ui) => {
            vec![MailKind::Acknowledgement, MailKind::Notification]
        }
        (false, true) => vec![MailKind::Notification],
    };
    Some(MailSubject {
        ticket_id: ticket.id,
        department_id: ticket.did,
        requester_id: ticket.user_id,
        assigned: ticket.assigned,
        reply_id: reply.id,
        // A staff message's `user_id` is the staff member's id only when one wrote it: an integration's
        // token writes as staff with its own id (`memberType` names which).
        author: match (reply.admin, event.member_type.as_deref()) {
            (false, _) => Some(MessageAuthor::EndUser(reply.user_id)),
            (true, Some("staff")) => Some(MessageAuthor::Staff(reply.user_id)),
            (true, _) => None,
        },
        kinds,
    })
}

#[cfg(test)]
mod subject_tests {
    use super::*;
    use crate::event::{EntityType, Event, EventAction, EventData, EventSource};
    use serde_json::json;

    fn reply_event(source: EventSource, member_type: Option<&str>, admin: u8, internal: bool) -> Event {
        Event {
            id: 1,
            timestamp: jiff::Timestamp::UNIX_EPOCH,
            source,
            member_id: Some(7),
            member_type: member_type.map(str::to_owned),
            url: None,
            action: EventAction::Created,
            name: None,
            data: EventData {
                entity: EntityType::Reply,
                value: json!({
                    "request": {"id": 10, "did": 2, "user_id": 30, "assigned": 4},
                    "reply": {"id": 50, "user_id": 7, "admin": admin, "internal": internal},
                }),
                old: serde_json::Value::Null,
            },
            entity_id: 50,
            customer_id: None,
            status: "pending".into(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_staff_reply_goes_to_the_requester_and_names_its_author() {
        let subject = mail_subject(&reply_event(EventSource::Api, Some("staff"), 1, false)).expect("a mail");
        assert_eq!(subject.kinds, vec![MailKind::Reply]);
        assert_eq!(subject.author, Some(MessageAuthor::Staff(7)));
        assert_eq!(
            (subject.ticket_id, subject.requester_id, subject.reply_id),
            (10, 30, 50)
        );
    }

    #[test]
    fn an_integration_token_is_no_staff_member() {
        // The reply's user_id is then the token's id, which may equal some staff member's id.
        let subject = mail_subject(&reply_event(EventSource::Api, Some("api"), 1, false)).expect("a mail");
        assert_eq!(subject.kinds, vec![MailKind::Reply]);
        assert_eq!(subject.author, None);
    }

    #[test]
    fn a_customer_reply_tells_the_agents() {
        let subject = mail_subject(&reply_event(EventSource::Mail, Some("end_user"), 0, false)).expect("a mail");
        assert_eq!(subject.kinds, vec![MailKind::Notification]);
        assert_eq!(subject.author, Some(MessageAuthor::EndUser(7)));
    }

    #[test]
    fn internal_notes_send_nothing() {
        assert_eq!(
            mail_subject(&reply_event(EventSource::Ui, Some("staff"), 1, true)),
            None
        );
    }
}
