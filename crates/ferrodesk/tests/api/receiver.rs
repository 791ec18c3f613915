//! A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that keeps every request it gets and
//! answers as the test tells it (OK, an error status, slowly, never, a huge body, a redirect).
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Ok,
    Status(u16),
    /// 200 after this long.
    Slow(Duration),
    /// Never answers (the sender's timeout ends it).
    Hang,
    /// 200 with a body of this many bytes.
    Huge(usize),
    /// 307 to this URL.
    Redirect(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) at: Instant,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    answers: Mutex<Vec<Answer>>,
}

pub(crate) struct Receiver {
    pub(crate) url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

async fn take(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    // The answer is taken first in line; the last one stays for every later request.
    let answer = {
        let mut answers = inner.answers.lock().expect("lock");
        if answers.len() > 1 {
            answers.remove(0)
        } else {
            answers.first().cloned().unwrap_or(Answer::Ok)
        }
    };
    inner.received.lock().expect("lock").push(Received {
        headers,
        body,
        at: Instant::now(),
    });
    match answer {
        Answer::Ok => (StatusCode::OK, "thanks").into_response(),
        Answer::Status(code) => (StatusCode::from_u16(code).expect("status"), "receiver error").into_response(),
        Answer::Slow(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "slow thanks").into_response()
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        Answer::Huge(n) => (StatusCode::OK, vec![b'x'; n]).into_response(),
        Answer::Redirect(to) => (StatusCode::TEMPORARY_REDIRECT, [("location", to)]).into_response(),
    }
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        Self::start_on("127.0.0.1:0").await
    }

    pub(crate) async fn start_on(addr: &str) -> Receiver {
        let inner = Arc::new(Inner::default());
        let app = axum::Router::new().fallback(take).with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, inner, task }
    }

    /// Answers the next requests with `answers` in order; the last one for every request after them.
    pub(crate) fn answer(&self, answers: Vec<Answer>) {
        *self.inner.answers.lock().expect("lock") = answers;
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.inner.received.lock().expect("lock").clone()
    }

    /// The distinct `webhook-id`s received.
    pub(crate) fn ids(&self) -> BTreeSet<String> {
        self.received()
            .iter()
            .map(|r| r.header("webhook-id").to_owned())
            .collect()
    }

    /// Waits until `done` holds for what was received, failing after `within`.
    pub(crate) async fn wait_until(
        &self,
        within: Duration,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: {} received within {within:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
