//! Web UI logins (SPEC §2): email and password (argon2id) for staff and end users, server-side sessions
//! (a random secret in the cookie, its SHA-256 in the database, so any node serves them), idle and
//! absolute expiry, logout that ends the session everywhere, at most 5 failed logins per account and address
//! in 15 minutes, password change with the current password, and admin-issued reset links.
use crate::auth::{check_password, hash_password, new_token_secret, token_hash, verify_password};
use crate::{App, AppError, AppResult, require_admin};
use domain::{Principal, Timestamp};
use jiff::SignedDuration;
use std::time::Duration;
use store::time::now;
use store::{PasswordReset, Person, SessionRecord};

/// Failed logins for one account from one address that are allowed in [`FAILURE_WINDOW`].
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a reset link works.
pub const RESET_LINK_TTL: Duration = Duration::from_secs(24 * 3600);
/// A session's last-seen time is written at most this often (reads do not each cost a write).
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Without a request for this long, a session ends.
    pub idle: Duration,
    /// A session ends this long after login, whatever the activity.
    pub absolute: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(12 * 3600),
            absolute: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// A logged-in browser: who, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub id: i64,
    pub principal: Principal,
    pub person: Person,
    pub csrf: String,
}

/// A successful login: the cookie's secret (shown once) and the session.
#[derive(Debug, Clone)]
pub struct Login {
    pub secret: String,
    pub session: WebSession,
}

fn since(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_sub(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX))
        .unwrap_or(Timestamp::MIN)
}

fn until(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_add(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

/// The account key of the rate limit: the email as typed, trimmed and lower-cased.
fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl App {
    /// Logs a staff member or an end user in (staff first when both have the email). Too many failures for
    /// the account from this address: 429 until the window frees up; a wrong email or password: 401.
    pub async fn login(&self, email: &str, password: &str, ip: &str, user_agent: Option<&str>) -> AppResult<Login> {
        let at = now();
        let key = account_key(email);
        let window_start = since(at, FAILURE_WINDOW);
        {
            let mut db = self.store().read().await?;
            if db.login_failures_since(&key, ip, window_start).await? >= MAX_FAILURES {
                let first = db
                    .first_login_failure_since(&key, ip, window_start)
                    .await?
                    .unwrap_or(at);
                let free = until(first, FAILURE_WINDOW);
                let secs = free.duration_since(at).as_secs().max(1);
                return Err(AppError::RateLimited {
                    retry_after_secs: u64::try_from(secs).unwrap_or(1),
                });
            }
        }
        let principal = match self.login_staff(email, password).await {
            Ok(p) => Ok(p),
            Err(AppError::Unauthenticated) => self.login_end_user(email, password).await,
            Err(e) => Err(e),
        };
        let mut tx = self.store().write().await?;
        let principal = match principal {
            Ok(p) => p,
            Err(AppError::Unauthenticated) => {
                tx.insert_login_failure(&key, ip, at).await?;
                tx.commit().await?;
                return Err(AppError::Unauthenticated);
            }
            Err(e) => return Err(e),
        };
        let person = match &principal {
            Principal::Staff { id, .. } => Person::Staff(*id),
            Principal::EndUser { id, .. } => Person::EndUser(*id),
            _ => return Err(AppError::Unauthenticated),
        };
        let secret = new_token_secret();
        let record = tx
            .insert_session(&SessionRecord {
                id: 0,
                secret_hash: token_hash(&secret),
                person,
                csrf: new_token_secret(),
                ip: Some(ip.to_owned()),
                user_agent: user_agent.map(|u| u.chars().take(300).collect()),
                created_at: at,
                last_seen_at: at,
                expires_at: until(at, self.session_settings().absolute),
            })
            .await?;
        tx.clear_login_failures(window_start, Some((&key, ip))).await?;
        tx.commit().await?;
        Ok(Login {
            secret,
            session: WebSession {
                id: record.id,
                principal,
                person,
                csrf: record.csrf,
            },
        })
    }

    /// The session a cookie's secret names, if it is still alive (idle and absolute expiry); its person
    /// is read again, so a deleted end user or a changed role takes effect at once.
    pub async fn web_session(&self, secret: &str) -> AppResult<WebSession> {
        if secret.is_empty() || secret.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let at = now();
        let mut db = self.store().read().await?;
        let record = db
            .session_by_hash(&token_hash(secret))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let idle_end = until(record.last_seen_at, self.session_settings().idle);
        if at >= record.expires_at || at >= idle_end {
            drop(db);
            let mut tx = self.store().write().await?;
            tx.delete_session(record.id).await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated);
        }
        let principal = match record.person {
            Person::Staff(id) => {
                let staff = db.staff(id).await?.ok_or(AppError::Unauthenticated)?;
                Principal::Staff {
                    id: staff.id,
                    role: staff.role,
                    name: staff.name,
                }
            }
            Person::EndUser(id) => {
                let user = db
                    .end_user(id)
                    .await?
                    .filter(|u| u.deleted_at.is_none())
                    .ok_or(AppError::Unauthenticated)?;
                if db
                    .customer(user.customer_id)
                    .await?
                    .is_none_or(|c| c.deleted_at.is_some())
                {
                    return Err(AppError::Unauthenticated);
                }
                Principal::EndUser {
                    id: user.id,
                    customer_id: user.customer_id,
                    name: user.name,
                }
            }
        };
        drop(db);
        if at.duration_since(record.last_seen_at) >= SignedDuration::try_from(TOUCH_EVERY).unwrap_or_default() {
            let mut tx = self.store().write().await?;
            tx.touch_session(record.id, at).await?;
            tx.commit().await?;
        }
        Ok(WebSession {
            id: record.id,
            principal,
            person: record.person,
            csrf: record.csrf,
        })
    }

    /// Ends the session (on every node: it is gone from the database).
    pub async fn logout(&self, session: &WebSession) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        tx.delete_session(session.id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the logged-in person's password, given the current one (422 naming `current_password`
    /// when it is wrong); their other sessions end.
    pub async fn change_own_password(&self, session: &WebSession, current: &str, new: &str) -> AppResult<()> {
        check_password(new).map_err(|e| AppError::field("password", e))?;
        self.count_password_change(&session.principal)?;
        let wrong = || AppError::field("current_password", "is not your current password");
        let hash = match session.person {
            Person::Staff(id) => {
                let mut db = self.store().read().await?;
                let staff = db.staff(id).await?.ok_or(AppError::Unauthenticated)?;
                let creds = db
                    .staff_credentials(&staff.email)
                    .await?
                    .ok_or(AppError::Unauthenticated)?;
                creds.password_hash
            }
            Person::EndUser(id) => self
                .store()
                .read()
                .await?
                .end_user_password_hash(id)
                .await?
                .ok_or_else(wrong)?,
        };
        if !verify_password(current.to_owned(), hash).await {
            return Err(wrong());
        }
        let new_hash = hash_password(new.to_owned()).await?;
        let mut tx = self.store().write().await?;
        set_password(&mut tx, session.person, &new_hash).await?;
        // The person's other browsers are logged out; this one stays.
        tx.delete_sessions_of(session.person, Some(session.id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An admin issues a reset link's secret for a staff member or an end user (no email needed): valid
    /// for a day, once.
    pub async fn create_password_reset(&self, p: &Principal, person: Person) -> AppResult<String> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let exists = match person {
            Person::Staff(id) => tx.staff(id).await?.is_some(),
            Person::EndUser(id) => tx.end_user(id).await?.is_some_and(|u| u.deleted_at.is_none()),
        };
        if !exists {
            return Err(AppError::NotFound);
        }
        let secret = new_token_secret();
        let at = now();
        tx.insert_password_reset(&PasswordReset {
            id: 0,
            secret_hash: token_hash(&secret),
            person,
            created_at: at,
            expires_at: until(at, RESET_LINK_TTL),
            used_at: None,
        })
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Whether a reset link still works (unused, not expired): 404 otherwise.
    pub async fn check_password_reset(&self, secret: &str) -> AppResult<()> {
        let reset = self
            .store()
            .read()
            .await?
            .password_reset_by_hash(&token_hash(secret))
            .await?
            .ok_or(AppError::NotFound)?;
        if reset.used_at.is_some() || now() >= reset.expires_at {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// Sets a new password through a reset link; the link is used up and every session of the person ends.
    pub async fn reset_password(&self, secret: &str, new: &str) -> AppResult<()> {
        check_password(new).map_err(|e| AppError::field("password", e))?;
        let hash = hash_password(new.to_owned()).await?;
        let mut tx = self.store().write().await?;
        let reset = tx
            .password_reset_by_hash(&token_hash(secret))
            .await?
            .ok_or(AppError::NotFound)?;
        let at = now();
        if at >= reset.expires_at || !tx.use_password_reset(reset.id, at).await? {
            return Err(AppError::NotFound);
        }
        set_password(&mut tx, reset.person, &hash).await?;
        tx.delete_sessions_of(reset.person, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn set_password(tx: &mut Box<dyn store::Writer>, person: Person, hash: &str) -> AppResult<()> {
    match person {
        Person::Staff(id) => {
            let mut staff = tx.staff(id).await?.ok_or(AppError::NotFound)?;
            staff.updated_at = now();
            tx.update_staff(&staff, Some(hash)).await?;
        }
        Person::EndUser(id) => {
            let user = tx.end_user(id).await?.ok_or(AppError::NotFound)?;
            tx.update_end_user(&user, Some(Some(hash)), None).await?;
        }
    }
    Ok(())
}
