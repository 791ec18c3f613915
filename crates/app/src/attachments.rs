//! Attachments of replies (SPEC §10): files sent with a reply are stored with it, in its transaction, under a
//! safe name and a content type fit to send back; a download shows a file exactly to those who see its reply.
use crate::{App, AppError, AppResult, Fields};
use domain::attachment::{Attachment, safe_filename};
use domain::{Principal, Reply, Timestamp};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use store::{NewAttachment, StoredAttachment, Writer};

/// The most files one reply carries.
pub const MAX_FILES_PER_REPLY: usize = 10;

/// The content type of a file that came without a usable one.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The longest content type kept (parameters included); a longer one is replaced by the default.
const MAX_CONTENT_TYPE_BYTES: usize = 255;

/// A file sent with a reply, as the edge received it: any name (made safe when stored), the type its sender
/// declared, if any, and the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub filename: String,
    pub content_type: Option<String>,
    pub content: Vec<u8>,
}

/// An attachment and its bytes, for a download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub attachment: Attachment,
    pub content: Vec<u8>,
}

/// The files' own rules, next to the reply's: how many one reply may carry.
pub(crate) fn check_files(fields: &mut Fields, files: &[NewFile]) {
    if files.len() > MAX_FILES_PER_REPLY {
        fields.add("file", format!("at most {MAX_FILES_PER_REPLY} files per reply"));
    }
}

/// `given` if it is a media type (`type/subtype`, parameters allowed) in printable ASCII of at most 255
/// bytes, lowercased where case does not matter; [`DEFAULT_CONTENT_TYPE`] otherwise. The value is sent back
/// as the download's `Content-Type` header, so it must be one.
pub fn clean_content_type(given: Option<&str>) -> String {
    let Some(given) = given.map(str::trim).filter(|v| !v.is_empty()) else {
        return DEFAULT_CONTENT_TYPE.to_owned();
    };
    let (essence, parameters) = given.split_once(';').unwrap_or((given, ""));
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let essence_ok = essence
        .trim()
        .split_once('/')
        .is_some_and(|(kind, subtype)| token(kind) && token(subtype));
    let printable = given.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if !essence_ok || !printable || given.len() > MAX_CONTENT_TYPE_BYTES {
        return DEFAULT_CONTENT_TYPE.to_owned();
    }
    let essence = essence.trim().to_ascii_lowercase();
    if parameters.trim().is_empty() {
        essence
    } else {
        format!("{essence};{parameters}")
    }
}

/// Lowercase hex SHA-256 of `bytes`: the key content is stored under.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Stores `files` as the attachments of the new `reply`, on its transaction.
pub(crate) async fn store_files(
    tx: &mut dyn Writer,
    reply: &Reply,
    files: Vec<NewFile>,
    at: Timestamp,
) -> AppResult<Vec<Attachment>> {
    let mut stored = Vec::with_capacity(files.len());
    for file in files {
        let filename = safe_filename(&file.filename);
        let content_type = clean_content_type(file.content_type.as_deref());
        let sha256 = sha256_hex(&file.content);
        let attachment = tx
            .insert_attachment(&NewAttachment {
                reply_id: reply.id,
                ticket_id: reply.owner_id,
                filename: &filename,
                content_type: &content_type,
                sha256: &sha256,
                content: &file.content,
                created_at: at,
            })
            .await?;
        stored.push(attachment);
    }
    Ok(stored)
}

/// Whether `p` sees the reply `a` belongs to: staff see every reply; an end user sees their own customer's
/// tickets and, on them, everything but internal notes.
fn may_see(p: &Principal, a: &StoredAttachment) -> bool {
    (p.is_staff() || !a.internal) && p.customer_scope().is_none_or(|c| c == a.customer_id)
}

impl App {
    /// An attachment and its content, for `p` who sees its reply; anyone else gets 404 (as for a reply).
    pub async fn download_attachment(&self, p: &Principal, id: i64) -> AppResult<Download> {
        let mut db = self.store().read().await?;
        let stored = db
            .attachment(id)
            .await?
            .filter(|a| may_see(p, a))
            .ok_or(AppError::NotFound)?;
        let content = db
            .attachment_content(&stored.attachment.sha256)
            .await?
            .ok_or_else(|| AppError::Internal(format!("the content of attachment {id} is missing")))?;
        Ok(Download {
            attachment: stored.attachment,
            content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_kept_when_they_are_media_types() {
        assert_eq!(clean_content_type(Some("image/png")), "image/png");
        assert_eq!(
            clean_content_type(Some(" Text/HTML; charset=UTF-8")),
            "text/html; charset=UTF-8"
        );
        assert_eq!(
            clean_content_type(Some(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            )),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        for bad in [
            None,
            Some(""),
            Some("png"),
            Some("image/"),
            Some("/png"),
            Some("image/png\r\nSet-Cookie: a=b"),
            Some("image/pngé"),
            Some("te xt/plain"),
        ] {
            assert_eq!(clean_content_type(bad), DEFAULT_CONTENT_TYPE, "{bad:?}");
        }
        let long = format!("text/plain; x={}", "a".repeat(300));
        assert_eq!(clean_content_type(Some(&long)), DEFAULT_CONTENT_TYPE);
    }

    #[test]
    fn digests_are_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn visibility_follows_the_reply() {
        let file = |internal: bool| StoredAttachment {
            attachment: Attachment {
                id: 1,
                filename: "a.txt".into(),
                content_type: "text/plain".into(),
                size: 1,
                sha256: sha256_hex(b"a"),
            },
            reply_id: 2,
            ticket_id: 3,
            internal,
            customer_id: 4,
        };
        let end_user = |customer_id: i64| Principal::EndUser {
            id: 9,
            customer_id,
            name: "Homer".into(),
        };
        let staff = Principal::System;
        assert!(may_see(&end_user(4), &file(false)));
        assert!(!may_see(&end_user(4), &file(true)), "an internal note's file");
        assert!(!may_see(&end_user(5), &file(false)), "another customer's file");
        assert!(may_see(&staff, &file(true)));
    }
}
