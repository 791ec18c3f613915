//! Attachments (SPEC §10): replies sent as `multipart/form-data` with files, and downloads that never run in
//! the app's origin.
//!
//! A multipart reply may be as large as its files ([`multipart_body_limit`]: each file up to
//! `FERRODESK_ATTACHMENT_MAX_BYTES`, at most [`MAX_FILES_PER_REPLY`] of them), not held to the 1 MiB JSON
//! limit: the edge asks [`own_body_limit`] before it refuses a declared `Content-Length`, and the form is
//! read straight from the body stream by multer with that limit on the whole stream. A file over the
//! per-file limit is refused (413) after the rest of the body is read and dropped, so the client sees the
//! answer instead of a connection closed under its upload.
use crate::error::ApiError;
use crate::extract::{Auth, Id, Json};
use crate::state::{AppState, WebConfig};
use api_types::{ErrorCode, NewReply, Problem};
use app::attachments::{Download, MAX_FILES_PER_REPLY, NewFile};
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Room for a multipart reply's message, other fields and part headers, beside its files.
const FORM_ALLOWANCE: usize = 1024 * 1024;

/// The largest text field of a form (a reply's message is at most 512 KiB; the use case says so).
const MAX_TEXT_FIELD_BYTES: usize = 1024 * 1024;

/// The most text fields one form may have (a reply form has a handful).
const MAX_TEXT_FIELDS: usize = 32;

/// The name of the parts that carry files.
const FILE_FIELD: &str = "file";

/// The largest multipart reply: every allowed file at its largest, and the form around them.
pub(crate) fn multipart_body_limit(max_file_bytes: usize) -> usize {
    max_file_bytes
        .saturating_mul(MAX_FILES_PER_REPLY)
        .saturating_add(FORM_ALLOWANCE)
}

/// Whether the request's body is `multipart/form-data`.
pub(crate) fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The body limit of a request that carries files, where it is not the JSON limit: a multipart reply to a
/// ticket, through the API or the agent and portal pages.
pub(crate) fn own_body_limit(req: &Request, config: &WebConfig) -> Option<usize> {
    if req.method() != Method::POST || !is_multipart(req.headers()) {
        return None;
    }
    let segments: Vec<&str> = req.uri().path().trim_start_matches('/').split('/').collect();
    let reply = matches!(
        segments.as_slice(),
        ["api", "v1", "tickets", _, "replies"] | ["agent" | "portal", "tickets", _, "replies"]
    );
    reply.then(|| multipart_body_limit(config.attachment_max_bytes))
}

/// A multipart form as read: its text fields in order, its files, and why it cannot be taken as it is,
/// when the form was read to its end but holds more than allowed.
#[derive(Debug, Default)]
pub(crate) struct Form {
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<NewFile>,
    pub(crate) refused: Option<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A file over the per-file limit (413); the detail names it.
    TooLarge(String),
    /// More files than a reply may carry (422 on the `file` field).
    TooManyFiles,
}

impl Refusal {
    pub(crate) fn message(&self) -> String {
        match self {
            Refusal::TooLarge(detail) => detail.clone(),
            Refusal::TooManyFiles => format!("at most {MAX_FILES_PER_REPLY} files per reply"),
        }
    }
}

/// Why a multipart body could not be read at all.
#[derive(Debug)]
pub(crate) enum FormError {
    /// The body is larger than the whole form may be (413).
    TooLarge(String),
    /// Not a well-formed multipart body (400).
    Malformed(String),
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        match e {
            FormError::TooLarge(detail) => ApiError::new(ErrorCode::PayloadTooLarge, detail),
            FormError::Malformed(detail) => ApiError::new(ErrorCode::BadRequest, detail),
        }
    }
}

fn form_error(e: multer::Error) -> FormError {
    match e {
        multer::Error::StreamSizeExceeded { limit } => {
            FormError::TooLarge(format!("the request body is larger than {limit} bytes"))
        }
        other => FormError::Malformed(format!("malformed multipart body: {other}")),
    }
}

/// The `filename*` parameter of a part's `Content-Disposition` (RFC 8187: `UTF-8''<percent-encoded>`),
/// which multer leaves to the caller; it wins over `filename` where a client sends both.
fn extended_filename(headers: &HeaderMap) -> Option<String> {
    let disposition = headers.get(header::CONTENT_DISPOSITION)?.to_str().ok()?;
    disposition.split(';').find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("filename*") {
            return None;
        }
        let (charset, rest) = value.trim().trim_matches('"').split_once('\'')?;
        let (_language, encoded) = rest.split_once('\'')?;
        if !charset.eq_ignore_ascii_case("utf-8") {
            return None;
        }
        percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .ok()
            .map(|name| name.into_owned())
    })
}

/// Reads a multipart form from `body` (whose `Content-Type` is in `headers`): parts named `file` are files
/// (an empty part without a name — a file input left empty — is skipped), other parts text fields. Each
/// file may have `max_file_bytes`; the whole body [`multipart_body_limit`] of that.
pub(crate) async fn read_form(headers: &HeaderMap, body: Body, max_file_bytes: usize) -> Result<Form, FormError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| FormError::Malformed("the multipart content type names no boundary".into()))?;
    let whole = u64::try_from(multipart_body_limit(max_file_bytes)).unwrap_or(u64::MAX);
    let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(whole));
    let mut multipart = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == FILE_FIELD;
        let limit = if is_file { max_file_bytes } else { MAX_TEXT_FIELD_BYTES };
        let filename = extended_filename(field.headers()).or_else(|| field.file_name().map(str::to_owned));
        let content_type = field.content_type().map(ToString::to_string);
        // Once the form is refused, the rest of the body is still read (and dropped), so that the answer
        // reaches a client that is still sending.
        let mut keep = form.refused.is_none();
        if is_file && form.files.len() >= MAX_FILES_PER_REPLY {
            form.refused.get_or_insert(Refusal::TooManyFiles);
            keep = false;
        }
        let mut data = Vec::new();
        let mut size = 0_usize;
        while let Some(chunk) = field.chunk().await.map_err(form_error)? {
            size = size.saturating_add(chunk.len());
            if size > limit {
                if !is_file {
                    return Err(FormError::TooLarge(format!(
                        "the field {name} is larger than {MAX_TEXT_FIELD_BYTES} bytes"
                    )));
                }
                if keep {
                    let shown = domain::attachment::safe_filename(filename.as_deref().unwrap_or_default());
                    form.refused = Some(Refusal::TooLarge(format!(
                        "the file {shown} is larger than {max_file_bytes} bytes (FERRODESK_ATTACHMENT_MAX_BYTES)"
                    )));
                    keep = false;
                    data = Vec::new();
                }
            }
            if keep {
                data.extend_from_slice(&chunk);
            }
        }
        if !keep {
            continue;
        }
        if is_file {
            let unnamed = filename.as_deref().is_none_or(str::is_empty);
            if unnamed && data.is_empty() {
                continue;
            }
            form.files.push(NewFile {
                filename: filename.unwrap_or_default(),
                content_type,
                content: data,
            });
        } else {
            if form.fields.len() >= MAX_TEXT_FIELDS {
                return Err(FormError::Malformed(format!(
                    "the form has more than {MAX_TEXT_FIELDS} fields"
                )));
            }
            let text = String::from_utf8(data)
                .map_err(|_| FormError::Malformed(format!("the field {name} is not UTF-8 text")))?;
            form.fields.push((name, text));
        }
    }
    Ok(form)
}

/// The body of `POST /api/v1/tickets/{id}/replies`: JSON as ever, or a multipart form with `message`,
/// `internal` and `file` parts.
pub(crate) struct ReplyInput(pub(crate) NewReply, pub(crate) Vec<NewFile>);

impl FromRequest<AppState> for ReplyInput {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_multipart(req.headers()) {
            let Json(body) = Json::<NewReply>::from_request(req, state).await?;
            return Ok(ReplyInput(body, Vec::new()));
        }
        let (parts, body) = req.into_parts();
        let form = read_form(&parts.headers, body, state.config.attachment_max_bytes).await?;
        match form.refused {
            Some(Refusal::TooLarge(detail)) => return Err(ApiError::new(ErrorCode::PayloadTooLarge, detail)),
            Some(refusal @ Refusal::TooManyFiles) => return Err(ApiError::field(FILE_FIELD, refusal.message())),
            None => {}
        }
        let mut message = None;
        let mut internal = None;
        for (name, value) in form.fields {
            let slot = match name.as_str() {
                "message" => {
                    if message.replace(value).is_some() {
                        return Err(ApiError::field("message", "is given more than once"));
                    }
                    continue;
                }
                "internal" => &mut internal,
                other => return Err(ApiError::field(other, "is not a field of a reply")),
            };
            let flag = match value.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(ApiError::field("internal", "must be true or false")),
            };
            if slot.replace(flag).is_some() {
                return Err(ApiError::field(&name, "is given more than once"));
            }
        }
        let message = message.ok_or_else(|| ApiError::field("message", "is required"))?;
        Ok(ReplyInput(NewReply { message, internal }, form.files))
    }
}

/// A multipart reply, for the API documentation: one part per field, files as `file` parts.
#[derive(utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "describes the multipart body in the OpenAPI document; read by ReplyInput"
)]
pub(crate) struct ReplyUpload {
    pub message: String,
    /// `true` for an internal note (staff only).
    pub internal: Option<bool>,
    /// One part per file (at most 10, each up to `FERRODESK_ATTACHMENT_MAX_BYTES`): its file name is made
    /// safe, its `Content-Type` kept (`application/octet-stream` without one).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// Characters sent as they are in an RFC 8187 value (`attr-char`); everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<name>`: always a download, never shown
/// inline. The fallback keeps printable ASCII but quotes, backslashes and percent signs.
pub(crate) fn content_disposition(filename: &str) -> HeaderValue {
    let fallback: String = filename
        .chars()
        .map(|c| match c {
            '"' | '\\' | '%' => '_',
            c if c == ' ' || c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let encoded = utf8_percent_encode(filename, ATTR_CHAR);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// A file as a download: its stored type, but never run or rendered in the app's origin (`attachment`,
/// `nosniff`, and a sandbox should a browser show it anyway); not kept by shared caches.
pub(crate) fn download_response(d: Download) -> Response {
    let content_type = HeaderValue::from_str(&d.attachment.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static(app::attachments::DEFAULT_CONTENT_TYPE));
    let disposition = content_disposition(&d.attachment.filename);
    let mut response = d.content.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// A reply's file: its bytes as stored, to whoever sees the reply (an end user never gets an internal note's
/// file, nor another customer's: 404).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The file, with its stored Content-Type, `Content-Disposition: attachment` \
            and `X-Content-Type-Options: nosniff`", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn download(State(s): State<AppState>, Auth(p): Auth, Id(id): Id) -> Result<Response, ApiError> {
    Ok(download_response(s.app.download_attachment(&p, id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_are_downloads_with_an_ascii_fallback() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("Ünïcode \"100%\".txt"),
            "attachment; filename=\"_n_code _100__.txt\"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20%22100%25%22.txt"
        );
    }

    #[test]
    fn extended_file_names_are_decoded() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("form-data; name=\"file\"; filename*=UTF-8''a%01b%2F..%C3%A9"),
        );
        assert_eq!(extended_filename(&headers).as_deref(), Some("a\u{1}b/..é"));
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("form-data; name=\"file\"; filename=\"plain.txt\""),
        );
        assert_eq!(extended_filename(&headers), None);
    }

    #[test]
    fn multipart_limit_is_the_files_and_the_form() {
        assert_eq!(multipart_body_limit(1000), 1000 * MAX_FILES_PER_REPLY + FORM_ALLOWANCE);
        assert_eq!(multipart_body_limit(usize::MAX), usize::MAX);
    }
}
