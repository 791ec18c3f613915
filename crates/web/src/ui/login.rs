//! Logging in and out, changing one's password, and admin-issued reset links (SPEC §2).
use super::page::{Chrome, FieldErrors, PageError, PageResult, html, ok, see_other};
use super::session::{
    CSRF_FIELD, LOGIN_CSRF_COOKIE, Posted, SESSION_COOKIE, Visit, cookie, parse_form, same_token, set_cookie,
};
use crate::state::AppState;
use app::AppError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Principal;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Only a path of this site is a place to go back to (no `//evil.example`, no `https://…`).
fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let ok =
        next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.contains(['\r', '\n']);
    ok.then(|| next.to_owned())
}

fn home_of(p: &Principal) -> &'static str {
    if matches!(p, Principal::EndUser { .. }) {
        "/portal"
    } else {
        "/agent"
    }
}

/// `/`: the visitor's own area, or the login page.
pub(crate) async fn root(visit: Visit) -> Response {
    match &visit.session {
        Some(s) => Redirect::to(home_of(&s.principal)).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// `GET /login`. The login form's CSRF token is a double-submit cookie (there is no session yet).
pub(crate) async fn login_form(visit: Visit, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    if let Some(s) = &visit.session {
        let to = local_path(q.next.as_deref()).unwrap_or_else(|| home_of(&s.principal).to_owned());
        return Redirect::to(&to).into_response();
    }
    login_page(
        &visit,
        &headers,
        String::new(),
        q.next.unwrap_or_default(),
        None,
        StatusCode::OK,
    )
}

fn login_page(
    visit: &Visit,
    headers: &HeaderMap,
    email: String,
    next: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (token, fresh) = match cookie(headers, LOGIN_CSRF_COOKIE) {
        Some(t) if t.len() >= 32 => (t.to_owned(), false),
        _ => (app::auth::new_token_secret(), true),
    };
    let mut c = Chrome::public("Log in");
    c.csrf = token.clone();
    let mut r = html(status, LoginPage { c, email, next, error });
    if fresh {
        r.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(LOGIN_CSRF_COOKIE, &token, None, visit.secure),
        );
    }
    r
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`: staff land on `/agent`, end users on `/portal` (or where `next` says).
pub(crate) async fn login(State(state): State<AppState>, visit: Visit, headers: HeaderMap, body: Bytes) -> PageResult {
    let form: LoginForm = parse_form(&body)?;
    if !login_form_is_ours(&headers, &form.csrf) {
        return Err(PageError::Csrf);
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let ip = visit.meta.ip.clone().unwrap_or_default();
    let next = form.next.clone().unwrap_or_default();
    match state.app.login(&form.email, &form.password, &ip, user_agent).await {
        Ok(login) => {
            let to = local_path(Some(&next)).unwrap_or_else(|| home_of(&login.session.principal).to_owned());
            let mut r = Redirect::to(&to).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &login.secret, None, visit.secure),
            );
            // The pre-login token has done its job; a new one is made for the next login form.
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), visit.secure),
            );
            Ok(r)
        }
        Err(AppError::Unauthenticated) => Ok(login_page(
            &visit,
            &headers,
            form.email,
            next,
            Some("Wrong email or password.".into()),
            StatusCode::UNAUTHORIZED,
        )),
        Err(AppError::RateLimited { retry_after_secs }) => Err(PageError::RateLimited { retry_after_secs }),
        Err(e) => Err(e.into()),
    }
}

/// Whether a login POST may be taken. A browser that drew our login form holds its token cookie, and the
/// form must repeat it. A POST without that cookie is taken only when nothing says it came from another
/// site: a browser marks a cross-site form with `Origin` (and `Sec-Fetch-Site`), which a forged login on
/// someone's behalf cannot drop, while scripts and integrations that post the two fields as SPEC §9 names
/// them send neither.
fn login_form_is_ours(headers: &HeaderMap, given: &str) -> bool {
    if let Some(expected) = cookie(headers, LOGIN_CSRF_COOKIE) {
        return same_token(given, expected);
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site").is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return false;
    }
    match (text("origin"), text("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    }
}

#[derive(Deserialize)]
pub(crate) struct Empty {}

/// `POST /logout`: the session ends in the database, so on every node and in every tab.
pub(crate) async fn logout(State(state): State<AppState>, posted: Posted<Empty>) -> PageResult {
    let session = posted.visit.anyone()?;
    state.app.logout(session).await?;
    let mut r = see_other("/login", posted.visit.htmx)?;
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), posted.visit.secure),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    c: Chrome,
    errors: FieldErrors,
    done: bool,
}

fn area_of(p: &Principal) -> super::page::Area {
    if matches!(p, Principal::EndUser { .. }) {
        super::page::Area::Portal
    } else {
        super::page::Area::Agent
    }
}

/// `GET /account/password`.
pub(crate) async fn password_form(visit: Visit, Query(q): Query<DoneQuery>) -> PageResult {
    let s = visit.anyone()?;
    ok(PasswordPage {
        c: Chrome::of(s, area_of(&s.principal), "Change password"),
        errors: FieldErrors::default(),
        done: q.done.is_some(),
    })
}

#[derive(Deserialize)]
pub(crate) struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// `POST /account/password`: the current password is needed; the person's other sessions end.
pub(crate) async fn change_password(State(state): State<AppState>, posted: Posted<PasswordForm>) -> PageResult {
    let s = posted.visit.anyone()?;
    let f = &posted.form;
    let result = if f.password != f.password_again {
        Err(AppError::field("password_again", "does not match the new password"))
    } else {
        state.app.change_own_password(s, &f.current_password, &f.password).await
    };
    match result {
        Ok(()) => see_other("/account/password?done=1", posted.visit.htmx),
        Err(e) => {
            let errors = FieldErrors::from_app(e)?;
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                PasswordPage {
                    c: Chrome::of(s, area_of(&s.principal), "Change password"),
                    errors,
                    done: false,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    errors: FieldErrors,
}

/// `GET /reset/{token}`: an admin-issued link; a used or expired one is 404.
pub(crate) async fn reset_form(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    state.app.check_password_reset(&token).await?;
    ok(ResetPage {
        c: Chrome::public("Choose a new password"),
        token,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub(crate) struct ResetForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// `POST /reset/{token}`. The secret in the URL is the proof (it is as strong as a session's), so the form
/// needs no session; its CSRF field must still repeat the token, which a cross-site form cannot know.
pub(crate) async fn reset(State(state): State<AppState>, Path(token): Path<String>, body: Bytes) -> PageResult {
    let given = form_urlencoded::parse(&body)
        .find(|(n, _)| n == CSRF_FIELD)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !same_token(&given, &token) {
        return Err(PageError::Csrf);
    }
    let form: ResetForm = parse_form(&body)?;
    let result = if form.password != form.password_again {
        Err(AppError::field("password_again", "does not match the new password"))
    } else {
        state.app.reset_password(&token, &form.password).await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/login").into_response()),
        Err(e) => Ok(html(
            StatusCode::UNPROCESSABLE_ENTITY,
            ResetPage {
                c: Chrome::public("Choose a new password"),
                token,
                errors: FieldErrors::from_app(e)?,
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_post_without_the_form_cookie_is_taken_unless_it_comes_from_another_site() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, axum::http::HeaderValue::from_static(v));
            }
            h
        };
        assert!(
            login_form_is_ours(&headers(&[]), ""),
            "a script posting email and password"
        );
        assert!(login_form_is_ours(
            &headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]),
            ""
        ));
        assert!(!login_form_is_ours(
            &headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:8080")]),
            ""
        ));
        assert!(!login_form_is_ours(&headers(&[("sec-fetch-site", "cross-site")]), ""));
        assert!(!login_form_is_ours(&headers(&[("cookie", "fd_login_csrf=abc")]), "abd"));
        assert!(login_form_is_ours(&headers(&[("cookie", "fd_login_csrf=abc")]), "abc"));
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            local_path(Some("/agent/tickets/4?x=1")).as_deref(),
            Some("/agent/tickets/4?x=1")
        );
        assert_eq!(local_path(Some("//evil.example/")), None);
        assert_eq!(local_path(Some("/\\evil.example")), None);
        assert_eq!(local_path(Some("https://evil.example/")), None);
        assert_eq!(local_path(Some("")), None);
        assert_eq!(local_path(None), None);
    }
}
