//! Credentials: argon2id passwords for people, SHA-256-hashed random secrets for API tokens.
//!
//! Token checks must cost microseconds (every API request makes one), so token secrets carry 256 random
//! bits and are stored as a plain SHA-256: with that much entropy a slow KDF adds nothing.
use crate::{App, AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use domain::{IntegrationKind, Principal, Role};
use rand::RngExt;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// argon2 runs at most this many hashes at once, one per core: each takes tens of milliseconds and about
/// 19 MiB, so unbounded concurrent password changes or logins grew the server by hundreds of MiB. Callers
/// past the bound wait their turn (and a request that waits too long meets the request timeout).
static ARGON2_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    Semaphore::new(cores)
});

/// Runs argon2 work on the blocking pool, within the process-wide bound.
async fn bounded_argon2<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let _slot = ARGON2_SLOTS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Prefix of every generated API token secret, so leaked secrets are easy to recognise and scan for. A
/// bootstrap secret (`FERRODESK_ADMIN_TOKEN`) is used as given and need not carry it.
pub const TOKEN_PREFIX: &str = "fd_";

/// Fewest characters a bootstrap token secret may have (SPEC §1).
pub const MIN_BOOTSTRAP_TOKEN_CHARS: usize = 16;

/// Longest secret a request may present: far above any real one, so a huge header costs no hashing.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// Rules for a bootstrap token secret given by the operator: any text of at least
/// [`MIN_BOOTSTRAP_TOKEN_CHARS`] characters that an `Authorization` header can carry unchanged (HTTP drops
/// surrounding whitespace and cannot carry control characters).
pub fn check_bootstrap_token(secret: &str) -> Result<(), String> {
    if secret.chars().count() < MIN_BOOTSTRAP_TOKEN_CHARS {
        Err(format!("must be at least {MIN_BOOTSTRAP_TOKEN_CHARS} characters"))
    } else if secret.len() > MAX_TOKEN_BYTES {
        Err(format!("must be at most {MAX_TOKEN_BYTES} bytes"))
    } else if secret.trim() != secret {
        Err("must not start or end with whitespace (an HTTP header cannot carry it)".into())
    } else if secret.chars().any(char::is_control) {
        Err("must not contain control characters (an HTTP header cannot carry them)".into())
    } else {
        Ok(())
    }
}

/// A fresh token secret: the prefix and 32 random bytes, base64url.
pub fn new_token_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A random password for a bootstrap account: 18 random bytes, base64url (24 characters).
pub fn new_password() -> String {
    let bytes: [u8; 18] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token secret: lower-case hex SHA-256.
pub fn token_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    out
}

/// Hashes a password with argon2id on a blocking thread (it takes tens of milliseconds by design), within
/// the bound on concurrent argon2 work.
pub async fn hash_password(password: String) -> AppResult<String> {
    bounded_argon2(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await?
}

/// Checks a password against a stored hash, within the same bound; a malformed hash simply does not match.
pub async fn verify_password(password: String, hash: String) -> bool {
    bounded_argon2(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Rules for a new password.
pub fn check_password(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 8 {
        Err("must be at least 8 characters")
    } else if password.len() > 1024 {
        Err("must be at most 1024 bytes")
    } else {
        Ok(())
    }
}

impl App {
    /// Resolves a bearer token (an API token, or an OAuth access token) to its principal. Unknown, revoked
    /// or expired tokens, and end-user tokens whose person or customer was deleted, are unauthenticated.
    pub async fn authenticate_token(&self, secret: &str) -> AppResult<Principal> {
        if secret.is_empty() || secret.len() > MAX_TOKEN_BYTES {
            return Err(AppError::Unauthenticated);
        }
        let mut db = self.store().read().await?;
        let hash = token_hash(secret);
        // OAuth access tokens carry their own prefix; a bootstrap API token may happen to start with it
        // too, so one that is no access token is still looked up among API tokens.
        if secret.starts_with(crate::oauth::ACCESS_TOKEN_PREFIX)
            && let Some(principal) = self.oauth_principal(db.as_mut(), &hash).await?
        {
            return Ok(principal);
        }
        let token = db.token_by_hash(&hash).await?.ok_or(AppError::Unauthenticated)?;
        match token.role {
            Role::Admin | Role::Agent => Ok(Principal::Integration {
                token_id: token.id,
                role: token.role,
                name: token.name,
                kind: IntegrationKind::ApiToken,
            }),
            Role::EndUser => {
                let user_id = token.end_user_id.ok_or(AppError::Unauthenticated)?;
                let user = db
                    .end_user(user_id)
                    .await?
                    .filter(|u| u.deleted_at.is_none())
                    .ok_or(AppError::Unauthenticated)?;
                let customer = db.customer(user.customer_id).await?;
                if customer.is_none_or(|c| c.deleted_at.is_some()) {
                    return Err(AppError::Unauthenticated);
                }
                Ok(Principal::EndUser {
                    id: user.id,
                    customer_id: user.customer_id,
                    name: user.name,
                })
            }
        }
    }

    /// Checks a staff member's email and password.
    pub async fn login_staff(&self, email: &str, password: &str) -> AppResult<Principal> {
        let email = domain::Email::parse(email).map_err(|_| AppError::Unauthenticated)?;
        let creds = self.store().read().await?.staff_credentials(email.as_str()).await?;
        let Some(creds) = creds else {
            // Spend the same time as a real check, so response times do not reveal which emails exist.
            let _ = hash_password(password.to_owned()).await;
            return Err(AppError::Unauthenticated);
        };
        if verify_password(password.to_owned(), creds.password_hash).await {
            Ok(Principal::Staff {
                id: creds.staff.id,
                role: creds.staff.role,
                name: creds.staff.name,
            })
        } else {
            Err(AppError::Unauthenticated)
        }
    }

    /// Checks an end user's email and portal password.
    pub async fn login_end_user(&self, email: &str, password: &str) -> AppResult<Principal> {
        let email = domain::Email::parse(email).map_err(|_| AppError::Unauthenticated)?;
        let creds = self.store().read().await?.end_user_credentials(email.as_str()).await?;
        let Some((user, Some(hash))) = creds.map(|c| (c.end_user, c.password_hash)) else {
            let _ = hash_password(password.to_owned()).await;
            return Err(AppError::Unauthenticated);
        };
        if verify_password(password.to_owned(), hash).await {
            Ok(Principal::EndUser {
                id: user.id,
                customer_id: user.customer_id,
                name: user.name,
            })
        } else {
            Err(AppError::Unauthenticated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_secrets() {
        let a = new_token_secret();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(a, new_token_secret());
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn bootstrap_token_rules() {
        for ok in [
            "sixteen chars ok",
            "plain-words-as-a-long-secret",
            "fd_looks_like_ours_but_is_not",
            "geheimnis mit leerzeichen",
            "пароль-для-бутстрапа",
            "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑",
        ] {
            assert_eq!(check_bootstrap_token(ok), Ok(()), "{ok:?}");
        }
        // Characters, not bytes: 15 two-byte letters are too short.
        for bad in [
            "fifteen chars!!",
            "ппппппппппппппп",
            " leading space secret",
            "trailing space secret ",
            "tab\tinside the secret",
        ] {
            assert!(check_bootstrap_token(bad).is_err(), "{bad:?}");
        }
        assert!(check_bootstrap_token(&"x".repeat(MAX_TOKEN_BYTES + 1)).is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn argon2_work_is_bounded_by_the_cores() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..(cores * 4) {
            let (active, peak) = (active.clone(), peak.clone());
            tasks.spawn(bounded_argon2(move || {
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                active.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("task").expect("work ran");
        }
        assert!(peak.load(Ordering::SeqCst) <= cores, "peak {peak:?} over {cores} cores");
        assert!(peak.load(Ordering::SeqCst) >= 1);
    }

    #[tokio::test]
    async fn passwords() {
        let hash = hash_password("correct horse".into()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), hash.clone()).await);
        assert!(!verify_password("wrong".into(), hash).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }
}
