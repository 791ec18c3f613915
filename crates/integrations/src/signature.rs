//! The Standard Webhooks signature: `v1,<base64 of HMAC-SHA256 over "id.timestamp.body">`, keyed with the
//! bytes of the endpoint's secret.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// A `whsec_` secret whose key is not base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a secret starting with whsec_ must go on with base64 (Standard Webhooks' form)")]
pub struct SecretError;

/// The signing key of a secret: `whsec_<base64>` is Standard Webhooks' form (the key is the decoded
/// bytes, as their libraries read it); any other text is used as it is.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, SecretError> {
    match secret.strip_prefix("whsec_") {
        Some(encoded) => STANDARD.decode(encoded).map_err(|_| SecretError),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// The `webhook-signature` header value for a message.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_verifies_what_we_sign() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"id":1,"type":"TicketClientCreated"}"#;
        let ts = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs(),
        )
        .expect("a timestamp");
        let signature = sign(&secret_key(secret).expect("base64"), "evt_1", ts, body);
        let verifier = standardwebhooks::Webhook::new(secret).expect("a secret");
        let mut headers = http::HeaderMap::new();
        headers.insert("webhook-id", "evt_1".parse().expect("header"));
        headers.insert("webhook-timestamp", ts.to_string().parse().expect("header"));
        headers.insert("webhook-signature", signature.parse().expect("header"));
        verifier
            .verify(body, &headers)
            .expect("the independent implementation accepts the signature");
    }

    #[test]
    fn plain_secrets_are_their_bytes_and_bad_base64_is_refused() {
        assert_eq!(secret_key("s3cret").expect("plain"), b"s3cret");
        assert_eq!(secret_key("whsec_!!"), Err(SecretError));
    }
}
