//! Inbound mail (SPEC §10): one received message becomes a new ticket, a reply on the ticket it answers,
//! or (when a machine sent it) an internal note on that ticket — or nothing, when it is a duplicate or an
//! automatic message that answers nothing. Everything it writes (people made on the way, the ticket or
//! reply, its attachments with the original `.eml`, the Message-ID, the events) is one transaction.
use crate::attachments::{NewFile, sha256_hex, store_files};
use crate::attributes::AttributeSet;
use crate::people::{insert_customer, insert_end_user};
use crate::{App, AppError, AppResult, Change, RequestMeta, Subject, json};
use api_types::{NewCustomer, NewEndUser};
use domain::event::{EntityType, EventAction, EventSource};
use domain::mail::{MailAddress, cut_quoted, ticket_tag};
use domain::mailbox::Mailbox;
use domain::{AttributeEntity, EndUser, HookPoint, Principal, Priority, Reply, Side, Ticket, Title};
use integrations::mail::parse::{InboundMail, ParseError, parse};
use store::time::now;
use store::{MailMessage, Reader, Writer};

/// The largest message taken (SPEC §10); a larger one is refused before it is parsed.
pub const MAX_MAIL_BYTES: usize = 25 * 1024 * 1024;

/// The longest stored message text; the whole original is kept as the `.eml` attachment anyway.
const MAX_TEXT_BYTES: usize = 512 * 1024;

/// What became of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailReceipt {
    /// It opened a new ticket.
    Opened { ticket_id: i64, reply_id: i64 },
    /// It is a reply on the ticket it answers.
    Replied { ticket_id: i64, reply_id: i64 },
    /// A machine sent it (an auto-reply, a bounce): an internal note on the ticket it answers, never
    /// answered.
    Noted { ticket_id: i64, reply_id: i64 },
    /// A message with this Message-ID was stored before.
    Duplicate,
    /// A machine sent it and it answers nothing of ferrodesk's: dropped.
    Dropped,
}

/// Why a message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum MailRefused {
    /// Larger than [`MAX_MAIL_BYTES`].
    #[error("the message is larger than 25 MiB")]
    TooLarge,
    /// Not an RFC 5322 message at all.
    #[error("not a mail message: {0}")]
    NotAMessage(String),
    /// No active mailbox of the installation is named by `--mailbox`, `To`, `Cc` or `Delivered-To`.
    #[error("no active mailbox of this installation is named by --mailbox, To, Cc or Delivered-To")]
    NoMailbox,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<store::StoreError> for MailRefused {
    fn from(e: store::StoreError) -> Self {
        Self::App(e.into())
    }
}

/// The Message-ID a message is known by: its own, or (without one) one made from its content, so that the
/// same message delivered twice is still stored once.
fn known_id(mail: &InboundMail, raw: &[u8]) -> String {
    mail.message_id
        .clone()
        .unwrap_or_else(|| format!("{}@content.ferrodesk.invalid", sha256_hex(raw)))
}

/// A subject as a ticket title: reply and forward prefixes and `[#id]` tags dropped, control characters
/// made spaces, at most [`Title::MAX_CHARS`].
fn title_of(subject: &str) -> String {
    let mut rest: String = subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    loop {
        let trimmed = rest.trim_start();
        let lower = trimmed.to_lowercase();
        let prefix = ["re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "tr:", "réf:"]
            .iter()
            .find(|p| lower.starts_with(**p))
            .map(|p| p.len());
        let tag = trimmed
            .strip_prefix("[#")
            .and_then(|t| t.find(']').filter(|end| t[..*end].chars().all(|c| c.is_ascii_digit())))
            .map(|end| end + 3);
        match prefix.or(tag) {
            Some(len) if trimmed.is_char_boundary(len) => rest = trimmed[len..].to_owned(),
            _ => break,
        }
    }
    let title: String = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    let title: String = title.chars().take(Title::MAX_CHARS).collect();
    if title.is_empty() {
        "(no subject)".to_owned()
    } else {
        title
    }
}

/// The stored text of a message: quoted history and signature cut, bounded, never empty.
fn text_of(mail: &InboundMail) -> String {
    let mut text = cut_quoted(&mail.text);
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    if text.trim().is_empty() {
        "(no text)".to_owned()
    } else {
        text
    }
}

/// The sender: `From`, else the envelope sender.
fn sender_of(mail: &InboundMail, envelope: Option<&str>) -> Option<MailAddress> {
    mail.from.clone().filter(|a| a.email.contains('@')).or_else(|| {
        envelope
            .map(str::trim)
            .filter(|e| e.contains('@'))
            .map(|e| MailAddress::new(None, e))
    })
}

impl App {
    /// Takes one received RFC 5322 message (SPEC §10). `mailbox`: the address it was delivered to, when the
    /// MTA says (`mail-in --mailbox`); else the first mailbox named by `To`, `Cc` or `Delivered-To`.
    /// `envelope_sender`: `--sender` or the `Return-Path` the MTA added.
    pub async fn receive_mail(
        &self,
        raw: &[u8],
        mailbox: Option<&str>,
        envelope_sender: Option<&str>,
    ) -> Result<MailReceipt, MailRefused> {
        if raw.len() > MAX_MAIL_BYTES {
            return Err(MailRefused::TooLarge);
        }
        let mail = match parse(raw) {
            Ok(mail) => mail,
            Err(ParseError::TooLarge { .. }) => return Err(MailRefused::TooLarge),
            Err(e) => return Err(MailRefused::NotAMessage(e.to_string())),
        };
        let mailbox = self.receiving_mailbox(&mail, mailbox).await?;
        let message_id = known_id(&mail, raw);
        let return_path = envelope_sender.map(str::to_owned).or_else(|| mail.return_path.clone());
        let automatic = mail.automatic
            || return_path.as_deref().is_some_and(|r| {
                let r = r.trim().trim_matches(['<', '>']);
                r.is_empty() || r.to_ascii_lowercase().starts_with("mailer-daemon")
            });
        let sender = sender_of(&mail, return_path.as_deref());

        let mut db = self.store().read().await?;
        if db.has_message(&message_id).await? {
            return Ok(MailReceipt::Duplicate);
        }
        let ticket = answered_ticket(&mut *db, &mail, &mailbox, sender.as_ref()).await?;
        drop(db);
        let meta = RequestMeta {
            source: Some(EventSource::Mail),
            url: None,
            ip: None,
        };
        let Some(sender) = sender else {
            // Nobody to answer: a machine's message is noted where it belongs, anything else is refused.
            return match (ticket, automatic) {
                (Some(ticket), true) => self.note(raw, &mail, &mailbox, &message_id, &meta, ticket, None).await,
                (None, true) => Ok(MailReceipt::Dropped),
                (_, false) => Err(MailRefused::NotAMessage("the message names no sender".into())),
            };
        };
        match (ticket, automatic) {
            (Some(ticket), true) => {
                self.note(raw, &mail, &mailbox, &message_id, &meta, ticket, Some(&sender))
                    .await
            }
            (None, true) => Ok(MailReceipt::Dropped),
            (Some(ticket), false) => {
                self.reply_by_mail(raw, &mail, &mailbox, &message_id, &meta, ticket, &sender)
                    .await
            }
            (None, false) => {
                self.open_by_mail(raw, &mail, &mailbox, &message_id, &meta, &sender)
                    .await
            }
        }
    }

    /// The mailbox a message was delivered to.
    async fn receiving_mailbox(&self, mail: &InboundMail, named: Option<&str>) -> Result<Mailbox, MailRefused> {
        let mut db = self.store().read().await?;
        let candidates: Vec<String> = match named {
            Some(address) => vec![address.trim().to_lowercase()],
            None => mail
                .to
                .iter()
                .chain(&mail.cc)
                .map(|a| a.email.clone())
                .chain(mail.delivered_to.iter().cloned())
                .map(|a| a.trim().to_lowercase())
                .collect(),
        };
        for address in candidates {
            if let Some(mailbox) = db.mailbox_by_address(&address).await?.filter(|m| m.active) {
                return Ok(mailbox);
            }
        }
        Err(MailRefused::NoMailbox)
    }

    /// A new ticket in the mailbox's department, its requester the sender (found by address, or made with
    /// a customer of their own).
    async fn open_by_mail(
        &self,
        raw: &[u8],
        mail: &InboundMail,
        mailbox: &Mailbox,
        message_id: &str,
        meta: &RequestMeta,
        sender: &MailAddress,
    ) -> Result<MailReceipt, MailRefused> {
        let system = Principal::System;
        let change = Change {
            principal: &system,
            meta,
        };
        let mut tx = self.store().write().await?;
        let requester = match tx.first_end_user_with_email(&sender.email.to_lowercase()).await? {
            Some(user) => user,
            None => new_person(&mut *tx, &change, sender, None).await?,
        };
        let author = principal_of(&requester);
        let change = Change {
            principal: &author,
            meta,
        };
        let at = now();
        let opening = Ticket::opening_state(Side::Customer);
        let ticket = tx
            .insert_ticket(&Ticket {
                id: 0,
                did: mailbox.department_id,
                user_id: requester.id,
                customer_id: requester.customer_id,
                status: opening.status,
                locked: false,
                priority: Priority::MEDIUM,
                title: title_of(&mail.subject),
                ctime: at,
                lastreply: at,
                read_by_customer: opening.read_by_customer,
                read_by_staff: opening.read_by_staff,
                service: None,
                assigned: None,
                assigned_by: None,
                custom_fields: Default::default(),
                redeemed: vec![],
                account_key: None,
                callid: None,
                updated_at: at,
                replies: None,
            })
            .await?;
        let mut first = tx
            .insert_reply(&Reply {
                id: 0,
                owner_id: ticket.id,
                user_id: requester.id,
                admin: false,
                name: requester.name.clone(),
                encrypted: false,
                message: text_of(mail),
                ctime: at,
                ip: None,
                internal: false,
                attachments: Vec::new(),
            })
            .await?;
        first.attachments = attach(&mut *tx, raw, mail, &first).await?;
        if !record_message(&mut *tx, message_id, &ticket, first.id, mailbox).await? {
            return Ok(MailReceipt::Duplicate);
        }
        let reply_id = first.id;
        let ticket = Ticket {
            replies: Some(vec![first]),
            ..ticket
        };
        tx.insert_event(&change.event(
            EventAction::Created,
            Subject(EntityType::Ticket, ticket.id, Some(ticket.customer_id)),
            Some(HookPoint::ticket_created(Side::Customer)),
            json(&ticket),
            serde_json::Value::Null,
        ))
        .await?;
        tx.commit().await?;
        Ok(MailReceipt::Opened {
            ticket_id: ticket.id,
            reply_id,
        })
    }

    /// A reply on the ticket a message answers, by the staff member or end user who sent it (an unknown
    /// address becomes an end user of the ticket's customer: someone the requester copied in).
    #[allow(clippy::too_many_arguments)]
    async fn reply_by_mail(
        &self,
        raw: &[u8],
        mail: &InboundMail,
        mailbox: &Mailbox,
        message_id: &str,
        meta: &RequestMeta,
        ticket: Ticket,
        sender: &MailAddress,
    ) -> Result<MailReceipt, MailRefused> {
        let system = Principal::System;
        let mut tx = self.store().write().await?;
        let (principal, side) = match tx.staff_credentials(&sender.email.to_lowercase()).await? {
            Some(c) => (
                Principal::Staff {
                    id: c.staff.id,
                    role: c.staff.role,
                    name: c.staff.name,
                },
                Side::Staff,
            ),
            None => {
                let email = sender.email.to_lowercase();
                let known = match tx.end_user_by_email(ticket.customer_id, &email).await? {
                    Some(user) => Some(user),
                    None => tx
                        .end_user(ticket.user_id)
                        .await?
                        .filter(|u| u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email))),
                };
                let user = match known {
                    Some(user) => user,
                    None => {
                        let change = Change {
                            principal: &system,
                            meta,
                        };
                        new_person(&mut *tx, &change, sender, Some(ticket.customer_id)).await?
                    }
                };
                (principal_of(&user), Side::Customer)
            }
        };
        let old = tx.ticket_for_update(ticket.id).await?.ok_or(AppError::NotFound)?;
        // A locked ticket takes no customer replies; what they sent is still kept, as a note for staff.
        let internal = side == Side::Customer && old.locked;
        let effect = old.reply_effect(side, internal).map_err(|_| AppError::TicketLocked)?;
        let at = now();
        let (user_id, admin) = crate::tickets::author(&principal);
        let mut reply = tx
            .insert_reply(&Reply {
                id: 0,
                owner_id: old.id,
                user_id,
                admin,
                name: principal.display_name().to_owned(),
                encrypted: false,
                message: text_of(mail),
                ctime: at,
                ip: None,
                internal,
                attachments: Vec::new(),
            })
            .await?;
        reply.attachments = attach(&mut *tx, raw, mail, &reply).await?;
        if !record_message(&mut *tx, message_id, &old, reply.id, mailbox).await? {
            return Ok(MailReceipt::Duplicate);
        }
        let change = Change {
            principal: &principal,
            meta,
        };
        let reply_id = reply.id;
        let t = crate::replies::write_reply_effect(&mut *tx, &change, &old, reply, effect, side, at).await?;
        tx.commit().await?;
        Ok(MailReceipt::Replied {
            ticket_id: t.id,
            reply_id,
        })
    }

    /// An automatic message (an auto-reply, a bounce) as an internal note on the ticket it answers: staff
    /// see it, nobody is mailed about it, the ticket's status stays.
    #[allow(clippy::too_many_arguments)]
    async fn note(
        &self,
        raw: &[u8],
        mail: &InboundMail,
        mailbox: &Mailbox,
        message_id: &str,
        meta: &RequestMeta,
        ticket: Ticket,
        sender: Option<&MailAddress>,
    ) -> Result<MailReceipt, MailRefused> {
        let system = Principal::System;
        let change = Change {
            principal: &system,
            meta,
        };
        let mut tx = self.store().write().await?;
        let old = tx.ticket_for_update(ticket.id).await?.ok_or(AppError::NotFound)?;
        let effect = old
            .reply_effect(Side::Staff, true)
            .map_err(|_| AppError::TicketLocked)?;
        let at = now();
        let from = sender.map_or_else(|| "an unknown sender".to_owned(), ToString::to_string);
        let mut reply = tx
            .insert_reply(&Reply {
                id: 0,
                owner_id: old.id,
                user_id: 0,
                admin: true,
                name: format!("Automatic mail from {from}"),
                encrypted: false,
                message: text_of(mail),
                ctime: at,
                ip: None,
                internal: true,
                attachments: Vec::new(),
            })
            .await?;
        reply.attachments = attach(&mut *tx, raw, mail, &reply).await?;
        if !record_message(&mut *tx, message_id, &old, reply.id, mailbox).await? {
            return Ok(MailReceipt::Duplicate);
        }
        let reply_id = reply.id;
        crate::replies::write_reply_effect(&mut *tx, &change, &old, reply, effect, Side::Staff, at).await?;
        tx.commit().await?;
        Ok(MailReceipt::Noted {
            ticket_id: old.id,
            reply_id,
        })
    }
}

/// The principal an end user acts as.
fn principal_of(user: &EndUser) -> Principal {
    Principal::EndUser {
        id: user.id,
        customer_id: user.customer_id,
        name: user.name.clone(),
    }
}

/// The ticket a message answers, in the mailbox's brand: one of ferrodesk's Message-IDs in `In-Reply-To`
/// or `References` (the most recent first), else a `[#id]` subject tag from the ticket's requester or a
/// staff member. A tag from a stranger, or ids of another brand's ticket, answer nothing: the message
/// opens a ticket of its own.
async fn answered_ticket(
    db: &mut dyn Reader,
    mail: &InboundMail,
    mailbox: &Mailbox,
    sender: Option<&MailAddress>,
) -> AppResult<Option<Ticket>> {
    let mut ids: Vec<String> = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    if let Some((ticket_id, brand_id)) = db.ticket_of_messages(&ids).await?
        && brand_id == mailbox.brand_id
        && let Some(ticket) = db.ticket(ticket_id).await?
    {
        return Ok(Some(ticket));
    }
    let (Some(tag), Some(sender)) = (ticket_tag(&mail.subject), sender) else {
        return Ok(None);
    };
    let Some(ticket) = db.ticket(tag).await? else {
        return Ok(None);
    };
    let brand = db.department(ticket.did).await?.map(|d| d.brand_id);
    if brand != Some(mailbox.brand_id) {
        return Ok(None);
    }
    let email = sender.email.to_lowercase();
    let requester = db.end_user(ticket.user_id).await?;
    let is_requester = requester
        .and_then(|u| u.email)
        .is_some_and(|e| e.eq_ignore_ascii_case(&email));
    if is_requester || db.staff_credentials(&email).await?.is_some() {
        return Ok(Some(ticket));
    }
    Ok(None)
}

/// A new end user for an unknown sender: of `customer_id` when given (someone copied in on a ticket), else
/// of a new customer named after them.
async fn new_person(
    tx: &mut dyn Writer,
    change: &Change<'_>,
    sender: &MailAddress,
    customer_id: Option<i64>,
) -> AppResult<EndUser> {
    let email = sender.email.trim().to_lowercase();
    let name = sender
        .name
        .as_deref()
        .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
    let customer_id = match customer_id {
        Some(id) => id,
        None => {
            let set = AttributeSet::load(&mut *tx, AttributeEntity::Customer).await?;
            insert_customer(
                tx,
                &set,
                change,
                NewCustomer {
                    name: name.clone(),
                    email: Some(email.clone()),
                    ..Default::default()
                },
            )
            .await?
            .id
        }
    };
    let set = AttributeSet::load(&mut *tx, AttributeEntity::EndUser).await?;
    insert_end_user(
        tx,
        &set,
        change,
        NewEndUser {
            customer_id,
            name: Some(name),
            email: Some(email),
            ..Default::default()
        },
        None,
    )
    .await
}

/// Stores a message's attachments and the original message as `message.eml` on the reply.
async fn attach(
    tx: &mut dyn Writer,
    raw: &[u8],
    mail: &InboundMail,
    reply: &Reply,
) -> AppResult<Vec<domain::attachment::Attachment>> {
    let files = mail
        .attachments
        .iter()
        .map(|a| NewFile {
            filename: a.filename.clone(),
            content_type: Some(a.content_type.clone()),
            content: a.bytes.clone(),
        })
        .chain(std::iter::once(NewFile {
            filename: "message.eml".into(),
            content_type: Some("message/rfc822".into()),
            content: raw.to_vec(),
        }))
        .collect();
    store_files(tx, reply, files, now()).await
}

/// Records the message's id on its ticket; `false`: another delivery of it was stored meanwhile (the
/// caller drops its transaction).
async fn record_message(
    tx: &mut dyn Writer,
    message_id: &str,
    ticket: &Ticket,
    reply_id: i64,
    mailbox: &Mailbox,
) -> AppResult<bool> {
    Ok(tx
        .insert_mail_message(&MailMessage {
            message_id: message_id.to_owned(),
            ticket_id: ticket.id,
            reply_id: Some(reply_id),
            brand_id: mailbox.brand_id,
            direction: "in",
            created_at: now(),
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::title_of;

    #[test]
    fn titles_lose_reply_prefixes_and_tags() {
        assert_eq!(title_of("Re: [#42] Printer on fire"), "Printer on fire");
        assert_eq!(title_of("AW: Fwd: RE:  Invoice\tquestion"), "Invoice question");
        assert_eq!(title_of("[#abc] stays"), "[#abc] stays");
        assert_eq!(title_of("   "), "(no subject)");
        assert_eq!(title_of("Re:"), "(no subject)");
        assert_eq!(title_of(&"x".repeat(400)).chars().count(), 255);
    }
}
