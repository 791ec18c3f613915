//! Effective configuration: command-line flags > `FERRODESK_*` environment variables > `ferrodesk.toml` >
//! defaults. Secrets may also be given as `FERRODESK_<NAME>_FILE` (a path whose contents are the secret).
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path/to.db` or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Connections one node keeps to PostgreSQL.
    pub pg_max_connections: u32,
    /// Peers whose `X-Forwarded-For` header is believed (exact addresses).
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
    pub admin_password: Option<String>,
    pub admin_token: Option<String>,
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
        }
    }
}

/// Settings given on the command line; `None` means "not given".
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
}

/// Keys whose values are secret: masked by `ferrodesk config`, readable from `*_FILE`.
const SECRET_KEYS: [&str; 3] = ["admin_password", "admin_token", "database_url"];

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
        builder = builder.add_source(
            config::Environment::with_prefix("FERRODESK")
                .prefix_separator("_")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("trusted_proxies")
                .source(Some(plain.into_iter().collect())),
        );
        builder = builder.set_override_option("listen", overrides.listen.clone())?;
        builder = builder.set_override_option("database_url", overrides.database_url.clone())?;
        let settings: Settings = builder.build()?.try_deserialize().context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            bail!("database_url must start with sqlite:, postgres:// or postgresql://");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format must be text or json");
        }
        for p in &self.trusted_proxies {
            p.parse::<std::net::IpAddr>()
                .with_context(|| format!("trusted_proxies: {p:?} is not an IP address"))?;
        }
        Ok(())
    }

    /// The configuration as TOML with every secret replaced by `********`.
    pub fn masked_toml(&self) -> anyhow::Result<String> {
        let mut value = serde_json::to_value(self)?;
        if let Some(obj) = value.as_object_mut() {
            for key in SECRET_KEYS {
                if let Some(v) = obj.get_mut(key)
                    && let Some(s) = v.as_str()
                {
                    *v = serde_json::Value::String(mask(key, s));
                }
            }
            obj.retain(|_, v| !v.is_null());
        }
        Ok(toml_lines(&value))
    }
}

/// Masks a secret; a database URL keeps everything but its password.
fn mask(key: &str, value: &str) -> String {
    if key == "database_url" {
        return mask_database_url(value);
    }
    "********".into()
}

/// A database URL fit to print: its password replaced by `********`.
pub fn mask_database_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.rsplit_once('@')
    {
        let user = creds.split(':').next().unwrap_or("");
        return format!("{scheme}://{user}:********@{host}");
    }
    url.to_owned()
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
        let dir = std::env::temp_dir().join(format!("fd-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("ferrodesk.toml");
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
            database_url: None,
        };
        let s = Settings::load_from(Some(&file), &flags, e).expect("load");
        assert_eq!(s.listen, "127.0.0.1:3333");
        assert_eq!(s.database_url, "sqlite://data/ferrodesk.db");
    }

    #[test]
    fn secrets_from_files_and_masked() {
        let dir = std::env::temp_dir().join(format!("fd-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let secret = dir.join("token");
        std::fs::write(&secret, "fd_supersecretvalue123\n").expect("write");
        let e = env(&[
            ("FERRODESK_ADMIN_TOKEN_FILE", secret.to_str().expect("utf-8 path")),
            ("FERRODESK_DATABASE_URL", "postgres://fd:hunter2@db/fd"),
            ("FERRODESK_TRUSTED_PROXIES", "10.0.0.1,10.0.0.2"),
        ]);
        let s = Settings::load_from(None, &Overrides::default(), e).expect("load");
        assert_eq!(s.admin_token.as_deref(), Some("fd_supersecretvalue123"));
        assert_eq!(s.trusted_proxies, vec!["10.0.0.1", "10.0.0.2"]);
        let shown = s.masked_toml().expect("toml");
        assert!(!shown.contains("hunter2") && !shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("postgres://fd:********@db/fd"), "{shown}");
    }

    #[test]
    fn bad_values_are_refused() {
        let e = env(&[("FERRODESK_DATABASE_URL", "mysql://x")]);
        assert!(Settings::load_from(None, &Overrides::default(), e).is_err());
    }
}
