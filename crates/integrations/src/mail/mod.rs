//! Email (SPEC §10): reading a received RFC 5322 message into what a ticket needs ([`parse`]), building
//! ferrodesk's own messages ([`build`]), sending them over SMTP ([`smtp`]) and fetching a mailbox over IMAP
//! ([`imap`]).

pub mod build;
pub mod imap;
pub mod parse;
pub mod smtp;

pub use tokio_rustls::rustls::pki_types::CertificateDer;

/// The certificates of a PEM file (`-----BEGIN CERTIFICATE-----` blocks; anything else in it is skipped):
/// certificate authorities a company's own mail servers use, trusted besides the system's roots.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certificates.is_empty() {
        return Err("the file has no PEM certificate".into());
    }
    Ok(certificates)
}
