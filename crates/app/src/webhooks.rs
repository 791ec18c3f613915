//! Webhook endpoints (SPEC §4, `/api/v1/webhooks`): admins register where events go, see each endpoint's
//! deliveries with every attempt, and replay any delivery.
use crate::paging::{by_id, page_request, paged};
use crate::{App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, require_admin};
use api_types::{ListQuery, NewWebhook, WebhookPatch};
use base64::Engine;
use domain::automation::{DELIVERY_WINDOW, Delivery, Webhook, WebhookFormat, redacted, scaled};
use domain::event::{EntityType, EventAction};
use domain::{HookKind, HookPoint, Principal};
use jiff::SignedDuration;
use rand::RngExt;
use store::time::now;

/// How many event names one endpoint may subscribe to.
const MAX_EVENTS: usize = 200;

/// Whether `name` is something an endpoint can subscribe to: `*`, an event hook's name, or
/// `<type>.<action>` of the event log.
fn known_event(name: &str) -> bool {
    if name == "*" || HookPoint::parse(name).is_some_and(|p| p.kind() == HookKind::Event) {
        return true;
    }
    name.split_once('.').is_some_and(|(entity, action)| {
        EntityType::parse(entity).is_some() && domain::EventAction::parse(action).is_some()
    })
}

fn check_events(fields: &mut Fields, events: Vec<String>) -> Vec<String> {
    if events.is_empty() || events.len() > MAX_EVENTS {
        fields.add("events", format!("must name 1 to {MAX_EVENTS} events, or [\"*\"]"));
    }
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for name in events {
        let name = name.trim().to_owned();
        if !known_event(&name) {
            fields.add(
                "events",
                format!("{name:?} is not an event name (e.g. TicketClientCreated, ticket.updated, *)"),
            );
        } else if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn new_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn check_secret(fields: &mut Fields, secret: &str) -> String {
    if secret.is_empty() || secret.len() > 200 {
        fields.add("secret", "must be 1 to 200 characters");
    } else if integrations::secret_key(secret).is_err() {
        fields.add(
            "secret",
            "a secret starting with whsec_ must go on with base64 (Standard Webhooks' form)",
        );
    }
    secret.to_owned()
}

fn check_format(fields: &mut Fields, format: &str) -> WebhookFormat {
    format.parse().unwrap_or_else(|_| {
        fields.add("format", "must be native or teamtools");
        WebhookFormat::Native
    })
}

impl App {
    /// An http(s) URL whose host, when it is a literal address, may be reached; names are checked when a
    /// connection is made (the address they resolve to then).
    fn check_url(&self, fields: &mut Fields, url: &str) -> String {
        let url = url.trim();
        match url::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
                let ip = match parsed.host() {
                    Some(url::Host::Ipv4(v4)) => Some(std::net::IpAddr::V4(v4)),
                    Some(url::Host::Ipv6(v6)) => Some(std::net::IpAddr::V6(v6)),
                    _ => None,
                };
                if let Some(reason) = ip.and_then(integrations::refused_reason)
                    && !self.webhook_settings().allow_private
                {
                    fields.add(
                        "url",
                        format!("{reason} addresses are refused (serve --webhooks-allow-private allows them)"),
                    );
                }
            }
            _ => fields.add("url", "must be an http or https URL"),
        }
        if url.len() > 2000 {
            fields.add("url", "must be at most 2000 characters");
        }
        url.to_owned()
    }

    pub async fn create_webhook(&self, p: &Principal, meta: &RequestMeta, input: NewWebhook) -> AppResult<Webhook> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let url = self.check_url(&mut fields, &input.url);
        let events = check_events(&mut fields, input.events.unwrap_or_else(|| vec!["*".into()]));
        let secret = match input.secret {
            Some(secret) => check_secret(&mut fields, &secret),
            None => new_secret(),
        };
        let format = input
            .format
            .as_deref()
            .map_or(WebhookFormat::Native, |f| check_format(&mut fields, f));
        fields.finish()?;
        let at = now();
        let mut tx = self.store().write().await?;
        let webhook = tx
            .insert_webhook(&Webhook {
                id: 0,
                url,
                events,
                secret,
                format,
                active: input.active.unwrap_or(true),
                failing_since: None,
                disabled_reason: None,
                created_at: at,
                updated_at: at,
            })
            .await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Created,
            Subject(EntityType::Webhook, webhook.id, None),
            None,
            redacted(&webhook),
            serde_json::Value::Null,
        );
        commit_with_event(tx, event).await?;
        Ok(webhook)
    }

    pub async fn get_webhook(&self, p: &Principal, id: i64) -> AppResult<Webhook> {
        require_admin(p)?;
        self.store().read().await?.webhook(id).await?.ok_or(AppError::NotFound)
    }

    pub async fn list_webhooks(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<Webhook>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.webhook_list(&page).await?;
        Ok(paged(rows, &page, |w| by_id(w.id)))
    }

    pub async fn update_webhook(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        id: i64,
        patch: WebhookPatch,
    ) -> AppResult<Webhook> {
        require_admin(p)?;
        let mut fields = Fields::default();
        let url = patch.url.as_deref().map(|u| self.check_url(&mut fields, u));
        let events = patch.events.map(|e| check_events(&mut fields, e));
        let secret = patch.secret.as_deref().map(|s| check_secret(&mut fields, s));
        let format = patch.format.as_deref().map(|f| check_format(&mut fields, f));
        fields.finish()?;
        let mut tx = self.store().write().await?;
        let old = tx.webhook(id).await?.ok_or(AppError::NotFound)?;
        let mut webhook = old.clone();
        webhook.url = url.unwrap_or(webhook.url);
        webhook.events = events.unwrap_or(webhook.events);
        webhook.secret = secret.unwrap_or(webhook.secret);
        webhook.format = format.unwrap_or(webhook.format);
        if let Some(active) = patch.active {
            if active && !old.active {
                // Turned on again: its failures so far no longer count towards disabling it.
                webhook.failing_since = None;
                webhook.disabled_reason = None;
            }
            webhook.active = active;
        }
        if webhook == old {
            return Ok(old);
        }
        webhook.updated_at = now();
        tx.update_webhook(&webhook).await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Updated,
            Subject(EntityType::Webhook, id, None),
            None,
            redacted(&webhook),
            redacted(&old),
        );
        commit_with_event(tx, event).await?;
        self.deliveries_signal().notify_one();
        Ok(webhook)
    }

    pub async fn delete_webhook(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.webhook(id).await?.ok_or(AppError::NotFound)?;
        tx.delete_webhook(id, now()).await?;
        let event = Change { principal: p, meta }.event(
            EventAction::Deleted,
            Subject(EntityType::Webhook, id, None),
            None,
            serde_json::Value::Null,
            redacted(&old),
        );
        commit_with_event(tx, event).await
    }

    /// An endpoint's deliveries, newest first, each with its attempts.
    pub async fn webhook_deliveries(&self, p: &Principal, id: i64, q: &ListQuery) -> AppResult<Paged<Delivery>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let mut db = self.store().read().await?;
        db.webhook(id).await?.ok_or(AppError::NotFound)?;
        let before = page.after.as_ref().map(|c| c.id);
        let rows = db.deliveries_of_webhook(id, before, page.limit).await?;
        let rows = with_attempts(&mut *db, rows).await?;
        Ok(paged(rows, &page, |d| by_id(d.id)))
    }

    /// The deliveries made for an event, each with its attempts (staff see them on the event).
    pub async fn event_deliveries(&self, p: &Principal, event_id: i64) -> AppResult<Vec<Delivery>> {
        crate::require_staff(p)?;
        let mut db = self.store().read().await?;
        let rows = db.deliveries_of_event(event_id).await?;
        with_attempts(&mut *db, rows).await
    }

    pub async fn get_delivery(&self, p: &Principal, id: i64) -> AppResult<Delivery> {
        require_admin(p)?;
        let mut db = self.store().read().await?;
        let delivery = db.delivery(id).await?.ok_or(AppError::NotFound)?;
        with_attempts(&mut *db, vec![delivery])
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    /// Sends a delivery again from the start of its retry schedule (done, failed or still pending alike);
    /// 409 when its endpoint is disabled.
    pub async fn replay_delivery(&self, p: &Principal, id: i64) -> AppResult<Delivery> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let delivery = tx.delivery(id).await?.ok_or(AppError::NotFound)?;
        let webhook = tx.webhook(delivery.webhook_id).await?.ok_or(AppError::NotFound)?;
        if !webhook.active {
            return Err(AppError::Conflict(
                "the webhook is disabled; turn it on (PATCH active: true) before replaying".into(),
            ));
        }
        let at = now();
        let window = scaled(DELIVERY_WINDOW, self.webhook_settings().retry_scale);
        let deadline = at
            .checked_add(SignedDuration::try_from(window).unwrap_or(SignedDuration::MAX))
            .unwrap_or(at);
        tx.replay_delivery(id, at, deadline).await?;
        tx.commit().await?;
        self.deliveries_signal().notify_one();
        self.get_delivery(p, id).await
    }
}

/// `deliveries` with their attempts filled in.
pub(crate) async fn with_attempts(
    db: &mut dyn store::Reader,
    mut deliveries: Vec<Delivery>,
) -> AppResult<Vec<Delivery>> {
    let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
    let mut by_delivery: std::collections::HashMap<i64, Vec<_>> = std::collections::HashMap::new();
    for attempt in db.delivery_attempts(&ids).await? {
        by_delivery.entry(attempt.delivery_id).or_default().push(attempt);
    }
    for delivery in &mut deliveries {
        delivery.attempt_log = by_delivery.remove(&delivery.id).unwrap_or_default();
    }
    Ok(deliveries)
}
