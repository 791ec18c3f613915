//! Outbound mail (SPEC §10): the outbox queues, for each event that asks for it, one mail per recipient
//! (so a refused recipient never holds the others'), each with a Message-ID of its own kind fixed at
//! queue time (a retry sends the same message). A node claims due mails with a lease, builds each from
//! the ticket as it is then, hands it to the mailbox's SMTP server (or the installation's), and records
//! the attempt: done, pending again on the webhook retry schedule, or failed.
use crate::mail_text::MailText;
use crate::{App, AppError, AppResult};
use domain::automation::{DeliveryStatus, retry_delay};
use domain::mail::{MailAddress, new_message_id, subject_for};
use domain::mailbox::{MailAttempt, MailDelivery, MailKind, MailSubject, Mailbox, MessageAuthor, mail_subject};
use domain::{Event, Principal, Role, Timestamp};
use integrations::mail::build::{OutgoingAttachment, OutgoingMail, build, html_of_text};
use integrations::mail::smtp::{SmtpError, SmtpOptions, SmtpSender, SmtpUrl};
use jiff::SignedDuration;
use rand::RngExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::time::now;
use store::{MailMessage, MailOutcome, NewMailDelivery, PageRequest, Reader};

/// How many earlier Message-IDs of a ticket a mail's `References` names (the newest ones).
const REFERENCES: u32 = 20;

/// The most staff told of one unassigned ticket when its department has no members (every agent).
const MAX_NOTIFIED: u32 = 200;

/// SMTP senders by server URL, kept between mails so their connections are reused.
#[derive(Default)]
pub(crate) struct Senders(Mutex<HashMap<String, Arc<SmtpSender>>>);

/// How an attempt went.
#[derive(Debug)]
pub struct MailSent {
    pub attempted_at: Timestamp,
    pub latency: Duration,
    pub failure: Option<MailFailure>,
}

/// Why an attempt failed, and whether trying again can help.
#[derive(Debug)]
pub struct MailFailure {
    pub smtp_code: Option<u16>,
    pub error: String,
    pub retry: bool,
}

impl MailFailure {
    fn permanent(error: impl Into<String>) -> Self {
        Self {
            smtp_code: None,
            error: error.into(),
            retry: false,
        }
    }

    fn of_smtp(e: &SmtpError) -> Self {
        Self {
            smtp_code: e.code(),
            error: e.to_string(),
            retry: !e.is_permanent(),
        }
    }
}

impl From<AppError> for MailFailure {
    fn from(e: AppError) -> Self {
        Self {
            smtp_code: None,
            error: format!("reading the ticket failed: {e}"),
            retry: true,
        }
    }
}

impl From<store::StoreError> for MailFailure {
    fn from(e: store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

fn later(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_add(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

/// The domain of an address (`support@acme.example` → `acme.example`).
fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or(address, |(_, domain)| domain)
}

/// The mailbox a ticket's mail leaves from: the brand's active mailbox for the ticket's department, else
/// its first active one.
fn sending_mailbox(mailboxes: &[Mailbox], department_id: i64) -> Option<&Mailbox> {
    let active = || mailboxes.iter().filter(|m| m.active);
    active()
        .find(|m| m.department_id == department_id)
        .or_else(|| active().next())
}

/// A mail queued for an event, and the Message-ID the ticket's thread learns.
pub(crate) struct QueuedMail {
    pub delivery: NewMailDelivery,
    pub message: MailMessage,
}

impl App {
    /// The mails `events` queue (SPEC §10), with the Message-IDs to record for them.
    pub(crate) async fn mails_for(&self, events: &[Event]) -> AppResult<Vec<QueuedMail>> {
        let subjects: Vec<(i64, MailSubject)> = events
            .iter()
            .filter_map(|e| mail_subject(e).map(|s| (e.id, s)))
            .collect();
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let mut db = self.store().read().await?;
        let mut out = Vec::new();
        for (event_id, subject) in subjects {
            let Some(department) = db.department(subject.department_id).await? else {
                continue;
            };
            let Some(brand) = db.brand(department.brand_id).await? else {
                continue;
            };
            let mailboxes = db.mailboxes(Some(brand.id)).await?;
            let Some(mailbox) = sending_mailbox(&mailboxes, department.id) else {
                continue;
            };
            let author_email = author_email(&mut *db, &subject).await?;
            for kind in &subject.kinds {
                let recipients = match kind {
                    MailKind::Acknowledgement if !brand.acknowledge_new_tickets => Vec::new(),
                    MailKind::Reply | MailKind::Acknowledgement => db
                        .end_user(subject.requester_id)
                        .await?
                        .and_then(|u| u.email)
                        .into_iter()
                        .collect(),
                    MailKind::Notification => agents_to_tell(&mut *db, &subject).await?,
                };
                let mut recipients: Vec<String> = recipients
                    .into_iter()
                    .map(|r| r.trim().to_lowercase())
                    // The acknowledgement goes to the author of the message it acknowledges; otherwise nobody
                    // is mailed their own message.
                    .filter(|r| {
                        !r.is_empty()
                            && *r != mailbox.address
                            && (*kind == MailKind::Acknowledgement || Some(r) != author_email.as_ref())
                    })
                    .collect();
                recipients.sort();
                recipients.dedup();
                if recipients.is_empty() {
                    continue;
                }
                let message_id = new_message_id(rand::rng().random(), domain_of(&mailbox.address));
                for recipient in recipients {
                    out.push(QueuedMail {
                        delivery: NewMailDelivery {
                            event_id,
                            kind: *kind,
                            mailbox_id: mailbox.id,
                            brand_id: brand.id,
                            ticket_id: subject.ticket_id,
                            reply_id: Some(subject.reply_id),
                            recipient,
                            message_id: message_id.clone(),
                        },
                        message: MailMessage {
                            message_id: message_id.clone(),
                            ticket_id: subject.ticket_id,
                            reply_id: Some(subject.reply_id),
                            brand_id: brand.id,
                            direction: "out",
                            created_at: now(),
                        },
                    });
                }
            }
        }
        Ok(out)
    }

    /// When the next mail no node holds is due (none: nothing is pending).
    pub async fn next_mail_due(&self) -> AppResult<Option<Timestamp>> {
        Ok(self.store().read().await?.next_mail_due(now()).await?)
    }

    /// Claims up to `limit` due mails for `node`; the claim holds for `lease`.
    pub async fn claim_mails(&self, node: &str, limit: i64, lease: Duration) -> AppResult<Vec<MailDelivery>> {
        let at = now();
        match self.next_mail_due().await? {
            Some(due) if due <= at => {}
            _ => return Ok(Vec::new()),
        }
        let mut tx = self.store().write().await?;
        let claimed = tx.claim_mail_deliveries(node, at, later(at, lease), limit).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Builds a claimed mail from the ticket as it is now and hands it to the SMTP server. Never fails: what
    /// went wrong is the attempt's.
    pub async fn send_mail(&self, mail: &MailDelivery) -> MailSent {
        let attempted_at = now();
        let started = Instant::now();
        let failure = self.try_send_mail(mail).await.err();
        MailSent {
            attempted_at,
            latency: started.elapsed(),
            failure,
        }
    }

    async fn try_send_mail(&self, mail: &MailDelivery) -> Result<(), MailFailure> {
        let (raw, envelope_from, smtp_url) = self.compose(mail).await?;
        let sender = self.smtp_sender(&smtp_url)?;
        sender
            .send(&envelope_from, &mail.recipient, &raw)
            .await
            .map(drop)
            .map_err(|e| MailFailure::of_smtp(&e))
    }

    /// The pooled sender of one SMTP server.
    fn smtp_sender(&self, smtp_url: &str) -> Result<Arc<SmtpSender>, MailFailure> {
        let mut senders = self.senders.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(sender) = senders.get(smtp_url) {
            return Ok(Arc::clone(sender));
        }
        let url =
            SmtpUrl::parse(smtp_url).map_err(|e| MailFailure::permanent(format!("the SMTP URL is not usable: {e}")))?;
        let options = SmtpOptions {
            extra_roots: self.mail_roots().to_vec(),
            ..SmtpOptions::default()
        };
        let sender = Arc::new(SmtpSender::new(&url, &options).map_err(|e| MailFailure::of_smtp(&e))?);
        senders.insert(smtp_url.to_owned(), Arc::clone(&sender));
        Ok(sender)
    }

    /// The message of a queued mail, its envelope sender and the SMTP server it goes through.
    async fn compose(&self, mail: &MailDelivery) -> Result<(Vec<u8>, String, String), MailFailure> {
        let mut db = self.store().read().await?;
        let mailbox = db
            .mailbox(mail.mailbox_id)
            .await?
            .ok_or_else(|| MailFailure::permanent("the mailbox was deleted"))?;
        let smtp_url = mailbox
            .smtp_url
            .clone()
            .or_else(|| self.smtp_url().map(str::to_owned))
            .ok_or_else(|| MailFailure {
                smtp_code: None,
                error: "no SMTP server: set the mailbox's smtp_url or FERRODESK_SMTP_URL".into(),
                retry: true,
            })?;
        let brand = db
            .brand(mail.brand_id)
            .await?
            .ok_or_else(|| MailFailure::permanent("the brand was deleted"))?;
        let ticket = db
            .ticket(mail.ticket_id)
            .await?
            .ok_or_else(|| MailFailure::permanent("the ticket was deleted"))?;
        let reply = match mail.reply_id {
            Some(id) => Some(
                db.reply(id)
                    .await?
                    .filter(|r| r.owner_id == ticket.id)
                    .ok_or_else(|| MailFailure::permanent("the reply was deleted"))?,
            ),
            None => None,
        };
        let department = db.department(ticket.did).await?.map(|d| d.name).unwrap_or_default();
        let requester = db.end_user(ticket.user_id).await?;
        let recipient_name = match mail.kind {
            MailKind::Reply | MailKind::Acknowledgement => requester.as_ref().map(|u| u.name.clone()),
            MailKind::Notification => db.staff_credentials(&mail.recipient).await?.map(|c| c.staff.name),
        };
        let mut attachments = Vec::new();
        if let Some(reply) = &reply
            && mail.kind != MailKind::Acknowledgement
        {
            for (_, attachment) in db.attachments_of_replies(&[reply.id]).await? {
                let Some(bytes) = db.attachment_content(&attachment.sha256).await? else {
                    continue;
                };
                attachments.push(OutgoingAttachment {
                    filename: attachment.filename,
                    content_type: attachment.content_type,
                    bytes,
                });
            }
        }
        // What came before this mail in the ticket's thread (the mails queued with it, or after it, are not
        // what it answers).
        let references = db.messages_of_ticket(ticket.id, &mail.message_id, REFERENCES).await?;
        drop(db);
        let names: Vec<String> = attachments.iter().map(|a| a.filename.clone()).collect();
        let text = MailText {
            kind: mail.kind,
            brand: &brand.name,
            greeting: &brand.greeting,
            ticket_id: ticket.id,
            title: &ticket.title,
            department: &department,
            requester: requester.as_ref().map_or("", |u| u.name.as_str()),
            author: reply.as_ref().map_or("", |r| r.name.as_str()),
            message: reply.as_ref().map_or("", |r| r.message.as_str()),
            attachments: &names,
        }
        .body();
        let outgoing = OutgoingMail {
            from: MailAddress::new(Some(&brand.name), &mailbox.address),
            to: vec![MailAddress::new(recipient_name.as_deref(), &mail.recipient)],
            subject: subject_for(ticket.id, &ticket.title),
            message_id: mail.message_id.clone(),
            in_reply_to: references.last().cloned(),
            references,
            // Automatic mail says so (RFC 3834), so that other systems' auto-replies do not answer it.
            auto_submitted: (mail.kind == MailKind::Acknowledgement).then(|| "auto-replied".to_owned()),
            date: now(),
            html: html_of_text(&text),
            text,
            attachments,
        };
        // An acknowledgement goes with the null return path: a bounce of it must not come back to a mailbox
        // that would read it as a message.
        let envelope_from = if mail.kind == MailKind::Acknowledgement {
            String::new()
        } else {
            mailbox.address.clone()
        };
        Ok((build(&outgoing), envelope_from, smtp_url))
    }

    /// Records `node`'s attempt with the mail's next state.
    pub async fn record_mail(&self, node: &str, mail: &MailDelivery, sent: &MailSent) -> AppResult<()> {
        let (status, next) = match &sent.failure {
            None => (DeliveryStatus::Done, None),
            Some(f) if !f.retry => (DeliveryStatus::Failed, None),
            Some(_) => {
                let jitter: f64 = rand::rng().random_range(0.8..=1.2);
                let wait = retry_delay(mail.attempts + 1, self.webhook_settings().retry_scale, jitter);
                let next = later(now(), wait);
                if next > mail.deadline_at {
                    (DeliveryStatus::Failed, None)
                } else {
                    (DeliveryStatus::Pending, Some(next))
                }
            }
        };
        let outcome = MailOutcome {
            mail_delivery_id: mail.id,
            attempt: MailAttempt {
                id: 0,
                mail_delivery_id: mail.id,
                attempted_at: sent.attempted_at,
                smtp_code: sent.failure.as_ref().and_then(|f| f.smtp_code).map(i64::from),
                error: sent.failure.as_ref().map(|f| f.error.clone()),
                latency_us: i64::try_from(sent.latency.as_micros()).unwrap_or(i64::MAX),
            },
            status,
            next_attempt_at: next,
        };
        let mut tx = self.store().write().await?;
        let recorded = tx.record_mail_delivery(node, &outcome).await?;
        tx.commit().await?;
        if !recorded {
            tracing::warn!(
                mail = mail.id,
                "a mail's claim was taken over; its attempt is not recorded"
            );
        } else if let Some(f) = &sent.failure {
            tracing::warn!(mail = mail.id, ticket = mail.ticket_id, kind = %mail.kind, error = %f.error,
                status = <&'static str>::from(status), "mail attempt failed");
        }
        Ok(())
    }

    /// The mails queued for an event, each with its attempts (staff see them on the event).
    pub async fn event_mails(&self, p: &Principal, event_id: i64) -> AppResult<Vec<MailDelivery>> {
        crate::require_staff(p)?;
        let mut db = self.store().read().await?;
        let mut mails = db.mail_deliveries_of_event(event_id).await?;
        let ids: Vec<i64> = mails.iter().map(|m| m.id).collect();
        let mut by_mail: HashMap<i64, Vec<MailAttempt>> = HashMap::new();
        for attempt in db.mail_attempts(&ids).await? {
            by_mail.entry(attempt.mail_delivery_id).or_default().push(attempt);
        }
        for mail in &mut mails {
            mail.attempt_log = by_mail.remove(&mail.id).unwrap_or_default();
        }
        Ok(mails)
    }
}

/// The address of the message's author, lowercase: nobody is mailed their own message.
async fn author_email(db: &mut dyn Reader, subject: &MailSubject) -> AppResult<Option<String>> {
    let email = match subject.author {
        Some(MessageAuthor::Staff(id)) => db.staff(id).await?.map(|s| s.email),
        Some(MessageAuthor::EndUser(id)) => db.end_user(id).await?.and_then(|u| u.email),
        None => None,
    };
    Ok(email.map(|e| e.trim().to_lowercase()))
}

/// Who is told of a customer's message: the assigned agent; else the department's members; else every
/// agent (and admin).
async fn agents_to_tell(db: &mut dyn Reader, subject: &MailSubject) -> AppResult<Vec<String>> {
    if let Some(assigned) = subject.assigned {
        return Ok(db.staff(assigned).await?.map(|s| s.email).into_iter().collect());
    }
    let members = db.department_members(subject.department_id).await?;
    if !members.is_empty() {
        let mut emails = Vec::with_capacity(members.len());
        for id in members {
            if let Some(staff) = db.staff(id).await? {
                emails.push(staff.email);
            }
        }
        return Ok(emails);
    }
    let everyone = db.staff_list(&PageRequest::first(MAX_NOTIFIED)).await?;
    Ok(everyone
        .into_iter()
        .filter(|s| matches!(s.role, Role::Agent | Role::Admin))
        .map(|s| s.email)
        .collect())
}
