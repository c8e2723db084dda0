//! The command line: what Terraform (no arguments) or a person (`--help`, `--version`,
//! `docs`, `--debug`) can ask of the binary. Arguments are read as `OsString`s, so an
//! argument that is not UTF-8 is a usage error, never a panic.

use std::ffi::OsString;
use std::path::PathBuf;

/// The binary's name as users type it.
pub const BINARY: &str = "terraform-provider-platform";

/// This build's version, from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the binary was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve the plugin protocol: to Terraform, or with `debug` to a person's terminal.
    Serve {
        /// `--debug`: serve without Terraform's handshake and print `TF_REATTACH_PROVIDERS`.
        debug: bool,
    },
    /// `docs [--check] [--dir DIR]`: regenerate or check the registry docs.
    Docs {
        /// Only compare; write nothing.
        check: bool,
        /// Where the docs live.
        dir: PathBuf,
    },
    /// `docs --help`.
    DocsHelp,
    /// `--help`, `-h` or `help`.
    Help,
    /// `--version`, `-V` or `version`.
    Version,
}

/// A command line the binary cannot act on; the message says which argument and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// An argument that is not valid UTF-8.
    #[error("argument {position} (`{shown}`) is not valid UTF-8; every argument must be text")]
    NotUnicode {
        /// 1-based position after the program name.
        position: usize,
        /// The argument with invalid bytes replaced, for display.
        shown: String,
    },
    /// An argument the binary does not know.
    #[error("unknown argument `{0}`")]
    Unknown(String),
    /// An option given without its value.
    #[error("`{0}` needs a value")]
    MissingValue(&'static str),
}

/// `--help` for the binary as a whole.
pub const USAGE: &str = "\
terraform-provider-platform is a plugin for Terraform and OpenTofu: Terraform starts it
itself. Add `hostmatrix/platform` to your configuration's required_providers and run
`terraform init` rather than running it directly.

usage: terraform-provider-platform [COMMAND]

commands:
  (none)                 serve Terraform over the plugin protocol (Terraform does this)
  --debug                serve for a debugger and print the TF_REATTACH_PROVIDERS value
                         to attach Terraform with; stop it with Ctrl-C
  docs [--check] [--dir DIR]
                         regenerate the registry docs (see `docs --help`)
  --version, version     print the version
  --help, -h, help       print this help";

/// `docs --help`.
pub const DOCS_USAGE: &str = "usage: terraform-provider-platform docs [--check] [--dir DIR]

Generates the registry docs (index.md, resources/, data-sources/) into DIR (default `docs`)
from the schemas the provider serves, with examples from `./examples`. With --check, writes
nothing and exits 1 if any generated file is missing, out of date or extra.";

/// The `--version` line.
pub fn version_line() -> String {
    format!(
        "{BINARY} {VERSION} (plugin protocol 6, provider `hostmatrix/platform`)\n\
         commands: docs, --debug, --version, --help"
    )
}

/// Parses the arguments after the program name. `Err` carries whether the usage shown
/// should be the `docs` one.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, (UsageError, bool)> {
    let mut text = Vec::new();
    for (index, arg) in args.into_iter().enumerate() {
        match arg.into_string() {
            Ok(s) => text.push(s),
            Err(raw) => {
                let error = UsageError::NotUnicode {
                    position: index + 1,
                    shown: raw.to_string_lossy().into_owned(),
                };
                let for_docs = text.first().is_some_and(|a| a == "docs");
                return Err((error, for_docs));
            }
        }
    }
    let Some((first, rest)) = text.split_first() else {
        return Ok(Command::Serve { debug: false });
    };
    match first.as_str() {
        "docs" => parse_docs(rest).map_err(|e| (e, true)),
        "--help" | "-h" | "help" | "-help" => Ok(Command::Help),
        "--version" | "-V" | "version" | "-version" => Ok(Command::Version),
        "--debug" | "-debug" => match rest.first() {
            None => Ok(Command::Serve { debug: true }),
            Some(other) => Err((UsageError::Unknown(other.clone()), false)),
        },
        other => Err((UsageError::Unknown(other.to_string()), false)),
    }
}

fn parse_docs(args: &[String]) -> Result<Command, UsageError> {
    let mut check = false;
    let mut dir = PathBuf::from("docs");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--dir" => match rest.next() {
                Some(d) => dir = PathBuf::from(d),
                None => return Err(UsageError::MissingValue("--dir")),
            },
            "-h" | "--help" => return Ok(Command::DocsHelp),
            other => match other.strip_prefix("--dir=") {
                Some(d) => dir = PathBuf::from(d),
                None => return Err(UsageError::Unknown(other.to_string())),
            },
        }
    }
    Ok(Command::Docs { check, dir })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt as _;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn each_command_line_means_one_command() {
        let cases: &[(&[&str], Command)] = &[
            (&[], Command::Serve { debug: false }),
            (&["--debug"], Command::Serve { debug: true }),
            (&["-debug"], Command::Serve { debug: true }),
            (&["--help"], Command::Help),
            (&["-h"], Command::Help),
            (&["help"], Command::Help),
            (&["--version"], Command::Version),
            (&["version"], Command::Version),
            (&["-V"], Command::Version),
            (
                &["docs"],
                Command::Docs {
                    check: false,
                    dir: PathBuf::from("docs"),
                },
            ),
            (
                &["docs", "--check", "--dir", "out"],
                Command::Docs {
                    check: true,
                    dir: PathBuf::from("out"),
                },
            ),
            (
                &["docs", "--dir=x"],
                Command::Docs {
                    check: false,
                    dir: PathBuf::from("x"),
                },
            ),
            (&["docs", "--help"], Command::DocsHelp),
        ];
        for (input, want) in cases {
            assert_eq!(parse(args(input)).as_ref(), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn bad_command_lines_are_usage_errors() {
        let cases: &[(&[&str], UsageError, bool)] = &[
            (&["serve"], UsageError::Unknown("serve".into()), false),
            (&["--debug", "x"], UsageError::Unknown("x".into()), false),
            (&["docs", "--dir"], UsageError::MissingValue("--dir"), true),
            (
                &["docs", "--bogus"],
                UsageError::Unknown("--bogus".into()),
                true,
            ),
        ];
        for (input, error, for_docs) in cases {
            assert_eq!(
                parse(args(input)),
                Err((error.clone(), *for_docs)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn an_argument_that_is_not_utf8_is_a_usage_error() {
        let bad = OsString::from_vec(vec![b'-', b'-', 0xff, 0xfe]);
        let got = parse(vec![OsString::from("docs"), bad]);
        let Err((UsageError::NotUnicode { position, shown }, true)) = got else {
            panic!("want NotUnicode for docs, got {got:?}");
        };
        assert_eq!(position, 2);
        assert!(shown.starts_with("--"), "{shown}");
    }

    #[test]
    fn help_and_version_name_the_subcommands() {
        for text in [USAGE.to_string(), version_line()] {
            for command in ["docs", "--debug", "--version", "--help"] {
                assert!(text.contains(command), "{command} missing from: {text}");
            }
        }
        assert!(version_line().contains(VERSION));
        assert!(USAGE.contains("plugin for Terraform"));
    }
}
