//! Effective configuration: command-line flags > `FERRODESK_*` environment variables > `ferrodesk.toml` >
//! defaults. Secrets may also be given as `FERRODESK_<NAME>_FILE` (a path whose contents are the secret).
//!
//! Secrets (the admin password and token, the database URL with its password) are held in [`Secret`], whose
//! `Debug` and `Serialize` never show the value: a log line, a panic message or `{:?}` of the settings cannot
//! leak them. Code that needs the value calls [`Secret::expose`].
use anyhow::{Context, bail};
use domain::account::MASKED_SECRET;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A secret setting. `Debug` prints `Secret([REDACTED])`, serialising writes `********`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// The value itself, for the one place that must use it (opening the database, hashing the token).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.into())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value.into())
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(MASKED_SECRET)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::from)
    }
}

/// `attachment_max_bytes` unless configured: 25 MiB.
const DEFAULT_ATTACHMENT_MAX_BYTES: u64 = 25 * 1024 * 1024;
/// The highest `attachment_max_bytes` accepted: files are held in memory while they are stored.
const MAX_ATTACHMENT_MAX_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path/to.db` or `postgres://user:pass@host/db`; shown with its password masked.
    #[serde(serialize_with = "serialize_database_url")]
    pub database_url: Secret,
    /// Connections one node keeps to PostgreSQL.
    pub pg_max_connections: u32,
    /// Peers whose `X-Forwarded-For` header is believed: addresses (`10.0.0.1`, `::1`) or CIDR ranges
    /// (`10.0.0.0/8`, `fd00::/8`).
    pub trusted_proxies: Vec<String>,
    /// `text` or `json`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `ferrodesk=debug,tower_http=info`; `RUST_LOG` wins if set.
    pub log: String,
    /// Seconds to let in-flight requests finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Seconds a request may take before it is answered 503 `service_unavailable`.
    pub request_timeout_secs: u64,
    /// Seconds a connection may take to send a request's headers, and may sit idle between requests,
    /// before it is closed.
    pub header_read_timeout_secs: u64,
    /// Open connections one node accepts at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    pub admin_token: Option<Secret>,
    /// Seconds an OAuth access token works after it is issued (default 30 days).
    pub oauth_token_ttl: u64,
    /// Seconds between runs of the billing scheduler (renewal invoices, period ends, past-due
    /// subscriptions); 0 turns it off on this node.
    pub billing_interval_secs: u64,
    /// The directory of hook scripts (`*.rhai`), reloaded when its files change.
    pub hooks_dir: String,
    /// Whether webhooks may be delivered to private, loopback and link-local addresses (off: such
    /// targets are refused when the connection is made, whatever name leads there).
    pub webhooks_allow_private: bool,
    /// Whether `webcall` customer backends may be reached on private, loopback and link-local addresses
    /// (a customer database inside the company's network; off by default, like webhooks).
    pub webcalls_allow_private: bool,
    /// Multiplies the webhook retry schedule, the 24-hour delivery window and the 3 days after which a
    /// failing endpoint is disabled (`FERRODESK_WEBHOOK_RETRY_SCALE`; 0.01 in tests).
    pub webhook_retry_scale: f64,
    /// Milliseconds one delivery attempt may take (connect, send, read the start of the answer).
    pub webhook_timeout_ms: u64,
    /// Attempts one node sends to one endpoint at once (a slow receiver holds only its own).
    pub webhook_concurrency: usize,
    /// Seconds a node holds the outbox events it claimed: a node that died is taken over after this.
    pub outbox_lease_secs: u64,
    /// Seconds without a request after which a web login ends.
    pub session_idle_secs: u64,
    /// Seconds after login at which a web login ends, however active.
    pub session_absolute_secs: u64,
    /// The outgoing mail server of mailboxes without one of their own (SPEC §10):
    /// `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; shown with its password masked.
    #[serde(serialize_with = "serialize_smtp_url")]
    pub smtp_url: Option<Secret>,
    /// Seconds between IMAP polls of a mailbox whose server has no IDLE (with IDLE, mail is fetched as it
    /// arrives); also how soon a poll is retried after the server was unreachable.
    pub mail_poll_secs: u64,
    /// A PEM file of certificate authorities trusted for IMAP and SMTP besides the system's (a company mail
    /// server with a CA of its own).
    pub mail_ca_file: Option<String>,
    /// The Unix socket on which `serve` takes the messages `ferrodesk mail-in` hands over (see
    /// docs/email.md): by default `<database file>.mail-in.sock` beside an SQLite database, none for
    /// PostgreSQL; `off` turns it off (every `mail-in` then opens the database itself).
    pub mail_in_socket: Option<String>,
    /// The largest file a reply may carry, in bytes (default 25 MiB; a larger upload is refused with 413).
    pub attachment_max_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/ferrodesk.db".into(),
            pg_max_connections: 16,
            trusted_proxies: vec![],
            log_format: "text".into(),
            log: "info".into(),
            shutdown_grace_secs: 30,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_connections: 1024,
            admin_email: None,
            admin_password: None,
            admin_token: None,
            oauth_token_ttl: app::oauth::DEFAULT_ACCESS_TOKEN_TTL.as_secs(),
            billing_interval_secs: 60,
            hooks_dir: "./hooks".into(),
            webhooks_allow_private: false,
            webcalls_allow_private: false,
            webhook_retry_scale: 1.0,
            webhook_timeout_ms: 10_000,
            webhook_concurrency: 16,
            outbox_lease_secs: 60,
            session_idle_secs: 12 * 3600,
            session_absolute_secs: 7 * 24 * 3600,
            smtp_url: None,
            mail_poll_secs: 60,
            mail_ca_file: None,
            mail_in_socket: None,
            attachment_max_bytes: DEFAULT_ATTACHMENT_MAX_BYTES,
        }
    }
}

fn serialize_smtp_url<S: serde::Serializer>(url: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(url) => serializer.serialize_some(&domain::mailbox::masked_url(url.expose())),
        None => serializer.serialize_none(),
    }
}

fn serialize_database_url<S: serde::Serializer>(url: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&mask_database_url(url.expose()))
}

/// Settings given on the command line; `None` means "not given".
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub hooks_dir: Option<String>,
    /// `--webhooks-allow-private` (given: true).
    pub webhooks_allow_private: Option<bool>,
    /// `--webcalls-allow-private` (given: true).
    pub webcalls_allow_private: Option<bool>,
    pub database_url: Option<Secret>,
    pub oauth_token_ttl: Option<u64>,
}

/// Keys whose values are secret: masked by `ferrodesk config`, readable from `*_FILE`.
const SECRET_KEYS: [&str; 4] = ["admin_password", "admin_token", "database_url", "smtp_url"];

impl Settings {
    /// Loads from `config_file` (or `./ferrodesk.toml` if present), then the environment, then `overrides`.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        Self::load_from(config_file, overrides, std::env::vars())
    }

    pub fn load_from(
        config_file: Option<&Path>,
        overrides: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder();
        match config_file {
            Some(path) => {
                if !path.exists() {
                    bail!("configuration file {} does not exist", path.display());
                }
                builder = builder.add_source(config::File::from(path.to_path_buf()).format(config::FileFormat::Toml));
            }
            None => {
                let default = PathBuf::from("ferrodesk.toml");
                if default.exists() {
                    builder = builder.add_source(config::File::from(default).format(config::FileFormat::Toml));
                }
            }
        }
        let env: std::collections::HashMap<String, String> =
            env.into_iter().filter(|(k, _)| k.starts_with("FERRODESK_")).collect();
        let mut plain = env.clone();
        for key in SECRET_KEYS {
            let file_var = format!("FERRODESK_{}_FILE", key.to_uppercase());
            if let Some(path) = env.get(&file_var) {
                let secret = std::fs::read_to_string(path).with_context(|| format!("cannot read {file_var}={path}"))?;
                plain.insert(
                    format!("FERRODESK_{}", key.to_uppercase()),
                    secret.trim_end_matches(['\n', '\r']).to_owned(),
                );
            }
            plain.remove(&file_var);
        }
        // Variables that are not settings (test hooks, other tools) are ignored rather than refused.
        let known = serde_json::to_value(Settings::default())?;
        let keys: Vec<String> = known
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        plain.retain(|k, _| {
            keys.iter()
                .any(|key| k.eq_ignore_ascii_case(&format!("FERRODESK_{key}")))
        });
        // Secrets are taken verbatim: the environment source would turn a token of digits into a number (and
        // a long one into a float) or one with commas into a list.
        for key in SECRET_KEYS {
            let var = format!("FERRODESK_{}", key.to_uppercase());
            let value = plain
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&var))
                .map(|(k, v)| (k.clone(), v.clone()));
            if let Some((k, v)) = value {
                plain.remove(&k);
                builder = builder.set_override(key, v)?;
            }
        }
        builder = builder.add_source(
            config::Environment::with_prefix("FERRODESK")
                .prefix_separator("_")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("trusted_proxies")
                .source(Some(plain.into_iter().collect())),
        );
        builder = builder.set_override_option("listen", overrides.listen.clone())?;
        builder = builder.set_override_option("hooks_dir", overrides.hooks_dir.clone())?;
        builder = builder.set_override_option("webhooks_allow_private", overrides.webhooks_allow_private)?;
        builder = builder.set_override_option("webcalls_allow_private", overrides.webcalls_allow_private)?;
        builder = builder.set_override_option(
            "database_url",
            overrides.database_url.as_ref().map(|url| url.expose().to_owned()),
        )?;
        builder = builder.set_override_option("oauth_token_ttl", overrides.oauth_token_ttl)?;
        let settings: Settings = builder.build()?.try_deserialize().context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let url = self.database_url.expose();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("database_url must start with sqlite:, postgres:// or postgresql://");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format must be text or json");
        }
        self.trusted_proxy_networks()?;
        if !(self.webhook_retry_scale.is_finite() && self.webhook_retry_scale > 0.0) {
            bail!("webhook_retry_scale must be a number above 0");
        }
        if !(100..=600_000).contains(&self.webhook_timeout_ms) {
            bail!("webhook_timeout_ms must be between 100 and 600000");
        }
        if self.session_idle_secs == 0 || self.session_absolute_secs == 0 {
            bail!("session_idle_secs and session_absolute_secs must be above 0");
        }
        if let Some(url) = &self.smtp_url
            && integrations::mail::smtp::SmtpUrl::parse(url.expose()).is_err()
        {
            bail!("smtp_url must be smtp://user:password@host:port or smtps://… (the password percent-encoded)");
        }
        if !(1..=86_400).contains(&self.mail_poll_secs) {
            bail!("mail_poll_secs must be between 1 and 86400");
        }
        if !(1..=MAX_ATTACHMENT_MAX_BYTES).contains(&self.attachment_max_bytes) {
            bail!("attachment_max_bytes must be between 1 and {MAX_ATTACHMENT_MAX_BYTES} (1 GiB)");
        }
        if !(1..=3600).contains(&self.outbox_lease_secs) {
            bail!("outbox_lease_secs must be between 1 and 3600");
        }
        if !(1..=1024).contains(&self.webhook_concurrency) {
            bail!("webhook_concurrency must be between 1 and 1024");
        }
        let max_ttl = app::oauth::MAX_ACCESS_TOKEN_TTL.as_secs();
        if !(1..=max_ttl).contains(&self.oauth_token_ttl) {
            bail!("oauth_token_ttl must be between 1 and {max_ttl} seconds");
        }
        Ok(())
    }

    /// Where `serve` takes the messages `mail-in` hands over, and where `mail-in` looks for it: the
    /// `mail_in_socket` setting, else `<database file>.mail-in.sock` for SQLite; `None` when turned off
    /// (`off` or empty) or on PostgreSQL without the setting.
    pub fn mail_in_socket_path(&self) -> Option<std::path::PathBuf> {
        match self.mail_in_socket.as_deref().map(str::trim) {
            Some("" | "off") => None,
            Some(path) => Some(path.into()),
            None => {
                let file = store_sqlite::file_path(self.database_url.expose())?;
                let mut socket = file.as_os_str().to_owned();
                socket.push(".mail-in.sock");
                Some(socket.into())
            }
        }
    }

    /// The certificate authorities of `mail_ca_file` (none without it).
    pub fn mail_roots(&self) -> anyhow::Result<Vec<integrations::mail::CertificateDer<'static>>> {
        let Some(path) = &self.mail_ca_file else {
            return Ok(Vec::new());
        };
        let pem = std::fs::read(path).with_context(|| format!("cannot read mail_ca_file {path}"))?;
        integrations::mail::certificates_from_pem(&pem).map_err(|e| anyhow::anyhow!("mail_ca_file {path}: {e}"))
    }

    /// `trusted_proxies` as networks: a single address is a network of one (/32 or /128).
    pub fn trusted_proxy_networks(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                let p = p.trim();
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "trusted_proxies: {p:?} is neither an IP address nor a CIDR range (e.g. 10.0.0.1, 10.0.0.0/8, fd00::/8)"
                        )
                    })
            })
            .collect()
    }

    /// The bootstrap variables `serve` acts on (SPEC §1), checked before anything is opened: the admin email
    /// and password come together, the token is one an `Authorization` header can carry.
    pub fn check_bootstrap(&self) -> anyhow::Result<()> {
        match (&self.admin_email, &self.admin_password) {
            (Some(_), None) => bail!(
                "FERRODESK_ADMIN_EMAIL is set but FERRODESK_ADMIN_PASSWORD is not: set both to create the admin account, or neither"
            ),
            (None, Some(_)) => bail!(
                "FERRODESK_ADMIN_PASSWORD is set but FERRODESK_ADMIN_EMAIL is not: set both to create the admin account, or neither"
            ),
            _ => {}
        }
        if let Some(token) = &self.admin_token {
            app::auth::check_bootstrap_token(token.expose())
                .map_err(|e| anyhow::anyhow!("FERRODESK_ADMIN_TOKEN {e}"))?;
        }
        Ok(())
    }

    /// The configuration as TOML with every secret replaced by `********` (the database URL keeps all but
    /// its password).
    pub fn masked_toml(&self) -> anyhow::Result<String> {
        let mut value = serde_json::to_value(self)?;
        if let Some(obj) = value.as_object_mut() {
            obj.retain(|_, v| !v.is_null());
        }
        Ok(toml_lines(&value))
    }
}

/// A database URL fit to print: its password replaced by `********`, as the mail server URLs are.
pub fn mask_database_url(url: &str) -> String {
    domain::mailbox::masked_url(url)
}

fn toml_lines(value: &serde_json::Value) -> String {
    let mut out = String::new();
    if let Some(obj) = value.as_object() {
        for (k, v) in obj {
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn precedence_flags_env_file_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("ferrodesk.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1111\"\nlog = \"debug\"\npg_max_connections = 3\n",
        )
        .expect("write");
        let e = env(&[
            ("FERRODESK_LISTEN", "127.0.0.1:2222"),
            ("FERRODESK_PG_MAX_CONNECTIONS", "7"),
            ("FERRODESK_TEST_PG_URL", "ignored"),
        ]);
        let s = Settings::load_from(Some(&file), &Overrides::default(), e.clone()).expect("load");
        assert_eq!(
            (s.listen.as_str(), s.log.as_str(), s.pg_max_connections),
            ("127.0.0.1:2222", "debug", 7)
        );
        let flags = Overrides {
            listen: Some("127.0.0.1:3333".into()),
            ..Overrides::default()
        };
        let s = Settings::load_from(Some(&file), &flags, e).expect("load");
        assert_eq!(s.listen, "127.0.0.1:3333");
        assert_eq!(s.database_url.expose(), "sqlite://data/ferrodesk.db");
    }

    #[test]
    fn secrets_from_files_and_masked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let secret = dir.path().join("token");
        std::fs::write(&secret, "fd_supersecretvalue123\n").expect("write");
        let e = env(&[
            ("FERRODESK_ADMIN_TOKEN_FILE", secret.to_str().expect("utf-8 path")),
            ("FERRODESK_DATABASE_URL", "postgres://fd:hunter2@db/fd"),
            ("FERRODESK_TRUSTED_PROXIES", "10.0.0.1,10.0.0.2"),
        ]);
        let s = Settings::load_from(None, &Overrides::default(), e).expect("load");
        assert_eq!(
            s.admin_token.as_ref().map(Secret::expose),
            Some("fd_supersecretvalue123")
        );
        assert_eq!(s.trusted_proxies, vec!["10.0.0.1", "10.0.0.2"]);
        let shown = s.masked_toml().expect("toml");
        assert!(!shown.contains("hunter2") && !shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("postgres://fd:********@db/fd"), "{shown}");
        // Nothing to hide, nothing changed; an `@` in the password is still all hidden.
        assert_eq!(mask_database_url("postgres://fd@db/fd"), "postgres://fd@db/fd");
        assert_eq!(
            mask_database_url("postgres://fd:p@ss@db/fd"),
            "postgres://fd:********@db/fd"
        );
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("supersecret"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }

    #[test]
    fn secrets_are_taken_verbatim() {
        for token in [
            "12345678901234567890123456",
            "true, false, and more words",
            "1e400000000000000000",
        ] {
            let e = env(&[
                ("FERRODESK_ADMIN_TOKEN", token),
                ("FERRODESK_ADMIN_PASSWORD", "0123456789"),
            ]);
            let s = Settings::load_from(None, &Overrides::default(), e).expect("load");
            assert_eq!(s.admin_token.as_ref().map(Secret::expose), Some(token));
            assert_eq!(s.admin_password.as_ref().map(Secret::expose), Some("0123456789"));
        }
        // The command-line flag still wins over the environment for the database URL.
        let e = env(&[("FERRODESK_DATABASE_URL", "postgres://env/fd")]);
        let flags = Overrides {
            database_url: Some("sqlite://flag.db".into()),
            ..Overrides::default()
        };
        let s = Settings::load_from(None, &flags, e).expect("load");
        assert_eq!(s.database_url.expose(), "sqlite://flag.db");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let e = env(&[("FERRODESK_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1,fd00::/8")]);
        let s = Settings::load_from(None, &Overrides::default(), e).expect("load");
        let nets: Vec<String> = s
            .trusted_proxy_networks()
            .expect("networks")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.168.1.7/32", "::1/128", "fd00::/8"]);
        for bad in ["10.0.0.0/33", "proxy.example.com", "10.0.0"] {
            let e = env(&[("FERRODESK_TRUSTED_PROXIES", bad)]);
            let err = Settings::load_from(None, &Overrides::default(), e).expect_err(bad);
            assert!(format!("{err:#}").contains("trusted_proxies"), "{err:#}");
        }
    }

    #[test]
    fn bootstrap_variables_come_in_pairs() {
        let email_only = env(&[("FERRODESK_ADMIN_EMAIL", "a@example.com")]);
        let s = Settings::load_from(None, &Overrides::default(), email_only).expect("load");
        assert!(format!("{:#}", s.check_bootstrap().expect_err("email alone")).contains("FERRODESK_ADMIN_PASSWORD"));
        let password_only = env(&[("FERRODESK_ADMIN_PASSWORD", "long enough password")]);
        let s = Settings::load_from(None, &Overrides::default(), password_only).expect("load");
        assert!(format!("{:#}", s.check_bootstrap().expect_err("password alone")).contains("FERRODESK_ADMIN_EMAIL"));
        let short = env(&[("FERRODESK_ADMIN_TOKEN", "fifteen chars!!")]);
        let s = Settings::load_from(None, &Overrides::default(), short).expect("load");
        assert!(format!("{:#}", s.check_bootstrap().expect_err("short")).contains("at least 16"));
    }

    #[test]
    fn oauth_token_ttl_from_env_and_flag_within_bounds() {
        let s = Settings::load_from(None, &Overrides::default(), env(&[])).expect("load");
        assert_eq!(s.oauth_token_ttl, 30 * 24 * 60 * 60, "30 days by default");
        let e = env(&[("FERRODESK_OAUTH_TOKEN_TTL", "3600")]);
        let s = Settings::load_from(None, &Overrides::default(), e.clone()).expect("load");
        assert_eq!(s.oauth_token_ttl, 3600);
        let flag = Overrides {
            oauth_token_ttl: Some(60),
            ..Overrides::default()
        };
        assert_eq!(Settings::load_from(None, &flag, e).expect("load").oauth_token_ttl, 60);
        assert!(s.masked_toml().expect("toml").contains("oauth_token_ttl = 3600"));
        for bad in ["0", "-5", "315360001", "soon"] {
            let e = env(&[("FERRODESK_OAUTH_TOKEN_TTL", bad)]);
            let err = Settings::load_from(None, &Overrides::default(), e).expect_err(bad);
            assert!(format!("{err:#}").contains("oauth_token_ttl"), "{bad}: {err:#}");
        }
    }

    #[test]
    fn attachment_max_bytes_from_env_within_bounds() {
        let s = Settings::load_from(None, &Overrides::default(), env(&[])).expect("load");
        assert_eq!(s.attachment_max_bytes, 25 * 1024 * 1024, "25 MiB by default");
        let e = env(&[("FERRODESK_ATTACHMENT_MAX_BYTES", "1048576")]);
        let s = Settings::load_from(None, &Overrides::default(), e).expect("load");
        assert_eq!(s.attachment_max_bytes, 1_048_576);
        assert!(
            s.masked_toml()
                .expect("toml")
                .contains("attachment_max_bytes = 1048576")
        );
        for bad in ["0", "-1", "1073741825", "big"] {
            let e = env(&[("FERRODESK_ATTACHMENT_MAX_BYTES", bad)]);
            let err = Settings::load_from(None, &Overrides::default(), e).expect_err(bad);
            assert!(format!("{err:#}").contains("attachment_max_bytes"), "{bad}: {err:#}");
        }
    }

    #[test]
    fn bad_values_are_refused() {
        let e = env(&[("FERRODESK_DATABASE_URL", "mysql://x")]);
        assert!(Settings::load_from(None, &Overrides::default(), e).is_err());
    }
}
