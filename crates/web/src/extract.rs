//! Extractors whose rejections are problem+json like every other failure.
use crate::error::ApiError;
use crate::state::AppState;
use api_types::ErrorCode;
use app::RequestMeta;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use domain::Principal;
use domain::event::EventSource;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// A JSON body. Syntax errors are 400 `bad_request`; wrong types, missing or unknown members are 422
/// `validation_failed` naming the field; bodies over the limit are 413 `payload_too_large`.
pub(crate) struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        if let Some(ct) = content_type {
            let json = ct.starts_with("application/json") || (ct.starts_with("application/") && ct.contains("+json"));
            if !json {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as application/json",
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        let value = parse_json(&bytes)?;
        refuse_control_characters(&bytes)?;
        Ok(Json(value))
    }
}

/// JSON text holds C0 control characters only escaped (`\u0000`, `\n`); DEL and the C1 controls
/// (U+0080–U+009F, UTF-8 lead byte 0xC2) may also appear raw. A body with none of those bytes needs no
/// closer look, which spares the common case a second parse.
fn refuse_control_characters(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.iter().any(|b| matches!(b, b'\\' | 0x7f | 0xc2)) {
        return Ok(());
    }
    let document: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("malformed JSON: {e}")))?;
    let errors = domain::control::control_characters_in(&document);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError(api_types::Problem::validation(errors), None))
    }
}

pub(crate) fn body_rejection(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "the request body is larger than 1 MiB")
    } else {
        ApiError::new(ErrorCode::BadRequest, r.body_text())
    }
}

/// Parses JSON, reporting where in the document a value did not fit.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => match de.end() {
            Ok(()) => Ok(v),
            Err(e) => Err(ApiError::new(ErrorCode::BadRequest, format!("malformed JSON: {e}"))),
        },
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::new(ErrorCode::BadRequest, format!("malformed JSON: {inner}")));
            }
            let field = if path == "." { String::new() } else { path };
            let message = strip_position(&inner.to_string());
            let field = if field.is_empty() {
                unknown_field(&message).unwrap_or_default()
            } else {
                field
            };
            Err(ApiError::field(if field.is_empty() { "body" } else { &field }, message))
        }
    }
}

/// serde_json appends " at line 1 column 17"; the field name says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The member named in "unknown field `x`" or "missing field `x`".
fn unknown_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// A query string; bad values are 422 naming the parameter.
pub(crate) struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let one_line = |text: &str| domain::control::check_text(text, domain::control::TextKind::OneLine);
            if let Err(message) = one_line(&value) {
                let field = if one_line(&name).is_ok() { &*name } else { "query" };
                return Err(ApiError::field(field, message));
            }
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            let field = if path == "." {
                unknown_field(&message).unwrap_or_else(|| "query".into())
            } else {
                path
            };
            ApiError::field(&field, message)
        })
    }
}

/// A list's query string with its filters apart: `filter=` (once or repeated) and PHP's array forms
/// `filter[]=` / `filter[0]=` (as TeamTools' SDK sends a list) are all conditions that must hold.
pub(crate) struct Filtered<T>(pub T, pub Vec<String>);

/// Whether a query parameter name is one of the filter spellings.
fn is_filter(name: &str) -> bool {
    name == "filter"
        || name
            .strip_prefix("filter[")
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|index| index.chars().all(|c| c.is_ascii_digit()))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Filtered<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let (filters, rest) = {
            let query = parts.uri.query().unwrap_or("");
            let mut filters = Vec::new();
            let mut rest = form_urlencoded::Serializer::new(String::new());
            for (name, value) in form_urlencoded::parse(query.as_bytes()) {
                if is_filter(&name) {
                    filters.push(value.into_owned());
                } else {
                    rest.append_pair(&name, &value);
                }
            }
            (filters, rest.finish())
        };
        let mut stripped = parts.clone();
        stripped.uri = format!("{}?{rest}", parts.uri.path())
            .parse()
            .map_err(|_| ApiError::field("query", "is not a valid query string"))?;
        let Query(q) = Query::<T>::from_request_parts(&mut stripped, state).await?;
        Ok(Filtered(q, filters))
    }
}

/// A numeric path id; anything else cannot name a resource, so it is 404.
pub(crate) struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Id)
            .ok_or_else(ApiError::not_found)
    }
}

/// Two numeric path ids (`/tickets/{id}/replies/{rid}`).
pub(crate) struct Ids(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((a, b)) = axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        let parse = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        match (parse(&a), parse(&b)) {
            (Some(a), Some(b)) => Ok(Ids(a, b)),
            _ => Err(ApiError::not_found()),
        }
    }
}

/// A numeric path id and a name after it (`/tickets/{id}/incidents/{type}`).
pub(crate) struct IdAndName(pub i64, pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdAndName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((id, name)) = axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found())?;
        id.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(|id| IdAndName(id, name))
            .ok_or_else(ApiError::not_found)
    }
}

/// The authenticated principal of an API request (`Authorization: Bearer <token>`).
pub(crate) struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            // UTF-8, not only ASCII: a bootstrap secret may be any text (SPEC §1).
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(app::AppError::Unauthenticated)?;
        Ok(Auth(state.app.authenticate_token(secret).await?))
    }
}

/// The principal of a route only admins may use. Any other principal gets 404 here, before the body is
/// read, so a refused request cannot learn the route's fields from a validation answer (SPEC §2).
pub(crate) struct AdminAuth(pub Principal);

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Auth(p) = Auth::from_request_parts(parts, state).await?;
        if p.is_admin() {
            Ok(AdminAuth(p))
        } else {
            Err(ApiError::not_found())
        }
    }
}

/// The principal of a route only staff (admins and agents) may use; end users get 404 before the body is
/// read, as with [`AdminAuth`].
pub(crate) struct StaffAuth(pub Principal);

impl FromRequestParts<AppState> for StaffAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Auth(p) = Auth::from_request_parts(parts, state).await?;
        if p.is_staff() {
            Ok(StaffAuth(p))
        } else {
            Err(ApiError::not_found())
        }
    }
}

/// Where the request came from, for the event log and reply `ip`.
pub(crate) struct Meta(pub RequestMeta);

impl FromRequestParts<AppState> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Meta(request_meta(parts, state, EventSource::Api)))
    }
}

/// Where a request came from: its path and the client address (after trusted-proxy resolution).
pub(crate) fn request_meta(parts: &Parts, state: &AppState, source: EventSource) -> RequestMeta {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = peer.map(|peer| client_ip(peer, forwarded, &state.config.trusted_proxies));
    RequestMeta {
        source: Some(source),
        url: Some(parts.uri.path().to_owned()),
        ip: ip.map(|i| i.to_string()),
    }
}

/// The client address: the peer, unless the peer is a trusted proxy, in which case the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, trusted: &[ipnet::IpNet]) -> IpAddr {
    // An IPv4 peer on a dual-stack listener shows as `::ffff:a.b.c.d`: compare it as the IPv4 address it is.
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(list) = forwarded else { return peer };
    let mut last = peer;
    for hop in list.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => last = ip,
            Ok(ip) => return ip,
            Err(_) => return last,
        }
    }
    last
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_only_from_trusted_proxies() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let client: IpAddr = [203, 0, 113, 9].into();
        let spoofed = "1.2.3.4, 203.0.113.9";
        let only_proxy = [ipnet::IpNet::from(proxy)];
        assert_eq!(
            client_ip(client, Some("1.2.3.4"), &only_proxy),
            client,
            "untrusted peer's header is ignored"
        );
        assert_eq!(
            client_ip(proxy, Some(spoofed), &only_proxy),
            client,
            "right-most untrusted hop wins"
        );
        assert_eq!(client_ip(proxy, None, &only_proxy), proxy);
        assert_eq!(client_ip(proxy, Some("garbage"), &only_proxy), proxy);
    }

    #[test]
    fn trusted_proxies_may_be_ranges() {
        let ranges: Vec<ipnet::IpNet> = ["10.0.0.0/8", "fd00::/8"]
            .iter()
            .map(|r| r.parse().expect("range"))
            .collect();
        let client: IpAddr = [203, 0, 113, 9].into();
        let v4_proxy: IpAddr = [10, 20, 30, 40].into();
        let v6_proxy: IpAddr = "fd12::1".parse().expect("v6");
        // A chain of two proxies inside the ranges: the hop before them is the client.
        assert_eq!(client_ip(v4_proxy, Some("203.0.113.9, 10.9.9.9"), &ranges), client);
        assert_eq!(client_ip(v6_proxy, Some("203.0.113.9"), &ranges), client);
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().expect("mapped");
        assert_eq!(client_ip(mapped, Some("203.0.113.9"), &ranges), client);
        let outside: IpAddr = [11, 0, 0, 1].into();
        assert_eq!(client_ip(outside, Some("203.0.113.9"), &ranges), outside);
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        priority: domain::Priority,
        title: String,
    }

    #[test]
    fn json_errors_name_fields() {
        let e = parse_json::<Body>(br#"{"priority": 4, "title": "x"}"#).expect_err("bad priority");
        assert_eq!(e.0.code, ErrorCode::ValidationFailed);
        assert_eq!(e.0.errors[0].field, "priority");
        let e = parse_json::<Body>(br#"{"priority": 1, "title": 5}"#).expect_err("bad type");
        assert_eq!(e.0.errors[0].field, "title");
        let e = parse_json::<Body>(br#"{"priority": 1, "title": "x", "zz": 1}"#).expect_err("unknown");
        assert_eq!(e.0.errors[0].field, "zz");
        let e = parse_json::<Body>(br#"{"priority": 1}"#).expect_err("missing");
        assert_eq!(e.0.errors[0].field, "title");
        let e = parse_json::<Body>(br#"{"priority": 1,"#).expect_err("syntax");
        assert_eq!(e.0.code, ErrorCode::BadRequest);
        let e = parse_json::<Body>(br#"{"priority": 1, "title": "x"} trailing"#).expect_err("trailing");
        assert_eq!(e.0.code, ErrorCode::BadRequest);
    }
}
