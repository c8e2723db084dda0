//! The binary as a person or a hostile environment meets it: `--help` / `--version`,
//! arguments and environment variables that are not UTF-8, a `PLUGIN_CLIENT_CERT` that
//! cannot be used (fail closed, never plaintext), and `--debug` stopped by a signal.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt as _;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use terraform_provider_platform::protocol::handshake::MAGIC_COOKIE_VALUE;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

/// The exit code Rust gives a panicking `main`.
const PANIC_EXIT: i32 = 101;

/// Runs `cmd` to completion, killing it after `within` (a provider that serves instead
/// of refusing would otherwise never exit).
fn run_bounded(cmd: &mut Command, within: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start provider");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed() < within {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

/// A provider started the way Terraform starts it, with `env` on top.
fn as_terraform(env: &[(&OsStr, &OsStr)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_and_version_print_the_version_and_the_commands() {
    for arg in ["--help", "-h", "help", "--version", "version", "-V"] {
        let out = run_bounded(
            Command::new(BIN)
                .arg(arg)
                .env_remove("TF_PLUGIN_MAGIC_COOKIE"),
            Duration::from_secs(10),
        );
        assert_eq!(out.status.code(), Some(0), "{arg}: {out:?}");
        let stdout = text(&out.stdout);
        for command in ["docs", "--debug", "--version", "--help"] {
            assert!(
                stdout.contains(command),
                "{arg} lists `{command}`: {stdout}"
            );
        }
        if arg.contains("version") || arg == "-V" {
            assert!(
                stdout.contains(env!("CARGO_PKG_VERSION")),
                "{arg} prints the version: {stdout}"
            );
        } else {
            assert!(
                stdout.contains("plugin for Terraform"),
                "{arg} says what the binary is: {stdout}"
            );
        }
    }
}

#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error_not_a_panic() {
    for args in [
        vec![OsStr::from_bytes(b"\xff\xfe")],
        vec![OsStr::new("docs"), OsStr::from_bytes(b"--dir=\xc3\x28")],
    ] {
        let out = run_bounded(Command::new(BIN).args(&args), Duration::from_secs(10));
        let stderr = text(&out.stderr);
        assert_ne!(out.status.code(), Some(PANIC_EXIT), "panicked: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("not valid UTF-8"), "{stderr}");
        assert!(out.stdout.is_empty(), "stdout stays empty: {out:?}");
    }
}

#[test]
fn environment_variables_that_are_not_utf8_never_panic() {
    let bad = OsStr::from_bytes(b"\xff\xfe\xfd");
    // One Terraform sets: refused with its name.
    let out = run_bounded(
        &mut as_terraform(&[(OsStr::new("PLUGIN_PROTOCOL_VERSIONS"), bad)]),
        Duration::from_secs(10),
    );
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(PANIC_EXIT), "panicked: {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`PLUGIN_PROTOCOL_VERSIONS` is not valid UTF-8"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no handshake: {out:?}");

    // Ones the provider only reads in passing (logging, an unrelated variable, AWS):
    // it still serves.
    let mut cmd = as_terraform(&[
        (OsStr::new("TF_LOG"), bad),
        (OsStr::new("SOME_VARIABLE"), bad),
        (OsStr::new("AWS_REGION"), bad),
    ]);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("1|6|"), "serves: {line:?}");
}

#[test]
fn an_unusable_client_certificate_stops_the_provider_instead_of_serving_plaintext() {
    let cases: [(&str, &OsStr); 4] = [
        (
            "not UTF-8",
            OsStr::from_bytes(b"-----BEGIN CERTIFICATE-----\n\xff\xfe\n"),
        ),
        ("not PEM", OsStr::new("certainly not a certificate")),
        (
            "PEM but not a certificate",
            OsStr::new(
                "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
            ),
        ),
        ("blank", OsStr::new("   ")),
    ];
    for (what, cert) in cases {
        let out = run_bounded(
            &mut as_terraform(&[(OsStr::new("PLUGIN_CLIENT_CERT"), cert)]),
            Duration::from_secs(10),
        );
        let stderr = text(&out.stderr);
        assert!(
            out.stdout.is_empty(),
            "{what}: no handshake line, so Terraform cannot connect in plaintext: {}",
            text(&out.stdout)
        );
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{what}: one line: {stderr}"
        );
        assert!(
            stderr.contains("PLUGIN_CLIENT_CERT") && stderr.contains("refusing"),
            "{what}: {stderr}"
        );
    }
}

#[test]
fn plaintext_only_when_terraform_did_not_ask_for_tls() {
    for cert in [None, Some("")] {
        let mut cmd = as_terraform(&[]);
        if let Some(c) = cert {
            cmd.env("PLUGIN_CLIENT_CERT", c);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        let fields: Vec<&str> = line.trim_end().split('|').collect();
        assert_eq!(fields.len(), 6, "{cert:?}: {line}");
        assert_eq!(fields[5], "", "{cert:?}: no server certificate: {line}");
    }
}

/// Starts `--debug` and returns the process and its unix socket path.
// The paths that panic end the test process, which reaps the child; every other path
// either returns the child to a caller that waits on it or kills and waits here.
#[allow(clippy::zombie_processes)]
fn start_debug() -> (Child, String) {
    let dir = std::env::temp_dir().join(format!("debug-socket-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(BIN)
        .arg("--debug")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env("PLUGIN_UNIX_SOCKET_DIR", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    let mut seen = String::new();
    while started.elapsed() < Duration::from_secs(10) {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
        if let Some(json) = line
            .trim()
            .strip_prefix("export TF_REATTACH_PROVIDERS='")
            .and_then(|l| l.strip_suffix('\''))
        {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            let addr = &v["registry.terraform.io/hostmatrix/platform"]["Addr"];
            assert_eq!(addr["Network"], "unix", "{json}");
            let path = addr["String"].as_str().unwrap().to_string();
            // Keep draining stderr so the provider never blocks on a full pipe.
            std::thread::spawn(move || {
                let _ = err.read_to_end(&mut Vec::new());
            });
            return (child, path);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("no reattach value in: {seen}");
}

#[test]
fn debug_mode_removes_its_socket_when_stopped_by_a_signal() {
    for signal in ["TERM", "INT"] {
        let (mut child, socket) = start_debug();
        assert!(std::path::Path::new(&socket).exists(), "{socket}");
        let status = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        let mut exited = None;
        while started.elapsed() < Duration::from_secs(5) {
            if let Some(s) = child.try_wait().unwrap() {
                exited = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(exited.is_some(), "SIG{signal} stops the debug server");
        assert!(
            !std::path::Path::new(&socket).exists(),
            "SIG{signal} leaves {socket} behind"
        );
    }
}
