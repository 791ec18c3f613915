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

/// `trusted_proxies` takes CIDR ranges: from a peer inside one, the reply's `ip` is the client named in
/// `X-Forwarded-For`; from a peer outside every range the header is ignored.
#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_ranges() {
    // The test client connects from 127.0.0.1.
    for (ranges, expected) in [
        (vec!["127.0.0.0/8", "fd00::/8"], "203.0.113.9"),
        (vec!["10.0.0.0/8", "::1/128", "192.168.0.1"], "127.0.0.1"),
    ] {
        let s = TestServer::start_with(|settings| {
            settings.trusted_proxies = ranges.iter().map(|r| (*r).to_owned()).collect();
        })
        .await;
        let dept = s.department().await;
        let pat = s.customer().await;
        let ticket = pat
            .client
            .create_ticket(&new_ticket(dept.id, "proxied"))
            .await
            .expect("ticket");
        let answered = reqwest::Client::new()
            .post(format!("{}/api/v1/tickets/{}/replies", s.url, ticket.id))
            .bearer_auth(ADMIN_TOKEN)
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
            .json(&serde_json::json!({"message": "through the proxy"}))
            .send()
            .await
            .expect("reply");
        assert_eq!(answered.status(), 201, "{ranges:?}");
        let replies = s
            .admin
            .ticket_with_replies(ticket.id)
            .await
            .expect("ticket")
            .replies
            .expect("replies");
        let reply = replies
            .iter()
            .find(|r| r.message == "through the proxy")
            .expect("the reply");
        assert_eq!(reply.ip.as_deref(), Some(expected), "{ranges:?}");
        s.shutdown().await;
    }
}
