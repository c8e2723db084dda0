//! The provider binary: serve Terraform (or a debugger with `--debug`), or regenerate the
//! registry docs with `docs [--check] [--dir DIR]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use terraform_provider_platform::docs;
use terraform_provider_platform::protocol::{logging, serve};
use terraform_provider_platform::provider::Platform;

const DOCS_USAGE: &str = "usage: terraform-provider-platform docs [--check] [--dir DIR]

Generates the registry docs (index.md, resources/, data-sources/) into DIR (default `docs`)
from the schemas the provider serves, with examples from `./examples`. With --check, writes
nothing and exits 1 if any generated file is missing, out of date or extra.";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "docs") {
        return docs_command(&args[1..]);
    }
    let debug = args.iter().any(|a| a == "--debug" || a == "-debug");
    logging::init();
    match serve::serve(Arc::new(Platform::new()), serve::Options { debug }).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `docs [--check] [--dir DIR]`; everything goes to stderr.
fn docs_command(args: &[String]) -> ExitCode {
    let mut check = false;
    let mut dir = PathBuf::from("docs");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--dir" => match rest.next() {
                Some(d) => dir = PathBuf::from(d),
                None => return usage_error("`--dir` needs a directory"),
            },
            "-h" | "--help" => {
                eprintln!("{DOCS_USAGE}");
                return ExitCode::SUCCESS;
            }
            other => match other.strip_prefix("--dir=") {
                Some(d) => dir = PathBuf::from(d),
                None => return usage_error(&format!("unknown argument `{other}`")),
            },
        }
    }
    match run_docs(&dir, check) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{DOCS_USAGE}");
    ExitCode::from(2)
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
