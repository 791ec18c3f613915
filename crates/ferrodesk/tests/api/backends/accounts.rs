//! Loading and updating an account of a web-call backend.
use super::*;

#[tokio::test]
async fn an_account_loads_with_contacts_and_fields_and_never_its_password() {
    let (desk, backend, brand) = served().await;
    let shown: Value = desk
        .admin
        .get(&format!("/api/v1/brands/{}/accounts/jdoe", brand.id))
        .await
        .expect("load");
    assert_eq!(
        shown,
        json!({
            "userkey": "jdoe", "status": "Active", "account": "A-100",
            "contacts": [{
                "firstname": "John", "lastname": "Doe", "aone": "123 Fake St.", "atwo": "",
                "city": "Anywhere", "region": "ZZ", "pc": "123456", "country": "",
                "pphone": "(555) 555-5555", "sphone": "(555) 555-0199", "pemail": "johnd@xyz.net",
                "semail": "", "mobile": "+1 555 555 0177", "fax": ""
            }],
            "fields": [{"id": "1", "value": "Gold"}, {"id": "7", "value": "yes"}]
        })
    );
    assert!(!raw(&shown).contains("p@ss"), "{shown}");
    let posted = backend.last_request();
    assert_eq!(
        (posted.call.as_str(), posted.has_credentials(), posted.sent()),
        ("load", true, vec![("Userkey", "jdoe")])
    );

    let zoe = desk
        .agent()
        .await
        .account(brand.id, "zoe")
        .await
        .expect("agents load too");
    assert_eq!(
        (
            zoe.account.as_str(),
            zoe.contacts.len(),
            zoe.contacts[0].lastname.as_str()
        ),
        ("Z & Sons", 2, "O'Brien & <Sons>")
    );

    // A userkey that needs encoding in the path arrives as it is.
    backend.add_account(Account {
        userkey: "a/b c?d%".into(),
        status: "Active".into(),
        ..Account::default()
    });
    assert_eq!(
        desk.admin.account(brand.id, "a/b c?d%").await.expect("load").userkey,
        "a/b c?d%"
    );
    assert_eq!(backend.last_request().sent(), [("Userkey", "a/b c?d%")]);
}

#[tokio::test]
async fn an_unknown_account_is_not_found() {
    let (desk, backend, brand) = served().await;
    assert_code(desk.admin.account(brand.id, "nobody").await, ErrorCode::NotFound);
    assert_eq!(backend.last_request().sent(), [("Userkey", "nobody")]);
    assert_code(desk.admin.account(999_999, "jdoe").await, ErrorCode::NotFound);
    let too_long = "k".repeat(256);
    for bad in ["a\nb", "  ", too_long.as_str()] {
        let p = assert_code(desk.admin.account(brand.id, bad).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), ["userkey"], "{bad:?}");
    }
    assert_eq!(backend.requests().len(), 1, "bad userkeys are not sent");
    let end_user = desk.customer().await.client;
    assert_code(
        end_user.search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        ErrorCode::NotFound,
    );
    assert_code(end_user.account(brand.id, "jdoe").await, ErrorCode::NotFound);
    assert!(backend.requests().len() == 1, "end users reach no account");
}

#[tokio::test]
async fn an_edited_account_is_posted_as_user_xml_with_its_password_and_answered_as_reloaded() {
    let (desk, backend, brand) = served().await;
    let mut edited = desk.admin.account(brand.id, "jdoe").await.expect("load");
    edited.account = "A-100 & Co".into();
    edited.contacts[0].firstname = "Jane".into();
    edited.contacts[0].city = "Zürich".into();
    edited.contacts.push(ContactBody {
        firstname: "Second".into(),
        pemail: "second@xyz.net".into(),
        ..ContactBody::default()
    });
    edited.fields[0].value = "Platinum <1>".into();
    edited.fields.push(FieldBody {
        id: "9".into(),
        value: "new".into(),
    });
    backend.clear_requests();
    let answered = desk
        .admin
        .update_account(brand.id, "jdoe", &edited)
        .await
        .expect("update");
    assert_eq!(answered, edited, "the answer is the account as the backend has it now");
    let calls: Vec<String> = backend.requests().into_iter().map(|r| r.call).collect();
    assert_eq!(calls, ["load", "update", "load"]);

    let update = backend.requests_to("update").remove(0);
    assert!(update.has_credentials());
    let names: Vec<&str> = update.sent().iter().map(|(k, _)| *k).collect();
    assert_eq!(names, ["userXML"]);
    let document = &backend.updates()[0];
    for written in [
        "<userdata>",
        "userkey=\"jdoe\"",
        "password=\"p%40ss%20word%26%3C%22x%22%3E\"",
        "account=\"A%2D100%20%26%20Co\"",
        "firstname=\"Jane\"",
        "city=\"Z%C3%BCrich\"",
        "<contacts>",
        "<fielddata>",
        "<field id=\"1\" value=\"Platinum%20%3C1%3E\"/>",
    ] {
        assert!(document.contains(written), "{written} in {document}");
    }
    let stored = backend.account("jdoe").expect("the account");
    assert_eq!(
        stored,
        Account {
            userkey: "jdoe".into(),
            password: "p@ss word&<\"x\">".into(),
            status: "Active".into(),
            account: "A-100 & Co".into(),
            contacts: vec![
                AccountContact {
                    firstname: "Jane".into(),
                    lastname: "Doe".into(),
                    aone: "123 Fake St.".into(),
                    city: "Zürich".into(),
                    region: "ZZ".into(),
                    pc: "123456".into(),
                    pphone: "(555) 555-5555".into(),
                    sphone: "(555) 555-0199".into(),
                    pemail: "johnd@xyz.net".into(),
                    mobile: "+1 555 555 0177".into(),
                    ..AccountContact::default()
                },
                AccountContact {
                    firstname: "Second".into(),
                    pemail: "second@xyz.net".into(),
                    ..AccountContact::default()
                },
            ],
            fields: vec![
                AccountField {
                    id: "1".into(),
                    value: "Platinum <1>".into(),
                },
                AccountField {
                    id: "7".into(),
                    value: "yes".into(),
                },
                AccountField {
                    id: "9".into(),
                    value: "new".into(),
                },
            ],
        }
    );
}

#[tokio::test]
async fn an_update_names_its_own_account_and_needs_an_update_url() {
    let (desk, backend, brand) = served().await;
    let loaded = desk.admin.account(brand.id, "jdoe").await.expect("load");
    let p = assert_code(
        desk.admin.update_account(brand.id, "jdoe2", &loaded).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["userkey"]);
    let keyless = AccountBody {
        userkey: String::new(),
        ..loaded.clone()
    };
    assert_code(
        desk.admin.update_account(brand.id, "nobody", &keyless).await,
        ErrorCode::NotFound,
    );
    let unknown_member = desk
        .admin
        .send_raw(
            "PUT",
            &format!("/api/v1/brands/{}/accounts/jdoe", brand.id),
            "application/json",
            br#"{"account": "x", "password": "new"}"#.to_vec(),
        )
        .await;
    assert!(
        unknown_member.as_ref().err().and_then(|e| e.code()) == Some(ErrorCode::ValidationFailed)
            || unknown_member.as_ref().err().and_then(|e| e.code()) == Some(ErrorCode::BadRequest),
        "a password cannot be set through the API: {unknown_member:?}"
    );
    assert!(backend.updates().is_empty());

    let read_only = backend
        .brand_with(
            &desk,
            WebcallInput {
                update_url: Some(String::new()),
                ..backend.settings()
            },
        )
        .await;
    let p = assert_code(
        desk.admin.update_account(read_only.id, "jdoe", &keyless).await,
        ErrorCode::Conflict,
    );
    assert!(p.detail.unwrap_or_default().contains("update_url"));
    assert!(
        backend.requests().iter().all(|r| r.call != "update") && backend.updates().is_empty(),
        "{:?}",
        backend.requests()
    );
    backend.clear_requests();
    assert_code(
        desk.admin.update_account(read_only.id, "jdoe", &keyless).await,
        ErrorCode::Conflict,
    );
    assert!(backend.requests().is_empty(), "refused before any call");
}

#[tokio::test]
async fn a_failing_update_is_the_backends_error() {
    let (desk, backend, brand) = served().await;
    let loaded = desk.admin.account(brand.id, "jdoe").await.expect("load");
    backend.set_mode_of("update", Mode::Status500);
    unavailable(
        desk.admin.update_account(brand.id, "jdoe", &loaded).await,
        "the update web call failed: HTTP 500",
    );
    assert_eq!(backend.requests_to("update").len(), 1);
}
