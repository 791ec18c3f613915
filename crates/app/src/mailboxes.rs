//! Mailboxes (SPEC §10, `/api/v1/mailboxes`): admins say where a brand's mail arrives (IMAP, or an MTA
//! piping into `ferrodesk mail-in`) and how it leaves (the mailbox's SMTP server, or the installation's).
use crate::{App, AppError, AppResult, Change, Fields, RequestMeta, Subject, commit_with_event, require_admin};
use api_types::{MailboxPatch, NewMailbox};
use domain::event::{EntityType, EventAction};
use domain::mailbox::{Mailbox, unmasked_url};
use domain::{Email, Principal};
use store::MailboxFields;
use store::time::now;

/// The longest URL kept.
const MAX_URL: usize = 2000;

/// A URL of one of `schemes` with a host, or a field error.
fn check_url(fields: &mut Fields, field: &str, url: &str, schemes: &[&str]) -> String {
    let url = url.trim();
    match url::Url::parse(url) {
        Ok(parsed) if schemes.contains(&parsed.scheme()) && parsed.host_str().is_some_and(|h| !h.is_empty()) => {}
        _ => fields.add(
            field,
            format!(
                "must be a URL like {}://user:password@host{}",
                schemes.join(" or "),
                if field == "imap_url" { "/INBOX" } else { ":587" }
            ),
        ),
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
            .map(|u| check_url(&mut fields, "imap_url", u, &["imap", "imaps"]));
        let smtp_url = input
            .smtp_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| check_url(&mut fields, "smtp_url", u, &["smtp", "smtps"]));
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
        self.mail_signal().notify_one();
        Ok(mailbox)
    }

    pub async fn mailbox(&self, p: &Principal, id: i64) -> AppResult<Mailbox> {
        require_admin(p)?;
        self.store()
            .read()
            .await?
            .mailbox(id)
            .await?
            .ok_or(AppError::NotFound)
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
        let url = |fields: &mut Fields, given: Option<Option<String>>, stored: &Option<String>, field, schemes| {
            match given {
                None => stored.clone(),
                Some(None) => None,
                Some(Some(u)) if u.trim().is_empty() => None,
                Some(Some(u)) => Some(check_url(fields, field, &unmasked_url(&u, stored.as_deref()), schemes)),
            }
        };
        let imap_url = url(&mut fields, patch.imap_url, &old.imap_url, "imap_url", &["imap", "imaps"]);
        let smtp_url = url(&mut fields, patch.smtp_url, &old.smtp_url, "smtp_url", &["smtp", "smtps"]);
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
        self.mail_signal().notify_one();
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
        self.mail_signal().notify_one();
        Ok(())
    }
}
