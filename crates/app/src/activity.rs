//! End users' activity events (TeamTools' `Event`): recorded by integrations, listed per end user and per
//! customer. An OAuth client with a salt proves each event with `key = md5(endUserId . salt)`, as the
//! TeamTools SDK computes it (compat/teamtools.md §2, §6.6).
use crate::{App, AppError, AppResult, Fields, require_staff};
use domain::{ActivityEvent, Principal};
use md5::{Digest, Md5};
use serde_json::Value;
use store::time::now;

/// The most activity events one list or include shows (newest first).
pub const ACTIVITY_LIMIT: u32 = 100;

/// A new activity event as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct NewActivity {
    pub end_user_id: Option<i64>,
    pub name: Option<String>,
    pub counter: Option<i64>,
    pub metadata: Option<Value>,
    pub timestamp: Option<String>,
    pub key: Option<String>,
}

/// Lower-case hex MD5 of `end_user_id` followed by the salt: the SDK's event key.
pub fn event_key(end_user_id: i64, salt: &str) -> String {
    let digest = Md5::digest(format!("{end_user_id}{salt}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    pub async fn record_activity(&self, p: &Principal, input: NewActivity) -> AppResult<ActivityEvent> {
        require_staff(p)?;
        let mut fields = Fields::default();
        let name = input.name.as_deref().map(str::trim).unwrap_or_default().to_owned();
        if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
            fields.add("name", "must be one line of 1 to 255 characters");
        }
        let counter = input.counter.unwrap_or(1);
        if counter < 0 {
            fields.add("counter", "must not be negative");
        }
        let metadata = input.metadata.unwrap_or(Value::Object(Default::default()));
        let timestamp = match input.timestamp.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => now(),
            Some(t) => match parse_time(t) {
                Some(ts) => ts,
                None => {
                    fields.add(
                        "timestamp",
                        "must be a time such as 2026-12-01 10:00:00 or an RFC 3339 timestamp",
                    );
                    now()
                }
            },
        };
        let Some(end_user_id) = input.end_user_id else {
            fields.add("endUserId", "is required");
            return Err(fields.finish().err().unwrap_or(AppError::NotFound));
        };
        if let Some(salt) = self.oauth_client_salt(p).await? {
            let expected = event_key(end_user_id, &salt);
            if input.key.as_deref().map(str::to_ascii_lowercase) != Some(expected) {
                fields.add("key", "must be md5(endUserId . salt) with this client's salt");
            }
        }
        fields.finish()?;
        let mut tx = self.store().write().await?;
        let user = tx
            .end_user(end_user_id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or_else(|| AppError::field("endUserId", "no such end user"))?;
        let event = ActivityEvent {
            id: 0,
            end_user_id,
            customer_id: user.customer_id,
            name,
            counter,
            metadata,
            timestamp,
        };
        let event = tx.insert_activity_event(&event).await?;
        tx.commit().await?;
        Ok(event)
    }

    pub async fn activity_event(&self, p: &Principal, id: i64) -> AppResult<ActivityEvent> {
        require_staff(p)?;
        self.store()
            .read()
            .await?
            .activity_event(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The newest activity events of these end users and of these customers' end users.
    pub async fn activity_events(
        &self,
        p: &Principal,
        end_user_ids: &[i64],
        customer_ids: &[i64],
    ) -> AppResult<Vec<ActivityEvent>> {
        require_staff(p)?;
        Ok(self
            .store()
            .read()
            .await?
            .activity_events(end_user_ids, customer_ids, ACTIVITY_LIMIT)
            .await?)
    }
}

/// `YYYY-MM-DD HH:MM:SS` (UTC, TeamTools' form) or RFC 3339.
fn parse_time(t: &str) -> Option<jiff::Timestamp> {
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let dt: jiff::civil::DateTime = t.parse().ok()?;
    jiff::tz::Offset::UTC.to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_sdks_md5() {
        // PHP: md5("42" . "pepper")
        assert_eq!(event_key(42, "pepper"), "4efadda38ebe7f6860e972024a4d0efe");
        assert_eq!(event_key(1, ""), "c4ca4238a0b923820dcc509a6f75849b");
    }
}
