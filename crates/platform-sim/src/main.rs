//! `platform-sim`: a local, stateful simulator of the Fly.io Machines API and the
//! Cloudflare v4 Workers API — not the real services — for the provider's e2e tests
//! and demo, since neither platform ships an emulator and these machines are offline.
//!
//! Layout: `server` wires the routes and the edge (faults, auth, request log);
//! `fly` and `cloudflare` are the two APIs, with `guest` (Fly sizes) and `multipart`
//! (Worker uploads) beside them; `control` is the `/_sim` test API; `state` holds
//! the world; `auth`, `faults`, `ids` and `wire` are the shared pieces.
//! See `docs/simulator.md`.

mod access;
mod auth;
mod cli;
mod cloudflare;
mod control;
mod faults;
mod fly;
mod guest;
mod ids;
mod multipart;
mod pages;
mod server;
mod state;
mod vercel;
mod wire;

#[cfg(test)]
mod testing;

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::Command;
use crate::state::{Settings, Sim};

#[tokio::main]
async fn main() -> ExitCode {
    match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            eprint!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Ok(Command::Run { listen, settings }) => match serve(listen, settings).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("platform-sim: {e:#}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("platform-sim: {e}\n\n{}", cli::USAGE);
            ExitCode::from(2)
        }
    }
}

/// Bind, announce the address on stdout, and serve until SIGINT or SIGTERM.
async fn serve(listen: SocketAddr, settings: Settings) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot bind `{listen}`"))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    // The one line on stdout: test harnesses read it to learn the port.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}").context("cannot write to stdout")?;
    stdout.flush().context("cannot flush stdout")?;
    drop(stdout);

    axum::serve(listener, server::router(Sim::new(settings)))
        .with_graceful_shutdown(shutdown())
        .await
        .context("server failed")
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
