//! The accept loop: hyper's HTTP/1 connection builder with a header-read (and keep-alive idle) timeout, a
//! cap on open connections, graceful shutdown, and problem+json bodies for the errors hyper answers itself.
use crate::state::WebConfig;
use api_types::{ErrorCode, Problem};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// hyper refuses a request head larger than this (431). The edge's own limits (`max_header_bytes`,
/// `max_uri_length`) are far lower and answered by middleware, so this only catches the absurd.
const HYPER_MAX_BUF: usize = 256 * 1024;

/// hyper's own error answers are a status line, `content-length: 0` and a date: far below this.
const MAX_HYPER_ERROR_HEAD: usize = 512;

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, closes idle connections
/// and waits for in-flight requests to finish.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    config: &WebConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // hyper starts this timer whenever it waits for a request head, so it also closes a kept-alive
        // connection that sends nothing, and a slowloris client that sends its headers a byte at a time.
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(HYPER_MAX_BUF);
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // Waiting for a permit before accepting leaves clients past the cap in the kernel's backlog, where
        // they cost this process no file descriptor.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |req: axum::http::Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection = builder.serve_connection(
            TokioIo::new(ProblemBodies::new(stream)),
            TowerToHyperService::new(service),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Errors of `accept` are about one connection (reset before accept) or about this process (out of file
/// descriptors); neither should stop the server, but the second must not spin.
async fn accept_error(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; pausing for a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A connection's byte stream, which replaces the answers hyper writes by itself for a request it cannot
/// parse (400 bad request line, 414 URI too long, 431 head too large: an empty body, before any service
/// runs) with problem+json answers. Those heads are recognised on the way out: status 400, 414 or 431 with
/// `content-length: 0` — ferrodesk's own error answers always have a body, so they are never mistaken.
struct ProblemBodies<S> {
    inner: S,
    /// The replacement answer, and how much of it has reached `inner`.
    pending: Vec<u8>,
    written: usize,
}

impl<S> ProblemBodies<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> ProblemBodies<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemBodies<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> ProblemBodies<S> {
    /// Takes `head` in place of writing it when it is one of hyper's own error answers: its replacement
    /// is written instead (what is left of it by the next write, flush or shutdown), and the caller's
    /// bytes count as written.
    fn replaced(&mut self, cx: &mut Context<'_>, head: &[u8]) -> Option<io::Result<usize>> {
        self.pending = problem_for_hyper_error(head)?;
        if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
            return Some(Err(e));
        }
        Some(Ok(head.len()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemBodies<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        if let Some(written) = this.replaced(cx, buf) {
            return Poll::Ready(written);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    /// hyper writes an answer's head and body in one vectored write when the stream supports it (no copy
    /// of the body into its head buffer); its own error answers are a head alone, in one slice.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        let mut slices = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (slices.next(), slices.next())
            && let Some(written) = this.replaced(cx, only)
        {
            return Poll::Ready(written);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// The problem+json answer that replaces `head`, if `head` is one of hyper's own bodiless error answers.
fn problem_for_hyper_error(head: &[u8]) -> Option<Vec<u8>> {
    // Every write of every answer passes here: rule out bodies and ordinary heads by their bytes first.
    if head.len() > MAX_HYPER_ERROR_HEAD || !head.starts_with(b"HTTP/1.") || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let head = std::str::from_utf8(head).ok()?;
    let head = head.strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?;
    let (code, detail) = match status.get(..4)? {
        "400 " => (ErrorCode::BadRequest, "the request line or a header is malformed"),
        "414 " => (ErrorCode::UriTooLong, "the request URI is too long"),
        "431 " => (ErrorCode::HeadersTooLarge, "the request headers are too large"),
        _ => return None,
    };
    let mut kept = Vec::new();
    let mut bodiless = false;
    for line in lines {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("content-length") {
            bodiless = line.split(':').nth(1).is_some_and(|v| v.trim() == "0");
        } else if !name.eq_ignore_ascii_case("content-type") && !name.eq_ignore_ascii_case("connection") {
            kept.push(line);
        }
    }
    if !bodiless {
        return None;
    }
    let body = serde_json::to_vec(&Problem::new(code, Some(detail.to_owned()))).ok()?;
    let mut out = format!("{status_line}\r\n");
    for line in kept {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "content-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_error_heads_become_problems() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(problem_for_hyper_error(head).expect("replaced")).expect("utf-8");
        let (head, body) = out.split_once("\r\n\r\n").expect("head and body");
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains("date: Tue"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let problem: Problem = serde_json::from_str(body).expect("problem");
        assert_eq!(problem.code, ErrorCode::HeadersTooLarge);
        assert_eq!(problem.status, 431);
    }

    #[test]
    fn other_answers_pass_unchanged() {
        for head in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 90\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"{\"data\": []}",
        ] {
            assert!(
                problem_for_hyper_error(head).is_none(),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
