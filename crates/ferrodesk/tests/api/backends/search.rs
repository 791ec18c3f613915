//! Account search: each search variable posted under the document's name, answers decoded, the document's own example.
use super::*;

/// The criteria as the protocol's document lists them, misspellings included.
const DOCUMENT_CRITERIA: [&str; 19] = [
    "Userkey",
    "FirstName",
    "LastName",
    "AddressOne",
    "AddressTwo",
    "City",
    "Region",
    "PostalCode",
    "Country",
    "PrimaryPhone",
    "SecondayPhone",
    "PrimaryEmail",
    "SecondaryEmail",
    "Fax",
    "Modile",
    "Password",
    "Status",
    "AccountID",
    "CustFields",
];

#[tokio::test]
async fn each_search_variable_is_posted_under_the_documents_name_and_empty_ones_are_not() {
    assert_eq!(SEARCH_CRITERIA, DOCUMENT_CRITERIA);
    let (desk, backend, brand) = served().await;
    for name in DOCUMENT_CRITERIA {
        let value = format!("{name} value, with \\ & = + % ” ü");
        let others_empty: Vec<(&str, &str)> = DOCUMENT_CRITERIA
            .iter()
            .filter(|other| **other != name)
            .map(|other| (*other, ""))
            .collect();
        let mut query = vec![(name, value.as_str())];
        query.extend(others_empty);
        desk.admin
            .search_accounts(brand.id, &query)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let posted = backend.last_request();
        assert!(
            posted.call == "search"
                && posted.has_credentials()
                && posted.content_type == "application/x-www-form-urlencoded"
                && posted.sent() == vec![(name, value.as_str())],
            "{name}: {posted:?}"
        );
    }
    assert_eq!(backend.requests().len(), DOCUMENT_CRITERIA.len());
}

#[tokio::test]
async fn several_criteria_are_posted_together_in_the_documents_order() {
    let (desk, backend, brand) = served().await;
    let found = desk
        .admin
        .search_accounts(
            brand.id,
            &[
                ("Modile", "+1 555 555 0177"),
                ("City", "   "),
                ("LastName", "Doe"),
                ("CustFields", "1\\Gold,7\\yes"),
            ],
        )
        .await
        .expect("search");
    assert_eq!(
        backend.last_request().sent(),
        [
            ("LastName", "Doe"),
            ("Modile", "+1 555 555 0177"),
            ("CustFields", "1\\Gold,7\\yes")
        ]
    );
    let keys: Vec<&str> = found.data.iter().map(|a| a.userkey.as_str()).collect();
    assert_eq!(keys, ["jdoe"]);
}

#[tokio::test]
async fn an_unknown_or_missing_criterion_is_refused_before_any_call() {
    let (desk, backend, brand) = served().await;
    for unknown in ["Mobile", "SecondaryPhone", "userkey", "q"] {
        let p = assert_code(
            desk.admin
                .search_accounts(brand.id, &[("Userkey", "jdoe"), (unknown, "x")])
                .await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), [unknown]);
    }
    for nothing in [&[][..], &[("Userkey", "")][..], &[("City", "  "), ("Fax", "")][..]] {
        let p = assert_code(
            desk.admin.search_accounts(brand.id, nothing).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["criteria"], "{nothing:?}");
        assert!(p.errors[0].message.contains("SecondayPhone"), "{p:?}");
    }
    assert!(backend.requests().is_empty(), "{:?}", backend.requests());
    assert_code(
        desk.admin.search_accounts(999_999, &[("Userkey", "jdoe")]).await,
        ErrorCode::NotFound,
    );
}

#[tokio::test]
async fn found_accounts_come_back_decoded_and_no_match_is_an_empty_list() {
    let (desk, backend, brand) = served().await;
    let found: Value = desk
        .admin
        .get_query(
            &format!("/api/v1/brands/{}/accounts", brand.id),
            &[("PrimaryPhone", "555.555.5555")],
        )
        .await
        .expect("search");
    assert_eq!(
        found,
        json!({"data": [
            {"userkey": "jdoe", "status": "Active", "name": "John Doe", "email": "johnd@xyz.net",
             "phone": "(555) 555-5555"},
            {"userkey": "jdoe2", "status": "Active", "name": "John Doe", "email": "johgnd@xyz.net",
             "phone": "(555) 555-5555"},
            {"userkey": "johnd", "status": "Active", "name": "John Doe", "email": "johnd@xyz.net",
             "phone": "(555) 555-5555"},
        ]})
    );
    let zoe = desk
        .admin
        .search_accounts(brand.id, &[("PrimaryEmail", "ZOE@example.org")])
        .await
        .expect("search");
    assert_eq!(
        zoe.data,
        [AccountSummaryBody {
            userkey: "zoe".into(),
            status: "Inactive".into(),
            name: "Zoë O'Brien & <Sons>".into(),
            email: "zoe@example.org".into(),
            phone: "+44 20 7946 0958".into(),
        }]
    );
    let none: Value = desk
        .admin
        .get_query(
            &format!("/api/v1/brands/{}/accounts", brand.id),
            &[("Userkey", "nobody")],
        )
        .await
        .expect("search");
    assert_eq!(none, json!({"data": []}));
    let agent = desk.agent().await;
    assert_eq!(
        agent
            .search_accounts(brand.id, &[("FirstName", "ann")])
            .await
            .expect("agents search too")
            .data
            .len(),
        1
    );
    assert_code(
        desk.anonymous().search_accounts(brand.id, &[("Userkey", "jdoe")]).await,
        ErrorCode::Unauthenticated,
    );
    assert_eq!(backend.requests_to("search").len(), 4);
}

#[tokio::test]
async fn the_documents_own_search_example_with_its_typographic_quotes_is_read() {
    let (desk, backend, brand) = served().await;
    backend.set_mode(Mode::DocumentExample);
    let found = desk
        .admin
        .search_accounts(brand.id, &[("LastName", "Doe")])
        .await
        .expect("the document's example");
    let read: Vec<(&str, &str, &str)> = found
        .data
        .iter()
        .map(|a| (a.userkey.as_str(), a.name.as_str(), a.email.as_str()))
        .collect();
    assert_eq!(
        read,
        [
            ("jdoe", "John Doe", "johnd@xyz.net"),
            ("jdoe2", "John Doe", "johgnd@xyz.net")
        ]
    );
    let johnd = desk
        .admin
        .account(brand.id, "johnd")
        .await
        .expect("the document's load example");
    assert_eq!(
        (
            johnd.userkey.as_str(),
            johnd.contacts[0].aone.as_str(),
            johnd.fields.len()
        ),
        ("johnd", "123 Fake St.", 1)
    );
}
