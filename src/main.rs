//! The provider binary: serve Terraform (or a debugger with `--debug`), regenerate the
//! registry docs with `docs [--check] [--dir DIR]`, or answer `--help` / `--version`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use terraform_provider_platform::cli::{self, Command};
use terraform_provider_platform::docs;
use terraform_provider_platform::protocol::{logging, serve};
use terraform_provider_platform::provider::Platform;

#[tokio::main]
async fn main() -> ExitCode {
    let command = match cli::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err((error, for_docs)) => {
            let usage = if for_docs {
                cli::DOCS_USAGE
            } else {
                cli::USAGE
            };
            eprintln!("error: {error}\n\n{usage}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => print_for_a_person(cli::USAGE),
        Command::Version => print_for_a_person(&cli::version_line()),
        Command::DocsHelp => print_for_a_person(cli::DOCS_USAGE),
        Command::Docs { check, dir } => match run_docs(&dir, check) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Serve { debug } => {
            logging::init();
            match serve::serve(Arc::new(Platform::new()), serve::Options { debug }).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `--help` and `--version` answer a person, who expects stdout (`… --help | less`). Stdout
/// is the handshake only while serving, which these never do.
#[allow(clippy::print_stdout)]
fn print_for_a_person(text: &str) -> ExitCode {
    println!("{text}");
    ExitCode::SUCCESS
}

fn run_docs(dir: &Path, check: bool) -> anyhow::Result<ExitCode> {
    let pages = docs::generate(&Platform::new(), Path::new("."))?;
    if check {
        let drift = docs::check(dir, &pages)?;
        if drift.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{} does not match the provider's schemas:", dir.display());
        for d in &drift {
            eprintln!("  {d}");
        }
        eprintln!("Regenerate with `cargo run -- docs` and commit the result.");
        return Ok(ExitCode::FAILURE);
    }
    let changed = docs::write(dir, &pages)?;
    for d in &changed {
        eprintln!("{d}");
    }
    eprintln!(
        "{}: {} generated files, {} changed",
        dir.display(),
        pages.len(),
        changed.len()
    );
    Ok(ExitCode::SUCCESS)
}
