//! Fetching a mailbox over IMAP (SPEC §10) with async-imap: `serve` reads each mailbox's unseen messages
//! without marking them (`BODY.PEEK[]`), stores them, and only then marks them seen, so a crash in between
//! fetches them again rather than losing them. Where the server offers IDLE, `serve` waits for new mail on
//! the open connection instead of polling.
//!
//! `imaps://` is TLS from the first byte; `imap://` says STARTTLS first and upgrades when the server accepts
//! (a server that refuses it is read in plain text; a failed handshake is an error, never a fall back).
//! Certificates are checked against the system's roots (the platform verifier, as reqwest and the SMTP side
//! do) plus any extra roots the caller trusts.
//!
//! Every message of [`ImapError`] is safe to show on the mailbox: none carries the password.

use std::{fmt, str::FromStr, time::Duration};

use async_imap::{Client, Session, extensions::idle::IdleResponse, types::Fetch};
use futures_util::TryStreamExt;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};
use tokio_rustls::{
    TlsConnector,
    rustls::pki_types::{CertificateDer, ServerName},
};

use super::smtp::{MailUrlError, ServerUrl, tls_client_config};

/// A message's unique identifier in its folder (RFC 3501 §2.3.1.1).
pub type Uid = u32;

/// The port of `imap://` without one.
pub const IMAP_PORT: u16 = 143;
/// The port of `imaps://` without one.
pub const IMAPS_PORT: u16 = 993;

/// The folder read when the URL names none.
pub const DEFAULT_FOLDER: &str = "INBOX";

/// Servers may log an idling client out after 30 minutes (RFC 2177): an IDLE is ended before that.
const LONGEST_IDLE: Duration = Duration::from_secs(29 * 60);

/// Characters escaped in a folder shown in a URL's path (the folder's own `/` stays: it is the usual
/// hierarchy separator).
const FOLDER_IN_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?');

/// An `imaps://user:password@host:port/FOLDER` (implicit TLS, port 993 by default) or `imap://…` (STARTTLS
/// when the server accepts it, port 143 by default) URL; the folder is `INBOX` when the path is empty. The
/// user name and password are percent-decoded. Shown, it masks the password:
/// `imaps://user:********@host:993/INBOX`.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapUrl {
    server: ServerUrl,
    folder: String,
}

impl ImapUrl {
    pub fn parse(input: &str) -> Result<Self, MailUrlError> {
        let mut server = ServerUrl::parse(input, "imap or imaps", &[("imap", IMAP_PORT), ("imaps", IMAPS_PORT)])?;
        if server.username.is_none() {
            return Err(MailUrlError::NoUser);
        }
        let folder = match std::mem::take(&mut server.path) {
            path if path.is_empty() => DEFAULT_FOLDER.to_owned(),
            path => path,
        };
        check_folder_name(&folder).map_err(MailUrlError::Path)?;
        Ok(ImapUrl { server, folder })
    }

    pub fn host(&self) -> &str {
        &self.server.host
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    pub fn username(&self) -> &str {
        self.server.username.as_deref().unwrap_or_default()
    }

    pub fn password(&self) -> &str {
        self.server.password.as_deref().unwrap_or_default()
    }

    /// The folder read (`INBOX` by default).
    pub fn folder(&self) -> &str {
        &self.folder
    }

    /// `imaps://`: TLS from the first byte rather than STARTTLS.
    pub fn implicit_tls(&self) -> bool {
        self.server.scheme == "imaps"
    }

    /// The URL as shown in the UI and the API: the password replaced by `***`.
    pub fn masked(&self) -> String {
        self.server
            .masked(&format!("/{}", utf8_percent_encode(&self.folder, FOLDER_IN_PATH)))
    }

    /// `host:port`, for messages.
    pub fn server(&self) -> String {
        self.server.server()
    }
}

impl FromStr for ImapUrl {
    type Err = MailUrlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        ImapUrl::parse(input)
    }
}

impl fmt::Display for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ImapUrl").field(&self.masked()).finish()
    }
}

/// Folder names are sent as IMAP quoted strings and LIST patterns: printable ASCII without quotes,
/// backslashes or the LIST wildcards. (Names outside ASCII would need modified UTF-7, RFC 3501 §5.1.3.)
fn check_folder_name(folder: &str) -> Result<(), String> {
    let allowed = |c: char| (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '*' | '%');
    if folder.trim().is_empty() || !folder.chars().all(allowed) {
        return Err(format!(
            "the folder {folder:?} is not supported: use printable ASCII without quotes, backslashes, * or %"
        ));
    }
    Ok(())
}

/// Certificates trusted for `imaps://` and STARTTLS besides the system's roots: a private server's CA, or
/// a test's own.
#[derive(Clone, Debug, Default)]
pub struct ImapTls {
    pub extra_roots: Vec<CertificateDer<'static>>,
}

/// Why an IMAP step failed, naming the step: the mailbox shows it as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImapError {
    /// No TCP connection could be made (nothing listens, the name does not resolve, …).
    #[error("could not connect to the IMAP server {server}: {reason}")]
    Connect { server: String, reason: String },
    /// The TLS handshake failed (an untrusted or expired certificate, a name that does not match, …).
    #[error("TLS with the IMAP server {server} failed: {reason}")]
    Tls { server: String, reason: String },
    /// The server refused the user name and password.
    #[error("the IMAP server {server} refused the login of {user}: {reason}")]
    Login {
        server: String,
        user: String,
        reason: String,
    },
    #[error("the IMAP server {server} has no folder {folder:?}: {reason}")]
    NoSuchFolder {
        server: String,
        folder: String,
        reason: String,
    },
    #[error("the IMAP server {server} did not answer {during} within {seconds} s")]
    Timeout {
        server: String,
        during: &'static str,
        seconds: u64,
    },
    /// The server answered a command with NO or BAD, or something that is not IMAP.
    #[error("the IMAP server {server} refused {command}: {reason}")]
    Command {
        server: String,
        command: &'static str,
        reason: String,
    },
    /// The connection closed or broke; connect again.
    #[error("the connection to the IMAP server {server} was lost: {reason}")]
    ConnectionLost { server: String, reason: String },
}

impl ImapError {
    /// A stable label of the kind of failure, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ImapError::Connect { .. } => "connect",
            ImapError::Tls { .. } => "tls",
            ImapError::Login { .. } => "login",
            ImapError::NoSuchFolder { .. } => "no_such_folder",
            ImapError::Timeout { .. } => "timeout",
            ImapError::Command { .. } => "command",
            ImapError::ConnectionLost { .. } => "connection_lost",
        }
    }
}

/// An unseen message, or one too large to fetch (SPEC §10: over 25 MiB it is moved aside, never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unseen {
    Message { uid: Uid, raw: Vec<u8> },
    TooLarge { uid: Uid, size: u64 },
}

impl Unseen {
    pub fn uid(&self) -> Uid {
        match self {
            Unseen::Message { uid, .. } | Unseen::TooLarge { uid, .. } => *uid,
        }
    }
}

/// How an [`ImapMailbox::idle`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The server reported a change in the folder (usually new mail): look for unseen messages.
    Changed,
    /// Nothing happened before the timeout.
    TimedOut,
}

/// The byte stream a session runs on: plain TCP, or TLS over it.
trait ImapIo: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> ImapIo for T {}
type Io = Box<dyn ImapIo>;

/// What the server offers, read once after login.
#[derive(Debug, Clone, Copy, Default)]
struct Offers {
    idle: bool,
    r#move: bool,
    uidplus: bool,
}

/// A logged-in connection with its folder selected. After an error other than a refused command, the
/// connection may be unusable: drop it and connect again.
pub struct ImapMailbox {
    /// `None` once an IDLE broke off and took the session with it.
    session: Option<Session<Io>>,
    url: ImapUrl,
    timeout: Duration,
    offers: Offers,
}

impl fmt::Debug for ImapMailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapMailbox")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("connected", &self.session.is_some())
            .finish()
    }
}

impl ImapMailbox {
    /// Connects (TLS per the URL), logs in and selects the URL's folder; each step may take up to `timeout`.
    pub async fn connect(url: &ImapUrl, timeout: Duration) -> Result<Self, ImapError> {
        Self::connect_with(url, timeout, &ImapTls::default()).await
    }

    /// [`ImapMailbox::connect`] trusting extra roots.
    pub async fn connect_with(url: &ImapUrl, timeout: Duration, tls: &ImapTls) -> Result<Self, ImapError> {
        let server = url.server();
        let steps = Steps {
            server: server.clone(),
            timeout,
        };
        let tcp = steps
            .within("the connection", TcpStream::connect((url.host(), url.port())))
            .await?
            .map_err(|error| ImapError::Connect {
                server: server.clone(),
                reason: error.to_string(),
            })?;
        let connector = || tls_connector(&tls.extra_roots).map_err(|reason| steps.tls(reason));
        let mut io: Io = Box::new(tcp);
        if url.implicit_tls() {
            io = steps.handshake(connector()?, url.host(), io).await?;
        }
        let mut client = Client::new(io);
        steps.greeting(&mut client).await?;
        if !url.implicit_tls() {
            match steps
                .within("STARTTLS", client.run_command_and_check_ok("STARTTLS", None))
                .await?
            {
                Ok(()) => {
                    let io = steps.handshake(connector()?, url.host(), client.into_inner()).await?;
                    client = Client::new(io);
                }
                // The server does not offer it: the session goes on in plain text.
                Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)) => {}
                Err(error) => return Err(steps.lost(error)),
            }
        }
        let mut session = match steps
            .within("the login", client.login(url.username(), url.password()))
            .await?
        {
            Ok(session) => session,
            Err((async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason), _)) => {
                return Err(ImapError::Login {
                    server,
                    user: url.username().to_owned(),
                    reason,
                });
            }
            Err((error, _)) => return Err(steps.lost(error)),
        };
        let capabilities = steps
            .within("CAPABILITY", session.capabilities())
            .await?
            .map_err(|error| steps.failed("CAPABILITY", error))?;
        let offers = Offers {
            idle: capabilities.has_str("IDLE"),
            r#move: capabilities.has_str("MOVE"),
            uidplus: capabilities.has_str("UIDPLUS"),
        };
        match steps.within("SELECT", session.select(url.folder())).await? {
            Ok(_) => {}
            Err(async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason)) => {
                return Err(ImapError::NoSuchFolder {
                    server,
                    folder: url.folder().to_owned(),
                    reason,
                });
            }
            Err(error) => return Err(steps.lost(error)),
        }
        Ok(ImapMailbox {
            session: Some(session),
            url: url.clone(),
            timeout,
            offers,
        })
    }

    pub fn url(&self) -> &ImapUrl {
        &self.url
    }

    /// Whether the server offers IDLE (RFC 2177), so [`ImapMailbox::idle`] can wait for mail.
    pub fn supports_idle(&self) -> bool {
        self.offers.idle
    }

    /// Up to `max` unseen messages of the folder, oldest first, fetched with `BODY.PEEK[]` so fetching marks
    /// nothing seen. A message larger than `max_bytes` is not downloaded: it comes back as
    /// [`Unseen::TooLarge`] with its size, to be moved aside.
    pub async fn unseen(&mut self, max: usize, max_bytes: u64) -> Result<Vec<Unseen>, ImapError> {
        let steps = self.steps();
        let session = self.session.as_mut().ok_or_else(|| steps.closed())?;
        let found = steps
            .within("SEARCH", session.uid_search("UNSEEN"))
            .await?
            .map_err(|e| steps.failed("SEARCH", e))?;
        let mut uids: Vec<Uid> = found.into_iter().collect();
        uids.sort_unstable();
        uids.truncate(max);
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        // Sizes first, so that a message over the limit is never downloaded.
        let sizes = steps.fetch(session, &uid_set(&uids), "(UID RFC822.SIZE)").await?;
        let mut listed = Vec::with_capacity(uids.len());
        for fetch in &sizes {
            if let (Some(uid), Some(size)) = (fetch.uid, fetch.size)
                && uids.contains(&uid)
            {
                listed.push((uid, u64::from(size)));
            }
        }
        listed.sort_unstable();
        listed.dedup_by_key(|(uid, _)| *uid);
        let wanted: Vec<Uid> = listed
            .iter()
            .filter(|(_, size)| *size <= max_bytes)
            .map(|(uid, _)| *uid)
            .collect();
        let mut bodies = Vec::new();
        if !wanted.is_empty() {
            for fetch in steps.fetch(session, &uid_set(&wanted), "(UID BODY.PEEK[])").await? {
                if let (Some(uid), Some(body)) = (fetch.uid, fetch.body())
                    && wanted.contains(&uid)
                {
                    bodies.push((uid, body.to_vec()));
                }
            }
        }
        let mut unseen = Vec::with_capacity(listed.len());
        for (uid, size) in listed {
            if size > max_bytes {
                unseen.push(Unseen::TooLarge { uid, size });
            } else if let Some(index) = bodies.iter().position(|(fetched, _)| *fetched == uid) {
                let (_, raw) = bodies.swap_remove(index);
                unseen.push(Unseen::Message { uid, raw });
            }
            // A message expunged between the two fetches is simply not there any more.
        }
        Ok(unseen)
    }

    /// Marks a message seen (once it is stored).
    pub async fn mark_seen(&mut self, uid: Uid) -> Result<(), ImapError> {
        self.store_flags(uid, "+FLAGS.SILENT (\\Seen)").await
    }

    /// Moves a message into `folder`, creating the folder when it does not exist: MOVE (RFC 6851) where the
    /// server offers it, else COPY, `\Deleted` and EXPUNGE (UID EXPUNGE with UIDPLUS, so no other message
    /// marked deleted goes with it).
    pub async fn move_aside(&mut self, uid: Uid, folder: &str) -> Result<(), ImapError> {
        let steps = self.steps();
        check_folder_name(folder).map_err(|reason| steps.command("CREATE", reason))?;
        self.ensure_folder(folder).await?;
        let offers = self.offers;
        let session = self.session.as_mut().ok_or_else(|| steps.closed())?;
        let uid_text = uid.to_string();
        if offers.r#move {
            return steps
                .within("MOVE", session.uid_mv(&uid_text, folder))
                .await?
                .map_err(|e| steps.failed("MOVE", e));
        }
        steps
            .within("COPY", session.uid_copy(&uid_text, folder))
            .await?
            .map_err(|e| steps.failed("COPY", e))?;
        self.store_flags(uid, "+FLAGS.SILENT (\\Deleted)").await?;
        let session = self.session.as_mut().ok_or_else(|| steps.closed())?;
        let expunged = async {
            if offers.uidplus {
                session.uid_expunge(&uid_text).await?.try_collect::<Vec<_>>().await
            } else {
                session.expunge().await?.try_collect::<Vec<_>>().await
            }
        };
        steps
            .within("EXPUNGE", expunged)
            .await?
            .map_err(|e| steps.failed("EXPUNGE", e))?;
        Ok(())
    }

    /// Waits on the open connection (IDLE) until the server reports a change in the folder or `timeout`
    /// passes (at most 29 minutes, RFC 2177). The server must offer IDLE ([`ImapMailbox::supports_idle`]).
    pub async fn idle(&mut self, timeout: Duration) -> Result<IdleOutcome, ImapError> {
        let steps = self.steps();
        if !self.offers.idle {
            return Err(steps.command("IDLE", "the server does not offer IDLE".to_owned()));
        }
        let session = self.session.take().ok_or_else(|| steps.closed())?;
        let mut handle = session.idle();
        steps
            .within("IDLE", handle.init())
            .await?
            .map_err(|error| steps.failed("IDLE", error))?;
        let wait = timeout.min(LONGEST_IDLE);
        let outcome = {
            let (waiting, interrupt) = handle.wait_with_timeout(wait);
            // The inner timeout restarts on every keep-alive the server sends; this one bounds the whole wait.
            let outcome = tokio::time::timeout(wait, waiting).await;
            // The interrupt must outlive the wait: dropping it ends the wait.
            drop(interrupt);
            match outcome {
                Ok(Ok(IdleResponse::NewData(_))) => IdleOutcome::Changed,
                Ok(Ok(IdleResponse::Timeout)) | Err(_) => IdleOutcome::TimedOut,
                // Never interrupted here, so the stream ended: the server closed the connection.
                Ok(Ok(IdleResponse::ManualInterrupt)) => {
                    return Err(steps.lost_because("the server closed the connection during IDLE"));
                }
                Ok(Err(error)) => return Err(steps.lost(error)),
            }
        };
        let session = steps
            .within("DONE", handle.done())
            .await?
            .map_err(|error| steps.failed("IDLE", error))?;
        self.session = Some(session);
        Ok(outcome)
    }

    /// Appends a message to `folder` as an MTA's delivery would (unseen). Tests deliver mail this way.
    pub async fn append(&mut self, folder: &str, raw: &[u8]) -> Result<(), ImapError> {
        let steps = self.steps();
        let session = self.session.as_mut().ok_or_else(|| steps.closed())?;
        steps
            .within("APPEND", session.append(folder, None, None, raw))
            .await?
            .map_err(|e| steps.failed("APPEND", e))
    }

    /// Says LOGOUT and closes the connection.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        let steps = self.steps();
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        steps
            .within("LOGOUT", session.logout())
            .await?
            .map_err(|error| steps.failed("LOGOUT", error))
    }

    async fn store_flags(&mut self, uid: Uid, flags: &'static str) -> Result<(), ImapError> {
        let steps = self.steps();
        let session = self.session.as_mut().ok_or_else(|| steps.closed())?;
        let stored = async {
            session
                .uid_store(uid.to_string(), flags)
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        steps
            .within("STORE", stored)
            .await?
            .map_err(|error| steps.failed("STORE", error))?;
        Ok(())
    }

    async fn ensure_folder(&mut self, folder: &str) -> Result<(), ImapError> {
        let steps = self.steps();
        let session = self.session.as_mut().ok_or_else(|| steps.closed())?;
        // The name is checked: no quote, backslash or wildcard can end or widen the pattern.
        let pattern = format!("\"{folder}\"");
        let listed = async {
            session
                .list(Some(""), Some(&pattern))
                .await?
                .try_collect::<Vec<_>>()
                .await
        };
        let names = steps
            .within("LIST", listed)
            .await?
            .map_err(|error| steps.failed("LIST", error))?;
        if names.iter().any(|name| name.name() == folder) {
            return Ok(());
        }
        steps
            .within("CREATE", session.create(folder))
            .await?
            .map_err(|error| steps.failed("CREATE", error))
    }

    fn steps(&self) -> Steps {
        Steps {
            server: self.url.server(),
            timeout: self.timeout,
        }
    }
}

/// Connects, logs in, selects the URL's folder and logs out: what `POST /mailboxes/{id}/test` does for the
/// IMAP side.
pub async fn check(url: &ImapUrl) -> Result<(), ImapError> {
    check_with(url, Duration::from_secs(30), &ImapTls::default()).await
}

/// [`check`] with another timeout or extra roots.
pub async fn check_with(url: &ImapUrl, timeout: Duration, tls: &ImapTls) -> Result<(), ImapError> {
    ImapMailbox::connect_with(url, timeout, tls).await?.logout().await
}

/// A UID set in IMAP's syntax: `4,7,9`.
fn uid_set(uids: &[Uid]) -> String {
    uids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

fn tls_connector(extra_roots: &[CertificateDer<'static>]) -> Result<TlsConnector, String> {
    tls_client_config(extra_roots).map(TlsConnector::from)
}

/// The server and timeout of one connection, to time each step and word its errors.
struct Steps {
    server: String,
    timeout: Duration,
}

impl Steps {
    async fn within<T>(&self, during: &'static str, step: impl Future<Output = T>) -> Result<T, ImapError> {
        tokio::time::timeout(self.timeout, step)
            .await
            .map_err(|_| ImapError::Timeout {
                server: self.server.clone(),
                during,
                seconds: self.timeout.as_secs().max(1),
            })
    }

    async fn handshake(&self, connector: TlsConnector, host: &str, io: Io) -> Result<Io, ImapError> {
        let name = ServerName::try_from(host.to_owned()).map_err(|error| self.tls(error.to_string()))?;
        let stream = self
            .within("the TLS handshake", connector.connect(name, io))
            .await?
            .map_err(|error| {
                // tokio-rustls reports the handshake's rustls error inside an I/O error.
                let reason = error.get_ref().map_or_else(|| error.to_string(), ToString::to_string);
                self.tls(reason)
            })?;
        Ok(Box::new(stream))
    }

    /// Reads the server's greeting: `* OK` (or `* PREAUTH`) to go on, `* BYE` is a refusal.
    async fn greeting(&self, client: &mut Client<Io>) -> Result<(), ImapError> {
        use async_imap::imap_proto::{Response, Status};
        let greeting = self
            .within("the greeting", client.read_response())
            .await?
            .map_err(|error| ImapError::Connect {
                server: self.server.clone(),
                reason: error.to_string(),
            })?;
        let Some(greeting) = greeting else {
            return Err(ImapError::Connect {
                server: self.server.clone(),
                reason: "the server closed the connection without a greeting".to_owned(),
            });
        };
        match greeting.parsed() {
            Response::Data {
                status: Status::Ok | Status::PreAuth,
                ..
            } => Ok(()),
            Response::Data {
                status: Status::Bye,
                outcome,
            } => Err(ImapError::Connect {
                server: self.server.clone(),
                reason: format!(
                    "the server said BYE: {}",
                    outcome.information.as_deref().unwrap_or_default()
                ),
            }),
            other => Err(ImapError::Connect {
                server: self.server.clone(),
                reason: format!("not an IMAP greeting: {other:?}"),
            }),
        }
    }

    async fn fetch(&self, session: &mut Session<Io>, set: &str, query: &str) -> Result<Vec<Fetch>, ImapError> {
        let fetched = async { session.uid_fetch(set, query).await?.try_collect::<Vec<_>>().await };
        self.within("FETCH", fetched)
            .await?
            .map_err(|error| self.failed("FETCH", error))
    }

    fn command(&self, command: &'static str, reason: String) -> ImapError {
        ImapError::Command {
            server: self.server.clone(),
            command,
            reason,
        }
    }

    fn lost_because(&self, reason: &str) -> ImapError {
        ImapError::ConnectionLost {
            server: self.server.clone(),
            reason: reason.to_owned(),
        }
    }

    fn closed(&self) -> ImapError {
        self.lost_because("an earlier IDLE broke off; connect again")
    }

    fn tls(&self, reason: String) -> ImapError {
        ImapError::Tls {
            server: self.server.clone(),
            reason,
        }
    }

    fn failed(&self, command: &'static str, error: async_imap::error::Error) -> ImapError {
        match error {
            async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason) => ImapError::Command {
                server: self.server.clone(),
                command,
                reason,
            },
            async_imap::error::Error::Parse(error) => ImapError::Command {
                server: self.server.clone(),
                command,
                reason: error.to_string(),
            },
            error => self.lost(error),
        }
    }

    fn lost(&self, error: async_imap::error::Error) -> ImapError {
        let reason = match error {
            async_imap::error::Error::ConnectionLost => "the server closed the connection".to_owned(),
            error => error.to_string(),
        };
        ImapError::ConnectionLost {
            server: self.server.clone(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_default_the_folder_and_port_and_mask_the_password() {
        let url = ImapUrl::parse("imaps://help%40example.com:s3cr%2Ft@imap.example.com").expect("a URL");
        assert_eq!(
            (url.host(), url.port(), url.folder()),
            ("imap.example.com", IMAPS_PORT, "INBOX")
        );
        assert_eq!((url.username(), url.password()), ("help@example.com", "s3cr/t"));
        assert!(url.implicit_tls());
        assert_eq!(
            url.to_string(),
            "imaps://help%40example.com:********@imap.example.com:993/INBOX"
        );
        assert_eq!(
            format!("{url:?}"),
            "ImapUrl(\"imaps://help%40example.com:********@imap.example.com:993/INBOX\")"
        );

        let url = ImapUrl::parse("imap://user:pw@127.0.0.1:1143/Support%20Mail/Incoming").expect("a URL");
        assert_eq!(
            (url.port(), url.folder(), url.implicit_tls()),
            (1143, "Support Mail/Incoming", false)
        );
        assert_eq!(
            url.masked(),
            "imap://user:********@127.0.0.1:1143/Support%20Mail/Incoming"
        );
    }

    #[test]
    fn bad_urls_are_refused_without_showing_the_password() {
        for (input, expected) in [
            ("smtp://user:secret@host", "the scheme must be imap or imaps, not smtp"),
            ("imaps://host/INBOX", "the URL names no user to log in as"),
            (
                "imaps://user:secret@host/Ввод",
                "the folder \"Ввод\" is not supported: use printable ASCII without quotes, backslashes, * or %",
            ),
            (
                "imaps://user:secret@host/IN%22BOX",
                "the folder \"IN\\\"BOX\" is not supported: use printable ASCII without quotes, backslashes, * or %",
            ),
            (
                "imaps://user:secret@host/INBOX?x=1",
                "the URL may not carry a query or a fragment",
            ),
        ] {
            let error = ImapUrl::parse(input).expect_err(input).to_string();
            assert_eq!(error, expected, "{input}");
            assert!(!error.contains("secret"));
        }
    }

    #[test]
    fn uid_sets_are_comma_separated() {
        assert_eq!(uid_set(&[3, 5, 10]), "3,5,10");
    }
}
