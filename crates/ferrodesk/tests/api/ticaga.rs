//! Ticaga's API (SPEC §7.2, issue 10 item 6) as the Blesta and ClientExec plugins call it: Bearer staff
//! token, `X-Admin-Email` ignored, JSON bodies (plugin 2.x) and form bodies (plugin 1.x, `http_build_query`)
//! with numbers as strings, and the status codes the plugins read.
use crate::process::department_and_requester;
use crate::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Ticaga {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Ticaga {
    fn new(s: &TestServer) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("{}/api/", s.url),
            token: ADMIN_TOKEN.into(),
        }
    }

    fn with_token(&self, token: &str) -> Self {
        Self {
            http: self.http.clone(),
            base: self.base.clone(),
            token: token.into(),
        }
    }

    async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// A GET as the plugins send it (`Accept: application/json`, Bearer key, ClientExec's admin email).
    async fn get(&self, action: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{action}", self.base))
            .header("Accept", "application/json")
            .header("X-Admin-Email", "admin@billing.example")
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        Self::answer(response).await
    }

    /// A POST with a JSON body (plugin 2.x).
    async fn post_json(&self, action: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{action}", self.base))
            .header("Accept", "application/json")
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        Self::answer(response).await
    }

    /// A POST with a form body, every value a string (plugin 1.x: `http_build_query`).
    async fn post_form(&self, action: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.post_raw(action, "application/x-www-form-urlencoded", body.into_bytes())
            .await
    }

    async fn post_raw(&self, action: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{action}", self.base))
            .header("Accept", "application/json")
            .header("Content-Type", content_type)
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .await
            .expect("POST");
        Self::answer(response).await
    }
}

#[tokio::test]
async fn billing_plugins_link_assign_and_sync_people() {
    let s = TestServer::start().await;
    let t = Ticaga::new(&s);

    // The connection test: get/0 is the key's owner; a bad key is 401, an end user's key too.
    let (status, body) = t.get("customers/get/0").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["user"].is_object(), "{body}");
    let (status, body) = t.with_token("fd_not_a_real_token").get("customers/get/0").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].is_string(), "{body}");
    let person = s.customer().await;
    let end_user_token = s
        .admin
        .create_token(&NewToken {
            name: "portal".into(),
            role: Role::EndUser,
            end_user_id: Some(person.end_user.id),
        })
        .await
        .expect("token");
    let (status, _) = t.with_token(&end_user_token.token).get("customers/get/0").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "only staff keys");

    // link (JSON): a new address makes a customer and end user; called again, nothing new.
    let link = json!({"email": "Ann@Example.com", "name": "Ann Lee", "billing_id": 501, "billing_system": "Blesta"});
    let (status, first) = t.post_json("customers/link", link.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let ann = first["user"]["id"].as_i64().expect("user id");
    let (status, again) = t.post_json("customers/link", link).await;
    assert_eq!(
        (status, again["user"]["id"].as_i64()),
        (StatusCode::OK, Some(ann)),
        "idempotent"
    );
    let (_, user) = t.get(&format!("customers/get/{ann}")).await;
    assert_eq!(user["user"]["email"], "ann@example.com");
    assert_eq!(
        user["user"]["billing"],
        json!([{"billing_system": "Blesta", "billing_id": "501"}])
    );
    let customer_id = user["user"]["customer_id"].as_i64().expect("customer");
    let links = s.admin.billing_links(customer_id).await.expect("links");
    assert_eq!(links.len(), 1, "linked once");

    // link (form) for a known end user: found by address, linked to their customer.
    let known = person.end_user.email.clone().expect("email");
    let (status, body) = t
        .post_form(
            "customers/link",
            &[
                ("email", &known),
                ("name", "Pat"),
                ("billing_id", "77"),
                ("billing_system", "whmcs"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["user"]["id"].as_i64()),
        (StatusCode::OK, Some(person.end_user.id))
    );
    let links = s.admin.billing_links(person.customer.id).await.expect("links");
    assert_eq!(links[0].billing_system.as_str(), "WHMCS", "canonical spelling");

    // assign: {"user": true}; an unknown id is the 404 Ticaga documents.
    let (status, body) = t
        .post_form(
            "customers/assign",
            &[
                ("ticaga_id", &ann.to_string()),
                ("billing_id", "900"),
                ("billing_system", "ClientExec"),
            ],
        )
        .await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({"user": true})));
    let (status, body) = t
        .post_json(
            "customers/assign",
            json!({"ticaga_id": ann + 1000, "billing_id": "901", "billing_system": "Blesta"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "User not authenticated");
    let (status, _) = t.get(&format!("customers/get/{}", ann + 1000)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad input: an unknown system (422), an account linked to someone else (409), a malformed form.
    let (status, body) = t
        .post_json(
            "customers/assign",
            json!({"ticaga_id": ann, "billing_id": "1", "billing_system": "Quickbooks"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    let (status, body) = t
        .post_json(
            "customers/assign",
            json!({"ticaga_id": person.end_user.id, "billing_id": "501", "billing_system": "blesta"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = t
        .post_raw(
            "customers/link",
            "application/x-www-form-urlencoded",
            b"email=%zz&billing_id=1".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "bad_request");
    let (status, _) = t
        .post_raw("customers/link", "application/json", b"{\"email\": ".to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = t
        .post_json(
            "customers/link",
            json!({"email": "not an address", "billing_id": "1", "billing_system": "Other"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // sync (ClientExec): upsert by external id.
    let sync = |company: &str| {
        vec![
            ("external_id", "ce-42".to_owned()),
            ("name", "Bo Berg".to_owned()),
            ("email", "bo@berg.example".to_owned()),
            ("company", company.to_owned()),
        ]
    };
    let fields = sync("Berg AB");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, first) = t.post_form("customers/sync", &pairs).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let fields = sync("Berg & Son AB");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, second) = t.post_form("customers/sync", &pairs).await;
    assert_eq!(second["user"]["id"], first["user"]["id"], "the same person");
    let customer = s
        .admin
        .customer(first["user"]["customer_id"].as_i64().expect("customer"))
        .await
        .expect("customer");
    assert_eq!(
        (customer.name.as_str(), customer.external_id.as_deref()),
        ("Berg & Son AB", Some("ce-42"))
    );
}

#[tokio::test]
async fn billing_plugins_open_tickets_reply_and_read_departments() {
    let s = TestServer::start().await;
    let t = Ticaga::new(&s);
    let (dept, _) = department_and_requester(&s.admin).await;
    let (_, linked) = t
        .post_json(
            "customers/link",
            json!({"email": "cy@example.com", "name": "Cy", "billing_id": "9", "billing_system": "Blesta"}),
        )
        .await;
    let cy = linked["user"]["id"].as_i64().expect("id");

    let (status, body) = t.get("departments/public").await;
    assert_eq!(status, StatusCode::OK);
    let slugs: Vec<&str> = body["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .filter_map(|d| d["slug"].as_str())
        .collect();
    assert!(slugs.contains(&dept.slug.as_str()), "{body}");
    let (status, body) = t.get(&format!("departments/get/{}", dept.slug)).await;
    assert_eq!(
        (status, body["department"][0]["id"].as_i64()),
        (StatusCode::OK, Some(dept.id))
    );
    let (status, _) = t.get(&format!("departments/get_by_id/{}", dept.id)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t.get("departments/get/no-such-slug").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // tickets/create as the Blesta plugin sends it: a form, numbers as strings, a priority word.
    let cy_id = cy.to_string();
    let (status, body) = t
        .post_form(
            "tickets/create",
            &[
                ("organize", "blesta"),
                ("customer_id", &cy_id),
                ("subject", "Invoice question"),
                ("priority", "urgent"),
                ("message", "Why was I charged twice?"),
                ("cc", ""),
                ("assigned", "0"),
                ("department_slug", &dept.slug),
                ("ip_address", "203.0.113.9"),
                ("public_email", ""),
                ("public_name", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ticket_id = body["id"].as_i64().expect("ticket id");
    let ticket = s.admin.ticket(ticket_id).await.expect("ticket");
    assert_eq!((ticket.user_id, ticket.priority), (cy, Priority::HIGH));

    // A guest ticket (customer_id "0") with a JSON body and a numeric priority.
    let (status, body) = t
        .post_json(
            "tickets/create",
            json!({"customer_id": "0", "subject": "Pre-sales", "priority": 1, "message": "Do you host PHP?",
                   "department_slug": dept.slug, "public_email": "guest@example.org", "public_name": "Guest"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let guest_ticket = s.admin.ticket(body["id"].as_i64().expect("id")).await.expect("ticket");
    let guest = s.admin.end_user(guest_ticket.user_id).await.expect("guest");
    assert_eq!(guest.email.as_deref(), Some("guest@example.org"));

    let (status, body) = t
        .post_json(
            "tickets/create",
            json!({"customer_id": cy, "subject": "x", "priority": "whenever", "message": "y", "department_slug": dept.slug}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = t
        .post_json(
            "tickets/create",
            json!({"customer_id": cy + 1000, "subject": "x", "message": "y", "department_slug": dept.slug}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Reading tickets: all of a user's, one of theirs, another's is 404.
    let (status, body) = t.get(&format!("tickets/get/all/{cy}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tickets"].as_array().map(Vec::len), Some(1), "{body}");
    let (status, body) = t
        .post_form("tickets/get", &[("id", &cy_id), ("ticket_id", &ticket_id.to_string())])
        .await;
    assert_eq!(
        (status, body["tickets"]["subject"].as_str()),
        (StatusCode::OK, Some("Invoice question"))
    );
    let (status, _) = t
        .post_json("tickets/get", json!({"id": cy, "ticket_id": guest_ticket.id}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not this user's ticket");
    let (status, body) = t.get(&format!("tickets/{ticket_id}")).await;
    assert_eq!((status, body["user_id"].as_i64()), (StatusCode::OK, Some(cy)));
    let (status, _) = t.post_json("tickets/info", json!({"ticket_id": ticket_id})).await;
    assert_eq!(status, StatusCode::OK);

    // Replies: the customer's, staff's, a note the customer never sees.
    let (status, body) = t
        .post_form(
            "responses/create",
            &[
                ("user_id", &cy_id),
                ("ticket_number", &ticket_id.to_string()),
                ("content", "Any news?"),
                ("is_note", "0"),
                ("employee_response", "0"),
                ("organize", "blesta"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    t.post_json(
        "responses/create",
        json!({"user_id": cy, "ticket_number": ticket_id, "content": "Refund issued.", "is_note": 0, "employee_response": 1}),
    )
    .await;
    t.post_json(
        "responses/create",
        json!({"user_id": cy, "ticket_number": ticket_id, "content": "Internal: double charge bug", "is_note": "1", "employee_response": "1"}),
    )
    .await;
    let (status, body) = t.post_json("responses/get", json!({"ticket_id": ticket_id})).await;
    assert_eq!(status, StatusCode::OK);
    let contents: Vec<&str> = body["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .filter_map(|r| r["content"].as_str())
        .collect();
    assert_eq!(contents, ["Why was I charged twice?", "Any news?", "Refund issued."]);
    let all = s.admin.ticket_with_replies(ticket_id).await.expect("ticket");
    assert_eq!(all.replies.map(|r| r.len()), Some(4), "the note is stored, only hidden");
}
