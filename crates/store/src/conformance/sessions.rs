//! Web sessions, failed logins and reset links (SPEC §2): found by their secret's hash, ended one by one or
//! all of a person's but one, failures counted per account and address in a window, a reset link used once.
use super::*;
use crate::{PasswordReset, Person, SessionRecord};

pub(super) async fn sessions_failures_and_resets(s: Arc<dyn Store>) {
    let t0 = now();
    let mut w = writer(&s).await;
    let staff = w
        .insert_staff(
            &domain::Staff {
                id: 0,
                email: "session@example.com".into(),
                name: "Sam".into(),
                role: domain::Role::Agent,
                department_ids: Vec::new(),
                created_at: t0,
                updated_at: t0,
            },
            "hash",
        )
        .await
        .expect("staff");
    let session = |hash: &str| SessionRecord {
        id: 0,
        secret_hash: hash.into(),
        person: Person::Staff(staff.id),
        csrf: format!("csrf-{hash}"),
        ip: Some("192.0.2.1".into()),
        user_agent: None,
        created_at: t0,
        last_seen_at: t0,
        expires_at: at(t0, 3_600_000_000),
    };
    let a = w.insert_session(&session("a")).await.expect("session");
    let b = w.insert_session(&session("b")).await.expect("session");
    w.insert_session(&session("c")).await.expect("session");
    w.commit().await.expect("commit");

    let mut r = s.read().await.expect("read");
    let found = r.session_by_hash("a").await.expect("read").expect("session a");
    assert_eq!(
        (found.id, found.person, found.csrf.as_str()),
        (a.id, Person::Staff(staff.id), "csrf-a")
    );
    assert!(r.session_by_hash("nope").await.expect("read").is_none());
    drop(r);

    let mut w = writer(&s).await;
    w.touch_session(a.id, at(t0, 60_000_000)).await.expect("touch");
    w.delete_session(b.id).await.expect("delete");
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    assert_eq!(
        r.session_by_hash("a").await.expect("read").expect("a").last_seen_at,
        at(t0, 60_000_000)
    );
    assert!(r.session_by_hash("b").await.expect("read").is_none());
    drop(r);
    let mut w = writer(&s).await;
    w.delete_sessions_of(Person::Staff(staff.id), Some(a.id))
        .await
        .expect("others");
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    assert!(
        r.session_by_hash("a").await.expect("read").is_some(),
        "the kept one stays"
    );
    assert!(r.session_by_hash("c").await.expect("read").is_none());
    drop(r);

    // Failures: counted per account and address since a moment; cleared when old or on success.
    let mut w = writer(&s).await;
    for n in 0..3 {
        w.insert_login_failure("sam@example.com", "192.0.2.1", at(t0, n * 1_000_000))
            .await
            .expect("failure");
    }
    w.insert_login_failure("sam@example.com", "192.0.2.9", t0)
        .await
        .expect("failure");
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    assert_eq!(
        r.login_failures_since("sam@example.com", "192.0.2.1", t0)
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        r.login_failures_since("sam@example.com", "192.0.2.1", at(t0, 1_000_000))
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        r.first_login_failure_since("sam@example.com", "192.0.2.1", at(t0, 1))
            .await
            .expect("first"),
        Some(at(t0, 1_000_000))
    );
    drop(r);
    let mut w = writer(&s).await;
    w.clear_login_failures(at(t0, 1), Some(("sam@example.com", "192.0.2.1")))
        .await
        .expect("clear");
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    assert_eq!(
        r.login_failures_since("sam@example.com", "192.0.2.1", t0)
            .await
            .expect("count"),
        0
    );
    assert_eq!(
        r.login_failures_since("sam@example.com", "192.0.2.9", t0)
            .await
            .expect("count"),
        0,
        "old ones go"
    );
    drop(r);

    // A reset link is used once.
    let mut w = writer(&s).await;
    let reset = w
        .insert_password_reset(&PasswordReset {
            id: 0,
            secret_hash: "reset".into(),
            person: Person::Staff(staff.id),
            created_at: t0,
            expires_at: at(t0, 3_600_000_000),
            used_at: None,
        })
        .await
        .expect("reset");
    assert!(w.use_password_reset(reset.id, t0).await.expect("use"));
    assert!(!w.use_password_reset(reset.id, t0).await.expect("again"));
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    let stored = r.password_reset_by_hash("reset").await.expect("read").expect("reset");
    assert_eq!((stored.person, stored.used_at), (Person::Staff(staff.id), Some(t0)));
}
