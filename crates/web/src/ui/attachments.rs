//! Attachments in the agent console and the portal (SPEC §10): each reply's files as download links, reply
//! forms that send files (`multipart/form-data`, with the CSRF check of every form), and the downloads
//! themselves for a logged-in browser, with the API's headers and its visibility.
use super::page::{PageError, PageResult};
use super::session::{CSRF_FIELD, CSRF_HEADER, Posted, Visit, parse_form, same_token};
use crate::extract::Id;
use crate::routes::attachments::{FormError, Refusal, download_response, is_multipart, read_form};
use crate::state::AppState;
use app::attachments::NewFile;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::routing::get;
use domain::attachment::Attachment;
use serde::de::DeserializeOwned;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/agent/attachments/{id}", get(agent_download))
        .route("/portal/attachments/{id}", get(portal_download))
}

/// `GET /agent/attachments/{id}`: a file of any reply, for staff.
async fn agent_download(State(state): State<AppState>, visit: Visit, Id(id): Id) -> PageResult {
    let s = visit.staff()?;
    Ok(download_response(
        state.app.download_attachment(&s.principal, id).await?,
    ))
}

/// `GET /portal/attachments/{id}`: a file of the end user's own customer's tickets, never of an internal
/// note (404 as for any other file they cannot see).
async fn portal_download(State(state): State<AppState>, visit: Visit, Id(id): Id) -> PageResult {
    let s = visit.end_user()?;
    Ok(download_response(
        state.app.download_attachment(&s.principal, id).await?,
    ))
}

/// A file as a page lists it.
pub(crate) struct FileLink {
    pub(crate) url: String,
    pub(crate) name: String,
    pub(crate) size: String,
}

/// The download links of `attachments` under `area` (`/agent` or `/portal`).
pub(crate) fn links(area: &str, attachments: &[Attachment]) -> Vec<FileLink> {
    attachments
        .iter()
        .map(|a| FileLink {
            url: format!("{area}/attachments/{}", a.id),
            name: a.filename.clone(),
            size: human_size(a.size),
        })
        .collect()
}

/// `512 B`, `1.5 KiB`, `25.0 MiB`.
pub(crate) fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss, reason = "one decimal of a size shown to people")]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A reply form with files: a [`Posted`] form whose body may also be `multipart/form-data`, checked for
/// the session's CSRF token (form field `csrf`, or the `X-CSRF-Token` header) before anything happens.
/// `refused` says why its files cannot be taken (too large, too many): the form is read whole anyway, so
/// the page can be shown again with its draft.
pub(crate) struct PostedFiles<T> {
    pub(crate) visit: Visit,
    pub(crate) form: T,
    pub(crate) files: Vec<NewFile>,
    pub(crate) refused: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for PostedFiles<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        if !is_multipart(req.headers()) {
            let Posted { visit, form } = Posted::<T>::from_request(req, state).await?;
            return Ok(PostedFiles {
                visit,
                form,
                files: Vec::new(),
                refused: None,
            });
        }
        let (mut parts, body) = req.into_parts();
        let visit = Visit::from_request_parts(&mut parts, state).await?;
        // No session, no reading of what may be a large body.
        let session = visit.anyone()?;
        let form = read_form(&parts.headers, body, state.config.attachment_max_bytes)
            .await
            .map_err(|e| match e {
                FormError::TooLarge(m) | FormError::Malformed(m) => PageError::BadRequest(m),
            })?;
        let header_token = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let field_token = form
            .fields
            .iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, v)| v.as_str());
        let given = field_token.or(header_token).unwrap_or_default();
        if !same_token(given, &session.csrf) {
            return Err(PageError::Csrf);
        }
        // The text fields go through the form parser every page uses (its control-character check too).
        let mut encoded = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &form.fields {
            encoded.append_pair(name, value);
        }
        let fields = parse_form(encoded.finish().as_bytes())?;
        Ok(PostedFiles {
            visit,
            form: fields,
            files: form.files,
            refused: form.refused.as_ref().map(Refusal::message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(25 * 1024 * 1024), "25.0 MiB");
    }
}
