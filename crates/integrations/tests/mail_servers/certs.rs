//! A certificate authority made for one test run, and a server certificate it signed for `localhost`,
//! `127.0.0.1` and `::1`: dovecot serves it for imaps and STARTTLS, the SMTP sink for STARTTLS and smtps, and
//! the clients trust the authority as an extra root (never by turning verification off).
//!
//! Self-contained so that other test binaries can include it: `#[path = "…/mail_servers/certs.rs"] mod certs;`
//! (needs `rcgen` and `tokio-rustls`).
#![allow(dead_code)]

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use tokio_rustls::rustls::{
    ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
};

pub(crate) struct TestCa {
    /// The authority's certificate: the root a client trusts.
    pub(crate) root: CertificateDer<'static>,
    /// The server certificate and its key, in PEM for dovecot's `ssl_cert` and `ssl_key`.
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl TestCa {
    pub(crate) fn new() -> TestCa {
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "ferrodesk test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).expect("the CA certificate");

        let server_key = KeyPair::generate().expect("a server key");
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        let mut server_params = CertificateParams::new(names).expect("server parameters");
        server_params.distinguished_name.push(DnType::CommonName, "localhost");
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("the server certificate");

        TestCa {
            root: ca_cert.der().clone(),
            cert_pem: server_cert.pem(),
            key_pem: server_key.serialize_pem(),
            cert: server_cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
        }
    }

    /// A rustls server configuration presenting the server certificate (for the SMTP sink).
    pub(crate) fn server_config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], PrivateKeyDer::Pkcs8(self.key.clone_key()))
            .expect("a server configuration");
        Arc::new(config)
    }
}
