//! Serving: pick a listener (unix socket, or TCP on loopback), wrap accepted connections in
//! TLS when AutoMTLS is on, print the handshake line, and serve until Shutdown.

use crate::protocol::go_plugin::{Controller, Health, Stdio};
use crate::protocol::handshake::{self, Address, HandshakeLine};
use crate::protocol::proto::{health, plugin, tfplugin6};
use crate::protocol::rpc::ProviderService;
use crate::protocol::tls;
use crate::provider::Platform;
use anyhow::Context as _;
use base64::Engine as _;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::SignalKind;
use tokio::sync::{Notify, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

/// How to serve.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Serve without the magic cookie and print `TF_REATTACH_PROVIDERS` for a debugger.
    pub debug: bool,
}

/// The provider's address in Terraform's registry.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/hostmatrix/platform";

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// An accepted connection, plain or TLS.
struct Conn(Box<dyn Io>);

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

enum Listener {
    Unix(UnixListener, std::path::PathBuf),
    Tcp(TcpListener),
}

/// Binds a unix socket in `PLUGIN_UNIX_SOCKET_DIR` (or the temp dir); falls back to TCP on
/// 127.0.0.1 within `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`. Never a public address.
fn bind() -> anyhow::Result<(Listener, Address)> {
    let dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("plugin{}{}", std::process::id(), nonce()));
    match UnixListener::bind(&path) {
        Ok(l) => {
            let addr = Address::Unix(path.to_string_lossy().into_owned());
            Ok((Listener::Unix(l, path), addr))
        }
        Err(e) => {
            tracing::debug!(error = %e, "unix socket unavailable, using TCP on loopback");
            let (lo, hi) = handshake::port_range(
                handshake::env_text("PLUGIN_MIN_PORT")?.as_deref(),
                handshake::env_text("PLUGIN_MAX_PORT")?.as_deref(),
            )
            .map_err(anyhow::Error::msg)?;
            for port in lo..=hi {
                if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
                    l.set_nonblocking(true)?;
                    let l = TcpListener::from_std(l)?;
                    let addr = Address::Tcp(l.local_addr()?);
                    return Ok((Listener::Tcp(l), addr));
                }
            }
            anyhow::bail!("could not bind a TCP port on 127.0.0.1 between {lo} and {hi}")
        }
    }
}

fn nonce() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Serves the provider until Terraform asks it to shut down.
pub async fn serve(platform: Arc<Platform>, opts: Options) -> anyhow::Result<()> {
    let version = if opts.debug {
        handshake::APP_PROTOCOL_VERSION
    } else {
        handshake::check_environment()?
    };
    let mtls = if opts.debug {
        None
    } else {
        tls::from_environment()?
    };
    let (listener, address) = bind().context("could not listen for Terraform")?;
    let socket_path = match &listener {
        Listener::Unix(_, p) => Some(p.clone()),
        Listener::Tcp(_) => None,
    };

    let (tx, rx) = mpsc::channel::<Result<Conn, std::io::Error>>(16);
    let acceptor = mtls.as_ref().map(|m| TlsAcceptor::from(m.config.clone()));
    tokio::spawn(accept_loop(listener, acceptor, tx));

    let shutdown = Arc::new(Notify::new());
    let server = tonic::transport::Server::builder()
        .add_service(
            tfplugin6::provider_server::ProviderServer::new(ProviderService::new(platform))
                .max_decoding_message_size(256 * 1024 * 1024)
                .max_encoding_message_size(256 * 1024 * 1024),
        )
        .add_service(plugin::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio))
        .add_service(health::health_server::HealthServer::new(Health));

    if opts.debug {
        // A person stops the debug server with Ctrl-C; Terraform never runs it.
        stop_on_signal(SignalKind::interrupt(), socket_path.clone());
    } else {
        ignore_interrupts();
    }
    stop_on_signal(SignalKind::terminate(), socket_path.clone());
    exit_with_parent();

    let line = HandshakeLine {
        version,
        address: address.clone(),
        server_cert: mtls
            .as_ref()
            .map(|m| base64::engine::general_purpose::STANDARD_NO_PAD.encode(&m.server_cert_der)),
    };
    if opts.debug {
        announce_debug(&address);
    } else {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    tracing::debug!(address = ?address, "serving");

    let stop = shutdown.clone();
    let result = server
        .serve_with_incoming_shutdown(ReceiverStream::new(rx), async move {
            stop.notified().await;
            tracing::debug!("shutting down");
            // Whatever is still in flight gets a moment, then the process goes.
            let path = socket_path.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if let Some(p) = path {
                    let _ = std::fs::remove_file(p);
                }
                std::process::exit(0);
            });
        })
        .await;
    if let Some(p) = &socket_path_of(&address) {
        let _ = std::fs::remove_file(p);
    }
    result.context("the gRPC server failed")
}

fn socket_path_of(address: &Address) -> Option<String> {
    match address {
        Address::Unix(p) => Some(p.clone()),
        Address::Tcp(_) => None,
    }
}

async fn accept_loop(
    listener: Listener,
    acceptor: Option<TlsAcceptor>,
    tx: mpsc::Sender<Result<Conn, std::io::Error>>,
) {
    loop {
        let stream: Box<dyn Io> = match &listener {
            Listener::Unix(l, _) => match l.accept().await {
                Ok((s, _)) => Box::new(s),
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            Listener::Tcp(l) => match l.accept().await {
                Ok((s, _)) => Box::new(s),
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        let tx = tx.clone();
        match &acceptor {
            None => {
                if tx.send(Ok(Conn(stream))).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                // Handshakes run on their own so one slow client cannot block the others.
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => {
                            let _ = tx.send(Ok(Conn(Box::new(tls)))).await;
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "refused a connection that did not present Terraform's client certificate")
                        }
                        Err(_) => tracing::warn!("TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

/// If Terraform dies without shutting us down, the provider is re-parented: it exits
/// rather than linger as an orphan holding Terraform's pipes.
fn exit_with_parent() {
    let parent = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            if std::os::unix::process::parent_id() != parent {
                tracing::warn!("Terraform went away without shutting the provider down; exiting");
                std::process::exit(0);
            }
        }
    });
}

/// On `kind`, removes the unix socket (whose directory outlives us) and exits, as the
/// default action of SIGTERM or SIGINT would, but without leaving the socket behind.
fn stop_on_signal(kind: SignalKind, socket: Option<std::path::PathBuf>) {
    match tokio::signal::unix::signal(kind) {
        Ok(mut sig) => {
            tokio::spawn(async move {
                if sig.recv().await.is_some() {
                    tracing::debug!(signal = kind.as_raw_value(), "stopping on signal");
                    if let Some(path) = &socket {
                        let _ = std::fs::remove_file(path);
                    }
                    std::process::exit(0);
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot handle signal {}", kind.as_raw_value()),
    }
}

/// Terraform sends StopProvider on Ctrl-C; the signal itself must not kill us mid-apply.
fn ignore_interrupts() {
    if let Ok(mut sig) = tokio::signal::unix::signal(SignalKind::interrupt()) {
        tokio::spawn(async move {
            let mut count = 0u64;
            while sig.recv().await.is_some() {
                count += 1;
                tracing::trace!(
                    count,
                    "ignoring SIGINT; Terraform sends StopProvider instead"
                );
            }
        });
    }
}

/// The `TF_REATTACH_PROVIDERS` value for a server in debug mode.
pub fn reattach_value(address: &Address) -> String {
    let (network, string) = match address {
        Address::Unix(p) => ("unix", p.clone()),
        Address::Tcp(a) => ("tcp", a.to_string()),
    };
    serde_json::json!({
        PROVIDER_ADDRESS: {
            "Protocol": "grpc",
            "ProtocolVersion": handshake::APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": network, "String": string }
        }
    })
    .to_string()
}

fn announce_debug(address: &Address) {
    let value = reattach_value(address);
    // Debug mode is for a person at a terminal; stdout still stays clean.
    let _ = writeln!(
        std::io::stderr(),
        "Provider started in debug mode. To attach Terraform, run in another shell:\n\n\texport TF_REATTACH_PROVIDERS='{value}'\n"
    );
}
