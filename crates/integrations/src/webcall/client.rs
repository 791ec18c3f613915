//! Making the web calls: one HTTP client for every brand, each call a form-encoded POST with the brand's
//! credentials, URL and timeout.
use super::{
    MAX_ANSWER_BYTES, Operation, WebcallConfig, WebcallError, case_xml, parse_userdata, parse_users, user_xml,
};
use crate::http::{describe, guarded_client_builder, refusal, refused_url};
use domain::account::{Account, AccountCriteria, AccountSummary, CaseUpdate};
use reqwest::Url;
use std::time::{Duration, Instant};

/// The `Userkey` a connection test searches for: no real account is named like this, so a working
/// backend answers an empty `<users/>` (an answer with users is accepted too).
pub const CONNECTION_TEST_USERKEY: &str = "ferrodesk-connection-test-no-such-account";

/// Whether a call's answer is read, or only its status counts (updates answer nothing the protocol
/// defines).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Read,
    StatusOnly,
}

/// Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct WebcallClient {
    http: reqwest::Client,
    allow_private: bool,
}

impl std::fmt::Debug for WebcallClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebcallClient")
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

impl WebcallClient {
    /// A client shared by all brands. `allow_private` lets calls reach private, loopback and link-local
    /// addresses (a customer database on the same network); otherwise those are refused at connection
    /// time, after redirects too.
    pub fn new(allow_private: bool) -> Result<Self, String> {
        let http = guarded_client_builder(allow_private)
            .user_agent(concat!("ferrodesk-webcalls/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { http, allow_private })
    }

    /// Searches accounts: only the non-empty criteria are sent, under the protocol's names (with none, only
    /// the credentials: what the receiver answers then is up to it, within the answer's bound).
    pub async fn search(
        &self,
        config: &WebcallConfig,
        criteria: &AccountCriteria,
    ) -> Result<Vec<AccountSummary>, WebcallError> {
        let answer = self
            .post(config, Operation::Search, &criteria.pairs(), Answer::Read)
            .await?;
        parse_users(&answer)
    }

    /// Loads one account with its contacts and custom fields.
    pub async fn load(&self, config: &WebcallConfig, userkey: &str) -> Result<Account, WebcallError> {
        let answer = self
            .post(config, Operation::Load, &[("Userkey", userkey)], Answer::Read)
            .await?;
        parse_userdata(&answer)
    }

    /// Sends an edited account as `userXML`; any 2xx answer is success.
    pub async fn update(&self, config: &WebcallConfig, account: &Account) -> Result<(), WebcallError> {
        let document = user_xml(account);
        self.post(config, Operation::Update, &[("userXML", &document)], Answer::StatusOnly)
            .await?;
        Ok(())
    }

    /// Tells the backend about a reply: `Userkey` and `caseXML`; any 2xx answer is success.
    pub async fn case_update(
        &self,
        config: &WebcallConfig,
        userkey: &str,
        case: &CaseUpdate,
    ) -> Result<(), WebcallError> {
        let document = case_xml(case);
        self.post(
            config,
            Operation::CaseUpdate,
            &[("Userkey", userkey), ("caseXML", &document)],
            Answer::StatusOnly,
        )
        .await?;
        Ok(())
    }

    /// Searches for [`CONNECTION_TEST_USERKEY`] and requires a well-formed `<users>` answer; returns how
    /// long the call took.
    pub async fn test_connection(&self, config: &WebcallConfig) -> Result<Duration, WebcallError> {
        let started = Instant::now();
        let answer = self
            .post(
                config,
                Operation::Search,
                &[("Userkey", CONNECTION_TEST_USERKEY)],
                Answer::Read,
            )
            .await?;
        parse_users(&answer)?;
        Ok(started.elapsed())
    }

    async fn post(
        &self,
        config: &WebcallConfig,
        operation: Operation,
        fields: &[(&str, &str)],
        answer: Answer,
    ) -> Result<Vec<u8>, WebcallError> {
        let url = config.url(operation);
        if url.is_empty() {
            return Err(WebcallError::NotConfigured(operation));
        }
        let url = Url::parse(url).map_err(|e| WebcallError::InvalidUrl {
            operation,
            reason: e.to_string(),
        })?;
        if let Some(reason) = refused_url(&url, self.allow_private) {
            return Err(WebcallError::Refused(reason));
        }
        let mut form: Vec<(&str, &str)> = Vec::with_capacity(fields.len() + 2);
        form.push(("intUser", &config.int_user));
        form.push(("intPass", &config.int_pass));
        form.extend_from_slice(fields);
        let failed = |e: reqwest::Error| failure(e, config.timeout);
        let mut response = self
            .http
            .post(url)
            .timeout(config.timeout)
            .form(&form)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status();
        if !status.is_success() {
            return Err(WebcallError::Status(status.as_u16()));
        }
        if answer == Answer::StatusOnly {
            return Ok(Vec::new());
        }
        let declared = response.content_length().unwrap_or(0);
        if declared > MAX_ANSWER_BYTES as u64 {
            return Err(WebcallError::TooLarge);
        }
        // The declared length is bounded above, so reserving it is too.
        let mut body = Vec::with_capacity(declared as usize);
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(WebcallError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn failure(error: reqwest::Error, timeout: Duration) -> WebcallError {
    if error.is_timeout() {
        return WebcallError::Timeout {
            millis: timeout.as_millis(),
        };
    }
    if let Some(reason) = refusal(&error) {
        return WebcallError::Refused(reason);
    }
    WebcallError::Unreachable(describe(&error.without_url()))
}
