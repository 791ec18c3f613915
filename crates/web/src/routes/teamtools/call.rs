//! One TeamTools API call as the SDK sends it: the access token in the query (GET) or as the JSON body's
//! `access_token` member (POST, PUT and DELETE — DELETE bodies are read too), or `Authorization: Bearer`;
//! the body's other members are the fields (compat/teamtools.md §2, §3).
use super::TeamToolsError;
use crate::extract::{Meta, body_rejection};
use crate::state::AppState;
use api_types::ErrorCode;
use app::RequestMeta;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{Method, header};
use domain::Principal;
use serde_json::{Map, Value};

/// An authenticated staff call: its principal, where it came from, its query pairs and its body members
/// (without `access_token`).
pub(crate) struct Call {
    pub principal: Principal,
    pub meta: RequestMeta,
    pub query: Vec<(String, String)>,
    pub body: Map<String, Value>,
}

impl Call {
    /// A query parameter (the last one given).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `include` from the query, or a string `include` member of the body.
    pub(crate) fn include(&self) -> Option<String> {
        self.param("include")
            .map(str::to_owned)
            .or_else(|| self.body.get("include").and_then(Value::as_str).map(str::to_owned))
    }

    /// The body's members as entity fields: without `include` (which the SDK also sends as `true` when
    /// saving an event).
    pub(crate) fn fields(&self) -> Map<String, Value> {
        let mut body = self.body.clone();
        body.remove("include");
        body
    }
}

impl FromRequest<AppState> for Call {
    type Rejection = TeamToolsError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, TeamToolsError> {
        let (mut parts, body) = req.into_parts();
        let Meta(mut meta) = Meta::from_request_parts(&mut parts, state).await?;
        meta.url = Some(parts.uri.path().to_owned());
        let query: Vec<(String, String)> = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|e| TeamToolsError::from(body_rejection(e)))?;
        let mut members = if parts.method == Method::GET || bytes.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else if form {
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect()
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    return Err(TeamToolsError::new(
                        ErrorCode::BadRequest,
                        "the body must be a JSON object",
                    ));
                }
                Err(e) => {
                    return Err(TeamToolsError::new(
                        ErrorCode::BadRequest,
                        format!("malformed JSON: {e}"),
                    ));
                }
            }
        };
        let errors = domain::control::control_characters_in(&Value::Object(members.clone()));
        if !errors.is_empty() {
            return Err(crate::error::ApiError(api_types::Problem::validation(errors), None).into());
        }
        let from_body = match members.remove("access_token") {
            Some(Value::String(token)) => Some(token),
            _ => None,
        };
        let from_header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|v| v.trim().to_owned());
        let from_query = query
            .iter()
            .rev()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.clone());
        let secret = from_body
            .or(from_query)
            .or(from_header)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| TeamToolsError::new(ErrorCode::Unauthenticated, "an access_token is required"))?;
        let principal = state
            .app
            .authenticate_token(&secret)
            .await
            .map_err(|e| TeamToolsError::from(crate::error::ApiError::from(e)))?;
        if !principal.is_staff() {
            return Err(TeamToolsError::new(ErrorCode::NotFound, "no such resource"));
        }
        Ok(Call {
            principal,
            meta,
            query,
            body: members,
        })
    }
}
