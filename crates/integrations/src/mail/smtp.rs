//! Sending mail over SMTP (SPEC §10) with lettre's connections: one delivery per recipient, so that a refused
//! recipient holds no other back and the attempt log says why each one failed (the server's reply code and
//! text are kept). `smtp://` upgrades with STARTTLS when the server offers it; `smtps://` is TLS from the first
//! byte. Certificates are checked against the system's roots (the platform verifier, as reqwest does) plus
//! any extra roots the caller trusts; there is no switch to accept invalid certificates.
//!
//! Connections are pooled per [`SmtpSender`] (so per URL): a delivery takes an idle connection or opens one,
//! and gives it back only when the exchange ended cleanly. A connection whose delivery timed out is dropped,
//! never reused, so no late reply is ever read as the answer to the next command.

use std::{
    fmt,
    pin::Pin,
    str::FromStr,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use domain::account::MASKED_SECRET;
use lettre::{
    Address,
    address::Envelope,
    transport::smtp::{
        Error as LettreError,
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters},
        extension::ClientId,
        response::Response,
    },
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::Semaphore,
};
use tokio_rustls::{
    TlsConnector,
    rustls::{
        ClientConfig,
        crypto::CryptoProvider,
        pki_types::{CertificateDer, ServerName},
    },
};

/// The port of `smtp://` without one: message submission, upgraded with STARTTLS (RFC 6409).
pub const SUBMISSION_PORT: u16 = 587;
/// The port of `smtps://` without one: submission over implicit TLS (RFC 8314).
pub const SUBMISSIONS_PORT: u16 = 465;

/// Reply codes that mean the server wants other or better credentials (RFC 4954): a refusal with one of
/// these is an authentication failure, whichever command it answered.
const AUTH_REPLY_CODES: [u16; 4] = [530, 534, 535, 538];

/// An idle connection older than this is not reused: servers drop idle clients after a few minutes
/// (Postfix after 300 s), and a connection found dead is a wasted round trip.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// A connection parked longer than this is probed with NOOP before it carries a message.
const PROBE_AFTER: Duration = Duration::from_secs(1);

/// Why a mail server URL was not accepted. Never contains the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailUrlError {
    #[error("not a valid URL: {0}")]
    Syntax(String),
    #[error("the scheme must be {expected}, not {found}")]
    Scheme { expected: &'static str, found: String },
    #[error("the URL names no host")]
    NoHost,
    #[error("the URL's port must be between 1 and 65535")]
    Port,
    #[error("the URL's user name or password is not valid percent-encoded UTF-8")]
    Credentials,
    #[error("the URL names no user to log in as")]
    NoUser,
    #[error("the URL may not carry a query or a fragment")]
    QueryOrFragment,
    #[error("{0}")]
    Path(String),
}

/// The parts of a mail server URL that `smtp(s)://` and `imap(s)://` share, credentials percent-decoded.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ServerUrl {
    pub(crate) scheme: &'static str,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    /// The path without its leading `/`, percent-decoded.
    pub(crate) path: String,
}

/// Characters escaped in a user name shown in a URL: all but RFC 3986's unreserved ones.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

impl ServerUrl {
    /// Parses `scheme://[user[:password]@]host[:port][/path]` for one of `schemes` (each with its default
    /// port); `expected` names them in the error.
    pub(crate) fn parse(
        input: &str,
        expected: &'static str,
        schemes: &[(&'static str, u16)],
    ) -> Result<Self, MailUrlError> {
        let url = url::Url::parse(input.trim()).map_err(|error| MailUrlError::Syntax(error.to_string()))?;
        let (scheme, default_port) = schemes
            .iter()
            .find(|(scheme, _)| url.scheme().eq_ignore_ascii_case(scheme))
            .copied()
            .ok_or_else(|| MailUrlError::Scheme {
                expected,
                found: url.scheme().to_owned(),
            })?;
        let host = match url.host() {
            Some(url::Host::Domain(domain)) if !domain.is_empty() && !domain.contains('%') => {
                domain.to_ascii_lowercase()
            }
            Some(url::Host::Ipv4(address)) => address.to_string(),
            Some(url::Host::Ipv6(address)) => address.to_string(),
            _ => return Err(MailUrlError::NoHost),
        };
        let port = match url.port() {
            Some(0) => return Err(MailUrlError::Port),
            Some(port) => port,
            None => default_port,
        };
        if url.query().is_some() || url.fragment().is_some() {
            return Err(MailUrlError::QueryOrFragment);
        }
        let decode = |text: &str| {
            percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|_| MailUrlError::Credentials)
        };
        let username = match url.username() {
            "" => None,
            name => Some(decode(name)?),
        };
        let password = url.password().map(decode).transpose()?;
        let path = url.path().strip_prefix('/').unwrap_or(url.path());
        let path = percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| MailUrlError::Path("the URL's path is not valid percent-encoded UTF-8".to_owned()))?
            .into_owned();
        Ok(ServerUrl {
            scheme,
            host,
            port,
            username,
            password,
            path,
        })
    }

    /// `host:port` as a socket address is written (IPv6 in brackets), for messages.
    pub(crate) fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The URL with the password replaced by [`MASKED_SECRET`] (the one mask of every secret shown, so a URL
    /// copied back from a test result keeps the stored password); `path` is written as given (already encoded).
    pub(crate) fn masked(&self, path: &str) -> String {
        let mut text = format!("{}://", self.scheme);
        if let Some(username) = &self.username {
            text.push_str(&utf8_percent_encode(username, USERINFO).to_string());
            if self.password.is_some() {
                text.push(':');
                text.push_str(MASKED_SECRET);
            }
            text.push('@');
        }
        text.push_str(&self.server());
        text.push_str(path);
        text
    }
}

/// An `smtp://user:password@host:port` (STARTTLS when offered, port 587 by default) or
/// `smtps://user:password@host:port` (implicit TLS, port 465 by default) URL. The user name and password are
/// percent-decoded (`%40` for an `@` in a user name). Shown, it masks the password:
/// `smtp://user:********@host:587`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(ServerUrl);

impl SmtpUrl {
    pub fn parse(input: &str) -> Result<Self, MailUrlError> {
        let url = ServerUrl::parse(
            input,
            "smtp or smtps",
            &[("smtp", SUBMISSION_PORT), ("smtps", SUBMISSIONS_PORT)],
        )?;
        if !url.path.is_empty() {
            return Err(MailUrlError::Path("an SMTP URL has no path".to_owned()));
        }
        Ok(SmtpUrl(url))
    }

    pub fn host(&self) -> &str {
        &self.0.host
    }

    pub fn port(&self) -> u16 {
        self.0.port
    }

    pub fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }

    pub fn password(&self) -> Option<&str> {
        self.0.password.as_deref()
    }

    /// `smtps://`: TLS from the first byte rather than STARTTLS.
    pub fn implicit_tls(&self) -> bool {
        self.0.scheme == "smtps"
    }

    /// The URL as shown in the UI and the API: the password replaced by `***`.
    pub fn masked(&self) -> String {
        self.0.masked("")
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        self.0.server()
    }
}

impl FromStr for SmtpUrl {
    type Err = MailUrlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        SmtpUrl::parse(input)
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SmtpUrl").field(&self.masked()).finish()
    }
}

/// How an [`SmtpSender`] talks to its server.
#[derive(Clone, Debug)]
pub struct SmtpOptions {
    /// The longest a TCP connect may take, and the longest a whole delivery may take (connecting, EHLO,
    /// STARTTLS, AUTH, MAIL, RCPT and DATA), waiting for a free connection aside.
    pub timeout: Duration,
    /// Connections open at once to the server; deliveries beyond wait for one to be free.
    pub max_connections: usize,
    /// Certificates trusted as roots besides the system's: a private relay's CA, or a test's own.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// The name given in EHLO; the machine's host name when `None`.
    pub hello_name: Option<String>,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        SmtpOptions {
            timeout: Duration::from_secs(30),
            max_connections: 10,
            extra_roots: Vec::new(),
            hello_name: None,
        }
    }
}

/// Why a delivery or a check failed. Every message is safe to show: it never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// The server answered a command with a negative reply (4xx: try again later, 5xx: permanent).
    #[error("the SMTP server refused with {code}: {message}")]
    Refused { code: u16, message: String },
    /// The server turned the credentials down (or has no mechanism for them, then `code` is `None`).
    #[error("SMTP authentication failed{}: {message}", .code.map(|code| format!(" with {code}")).unwrap_or_default())]
    Auth { code: Option<u16>, message: String },
    /// No connection could be made, or it broke off.
    #[error("the connection to the SMTP server {server} failed: {reason}")]
    Unreachable { server: String, reason: String },
    /// The TLS handshake failed (an untrusted or expired certificate, a name that does not match, …).
    #[error("TLS with the SMTP server {server} failed: {reason}")]
    Tls { server: String, reason: String },
    #[error("the SMTP server {server} did not answer within {seconds} s")]
    Timeout { server: String, seconds: u64 },
    /// An envelope address lettre cannot put in MAIL FROM or RCPT TO.
    #[error("not an address SMTP can deliver to: {0}")]
    Address(String),
    /// The server answered something that is not SMTP, or the exchange failed on the client's side.
    #[error("the SMTP exchange with {server} failed: {reason}")]
    Protocol { server: String, reason: String },
}

impl SmtpError {
    /// Whether trying the same delivery again cannot succeed: a 5xx refusal or an address that is not one.
    /// Everything else (4xx, connection trouble, timeouts, TLS, credentials the admin may still fix) is worth
    /// retrying on the outbox's schedule.
    pub fn is_permanent(&self) -> bool {
        match self {
            SmtpError::Refused { code, .. } => (500..600).contains(code),
            SmtpError::Address(_) => true,
            _ => false,
        }
    }

    /// The SMTP reply code, when the server gave one.
    pub fn code(&self) -> Option<u16> {
        match self {
            SmtpError::Refused { code, .. } => Some(*code),
            SmtpError::Auth { code, .. } => *code,
            _ => None,
        }
    }

    /// A stable label of the kind of failure, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SmtpError::Refused { .. } => "refused",
            SmtpError::Auth { .. } => "auth",
            SmtpError::Unreachable { .. } => "unreachable",
            SmtpError::Tls { .. } => "tls",
            SmtpError::Timeout { .. } => "timeout",
            SmtpError::Address(_) => "address",
            SmtpError::Protocol { .. } => "protocol",
        }
    }
}

/// The server's answer to a message it accepted (e.g. `250` `2.0.0 Ok: queued as 4F2A1`), for the attempt log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpOutcome {
    pub code: u16,
    pub message: String,
}

/// Where in the exchange an error came from: an error while authenticating is a credentials problem
/// whatever its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connect,
    Auth,
    Deliver,
}

/// Sends messages to one SMTP server, pooling its connections: keep one per URL and share it behind an `Arc`
/// between tasks (deliveries run concurrently up to `max_connections`; more wait for a free connection).
pub struct SmtpSender {
    url: SmtpUrl,
    timeout: Duration,
    hello_name: ClientId,
    /// For STARTTLS on `smtp://`, by lettre.
    tls: TlsParameters,
    /// For `smtps://`, by tokio-rustls (lettre cannot wrap a socket it did not open from the first byte).
    implicit_tls: Option<TlsConnector>,
    credentials: Option<Credentials>,
    idle: Mutex<Vec<Idle>>,
    max_idle: usize,
    permits: Semaphore,
}

struct Idle {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// A sender for `url`. Fails only when the TLS configuration cannot be built (an extra root that is not a
    /// certificate); nothing is connected until the first delivery.
    pub fn new(url: &SmtpUrl, options: &SmtpOptions) -> Result<Self, SmtpError> {
        let server = url.server();
        let tls_error = |error: LettreError| SmtpError::Tls {
            server: server.clone(),
            reason: error_text(&error),
        };
        let mut tls = TlsParameters::builder(url.host().to_owned());
        for root in &options.extra_roots {
            tls = tls.add_root_certificate(Certificate::from_der(root.to_vec()).map_err(tls_error)?);
        }
        let tls = tls.build_rustls().map_err(tls_error)?;
        let implicit_tls = if url.implicit_tls() {
            let config = tls_client_config(&options.extra_roots).map_err(|reason| SmtpError::Tls {
                server: server.clone(),
                reason,
            })?;
            Some(TlsConnector::from(config))
        } else {
            None
        };
        let hello_name = match &options.hello_name {
            Some(name) => ClientId::Domain(name.clone()),
            None => ClientId::default(),
        };
        let credentials = url
            .username()
            .map(|username| Credentials::new(username.to_owned(), url.password().unwrap_or_default().to_owned()));
        let max_connections = options.max_connections.max(1);
        Ok(SmtpSender {
            url: url.clone(),
            timeout: options.timeout,
            hello_name,
            tls,
            implicit_tls,
            credentials,
            idle: Mutex::new(Vec::new()),
            max_idle: max_connections,
            permits: Semaphore::new(max_connections),
        })
    }

    pub fn url(&self) -> &SmtpUrl {
        &self.url
    }

    /// Delivers `raw` (an RFC 5322 message, sent as it is) to one `recipient`, with `envelope_from` as the
    /// return path (empty for the null sender `<>`).
    pub async fn send(&self, envelope_from: &str, recipient: &str, raw: &[u8]) -> Result<SmtpOutcome, SmtpError> {
        let from = match envelope_from.trim() {
            "" => None,
            address => Some(parse_address(address)?),
        };
        let envelope = Envelope::new(from, vec![parse_address(recipient.trim())?])
            .map_err(|error| SmtpError::Address(error.to_string()))?;
        // A closed semaphore is impossible (it is never closed); waiting for a permit is not the server's time.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| self.protocol("the sender was shut down"))?;
        // lettre ends DATA with CRLF "." CRLF, its own CRLF included: the message's last line break is left to
        // it, so the server stores the message byte for byte rather than with an extra empty line.
        let raw = raw
            .strip_suffix(b"\r\n")
            .or_else(|| raw.strip_suffix(b"\n"))
            .unwrap_or(raw);
        let delivery = async {
            let mut connection = self.connection().await?;
            match connection.send(&envelope, raw).await {
                Ok(response) => {
                    self.park(connection);
                    Ok(outcome(&response))
                }
                // lettre closes the connection on a negative reply (RSET would do, but it does not know
                // which state the server is in); a broken connection is dropped here.
                Err(error) => {
                    if !connection.has_broken() {
                        self.park(connection);
                    }
                    Err(self.classify(&error, Stage::Deliver))
                }
            }
        };
        tokio::time::timeout(self.timeout, delivery)
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))
    }

    /// Connects, says EHLO, upgrades to TLS when offered (or from the start for `smtps://`) and authenticates
    /// when the URL has a user name, then says QUIT: the mailbox's connection test.
    pub async fn check(&self) -> Result<(), SmtpError> {
        let exchange = async {
            let mut connection = self.connect().await?;
            // A server that does not take QUIT politely has still passed the test.
            let _ = connection.quit().await;
            Ok(())
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))
    }

    /// Says QUIT on the idle connections and closes them (deliveries still running finish on their own).
    pub async fn shutdown(&self) {
        let idle: Vec<Idle> = std::mem::take(&mut *self.idle_pool());
        for mut parked in idle {
            let _ = tokio::time::timeout(Duration::from_secs(1), parked.connection.quit()).await;
        }
    }

    /// An idle connection that still answers, or a new one.
    async fn connection(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        loop {
            let parked = {
                let mut idle = self.idle_pool();
                idle.retain(|parked| parked.since.elapsed() < IDLE_LIMIT);
                idle.pop()
            };
            let Some(Idle { mut connection, since }) = parked else {
                break;
            };
            if since.elapsed() < PROBE_AFTER || connection.test_connected().await {
                return Ok(connection);
            }
        }
        self.connect().await
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let server = || self.url.server();
        // The socket is opened here rather than by lettre to set TCP_NODELAY: lettre writes a message's last
        // "." line on its own, and with Nagle's algorithm that small write waits for the server's delayed ACK
        // of the body (40 ms on Linux) — every message would.
        let tcp = TcpStream::connect((self.url.host(), self.url.port()));
        let tcp = tokio::time::timeout(self.timeout, tcp)
            .await
            .map_err(|_| self.timed_out())?
            .map_err(|error| SmtpError::Unreachable {
                server: server(),
                reason: error.to_string(),
            })?;
        tcp.set_nodelay(true).map_err(|error| SmtpError::Unreachable {
            server: server(),
            reason: error.to_string(),
        })?;
        let stream: Box<dyn AsyncTokioStream> = match &self.implicit_tls {
            // smtps: TLS from the first byte, by tokio-rustls with the same verifier lettre's STARTTLS uses.
            Some(connector) => {
                let name = ServerName::try_from(self.url.host().to_owned()).map_err(|error| SmtpError::Tls {
                    server: server(),
                    reason: error.to_string(),
                })?;
                let tls = connector.connect(name, tcp).await.map_err(|error| SmtpError::Tls {
                    server: server(),
                    reason: error.get_ref().map_or_else(|| error.to_string(), ToString::to_string),
                })?;
                Box::new(ImplicitTls(tls))
            }
            None => Box::new(tcp),
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(stream, &self.hello_name)
            .await
            .map_err(|error| self.classify(&error, Stage::Connect))?;
        // Opportunistic STARTTLS (lettre's `Tls::Opportunistic`): upgraded whenever the server offers it,
        // and a failed upgrade is an error, never a silent fall back to plain text.
        if !self.url.implicit_tls() && connection.can_starttls() {
            connection
                .starttls(self.tls.clone(), &self.hello_name)
                .await
                .map_err(|error| self.classify(&error, Stage::Connect))?;
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|error| self.classify(&error, Stage::Auth))?;
        }
        Ok(connection)
    }

    fn park(&self, connection: AsyncSmtpConnection) {
        let mut idle = self.idle_pool();
        if idle.len() < self.max_idle {
            idle.push(Idle {
                connection,
                since: Instant::now(),
            });
        }
    }

    fn idle_pool(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // A panic while the lock was held leaves a list of connections that is still a list of connections.
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn timed_out(&self) -> SmtpError {
        SmtpError::Timeout {
            server: self.url.server(),
            seconds: self.timeout.as_secs().max(1),
        }
    }

    fn protocol(&self, reason: &str) -> SmtpError {
        SmtpError::Protocol {
            server: self.url.server(),
            reason: reason.to_owned(),
        }
    }

    fn classify(&self, error: &LettreError, stage: Stage) -> SmtpError {
        let server = self.url.server();
        if let Some(code) = error.status() {
            let code = u16::from(code);
            let message = reply_text(error);
            return if stage == Stage::Auth || AUTH_REPLY_CODES.contains(&code) {
                SmtpError::Auth {
                    code: Some(code),
                    message,
                }
            } else {
                SmtpError::Refused { code, message }
            };
        }
        if error.is_timeout() {
            return self.timed_out();
        }
        if let Some(reason) = tls_failure(error) {
            return SmtpError::Tls { server, reason };
        }
        if error.is_tls() {
            return SmtpError::Tls {
                server,
                reason: error_text(error),
            };
        }
        if error.is_client() && stage == Stage::Auth {
            return SmtpError::Auth {
                code: None,
                message: error_text(error),
            };
        }
        if error.is_client() || error.is_response() {
            return SmtpError::Protocol {
                server,
                reason: error_text(error),
            };
        }
        SmtpError::Unreachable {
            server,
            reason: error_text(error),
        }
    }
}

/// The TLS client configuration of the mail clients: aws-lc-rs, and the platform verifier (the system's roots)
/// with `extra_roots` added.
pub(crate) fn tls_client_config(extra_roots: &[CertificateDer<'static>]) -> Result<Arc<ClientConfig>, String> {
    let provider: Arc<CryptoProvider> = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots.iter().cloned(), Arc::clone(&provider))
            .map_err(|error| error.to_string())?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS stream lettre can talk over (its stream trait needs the peer's address).
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// Connects, says EHLO, upgrades to TLS when offered, authenticates and says QUIT, with the default options:
/// what `POST /mailboxes/{id}/test` does for the SMTP side.
pub async fn check(url: &SmtpUrl) -> Result<(), SmtpError> {
    check_with(url, &SmtpOptions::default()).await
}

/// [`check`] with other options (a shorter timeout, extra roots).
pub async fn check_with(url: &SmtpUrl, options: &SmtpOptions) -> Result<(), SmtpError> {
    SmtpSender::new(url, options)?.check().await
}

fn parse_address(address: &str) -> Result<Address, SmtpError> {
    address
        .parse::<Address>()
        .map_err(|error| SmtpError::Address(format!("{address:?}: {error}")))
}

fn outcome(response: &Response) -> SmtpOutcome {
    SmtpOutcome {
        code: u16::from(response.code()),
        message: response.message().collect::<Vec<_>>().join(" "),
    }
}

/// The text of a negative reply: lettre keeps it as the error's source.
fn reply_text(error: &LettreError) -> String {
    std::error::Error::source(error)
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The most specific description of an error: its innermost source's, when it has one.
fn error_text(error: &LettreError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = cause.to_string();
        source = cause.source();
    }
    text
}

/// A rustls error somewhere in the chain (lettre reports a failed handshake as a connection error with the
/// I/O error of tokio-rustls inside, which carries the rustls error).
fn tls_failure(error: &LettreError) -> Option<String> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<tokio_rustls::rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(tls) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
        {
            return Some(tls.to_string());
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_default_their_ports_and_mask_the_password() {
        let url = SmtpUrl::parse("smtp://agent%40example.com:p%40ss%3Aword@Mail.Example.com").expect("a URL");
        assert_eq!(url.host(), "mail.example.com");
        assert_eq!(url.port(), SUBMISSION_PORT);
        assert_eq!(url.username(), Some("agent@example.com"));
        assert_eq!(url.password(), Some("p@ss:word"));
        assert!(!url.implicit_tls());
        assert_eq!(
            url.to_string(),
            "smtp://agent%40example.com:********@mail.example.com:587"
        );
        assert_eq!(
            format!("{url:?}"),
            "SmtpUrl(\"smtp://agent%40example.com:********@mail.example.com:587\")"
        );
        assert_eq!(url.masked(), url.to_string());

        let url = SmtpUrl::parse("smtps://relay.example.net").expect("a URL");
        assert_eq!(
            (url.port(), url.implicit_tls(), url.username()),
            (SUBMISSIONS_PORT, true, None)
        );
        assert_eq!(url.to_string(), "smtps://relay.example.net:465");

        let url = SmtpUrl::parse("SMTP://user@[::1]:2525/").expect("a URL");
        assert_eq!((url.host(), url.port(), url.password()), ("::1", 2525, None));
        assert_eq!(url.to_string(), "smtp://user@[::1]:2525");
    }

    #[test]
    fn bad_urls_are_refused_without_showing_the_password() {
        for (input, expected) in [
            ("imap://user:secret@host", "the scheme must be smtp or smtps, not imap"),
            ("smtp://user:secret@host/INBOX", "an SMTP URL has no path"),
            (
                "smtp://user:secret@host:0",
                "the URL's port must be between 1 and 65535",
            ),
            (
                "smtp://user:secret@host?tls=no",
                "the URL may not carry a query or a fragment",
            ),
            (
                "smtp://user:%ff@host",
                "the URL's user name or password is not valid percent-encoded UTF-8",
            ),
            ("smtp://", "the URL names no host"),
            ("mail.example.com", "not a valid URL: relative URL without a base"),
        ] {
            let error = SmtpUrl::parse(input).expect_err(input).to_string();
            assert_eq!(error, expected, "{input}");
            assert!(!error.contains("secret"));
        }
    }

    #[test]
    fn permanence_follows_the_reply_class() {
        let refused = |code| SmtpError::Refused {
            code,
            message: String::new(),
        };
        assert!(refused(550).is_permanent());
        assert!(!refused(451).is_permanent());
        assert!(
            !SmtpError::Timeout {
                server: "h:25".into(),
                seconds: 1
            }
            .is_permanent()
        );
        assert_eq!(refused(550).code(), Some(550));
    }
}
