//! The go-plugin handshake: the checks Terraform and OpenTofu expect before a plugin
//! serves, and the one line on stdout that tells them where to connect.

use std::env;
use std::fmt;

/// Environment variable holding Terraform's magic cookie.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The cookie value every Terraform and OpenTofu release sets.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own protocol version.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol this provider speaks.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// Why the handshake cannot go ahead.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    /// The binary was run by a person, not by Terraform.
    #[error(
        "This binary is a plugin for Terraform and OpenTofu: add `hostmatrix/platform` to your configuration's required_providers and run `terraform init` instead of running it directly (`--help` lists what it does for a person)."
    )]
    NoCookie,
    /// A variable Terraform sets holds bytes that are not UTF-8, so it cannot be what
    /// Terraform wrote.
    #[error(
        "The environment variable `{0}` is not valid UTF-8, so it was not set by Terraform: unset it or set it to text."
    )]
    NotUnicode(&'static str),
    /// Terraform asked only for protocol versions this provider does not speak.
    #[error(
        "Terraform offered plugin protocol versions `{0}`, but this provider speaks only version 6: use Terraform ≥ 1.0 or OpenTofu ≥ 1.6."
    )]
    NoCommonVersion(String),
}

/// Checks the magic cookie and negotiates the protocol version from the environment.
pub fn check_environment() -> Result<u32, HandshakeError> {
    // A cookie that is not text is not the cookie: that is a person's shell, not Terraform.
    let cookie = env::var_os(MAGIC_COOKIE_KEY).and_then(|v| v.into_string().ok());
    check(
        cookie.as_deref(),
        env_text("PLUGIN_PROTOCOL_VERSIONS")?.as_deref(),
    )
}

/// The value of the environment variable `name`: `None` when unset, an error naming it
/// when it is set but not UTF-8 (never a panic, never silently "unset").
pub fn env_text(name: &'static str) -> Result<Option<String>, HandshakeError> {
    match env::var_os(name) {
        None => Ok(None),
        Some(value) => value
            .into_string()
            .map(Some)
            .map_err(|_| HandshakeError::NotUnicode(name)),
    }
}

/// The pure part of [`check_environment`].
pub fn check(cookie: Option<&str>, versions: Option<&str>) -> Result<u32, HandshakeError> {
    if cookie != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NoCookie);
    }
    match versions {
        // A client that sends no list expects the plugin's own version.
        None | Some("") => Ok(APP_PROTOCOL_VERSION),
        Some(list) => {
            let offered = list.split(',').map(str::trim);
            if offered
                .clone()
                .any(|v| v == APP_PROTOCOL_VERSION.to_string())
            {
                Ok(APP_PROTOCOL_VERSION)
            } else {
                Err(HandshakeError::NoCommonVersion(list.to_string()))
            }
        }
    }
}

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A unix socket path.
    Unix(String),
    /// A TCP address on loopback.
    Tcp(std::net::SocketAddr),
}

/// The single line printed on stdout.
#[derive(Debug, Clone)]
pub struct HandshakeLine {
    /// Negotiated app protocol version.
    pub version: u32,
    /// Listening address.
    pub address: Address,
    /// Base64 (standard alphabet, no padding) of the server certificate's DER, when AutoMTLS is on.
    pub server_cert: Option<String>,
}

impl fmt::Display for HandshakeLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (network, addr) = match &self.address {
            Address::Unix(p) => ("unix", p.clone()),
            Address::Tcp(a) => ("tcp", a.to_string()),
        };
        write!(
            f,
            "{CORE_PROTOCOL_VERSION}|{}|{network}|{addr}|grpc|{}",
            self.version,
            self.server_cert.as_deref().unwrap_or("")
        )
    }
}

/// Port range for the TCP fallback, from `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT`.
pub fn port_range(min: Option<&str>, max: Option<&str>) -> Result<(u16, u16), String> {
    let parse = |v: Option<&str>, name: &str| -> Result<u16, String> {
        match v {
            None | Some("") => Ok(0),
            Some(s) => s
                .trim()
                .parse::<u16>()
                .map_err(|_| format!("`{name}` is `{s}`, which is not a port number")),
        }
    };
    let lo = parse(min, "PLUGIN_MIN_PORT")?;
    let hi = parse(max, "PLUGIN_MAX_PORT")?;
    if lo > hi {
        return Err(format!(
            "`PLUGIN_MIN_PORT` ({lo}) is greater than `PLUGIN_MAX_PORT` ({hi})"
        ));
    }
    Ok((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_without_the_cookie() {
        assert_eq!(check(None, Some("6")), Err(HandshakeError::NoCookie));
        assert_eq!(
            check(Some("wrong"), Some("6")),
            Err(HandshakeError::NoCookie)
        );
    }

    #[test]
    fn negotiates_version_six() {
        let cases = [
            (Some("5,6"), Ok(6)),
            (Some("6"), Ok(6)),
            (None, Ok(6)),
            (Some("5"), Err(HandshakeError::NoCommonVersion("5".into()))),
        ];
        for (offered, want) in cases {
            assert_eq!(
                check(Some(MAGIC_COOKIE_VALUE), offered),
                want,
                "{offered:?}"
            );
        }
    }

    #[test]
    fn line_has_six_fields() {
        let line = HandshakeLine {
            version: 6,
            address: Address::Unix("/tmp/plugin1".into()),
            server_cert: Some("QUJD".into()),
        };
        assert_eq!(line.to_string(), "1|6|unix|/tmp/plugin1|grpc|QUJD");
        let tcp = HandshakeLine {
            version: 6,
            address: Address::Tcp("127.0.0.1:1234".parse().unwrap()),
            server_cert: None,
        };
        assert_eq!(tcp.to_string(), "1|6|tcp|127.0.0.1:1234|grpc|");
    }

    #[test]
    fn port_range_is_checked() {
        assert_eq!(port_range(None, None), Ok((0, 0)));
        assert_eq!(port_range(Some("10000"), Some("10010")), Ok((10000, 10010)));
        assert!(port_range(Some("10"), Some("5")).is_err());
        assert!(port_range(Some("x"), None).is_err());
    }
}
