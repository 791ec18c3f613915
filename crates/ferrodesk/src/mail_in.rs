//! IMAP polling inside `serve` (SPEC §10): one task per active mailbox with an `imap_url` fetches its unseen
//! messages, stores each (`App::receive_mail`) and only then marks it seen; a message over 25 MiB, or one
//! that is no message at all, is moved aside to the folder `ferrodesk-refused` and logged. Where the server
//! offers IDLE the task waits on it for new mail, otherwise it polls every `mail_poll_secs`. What went wrong
//! (server down, wrong password) is recorded on the mailbox, and the task keeps trying, so polling resumes
//! when the server returns. On PostgreSQL several nodes may poll the same mailbox: a message fetched twice
//! is stored once (by its Message-ID).
use app::{App, MAX_MAIL_BYTES, MailRefused};
use domain::mailbox::Mailbox;
use integrations::mail::imap::{IdleOutcome, ImapMailbox, ImapUrl, Unseen};
use std::collections::HashMap;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the list of mailboxes to poll is read again (a mailbox added, changed or turned off).
const REFRESH: Duration = Duration::from_secs(2);

/// Messages fetched in one round.
const BATCH: usize = 50;

/// The longest one IMAP step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest IDLE wait before the connection is checked with a new round (servers drop idle clients
/// after 30 minutes).
const IDLE_WAIT: Duration = Duration::from_secs(25 * 60);

/// Where refused messages go.
pub const REFUSED_FOLDER: &str = "ferrodesk-refused";

/// Runs the pollers until `stop` turns true.
pub(crate) fn start(app: App, poll: Duration, mut stop: tokio::sync::watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Mailbox id → (its imap_url as polled, the task).
        let mut pollers: HashMap<i64, (String, JoinHandle<()>)> = HashMap::new();
        while !*stop.borrow() {
            match app.mailboxes_to_poll().await {
                Ok(mailboxes) => {
                    pollers.retain(|id, (url, task)| {
                        let keep = mailboxes
                            .iter()
                            .any(|m| m.id == *id && m.imap_url.as_deref() == Some(url.as_str()));
                        if !keep {
                            task.abort();
                        }
                        keep
                    });
                    for mailbox in mailboxes {
                        let Some(url) = mailbox.imap_url.clone() else {
                            continue;
                        };
                        if !pollers.contains_key(&mailbox.id) {
                            let id = mailbox.id;
                            let task = tokio::spawn(poll_mailbox(app.clone(), mailbox, poll));
                            pollers.insert(id, (url, task));
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading the mailboxes to poll failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(REFRESH) => {}
                _ = stop.changed() => {}
            }
        }
        for (_, (_, task)) in pollers {
            task.abort();
        }
    })
}

/// Polls one mailbox for as long as its task runs.
async fn poll_mailbox(app: App, mailbox: Mailbox, poll: Duration) {
    let Some(url) = mailbox.imap_url.as_deref() else {
        return;
    };
    let url = match ImapUrl::parse(url) {
        Ok(url) => url,
        Err(e) => {
            record(&app, &mailbox, Some(format!("the IMAP URL is not usable: {e}"))).await;
            return;
        }
    };
    loop {
        let error = session(&app, &mailbox, &url, poll).await.err();
        if let Some(error) = &error {
            tracing::warn!(mailbox = %mailbox.address, error = %error, "polling the mailbox failed; trying again");
        }
        record(&app, &mailbox, error).await;
        tokio::time::sleep(poll).await;
    }
}

/// Records how the last poll went on the mailbox.
async fn record(app: &App, mailbox: &Mailbox, error: Option<String>) {
    if let Err(e) = app.record_mailbox_poll(mailbox.id, error.as_deref()).await {
        tracing::warn!(error = %e, mailbox = %mailbox.address, "recording a poll failed");
    }
}

/// One connection: rounds of fetching until the connection fails (the error, to record) — with IDLE
/// between rounds where the server has it, else returning after one round (the caller waits `poll`).
async fn session(app: &App, mailbox: &Mailbox, url: &ImapUrl, poll: Duration) -> Result<(), String> {
    let mut imap = ImapMailbox::connect_with(url, STEP_TIMEOUT, &app.imap_tls())
        .await
        .map_err(|e| e.to_string())?;
    loop {
        round(app, mailbox, &mut imap).await?;
        if !imap.supports_idle() {
            let _ = imap.logout().await;
            return Ok(());
        }
        // The round worked: the mailbox shows no error while the connection waits for mail.
        record(app, mailbox, None).await;
        match imap.idle(IDLE_WAIT.max(poll)).await {
            Ok(IdleOutcome::Changed | IdleOutcome::TimedOut) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Fetches and stores the unseen messages, a batch at a time, until none are left.
async fn round(app: &App, mailbox: &Mailbox, imap: &mut ImapMailbox) -> Result<(), String> {
    loop {
        let unseen = imap
            .unseen(BATCH, MAX_MAIL_BYTES as u64)
            .await
            .map_err(|e| e.to_string())?;
        if unseen.is_empty() {
            return Ok(());
        }
        for message in unseen {
            match message {
                Unseen::TooLarge { uid, size } => {
                    tracing::warn!(mailbox = %mailbox.address, uid, size,
                        "a message over 25 MiB was moved aside to {REFUSED_FOLDER}");
                    imap.move_aside(uid, REFUSED_FOLDER).await.map_err(|e| e.to_string())?;
                }
                Unseen::Message { uid, raw } => match app.receive_mail(&raw, Some(&mailbox.address), None).await {
                    Ok(receipt) => {
                        tracing::debug!(mailbox = %mailbox.address, uid, ?receipt, "message stored");
                        imap.mark_seen(uid).await.map_err(|e| e.to_string())?;
                    }
                    Err(refused @ (MailRefused::TooLarge | MailRefused::NotAMessage(_))) => {
                        tracing::warn!(mailbox = %mailbox.address, uid, reason = %refused,
                            "a message was refused and moved aside to {REFUSED_FOLDER}");
                        imap.move_aside(uid, REFUSED_FOLDER).await.map_err(|e| e.to_string())?;
                    }
                    // A message the installation's rules refuse (a required attribute a new customer cannot
                    // be given, say) would be fetched again forever.
                    Err(MailRefused::App(app::AppError::Validation(errors))) => {
                        let reason: Vec<String> = errors
                            .into_iter()
                            .map(|e| format!("{}: {}", e.field, e.message))
                            .collect();
                        tracing::warn!(mailbox = %mailbox.address, uid, reason = %reason.join("; "),
                            "a message could not be stored and was moved aside to {REFUSED_FOLDER}");
                        imap.move_aside(uid, REFUSED_FOLDER).await.map_err(|e| e.to_string())?;
                    }
                    // The mailbox was turned off meanwhile: its poller is stopped at the next refresh.
                    Err(MailRefused::NoMailbox) => return Ok(()),
                    // The database is unavailable: the message stays unseen and is fetched again.
                    Err(MailRefused::App(e)) => return Err(format!("storing a message failed: {e}")),
                },
            }
        }
    }
}
