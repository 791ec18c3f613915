//! Routes of OAuth 2.0 client credentials: client management (`/api/v1/oauth-clients`, admins only) and
//! the token endpoint (`POST /oauth/token`, RFC 6749 §4.4), whose request reading the TeamTools token
//! endpoint shares.
use super::{Answer, page};
use crate::error::ApiError;
use crate::extract::{AdminAuth, Id, Json, Meta, Query, body_rejection};
use crate::state::AppState;
use api_types::{
    AccessToken, CreatedOauthClient, ListQuery, NewOauthClient, OauthClient, OauthError, OauthTokenRequest, Page,
    Problem,
};
use app::oauth::TokenError;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use domain::oauth::{TokenRefusal, TokenRequest};

/// Creates a client; the answer's `client_secret` (and `salt`) are never shown again.
#[utoipa::path(post, path = "/api/v1/oauth-clients", tag = "oauth", request_body = NewOauthClient,
    responses((status = 201, body = CreatedOauthClient), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewOauthClient>,
) -> Answer<(StatusCode, Json<CreatedOauthClient>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_oauth_client(&p, &m, body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/oauth-clients", tag = "oauth", params(ListQuery),
    responses((status = 200, body = Page<OauthClient>), (status = 404, body = Problem)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<OauthClient>>> {
    Ok(Json(page(s.app.list_oauth_clients(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/oauth-clients/{id}", tag = "oauth", params(("id" = i64, Path)),
    responses((status = 200, body = OauthClient), (status = 404, body = Problem)))]
pub(crate) async fn get(State(s): State<AppState>, AdminAuth(p): AdminAuth, Id(id): Id) -> Answer<Json<OauthClient>> {
    Ok(Json(s.app.oauth_client(&p, id).await?))
}

/// Deletes a client; every access token issued to it stops working at once.
#[utoipa::path(delete, path = "/api/v1/oauth-clients/{id}", tag = "oauth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_oauth_client(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client-credentials grant. The request is a form (`application/x-www-form-urlencoded`) or a JSON
/// object with `grant_type=client_credentials`, `client_id` and `client_secret`; the client's members may
/// come as HTTP Basic credentials instead. Refusals are RFC 6749 §5.2 bodies: 400 `invalid_request` or
/// `unsupported_grant_type`, 401 `invalid_client` (unknown client or wrong secret).
#[utoipa::path(post, path = "/oauth/token", tag = "oauth", security(()),
    request_body(content(
        (OauthTokenRequest = "application/x-www-form-urlencoded"),
        (OauthTokenRequest = "application/json"),
    )),
    responses((status = 200, body = AccessToken), (status = 400, body = OauthError), (status = 401, body = OauthError),
        (status = 413, body = Problem)))]
pub(crate) async fn token(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_rejection(rejection).into_response(),
    };
    let issued = match token_request(&headers, &body) {
        Ok(request) => s.app.issue_access_token(request).await,
        Err(refusal) => Err(TokenError::Refused(refusal)),
    };
    match issued {
        Ok(token) => no_store(Json(token).into_response()),
        Err(TokenError::Refused(refusal)) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let body = OauthError {
                error: refusal.error().into(),
                error_description: Some(refusal.description()),
            };
            let mut response = no_store((status, Json(body)).into_response());
            if status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"ferrodesk\""),
                );
            }
            response
        }
        Err(TokenError::Failed(e)) => ApiError::from(e).into_response(),
    }
}

/// RFC 6749 §5.1: answers that carry (or refuse) credentials are never cached.
pub(crate) fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The members of a token request: from the body (a form, or a JSON object; an empty body has none) and
/// from HTTP Basic credentials (`client_id:client_secret`, each form-urlencoded, RFC 6749 §2.3.1). A
/// client authenticates one way only: Basic credentials beside a body `client_secret` (or another
/// `client_id`) are refused.
pub(crate) fn token_request(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, TokenRefusal> {
    let mut request = body_members(headers, body)?;
    if let Some((client_id, client_secret)) = basic_credentials(headers)? {
        if request.client_secret.is_some() {
            return Err(TokenRefusal::InvalidRequest(
                "give the client's credentials either in the Authorization header or in the body, not both".into(),
            ));
        }
        if request.client_id.as_ref().is_some_and(|id| *id != client_id) {
            return Err(TokenRefusal::InvalidRequest(
                "client_id in the body differs from the Authorization header".into(),
            ));
        }
        request.client_id = Some(client_id);
        request.client_secret = Some(client_secret);
    }
    Ok(request)
}

/// `Authorization: Basic …` as (client_id, client_secret); `None` without Basic credentials. Credentials
/// that cannot be read are a failed client authentication.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenRefusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let Some(encoded) = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim())
    else {
        // Another scheme (a bearer token sent out of habit) is no client authentication.
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(TokenRefusal::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(TokenRefusal::InvalidClient)?;
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

/// One `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
fn form_decode(component: &str) -> Result<String, TokenRefusal> {
    let spaced = component.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| TokenRefusal::InvalidClient)
}

/// The members of the body, by its content type (without one: JSON when it starts with `{`, else a form).
/// Members other than the three are ignored (RFC 6749 §3.2); a repeated member is refused.
fn body_members(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, TokenRefusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(TokenRequest::default());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let is_json = match content_type.as_deref() {
        Some(ct) if ct.starts_with("application/x-www-form-urlencoded") => false,
        Some(ct) if ct.starts_with("application/json") || (ct.starts_with("application/") && ct.contains("+json")) => {
            true
        }
        Some(_) => {
            return Err(TokenRefusal::InvalidRequest(
                "send the request as application/x-www-form-urlencoded or application/json".into(),
            ));
        }
        None => body.trim_ascii_start().starts_with(b"{"),
    };
    if is_json {
        json_members(body)
    } else {
        form_members(body)
    }
}

fn form_members(body: &[u8]) -> Result<TokenRequest, TokenRefusal> {
    let mut request = TokenRequest::default();
    for (name, value) in form_urlencoded::parse(body) {
        let slot = match &*name {
            "grant_type" => &mut request.grant_type,
            "client_id" => &mut request.client_id,
            "client_secret" => &mut request.client_secret,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(TokenRefusal::InvalidRequest(format!("{name} is given more than once")));
        }
    }
    Ok(request)
}

fn json_members(body: &[u8]) -> Result<TokenRequest, TokenRefusal> {
    let document: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| TokenRefusal::InvalidRequest(format!("malformed JSON: {e}")))?;
    let serde_json::Value::Object(members) = document else {
        return Err(TokenRefusal::InvalidRequest("the body must be a JSON object".into()));
    };
    let member = |name: &str| -> Result<Option<String>, TokenRefusal> {
        match members.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            // A client id written as a number by a loosely typed client is still its text.
            Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(TokenRefusal::InvalidRequest(format!("{name} must be a string"))),
        }
    };
    Ok(TokenRequest {
        grant_type: member("grant_type")?,
        client_id: member("client_id")?,
        client_secret: member("client_secret")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_str(value).expect("header value"));
        }
        h
    }

    fn basic(id: &str, secret: &str) -> String {
        let raw = format!("{id}:{secret}");
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }

    fn complete(id: &str, secret: &str) -> TokenRequest {
        TokenRequest {
            grant_type: Some("client_credentials".into()),
            client_id: Some(id.into()),
            client_secret: Some(secret.into()),
        }
    }

    #[test]
    fn forms_json_and_basic_give_the_same_request() {
        let form = headers(&[(header::CONTENT_TYPE, "application/x-www-form-urlencoded")]);
        assert_eq!(
            token_request(
                &form,
                b"grant_type=client_credentials&client_id=abc&client_secret=s%2Bx+y&scope=ignored"
            ),
            Ok(complete("abc", "s+x y"))
        );
        let json = headers(&[(header::CONTENT_TYPE, "application/json; charset=utf-8")]);
        assert_eq!(
            token_request(
                &json,
                br#"{"client_id":"abc","client_secret":"s\/x","grant_type":"client_credentials","extra":[1]}"#
            ),
            Ok(complete("abc", "s/x"))
        );
        // No content type: guessed from the first character.
        assert_eq!(
            token_request(
                &HeaderMap::new(),
                br#" {"client_id":"abc","client_secret":"s","grant_type":"client_credentials"}"#
            ),
            Ok(complete("abc", "s"))
        );
        let with_basic = headers(&[
            (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            (header::AUTHORIZATION, &basic("abc", "p%3Ass")),
        ]);
        assert_eq!(
            token_request(&with_basic, b"grant_type=client_credentials"),
            Ok(complete("abc", "p:ss"))
        );
        // The same client_id in the body beside Basic credentials is allowed.
        assert_eq!(
            token_request(&with_basic, b"grant_type=client_credentials&client_id=abc"),
            Ok(complete("abc", "p:ss"))
        );
        // A bearer header is no client authentication.
        let bearer = headers(&[(header::AUTHORIZATION, "Bearer fd_x")]);
        assert_eq!(token_request(&bearer, b""), Ok(TokenRequest::default()));
    }

    #[test]
    fn malformed_requests_are_refused_with_their_rfc_names() {
        let form = headers(&[(header::CONTENT_TYPE, "application/x-www-form-urlencoded")]);
        let json = headers(&[(header::CONTENT_TYPE, "application/json")]);
        let refused = |h: &HeaderMap, body: &[u8]| token_request(h, body).expect_err("refused").error();
        assert_eq!(refused(&form, b"client_id=a&client_id=b"), "invalid_request");
        assert_eq!(refused(&json, b"{\"client_id\": "), "invalid_request");
        assert_eq!(refused(&json, b"[1, 2]"), "invalid_request");
        assert_eq!(refused(&json, br#"{"client_id": {"a": 1}}"#), "invalid_request");
        let xml = headers(&[(header::CONTENT_TYPE, "text/xml")]);
        assert_eq!(refused(&xml, b"<token/>"), "invalid_request");
        let both = headers(&[(header::AUTHORIZATION, &basic("abc", "s"))]);
        assert_eq!(refused(&both, b"client_secret=s"), "invalid_request");
        assert_eq!(refused(&both, b"client_id=other"), "invalid_request");
        for bad in ["Basic !!!", "Basic bm9jb2xvbg==" /* "nocolon" */] {
            let h = headers(&[(header::AUTHORIZATION, bad)]);
            assert_eq!(refused(&h, b""), "invalid_client", "{bad}");
        }
    }
}
