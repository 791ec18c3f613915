//! `ferrodesk mail-in`'s hand-off to a running `serve` (SPEC §10, docs/email.md "The MTA pipe").
//!
//! An MTA starts one `mail-in` process per message. Opening the database costs such a process more than
//! storing its message (SQLite reads the whole schema into every new connection; PostgreSQL wants a
//! connection and a migration check), so `serve` listens on a Unix socket (`mail_in_socket`, by default
//! beside the SQLite database file) and `mail-in` hands it the message when it can, the way Request
//! Tracker's `rt-mailgate` posts to its web server: the message is stored by the server's warm connections
//! and the process exits as soon as it has the answer. When no server listens there (none is running, or
//! the socket is turned off), `mail-in` opens the database itself, with the same outcome.
//!
//! The socket is made readable and writable by its owner only: whoever may use it may store mail as any
//! sender, as whoever may write the database file may. Run the MTA's pipe as the user `serve` runs as.
//!
//! One exchange per connection, in the order of a pipe:
//! - the client sends one line of JSON, `{"mailbox": …, "sender": …}` (both optional, as `mail-in`'s
//!   flags), then the message's bytes, then shuts down its writing side;
//! - the server answers one line, `<exit code> <text>`: the code and the line `mail-in` prints.

use app::{App, AppError, MAX_MAIL_BYTES, MailReceipt, MailRefused};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// sysexits.h: the input data was incorrect.
pub const EX_DATAERR: u8 = 65;
/// sysexits.h: addressee unknown.
pub const EX_NOUSER: u8 = 67;
/// sysexits.h: a temporary failure; the MTA retries.
pub const EX_TEMPFAIL: u8 = 75;

/// Messages the server takes at once; more wait for a turn (each may hold up to 25 MiB).
const CONCURRENT: usize = 16;
/// The longest the header line may be.
const MAX_HEADER_BYTES: usize = 4096;
/// How long one exchange may take, on either side, before it is given up (the client then exits 75, and
/// the MTA delivers again: a message stored meanwhile is recognised by its Message-ID).
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(120);

/// What `mail-in` was told on its command line.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Delivery {
    #[serde(default)]
    pub mailbox: Option<String>,
    #[serde(default)]
    pub sender: Option<String>,
}

/// How a delivery ended: `mail-in`'s exit code and the line it prints (to standard output on success, to
/// standard error otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub code: u8,
    pub line: String,
}

impl Outcome {
    fn new(code: u8, line: impl Into<String>) -> Self {
        Self {
            code,
            line: line.into(),
        }
    }
}

/// The outcome of storing one message, as `mail-in` reports it.
pub fn outcome(received: Result<MailReceipt, MailRefused>) -> Outcome {
    match received {
        Ok(receipt) => Outcome {
            code: 0,
            line: receipt_line(&receipt),
        },
        Err(refused @ (MailRefused::TooLarge | MailRefused::NotAMessage(_))) => {
            Outcome::new(EX_DATAERR, format!("error: {refused}"))
        }
        Err(refused @ MailRefused::NoMailbox) => Outcome::new(EX_NOUSER, format!("error: {refused}")),
        Err(MailRefused::App(AppError::Validation(errors))) => {
            let reasons: Vec<String> = errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            Outcome::new(
                EX_DATAERR,
                format!("error: the message cannot be stored: {}", reasons.join("; ")),
            )
        }
        Err(MailRefused::App(e)) => Outcome::new(EX_TEMPFAIL, format!("error: storing the message failed: {e}")),
    }
}

/// What `mail-in` did, in a line.
fn receipt_line(receipt: &MailReceipt) -> String {
    match receipt {
        MailReceipt::Opened { ticket_id, reply_id } => format!("opened ticket {ticket_id} (reply {reply_id})"),
        MailReceipt::Replied { ticket_id, reply_id } => format!("replied on ticket {ticket_id} (reply {reply_id})"),
        MailReceipt::Noted { ticket_id, reply_id } => {
            format!("automatic mail noted on ticket {ticket_id} (internal note {reply_id})")
        }
        MailReceipt::Duplicate => "a duplicate of a stored message: nothing done".into(),
        MailReceipt::Dropped => "an automatic message answering nothing: dropped".into(),
    }
}

/// The server's side: listens at `path` until the task is aborted. Another live server on the same socket
/// keeps it (the new one logs that and goes without); a socket left by a server that died is replaced.
pub(crate) async fn listen(app: App, path: PathBuf) -> Option<JoinHandle<()>> {
    if UnixStream::connect(&path).await.is_ok() {
        tracing::warn!(path = %path.display(), "another ferrodesk serves mail-in on this socket; not taking it over");
        return None;
    }
    // A socket file no process listens on: left by a server that stopped without removing it.
    if std::fs::symlink_metadata(&path).is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type())) {
        let _ = std::fs::remove_file(&path);
    }
    let listener = match UnixListener::bind(&path) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot listen for mail-in; it opens the database itself");
            return None;
        }
    };
    if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(path = %path.display(), error = %e, "cannot make the mail-in socket private; not using it");
        let _ = std::fs::remove_file(&path);
        return None;
    }
    tracing::info!(path = %path.display(), "mail-in hands messages over on this socket");
    let turns = Arc::new(Semaphore::new(CONCURRENT));
    Some(tokio::spawn(async move {
        let _remove = RemoveOnDrop(path);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let Ok(turn) = turns.clone().acquire_owned().await else {
                return;
            };
            let app = app.clone();
            tokio::spawn(async move {
                if tokio::time::timeout(EXCHANGE_TIMEOUT, exchange(&app, stream))
                    .await
                    .is_err()
                {
                    tracing::warn!("a mail-in hand-off took too long; dropped (the MTA delivers again)");
                }
                drop(turn);
            });
        }
    }))
}

/// Removes the socket file when the listening task ends (aborted at shutdown).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One hand-off: read the delivery, store the message, answer.
async fn exchange(app: &App, stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let outcome = match read_delivery(&mut read).await {
        Ok((delivery, raw)) => outcome(
            app.receive_mail(&raw, delivery.mailbox.as_deref(), delivery.sender.as_deref())
                .await,
        ),
        Err(refusal) => refusal,
    };
    let answer = format!("{} {}\n", outcome.code, outcome.line.replace('\n', " "));
    let _ = write.write_all(answer.as_bytes()).await;
    let _ = write.shutdown().await;
}

async fn read_delivery(read: &mut BufReader<tokio::net::unix::OwnedReadHalf>) -> Result<(Delivery, Vec<u8>), Outcome> {
    let mut header = Vec::new();
    let unreadable = |e: std::io::Error| Outcome::new(EX_TEMPFAIL, format!("error: reading the message failed: {e}"));
    (&mut *read)
        .take(MAX_HEADER_BYTES as u64)
        .read_until(b'\n', &mut header)
        .await
        .map_err(unreadable)?;
    let delivery: Delivery = serde_json::from_slice(&header)
        .map_err(|e| Outcome::new(EX_DATAERR, format!("error: a bad mail-in hand-off: {e}")))?;
    let mut raw = Vec::new();
    (&mut *read)
        .take(MAX_MAIL_BYTES as u64 + 1)
        .read_to_end(&mut raw)
        .await
        .map_err(unreadable)?;
    if raw.len() > MAX_MAIL_BYTES {
        return Err(Outcome::new(EX_DATAERR, format!("error: {}", MailRefused::TooLarge)));
    }
    Ok((delivery, raw))
}

/// The client's side: hands `raw` to the server listening at `path`. `None` when nobody listens there
/// (then `mail-in` opens the database itself); a failure after the server took the message is a
/// temporary one (75), for the MTA to deliver again.
pub fn hand_off(path: &Path, delivery: &Delivery, raw: &[u8]) -> Option<Outcome> {
    let mut stream = std::os::unix::net::UnixStream::connect(path).ok()?;
    let exchanged = (|| -> std::io::Result<String> {
        stream.set_read_timeout(Some(EXCHANGE_TIMEOUT))?;
        stream.set_write_timeout(Some(EXCHANGE_TIMEOUT))?;
        let mut header = serde_json::to_vec(delivery).map_err(std::io::Error::other)?;
        header.push(b'\n');
        stream.write_all(&header)?;
        stream.write_all(raw)?;
        stream.shutdown(std::net::Shutdown::Write)?;
        let mut answer = String::new();
        std::io::BufReader::new(&stream).read_line(&mut answer)?;
        Ok(answer)
    })();
    let lost = |why: String| {
        Outcome::new(
            EX_TEMPFAIL,
            format!("error: the hand-off to ferrodesk serve failed: {why}"),
        )
    };
    Some(match exchanged {
        Ok(answer) => match answer.trim_end().split_once(' ') {
            Some((code, line)) => match code.parse::<u8>() {
                Ok(code) => Outcome::new(code, line),
                Err(_) => lost(format!("an answer without an exit code: {answer:?}")),
            },
            None => lost("the server closed the connection without an answer".into()),
        },
        Err(e) => lost(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_carry_mail_in_exit_codes() {
        assert_eq!(
            outcome(Ok(MailReceipt::Opened {
                ticket_id: 4,
                reply_id: 9
            })),
            Outcome {
                code: 0,
                line: "opened ticket 4 (reply 9)".into()
            }
        );
        assert_eq!(outcome(Err(MailRefused::TooLarge)).code, EX_DATAERR);
        assert_eq!(outcome(Err(MailRefused::NoMailbox)).code, EX_NOUSER);
        assert_eq!(outcome(Ok(MailReceipt::Duplicate)).code, 0);
    }
}
