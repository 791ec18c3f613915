//! Mailboxes (SPEC §10, `/api/v1/mailboxes`): admins say where a brand's mail arrives (IMAP, or an MTA
//! piping into `ferrodesk mail-in`) and how it leaves (the mailbox's SMTP server, or the installation's).
use crate::{App, AppError, AppResult, Change, Fields, RequestMeta, Subject, commit_with_event, require_admin};
use api_types::{MailboxPatch, MailboxTest, NewMailbox, ServerCheck};
use domain::event::{EntityType, EventAction};
use domain::mailbox::{Mailbox, masked_url, unmasked_url};
use domain::{Email, Principal};
use integrations::mail::imap::{self, ImapUrl};
use integrations::mail::smtp::{self, SmtpUrl};
use store::MailboxFields;
use store::time::now;

/// The longest a connection test may take, per server.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The longest URL kept.
const MAX_URL: usize = 2000;

/// A mailbox's server URL as the mail clients read it, or a field error.
fn check_url(fields: &mut Fields, field: &str, url: &str) -> String {
    let url = url.trim();
    let parsed = if field == "imap_url" {
        ImapUrl::parse(url).map(drop)
    } else {
        SmtpUrl::parse(url).map(drop)
    };
    if let Err(e) = parsed {
        let example = if field == "imap_url" {
            "imaps://user:password@imap.example.com/INBOX"
        } else {
            "smtp://user:password@smtp.example.com:587 or smtps://…:465"
        };
        fields.add(
            field,
            format!("{e} (e.g. {example}; special characters in the password percent-encoded)"),
        );
    }
    if url.len() > MAX_URL {
        fields.add(field, format!("must be at most {MAX_URL} characters"));
    }
    url.to_owned()
}

fn check_address(fields: &mut Fields, address: &str) -> String {
    match Email::parse(address.trim()) {
        Ok(email) => email.as_str().to_lowercase(),
        Err(e) => {
            fields.add("address", e);
            String::new()
        }
    }
}

/// The event-log view of a mailbox: its URLs masked, as the API shows them.
fn logged(mailbox: &Mailbox) -> serde_json::Value {
    serde_json::to_value(mailbox).unwrap_or_default()
}

impl App {
    /// The department must exist and belong to the brand.
    async fn check_department(&self, fields: &mut Fields, brand_id: i64, department_id: i64) -> AppResult<()> {
        let mut db = self.store().read().await?;
        if db.brand(brand_id).await?.is_none() {
            fields.add("brand_id", "no such brand");
            return Ok(());
        }
        match db.department(department_id).await? {
            Some(d) if d.brand_id == brand_id => {}
            Some(_) => fields.add("department_id", "must be a department of the mailbox's brand"),
            None => fields.add("department_id", "no such department"),
        }
        Ok(())
    }

    pub async fn create_mailbox(&self, p: &Principal, meta: &RequestMeta, input: NewMailbox) -> AppResult<Mailbox> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let address = check_address(&mut fields, &input.address);
        let imap_url = input
            .imap_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| check_url(&mut fields, "imap_url", u));
        let smtp_url = input
            .smtp_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| check_url(&mut fields, "smtp_url", u));
        self.check_department(&mut fields, input.brand_id, input.department_id)
            .await?;
        fields.finish()?;
        let mut tx = self.store().write().await?;
        if tx.mailbox_by_address(&address).await?.is_some() {
            return Err(AppError::field("address", "another mailbox has this address"));
        }
        let mailbox = tx
            .insert_mailbox(
                &MailboxFields {
                    brand_id: input.brand_id,
                    address,
                    department_id: input.department_id,
                    imap_url,
                    smtp_url,
                    active: input.active.unwrap_or(true),
                },
                now(),
            )
            .await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Created,
            Subject(EntityType::Mailbox, mailbox.id, None),
            None,
            logged(&mailbox),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(mailbox)
    }

    pub async fn mailbox(&self, p: &Principal, id: i64) -> AppResult<Mailbox> {
        require_admin(p)?;
        self.store().read().await?.mailbox(id).await?.ok_or(AppError::NotFound)
    }

    /// Every mailbox (of one brand when `brand_id` is given); an installation has few.
    pub async fn list_mailboxes(&self, p: &Principal, brand_id: Option<i64>) -> AppResult<Vec<Mailbox>> {
        require_admin(p)?;
        Ok(self.store().read().await?.mailboxes(brand_id).await?)
    }

    pub async fn update_mailbox(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: MailboxPatch,
    ) -> AppResult<Mailbox> {
        require_admin(p)?;
        let old = self.mailbox(p, id).await?;
        let mut fields = Fields::default();
        let address = patch.address.as_deref().map(|a| check_address(&mut fields, a));
        let url = |fields: &mut Fields, given: Option<Option<String>>, stored: &Option<String>, field| match given {
            None => stored.clone(),
            Some(None) => None,
            Some(Some(u)) if u.trim().is_empty() => None,
            Some(Some(u)) => Some(check_url(fields, field, &unmasked_url(&u, stored.as_deref()))),
        };
        let imap_url = url(&mut fields, patch.imap_url, &old.imap_url, "imap_url");
        let smtp_url = url(&mut fields, patch.smtp_url, &old.smtp_url, "smtp_url");
        let brand_id = patch.brand_id.unwrap_or(old.brand_id);
        let department_id = patch.department_id.unwrap_or(old.department_id);
        if brand_id != old.brand_id || department_id != old.department_id {
            self.check_department(&mut fields, brand_id, department_id).await?;
        }
        fields.finish()?;
        let wanted = MailboxFields {
            brand_id,
            address: address.unwrap_or_else(|| old.address.clone()),
            department_id,
            imap_url,
            smtp_url,
            active: patch.active.unwrap_or(old.active),
        };
        let mut tx = self.store().write().await?;
        if wanted.address != old.address && tx.mailbox_by_address(&wanted.address).await?.is_some() {
            return Err(AppError::field("address", "another mailbox has this address"));
        }
        let mailbox = tx.update_mailbox(id, &wanted, now()).await?.ok_or(AppError::NotFound)?;
        let event = Change { principal: p, meta }.event(
            EventAction::Updated,
            Subject(EntityType::Mailbox, id, None),
            None,
            logged(&mailbox),
            logged(&old),
        );
        commit_with_event(tx, event).await?;
        Ok(mailbox)
    }

    pub async fn delete_mailbox(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.mailbox(id).await?.ok_or(AppError::NotFound)?;
        tx.delete_mailbox(id).await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Deleted,
            Subject(EntityType::Mailbox, id, None),
            None,
            serde_json::Value::Null,
            logged(&old),
        );
        commit_with_event(tx, event).await?;
        Ok(())
    }

    /// How IMAP connections trust servers: the system's roots and the installation's extra ones.
    pub fn imap_tls(&self) -> imap::ImapTls {
        imap::ImapTls {
            extra_roots: self.mail_roots().to_vec(),
        }
    }

    /// How SMTP connections are made for a check.
    fn smtp_options(&self) -> smtp::SmtpOptions {
        smtp::SmtpOptions {
            timeout: CHECK_TIMEOUT,
            extra_roots: self.mail_roots().to_vec(),
            ..smtp::SmtpOptions::default()
        }
    }

    /// The mailboxes `serve` polls: active ones with an `imap_url`.
    pub async fn mailboxes_to_poll(&self) -> AppResult<Vec<Mailbox>> {
        let all = self.store().read().await?.mailboxes(None).await?;
        Ok(all.into_iter().filter(|m| m.active && m.imap_url.is_some()).collect())
    }

    /// Records how a poll of a mailbox went (`error` none: it worked).
    pub async fn record_mailbox_poll(&self, id: i64, error: Option<&str>) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        tx.set_mailbox_polled(id, error, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Connects to the mailbox's IMAP server and to its SMTP server (or the installation's) and logs in, and
    /// says what failed.
    pub async fn test_mailbox(&self, p: &Principal, id: i64) -> AppResult<MailboxTest> {
        let mailbox = self.mailbox(p, id).await?;
        let imap = match mailbox.imap_url.as_deref() {
            None => ServerCheck::not_configured(),
            Some(url) => match ImapUrl::parse(url) {
                Err(e) => ServerCheck::failed(masked_url(url), e.to_string()),
                Ok(parsed) => match imap::check_with(&parsed, CHECK_TIMEOUT, &self.imap_tls()).await {
                    Ok(()) => ServerCheck::ok(parsed.masked()),
                    Err(e) => ServerCheck::failed(parsed.masked(), e.to_string()),
                },
            },
        };
        let smtp = match mailbox.smtp_url.as_deref().or(self.smtp_url()) {
            None => ServerCheck::not_configured(),
            Some(url) => match SmtpUrl::parse(url) {
                Err(e) => ServerCheck::failed(masked_url(url), e.to_string()),
                Ok(parsed) => match smtp::check_with(&parsed, &self.smtp_options()).await {
                    Ok(()) => ServerCheck::ok(parsed.masked()),
                    Err(e) => ServerCheck::failed(parsed.masked(), e.to_string()),
                },
            },
        };
        Ok(MailboxTest {
            ok: imap.status != "failed" && smtp.status != "failed",
            imap,
            smtp,
        })
    }
}
