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
    assert!(
        spec["components"]["schemas"]["EndUserPatch"]["properties"]
            .get("current_password")
            .is_some(),
        "the end user's current_password is documented"
    );
    let limit_text = spec["paths"]["/api/v1/tickets"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
        .and_then(|p| p["description"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        limit_text.contains("1 to 500"),
        "limit's rule is documented: {limit_text:?}"
    );
    let codes = spec["components"]["schemas"]["ErrorCode"].to_string();
    for code in [
        "uri_too_long",
        "headers_too_large",
        "service_unavailable",
        "rate_limited",
    ] {
        assert!(codes.contains(code), "{code} missing from ErrorCode: {codes}");
    }
    let docs = get("/api/docs/").await.expect("docs");
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.expect("html").contains("swagger"), "Swagger UI page");
    s.shutdown().await;
}
