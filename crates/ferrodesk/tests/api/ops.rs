//! Health, readiness, metrics, OpenAPI and request ids (SPEC §1).
use crate::*;

#[tokio::test]
async fn health_ready_metrics_openapi_request_id() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", s.url)).send();

    let r = get("/healthz").await.expect("healthz");
    assert_eq!(r.status(), 200);
    let id = r
        .headers()
        .get("x-request-id")
        .expect("request id")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID");
    assert_eq!(get("/readyz").await.expect("readyz").status(), 200);

    let echoed = http
        .get(format!("{}/healthz", s.url))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("echo");
    assert_eq!(
        echoed.headers().get("x-request-id").and_then(|v| v.to_str().ok()),
        Some("abc-123")
    );
    let problem = http.get(format!("{}/api/v1/tickets", s.url)).send().await.expect("401");
    assert!(
        problem.headers().contains_key("x-request-id"),
        "errors carry the request id too"
    );
    assert_eq!(
        problem.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );

    s.admin
        .tickets(&TicketQuery::default())
        .await
        .expect("a request to count");
    let metrics = get("/metrics").await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(
        metrics.contains("route=\"/api/v1/tickets\""),
        "per-route labels: {metrics}"
    );
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "latency histogram: {metrics}"
    );

    let spec: serde_json::Value = get("/api/openapi.json")
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert!(
        spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    for path in [
        "/api/v1/tickets",
        "/api/v1/tickets/{id}/replies",
        "/api/v1/search",
        "/api/v1/events",
        "/api/v1/tokens",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(spec["components"]["schemas"].get("Ticket").is_some());
    let docs = get("/api/docs/").await.expect("docs");
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.expect("html").contains("swagger"), "Swagger UI page");
    s.shutdown().await;
}
