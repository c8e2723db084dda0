//! AutoMTLS as go-plugin does it: Terraform passes its client certificate in
//! `PLUGIN_CLIENT_CERT`; we answer with a fresh self-signed server certificate in the
//! handshake line and accept only a client that presents exactly Terraform's certificate.
//!
//! Terraform's certificate is a P-521/SHA-512 CA certificate, which stock WebPKI client
//! verification rejects; since the certificate is known byte for byte, we pin its DER and
//! still check the handshake signature with it.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use std::sync::Arc;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` did not hold a PEM certificate.
    #[error(
        "Terraform asked for TLS, but `PLUGIN_CLIENT_CERT` does not hold a PEM certificate ({0}); refusing to serve without TLS"
    )]
    BadClientCert(String),
    /// `PLUGIN_CLIENT_CERT` is set but is not text.
    #[error(
        "Terraform asked for TLS, but `PLUGIN_CLIENT_CERT` is not valid UTF-8, so it cannot hold a PEM certificate; refusing to serve without TLS"
    )]
    ClientCertNotUnicode,
    /// The server certificate could not be generated.
    #[error("could not generate the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("could not configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// A server certificate and the TLS configuration that pins the client's.
pub struct AutoMtls {
    /// The rustls configuration for accepted connections.
    pub config: Arc<ServerConfig>,
    /// The server certificate's DER, for the handshake line.
    pub server_cert_der: Vec<u8>,
}

/// The crypto provider: aws-lc-rs, which verifies P-521 signatures.
fn crypto() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The AutoMTLS configuration Terraform asked for, if it did. An unset or empty
/// `PLUGIN_CLIENT_CERT` (as go-plugin treats it) means plaintext; anything else must be a
/// certificate, or the provider refuses to start rather than fall back to plaintext.
pub fn from_environment() -> Result<Option<AutoMtls>, TlsError> {
    match std::env::var_os("PLUGIN_CLIENT_CERT") {
        None => Ok(None),
        Some(value) if value.is_empty() => Ok(None),
        Some(value) => {
            let pem = value
                .into_string()
                .map_err(|_| TlsError::ClientCertNotUnicode)?;
            auto_mtls(&pem).map(Some)
        }
    }
}

/// Builds the AutoMTLS configuration for a client certificate given as PEM.
pub fn auto_mtls(client_cert_pem: &str) -> Result<AutoMtls, TlsError> {
    let client = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| TlsError::BadClientCert(e.to_string()))?;
    if !is_certificate_der(client.as_ref()) {
        return Err(TlsError::BadClientCert(
            "its CERTIFICATE block is not an X.509 certificate".to_string(),
        ));
    }
    let (cert_der, key) = generate_server_cert()?;
    let provider = crypto();
    let verifier = Arc::new(PinnedClientCert {
        pinned: client.into_owned(),
        provider: provider.clone(),
    });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key)?;
    // grpc-go insists on ALPN `h2`.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(AutoMtls {
        config: Arc::new(config),
        server_cert_der: cert_der,
    })
}

/// True when `der` has the outer shape of an X.509 certificate: one SEQUENCE spanning
/// the whole input, holding two SEQUENCEs (to-be-signed part, algorithm) and a BIT STRING
/// (signature). Enough to tell a certificate from other base64 in a CERTIFICATE block.
fn is_certificate_der(der: &[u8]) -> bool {
    let Some((0x30, body, [])) = der_element(der) else {
        return false;
    };
    let mut rest = body;
    for want in [0x30, 0x30, 0x03] {
        match der_element(rest) {
            Some((tag, _, after)) if tag == want => rest = after,
            _ => return false,
        }
    }
    rest.is_empty()
}

/// One DER element at the start of `input`: its tag, its contents and what follows.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let length = bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (length, rest)
    };
    (rest.len() >= length).then(|| {
        let (contents, after) = rest.split_at(length);
        (tag, contents, after)
    })
}

/// A self-signed certificate for `localhost`, marked as a CA because go-plugin's client
/// trusts the handshake certificate as its only root.
pub fn generate_server_cert() -> Result<(Vec<u8>, PrivateKeyDer<'static>), TlsError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    };
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "terraform-provider-platform");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = time_now();
    params.not_before = now - std::time::Duration::from_secs(30);
    params.not_after = now + std::time::Duration::from_secs(60 * 60 * 24 * 365 * 30);
    let cert = params.self_signed(&key)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().to_vec(), key_der))
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Accepts exactly one client certificate, compared byte for byte.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_cert_is_a_localhost_ca() {
        let (der, _) = generate_server_cert().unwrap();
        // The DER must contain the `localhost` SAN and parse back as a certificate.
        assert!(der.windows(9).any(|w| w == b"localhost"));
    }

    #[test]
    fn rejects_pem_blocks_that_are_not_certificates() {
        let not_der = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        let key_only = "-----BEGIN PRIVATE KEY-----\naGVsbG8=\n-----END PRIVATE KEY-----\n";
        for pem in [not_der, key_only, "", "   "] {
            assert!(
                matches!(auto_mtls(pem), Err(TlsError::BadClientCert(_))),
                "{pem:?}"
            );
        }
        let (der, _) = generate_server_cert().unwrap();
        assert!(is_certificate_der(&der));
        assert!(!is_certificate_der(&der[..der.len() - 1]));
    }

    #[test]
    fn rejects_garbage_client_cert() {
        assert!(matches!(
            auto_mtls("not a certificate"),
            Err(TlsError::BadClientCert(_))
        ));
    }

    #[test]
    fn verifies_p521_signatures() {
        // Terraform signs with its P-521 key; the provider must offer that scheme.
        let schemes = crypto()
            .signature_verification_algorithms
            .supported_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}
