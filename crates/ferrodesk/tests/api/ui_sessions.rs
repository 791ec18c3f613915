//! Web logins and sessions (SPEC §2): cookies, CSRF, rate limit, logout everywhere, expiry, password
//! change and admin-issued reset links.
use super::pages::*;
use super::*;
use reqwest::StatusCode;

#[tokio::test]
async fn staff_land_on_the_console_and_end_users_on_the_portal() {
    let server = TestServer::start().await;
    let (_, agent) = staff_browser(&server, Role::Agent).await;
    let cookie = agent.cookie("fd_session").expect("session cookie");
    assert!(cookie.len() >= 40, "a long random secret");
    let (_, customer) = customer_browser(&server).await;
    // An end user on a staff page: the page does not exist for them.
    assert_eq!(customer.get("/agent").await.status, StatusCode::NOT_FOUND);
    assert_eq!(customer.get("/admin").await.status, StatusCode::NOT_FOUND);
    // Staff on the portal are sent to their console.
    let p = agent.get("/portal").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.as_deref(), Some("/agent"));
    server.shutdown().await;
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let server = TestServer::start().await;
    let email = format!("{}@example.com", unique("staff").to_lowercase());
    server
        .admin
        .create_staff(&NewStaff {
            email: email.clone(),
            name: "Sam".into(),
            role: Role::Agent,
            password: PASSWORD.into(),
            department_ids: None,
        })
        .await
        .expect("staff");
    let b = Browser::new(&server);
    let form = b.get("/login").await;
    let login_cookie = form
        .headers
        .get("set-cookie")
        .expect("login form cookie")
        .to_str()
        .expect("text");
    assert!(
        login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Lax"),
        "{login_cookie}"
    );
    let landed = b.post("/login", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER);
    assert_eq!(landed.location.as_deref(), Some("/agent"));
    let set: Vec<&str> = landed
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("text"))
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("fd_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP without a proxy: {session}");
    server.shutdown().await;
}

#[tokio::test]
async fn behind_a_trusted_tls_proxy_the_cookie_is_secure() {
    let server = TestServer::start_with(|s| s.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .get(format!("{}/login", server.url))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("login form");
    let cookie = r
        .headers()
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("text")
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    server.shutdown().await;
}

#[tokio::test]
async fn pages_send_a_visitor_without_a_session_to_the_login_and_back() {
    let server = TestServer::start().await;
    let b = Browser::new(&server);
    let p = b.get("/agent/tickets/5?tab=notes").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(
        p.location.as_deref(),
        Some("/login?next=%2Fagent%2Ftickets%2F5%3Ftab%3Dnotes")
    );
    let form = b.get(p.location.as_deref().expect("location")).await;
    assert_eq!(
        input_value(&form.body, "next").as_deref(),
        Some("/agent/tickets/5?tab=notes")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_forged_login_is_refused_and_a_plain_one_is_taken() {
    let server = TestServer::start().await;
    let (staff, _) = staff_browser(&server, Role::Agent).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &staff.email)
        .append_pair("password", PASSWORD)
        .finish();
    // A form posted from another site (the browser says so in Origin): 403, no session.
    let forged = http
        .post(format!("{}/login", server.url))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .expect("forged login");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get("set-cookie").is_none());
    // Exactly the SPEC's request from a script (POST /login with email and password): a session.
    let plain = http
        .post(format!("{}/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .expect("login");
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        plain.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/agent")
    );
    assert!(
        plain
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().is_ok_and(|c| c.starts_with("fd_session=")))
    );
    // A browser that drew the form holds its token: a token that is not the cookie's is 403.
    let b = Browser::new(&server);
    b.get("/login").await;
    let p = b
        .post(
            "/login",
            &[("email", &staff.email), ("password", PASSWORD), ("csrf", "forged")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(b.cookie("fd_session").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_change_nothing() {
    let server = TestServer::start().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    // Missing: 403, and the session still works (the logout did not happen).
    let p = b.post_raw("/logout", &[]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("security token"), "{}", p.body);
    // Wrong: 403.
    let p = b.post_raw("/logout", &[("csrf".into(), "0".repeat(43))]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/agent").await.status, StatusCode::OK);
    // Another session's token does not work either.
    let (_, other) = staff_browser(&server, Role::Agent).await;
    let p = b
        .post_raw("/logout", &[("csrf".into(), other.csrf().expect("token"))])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/agent").await.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn logout_ends_the_session_everywhere_it_is_used() {
    let server = TestServer::start().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    // A second tab (the same cookie) and what another node would see: the session is in the database.
    let tab = Browser::new(&server);
    tab.set_cookie("fd_session", &b.cookie("fd_session").expect("cookie"));
    assert_eq!(tab.get("/agent").await.status, StatusCode::OK);
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert!(b.cookie("fd_session").is_none(), "the cookie is cleared");
    let p = tab.get("/agent").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "the other tab is logged out too");
    assert!(p.location.expect("to login").starts_with("/login"));
    server.shutdown().await;
}

#[tokio::test]
async fn five_failed_logins_from_one_address_then_429_and_the_page_says_so() {
    let server = TestServer::start().await;
    let (staff, _) = staff_browser(&server, Role::Agent).await;
    let b = Browser::new(&server);
    b.get("/login").await;
    for _ in 0..5 {
        let p = b
            .post("/login", &[("email", &staff.email), ("password", "wrong password")])
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(p.body.contains("Wrong email or password"));
        assert_eq!(
            input_value(&p.body, "email").as_deref(),
            Some(staff.email.as_str()),
            "input kept"
        );
    }
    let p = b
        .post("/login", &[("email", &staff.email), ("password", PASSWORD)])
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        p.body.contains("rate_limited") && p.body.contains("Too many"),
        "{}",
        p.body
    );
    assert!(p.headers.get("retry-after").is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_session_expires() {
    let server = TestServer::start_with(|s| s.session_idle_secs = 1).await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let p = b.get("/agent").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.expect("login").starts_with("/login?next="));
    // A poll from htmx sends the whole page to the login instead of swapping the login into the poll.
    let poll = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/agent/queue/live?since=0", server.url))
        .header("hx-request", "true")
        .header(
            "cookie",
            format!("fd_session={}", b.cookie("fd_session").expect("cookie")),
        )
        .send()
        .await
        .expect("poll");
    assert_eq!(poll.status(), StatusCode::NO_CONTENT);
    let to = poll
        .headers()
        .get("hx-redirect")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(to.starts_with("/login?next=%2Fagent%2Fqueue%2Flive"), "{to}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_limit_however_active() {
    let server = TestServer::start_with(|s| s.session_absolute_secs = 2).await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        b.get("/agent").await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(b.get("/agent").await.status, StatusCode::SEE_OTHER);
    server.shutdown().await;
}

#[tokio::test]
async fn a_password_is_changed_with_the_current_one_and_other_sessions_end() {
    let server = TestServer::start().await;
    let (staff, b) = staff_browser(&server, Role::Agent).await;
    let other = Browser::new(&server);
    other.login(&staff.email, PASSWORD).await;
    b.get("/account/password").await.assert_ok();
    let p = b
        .post(
            "/account/password",
            &[
                ("current_password", "not it"),
                ("password", "a new long password"),
                ("password_again", "a new long password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("is not your current password"));
    let p = b
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "a new long password"),
                ("password_again", "a new long password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(b.get("/agent").await.status, StatusCode::OK, "this session stays");
    assert_eq!(
        other.get("/agent").await.status,
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
    let fresh = Browser::new(&server);
    assert_eq!(
        fresh.login(&staff.email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh.login(&staff.email, "a new long password").await.status,
        StatusCode::SEE_OTHER
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_login_never_goes_back_to_another_site() {
    let server = TestServer::start().await;
    let (staff, _) = staff_browser(&server, Role::Agent).await;
    let b = Browser::new(&server);
    b.get("/login?next=//evil.example/").await;
    let p = b
        .post(
            "/login",
            &[
                ("email", &staff.email),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/agent"));
    server.shutdown().await;
}
