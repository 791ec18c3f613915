//! OAuth clients and their access tokens: round trips, lookups by hash, expiry cleanup, deletion, keys.
use super::*;
use crate::OauthGrant;
use domain::OauthClient;

fn new_client(name: &str, client_id: &str, role: Role, created_by: Option<i64>) -> OauthClient {
    OauthClient {
        id: 0,
        name: name.into(),
        role,
        client_id: client_id.into(),
        created_by,
        created_at: now(),
    }
}

pub(super) async fn oauth_client_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut r = reader(&s).await;
    assert!(
        r.oauth_client_list(&PageRequest::first(10))
            .await
            .expect("oauth_client_list")
            .is_empty()
    );
    drop(r);

    let mut w = writer(&s).await;
    let sync = w
        .insert_oauth_client(
            &new_client(
                "Billing sync",
                "0123456789abcdef01234567",
                Role::Agent,
                Some(world.staff.id),
            ),
            "hash:sync",
            "salt with spaces and ü",
        )
        .await
        .expect("insert client");
    let ops = w
        .insert_oauth_client(&new_client("Ops", "client-two", Role::Admin, None), "hash:ops", "s2")
        .await
        .expect("insert client");
    w.commit().await.expect("commit");
    assert!(sync.id > 0 && ops.id > sync.id, "ids {} {}", sync.id, ops.id);

    let mut r = reader(&s).await;
    assert_eq!(r.oauth_client(sync.id).await.expect("oauth_client"), Some(sync.clone()));
    assert_eq!(r.oauth_client(ops.id).await.expect("oauth_client"), Some(ops.clone()));
    assert!(r.oauth_client(ops.id + 1000).await.expect("oauth_client").is_none());
    assert_eq!(
        r.oauth_client_by_credentials("0123456789abcdef01234567", "hash:sync")
            .await
            .expect("by credentials"),
        Some(sync.clone())
    );
    for (id, hash) in [
        ("0123456789abcdef01234567", "hash:ops"),
        ("0123456789abcdef01234567", "HASH:SYNC"),
        ("client-two", "hash:sync"),
        ("nobody", "hash:sync"),
        ("", ""),
    ] {
        assert!(
            r.oauth_client_by_credentials(id, hash)
                .await
                .expect("by credentials")
                .is_none(),
            "{id} with {hash} must not match"
        );
    }
    assert_eq!(
        r.oauth_client_salt(sync.id).await.expect("salt").as_deref(),
        Some("salt with spaces and ü")
    );
    assert!(r.oauth_client_salt(ops.id + 1000).await.expect("salt").is_none());
    assert_eq!(
        r.oauth_client_list(&PageRequest::first(10))
            .await
            .expect("oauth_client_list"),
        vec![ops.clone(), sync.clone()]
    );
    assert_eq!(
        id_pages!(1, page => r.oauth_client_list(&page).await.expect("oauth_client_list")),
        vec![ops.id, sync.id]
    );
}

pub(super) async fn oauth_tokens_expire_and_end_with_their_client(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let client = w
        .insert_oauth_client(&new_client("Sync", "client-a", Role::Agent, None), "hash:a", "salt")
        .await
        .expect("insert client");
    let other = w
        .insert_oauth_client(&new_client("Other", "client-b", Role::Admin, None), "hash:b", "salt")
        .await
        .expect("insert client");
    let issued = now();
    let expired_at = at(issued, -1);
    let later = at(issued, 3_600_000_000);
    w.insert_oauth_token(client.id, "token:old", at(issued, -10), expired_at)
        .await
        .expect("insert expired token");
    w.insert_oauth_token(client.id, "token:live", issued, later)
        .await
        .expect("insert live token");
    w.insert_oauth_token(other.id, "token:other-old", at(issued, -10), expired_at)
        .await
        .expect("insert other client's expired token");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(
        r.oauth_grant_by_token_hash("token:live").await.expect("grant"),
        Some(OauthGrant {
            client: client.clone(),
            expires_at: later,
        })
    );
    assert_eq!(
        r.oauth_grant_by_token_hash("token:old")
            .await
            .expect("grant")
            .map(|g| g.expires_at),
        Some(expired_at),
        "an expired token is still found until it is cleaned up (the caller judges expiry)"
    );
    assert!(
        r.oauth_grant_by_token_hash("token:none")
            .await
            .expect("grant")
            .is_none()
    );
    drop(r);

    // Cleanup takes only the client's own expired tokens; a token expiring exactly now counts as expired.
    let mut w = writer(&s).await;
    assert_eq!(
        w.delete_expired_oauth_tokens(client.id, issued).await.expect("cleanup"),
        1
    );
    assert_eq!(
        w.delete_expired_oauth_tokens(client.id, issued).await.expect("cleanup"),
        0
    );
    assert_eq!(
        w.delete_expired_oauth_tokens(other.id, expired_at)
            .await
            .expect("cleanup"),
        1
    );
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.oauth_grant_by_token_hash("token:old").await.expect("grant").is_none());
    assert!(
        r.oauth_grant_by_token_hash("token:other-old")
            .await
            .expect("grant")
            .is_none()
    );
    assert!(
        r.oauth_grant_by_token_hash("token:live")
            .await
            .expect("grant")
            .is_some()
    );
    drop(r);

    // A token's hash is unique, and a token needs an existing client.
    let mut w = writer(&s).await;
    assert!(
        matches!(
            w.insert_oauth_token(other.id, "token:live", issued, later).await,
            Err(StoreError::Unique(_))
        ),
        "a second token with the same hash"
    );
    drop(w);
    let mut w = writer(&s).await;
    assert!(
        matches!(
            w.insert_oauth_token(other.id + 1000, "token:orphan", issued, later)
                .await,
            Err(StoreError::Reference(_))
        ),
        "a token of a missing client"
    );
    drop(w);
    let mut w = writer(&s).await;
    assert!(
        matches!(
            w.insert_oauth_client(&new_client("Twin", "client-a", Role::Agent, None), "hash:twin", "s")
                .await,
            Err(StoreError::Unique(_))
        ),
        "a second client with the same client_id"
    );
    drop(w);

    // Deleting a client ends its tokens; a dropped writer keeps both.
    let mut w = writer(&s).await;
    w.delete_oauth_client(client.id).await.expect("delete client");
    drop(w);
    assert!(
        reader(&s)
            .await
            .oauth_grant_by_token_hash("token:live")
            .await
            .expect("grant")
            .is_some(),
        "rolled back"
    );
    let mut w = writer(&s).await;
    w.delete_oauth_client(client.id).await.expect("delete client");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.oauth_client(client.id).await.expect("oauth_client").is_none());
    assert!(
        r.oauth_grant_by_token_hash("token:live")
            .await
            .expect("grant")
            .is_none()
    );
    assert!(
        r.oauth_client_by_credentials("client-a", "hash:a")
            .await
            .expect("by credentials")
            .is_none()
    );
    assert_eq!(
        ids(&r
            .oauth_client_list(&PageRequest::first(10))
            .await
            .expect("oauth_client_list")),
        vec![other.id]
    );
}
