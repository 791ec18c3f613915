//! The `local` backend: ferrodesk's own customers as accounts.
use super::*;

/// A customer with a phone, an external id and two end users.
async fn local_customer(desk: &TestServer, name: &str) -> (Customer, EndUser, EndUser) {
    let domain = format!(
        "{}.example",
        name.split_whitespace().next().unwrap_or("x").to_lowercase()
    );
    let customer = desk
        .admin
        .create_customer(&NewCustomer {
            name: name.into(),
            email: Some(format!("{}@{domain}", unique("office").to_lowercase())),
            phone: Some("+1 (555) 555-0100".into()),
            city: Some("Springfield".into()),
            external_id: Some(unique("EXT")),
            ..Default::default()
        })
        .await
        .expect("customer");
    let ada = desk
        .admin
        .create_end_user(&NewEndUser {
            customer_id: customer.id,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            email: Some(format!("ada@{domain}")),
            phone: Some("030 1234 5678".into()),
            city: Some("London".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    let bob = desk
        .admin
        .create_end_user(&NewEndUser {
            customer_id: customer.id,
            name: Some("Bob Builder".into()),
            ..Default::default()
        })
        .await
        .expect("end user");
    (customer, ada, bob)
}

fn userkeys(list: AccountList) -> Vec<String> {
    list.data.into_iter().map(|a| a.userkey).collect()
}

#[tokio::test]
async fn a_local_brands_accounts_are_its_customers() {
    let desk = TestServer::start().await;
    let brand = desk.department().await.brand_id;
    let (globex, _, _) = local_customer(&desk, "Globex Corporation").await;
    let (initech, _, _) = local_customer(&desk, "Initech").await;
    let key = globex.id.to_string();
    let external = globex.external_id.clone().unwrap_or_default();
    let search = |criteria: Vec<(&'static str, String)>| {
        let admin = desk.admin.clone();
        async move {
            let pairs: Vec<(&str, &str)> = criteria.iter().map(|(k, v)| (*k, v.as_str())).collect();
            userkeys(admin.search_accounts(brand, &pairs).await.expect("search"))
        }
    };
    assert_eq!(search(vec![("Userkey", key.clone())]).await, [key.as_str()]);
    assert_eq!(search(vec![("AccountID", external.clone())]).await, [key.as_str()]);
    assert_eq!(
        search(vec![("PrimaryPhone", "030-1234-5678".into())]).await,
        [initech.id.to_string(), key.clone()],
        "newest first: an end user's number, punctuation aside (both customers have Ada's number)"
    );
    assert_eq!(
        search(vec![
            ("PrimaryPhone", "(555) 555.0100".into()),
            ("Userkey", key.clone())
        ])
        .await,
        [key.as_str()]
    );
    assert_eq!(
        search(vec![("LastName", "Initech".into())]).await,
        [initech.id.to_string()]
    );
    assert_eq!(
        search(vec![("FirstName", "Globex".into()), ("City", "Springfield".into())]).await,
        [key.as_str()]
    );
    assert!(search(vec![("Userkey", "999999".into())]).await.is_empty());
    assert!(search(vec![("Userkey", "not-a-number".into())]).await.is_empty());
    assert!(
        search(vec![("Userkey", key.clone()), ("Status", "Inactive".into())])
            .await
            .is_empty()
    );

    let found = desk
        .admin
        .search_accounts(brand, &[("Userkey", key.as_str())])
        .await
        .expect("search");
    assert_eq!(
        found.data,
        [AccountSummaryBody {
            userkey: key.clone(),
            status: "Active".into(),
            name: "Globex Corporation".into(),
            email: globex.email.clone().unwrap_or_default(),
            phone: "+1 (555) 555-0100".into(),
        }]
    );

    for unsearchable in ["Password", "CustFields"] {
        let p = assert_code(
            desk.admin.search_accounts(brand, &[(unsearchable, "x")]).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), [unsearchable]);
    }
}

#[tokio::test]
async fn a_local_account_shows_end_users_as_contacts_and_attributes_as_fields() {
    let desk = TestServer::start().await;
    let brand = desk.department().await.brand_id;
    desk.admin
        .create_attribute(
            AttributeEntity::Customer,
            &AttributeInput {
                name: Some("seats".into()),
                kind: Some("number".into()),
                ..Default::default()
            },
        )
        .await
        .expect("attribute");
    let (globex, ada, _) = local_customer(&desk, "Globex Corporation").await;
    desk.admin
        .update_customer(
            globex.id,
            &CustomerPatch {
                attributes: [("seats".to_owned(), json!(12))].into_iter().collect(),
                ..Default::default()
            },
        )
        .await
        .expect("seats");
    let account = desk.admin.account(brand, &globex.id.to_string()).await.expect("load");
    assert_eq!(
        (account.userkey, account.status.as_str(), account.account.as_str()),
        (globex.id.to_string(), "Active", "Globex Corporation")
    );
    assert_eq!(
        account.contacts,
        [
            ContactBody {
                firstname: "Ada".into(),
                lastname: "Lovelace".into(),
                city: "London".into(),
                pphone: "030 1234 5678".into(),
                pemail: ada.email.clone().unwrap_or_default(),
                ..ContactBody::default()
            },
            ContactBody {
                firstname: "Bob".into(),
                lastname: "Builder".into(),
                ..ContactBody::default()
            },
        ]
    );
    assert_eq!(
        account.fields,
        [FieldBody {
            id: "seats".into(),
            value: "12".into(),
        }]
    );
    assert_code(desk.admin.account(brand, "999999").await, ErrorCode::NotFound);
    assert_code(desk.admin.account(brand, "abc").await, ErrorCode::NotFound);
    desk.admin.delete_customer(globex.id).await.expect("delete");
    assert_code(
        desk.admin.account(brand, &globex.id.to_string()).await,
        ErrorCode::NotFound,
    );
}

#[tokio::test]
async fn a_local_account_update_goes_through_the_customer_rules() {
    let desk = TestServer::start().await;
    let brand = desk.department().await.brand_id;
    desk.admin
        .create_attribute(
            AttributeEntity::Customer,
            &AttributeInput {
                name: Some("seats".into()),
                kind: Some("number".into()),
                required: Some(true),
                default_value: Some(json!(1)),
                ..Default::default()
            },
        )
        .await
        .expect("attribute");
    let (globex, ada, bob) = local_customer(&desk, "Globex Corporation").await;
    let key = globex.id.to_string();
    let loaded = desk.admin.account(brand, &key).await.expect("load");

    // Unchanged, it changes nothing.
    let same = desk.admin.update_account(brand, &key, &loaded).await.expect("update");
    assert_eq!(same, loaded);
    assert_eq!(
        desk.admin.customer(globex.id).await.expect("customer").updated_at,
        globex.updated_at
    );

    let mut edited = loaded.clone();
    edited.account = "Globex International".into();
    edited.fields = vec![FieldBody {
        id: "seats".into(),
        value: "25".into(),
    }];
    edited.contacts[0].lastname = "King".into();
    edited.contacts[0].pphone = "030 9999 0000".into();
    edited.contacts[1].firstname = "Robert".into();
    let answered = desk.admin.update_account(brand, &key, &edited).await.expect("update");
    assert_eq!(answered, edited);
    let customer = desk.admin.customer(globex.id).await.expect("customer");
    assert_eq!(
        (customer.name.as_str(), customer.attributes.get("seats")),
        ("Globex International", Some(&json!(25)))
    );
    let ada = desk.admin.end_user(ada.id).await.expect("ada");
    assert_eq!(
        (ada.name.as_str(), ada.last_name.as_deref(), ada.phone.as_deref()),
        ("Ada King", Some("King"), Some("030 9999 0000"))
    );
    assert_eq!(desk.admin.end_user(bob.id).await.expect("bob").name, "Robert Builder");

    // A required attribute emptied, a wrong type, an unknown attribute: 422, nothing written.
    for (id, value) in [("seats", ""), ("seats", "many"), ("colour", "red")] {
        let mut bad = answered.clone();
        bad.account = "Should Not Stick".into();
        bad.fields = vec![FieldBody {
            id: id.into(),
            value: value.into(),
        }];
        let p = assert_code(
            desk.admin.update_account(brand, &key, &bad).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), [id], "{id}={value:?}");
    }
    // A contact's bad email: nothing written either, the customer's name included.
    let mut bad = answered.clone();
    bad.account = "Should Not Stick".into();
    bad.contacts[1].pemail = "not an address".into();
    let p = assert_code(
        desk.admin.update_account(brand, &key, &bad).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["contacts[1].pemail"]);
    assert_eq!(
        desk.admin.customer(globex.id).await.expect("customer").name,
        "Globex International"
    );
    assert_eq!(desk.admin.account(brand, &key).await.expect("load"), answered);
}

#[tokio::test]
async fn a_search_answers_at_most_fifty_accounts() {
    let (desk, backend, brand) = served().await;
    for n in 0..60 {
        backend.add_account(Account {
            userkey: format!("many-{n:02}"),
            status: "Active".into(),
            contacts: vec![AccountContact {
                lastname: "Many".into(),
                ..AccountContact::default()
            }],
            ..Account::default()
        });
    }
    let found = desk
        .admin
        .search_accounts(brand.id, &[("LastName", "Many")])
        .await
        .expect("search");
    assert_eq!(found.data.len(), 50);
    assert_eq!(found.data[0].userkey, "many-00", "in the backend's order");
}
