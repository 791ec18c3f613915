//! Who is looking at a page: the session cookie, the CSRF check of every state-changing form, and where the
//! request came from. Pages take a [`Visit`] (reading) or a [`Posted`] form (changing) and ask it for the
//! role they need; the answers for the wrong visitor are the SPEC's: no session → the login page and back,
//! an end user on a staff page → 404.
use super::page::PageError;
use crate::extract::request_meta;
use crate::state::AppState;
use app::RequestMeta;
use app::sessions::WebSession;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use domain::event::EventSource;
use domain::{Principal, Role};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

/// The session cookie: a random secret whose SHA-256 names the session row.
pub(crate) const SESSION_COOKIE: &str = "fd_session";
/// Before a session exists, the login form's CSRF token is a double-submit cookie.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "fd_login_csrf";
/// The form field (and, for htmx, the header) that carries the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The value of one cookie of the request. Cookie values are opaque tokens here; a malformed header is as if
/// the cookie were absent.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value with the flags every ferrodesk cookie carries (`Secure` when the browser reached
/// us over TLS, so a plain-HTTP installation still works).
pub(crate) fn set_cookie(name: &str, value: &str, max_age_secs: Option<u64>, secure: bool) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Whether two tokens are equal, in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// One page request: the session if the cookie names a live one, and where the request came from.
pub(crate) struct Visit {
    pub(crate) session: Option<WebSession>,
    pub(crate) meta: RequestMeta,
    /// The browser reached us over TLS (directly or through a trusted proxy's `X-Forwarded-Proto`).
    pub(crate) secure: bool,
    /// Path and query, where the login page sends the visitor back to.
    pub(crate) here: String,
    /// The request came from htmx (`HX-Request`): answer with a fragment, redirect with `HX-Redirect`.
    pub(crate) htmx: bool,
}

impl Visit {
    /// The logged-in staff member; an end user gets 404 (staff pages do not exist for them).
    pub(crate) fn staff(&self) -> Result<&WebSession, PageError> {
        match &self.session {
            None => Err(self.to_login()),
            Some(s) if matches!(s.principal, Principal::Staff { .. }) => Ok(s),
            Some(_) => Err(PageError::NotFound),
        }
    }

    /// A logged-in admin; agents and end users get 404.
    pub(crate) fn admin(&self) -> Result<&WebSession, PageError> {
        let s = self.staff()?;
        if s.principal.role() == Role::Admin {
            Ok(s)
        } else {
            Err(PageError::NotFound)
        }
    }

    /// The logged-in end user; staff are sent to their console.
    pub(crate) fn end_user(&self) -> Result<&WebSession, PageError> {
        match &self.session {
            None => Err(self.to_login()),
            Some(s) if matches!(s.principal, Principal::EndUser { .. }) => Ok(s),
            Some(_) => Err(PageError::Redirect("/agent".into())),
        }
    }

    /// Anyone logged in.
    pub(crate) fn anyone(&self) -> Result<&WebSession, PageError> {
        self.session.as_ref().ok_or_else(|| self.to_login())
    }

    fn to_login(&self) -> PageError {
        let next: String = form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        let to = format!("/login?next={next}");
        // A poll or partial from htmx would swap the login page into a corner of the page; the browser
        // goes to it instead.
        if self.htmx {
            PageError::HxRedirect(to)
        } else {
            PageError::Redirect(to)
        }
    }
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let meta = request_meta(parts, state, EventSource::Ui);
        let trusted = &state.config.trusted_proxies;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let from_proxy = peer.is_some_and(|p| trusted.iter().any(|net| net.contains(&p.to_canonical())));
        let secure = from_proxy
            && parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(secret) => match state.app.web_session(secret).await {
                Ok(s) => Some(s),
                Err(app::AppError::Unauthenticated) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Ok(Visit {
            session,
            meta,
            secure,
            here,
            htmx: parts.headers.contains_key("hx-request"),
        })
    }
}

/// A state-changing form from a logged-in browser: its CSRF token (form field `csrf` or, from htmx, the
/// `X-CSRF-Token` header) matched the session's before anything else happens; otherwise 403.
pub(crate) struct Posted<T> {
    pub(crate) visit: Visit,
    pub(crate) form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let visit = Visit::from_request_parts(&mut parts, state).await?;
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| PageError::BadRequest("the form could not be read".into()))?;
        let session = visit.anyone()?;
        let field_token = form_urlencoded::parse(&bytes)
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
        let given = field_token.or(header_token).unwrap_or_default();
        if !same_token(&given, &session.csrf) {
            return Err(PageError::Csrf);
        }
        let form = parse_form(&bytes)?;
        Ok(Posted { visit, form })
    }
}

/// A URL-encoded form. Text fields with control characters other than line breaks and tabs are refused.
pub(crate) fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PageError> {
    for (name, value) in form_urlencoded::parse(bytes) {
        if domain::control::check_text(&value, domain::control::TextKind::MultiLine).is_err() {
            return Err(PageError::BadRequest(format!(
                "the field {name} holds control characters"
            )));
        }
    }
    serde_urlencoded::from_bytes(bytes).map_err(|e| PageError::BadRequest(format!("the form could not be read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; fd_session=abc; fd_session_x=no"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "fd_sess"), None);
        assert_eq!(cookie(&h, "a"), Some("1"));
    }

    #[test]
    fn cookie_flags() {
        let v = set_cookie(SESSION_COOKIE, "s", None, false);
        assert_eq!(v, "fd_session=s; Path=/; HttpOnly; SameSite=Lax");
        let v = set_cookie(SESSION_COOKIE, "s", Some(0), true);
        assert_eq!(v, "fd_session=s; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
        assert!(!same_token("", "a"));
    }
}
