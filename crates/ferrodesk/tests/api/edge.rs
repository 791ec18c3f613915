//! The HTTP edge under abuse: errors of the HTTP layer itself as problem+json, size limits answered before
//! the body, the request deadline, header-read and idle timeouts, the connection cap, metric labels and
//! client-chosen request ids. Raw TCP where the typed client cannot send what an attacker sends.
use crate::*;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One answer read off a raw connection.
#[derive(Debug)]
struct RawAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    fn problem(&self, code: ErrorCode) -> Problem {
        assert_eq!(self.status, code.status(), "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        let problem: Problem = serde_json::from_slice(&self.body).expect("a problem+json body");
        assert_eq!(problem.code, code);
        problem
    }
}

fn address(s: &TestServer) -> String {
    s.url.trim_start_matches("http://").to_owned()
}

/// Sends `request` as given on a new connection and reads one answer (head, then `Content-Length` bytes).
async fn exchange(s: &TestServer, request: &[u8]) -> RawAnswer {
    let mut stream = TcpStream::connect(address(s)).await.expect("connect");
    // The server may answer and stop reading before all of an oversized request is sent.
    let _ = stream.write_all(request).await;
    tokio::time::timeout(Duration::from_secs(10), read_answer(&mut stream))
        .await
        .expect("an answer within 10 s")
}

async fn read_answer(stream: &mut TcpStream) -> RawAnswer {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(
            n > 0,
            "connection closed before an answer: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("ascii head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.expect("read body");
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    RawAnswer { status, headers, body }
}

/// Waits until the server closes `stream` (a read returns end-of-file or a reset), at most `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn errors_of_the_http_layer_are_problems() {
    let s = TestServer::start().await;

    // Answered by hyper before any service runs.
    let bad_line = exchange(&s, b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n").await;
    bad_line.problem(ErrorCode::BadRequest);
    let garbage = exchange(&s, b"\x01\x02 nonsense\r\n\r\n").await;
    garbage.problem(ErrorCode::BadRequest);
    let long_uri = format!("GET /healthz?q={} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    exchange(&s, long_uri.as_bytes()).await.problem(ErrorCode::UriTooLong);
    let many_headers: String = (0..120).map(|i| format!("X-H-{i}: v\r\n")).collect();
    let many = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n");
    exchange(&s, many.as_bytes()).await.problem(ErrorCode::HeadersTooLarge);

    // Answered by the edge's own limits.
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/healthz?q={}", s.url, "a".repeat(17_000)))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 414);
    let p: Problem = r.json().await.expect("problem");
    assert_eq!(p.code, ErrorCode::UriTooLong);
    let r = http
        .get(format!("{}/healthz", s.url))
        .header("x-big", "a".repeat(40_000))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 431);
    let p: Problem = r.json().await.expect("problem");
    assert_eq!(p.code, ErrorCode::HeadersTooLarge);

    // The server still answers ordinary requests.
    s.admin.me().await.expect("an ordinary request");
    s.shutdown().await;
}

#[tokio::test]
async fn a_declared_oversized_body_is_refused_at_once() {
    let s = TestServer::start().await;
    let started = Instant::now();
    let head = format!(
        "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
    );
    let answer = exchange(&s, head.as_bytes()).await;
    answer.problem(ErrorCode::PayloadTooLarge);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered without waiting for the body: {:?}",
        started.elapsed()
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_request_out_of_time_is_503_with_retry_after() {
    let s = TestServer::start_with(|settings| settings.request_timeout_secs = 1).await;
    let dept = s.department().await;
    // The body never completes, so the handler is still waiting when the deadline passes.
    let request = format!(
        "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"did\": {}",
        dept.id
    );
    let started = Instant::now();
    let answer = exchange(&s, request.as_bytes()).await;
    let p = answer.problem(ErrorCode::ServiceUnavailable);
    assert!(p.detail.expect("detail").contains("retry"), "says what to do");
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert!(answer.header("x-request-id").is_some());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let tickets = s.admin.tickets(&TicketQuery::default()).await.expect("list");
    assert!(tickets.data.is_empty(), "nothing written");

    if on_postgres() {
        // A handler stuck on the database: another session holds the tickets table locked.
        let mut locker = <sqlx::PgConnection as sqlx::Connection>::connect(&s.database_url)
            .await
            .expect("connect");
        sqlx::query("BEGIN").execute(&mut locker).await.expect("begin");
        sqlx::query("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE")
            .execute(&mut locker)
            .await
            .expect("lock");
        let started = Instant::now();
        let p = assert_code(
            s.admin.tickets(&TicketQuery::default()).await,
            ErrorCode::ServiceUnavailable,
        );
        assert!(p.detail.expect("detail").contains("retry"));
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        sqlx::query("ROLLBACK").execute(&mut locker).await.expect("rollback");
        s.admin
            .tickets(&TicketQuery::default())
            .await
            .expect("answers again once the lock is gone");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let s = TestServer::start_with(|settings| settings.header_read_timeout_secs = 1).await;
    let limit = Duration::from_secs(5);

    let mut silent = TcpStream::connect(address(&s)).await.expect("connect");
    let mut slowloris = TcpStream::connect(address(&s)).await.expect("connect");
    slowloris
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("part of a head");
    let mut kept_alive = TcpStream::connect(address(&s)).await.expect("connect");
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("a whole request");
    assert_eq!(read_answer(&mut kept_alive).await.status, 200);

    let started = Instant::now();
    assert!(closed_within(&mut silent, limit).await, "a silent connection is closed");
    assert!(closed_within(&mut slowloris, limit).await, "a slow head is cut off");
    assert!(
        closed_within(&mut kept_alive, limit).await,
        "an idle keep-alive connection is closed"
    );
    assert!(started.elapsed() < limit);
    s.shutdown().await;
}

#[tokio::test]
async fn connections_are_capped() {
    let s = TestServer::start_with(|settings| {
        settings.max_connections = 2;
        settings.header_read_timeout_secs = 60;
    })
    .await;
    let idle_one = TcpStream::connect(address(&s)).await.expect("connect");
    let _idle_two = TcpStream::connect(address(&s)).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let fresh = || {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .expect("client")
    };
    let blocked = fresh().get(format!("{}/healthz", s.url)).send().await;
    assert!(blocked.is_err_and(|e| e.is_timeout()), "a third connection waits");

    drop(idle_one);
    let mut answered = false;
    for _ in 0..10 {
        if let Ok(r) = fresh().get(format!("{}/healthz", s.url)).send().await {
            assert_eq!(r.status(), 200);
            answered = true;
            break;
        }
    }
    assert!(answered, "a closed connection frees its place");
    s.shutdown().await;
}

#[tokio::test]
async fn made_up_methods_and_paths_share_metric_labels() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let marker = unique("MADEUP").to_uppercase();
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("{marker}{i}").as_bytes()).expect("method");
        let r = http
            .request(method, format!("{}/nowhere/{marker}/{i}", s.url))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 404);
        let r = http
            .request(
                reqwest::Method::from_bytes(format!("{marker}{i}").as_bytes()).expect("method"),
                format!("{}/healthz", s.url),
            )
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 405);
    }
    let metrics = http
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(!metrics.contains(&marker), "no label per made-up method or path");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    assert!(metrics.contains("route=\"unmatched\""), "{metrics}");
    s.shutdown().await;
}

#[tokio::test]
async fn only_short_safe_request_ids_are_kept() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let echoed = |id: String| {
        let request = http.get(format!("{}/healthz", s.url)).header("x-request-id", id);
        async move {
            let r = request.send().await.expect("send");
            r.headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .expect("a request id")
                .to_owned()
        }
    };
    let longest = "a".repeat(64);
    assert_eq!(echoed(longest.clone()).await, longest);
    assert_eq!(echoed("req-1.2_x".into()).await, "req-1.2_x");
    for forged in [
        "a".repeat(65),
        "x".repeat(8000),
        "abc\" level=ERROR msg=\"forged".into(),
        "a b".into(),
        "ids=1;2".into(),
    ] {
        let id = echoed(forged.clone()).await;
        assert_ne!(id, forged);
        assert_eq!(id.len(), 36, "a generated UUID instead of {forged:?}: {id}");
    }
    s.shutdown().await;
}
