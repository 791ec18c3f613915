//! The TeamTools-compatible API, driven with the exact requests the real TeamTools PHP SDK sends
//! (compat/teamtools.md §2–§8: the token in the query for GET and in the JSON body otherwise, create with
//! a trailing slash, only changed members on update), answers snapshotted with insta so CI guards the wire
//! format without PHP. `scripts/teamtools-sdk` runs the SDK itself.
use crate::*;
use insta::assert_json_snapshot;
use serde_json::{Value, json};

/// A TeamTools API client that speaks exactly as the SDK does.
pub(crate) struct Sdk {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Sdk {
    pub(crate) async fn connect(s: &TestServer, salt: &str) -> Sdk {
        let client = s
            .admin
            .create_oauth_client(&NewOauthClient {
                name: "sdk".into(),
                role: Some(Role::Admin),
                salt: Some(salt.into()),
            })
            .await
            .expect("client");
        let http = reqwest::Client::builder()
            .user_agent("GuzzleHttp/7")
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http");
        // `TeamToolsClient::initialize`: exactly these three members, as JSON.
        let answer: Value = http
            .post(format!("{}/teamtools/access_token", s.url))
            .json(&json!({
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "grant_type": "client_credentials",
            }))
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token json");
        Sdk {
            http,
            base: format!("{}/teamtools/", s.url),
            token: answer["access_token"].as_str().expect("access_token").to_owned(),
        }
    }

    /// A GET with the query the SDK builds (`access_token` last).
    pub(crate) async fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let mut pairs: Vec<(&str, &str)> = query.to_vec();
        pairs.push(("access_token", &self.token));
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .query(&pairs)
            .send()
            .await
            .expect("send");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// A POST, PUT or DELETE with the token as a member of the JSON body.
    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let mut body = body;
        body["access_token"] = Value::String(self.token.clone());
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("send");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, body).await
    }

    pub(crate) async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, json!({})).await
    }
}

/// Ids and times differ from run to run and between databases; the rest of an answer must not.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({sort_maps => true, prepend_module_to_snapshot => false}, {
            assert_json_snapshot!($name, $value, {
                ".**.id" => insta::dynamic_redaction(present("[id]")),
                ".**.customerId" => insta::dynamic_redaction(present("[id]")),
                ".**.endUserId" => insta::dynamic_redaction(present("[id]")),
                ".**.created_at" => insta::dynamic_redaction(present("[time]")),
                ".**.updated_at" => insta::dynamic_redaction(present("[time]")),
                ".**.deleted_at" => insta::dynamic_redaction(present("[time]")),
                ".**.joinDate" => insta::dynamic_redaction(present("[time]")),
                ".**.timestamp" => insta::dynamic_redaction(present("[time]")),
            });
        });
    };
}

/// Replaces a value that is there (a `null` stays `null`: whether a record is deleted is part of the
/// answer).
fn present(
    placeholder: &'static str,
) -> impl Fn(insta::internals::Content, insta::internals::ContentPath<'_>) -> insta::internals::Content {
    move |value, _| {
        if value.as_str().is_some() || value.as_i64().is_some() || value.as_u64().is_some() {
            placeholder.into()
        } else {
            value
        }
    }
}

fn id_of(answer: &Value) -> String {
    answer["data"]["id"].as_str().expect("a string id").to_owned()
}

#[tokio::test]
async fn the_sdks_customer_requests() {
    let s = TestServer::start().await;
    let sdk = Sdk::connect(&s, "pepper").await;

    // Customer::saveAttribute: every property of the Attribute object, null when not set.
    let (status, dept) = sdk
        .post(
            "customers/attributes/",
            json!({"id": null, "name": "department", "prettyName": "Department", "type": "text",
                   "description": null, "required": null, "editable": null, "searchable": "true",
                   "default": null, "defaultValue": null, "unique": null}),
        )
        .await;
    assert_eq!(status, 200, "{dept}");
    snapshot!("attribute_created", &dept);
    let (_, seats) = sdk
        .post(
            "customers/attributes/",
            json!({"id": null, "name": "seats", "prettyName": "Seats", "type": "number", "description": null,
                   "required": false, "editable": true, "searchable": false, "default": null,
                   "defaultValue": null, "unique": false}),
        )
        .await;
    // The update sends everything but name, type and default, id included.
    let seats_id = id_of(&seats);
    let (status, changed) = sdk
        .put(
            &format!("customers/attributes/{seats_id}"),
            json!({"id": seats_id, "prettyName": "Seats bought", "description": "licences",
                   "required": false, "editable": true, "searchable": false, "defaultValue": null,
                   "unique": false, "created_at": "2026-12-01 10:00:00", "deleted_at": null}),
        )
        .await;
    assert_eq!(
        (status, changed["data"]["prettyName"].clone()),
        (200, json!("Seats bought"))
    );
    let (_, list) = sdk.get("customers/attributes", &[]).await;
    snapshot!("attributes_listed", &list);

    // new Customer([...])->save(): POST customers/ with the constructor array.
    let (status, created) = sdk
        .post(
            "customers/",
            json!({"name": "Jamaica Rum", "email": "rum@example.com", "country": "Jamaica",
                   "department": "Sales", "seats": "12", "tags": ["vip"]}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    snapshot!("customer_created", &created);
    let cid = id_of(&created);
    // ->save() on a fetched customer: only the changed members.
    let (status, updated) = sdk.put(&format!("customers/{cid}"), json!({"seats": 15})).await;
    assert_eq!((status, updated["data"]["seats"].clone()), (200, json!(15)));
    // An update with no member answers the record.
    let (status, same) = sdk.put(&format!("customers/{cid}"), json!({})).await;
    assert_eq!((status, same["data"]["seats"].clone()), (200, json!(15)));

    let (_, eu) = sdk
        .post(
            "endusers/",
            json!({"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "customerId": cid}),
        )
        .await;
    snapshot!("end_user_created", &eu);
    let eid = id_of(&eu);

    // Lists: keyword, filter, limit/offset/orderBy/orderDirection, include, in the SDK's order.
    sdk.post(
        "customers/",
        json!({"name": "Berlin Bikes", "country": "Germany", "seats": 50}),
    )
    .await;
    let (status, found) = sdk
        .get(
            "customers",
            &[
                ("filter", "country{ct}jamaica"),
                ("limit", "10"),
                ("offset", "0"),
                ("orderBy", "seats"),
                ("orderDirection", "desc"),
                ("include", "users"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{found}");
    snapshot!("customers_filtered_with_users", &found);
    let (_, keyword) = sdk.get("customers", &[("keyword", "sales")]).await;
    assert_eq!(keyword["data"][0]["name"], json!("Jamaica Rum"), "{keyword}");
    let (_, two) = sdk
        .get(
            "customers",
            &[("filter[0]", "seats{gte}10"), ("filter[1]", "country{eq}germany")],
        )
        .await;
    assert_eq!(two["meta"]["pagination"]["total"], json!(1), "{two}");
    let (_, tagged) = sdk.get("customers/tag/vip", &[("include", "users")]).await;
    assert_eq!(tagged["data"][0]["users"]["data"][0]["id"], json!(eid), "{tagged}");

    // Errors become TTBadArgumentsException(error.message).
    let (status, bad) = sdk.get("customers", &[("filter", "seats{xx}1")]).await;
    assert_eq!(status, 422);
    snapshot!("bad_filter", &bad);
    let (status, missing) = sdk.get("customers/999999", &[]).await;
    assert_eq!(status, 404);
    snapshot!("not_found", &missing);
    let (status, dup) = sdk
        .post("customers/", json!({"name": "Copy", "email": "rum@example.com"}))
        .await;
    assert_eq!(status, 422);
    snapshot!("duplicate_email", &dup);

    // Delete, restore, restoreAll.
    let (status, deleted) = sdk.delete(&format!("customers/{cid}")).await;
    assert_eq!(status, 200);
    assert!(deleted["data"]["deleted_at"].is_string(), "{deleted}");
    assert_eq!(sdk.get(&format!("customers/{cid}"), &[]).await.0, 404);
    assert_eq!(sdk.delete(&format!("customers/{cid}")).await.0, 404);
    let (status, restored) = sdk.put(&format!("customers/{cid}/restore"), json!({})).await;
    assert_eq!((status, restored["data"]["deleted_at"].clone()), (200, Value::Null));
    assert_eq!(sdk.put(&format!("customers/{cid}/restore"), json!({})).await.0, 409);
    sdk.delete(&format!("customers/{cid}")).await;
    let (status, all) = sdk.put("customers/restore", json!({"ids": [cid]})).await;
    assert_eq!((status, all["data"][0]["id"].clone()), (200, json!(cid)));

    // saveAll: rows without id insert, rows with id update, all or nothing.
    let (status, bulk) = sdk
        .post(
            "customers/bulk",
            json!({"data": [{"name": "Bulk One", "seats": 1}, {"id": cid, "seats": 99}]}),
        )
        .await;
    assert_eq!(status, 200, "{bulk}");
    snapshot!("bulk_saved", &bulk);
    let (status, refused) = sdk
        .post(
            "customers/bulk",
            json!({"data": [{"name": "Bulk Two"}, {"name": "Bulk Three", "seats": "many"}]}),
        )
        .await;
    assert_eq!(status, 422);
    snapshot!("bulk_refused", &refused);
    let (_, none) = sdk.get("customers", &[("keyword", "bulk two")]).await;
    assert_eq!(none["data"], json!([]), "nothing of a refused batch is stored");

    // migrateEndusers, getEndUsers, getEvents.
    let (_, other) = sdk.post("customers/", json!({"name": "Other Co"})).await;
    let other_id = id_of(&other);
    let (status, moved) = sdk
        .put(
            &format!("customers/{cid}/endusers"),
            json!({"enduserIds": [], "newCustomerId": other_id}),
        )
        .await;
    assert_eq!((status, moved["data"][0]["customerId"].clone()), (200, json!(other_id)));
    let (_, people) = sdk.get(&format!("customers/{other_id}/endusers"), &[]).await;
    assert_eq!(people["data"][0]["id"], json!(eid));

    // Event::save with key = md5(endUserId . salt), then the customer's and end user's events.
    let key = ferrodesk_app_key(&eid, "pepper");
    let (status, event) = sdk
        .post(
            "events/",
            json!({"name": "login", "endUserId": eid, "counter": 1, "metadata": {"ip": "10.0.0.1"},
                   "key": key, "include": true}),
        )
        .await;
    assert_eq!(status, 200, "{event}");
    snapshot!("event_recorded", &event);
    let (status, wrong) = sdk
        .post(
            "events/",
            json!({"name": "login", "endUserId": eid, "key": "0".repeat(32), "include": true}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        wrong["error"]["message"].as_str().unwrap_or_default().contains("key"),
        "{wrong}"
    );
    let (_, events) = sdk.get(&format!("customers/{other_id}/events"), &[]).await;
    assert_eq!(events["data"].as_array().map(Vec::len), Some(1), "{events}");
    let (_, with_events) = sdk
        .get(&format!("endusers/{eid}"), &[("include", "events,customer")])
        .await;
    snapshot!("end_user_with_events_and_customer", &with_events);

    // Web events: the change log in TeamTools' record shape.
    let (_, web) = sdk
        .get(
            "webevents",
            &[("limit", "1"), ("orderBy", "id"), ("orderDirection", "desc")],
        )
        .await;
    let web_id = web["data"][0]["id"].as_str().expect("web event id").to_owned();
    let (status, one) = sdk.get(&format!("webevents/{web_id}"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(one["data"]["data"]["type"], json!("end_user"), "{one}");

    // Members (staff) and teams (departments), read-only.
    s.admin
        .create_staff(&NewStaff {
            email: "agent@example.com".into(),
            name: "Agent Smith".into(),
            role: Role::Agent,
            password: "correct horse battery staple".into(),
            department_ids: None,
        })
        .await
        .expect("staff");
    let (status, members) = sdk.get("members", &[]).await;
    assert_eq!(status, 200);
    assert!(members["data"].as_array().is_some_and(|m| !m.is_empty()), "{members}");
    let department = s.department().await;
    let (status, team) = sdk.get(&format!("teams/{}", department.id), &[]).await;
    assert_eq!((status, team["data"]["name"].clone()), (200, json!(department.name)));

    // Coupons are out of scope (billing: teamtools_billing.rs).
    assert_eq!(sdk.get("coupons", &[]).await.0, 404);
    // Without a token: 401 in TeamTools' error shape.
    let r = reqwest::get(format!("{}customers", sdk.base)).await.expect("send");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert!(body["error"]["message"].is_string(), "{body}");
}

/// The SDK's event key, `md5(endUserId . salt)` (checked against PHP-independent MD5 values in the app
/// crate's unit test).
fn ferrodesk_app_key(end_user_id: &str, salt: &str) -> String {
    let id: i64 = end_user_id.parse().expect("id");
    app::event_key(id, salt)
}

/// `meta.pagination.total` counts up to `app::COUNT_BOUND` matches; past it, it is "at least", yet never
/// ends the pages early: one more than a full page reaches, and exact on the last page.
#[tokio::test]
async fn totals_past_the_count_bound_never_end_the_pages_early() {
    let s = TestServer::start().await;
    let sdk = Sdk::connect(&s, "pepper").await;
    let bound = app::COUNT_BOUND as usize;
    let many = bound + 7;
    for chunk in (0..many).collect::<Vec<_>>().chunks(250) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|i| json!({"name": format!("Counted {i}"), "tags": ["counted"]}))
            .collect();
        let (status, saved) = sdk.post("customers/bulk", json!({ "data": rows })).await;
        assert_eq!(status, 200, "{saved}");
    }
    let total = |page: &Value| page["meta"]["pagination"]["total"].as_u64().expect("total");
    let count = |page: &Value| page["data"].as_array().expect("data").len();

    let (status, first) = sdk
        .get("customers", &[("filter", "tags{eq}counted"), ("limit", "500")])
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (count(&first), total(&first)),
        (500, bound as u64),
        "at least the bound"
    );
    let (_, full) = sdk
        .get(
            "customers",
            &[
                ("filter", "tags{eq}counted"),
                ("limit", "500"),
                ("offset", &bound.to_string()),
            ],
        )
        .await;
    assert_eq!(count(&full), 7);
    assert_eq!(total(&full), many as u64, "the last page's total is exact");
    let (_, beyond) = sdk
        .get(
            "customers",
            &[
                ("keyword", "counted"),
                ("limit", "3"),
                ("offset", &(bound + 1).to_string()),
            ],
        )
        .await;
    assert_eq!(count(&beyond), 3);
    assert_eq!(
        total(&beyond),
        (bound + 1 + 3 + 1) as u64,
        "one more than a full page reaches"
    );
    let (_, few) = sdk
        .get("customers", &[("keyword", "counted 1006"), ("limit", "5")])
        .await;
    assert_eq!(total(&few), 1, "below the bound the total is exact: {few}");
}
