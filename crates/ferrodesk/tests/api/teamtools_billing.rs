//! TeamTools' billing through the requests the real SDK sends (compat/teamtools.md §6.1, §6.3, §6.4, the
//! README's "Billing" steps): the catalogue with TeamTools' `pricing` object, subscribing by group
//! (`"default"`) or package and by saving a customer with `groupId`, invoice items, invoices, settle,
//! applyPayment with the excess on the balance, payments and refunds. `scripts/teamtools-sdk` runs the
//! SDK's own billing methods against ferrodesk.
use crate::teamtools::Sdk;
use crate::*;
use serde_json::{Value, json};

fn id_of(answer: &Value) -> String {
    answer["data"]["id"].as_str().expect("a string id").to_owned()
}

#[tokio::test]
async fn the_readme_billing_steps() {
    let s = TestServer::start().await;
    let sdk = Sdk::connect(&s, "salt").await;

    // Features, one requiring another; README strings for numbers and booleans throughout.
    let (status, email) = sdk
        .post(
            "features/",
            json!({"name": "Email", "description": "Mailboxes", "uniqueKey": "email"}),
        )
        .await;
    assert_eq!(status, 200, "{email}");
    let email_id = id_of(&email);
    let (_, sla) = sdk
        .post(
            "features/",
            json!({"name": "SLA", "dependency_ids": [email_id.clone()]}),
        )
        .await;
    assert_eq!(sla["data"]["dependency_ids"], json!([email_id]));

    // Step 1: a group (the first is the default); step 2: packages, one default; step 3: plans.
    let (status, group) = sdk.post("groups/", json!({"name": "Basic group"})).await;
    assert_eq!(
        (status, group["data"]["default"].clone()),
        (200, json!(true)),
        "{group}"
    );
    let group_id = id_of(&group);
    let (_, basic) = sdk
        .post(
            "packages/",
            json!({"name": "Basic package", "groupId": group_id, "default": "true"}),
        )
        .await;
    let basic_id = id_of(&basic);
    let (status, pro) = sdk
        .post(
            "packages/",
            json!({"name": "Pro package", "featureIds": [email_id, id_of(&sla)], "groupId": group_id}),
        )
        .await;
    assert_eq!(status, 200, "{pro}");
    let pro_id = id_of(&pro);
    let (status, unit) = sdk
        .post(
            "plans/",
            json!({"packageId": basic_id, "trial": "30", "currency": "USD",
                   "pricing": {"type": "unit", "interval": {"type": "month", "amount": 2}, "unit": "enduser", "amount": 200}}),
        )
        .await;
    assert_eq!(status, 200, "{unit}");
    assert_eq!(unit["data"]["name"], "Basic package", "the name comes from the package");
    assert_eq!(unit["data"]["trial"], 30);
    assert_eq!(
        unit["data"]["pricing"],
        json!({"type": "unit", "interval": {"type": "month", "amount": 2}, "unit": "enduser", "amount": 200})
    );
    let (status, tier) = sdk
        .post(
            "plans/",
            json!({"packageId": pro_id, "currency": "USD",
                   "pricing": {"type": "tier", "interval": {"type": "month", "amount": 1}, "unit": "enduser",
                               "levels": [{"condition": {"min": 1, "max": -1},
                                           "expression": [{"type": "unit", "unit": "enduser", "amount": 120}]}]}}),
        )
        .await;
    assert_eq!(status, 200, "{tier}");
    assert_eq!(
        tier["data"]["pricing"]["levels"][0]["condition"],
        json!({"min": 1, "max": -1})
    );
    let (status, flat) = sdk
        .post(
            "plans/",
            json!({"name": "Enterprise", "packageId": pro_id, "trial": "30", "currency": "USD",
                   "pricing": {"type": "flat", "interval": {"type": "month", "amount": 2}, "amount": 1500}}),
        )
        .await;
    assert_eq!((status, flat["data"]["name"].clone()), (200, json!("Enterprise")));
    let (status, got) = sdk.get(&format!("plans/{}", id_of(&unit)), &[]).await;
    assert_eq!((status, got["data"]["packageId"].clone()), (200, json!(basic_id)));
    let (status, packages) = sdk.get(&format!("groups/{group_id}/packages"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(packages["data"].as_array().map(Vec::len), Some(2));
    let (status, listed) = sdk.get("packages", &[]).await;
    assert_eq!((status, listed["meta"]["pagination"]["total"].clone()), (200, json!(2)));
    let (status, bad) = sdk
        .post(
            "plans/",
            json!({"packageId": basic_id, "currency": "USD", "pricing": {"type": "barter"}}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("pricing.type")),
        "{bad}"
    );

    // Subscribing: by saving a customer with groupId "default" (its default package, a 30-day trial), and
    // through the dedicated endpoint by package (README: manual as the string "false", force false).
    let (_, customer) = sdk.post("customers/", json!({"name": "Acme"})).await;
    let cid = id_of(&customer);
    let (status, saved) = sdk
        .put(&format!("customers/{cid}"), json!({"groupId": "default"}))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert!(saved["data"]["subscriptionId"].is_string(), "{saved}");
    let (status, sub) = sdk.get(&format!("customers/{cid}/subscription"), &[]).await;
    assert_eq!(
        (status, sub["data"]["status"].clone()),
        (200, json!("trialing")),
        "{sub}"
    );
    let (status, again) = sdk
        .put(
            &format!("customers/{cid}/subscribe"),
            json!({"groupId": group_id, "packageId": pro_id, "manual": "false", "stripeToken": "xxxx", "force": false}),
        )
        .await;
    assert_eq!(status, 409, "one subscription per group without force: {again}");
    let (status, forced) = sdk
        .put(
            &format!("customers/{cid}/subscribe"),
            json!({"groupId": group_id, "packageId": pro_id, "manual": "false", "stripeToken": "xxxx", "force": true}),
        )
        .await;
    assert_eq!(status, 200, "{forced}");
    let sub_id = id_of(&forced);
    assert_eq!(forced["data"]["currency"], "USD");

    // An invoice item waits for the next invoice.
    let (status, item) = sdk
        .put(
            &format!("subscriptions/{sub_id}/addinvoiceitem"),
            json!({"description": "This item will appear on next invoice", "currency": "usd", "amount": 1800}),
        )
        .await;
    assert_eq!((status, item["data"]["amount"].clone()), (200, json!(1800)), "{item}");
    let (status, _) = sdk
        .put(
            &format!("subscriptions/{sub_id}/addinvoiceitem"),
            json!({"description": "Wrong money", "currency": "eur", "amount": 100}),
        )
        .await;
    assert_eq!(status, 409);

    // Invoices as the README creates them: dates, items of {description, amount}.
    let (status, invoice) = sdk
        .post(
            "invoices/",
            json!({"invoiceDate": "2016-01-22", "dueDate": "2027-02-22", "customerId": cid,
                   "items": [{"description": "Initial account setup", "amount": 1750},
                             {"description": "Application adjustments", "amount": 450000}]}),
        )
        .await;
    assert_eq!(status, 200, "{invoice}");
    let inv = id_of(&invoice);
    assert_eq!(invoice["data"]["total"], 451_750);
    assert_eq!(invoice["data"]["dueDate"], "2027-02-22");
    assert_eq!(
        invoice["data"]["currency"], "USD",
        "the currency of the customer's subscription"
    );
    let (status, settled) = sdk.put(&format!("invoices/{inv}/settle"), json!({})).await;
    assert_eq!((status, settled["data"]["status"].clone()), (200, json!("open")));
    // The README saves after settle() and applyPayment() with nothing changed.
    let (status, resaved) = sdk.put(&format!("invoices/{inv}"), json!({})).await;
    assert_eq!((status, resaved["data"]["id"].clone()), (200, json!(inv)));
    let (status, paid) = sdk
        .put(&format!("invoices/{inv}/payment"), json!({"amount": 350}))
        .await;
    assert_eq!((status, paid["data"]["amount"].clone()), (200, json!(350)), "{paid}");
    let (_, after) = sdk.get(&format!("invoices/{inv}"), &[]).await;
    assert_eq!(after["data"]["amountDue"], 451_400);

    // Paying a subscription's invoice with more than is due: paid, the excess on the balance.
    let (_, sub_invoice) = sdk
        .post(
            "invoices/",
            json!({"customerId": cid, "subscriptionId": sub_id, "items": [{"description": "Seats", "amount": 1000}]}),
        )
        .await;
    let sub_inv = id_of(&sub_invoice);
    let (status, over) = sdk
        .put(&format!("invoices/{sub_inv}/payment"), json!({"amount": "1500"}))
        .await;
    assert_eq!((status, over["data"]["credited"].clone()), (200, json!(500)), "{over}");
    let (_, closed) = sdk.get(&format!("invoices/{sub_inv}"), &[]).await;
    assert_eq!(closed["data"]["status"], "paid");
    let (_, sub_now) = sdk.get(&format!("subscriptions/{sub_id}"), &[]).await;
    assert_eq!(sub_now["data"]["balance"], 500);

    // Payments and refunds of an invoice (refunds made through the native API).
    let (status, payments) = sdk.get(&format!("invoices/{sub_inv}/payments"), &[]).await;
    assert_eq!(status, 200);
    let payment_id: i64 = payments["data"][0]["id"]
        .as_str()
        .and_then(|i| i.parse().ok())
        .expect("payment id");
    s.admin
        .refund_payment(payment_id, &NewRefund { amount: 200 })
        .await
        .expect("refund");
    let (status, refunds) = sdk.get(&format!("invoices/{sub_inv}/refunds"), &[]).await;
    assert_eq!((status, refunds["data"][0]["amount"].clone()), (200, json!(200)));
    let (status, listed) = sdk.get("invoices", &[]).await;
    assert_eq!(status, 200);
    assert!(listed["data"].as_array().is_some_and(|i| i.len() >= 3), "{listed}");

    // Includes: the customer's subscription with its package and features, its invoices with payments.
    let (status, with) = sdk
        .get(
            &format!("customers/{cid}"),
            &[("include", "subscription.package.features,invoices")],
        )
        .await;
    assert_eq!(status, 200, "{with}");
    let embedded = &with["data"]["subscription"]["data"];
    assert_eq!(embedded["id"], json!(sub_id));
    assert_eq!(embedded["package"]["data"]["id"], json!(pro_id));
    assert_eq!(
        embedded["package"]["data"]["features"]["data"].as_array().map(Vec::len),
        Some(2),
        "{with}"
    );
    assert!(
        with["data"]["invoices"]["data"]
            .as_array()
            .is_some_and(|i| i.len() >= 2),
        "{with}"
    );
    let customer_id: i64 = cid.parse().expect("id");
    let native: Value = s
        .admin
        .get(&format!(
            "/api/v1/customers/{customer_id}?include=subscription.plan,invoices"
        ))
        .await
        .expect("native include");
    assert_eq!(
        native["subscription"]["id"].as_i64().map(|i| i.to_string()),
        Some(sub_id.clone())
    );
    assert!(native["subscription"]["plan"]["pricing"].is_string(), "{native}");

    // Unsubscribing cancels now and answers the subscription.
    let (status, gone) = sdk.put(&format!("customers/{cid}/unsubscribe"), json!({})).await;
    assert_eq!(
        (status, gone["data"]["status"].clone()),
        (200, json!("canceled")),
        "{gone}"
    );
    let (status, _) = sdk.get(&format!("customers/{cid}/subscription"), &[]).await;
    assert_eq!(status, 404);

    // Deleting a package hides it; restore brings it back.
    let (status, _) = sdk.delete(&format!("packages/{basic_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(sdk.get(&format!("packages/{basic_id}"), &[]).await.0, 404);
    let (status, _) = sdk.put(&format!("packages/{basic_id}/restore"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        sdk.get("payments", &[]).await.0,
        404,
        "payments are read through their invoice"
    );
}
