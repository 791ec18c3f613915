//! The email benchmark (`--mail [N]`, issue 14, SPEC §10), with `serve` sending through a loopback SMTP
//! sink (the mail-server tests' sink, included from the integrations crate):
//!
//! 1. inbound: N messages (default 10,000) piped into `ferrodesk mail-in --mailbox …` processes,
//!    `--mail-processes` at a time as an MTA delivers, against the database `serve` runs on; half of them
//!    open tickets, half answer one of the messages stored before them (`In-Reply-To`). Messages per second
//!    and each message's time (process start to exit); then how long `serve` takes to send the
//!    acknowledgements and agent notifications they caused;
//! 2. outbound: N/2 staff replies over the API at `--concurrency`, one on each ticket the mail opened, timed
//!    from the first reply sent until the sink holds every mail;
//! 3. a ticket whose replies carry 20 attachments: `GET /agent/tickets/{id}` as a logged-in agent at c=1.
//!
//! Each throughput is printed as a share of the same run's `/healthz` ceiling, each latency beside the run's
//! `/healthz` at c=1.
use super::pages::{Login, PASSWORD, log_in};
use super::*;
use api_types::{NewMailbox, NewReply, NewStaff};
use reqwest::header::COOKIE;
use std::process::Stdio;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncWriteExt as _;

// The sink of the mail-server tests, as it is: a bench and the tests measure against the same server.
#[path = "../../../integrations/tests/mail_servers/smtp_sink.rs"]
mod smtp_sink;
use smtp_sink::SmtpSink;

/// Issue 14's targets.
const MAIL_IN_TARGET: f64 = 200.0;
const MAIL_OUT_TARGET: f64 = 500.0;
const PAGE_P95_TARGET: Duration = Duration::from_millis(15);
/// The attachments of the page's ticket, over this many staff replies.
const ATTACHMENTS: usize = 20;
const ATTACHMENT_REPLIES: usize = 5;
/// People writing in: the first message of each makes an end user with a customer; later ones find them.
const SENDERS: usize = 1_000;
/// Requests of the ticket page before the measured ones (caches, connection).
const PAGE_WARM_UP: usize = 10;
/// How long `serve` may take to send the mail a phase caused.
const DRAIN_LIMIT: Duration = Duration::from_secs(900);
/// The sink counts as drained when nothing arrived for this long.
const QUIET: Duration = Duration::from_secs(5);

/// The inbound phase's figures.
struct MailInFigures {
    /// Per message: `mail-in` from spawn to exit.
    stats: Stats,
    processes: usize,
    opened: usize,
    replied: usize,
    first_error: Option<String>,
    /// CPU time of the `mail-in` processes, and of `serve` from the first message until its mail for the
    /// last one was sent.
    cpu_mail_in: Duration,
    cpu_serve: Option<Duration>,
}

#[derive(Default)]
pub(super) struct MailReport {
    healthz1: Option<Stats>,
    healthz_c: Option<Stats>,
    mail_in: Option<MailInFigures>,
    /// Mails `serve` sent for the inbound messages, and the seconds from the last message stored until
    /// the last of them arrived.
    mail_in_outbound: Option<(usize, f64)>,
    /// The staff replies over the API.
    replies: Option<Stats>,
    /// Mails, and the seconds from the first reply sent until the sink held them all.
    mail_out: Option<(usize, f64)>,
    page: Option<Stats>,
    page_bytes: usize,
    page_first_error: Option<String>,
}

impl MailReport {
    pub(super) fn print(&self, backend: &str) {
        println!();
        println!("==== ferrodesk bench summary: email, {backend}, {} CPUs ====", cpus());
        let ceiling = self.healthz_c.as_ref().map(Stats::rps);
        let share = |rate: f64| ceiling.map_or(String::new(), |c| format!(" ({:.1}% of /healthz)", 100.0 * rate / c));
        if let Some(h) = &self.healthz1 {
            println!(
                "/healthz c=1: p50 {} p95 {}   (latency baseline of this run)",
                ms(h.p50),
                ms(h.p95)
            );
        }
        if let Some(h) = &self.healthz_c {
            println!(
                "/healthz c={}: {:.0} req/s   (HTTP ceiling of this run)",
                h.concurrency,
                h.rps()
            );
        }
        let (mut judged, mut missed) = (0, 0);
        let mut judge = |ok: bool| {
            judged += 1;
            missed += usize::from(!ok);
            verdict(ok)
        };
        if let Some(m) = &self.mail_in {
            let s = &m.stats;
            let rate = s.rps();
            println!(
                "mail-in, {} processes at a time: {} messages ({} opened tickets, {} replies by In-Reply-To) in {:.1} s = {rate:.0} messages/s{}, per message p50 {} p95 {} p99 {}, {} errors (target ≥ {MAIL_IN_TARGET:.0}/s): {}",
                m.processes,
                s.count,
                m.opened,
                m.replied,
                s.elapsed.as_secs_f64(),
                share(rate),
                ms(s.p50),
                ms(s.p95),
                ms(s.p99),
                s.errors,
                judge(rate >= MAIL_IN_TARGET && s.errors == 0 && s.count > 0)
            );
            if let Some(e) = &m.first_error {
                println!("  first error: {e}");
            }
            let per_message = |cpu: Duration| cpu.as_secs_f64() * 1e3 / (s.count.max(1) as f64);
            if let Some(serve) = m.cpu_serve {
                let both = per_message(m.cpu_mail_in) + per_message(serve);
                println!(
                    "  CPU per message: {:.1} ms in the mail-in process, {:.1} ms in serve (its outbox and the mails it sent): {} CPUs busy with nothing else would store at most {:.0} messages/s",
                    per_message(m.cpu_mail_in),
                    per_message(serve),
                    cpus(),
                    cpus() as f64 * 1e3 / both.max(1e-9)
                );
            }
        }
        if let Some((mails, secs)) = self.mail_in_outbound {
            println!(
                "  serve's acknowledgements and agent notifications for them: {mails} mails, the last {secs:.1} s after the last message was stored"
            );
        }
        if let Some(s) = &self.replies {
            println!(
                "staff replies POST /api/v1/tickets/{{id}}/replies c={}: {} in {:.1} s = {:.0} req/s{}, p50 {} p95 {}, {} errors",
                s.concurrency,
                s.count,
                s.elapsed.as_secs_f64(),
                s.rps(),
                share(s.rps()),
                ms(s.p50),
                ms(s.p95),
                s.errors
            );
        }
        if let Some((mails, secs)) = self.mail_out {
            let rate = mails as f64 / secs.max(1e-9);
            println!(
                "outbound: {mails} reply mails in the loopback SMTP sink {secs:.2} s after the first reply = {rate:.0} mails/s{} (target ≥ {MAIL_OUT_TARGET:.0}/s): {}",
                share(rate),
                judge(rate >= MAIL_OUT_TARGET)
            );
        }
        if let Some(s) = &self.page {
            println!(
                "GET /agent/tickets/{{id}} with {ATTACHMENTS} attachments, c=1: n {} p50 {} p95 {} p99 {}, {} B, {} errors (target p95 ≤ {} ms): {}",
                s.count,
                ms(s.p50),
                ms(s.p95),
                ms(s.p99),
                self.page_bytes,
                s.errors,
                PAGE_P95_TARGET.as_millis(),
                judge(s.p95 <= PAGE_P95_TARGET && s.errors == 0 && s.count > 0)
            );
            if let Some(e) = &self.page_first_error {
                println!("  first error: {e}");
            }
        }
        match (judged, missed) {
            (0, _) => println!("nothing judged"),
            (n, 0) => println!("all {n} judged targets met"),
            (n, m) => println!("{m} of {n} judged targets missed"),
        }
    }
}

/// What the run set up over the API.
struct MailFixture {
    tag: String,
    mailbox: String,
    department: i64,
    /// A requester with an address, for the attachment ticket.
    end_user: i64,
    agent_email: String,
}

/// A message stored by `mail-in`, for later ones to answer.
#[derive(Clone)]
struct Stored {
    message_id: String,
    sender: usize,
    subject: String,
    body: String,
}

/// The messages stored so far and the tickets they opened.
#[derive(Default)]
struct Conversation {
    stored: Vec<Stored>,
    opened_tickets: Vec<i64>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `text` wrapped at 72 columns, as mail clients send plain text.
fn wrapped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 64);
    let mut column = 0;
    for word in text.split_whitespace() {
        if column > 0 && column + 1 + word.len() > 72 {
            out.push_str("\r\n");
            column = 0;
        } else if column > 0 {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out
}

fn sender_name(sender: usize) -> String {
    format!("Customer {sender}")
}

fn sender_address(sender: usize) -> String {
    format!("person{sender}@customer{sender}.example")
}

/// Message `n` of the run: a customer's new request, or (`answering`) their answer to an earlier message,
/// with the quoted history and signature a mail client adds (ferrodesk cuts them from the stored text).
fn message(
    tag: &str,
    mailbox: &str,
    n: usize,
    subject: &str,
    body: &str,
    answering: Option<&Stored>,
    sender: usize,
) -> String {
    let date = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_string(&jiff::Timestamp::now())
        .unwrap_or_else(|_| "Mon, 1 Jan 2024 00:00:00 +0000".into());
    let mut m = String::with_capacity(2048);
    let _ = write!(
        m,
        "Return-Path: <{address}>\r\n\
         From: {name} <{address}>\r\n\
         To: Support <{mailbox}>\r\n\
         Date: {date}\r\n\
         Message-ID: <bench-{tag}-{n}@mail.customer{sender}.example>\r\n",
        name = sender_name(sender),
        address = sender_address(sender),
    );
    match answering {
        None => {
            let _ = write!(m, "Subject: {subject}\r\n");
        }
        Some(earlier) => {
            let _ = write!(
                m,
                "Subject: Re: {}\r\nIn-Reply-To: <{id}>\r\nReferences: <{id}>\r\n",
                earlier.subject,
                id = earlier.message_id
            );
        }
    }
    m.push_str(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\
         Content-Transfer-Encoding: 8bit\r\nUser-Agent: ferrodesk-bench\r\n\r\n",
    );
    m.push_str(&wrapped(body));
    m.push_str("\r\n\r\nThanks,\r\n");
    m.push_str(&sender_name(sender));
    if let Some(earlier) = answering {
        let _ = write!(
            m,
            "\r\n\r\nOn {date}, {} <{}> wrote:\r\n",
            sender_name(sender),
            sender_address(sender)
        );
        for line in wrapped(&earlier.body).split("\r\n") {
            let _ = write!(m, "> {line}\r\n");
        }
    }
    let _ = write!(m, "\r\n-- \r\n{}\r\nCustomer {sender} Ltd\r\n", sender_name(sender));
    m
}

/// The file of attachment `n`: a mix of the types people attach (screenshots, logs, PDFs), 10–160 KB.
fn attachment(n: usize) -> (String, String, Vec<u8>) {
    let (name, content_type) = match n % 4 {
        0 => (format!("screenshot-{n}.png"), "image/png"),
        1 => (format!("server-{n}.log"), "text/plain"),
        2 => (format!("invoice-{n}.pdf"), "application/pdf"),
        _ => (format!("export-{n}.csv"), "text/csv"),
    };
    let size = 10_000 + (n * 7_919) % 150_000;
    let mut rng = Rng::new(n as u64 + 1);
    let bytes = (0..size).map(|_| (rng.next_u64() & 0x7f) as u8).collect();
    (name, content_type.to_owned(), bytes)
}

impl Bench {
    pub(super) async fn run_mail(&mut self, messages: u64) -> anyhow::Result<()> {
        let processes = self.args.mail_processes.max(1);
        let c = self.args.concurrency;
        let messages = usize::try_from(messages).context("--mail N is too large")?;
        let replies = messages / 2;
        println!(
            "ferrodesk bench: email on {} ({}), {} CPUs, {messages} messages into mail-in ({processes} processes at a time), {replies} staff replies out at c={c}, a ticket page with {ATTACHMENTS} attachments at c=1",
            self.backend,
            ferrodesk::settings::mask_database_url(&self.url),
            cpus(),
        );
        let sink = SmtpSink::start().await;
        // Where serve takes the messages mail-in hands over (on either backend), or off: each mail-in then
        // opens the database itself.
        let socket = if self.args.mail_direct {
            "off".to_owned()
        } else {
            std::env::temp_dir()
                .join(format!("ferrodesk-bench-{}.mail-in.sock", std::process::id()))
                .display()
                .to_string()
        };
        println!("mail-in socket: {socket}");
        let env = vec![
            ("FERRODESK_SMTP_URL".to_owned(), sink.url()),
            ("FERRODESK_MAIL_IN_SOCKET".to_owned(), socket.clone()),
        ];
        self.start_with(&env).await?;
        self.refuse_non_empty().await?;
        let fixture = self.mail_fixture().await?;
        let base = self.server()?.base.clone();

        let healthz = format!("{base}/healthz");
        self.mail.healthz1 = Some(
            self.phase("GET /healthz", 1, false, move |http: &reqwest::Client, _: &mut Rng| {
                (http.get(&healthz), 0)
            })
            .await
            .stats(),
        );
        self.mail.healthz_c = Some(self.healthz_phase(&base).await);

        // 1. Inbound.
        let serve_cpu_before = cpu_time(self.server()?.pid, false);
        let conversation = self.mail_in_phase(&fixture, messages, processes, &socket).await?;
        let stored_at = Instant::now();
        let (outbound, last) = drained(&sink, 0).await?;
        self.mail.mail_in_outbound = Some((outbound, last.saturating_duration_since(stored_at).as_secs_f64()));
        // serve's CPU up to now (the quiet wait costs it nothing) is what the inbound messages cost it.
        let serve_cpu = cpu_time(self.server()?.pid, false);
        if let (Some(figures), Some(before), Some(after)) = (&mut self.mail.mail_in, serve_cpu_before, serve_cpu) {
            figures.cpu_serve = Some(after.saturating_sub(before));
        }
        println!("serve sent {outbound} acknowledgements and notifications for the inbound messages");

        // 2. Outbound: one staff reply on each ticket the mail opened.
        let tickets = conversation.opened_tickets;
        if tickets.is_empty() {
            bail!("mail-in opened no ticket; see the errors above");
        }
        let before = sink.count();
        let started = Instant::now();
        let replied = self.staff_replies(&base, &tickets, replies, c).await;
        println!("{}", replied.line());
        let sent = replied.count;
        self.mail.replies = Some(replied);
        if sent > 0 {
            let deadline = started + DRAIN_LIMIT;
            while sink.count() < before + sent {
                if Instant::now() > deadline {
                    bail!(
                        "only {} of {sent} reply mails reached the sink within {} s",
                        sink.count() - before,
                        DRAIN_LIMIT.as_secs()
                    );
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "the sink held all {sent} reply mails {secs:.2} s after the first reply ({:.0} mails/s)",
                sent as f64 / secs.max(1e-9)
            );
            self.mail.mail_out = Some((sent, secs));
            let (held, _) = drained(&sink, before + sent).await?;
            let extra = held - before - sent;
            if extra > 0 {
                println!("  and {extra} mails more than one per reply");
            }
        }

        // 3. A ticket with 20 attachments, as an agent sees it.
        self.attachment_page(&base, &fixture).await?;
        drop(sink);
        self.stop().await
    }

    /// A brand with a department and its mailbox, an agent of the department (told of customers' mail,
    /// and the one who opens the ticket page), and a requester with an address.
    async fn mail_fixture(&self) -> anyhow::Result<MailFixture> {
        let fd = self.client()?;
        let tag = format!("{:x}", jiff::Timestamp::now().as_microsecond());
        let brand = fd
            .create_brand(&NewBrand {
                name: "Bench Mail".into(),
                slug: Some(format!("bench-mail-{tag}")),
                ..NewBrand::default()
            })
            .await
            .context("creating the brand")?;
        let department = fd
            .create_department(&NewDepartment {
                brand_id: brand.id,
                name: format!("Mail support {tag}"),
                slug: Some(format!("mail-support-{tag}")),
                ..NewDepartment::default()
            })
            .await
            .context("creating the department")?;
        let mailbox = format!("support+{tag}@bench-mail.example");
        fd.create_mailbox(&NewMailbox {
            brand_id: brand.id,
            address: mailbox.clone(),
            department_id: department.id,
            imap_url: None,
            smtp_url: None,
            active: None,
        })
        .await
        .context("creating the mailbox")?;
        let agent_email = format!("mail.agent+{tag}@bench.example");
        fd.create_staff(&NewStaff {
            email: agent_email.clone(),
            name: "Mail Agent".into(),
            role: domain::Role::Agent,
            password: PASSWORD.into(),
            department_ids: Some(vec![department.id]),
        })
        .await
        .context("creating the agent")?;
        let customer = fd
            .create_customer(&NewCustomer {
                name: "Attachment Customer Ltd".into(),
                ..NewCustomer::default()
            })
            .await
            .context("creating the customer")?;
        let end_user = fd
            .create_end_user(&NewEndUser {
                customer_id: customer.id,
                name: Some("Attachment Requester".into()),
                email: Some(format!("files+{tag}@customer.example")),
                ..NewEndUser::default()
            })
            .await
            .context("creating the end user")?;
        Ok(MailFixture {
            tag,
            mailbox,
            department: department.id,
            end_user: end_user.id,
            agent_email,
        })
    }

    /// Pipes `total` messages into `mail-in` processes, `processes` at a time; every odd message answers a
    /// message stored before it.
    async fn mail_in_phase(
        &mut self,
        fixture: &MailFixture,
        total: usize,
        processes: usize,
        socket: &str,
    ) -> anyhow::Result<Conversation> {
        let conversation = Arc::new(Mutex::new(Conversation::default()));
        let next = Arc::new(AtomicUsize::new(0));
        let children_cpu_before = cpu_time(std::process::id(), true);
        let vocab = Arc::new(Vocabulary::new(VOCABULARY, 0x5eed_f00d));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..processes {
            let (conversation, next, vocab) = (Arc::clone(&conversation), Arc::clone(&next), Arc::clone(&vocab));
            let socket = socket.to_owned();
            let (exe, url, tag, mailbox) = (
                self.exe.clone(),
                self.url.clone(),
                fixture.tag.clone(),
                fixture.mailbox.clone(),
            );
            tasks.spawn(async move {
                let mut rng = Rng::new(0x6d61_696c ^ worker as u64);
                let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0u64, None::<String>);
                let (mut opened, mut replied) = (0, 0);
                let (mut subject, mut body, mut words) = (String::new(), String::new(), Vec::new());
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    vocab.message(&mut rng, &mut body, &mut words);
                    let answering = if n % 2 == 1 {
                        // An answer to a message stored already (the first ones wait for one to be).
                        loop {
                            let picked = {
                                let c = lock(&conversation);
                                (!c.stored.is_empty())
                                    .then(|| c.stored[rng.below(c.stored.len() as u64) as usize].clone())
                            };
                            match picked {
                                Some(earlier) => break Some(earlier),
                                None if started.elapsed() > Duration::from_secs(60) => break None,
                                None => tokio::time::sleep(Duration::from_millis(5)).await,
                            }
                        }
                    } else {
                        None
                    };
                    let sender = match &answering {
                        Some(earlier) => earlier.sender,
                        None => (n / 2) % SENDERS,
                    };
                    match &answering {
                        Some(earlier) => subject.clone_from(&earlier.subject),
                        None => vocab.title(&mut rng, &mut subject, &mut words),
                    }
                    let raw = message(&tag, &mailbox, n, &subject, &body, answering.as_ref(), sender);
                    let t0 = Instant::now();
                    match mail_in(&exe, &url, &socket, &mailbox, &sender_address(sender), raw.into_bytes()).await {
                        Ok(outcome) => {
                            latencies.push(t0.elapsed());
                            let expected = if answering.is_some() {
                                "replied on ticket "
                            } else {
                                "opened ticket "
                            };
                            if !outcome.starts_with(expected) {
                                errors += 1;
                                first_error.get_or_insert_with(|| {
                                    format!("message {n}: expected '{expected}…', mail-in said: {outcome}")
                                });
                            }
                            let mut c = lock(&conversation);
                            if let Some(rest) = outcome.strip_prefix("opened ticket ") {
                                opened += 1;
                                if let Some(id) = rest.split_whitespace().next().and_then(|id| id.parse().ok()) {
                                    c.opened_tickets.push(id);
                                }
                            } else if outcome.starts_with("replied on ticket ") {
                                replied += 1;
                            }
                            c.stored.push(Stored {
                                message_id: format!("bench-{tag}-{n}@mail.customer{sender}.example"),
                                sender,
                                subject: subject.clone(),
                                body: body.clone(),
                            });
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("message {n}: {e:#}"));
                        }
                    }
                }
                (latencies, errors, first_error, opened, replied)
            });
        }
        let (mut latencies, mut errors, mut first_error, mut opened, mut replied) = (Vec::new(), 0, None, 0, 0);
        while let Some(joined) = tasks.join_next().await {
            let (l, e, f, o, r) = joined.context("a mail-in task panicked")?;
            latencies.extend(l);
            errors += e;
            first_error = first_error.or(f);
            opened += o;
            replied += r;
        }
        let mut stats = Stats::of(latencies, started.elapsed());
        let children_cpu = cpu_time(std::process::id(), true);
        stats.name = "ferrodesk mail-in (per message)".into();
        stats.concurrency = processes;
        stats.errors = errors;
        println!("{}", stats.line());
        if let Some(e) = &first_error {
            println!("  first error: {e}");
        }
        self.mail.mail_in = Some(MailInFigures {
            stats,
            processes,
            opened,
            replied,
            first_error,
            cpu_mail_in: children_cpu
                .zip(children_cpu_before)
                .map_or(Duration::ZERO, |(after, before)| after.saturating_sub(before)),
            cpu_serve: None,
        });
        let conversation = std::mem::take(&mut *lock(&conversation));
        Ok(conversation)
    }

    /// `count` staff replies over the API at `concurrency`, spread over `tickets`.
    async fn staff_replies(&self, base: &str, tickets: &[i64], count: usize, concurrency: usize) -> Stats {
        let next = Arc::new(AtomicUsize::new(0));
        let tickets = Arc::new(tickets.to_vec());
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency.max(1) {
            let (http, next, tickets) = (self.http.clone(), Arc::clone(&next), Arc::clone(&tickets));
            let (base, token) = (base.to_owned(), self.token.clone());
            tasks.spawn(async move {
                let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0u64, None::<String>);
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break;
                    }
                    let ticket = tickets[n % tickets.len()];
                    let body = NewReply {
                        message: format!(
                            "Thank you for your message. We have looked into it: the change is made and you should \
                             see it within the hour. (reply {n})"
                        ),
                        internal: None,
                    };
                    let t0 = Instant::now();
                    let answer = http
                        .post(format!("{base}/api/v1/tickets/{ticket}/replies"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    match answer {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            latencies.push(t0.elapsed());
                        }
                        Ok(r) => {
                            errors += 1;
                            let status = r.status();
                            let text = r.text().await.unwrap_or_default();
                            first_error.get_or_insert_with(|| format!("{status}: {text}"));
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                (latencies, errors, first_error)
            });
        }
        let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0, None);
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((l, e, f)) => {
                    latencies.extend(l);
                    errors += e;
                    first_error = first_error.or(f);
                }
                Err(e) => {
                    errors += 1;
                    first_error.get_or_insert_with(|| format!("a reply task failed: {e}"));
                }
            }
        }
        let mut stats = Stats::of(latencies, started.elapsed());
        stats.name = "POST /api/v1/tickets/{id}/replies".into();
        stats.concurrency = concurrency;
        stats.errors = errors;
        if let Some(e) = &first_error {
            println!("  first error: {e}");
        }
        stats
    }

    /// A ticket whose replies carry [`ATTACHMENTS`] files, then its agent page at c=1.
    async fn attachment_page(&mut self, base: &str, fixture: &MailFixture) -> anyhow::Result<()> {
        let fd = self.client()?;
        let ticket = fd
            .create_ticket(&NewTicket {
                did: fixture.department,
                title: "Backups fail since the upgrade, logs and screenshots attached".into(),
                message: "Since last night's upgrade every backup job ends with an error. I attach what I have.".into(),
                user_id: Some(fixture.end_user),
                ..NewTicket::default()
            })
            .await
            .context("creating the attachment ticket")?;
        let mut attached = 0;
        for r in 0..ATTACHMENT_REPLIES {
            let files: Vec<_> = (0..ATTACHMENTS / ATTACHMENT_REPLIES)
                .map(|k| attachment(r * (ATTACHMENTS / ATTACHMENT_REPLIES) + k))
                .collect();
            let reply = fd
                .reply_with_files(
                    ticket.id,
                    &NewReply {
                        message: format!("Here is part {} of what we found.", r + 1),
                        internal: None,
                    },
                    files,
                )
                .await
                .context("a reply with files")?;
            attached += reply.attachments.len();
        }
        if attached != ATTACHMENTS {
            bail!("the replies carry {attached} attachments, not {ATTACHMENTS}");
        }
        let browser = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client")?;
        let Login { cookie } = log_in(&browser, base, &fixture.agent_email).await?;
        let url = format!("{base}/agent/tickets/{}", ticket.id);
        let count = self.args.page_requests.max(1);
        let (mut latencies, mut errors, mut first_error, mut bytes) = (Vec::with_capacity(count), 0, None, 0);
        // The body of the last answer, to check it links every file.
        let mut last_page = Default::default();
        let started = Instant::now();
        for i in 0..PAGE_WARM_UP + count {
            let t0 = Instant::now();
            let answer = match browser.get(&url).header(COOKIE, &cookie).send().await {
                Ok(r) => {
                    let status = r.status();
                    r.bytes().await.map(|b| (status, b)).map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            let latency = t0.elapsed();
            let measured = i >= PAGE_WARM_UP;
            match answer {
                Ok((status, body)) if status.is_success() => {
                    bytes = body.len();
                    if measured {
                        latencies.push(latency);
                    }
                    last_page = body;
                }
                Ok((status, body)) => {
                    errors += u64::from(measured);
                    first_error.get_or_insert_with(|| {
                        format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(200)]))
                    });
                }
                Err(e) => {
                    errors += u64::from(measured);
                    first_error.get_or_insert(e);
                }
            }
        }
        // The page is only the page measured if it links every file.
        let page = String::from_utf8_lossy(&last_page);
        let shown = (0..ATTACHMENTS).filter(|n| page.contains(&attachment(*n).0)).count();
        if shown != ATTACHMENTS {
            errors += 1;
            first_error.get_or_insert_with(|| format!("the page links {shown} of the {ATTACHMENTS} files"));
        }
        let mut stats = Stats::of(latencies, started.elapsed());
        stats.name = format!("GET /agent/tickets/{{id}} ({ATTACHMENTS} files)");
        stats.concurrency = 1;
        stats.errors = errors;
        println!("{}  {bytes} B", stats.line());
        self.mail.page = Some(stats);
        self.mail.page_bytes = bytes;
        self.mail.page_first_error = first_error;
        Ok(())
    }
}

/// Runs `ferrodesk mail-in --mailbox M --sender S` on one message, as an MTA's pipe does, with the mail-in
/// socket at `socket`, and returns the line it printed.
async fn mail_in(
    exe: &std::path::Path,
    url: &str,
    socket: &str,
    mailbox: &str,
    sender: &str,
    raw: Vec<u8>,
) -> anyhow::Result<String> {
    let mut child = tokio::process::Command::new(exe)
        .args([
            "--database-url",
            url,
            "mail-in",
            "--mailbox",
            mailbox,
            "--sender",
            sender,
        ])
        .env("RUST_LOG", "warn")
        .env("FERRODESK_MAIL_IN_SOCKET", socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let mut stdin = child.stdin.take().context("mail-in has no standard input")?;
    stdin.write_all(&raw).await.context("writing the message to mail-in")?;
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .context("mail-in took over 60 s")??;
    if !output.status.success() {
        bail!(
            "mail-in exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Waits until the sink holds at least `at_least` messages and nothing more arrived for [`QUIET`]; returns
/// how many it holds and when the last one arrived.
async fn drained(sink: &SmtpSink, at_least: usize) -> anyhow::Result<(usize, Instant)> {
    let started = Instant::now();
    let (mut seen, mut since) = (sink.count(), Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = sink.count();
        if now != seen {
            (seen, since) = (now, Instant::now());
        } else if now >= at_least && since.elapsed() >= QUIET {
            return Ok((now, since));
        }
        if started.elapsed() > DRAIN_LIMIT {
            bail!(
                "the sink still received mail {} s after the phase (holds {now})",
                DRAIN_LIMIT.as_secs()
            );
        }
    }
}

/// CPU time (user and system) of process `pid`, or with `children` of its children that ended and were
/// waited for: `/proc/PID/stat`'s utime and stime, or cutime and cstime, in clock ticks of 1/100 s (Linux's
/// USER_HZ).
fn cpu_time(pid: u32, children: bool) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces: field 3 is index 0.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let first = if children { 13 } else { 11 };
    let ticks: u64 = fields.get(first)?.parse::<u64>().ok()? + fields.get(first + 1)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
