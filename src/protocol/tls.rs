//! AutoMTLS as go-plugin does it: Terraform passes its client certificate in
//! `PLUGIN_CLIENT_CERT`; we answer with a fresh self-signed server certificate in the
//! handshake line and accept only a client that presents exactly Terraform's certificate.
//!
//! Terraform's certificate is a P-521/SHA-512 CA certificate, which stock WebPKI client
//! verification rejects; since the certificate is known byte for byte, we pin its DER and
//! still check the handshake signature with it.
//!
//! Start-up cost: Terraform starts the provider three times per plan and waits for each
//! handshake line, and aws-lc seeds its random generator from CPU jitter on first use
//! (about 20 ms of busy CPU per process). So everything that needs randomness — the server
//! key, the certificate's signature, the key exchange, the handshake signature, rustls's own
//! random bytes — uses ring, which reads the OS's random source; aws-lc only verifies
//! Terraform's P-521 signature (ring cannot) and runs the record ciphers, neither of which
//! draws random numbers.

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    ActiveKeyExchange, CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, SharedSecret,
    SupportedKxGroup,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::{Signer, SigningKey};
use rustls::{
    DigitallySignedStruct, DistinguishedName, NamedGroup, ServerConfig, SignatureAlgorithm,
    SignatureScheme,
};
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

/// The crypto provider: aws-lc-rs verifies signatures (P-521 among them) and runs the
/// ciphers; ring does everything that draws random numbers (see the module header).
fn crypto() -> Arc<CryptoProvider> {
    let aws_lc = rustls::crypto::aws_lc_rs::default_provider();
    Arc::new(CryptoProvider {
        cipher_suites: aws_lc.cipher_suites,
        kx_groups: vec![&RING_X25519, &RING_P256],
        signature_verification_algorithms: aws_lc.signature_verification_algorithms,
        secure_random: &OsRandom,
        key_provider: &RingKeys,
    })
}

/// Random bytes from the OS (through ring).
#[derive(Debug)]
struct OsRandom;

impl SecureRandom for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&SystemRandom::new(), buf).map_err(|_| GetRandomFailed)
    }
}

/// An ephemeral ECDH group of ring's.
#[derive(Debug)]
struct RingKx {
    name: NamedGroup,
    algorithm: &'static ring::agreement::Algorithm,
}

/// X25519, which Terraform (Go's TLS) offers a key share for.
static RING_X25519: RingKx = RingKx {
    name: NamedGroup::X25519,
    algorithm: &ring::agreement::X25519,
};
/// P-256, for clients that offer no X25519.
static RING_P256: RingKx = RingKx {
    name: NamedGroup::secp256r1,
    algorithm: &ring::agreement::ECDH_P256,
};

impl SupportedKxGroup for RingKx {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let private =
            ring::agreement::EphemeralPrivateKey::generate(self.algorithm, &SystemRandom::new())
                .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
        let public = private
            .compute_public_key()
            .map_err(|_| rustls::Error::General("key exchange: no public key".into()))?;
        Ok(Box::new(RingKeyExchange {
            name: self.name,
            algorithm: self.algorithm,
            public: public.as_ref().to_vec(),
            private,
        }))
    }

    fn name(&self) -> NamedGroup {
        self.name
    }
}

/// One side of a key exchange in progress.
struct RingKeyExchange {
    name: NamedGroup,
    algorithm: &'static ring::agreement::Algorithm,
    public: Vec<u8>,
    private: ring::agreement::EphemeralPrivateKey,
}

impl ActiveKeyExchange for RingKeyExchange {
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, rustls::Error> {
        let peer = ring::agreement::UnparsedPublicKey::new(self.algorithm, peer_pub_key);
        ring::agreement::agree_ephemeral(self.private, &peer, |secret| SharedSecret::from(secret))
            .map_err(|_| rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::InvalidKeyShare))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        self.name
    }
}

/// Loads the server's own key, a PKCS#8 P-256 key from [`generate_server_cert`], into ring.
#[derive(Debug)]
struct RingKeys;

impl KeyProvider for RingKeys {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        let PrivateKeyDer::Pkcs8(pkcs8) = key_der else {
            return Err(rustls::Error::General(
                "the server key must be PKCS#8".into(),
            ));
        };
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            pkcs8.secret_pkcs8_der(),
            &SystemRandom::new(),
        )
        .map_err(|e| rustls::Error::General(format!("the server key: {e}")))?;
        Ok(Arc::new(RingP256Key(Arc::new(key))))
    }
}

/// The server's P-256 key, signing handshakes with ring.
#[derive(Debug, Clone)]
struct RingP256Key(Arc<EcdsaKeyPair>);

impl SigningKey for RingP256Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP256_SHA256)
            .then(|| Box::new(self.clone()) as Box<dyn Signer>)
    }

    fn public_key(&self) -> Option<rustls::pki_types::SubjectPublicKeyInfoDer<'_>> {
        Some(rustls::sign::public_key_to_spki(
            &rustls::pki_types::alg_id::ECDSA_P256,
            self.0.public_key(),
        ))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
}

impl Signer for RingP256Key {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.0
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| rustls::Error::General("could not sign the handshake".into()))
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
    }
}

/// The server key as rcgen signs the certificate with it.
struct CertKey<'a>(&'a EcdsaKeyPair);

impl rcgen::PublicKeyData for CertKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.public_key().as_ref()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for CertKey<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.0
            .sign(&SystemRandom::new(), msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| rcgen::Error::RingUnspecified)
    }
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
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
    };
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .map_err(|_| rcgen::Error::RingUnspecified)?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|e| rcgen::Error::RingKeyRejected(e.to_string()))?;
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
    let cert = params.self_signed(&CertKey(&key))?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.as_ref().to_vec()));
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
    fn the_server_key_signs_what_aws_lc_verifies() {
        let (cert, key) = generate_server_cert().unwrap();
        let PrivateKeyDer::Pkcs8(pkcs8) = &key else {
            panic!("PKCS#8 key")
        };
        let public = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            pkcs8.secret_pkcs8_der(),
            &SystemRandom::new(),
        )
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
        assert!(
            cert.windows(public.len()).any(|w| w == public),
            "the certificate carries the key's public point"
        );
        let provider = crypto();
        let signing = provider.key_provider.load_private_key(key).unwrap();
        let signer = signing
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
            .expect("P-256 scheme");
        let message = b"TLS 1.3, server CertificateVerify";
        let signature = signer.sign(message).unwrap();
        let (_, verifiers) = provider
            .signature_verification_algorithms
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == SignatureScheme::ECDSA_NISTP256_SHA256)
            .expect("aws-lc verifies P-256");
        verifiers[0]
            .verify_signature(&public, message, &signature)
            .expect("aws-lc verifies ring's handshake signature");
        assert!(
            verifiers[0]
                .verify_signature(&public, b"another message", &signature)
                .is_err()
        );
        // An offer without P-256 gets no signer rather than a wrong one.
        assert!(signing.choose_scheme(&[SignatureScheme::ED25519]).is_none());
    }

    #[test]
    fn key_exchange_agrees_on_a_secret() {
        for group in crypto().kx_groups.clone() {
            let ours = group.start().unwrap();
            let theirs = group.start().unwrap();
            let (our_public, their_public) = (ours.pub_key().to_vec(), theirs.pub_key().to_vec());
            assert_ne!(our_public, their_public);
            let a = ours.complete(&their_public).unwrap();
            let b = theirs.complete(&our_public).unwrap();
            assert_eq!(a.secret_bytes(), b.secret_bytes(), "{:?}", group.name());
            assert!(
                group.start().unwrap().complete(b"not a key").is_err(),
                "{:?}",
                group.name()
            );
        }
    }

    #[test]
    fn offers_x25519_first_and_random_bytes_vary() {
        let provider = crypto();
        assert_eq!(provider.kx_groups[0].name(), NamedGroup::X25519);
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        provider.secure_random.fill(&mut a).unwrap();
        provider.secure_random.fill(&mut b).unwrap();
        assert_ne!(a, b);
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
