//! `ferrodesk import customers FILE.csv [--end-users]` as an operator runs it, on the running server's
//! database; what it stored is read back through the API.
use crate::process::ferrodesk;
use crate::*;
use serde_json::{Value, json};

/// What one run of the command did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Writes `csv` to a file and imports it into the server's database.
fn import(s: &TestServer, csv: &[u8], end_users: bool) -> Run {
    let dir = temp_dir();
    let path = dir.path().join("people.csv");
    std::fs::write(&path, csv).expect("write the CSV file");
    let mut args = vec!["import", "customers"];
    let path = path.to_string_lossy().into_owned();
    args.push(&path);
    if end_users {
        args.push("--end-users");
    }
    args.extend(["--database-url", &s.database_url]);
    let out = ferrodesk(&args).output().expect("run ferrodesk import");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn attr(name: &str, kind: &str) -> AttributeInput {
    AttributeInput {
        name: Some(name.into()),
        kind: Some(kind.into()),
        ..Default::default()
    }
}

async fn define(s: &TestServer, entity: AttributeEntity, input: AttributeInput) {
    s.admin
        .create_attribute(entity, &input)
        .await
        .expect("define attribute");
}

async fn by_external_id(s: &TestServer, external_id: &str) -> Customer {
    let page = s
        .admin
        .find_customers(
            &PersonListQuery {
                external_id: Some(external_id.into()),
                ..Default::default()
            },
            &[],
        )
        .await
        .expect("list");
    assert_eq!(page.data.len(), 1, "one customer with external_id {external_id}");
    page.data.into_iter().next().expect("one")
}

/// Every live customer, all pages.
async fn all_customers(s: &TestServer) -> Vec<Customer> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .admin
            .find_customers(
                &PersonListQuery {
                    limit: Some(500),
                    cursor: cursor.take(),
                    ..Default::default()
                },
                &[],
            )
            .await
            .expect("list");
        out.extend(page.data);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// The hook names of one customer's history, oldest first.
async fn history(s: &TestServer, customer_id: i64) -> Vec<Event> {
    let mut events = s
        .admin
        .customer_events(customer_id, &EventQuery::default())
        .await
        .expect("events")
        .data;
    events.reverse();
    events
}

fn names(events: &[Event]) -> Vec<&str> {
    events.iter().filter_map(|e| e.name.as_deref()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_are_created_then_rerun_changes_nothing_and_edits_update() {
    let s = TestServer::start().await;
    define(
        &s,
        AttributeEntity::Customer,
        AttributeInput {
            options: Some(vec!["gold".into(), "silver".into()]),
            required: Some(true),
            default_value: Some(json!("silver")),
            ..attr("plan", "select")
        },
    )
    .await;
    define(&s, AttributeEntity::Customer, attr("seats", "number")).await;
    define(&s, AttributeEntity::Customer, attr("renewal", "date")).await;
    define(&s, AttributeEntity::Customer, attr("managed", "boolean")).await;
    define(&s, AttributeEntity::Customer, attr("note", "text")).await;
    // Made through the API without an external_id: a row with its email adopts it.
    let hooli = s
        .admin
        .create_customer(&NewCustomer {
            name: "Hooli".into(),
            email: Some("ops@hooli.example".into()),
            ..Default::default()
        })
        .await
        .expect("customer");

    let csv = "external_id,name,email,phone,city,country,tags,plan,seats,renewal,managed,note\n\
               A-1,Acme,Billing@Acme.example,+1 555 0100,Kingston,Jamaica,vip;hosting,gold,50,2027-01-31,yes,\"two\n\
               lines, one cell\"\n\
               A-2,Globex,,,,,,,,,,\n\
               A-3,\"Initech, Inc.\",it@initech.example,,,,\"eu, support\",silver,7.5,,0,\n\
               H-1,Hooli,ops@hooli.example,,,,,,,,,\n";
    let first = import(&s, csv.as_bytes(), false);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first
            .stdout
            .contains("3 created, 1 updated, 0 unchanged, 0 failed (4 rows)"),
        "{first:?}"
    );

    let acme = by_external_id(&s, "A-1").await;
    assert_eq!(acme.name, "Acme");
    assert_eq!(
        acme.email.as_deref(),
        Some("billing@acme.example"),
        "email in its normal form"
    );
    assert_eq!(
        (acme.phone.as_deref(), acme.city.as_deref(), acme.country.as_deref()),
        (Some("+1 555 0100"), Some("Kingston"), Some("Jamaica"))
    );
    assert_eq!(acme.tags, ["hosting", "vip"]);
    assert_eq!(acme.attributes.get("plan"), Some(&json!("gold")));
    assert_eq!(acme.attributes.get("seats"), Some(&json!(50)));
    assert_eq!(acme.attributes.get("renewal"), Some(&json!("2027-01-31")));
    assert_eq!(acme.attributes.get("managed"), Some(&json!(true)));
    assert_eq!(
        acme.attributes.get("note"),
        Some(&json!("two\nlines, one cell")),
        "a quoted newline stays in its cell"
    );
    let globex = by_external_id(&s, "A-2").await;
    assert_eq!(globex.email, None);
    assert_eq!(
        globex.attributes.get("plan"),
        Some(&json!("silver")),
        "empty cell: the default applies"
    );
    assert!(!globex.attributes.contains_key("seats"));
    let initech = by_external_id(&s, "A-3").await;
    assert_eq!(initech.name, "Initech, Inc.");
    assert_eq!(initech.tags, ["eu", "support"]);
    assert_eq!(initech.attributes.get("seats"), Some(&json!(7.5)));
    assert_eq!(initech.attributes.get("managed"), Some(&json!(false)));
    let adopted = by_external_id(&s, "H-1").await;
    assert_eq!(adopted.id, hooli.id, "matched by email, given the external_id");
    assert_eq!(all_customers(&s).await.len(), 4);

    let events = history(&s, acme.id).await;
    assert_eq!(names(&events), ["CustomerCreated"]);
    assert_eq!(events[0].source, EventSource::System);
    assert_eq!(
        events[0].data.value["seats"],
        json!(50),
        "the event shows the record as the API does"
    );
    assert_eq!(
        names(&history(&s, hooli.id).await),
        ["CustomerCreated", "CustomerUpdated"]
    );

    // The same file again: nothing changes, nothing is written.
    let again = import(&s, csv.as_bytes(), false);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again
            .stdout
            .contains("0 created, 0 updated, 4 unchanged, 0 failed (4 rows)"),
        "{again:?}"
    );
    assert_eq!(names(&history(&s, acme.id).await), ["CustomerCreated"]);
    assert_eq!(by_external_id(&s, "A-1").await, acme, "not even updated_at moves");

    // TeamTools spellings; columns the file leaves out, and empty cells, leave values as they are.
    let edit = "externalId,Name,seats,managed\nA-1,Acme,60,\nA-2,Globex Corporation,,\n";
    let edited = import(&s, edit.as_bytes(), false);
    assert_eq!(edited.code, 0, "{edited:?}");
    assert!(
        edited.stdout.contains("0 created, 2 updated, 0 unchanged"),
        "{edited:?}"
    );
    let acme2 = by_external_id(&s, "A-1").await;
    assert_eq!(acme2.attributes.get("seats"), Some(&json!(60)));
    assert_eq!(
        acme2.attributes.get("managed"),
        Some(&json!(true)),
        "an empty cell changes nothing"
    );
    assert_eq!(
        acme2.attributes.get("note"),
        acme.attributes.get("note"),
        "no column, no change"
    );
    assert_eq!(
        (acme2.email.clone(), acme2.tags.clone()),
        (acme.email.clone(), acme.tags.clone())
    );
    assert_eq!(by_external_id(&s, "A-2").await.name, "Globex Corporation");
    let events = history(&s, acme.id).await;
    assert_eq!(names(&events), ["CustomerCreated", "CustomerUpdated"]);
    assert_eq!(events[1].data.old["seats"], json!(50));
    assert_eq!(events[1].data.value["seats"], json!(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_fail_alone_naming_line_and_field() {
    let s = TestServer::start().await;
    define(
        &s,
        AttributeEntity::Customer,
        AttributeInput {
            options: Some(vec!["gold".into(), "silver".into()]),
            required: Some(true),
            ..attr("plan", "select")
        },
    )
    .await;
    define(&s, AttributeEntity::Customer, attr("seats", "number")).await;
    define(
        &s,
        AttributeEntity::Customer,
        AttributeInput {
            unique: Some(true),
            ..attr("account_no", "text")
        },
    )
    .await;
    define(
        &s,
        AttributeEntity::Customer,
        AttributeInput {
            editable: Some(false),
            ..attr("region", "text")
        },
    )
    .await;
    define(&s, AttributeEntity::Customer, attr("note", "text")).await;
    let held = s
        .admin
        .create_customer(&NewCustomer {
            name: "Held".into(),
            external_id: Some("H-9".into()),
            attributes: [
                ("plan".to_owned(), json!("silver")),
                ("account_no".to_owned(), json!("ACC-9")),
                ("region".to_owned(), json!("north")),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        })
        .await
        .expect("customer");

    let huge = "x".repeat(1 << 20);
    let csv = format!(
        "external_id,name,email,plan,seats,account_no,region,note\n\
         G-1,Good One,good1@example.com,gold,1,ACC-1,,\n\
         G-2,Bad Email,not-an-email,gold,1,ACC-2,,\n\
         G-3,Bad Seats,,gold,ten,,,\n\
         G-4,Bad Plan,,bronze,,,,\n\
         G-5,No Plan,,,,,,\n\
         G-6,Short,row\n\
         G-7,Long,,gold,,,,,extra\n\
         G-1,Twice,,gold,,,,\n\
         G-8,Same Account,,gold,,acc-1,,\n\
         G-9,Held Account,,gold,,acc-9,,\n\
         H-9,Held,,gold,,,south,\n\
         G-10,Huge,,gold,,,,{huge}\n\
         G-11,Multi Line,,gold,,,,\"first\nsecond\"\n\
         G-12,Bad After Multiline,bad@,gold,,,,\n\
         G-13,Last Good,,silver,,,,\n"
    );
    let run = import(&s, csv.as_bytes(), false);
    assert_eq!(run.code, 1, "some rows failed: {run:?}");
    assert!(
        run.stdout
            .contains("3 created, 0 updated, 0 unchanged, 12 failed (15 rows)"),
        "{run:?}"
    );
    let expected = [
        "line 3: email: must be an email address",
        "line 4: seats: must be a number",
        "line 5: plan: must be one of: gold, silver",
        "line 6: plan: is required",
        "line 7: row: has 3 cells, the header has 8 columns",
        "line 8: row: has 9 cells, the header has 8 columns",
        "line 9: external_id: must be unique: line 2 of this file has the same value",
        "line 10: account_no: must be unique: line 2 of this file has the same value",
        "line 11: account_no: must be unique: another customer has this value",
        "line 12: region: is not editable",
        "line 13: note: must be at most 10000 characters",
        "line 16: email: must be an email address",
    ];
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(lines.len(), expected.len(), "{run:?}");
    for (line, want) in lines.iter().zip(expected) {
        assert!(line.starts_with(want), "{line:?} should start with {want:?}");
    }

    // The valid rows are stored, the failed ones are not, and the matched record kept its values.
    let mut stored: Vec<String> = all_customers(&s).await.into_iter().map(|c| c.name).collect();
    stored.sort();
    assert_eq!(stored, ["Good One", "Held", "Last Good", "Multi Line"]);
    assert_eq!(
        by_external_id(&s, "G-11").await.attributes.get("note"),
        Some(&json!("first\nsecond"))
    );
    let held_now = s.admin.customer(held.id).await.expect("held");
    assert_eq!(held_now, held, "a failed row changes nothing");
    assert_eq!(names(&history(&s, held.id).await), ["CustomerCreated"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_order_mark_is_fine_and_latin1_rows_fail_with_their_line() {
    let s = TestServer::start().await;
    let mut csv = b"\xef\xbb\xbfname,city\nAcme,Kingston\n".to_vec();
    csv.extend_from_slice(b"M\xfcller AG,Z\xfcrich\nGood,Bern\n");
    let run = import(&s, &csv, false);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("line 3: name: is not UTF-8 text (byte 0xFC after \"M\"); save the file as UTF-8"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("2 created, 0 updated, 0 unchanged, 1 failed (3 rows)"),
        "{run:?}"
    );
    let mut stored: Vec<String> = all_customers(&s).await.into_iter().map(|c| c.name).collect();
    stored.sort();
    assert_eq!(stored, ["Acme", "Good"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_header_stops_before_anything_is_stored() {
    let s = TestServer::start().await;
    define(&s, AttributeEntity::Customer, attr("plan", "text")).await;
    let cases: [(&str, &[&str]); 8] = [
        (
            "name;email\nAcme;a@b.example\n",
            &["is the file separated by semicolons or tabs? ferrodesk reads comma-separated files"],
        ),
        ("", &["is empty: its first line must be a header naming the columns"]),
        ("\n\n", &["is empty"]),
        (
            "Acme,billing@acme.example\nGlobex,info@globex.example\n",
            &[
                "Acme: is neither a field nor a custom attribute of customers",
                "name: the header needs a name column",
            ],
        ),
        (
            "email,city\na@b.example,Bern\n",
            &["name: the header needs a name column"],
        ),
        (
            "name,plna\nAcme,gold\n",
            &[
                "plna: is neither a field nor a custom attribute of customers (define it first under /api/v1/attributes/customer",
            ],
        ),
        ("name,id\nAcme,4\n", &["id: cannot be imported: ferrodesk sets it"]),
        ("name,Plan,PLAN\nAcme,a,b\n", &["PLAN: appears twice in the header"]),
    ];
    for (csv, messages) in cases {
        let run = import(&s, csv.as_bytes(), false);
        assert_eq!(run.code, 2, "{csv:?}: {run:?}");
        for m in messages {
            assert!(run.stderr.contains(m), "{csv:?} should say {m:?}: {run:?}");
        }
    }
    assert!(all_customers(&s).await.is_empty());
    // End users name their customer.
    let run = import(&s, b"name,email\nPat,pat@example.com\n", true);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("customer_id: the header needs exactly one of customer_id"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_users_join_their_customer_and_rerun_by_email() {
    let s = TestServer::start().await;
    define(
        &s,
        AttributeEntity::EndUser,
        AttributeInput {
            options: Some(vec!["admin".into(), "user".into()]),
            ..attr("role", "select")
        },
    )
    .await;
    let c1 = s
        .admin
        .create_customer(&NewCustomer {
            name: "One".into(),
            external_id: Some("C-1".into()),
            ..Default::default()
        })
        .await
        .expect("customer");
    let c2 = s
        .admin
        .create_customer(&NewCustomer {
            name: "Two".into(),
            email: Some("ops@two.example".into()),
            ..Default::default()
        })
        .await
        .expect("customer");

    let csv = "customer_external_id,firstName,lastName,email,role,tags\n\
               C-1,Ada,Lovelace,ada@one.example,admin,dev\n\
               C-1,Alan,Turing,,user,\n\
               C-404,Nobody,Here,n@one.example,user,\n\
               C-1,Ada,Lovelace,ADA@one.example,user,\n\
               C-1,Eve,,eve@one.example,owner,\n";
    let run = import(&s, csv.as_bytes(), true);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("2 created, 0 updated, 0 unchanged, 3 failed (5 rows)"),
        "{run:?}"
    );
    for want in [
        "line 4: customer_external_id: no such customer",
        "line 5: email: must be unique: line 2 of this file has the same value",
        "line 6: role: must be one of: admin, user",
    ] {
        assert!(run.stderr.contains(want), "{want:?}: {run:?}");
    }
    let mut people = s
        .admin
        .customer_end_users(c1.id, &ListQuery::default())
        .await
        .expect("list")
        .data;
    people.sort_by_key(|u| u.id);
    assert_eq!(people.len(), 2);
    let ada = &people[0];
    assert_eq!(
        (ada.name.as_str(), ada.first_name.as_deref(), ada.last_name.as_deref()),
        ("Ada Lovelace", Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(ada.email.as_deref(), Some("ada@one.example"));
    assert_eq!(ada.attributes.get("role"), Some(&json!("admin")));
    assert_eq!(ada.tags, ["dev"]);
    assert_eq!(people[1].name, "Alan Turing");
    assert!(names(&history(&s, c1.id).await).contains(&"EndUserCreated"));

    // By email within the customer: the changed row updates, the same row again changes nothing.
    let edit = "customer_external_id,first_name,last_name,email,role,tags\nC-1,Ada,Lovelace,ada@one.example,user,dev\n";
    let run = import(&s, edit.as_bytes(), true);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("0 created, 1 updated, 0 unchanged"), "{run:?}");
    assert_eq!(
        s.admin.end_user(ada.id).await.expect("ada").attributes.get("role"),
        Some(&json!("user"))
    );
    let run = import(&s, edit.as_bytes(), true);
    assert!(run.stdout.contains("0 created, 0 updated, 1 unchanged"), "{run:?}");
    let updates = history(&s, c1.id)
        .await
        .into_iter()
        .filter(|e| e.name.as_deref() == Some("EndUserUpdated"))
        .count();
    assert_eq!(updates, 1);

    // The customer by its email, or its id.
    let by_email = "customer_email,name\nOPS@two.example,Grace Hopper\n";
    let run = import(&s, by_email.as_bytes(), true);
    assert_eq!(run.code, 0, "{run:?}");
    let by_id = format!(
        "customerId,name,email\n{},Linus,linus@two.example\nabc,Nobody,\n,Nobody Either,\n",
        c2.id
    );
    let run = import(&s, by_id.as_bytes(), true);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("line 3: customer_id: must be a customer id"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("line 4: customer_id: is required: the customer the end user belongs to"),
        "{run:?}"
    );
    let mut two: Vec<String> = s
        .admin
        .customer_end_users(c2.id, &ListQuery::default())
        .await
        .expect("list")
        .data
        .into_iter()
        .map(|u| u.name)
        .collect();
    two.sort();
    assert_eq!(two, ["Grace Hopper", "Linus"]);
}

/// More rows than one batch, one of which the database refuses (a unique value an existing customer
/// holds): that batch is stored again row by row and only that row fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_in_a_large_file_costs_only_itself() {
    let s = TestServer::start().await;
    define(
        &s,
        AttributeEntity::Customer,
        AttributeInput {
            unique: Some(true),
            ..attr("account_no", "text")
        },
    )
    .await;
    s.admin
        .create_customer(&NewCustomer {
            name: "Holder".into(),
            attributes: [("account_no".to_owned(), json!("ACC-700"))].into_iter().collect(),
            ..Default::default()
        })
        .await
        .expect("customer");
    let mut csv = String::from("external_id,name,account_no\n");
    for n in 0..1200 {
        csv.push_str(&format!("X-{n},Customer {n},acc-{n}\n"));
    }
    let run = import(&s, csv.as_bytes(), false);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("1199 created, 0 updated, 0 unchanged, 1 failed (1200 rows)"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("line 702: account_no: must be unique: another customer has this value"),
        "{run:?}"
    );
    let all = all_customers(&s).await;
    assert_eq!(all.len(), 1200);
    let n699 = by_external_id(&s, "X-699").await;
    assert_eq!(n699.attributes.get("account_no"), Some(&Value::from("acc-699")));
    assert_eq!(names(&history(&s, n699.id).await), ["CustomerCreated"]);

    let again = import(&s, csv.as_bytes(), false);
    assert!(
        again.stdout.contains("0 created, 0 updated, 1199 unchanged, 1 failed"),
        "{again:?}"
    );
}
