//! Protocol tests against the built binary: the handshake, AutoMTLS refusal, Shutdown,
//! StopProvider during a slow call, and malformed values.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use terraform_provider_platform::protocol::handshake::MAGIC_COOKIE_VALUE;
use terraform_provider_platform::protocol::proto::{plugin, tfplugin6 as tf};
use tonic::transport::{Channel, Endpoint};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

/// A provider process started the way Terraform starts it.
struct Plugin {
    child: Child,
    line: String,
}

impl Plugin {
    fn start(extra_env: &[(&str, &str)]) -> Plugin {
        let mut cmd = Command::new(BIN);
        cmd.env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("PLUGIN_CLIENT_CERT")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start provider");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read handshake");
        Plugin {
            child,
            line: line.trim_end().to_string(),
        }
    }

    fn fields(&self) -> Vec<String> {
        self.line.split('|').map(str::to_string).collect()
    }

    fn socket(&self) -> String {
        let f = self.fields();
        assert_eq!(f[2], "unix", "handshake: {}", self.line);
        f[3].clone()
    }

    async fn channel(&self) -> Channel {
        let path = self.socket();
        Endpoint::try_from("http://[::1]:1")
            .unwrap()
            .connect_with_connector(tower::service_fn(move |_| {
                let path = path.clone();
                async move {
                    let s = tokio::net::UnixStream::connect(path).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
                }
            }))
            .await
            .expect("connect")
    }

    fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < within {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls one unary RPC by path with prost messages (no generated client code).
async fn call<Req, Resp>(ch: Channel, path: &'static str, req: Req) -> Result<Resp, tonic::Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
    grpc.unary(
        tonic::Request::new(req),
        http::uri::PathAndQuery::from_static(path),
        codec,
    )
    .await
    .map(|r| r.into_inner())
}

#[test]
fn refuses_to_run_without_the_cookie() {
    let out = Command::new(BIN)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {:?}",
        out.stdout
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("plugin for Terraform"), "{err}");
}

#[test]
fn handshake_line_is_the_only_stdout() {
    let mut p = Plugin::start(&[]);
    let f = p.fields();
    assert_eq!(&f[..3], ["1", "6", "unix"]);
    assert_eq!(f[4], "grpc");
    assert_eq!(f[5], "", "no certificate without AutoMTLS");
    assert!(std::path::Path::new(&f[3]).exists());
    // Nothing else ever reaches stdout.
    let _ = p.child.kill();
    let mut rest = String::new();
    if let Some(mut out) = p.child.stdout.take() {
        out.read_to_string(&mut rest).unwrap();
    }
    assert!(rest.is_empty());
}

#[test]
fn honours_the_socket_dir_and_tcp_port_range() {
    let dir = tempfile::tempdir().unwrap();
    let p = Plugin::start(&[("PLUGIN_UNIX_SOCKET_DIR", dir.path().to_str().unwrap())]);
    assert!(
        p.socket().starts_with(dir.path().to_str().unwrap()),
        "{}",
        p.line
    );
    drop(p);
    // An unusable socket directory falls back to TCP on loopback within the range.
    let p = Plugin::start(&[
        ("PLUGIN_UNIX_SOCKET_DIR", "/nonexistent/dir"),
        ("PLUGIN_MIN_PORT", "41000"),
        ("PLUGIN_MAX_PORT", "41100"),
    ]);
    let f = p.fields();
    assert_eq!(f[2], "tcp", "{}", p.line);
    let addr: std::net::SocketAddr = f[3].parse().unwrap();
    assert!(addr.ip().is_loopback());
    assert!((41000..=41100).contains(&addr.port()));
}

#[tokio::test]
async fn shutdown_makes_the_process_exit() {
    let mut p = Plugin::start(&[]);
    let ch = p.channel().await;
    let _: plugin::Empty = call(ch, "/plugin.GRPCController/Shutdown", plugin::Empty {})
        .await
        .unwrap();
    let status = p
        .wait_exit(Duration::from_secs(3))
        .expect("exited promptly");
    assert!(status.success());
    assert!(
        !std::path::Path::new(&p.socket()).exists(),
        "socket removed"
    );
}

#[tokio::test]
async fn health_service_reports_plugin_serving() {
    use terraform_provider_platform::protocol::proto::health;
    let p = Plugin::start(&[]);
    let resp: health::HealthCheckResponse = call(
        p.channel().await,
        "/grpc.health.v1.Health/Check",
        health::HealthCheckRequest {
            service: "plugin".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        resp.status,
        health::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn malformed_dynamic_value_is_a_diagnostic_and_the_server_lives_on() {
    let p = Plugin::start(&[]);
    let ch = p.channel().await;
    for garbage in [
        vec![0xc1u8],
        vec![0x81, 0xa4],
        vec![0xdd, 0xff, 0xff, 0xff, 0xff],
    ] {
        let resp: tf::plan_resource_change::Response = call(
            ch.clone(),
            "/tfplugin6.Provider/PlanResourceChange",
            tf::plan_resource_change::Request {
                type_name: "platform_environment".into(),
                config: Some(tf::DynamicValue {
                    msgpack: garbage,
                    json: vec![],
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(resp.diagnostics.len(), 1);
        assert_eq!(resp.diagnostics[0].summary, "Invalid Value From Terraform");
    }
    let meta: tf::get_metadata::Response = call(
        ch,
        "/tfplugin6.Provider/GetMetadata",
        tf::get_metadata::Request {},
    )
    .await
    .unwrap();
    assert!(
        meta.resources
            .iter()
            .any(|r| r.type_name == "platform_environment")
    );
}

#[tokio::test]
async fn unimplemented_rpcs_answer_instead_of_hanging() {
    let p = Plugin::start(&[]);
    let ch = p.channel().await;
    let r: Result<tf::get_functions::Response, _> = call(
        ch.clone(),
        "/tfplugin6.Provider/GetFunctions",
        tf::get_functions::Request {},
    )
    .await;
    assert!(r.unwrap().functions.is_empty());
    let r: Result<tf::open_ephemeral_resource::Response, _> = tokio::time::timeout(
        Duration::from_secs(5),
        call(
            ch.clone(),
            "/tfplugin6.Provider/OpenEphemeralResource",
            tf::open_ephemeral_resource::Request::default(),
        ),
    )
    .await
    .expect("answered in time");
    assert_eq!(r.unwrap_err().code(), tonic::Code::Unimplemented);
    // A data source type this provider does not have is a diagnostic, not a status.
    let r: tf::read_data_source::Response = call(
        ch,
        "/tfplugin6.Provider/ReadDataSource",
        tf::read_data_source::Request {
            type_name: "platform_nope".into(),
            ..Default::default()
        },
    )
    .await
    .expect("answered");
    assert!(
        r.diagnostics[0].detail.contains("platform_hosting_matrix"),
        "{:?}",
        r.diagnostics
    );
}

/// A TCP server that accepts connections and never answers: an AWS endpoint that hangs.
fn black_hole() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    (l, url)
}

#[tokio::test]
async fn stop_provider_cancels_a_slow_apply_and_keeps_serving() {
    use terraform_provider_platform::resources::Resource;
    use terraform_provider_platform::resources::environment::EnvironmentResource;
    use terraform_provider_platform::value::{Value, msgpack};

    let (_hole, url) = black_hole();
    let p = Plugin::start(&[("AWS_ENDPOINT_URL", url.as_str())]);
    let ch = p.channel().await;
    let resource = EnvironmentResource::new();
    let ty = resource.schema().block.value_type();
    let config = Value::object([
        ("name", Value::string("slow")),
        ("tier", Value::string("development")),
        ("region", Value::string("us-east-1")),
    ]);
    // Terraform sends every attribute of the schema; the ones not written are null.
    let terraform_provider_platform::value::Type::Object(object) = &ty else {
        unreachable!("a block's type is an object")
    };
    let config = Value::object(
        object
            .attrs
            .keys()
            .map(|k| (k.clone(), config.get(k).cloned().unwrap_or(Value::Null))),
    );
    let dv = |v: &Value| tf::DynamicValue {
        msgpack: msgpack::encode(v, &ty).unwrap(),
        json: vec![],
    };
    let _: tf::configure_provider::Response = call(
        ch.clone(),
        "/tfplugin6.Provider/ConfigureProvider",
        tf::configure_provider::Request::default(),
    )
    .await
    .unwrap();
    let plan: tf::plan_resource_change::Response = call(
        ch.clone(),
        "/tfplugin6.Provider/PlanResourceChange",
        tf::plan_resource_change::Request {
            type_name: "platform_environment".into(),
            prior_state: Some(dv(&Value::Null)),
            proposed_new_state: Some(dv(&config)),
            config: Some(dv(&config)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let apply = tokio::spawn(call::<_, tf::apply_resource_change::Response>(
        ch.clone(),
        "/tfplugin6.Provider/ApplyResourceChange",
        tf::apply_resource_change::Request {
            type_name: "platform_environment".into(),
            prior_state: Some(dv(&Value::Null)),
            planned_state: plan.planned_state,
            config: Some(dv(&config)),
            ..Default::default()
        },
    ));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !apply.is_finished(),
        "the apply should be stuck on the silent endpoint"
    );
    let started = Instant::now();
    let _: tf::stop_provider::Response = call(
        ch.clone(),
        "/tfplugin6.Provider/StopProvider",
        tf::stop_provider::Request {},
    )
    .await
    .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), apply)
        .await
        .expect("apply returned after StopProvider")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        resp.diagnostics[0].summary, "Operation Cancelled",
        "{:?}",
        resp.diagnostics
    );
    // The server keeps serving after a stop.
    let meta: tf::get_metadata::Response = call(
        ch,
        "/tfplugin6.Provider/GetMetadata",
        tf::get_metadata::Request {},
    )
    .await
    .unwrap();
    assert!(!meta.resources.is_empty());
}

/// A client presenting `cert`, pinning the server certificate from the handshake line.
mod mtls {
    use super::*;
    use base64::Engine as _;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{
        CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime,
    };
    use rustls::{DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    struct Pinned(Vec<u8>, Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for Pinned {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            if end_entity.as_ref() == self.0.as_slice() {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::General(
                    "unexpected server certificate".into(),
                ))
            }
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                m,
                c,
                d,
                &self.1.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                m,
                c,
                d,
                &self.1.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.1.signature_verification_algorithms.supported_schemes()
        }
    }

    /// A P-521 / SHA-512 CA certificate like the one Terraform makes.
    pub fn terraform_like_cert() -> (String, Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), cert.der().to_vec(), key.serialize_der())
    }

    async fn connect(p: &Plugin, client: Option<(Vec<u8>, Vec<u8>)>) -> Result<Channel, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&p.fields()[5])
            .unwrap();
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned(server_cert, provider)));
        let mut config = match client {
            Some((cert, key)) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from(cert)],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
                )
                .unwrap(),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let path = p.socket();
        Endpoint::try_from("http://[::1]:1")
            .unwrap()
            .connect_with_connector(tower::service_fn(move |_| {
                let (path, connector) = (path.clone(), connector.clone());
                async move {
                    let s = tokio::net::UnixStream::connect(path).await?;
                    let tls = connector
                        .connect(ServerName::try_from("localhost").unwrap(), s)
                        .await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
                }
            }))
            .await
            .map_err(|e| e.to_string())
    }

    async fn metadata(ch: Channel) -> Result<tf::get_metadata::Response, tonic::Status> {
        call(
            ch,
            "/tfplugin6.Provider/GetMetadata",
            tf::get_metadata::Request {},
        )
        .await
    }

    #[tokio::test]
    async fn accepts_only_terraforms_certificate() {
        let (pem, der, key) = terraform_like_cert();
        let p = Plugin::start(&[("PLUGIN_CLIENT_CERT", pem.as_str())]);
        assert!(
            !p.fields()[5].is_empty(),
            "server certificate in the handshake: {}",
            p.line
        );

        let ok = connect(&p, Some((der, key)))
            .await
            .expect("pinned client connects");
        assert!(metadata(ok).await.is_ok(), "the pinned client is served");

        let refused_without = match connect(&p, None).await {
            Err(_) => true,
            Ok(ch) => metadata(ch).await.is_err(),
        };
        assert!(refused_without, "a client without a certificate is refused");

        let (_, other_der, other_key) = terraform_like_cert();
        let refused_other = match connect(&p, Some((other_der, other_key))).await {
            Err(_) => true,
            Ok(ch) => metadata(ch).await.is_err(),
        };
        assert!(
            refused_other,
            "a client with another certificate is refused"
        );
    }
}

#[tokio::test]
async fn sigint_is_ignored() {
    let p = Plugin::start(&[]);
    let status = Command::new("kill")
        .args(["-INT", &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let meta: tf::get_metadata::Response = call(
        p.channel().await,
        "/tfplugin6.Provider/GetMetadata",
        tf::get_metadata::Request {},
    )
    .await
    .expect("still serving after SIGINT");
    assert!(!meta.resources.is_empty());
}

#[test]
fn debug_mode_serves_without_the_cookie_and_prints_the_reattach_value() {
    let mut child = Command::new(BIN)
        .arg("--debug")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut text = String::new();
    let started = Instant::now();
    while !text.contains("TF_REATTACH_PROVIDERS") && started.elapsed() < Duration::from_secs(10) {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        text.push_str(&line);
    }
    let _ = child.kill();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let _ = child.wait();
    assert!(out.is_empty(), "stdout stays clean in debug mode: {out}");
    let json = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("export TF_REATTACH_PROVIDERS='"))
        .and_then(|l| l.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no reattach value in: {text}"));
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let entry = &v["registry.terraform.io/hostmatrix/platform"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert!(
        std::path::Path::new(entry["Addr"]["String"].as_str().unwrap()).exists()
            || entry["Addr"]["Network"] == "tcp"
    );
}

#[test]
fn exits_when_terraform_dies_without_shutting_it_down() {
    // A parent shell starts the provider and is killed; the provider must not linger.
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(format!("'{BIN}' & echo $!; wait"))
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(parent.stdout.take().unwrap());
    let mut pid = String::new();
    out.read_line(&mut pid).unwrap();
    let pid = pid.trim().to_string();
    let mut handshake = String::new();
    out.read_line(&mut handshake).unwrap();
    assert!(handshake.starts_with("1|6|"), "{handshake}");
    parent.kill().unwrap();
    let _ = parent.wait();
    let proc_dir = format!("/proc/{pid}");
    let started = Instant::now();
    while std::path::Path::new(&proc_dir).exists() && started.elapsed() < Duration::from_secs(5) {
        // A zombie still has a /proc entry; check its state.
        let stat = std::fs::read_to_string(format!("{proc_dir}/stat")).unwrap_or_default();
        if stat.contains(") Z") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let stat = std::fs::read_to_string(format!("{proc_dir}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "provider {pid} still running: {stat}"
    );
}
