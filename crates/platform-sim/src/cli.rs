//! Command-line parsing for `platform-sim`.

use std::net::SocketAddr;

use crate::state::Settings;

/// How to use the simulator, printed for `--help` and after usage errors.
pub const USAGE: &str = "\
platform-sim: a local simulator of the Fly.io Machines API and the Cloudflare v4 Workers API
(not the real services) for tests and demos of terraform-provider-platform.

Usage: platform-sim [OPTIONS]

Options:
  --listen ADDR              loopback address to bind [default: 127.0.0.1:0]
  --token TOKEN              bearer token both APIs accept; repeatable [default: sim-token]
  --fly-org SLUG             Fly organization apps may be created in; repeatable [default: personal]
  --zone ID=NAME             Cloudflare zone (32-hex ID and domain); repeatable
                             [default: 023e105f4ecef8ad9ca31a8372d0c353=example.com]
  --workers-subdomain NAME   workers.dev subdomain of every account [default: platform-sim]
  -h, --help                 print this help

Prints `listening on http://127.0.0.1:PORT` on stdout once ready. Fly base URL:
http://127.0.0.1:PORT/fly, Cloudflare base URL: http://127.0.0.1:PORT/cloudflare/client/v4,
test controls under http://127.0.0.1:PORT/_sim/.
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Print the usage.
    Help,
    /// Serve on `listen` with `settings`.
    Run {
        /// Address to bind.
        listen: SocketAddr,
        /// Tokens, orgs, zones and subdomain.
        settings: Settings,
    },
}

/// Why the command line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// An option this program does not have.
    #[error("unknown option `{0}`")]
    UnknownOption(String),
    /// An option given without its value.
    #[error("`{0}` needs a value")]
    MissingValue(String),
    /// `--listen` that is not a socket address.
    #[error("`--listen {0}` is not an address like 127.0.0.1:8080")]
    BadAddress(String),
    /// `--listen` on a non-loopback address.
    #[error("`--listen {0}` is not a loopback address; the simulator only binds loopback")]
    NotLoopback(String),
    /// `--zone` not in `ID=NAME` form with a 32-hex ID.
    #[error("`--zone {0}` must be ID=NAME with a 32-hex-digit zone ID")]
    BadZone(String),
    /// An empty token, org or subdomain.
    #[error("`{0}` must not be empty")]
    Empty(String),
}

/// Parse the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, CliError> {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut tokens = Vec::new();
    let mut orgs = Vec::new();
    let mut zones = Vec::new();
    let mut subdomain = None;

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        if ![
            "--listen",
            "--token",
            "--fly-org",
            "--zone",
            "--workers-subdomain",
        ]
        .contains(&flag.as_str())
        {
            return Err(CliError::UnknownOption(arg));
        }
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .ok_or_else(|| CliError::MissingValue(flag.clone()))?,
        };
        if value.is_empty() {
            return Err(CliError::Empty(flag));
        }
        match flag.as_str() {
            "--listen" => {
                let addr: SocketAddr = value
                    .parse()
                    .map_err(|_| CliError::BadAddress(value.clone()))?;
                if !addr.ip().is_loopback() {
                    return Err(CliError::NotLoopback(value));
                }
                listen = addr;
            }
            "--token" => tokens.push(value),
            "--fly-org" => orgs.push(value),
            "--zone" => {
                let (id, name) = value
                    .split_once('=')
                    .filter(|(id, name)| {
                        id.len() == 32
                            && id.bytes().all(|b| b.is_ascii_hexdigit())
                            && !name.is_empty()
                    })
                    .ok_or_else(|| CliError::BadZone(value.clone()))?;
                zones.push((id.to_ascii_lowercase(), name.to_owned()));
            }
            _ => subdomain = Some(value),
        }
    }

    let defaults = Settings::default();
    let settings = Settings {
        tokens: if tokens.is_empty() {
            defaults.tokens
        } else {
            tokens
        },
        fly_orgs: if orgs.is_empty() {
            defaults.fly_orgs
        } else {
            orgs
        },
        zones: if zones.is_empty() {
            defaults.zones
        } else {
            zones
        },
        workers_subdomain: subdomain.unwrap_or(defaults.workers_subdomain),
    };
    Ok(Command::Run { listen, settings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, CliError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn no_arguments_mean_the_defaults() {
        let Command::Run { listen, settings } = run(&[]).unwrap() else {
            panic!("expected run");
        };
        assert_eq!(listen.to_string(), "127.0.0.1:0");
        assert_eq!(settings, Settings::default());
    }

    #[test]
    fn options_are_read_in_both_forms_and_repeat() {
        let Command::Run { listen, settings } = run(&[
            "--listen",
            "[::1]:9000",
            "--token=a",
            "--token",
            "b",
            "--fly-org",
            "acme",
            "--zone",
            "ABCDEFABCDEFABCDEFABCDEFABCDEF12=corp.dev",
            "--workers-subdomain=acme",
        ])
        .unwrap() else {
            panic!("expected run");
        };
        assert_eq!(listen.to_string(), "[::1]:9000");
        assert_eq!(settings.tokens, ["a", "b"]);
        assert_eq!(settings.fly_orgs, ["acme"]);
        assert_eq!(
            settings.zones,
            [(
                "abcdefabcdefabcdefabcdefabcdef12".to_owned(),
                "corp.dev".to_owned()
            )]
        );
        assert_eq!(settings.workers_subdomain, "acme");
    }

    #[test]
    fn bad_command_lines_are_refused() {
        let cases: &[(&[&str], CliError)] = &[
            (
                &["--listen", "0.0.0.0:80"],
                CliError::NotLoopback("0.0.0.0:80".into()),
            ),
            (
                &["--listen", "localhost"],
                CliError::BadAddress("localhost".into()),
            ),
            (&["--token"], CliError::MissingValue("--token".into())),
            (&["--token="], CliError::Empty("--token".into())),
            (
                &["--zone", "abc=example.com"],
                CliError::BadZone("abc=example.com".into()),
            ),
            (&["--port", "1"], CliError::UnknownOption("--port".into())),
        ];
        for (args, want) in cases {
            assert_eq!(run(args).unwrap_err(), *want, "{args:?}");
        }
        assert_eq!(run(&["--token", "x", "-h"]).unwrap(), Command::Help);
    }
}
