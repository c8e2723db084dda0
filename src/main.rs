//! The provider binary: serve Terraform (or a debugger with `--debug`).

use std::process::ExitCode;
use std::sync::Arc;
use terraform_provider_platform::protocol::{logging, serve};
use terraform_provider_platform::provider::Platform;

#[tokio::main]
async fn main() -> ExitCode {
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    logging::init();
    match serve::serve(Arc::new(Platform::new()), serve::Options { debug }).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
