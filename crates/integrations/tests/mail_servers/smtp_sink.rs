//! An SMTP server for tests that keeps every message it accepts, with its envelope, in memory.
//!
//! Commands and the DATA section (dot-unstuffing, the final `.`) are read by `smtp-proto`, the parser of
//! Stalwart's mail server (the family of `mail-parser`); this file only keeps the session's state and writes
//! the replies. (The embeddable servers on crates.io — `mailin-embedded` and the `mailin` it drives — bring
//! second major versions of `nom` and `base64`, which deny.toml refuses, and a thread per connection.)
//!
//! It answers EHLO with PIPELINING, 8BITMIME, SMTPUTF8 and, when configured, STARTTLS and `AUTH PLAIN`;
//! can be told to refuse a recipient with 550 (`refuse`); can speak TLS from the first byte (smtps); and
//! records for each message whether it came over TLS and who authenticated.
//!
//! Self-contained so that other test binaries can include it:
//! `#[path = "../../integrations/tests/mail_servers/smtp_sink.rs"] mod smtp_sink;` (needs `tokio`,
//! `tokio-rustls`, `smtp-proto` and `base64`).
#![allow(dead_code)]

use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use base64::Engine as _;
use smtp_proto::{
    AUTH_PLAIN, Error as ParseError, Request,
    request::receiver::{DataReceiver, RequestReceiver},
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpListener,
    sync::Notify,
    task::{JoinHandle, JoinSet},
};
use tokio_rustls::{TlsAcceptor, rustls::ServerConfig};

/// A message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Received {
    /// The reverse path of MAIL FROM, empty for the null sender `<>`.
    pub(crate) mail_from: String,
    pub(crate) rcpt_to: Vec<String>,
    /// The message as sent, dot-unstuffed, without the final `.` line.
    pub(crate) data: Vec<u8>,
    /// Whether the session was encrypted (STARTTLS or smtps) when the message was sent.
    pub(crate) tls: bool,
    /// The user who authenticated, if anyone did.
    pub(crate) authenticated: Option<String>,
}

#[derive(Clone, Default)]
pub(crate) struct SinkOptions {
    /// Offers STARTTLS with this configuration.
    pub(crate) starttls: Option<Arc<ServerConfig>>,
    /// Speaks TLS from the first byte (smtps) with this configuration.
    pub(crate) implicit_tls: Option<Arc<ServerConfig>>,
    /// Offers `AUTH PLAIN` and requires it before MAIL: (user, password).
    pub(crate) credentials: Option<(String, String)>,
}

struct Shared {
    received: Mutex<Vec<Received>>,
    refused: Mutex<HashSet<String>>,
    arrived: Notify,
    options: SinkOptions,
}

/// The running sink; it stops (with its connections) when dropped.
pub(crate) struct SmtpSink {
    address: SocketAddr,
    shared: Arc<Shared>,
    accepting: JoinHandle<()>,
}

impl SmtpSink {
    pub(crate) async fn start() -> SmtpSink {
        SmtpSink::start_with(SinkOptions::default()).await
    }

    pub(crate) async fn start_with(options: SinkOptions) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the SMTP sink");
        let address = listener.local_addr().expect("the sink's address");
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            refused: Mutex::new(HashSet::new()),
            arrived: Notify::new(),
            options,
        });
        let accepting = tokio::spawn(accept(listener, Arc::clone(&shared)));
        SmtpSink {
            address,
            shared,
            accepting,
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.address.port()
    }

    /// `smtp://127.0.0.1:PORT` (`smtps://` for implicit TLS), with the configured credentials.
    pub(crate) fn url(&self) -> String {
        let scheme = if self.shared.options.implicit_tls.is_some() {
            "smtps"
        } else {
            "smtp"
        };
        match &self.shared.options.credentials {
            Some((user, password)) => {
                format!("{scheme}://{}:{}@{}", encode(user), encode(password), self.address)
            }
            None => format!("{scheme}://{}", self.address),
        }
    }

    /// RCPT TO this address (compared without case) is answered with 550 from now on.
    pub(crate) fn refuse(&self, recipient: &str) {
        lock(&self.shared.refused).insert(recipient.to_ascii_lowercase());
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    pub(crate) fn count(&self) -> usize {
        lock(&self.shared.received).len()
    }

    /// Waits until at least `count` messages arrived (or `timeout` passed) and returns them all.
    pub(crate) async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            if self.count() >= count {
                break;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                break;
            }
        }
        self.received()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // The accepting task owns the connections' JoinSet: aborting it aborts them too.
        self.accepting.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Percent-encodes everything but unreserved characters, for a user name or password in a URL.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        sessions.spawn(async move {
            let io: Box<dyn Io> = match &shared.options.implicit_tls {
                Some(config) => match TlsAcceptor::from(Arc::clone(config)).accept(stream).await {
                    Ok(tls) => Box::new(tls),
                    Err(_) => return,
                },
                None => Box::new(stream),
            };
            let tls = shared.options.implicit_tls.is_some();
            // A client that goes away mid-session is none of the sink's business.
            let _ = Session::new(shared, tls).run(io).await;
        });
        // Finished sessions are reaped so a long run does not keep them all.
        while sessions.try_join_next().is_some() {}
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Session {
    shared: Arc<Shared>,
    tls: bool,
    authenticated: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

/// What the session does after a reply.
enum Next {
    Continue,
    /// DATA was accepted: read the message.
    Data,
    /// STARTTLS was accepted: hand the connection to TLS.
    StartTls,
    Quit,
}

impl Session {
    fn new(shared: Arc<Shared>, tls: bool) -> Session {
        Session {
            shared,
            tls,
            authenticated: None,
            mail_from: None,
            rcpt_to: Vec::new(),
        }
    }

    async fn run(mut self, mut io: Box<dyn Io>) -> std::io::Result<()> {
        io.write_all(b"220 sink.test ESMTP ferrodesk test sink\r\n").await?;
        let mut buffer = vec![0_u8; 64 * 1024];
        let mut commands = RequestReceiver::default();
        let mut data: Option<(DataReceiver, Vec<u8>)> = None;
        loop {
            let read = io.read(&mut buffer).await?;
            if read == 0 {
                return Ok(());
            }
            let mut bytes = buffer[..read].iter();
            let mut replies = Vec::new();
            let mut upgrade = false;
            loop {
                if let Some((receiver, message)) = &mut data {
                    if !receiver.ingest(&mut bytes, message) {
                        break;
                    }
                    let message = std::mem::take(message);
                    data = None;
                    replies.extend_from_slice(self.deliver(message).as_bytes());
                    continue;
                }
                let (reply, next) = match commands.ingest(&mut bytes) {
                    Ok(request) => self.answer(request.into_owned()),
                    Err(ParseError::NeedsMoreData { .. }) => break,
                    Err(error) => (parse_error_reply(&error), Next::Continue),
                };
                replies.extend_from_slice(reply.as_bytes());
                match next {
                    Next::Continue => {}
                    Next::Data => data = Some((DataReceiver::new(), Vec::new())),
                    Next::StartTls => {
                        // Anything pipelined after STARTTLS is dropped (RFC 3207 §4.2).
                        upgrade = true;
                        break;
                    }
                    Next::Quit => {
                        io.write_all(&replies).await?;
                        return io.shutdown().await;
                    }
                }
            }
            if !replies.is_empty() {
                io.write_all(&replies).await?;
            }
            if upgrade {
                let Some(config) = self.shared.options.starttls.clone() else {
                    return Ok(());
                };
                io = Box::new(TlsAcceptor::from(config).accept(io).await?);
                commands = RequestReceiver::default();
                // The session starts over (RFC 3207 §4.2): the client says EHLO again.
                self.tls = true;
                self.authenticated = None;
                self.reset();
            }
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }

    fn answer(&mut self, request: Request<String>) -> (String, Next) {
        let reply = |text: &str| (format!("{text}\r\n"), Next::Continue);
        match request {
            Request::Ehlo { host } => {
                self.reset();
                let mut lines = vec![
                    format!("sink.test greets {host}"),
                    "PIPELINING".into(),
                    "8BITMIME".into(),
                ];
                lines.push("SMTPUTF8".into());
                lines.push("ENHANCEDSTATUSCODES".into());
                if self.shared.options.starttls.is_some() && !self.tls {
                    lines.push("STARTTLS".into());
                }
                if self.shared.options.credentials.is_some() {
                    lines.push("AUTH PLAIN".into());
                }
                let last = lines.len() - 1;
                let text: String = lines
                    .iter()
                    .enumerate()
                    .map(|(index, line)| format!("250{}{line}\r\n", if index == last { ' ' } else { '-' }))
                    .collect();
                (text, Next::Continue)
            }
            Request::Helo { .. } | Request::Lhlo { .. } => {
                self.reset();
                reply("250 sink.test")
            }
            Request::StartTls if self.shared.options.starttls.is_some() && !self.tls => {
                ("220 2.0.0 Ready to start TLS\r\n".to_owned(), Next::StartTls)
            }
            Request::StartTls => reply("454 4.7.0 TLS not available"),
            Request::Auth {
                mechanism,
                initial_response,
            } => self.authenticate(mechanism, &initial_response),
            Request::Mail { .. } if self.shared.options.credentials.is_some() && self.authenticated.is_none() => {
                reply("530 5.7.0 Authentication required")
            }
            Request::Mail { from } => {
                self.mail_from = Some(from.address);
                self.rcpt_to.clear();
                reply("250 2.1.0 Ok")
            }
            Request::Rcpt { .. } if self.mail_from.is_none() => reply("503 5.5.1 MAIL first"),
            Request::Rcpt { to } => {
                if lock(&self.shared.refused).contains(&to.address.to_ascii_lowercase()) {
                    return reply(&format!(
                        "550 5.1.1 <{}>: Recipient address rejected: User unknown",
                        to.address
                    ));
                }
                self.rcpt_to.push(to.address);
                reply("250 2.1.5 Ok")
            }
            Request::Data if self.rcpt_to.is_empty() => reply("503 5.5.1 RCPT first"),
            Request::Data => ("354 End data with <CR><LF>.<CR><LF>\r\n".to_owned(), Next::Data),
            Request::Rset => {
                self.reset();
                reply("250 2.0.0 Ok")
            }
            Request::Noop { .. } => reply("250 2.0.0 Ok"),
            Request::Quit => ("221 2.0.0 Bye\r\n".to_owned(), Next::Quit),
            _ => reply("502 5.5.1 Command not implemented"),
        }
    }

    fn authenticate(&mut self, mechanism: u64, initial_response: &str) -> (String, Next) {
        let reply = |text: &str| (format!("{text}\r\n"), Next::Continue);
        let Some((user, password)) = &self.shared.options.credentials else {
            return reply("502 5.5.1 AUTH not offered");
        };
        if mechanism != AUTH_PLAIN || initial_response.is_empty() {
            return reply("504 5.5.4 Only AUTH PLAIN with an initial response");
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(initial_response) else {
            return reply("501 5.5.2 Cannot decode the response");
        };
        // authzid NUL authcid NUL password (RFC 4616)
        let mut parts = decoded.split(|byte| *byte == 0).skip(1);
        let (given_user, given_password) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        if given_user == user.as_bytes() && given_password == password.as_bytes() {
            self.authenticated = Some(user.clone());
            reply("235 2.7.0 Authentication successful")
        } else {
            reply("535 5.7.8 Authentication credentials invalid")
        }
    }

    fn deliver(&mut self, data: Vec<u8>) -> String {
        let message = Received {
            mail_from: self.mail_from.take().unwrap_or_default(),
            rcpt_to: std::mem::take(&mut self.rcpt_to),
            data,
            tls: self.tls,
            authenticated: self.authenticated.clone(),
        };
        let id = {
            let mut received = lock(&self.shared.received);
            received.push(message);
            received.len()
        };
        self.shared.arrived.notify_waiters();
        format!("250 2.0.0 Ok: queued as S{id}\r\n")
    }
}

fn parse_error_reply(error: &ParseError) -> String {
    match error {
        ParseError::UnknownCommand => "500 5.5.2 Command unrecognized\r\n".to_owned(),
        ParseError::InvalidSenderAddress => "501 5.1.7 Bad sender address syntax\r\n".to_owned(),
        ParseError::InvalidRecipientAddress => "501 5.1.3 Bad recipient address syntax\r\n".to_owned(),
        ParseError::SyntaxError { syntax } => format!("501 5.5.4 Syntax: {syntax}\r\n"),
        ParseError::ResponseTooLong => "500 5.5.6 Line too long\r\n".to_owned(),
        _ => "501 5.5.4 Invalid arguments\r\n".to_owned(),
    }
}
