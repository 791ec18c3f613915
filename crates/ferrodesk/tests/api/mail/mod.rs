//! The email channel (SPEC §10) against real servers: an SMTP sink that keeps what ferrodesk sends, dovecot
//! for IMAP, and `ferrodesk mail-in` as an MTA pipes mail into it.
use crate::*;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

mod imap;
mod inbound;
mod mailboxes;
mod outbound;

#[path = "../../../../integrations/tests/mail_servers/certs.rs"]
#[allow(unreachable_pub)]
pub(crate) mod certs;
#[path = "../../../../integrations/tests/mail_servers/dovecot.rs"]
#[allow(unreachable_pub)]
pub(crate) mod dovecot;
#[path = "../../../../integrations/tests/mail_servers/smtp_sink.rs"]
#[allow(unreachable_pub)]
pub(crate) mod smtp_sink;

pub(crate) use smtp_sink::SmtpSink;

const BIN: &str = env!("CARGO_BIN_EXE_ferrodesk");

/// A help desk with a brand, a department, a mailbox `support@<brand>.example` and an SMTP sink as the
/// installation's mail server.
pub(crate) struct MailDesk {
    pub server: TestServer,
    pub sink: SmtpSink,
    pub brand: Brand,
    pub department: Department,
    pub mailbox: Mailbox,
}

impl MailDesk {
    pub(crate) async fn start() -> MailDesk {
        Self::start_with(|_| {}).await
    }

    pub(crate) async fn start_with(configure: impl FnOnce(&mut ferrodesk::settings::Settings)) -> MailDesk {
        let sink = SmtpSink::start().await;
        let smtp = sink.url();
        let server = TestServer::start_with(|s| {
            s.smtp_url = Some(smtp.as_str().into());
            s.webhook_retry_scale = 0.001;
            configure(s);
        })
        .await;
        let (brand, department, mailbox) = mailbox_of(&server, &slug("acme")).await;
        MailDesk {
            server,
            sink,
            brand,
            department,
            mailbox,
        }
    }

    /// Runs `ferrodesk mail-in` with `args` on this desk's database, `raw` on its standard input.
    pub(crate) async fn mail_in(&self, raw: &[u8], args: &[&str]) -> MailIn {
        mail_in(&self.server.database_url, raw, args).await
    }

    /// `mail-in --mailbox <this desk's mailbox>`.
    pub(crate) async fn deliver(&self, raw: &[u8]) -> MailIn {
        self.mail_in(raw, &["--mailbox", &self.mailbox.address]).await
    }
}

/// A brand named `slug` with a department and a mailbox `support@<slug>.example` in it.
pub(crate) async fn mailbox_of(server: &TestServer, slug: &str) -> (Brand, Department, Mailbox) {
    let brand = server
        .admin
        .create_brand(&NewBrand {
            name: format!("Brand {slug}"),
            slug: Some(slug.to_owned()),
            ..Default::default()
        })
        .await
        .expect("brand");
    let department = server
        .admin
        .create_department(&NewDepartment {
            brand_id: brand.id,
            name: format!("Support {slug}"),
            ..Default::default()
        })
        .await
        .expect("department");
    let mailbox = server
        .admin
        .create_mailbox(&NewMailbox {
            brand_id: brand.id,
            address: format!("support@{slug}.example"),
            department_id: department.id,
            ..Default::default()
        })
        .await
        .expect("mailbox");
    (brand, department, mailbox)
}

/// What `mail-in` did.
#[derive(Debug)]
pub(crate) struct MailIn {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl MailIn {
    /// The ticket a stored message opened or answered (from the line `mail-in` prints).
    #[track_caller]
    pub(crate) fn ticket(&self) -> i64 {
        assert_eq!(self.code, 0, "mail-in failed: {self:?}");
        self.stdout
            .split("ticket ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("no ticket in {self:?}"))
    }
}

pub(crate) async fn mail_in(database_url: &str, raw: &[u8], args: &[&str]) -> MailIn {
    mail_in_with(database_url, raw, args, &[]).await
}

/// [`mail_in`] with the environment variables `env` set (and no other `FERRODESK_` one).
pub(crate) async fn mail_in_with(database_url: &str, raw: &[u8], args: &[&str], env: &[(&str, &str)]) -> MailIn {
    let mut command = tokio::process::Command::new(BIN);
    command
        .arg("--database-url")
        .arg(database_url)
        .arg("mail-in")
        .args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("FERRODESK_")) {
        command.env_remove(k);
    }
    command.envs(env.iter().copied());
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mail-in starts");
    let mut stdin = child.stdin.take().expect("stdin");
    // A refused message may be left unread: the pipe then breaks, as it would for an MTA.
    let _ = stdin.write_all(raw).await;
    drop(stdin);
    let out = child.wait_with_output().await.expect("mail-in ends");
    MailIn {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A plain-text message from `from` to `to`; `headers` are added as given (`In-Reply-To: <…>\r\n`, …).
pub(crate) fn message(from: &str, to: &str, subject: &str, message_id: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A slug no other test uses (lower-case letters, digits and dashes).
pub(crate) fn slug(prefix: &str) -> String {
    unique(prefix).to_lowercase().replace('_', "-")
}

/// A Message-ID no other test uses.
pub(crate) fn new_id() -> String {
    format!("{}@mua.example", unique("m"))
}

/// A mail the sink received, read as a mail client reads it.
pub(crate) struct Sent {
    pub mail_from: String,
    pub raw: Vec<u8>,
}

impl Sent {
    pub(crate) fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("ferrodesk sends messages a mail client can read")
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.parsed()
            .header_raw(name)
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    pub(crate) fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The Message-ID, without brackets.
    pub(crate) fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    /// `In-Reply-To` and `References` ids, without brackets.
    pub(crate) fn in_reply_to(&self) -> Vec<String> {
        ids(self.parsed().in_reply_to())
    }

    pub(crate) fn references(&self) -> Vec<String> {
        ids(self.parsed().references())
    }

    pub(crate) fn text(&self) -> String {
        self.parsed().body_text(0).unwrap_or_default().into_owned()
    }
}

fn ids(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match value {
        mail_parser::HeaderValue::Text(id) => vec![id.to_string()],
        mail_parser::HeaderValue::TextList(ids) => ids.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    }
}

/// The mails the sink holds for `recipient`, once there are `count` of them (or after 20 s, what there is).
pub(crate) async fn mails_to(sink: &SmtpSink, recipient: &str, count: usize) -> Vec<Sent> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found: Vec<Sent> = sink
            .received()
            .into_iter()
            .filter(|r| r.rcpt_to.iter().any(|t| t.eq_ignore_ascii_case(recipient)))
            .map(|r| Sent {
                mail_from: r.mail_from,
                raw: r.data,
            })
            .collect();
        if found.len() >= count || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the outbox has taken every event and every mail it queued has been tried for good (sent,
/// or failed): what the desk would send is sent. Gives every mail queued, with its attempts.
pub(crate) async fn settled(server: &TestServer) -> Vec<MailDelivery> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let events = server
            .admin
            .events(&EventQuery {
                limit: Some(500),
                ..Default::default()
            })
            .await
            .expect("events");
        let mut mails = Vec::new();
        let mut busy = events.data.iter().any(|e| e.status == "pending");
        if !busy {
            for event in &events.data {
                let detail = server.admin.event_detail(event.id).await.expect("event");
                busy |= detail.mails.iter().any(|m| m.status == DeliveryStatus::Pending);
                mails.extend(detail.mails);
            }
        }
        if !busy {
            return mails;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the outbox never settled: {events:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The test CA's root as a PEM file (`mail_ca_file`), in a directory removed when the guard drops.
pub(crate) fn ca_file(ca: &certs::TestCa) -> (tempfile::TempDir, String) {
    use base64::Engine;
    let dir = temp_dir();
    let b64 = base64::engine::general_purpose::STANDARD.encode(ca.root.as_ref());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    );
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, pem).expect("the CA file");
    let path = path.display().to_string();
    (dir, path)
}
