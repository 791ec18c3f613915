use super::*;
use serde_json::json;

fn single(body: &str) -> Result<Call, Box<Answer>> {
    match parse(body.as_bytes()) {
        Incoming::Single(entry) => entry,
        other => panic!("expected one call, got {other:?}"),
    }
}

fn refused(body: &[u8]) -> Value {
    match parse(body) {
        Incoming::Refused(answer) => answer.to_json(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn code(answer: &Value) -> i64 {
    answer["error"]["code"].as_i64().expect("an error code")
}

fn bound(method: &str, params: Value) -> (Option<String>, Result<MethodCall, RpcError>) {
    let params = match params {
        Value::Object(named) => Params::Named(named),
        Value::Array(positional) => Params::Positional(positional),
        _ => Params::Absent,
    };
    let prepared = prepare(Call {
        version: Version::Two,
        id: Some(json!(1)),
        method: method.into(),
        params,
    })
    .expect("a known method");
    (prepared.session.clone(), prepared.bind())
}

fn fields_of(error: &RpcError) -> Vec<String> {
    error.data.as_ref().expect("data")["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

#[test]
fn versions_are_told_apart_and_answered_in_kind() {
    let two = single(r#"{"jsonrpc":"2.0","method":"brandList","params":{"session":"k"},"id":7}"#).expect("2.0");
    assert_eq!(two.version, Version::Two);
    assert_eq!(two.id, Some(json!(7)));
    let one = single(r#"{"method":"brandList","params":["k"],"id":"a"}"#).expect("1.0");
    assert_eq!(one.version, Version::One);
    let ok = Answer {
        version: Version::One,
        id: json!("a"),
        outcome: Ok(json!([1])),
    };
    assert_eq!(ok.to_json(), json!({"result": [1], "error": null, "id": "a"}));
    let failed = Answer {
        version: Version::One,
        id: json!("a"),
        outcome: Err(RpcError::new(-32004, "not found")),
    };
    assert_eq!(
        failed.to_json(),
        json!({"result": null, "error": {"code": -32004, "message": "not found"}, "id": "a"})
    );
    let two_ok = Answer {
        version: Version::Two,
        id: json!(7),
        outcome: Ok(json!(true)),
    };
    assert_eq!(two_ok.to_json(), json!({"jsonrpc": "2.0", "result": true, "id": 7}));
}

#[test]
fn notifications_have_no_id() {
    assert_eq!(single(r#"{"jsonrpc":"2.0","method":"x"}"#).expect("call").id, None);
    assert_eq!(
        single(r#"{"jsonrpc":"2.0","method":"x","id":null}"#).expect("call").id,
        Some(Value::Null),
        "a 2.0 call with a null id is answered"
    );
    assert_eq!(
        single(r#"{"method":"x","id":null}"#).expect("call").id,
        None,
        "1.0's notification"
    );
    assert_eq!(single(r#"{"method":"x"}"#).expect("call").id, None);
}

#[test]
fn garbage_is_a_parse_error_and_other_documents_invalid_requests() {
    for body in [
        &b"{"[..],
        b"",
        b"nope",
        b"{\"method\":}",
        b"\xff\xfe",
        b"[1,2",
        b"{} {}",
    ] {
        let answer = refused(body);
        assert_eq!(code(&answer), codes::PARSE_ERROR, "{body:?}");
        assert_eq!(answer["id"], Value::Null);
        assert_eq!(answer["jsonrpc"], "2.0");
    }
    for body in ["1", "\"x\"", "null", "true", "[]"] {
        assert_eq!(code(&refused(body.as_bytes())), codes::INVALID_REQUEST, "{body}");
    }
    let deep = "[".repeat(10_000);
    assert_eq!(
        code(&refused(deep.as_bytes())),
        codes::PARSE_ERROR,
        "nesting is bounded"
    );
}

#[test]
fn malformed_calls_are_invalid_requests_with_their_id_when_it_is_usable() {
    let cases = [
        (r#"{"jsonrpc":"2.0","method":5,"id":3}"#, json!(3)),
        (r#"{"jsonrpc":"2.0","id":3}"#, json!(3)),
        (r#"{"jsonrpc":"1.0","method":"brandList","id":3}"#, json!(3)),
        (r#"{"jsonrpc":2.0,"method":"brandList","id":3}"#, json!(3)),
        (r#"{"jsonrpc":"2.0","method":"brandList","id":{"a":1}}"#, Value::Null),
        (
            r#"{"jsonrpc":"2.0","method":"brandList","params":"k","id":4}"#,
            json!(4),
        ),
        (r#"{"method":"brandList","params":5,"id":"x"}"#, json!("x")),
    ];
    for (body, id) in cases {
        let answer = single(body).expect_err(body).to_json();
        assert_eq!(code(&answer), codes::INVALID_REQUEST, "{body}");
        assert_eq!(answer["id"], id, "{body}");
    }
    let one = single(r#"{"method":7,"id":"q"}"#).expect_err("1.0").to_json();
    assert_eq!(one["result"], Value::Null, "a 1.0 call is refused in the 1.0 shape");
}

#[test]
fn batches_are_bounded_before_any_call_is_built() {
    let call = r#"{"jsonrpc":"2.0","method":"brandList","params":["k"],"id":1}"#;
    let batch = |n: usize| format!("[{}]", vec![call; n].join(","));
    match parse(batch(MAX_BATCH).as_bytes()) {
        Incoming::Batch(entries) => assert_eq!(entries.len(), MAX_BATCH),
        other => panic!("{other:?}"),
    }
    let answer = refused(batch(10_000).as_bytes());
    assert_eq!(code(&answer), codes::INVALID_REQUEST);
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 100") && m.contains("10000")),
        "{answer}"
    );
    match parse(br#"[1, {"method":"x","id":1}, {"jsonrpc":"2.0","method":"y"}]"#) {
        Incoming::Batch(entries) => {
            assert!(entries[0].is_err());
            assert_eq!(entries[1].as_ref().expect("1.0 call").version, Version::One);
            assert_eq!(entries[2].as_ref().expect("notification").id, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_methods_are_not_found() {
    let error = prepare(Call {
        version: Version::Two,
        id: None,
        method: "brandlist".into(),
        params: Params::Absent,
    })
    .expect_err("case matters");
    assert_eq!(error.code, codes::METHOD_NOT_FOUND);
}

#[test]
fn named_and_positional_forms_bind_alike() {
    let pairs = [
        ("brandLoad", json!({"id": 3, "session": "k"}), json!([3, "k"])),
        (
            "brandUpdate",
            json!({"id": 3, "greeting": "Hi", "session": "k"}),
            json!([3, {"greeting": "Hi"}, "k"]),
        ),
        (
            "accountSearch",
            json!({"brand": 2, "FirstName": "Ann", "Modile": 555, "session": "k"}),
            json!([2, {"FirstName": "Ann", "Modile": "555"}, "k"]),
        ),
        (
            "accountUpdate",
            json!({"brand": 2, "userkey": "u1", "account": {"status": "active"}, "session": "k"}),
            json!([2, "u1", {"status": "active"}, "k"]),
        ),
        (
            "caseCreate",
            json!({"did": 1, "title": "T", "message": "M", "user_id": 4, "session": "k"}),
            json!([1, "T", "M", 4, "k"]),
        ),
        (
            "caseUpdate",
            json!({"id": 9, "message": "M", "internal": true, "session": "k"}),
            json!([9, "M", true, "k"]),
        ),
        (
            "caseSearch",
            json!({"q": "printer", "session": "k"}),
            json!(["printer", "k"]),
        ),
        ("departmentList", json!({"session": "k"}), json!([null, "k"])),
        ("brandList", json!({"session": "k"}), json!(["k"])),
        (
            "brandCreate",
            json!({"name": "Acme", "slug": "acme", "session": "k"}),
            json!(["Acme", "acme", "k"]),
        ),
        ("disconnect", json!({"session": "k"}), json!(["k"])),
    ];
    for (method, named, positional) in pairs {
        let (s1, a) = bound(method, named);
        let (s2, b) = bound(method, positional);
        assert_eq!(s1.as_deref(), Some("k"), "{method}");
        assert_eq!(s2.as_deref(), Some("k"), "{method}");
        let a = a.unwrap_or_else(|e| panic!("{method}: {e:?}"));
        assert_eq!(Ok(a), b, "{method}");
    }
    let (session, call) = bound("connect", json!(["ann@example.com", "pw"]));
    assert_eq!(session, None, "connect has no session");
    assert!(
        matches!(call, Ok(MethodCall::Connect { username, password }) if username == "ann@example.com" && password.0 == "pw")
    );
}

#[test]
fn the_session_is_a_string_in_its_place() {
    for params in [json!({}), json!([]), json!([5]), json!({"session": 5}), json!(null)] {
        let (session, _) = bound("caseLoad", params.clone());
        assert_eq!(session, None, "{params}");
    }
}

#[test]
fn bad_params_name_the_parameter() {
    let cases = [
        ("caseLoad", json!({"id": "seven", "session": "k"}), "id"),
        ("caseLoad", json!({"session": "k"}), "id"),
        ("caseLoad", json!({"id": 1, "extra": 2, "session": "k"}), "extra"),
        ("caseLoad", json!([1, 2, "k"]), "params"),
        (
            "caseCreate",
            json!({"did": "x", "title": "T", "message": "M", "session": "k"}),
            "did",
        ),
        (
            "caseCreate",
            json!({"title": "T", "message": "M", "session": "k"}),
            "did",
        ),
        (
            "caseCreate",
            json!({"did": 1, "title": "T", "message": "M", "colour": 1, "session": "k"}),
            "colour",
        ),
        ("caseUpdate", json!([1, "M", "yes", "k"]), "internal"),
        ("brandUpdate", json!([1, "not an object", "k"]), "fields"),
        (
            "brandUpdate",
            json!({"id": 1, "nickname": "x", "session": "k"}),
            "nickname",
        ),
        ("brandCreate", json!({"name": 5, "session": "k"}), "name"),
        (
            "accountSearch",
            json!({"brand": 1, "Mobile": "5", "session": "k"}),
            "Mobile",
        ),
        (
            "accountUpdate",
            json!({"brand": 1, "userkey": "u", "session": "k"}),
            "account",
        ),
        ("caseSearch", json!({"session": "k"}), "q"),
        ("caseSearch", json!({"q": "x", "limit": "ten", "session": "k"}), "limit"),
        ("brandList", json!(["extra", "k"]), "params"),
        (
            "connect",
            json!({"username": "a@example.com", "password": 5}),
            "password",
        ),
        ("connect", json!(["a@example.com", "pw", "more"]), "params"),
        (
            "connect",
            json!({"username": "a@example.com", "password": "pw", "session": "k"}),
            "session",
        ),
        (
            "caseCreate",
            json!({"did": 1, "title": "T\u{1b}", "message": "M", "session": "k"}),
            "title",
        ),
    ];
    for (method, params, field) in cases {
        let (_, result) = bound(method, params.clone());
        let error = result.expect_err(&format!("{method} {params}"));
        assert_eq!(error.code, codes::INVALID_PARAMS, "{method} {params}");
        assert!(
            fields_of(&error).iter().any(|f| f == field),
            "{method} {params}: {error:?}"
        );
    }
    let (_, result) = bound("connect", json!({"username": "a@example.com", "password": 12345}));
    let error = result.expect_err("password type");
    assert!(!error.message.contains("12345"), "a password never shows in an error");
}
