//! The outbound mail worker of `serve` (SPEC §10): claims due mails (woken when the outbox queues some, when a
//! send ends, and when the next retry is due), sends each through its SMTP server, and records the attempt.
use app::App;
use domain::mailbox::MailDelivery;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};

/// Mails in flight on one node (each SMTP server's own connection limit applies beneath).
const MAX_IN_FLIGHT: usize = 32;

/// How long the worker sleeps at most when nothing is due (a claim another node let lapse is found then).
const IDLE: Duration = Duration::from_secs(1);

/// How long a claim holds: longer than one send may take (the SMTP timeout), with room to record it.
pub(crate) const LEASE: Duration = Duration::from_secs(90);

/// Sends one claimed mail and records its attempt; a record that cannot be written is retried (the claim
/// would otherwise lapse and the mail go out twice).
async fn deliver(app: App, node: Arc<str>, mail: MailDelivery) {
    let sent = app.send_mail(&mail).await;
    while let Err(e) = app.record_mail(&node, &mail, &sent).await {
        tracing::warn!(error = %e, mail = mail.id, "recording a mail attempt failed; retrying");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Runs until `stop` turns true; then claims nothing more and waits for the sends under way to be recorded
/// (the caller bounds the wait).
pub(crate) fn start(app: App, node: String, mut stop: tokio::sync::watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let node: Arc<str> = node.into();
        let signal = Arc::clone(app.mail_signal());
        let mut running: JoinSet<()> = JoinSet::new();
        while !*stop.borrow() {
            let room = MAX_IN_FLIGHT.saturating_sub(running.len());
            let claimed = if room == 0 {
                Ok(Vec::new())
            } else {
                app.claim_mails(&node, i64::try_from(room).unwrap_or(1), LEASE).await
            };
            let wait = match claimed {
                Ok(due) if !due.is_empty() => {
                    for mail in due {
                        running.spawn(deliver(app.clone(), Arc::clone(&node), mail));
                    }
                    continue;
                }
                Ok(_) => match app.next_mail_due().await {
                    Ok(Some(due)) => Duration::try_from(due.duration_since(store::time::now()))
                        .unwrap_or(Duration::ZERO)
                        .clamp(Duration::from_millis(5), IDLE),
                    Ok(None) => IDLE,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading due mails failed");
                        IDLE
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "claiming mails failed; retrying");
                    IDLE
                }
            };
            tokio::select! {
                () = signal.notified() => {}
                Some(ended) = running.join_next() => {
                    if let Err(e) = ended {
                        tracing::warn!(error = %e, "a mail send ended abnormally");
                    }
                }
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        while running.join_next().await.is_some() {}
    })
}
