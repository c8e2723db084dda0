//! Plumbing shared by the end-to-end tests: which Terraform binaries to run,
//! a moto_server (mock AWS) per test process, and throwaway Terraform working
//! directories wired to the provider binary under test through
//! `dev_overrides` (or to a CLI config the test writes); for tests that look
//! into moto, SDK clients of it ([`Aws`]) and a private server holding the
//! network a Fargate service needs ([`Cloud`]). It asserts nothing about the
//! provider.
//!
//! Tools come from `<repo>/.tools`, installed by `scripts/install-test-deps.sh`;
//! the harness runs that script itself when something is missing.
//!
//! ```ignore
//! mod harness;
//! use harness::{Workdir, terraform_versions};
//!
//! #[test]
//! fn creates_a_service() {
//!     for tf in terraform_versions() {
//!         let wd = Workdir::new(env!("CARGO_BIN_EXE_terraform-provider-platform"), MAIN_TF);
//!         wd.run(&tf, &["apply", "-auto-approve", "-no-color"]).expect_success();
//!         // ... inspect moto through harness::Moto::shared().endpoint()
//!     }
//! }
//! ```
//!
//! Environment knobs:
//! - `E2E_TERRAFORM`: comma-separated filter on the Terraform binaries, each
//!   item matching a version (`1.0.3`) or a substring of the path (`system`).
//! - `E2E_TERRAFORM_TIMEOUT_SECS`: per-command timeout (default 600).
//! - `E2E_REPO_ROOT`: repository root, when it cannot be derived from this file.
//! - `E2E_KEEP_WORKDIR=1`: keep each `Workdir` (its path is printed on drop).
//! - `TF_LOG`, `TF_LOG_CORE`, `TF_LOG_PROVIDER`, `TF_LOG_PATH` pass through to
//!   Terraform; every other inherited `TF_*` and `AWS_*` variable is dropped.
#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Provider source address the tests configure (`dev_overrides` key).
pub const PROVIDER_SOURCE: &str = "hostmatrix/platform";
/// Executable name Terraform looks for in the `dev_overrides` directory.
pub const PROVIDER_BINARY_NAME: &str = "terraform-provider-platform";
/// Fake AWS credentials and region handed to Terraform and the provider.
pub const AWS_ACCESS_KEY_ID: &str = "testing";
pub const AWS_SECRET_ACCESS_KEY: &str = "testing";
pub const AWS_REGION: &str = "us-east-1";

/// `terraform { required_providers { platform = ... } }`, for test configs.
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    platform = { source = "hostmatrix/platform" }
  }
}
"#;

// ------------------------------------------------------------------ tools

/// Repository root (the directory holding `scripts/install-test-deps.sh`).
pub fn repo_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        if let Some(dir) = std::env::var_os("E2E_REPO_ROOT") {
            return PathBuf::from(dir);
        }
        // file!() is relative to the crate root when this file is part of the
        // crate, absolute when a crate includes it through #[path = "/abs"].
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let file = Path::new(file!());
        let here = if file.is_absolute() {
            file.to_path_buf()
        } else {
            manifest.join(file)
        };
        here.ancestors()
            .chain(manifest.ancestors())
            .find(|d| d.join("scripts/install-test-deps.sh").is_file())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| {
                panic!(
                    "cannot find scripts/install-test-deps.sh above {} or {}; set E2E_REPO_ROOT",
                    here.display(),
                    manifest.display()
                )
            })
    })
    .clone()
}

/// `<repo>/.tools`.
pub fn tools_dir() -> PathBuf {
    repo_root().join(".tools")
}

fn versions_file() -> PathBuf {
    tools_dir().join("terraform-versions.txt")
}

fn moto_server_bin() -> PathBuf {
    tools_dir().join("venv/bin/moto_server")
}

fn venv_python() -> PathBuf {
    tools_dir().join("venv/bin/python")
}

fn tools_present() -> bool {
    let Ok(list) = fs::read_to_string(versions_file()) else {
        return false;
    };
    moto_server_bin().is_file()
        && venv_python().exists()
        && list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .all(|l| Path::new(l).exists())
}

/// Runs `scripts/install-test-deps.sh` once per process if any tool is
/// missing. Panics when the installer fails.
pub fn ensure_tools() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        if tools_present() {
            return Ok(());
        }
        let script = repo_root().join("scripts/install-test-deps.sh");
        // Straight to stderr, past libtest's capture: the install takes a minute.
        let _ = writeln!(
            std::io::stderr(),
            "harness: test tools missing, running {}",
            script.display()
        );
        let status = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !status.success() {
            return Err(format!(
                "{} failed ({status}); run it by hand to see why",
                script.display()
            ));
        }
        if !tools_present() {
            return Err(format!(
                "{} succeeded but {} or the moto venv is still missing",
                script.display(),
                versions_file().display()
            ));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("harness: {e}");
    }
}

// -------------------------------------------------------------- simulator

/// The `platform-sim` binary: the simulator is its own workspace member
/// (`crates/platform-sim`), so Cargo gives this package no `CARGO_BIN_EXE_platform-sim`.
/// It lives beside the provider binary, in the same target directory. When it is missing
/// or older than its sources, the first call builds it (`cargo build -p platform-sim`
/// into that directory, once per process), so `cargo test` alone works; after
/// `scripts/test.sh` or `scripts/demo.sh`, which build the whole workspace, it is there.
pub fn platform_sim() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = BIN.get_or_init(|| {
        let provider = Path::new(env!("CARGO_BIN_EXE_terraform-provider-platform"));
        let dir = provider.parent().expect("the provider binary's directory");
        let bin = dir.join(format!("platform-sim{}", std::env::consts::EXE_SUFFIX));
        let sources = repo_root().join("crates/platform-sim");
        if newest_mtime(&sources) <= mtime(&bin) {
            return Ok(bin);
        }
        // target/<profile>/: the profile named by its directory ("debug" is `dev`).
        let target_dir = dir.parent().expect("the target directory");
        let profile = match dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev",
            Some(other) => other,
        };
        let _ = writeln!(
            std::io::stderr(),
            "harness: {} is missing or older than {}, building it",
            bin.display(),
            sources.display()
        );
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(&cargo)
            .args([
                "build",
                "--package",
                "platform-sim",
                "--bin",
                "platform-sim",
            ])
            .arg("--profile")
            .arg(profile)
            .arg("--target-dir")
            .arg(target_dir)
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
        if !status.success() {
            return Err(format!("`cargo build -p platform-sim` failed ({status})"));
        }
        if !bin.is_file() {
            return Err(format!(
                "`cargo build -p platform-sim` succeeded but {} is missing; build the \
                 simulator into the provider's target directory",
                bin.display()
            ));
        }
        Ok(bin)
    });
    match result {
        Ok(bin) => bin.clone(),
        Err(e) => panic!("harness: {e}"),
    }
}

/// Modification time of a file, `None` when it does not exist.
fn mtime(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the files under `dir`.
fn newest_mtime(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = mtime(dir);
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_mtime(&path)
        } else {
            mtime(&path)
        };
        newest = newest.max(time);
    }
    newest
}

// -------------------------------------------------------------- terraform

/// One Terraform CLI the tests can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terraform {
    /// As reported by `terraform version -json`, e.g. "1.15.5".
    pub version: String,
    pub path: PathBuf,
}

impl Terraform {
    /// `(major, minor, patch)`; pre-release suffixes are ignored.
    pub fn version_tuple(&self) -> (u32, u32, u32) {
        parse_version(&self.version)
    }

    /// Whether this Terraform is at least `min` ("1.4" or "1.4.0").
    pub fn at_least(&self, min: &str) -> bool {
        self.version_tuple() >= parse_version(min)
    }

    /// Whether the builtin `terraform_data` resource exists (Terraform >= 1.4).
    pub fn has_terraform_data(&self) -> bool {
        self.at_least("1.4.0")
    }
}

impl fmt::Display for Terraform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "terraform {} ({})", self.version, self.path.display())
    }
}

fn parse_version(v: &str) -> (u32, u32, u32) {
    let core = v.trim().trim_start_matches('v');
    let core = core.split(['-', '+']).next().unwrap_or("");
    let mut it = core.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

fn query_version(path: &Path) -> Result<String, String> {
    let out = Command::new(path)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "{} version -json: {e}\nstdout: {stdout}\nstderr: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    json.get("terraform_version")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "{} version -json: no terraform_version in {json}",
                path.display()
            )
        })
}

/// Every Terraform listed in `.tools/terraform-versions.txt` (installing the
/// tools first if needed), in file order, filtered by `E2E_TERRAFORM`.
/// Panics when none is left: a test matrix that silently runs nothing would
/// hide problems.
pub fn terraform_versions() -> Vec<Terraform> {
    static ALL: OnceLock<Vec<Terraform>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        ensure_tools();
        let list = fs::read_to_string(versions_file())
            .unwrap_or_else(|e| panic!("harness: {}: {e}", versions_file().display()));
        let mut seen = Vec::new();
        let mut found = Vec::new();
        for line in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let path = PathBuf::from(line);
            let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.contains(&canonical) {
                continue;
            }
            seen.push(canonical);
            match query_version(&path) {
                Ok(version) => found.push(Terraform { version, path }),
                Err(e) => panic!("harness: {e}"),
            }
        }
        found
    });
    let filter = std::env::var("E2E_TERRAFORM").unwrap_or_default();
    let wanted: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let chosen: Vec<Terraform> = all
        .iter()
        .filter(|tf| {
            wanted.is_empty()
                || wanted
                    .iter()
                    .any(|w| tf.version == *w || tf.path.to_string_lossy().contains(w))
        })
        .cloned()
        .collect();
    assert!(
        !chosen.is_empty(),
        "harness: no terraform matches E2E_TERRAFORM={filter:?} among {all:?}"
    );
    chosen
}

/// The newest Terraform of [`terraform_versions`].
/// Runs `lifecycle` on each of `versions` that is installed; none installed is a failure
/// (a version-specific test that ran nothing would pass silently).
pub fn on_versions(versions: &[&str], lifecycle: impl Fn(&Terraform)) {
    let all = terraform_versions();
    let chosen: Vec<&Terraform> = all
        .iter()
        .filter(|t| versions.iter().any(|v| t.version == *v))
        .collect();
    assert!(!chosen.is_empty(), "none of {versions:?} is installed");
    for tf in chosen {
        lifecycle(tf);
    }
}

pub fn newest_terraform() -> Terraform {
    terraform_versions()
        .into_iter()
        .max_by_key(Terraform::version_tuple)
        .expect("terraform_versions() is never empty")
}

// ------------------------------------------------------------------- moto

/// Runs inside the venv's python: starts `scripts/moto_server.py` (the venv's
/// moto_server with CloudWatch's CBOR protocol) in this same process, and exits the process as soon as stdin reaches EOF.
/// The test process holds the only write end of that pipe, so the server
/// goes away when the test process exits, however it exits (panic, abort,
/// SIGKILL), or when the `Moto` is dropped.
const MOTO_WATCHDOG: &str = r#"
import os, runpy, sys, threading

def watch():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)

threading.Thread(target=watch, daemon=True).start()
server, port = sys.argv[1], sys.argv[2]
sys.argv = [server, "-H", "127.0.0.1", "-p", port]
runpy.run_path(server, run_name="__main__")
"#;

/// A moto_server on a free loopback port, owned by this test process.
pub struct Moto {
    endpoint: String,
    addr: SocketAddr,
    child: Mutex<Child>,
    /// Write end of the server's stdin; closing it stops the server.
    lifeline: Mutex<Option<ChildStdin>>,
    log: Mutex<fs::File>,
}

impl Moto {
    /// The test process's shared server, started on first use and stopped
    /// when the process exits. Tests run in parallel threads share it, so
    /// they should use distinct resource names rather than `reset()`.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// Starts a private server, stopped when the value is dropped.
    pub fn start() -> Moto {
        ensure_tools();
        let mut last_err = String::new();
        for _ in 0..3 {
            match Moto::try_start() {
                Ok(m) => return m,
                Err(e) => last_err = e,
            }
        }
        panic!("harness: could not start moto_server: {last_err}");
    }

    fn try_start() -> Result<Moto, String> {
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = tempfile::tempfile().map_err(|e| format!("log file: {e}"))?;
        let clone = |f: &fs::File| f.try_clone().map_err(|e| format!("log file: {e}"));
        let mut child = Command::new(venv_python())
            .arg("-c")
            .arg(MOTO_WATCHDOG)
            // moto_server, plus CloudWatch's Smithy RPC v2 CBOR protocol (what the Rust
            // SDK speaks and moto does not), translated to the JSON protocol moto answers.
            .arg(repo_root().join("scripts/moto_server.py"))
            .arg(port.to_string())
            // ACM issues a DNS-validated certificate at once instead of after 60 s (moto
            // never checks the validation record).
            .env("MOTO_ACM_VALIDATION_WAIT", "0")
            .stdin(Stdio::piped())
            .stdout(clone(&log)?)
            .stderr(clone(&log)?)
            .spawn()
            .map_err(|e| format!("cannot spawn {}: {e}", venv_python().display()))?;
        let lifeline = child.stdin.take();
        let moto = Moto {
            endpoint: format!("http://{addr}"),
            addr,
            child: Mutex::new(child),
            lifeline: Mutex::new(lifeline),
            log: Mutex::new(log),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(200) = http_status(addr, "GET", "/moto-api/") {
                return Ok(moto);
            }
            let exited = moto.child.lock().unwrap().try_wait().ok().flatten();
            if let Some(status) = exited {
                return Err(format!(
                    "moto_server exited ({status}):\n{}",
                    moto.log_text()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "moto_server did not answer on {} within 60s:\n{}",
                    moto.endpoint,
                    moto.log_text()
                ));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Wipes all mocked AWS state (`POST /moto-api/reset`).
    pub fn reset(&self) {
        match http_status(self.addr, "POST", "/moto-api/reset") {
            Ok(200) => {}
            Ok(code) => panic!("harness: moto reset answered HTTP {code}"),
            Err(e) => panic!("harness: moto reset failed: {e}\n{}", self.log_text()),
        }
    }

    /// Environment for anything that talks to this server: endpoint, fake
    /// credentials, region, and no shared config/credentials files or IMDS.
    pub fn aws_env(&self) -> Vec<(String, String)> {
        aws_env_for(&self.endpoint)
    }

    /// A working directory for `main_tf` whose provider (the one under test) sends
    /// AWS calls to this server.
    pub fn workdir(&self, main_tf: &str) -> Workdir {
        let mut wd = Workdir::new(PROVIDER_BINARY, main_tf);
        wd.use_moto(self);
        wd
    }

    /// What the server has logged so far (werkzeug's request log, errors).
    pub fn log_text(&self) -> String {
        let mut f = self.log.lock().unwrap();
        let mut s = String::new();
        let _ = f.seek(SeekFrom::Start(0));
        let _ = f.read_to_string(&mut s);
        s
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Closing stdin makes the watchdog exit; kill covers a wedged server.
        drop(self.lifeline.lock().unwrap().take());
        let child = self.child.get_mut().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn aws_env_for(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET_ACCESS_KEY),
        ("AWS_REGION", AWS_REGION),
        ("AWS_DEFAULT_REGION", AWS_REGION),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// Minimal HTTP/1.1 request with an empty body; returns the status code.
fn http_status(addr: SocketAddr, method: &str, path: &str) -> Result<u16, String> {
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    s.read_to_end(&mut response).map_err(|e| e.to_string())?;
    let head = String::from_utf8_lossy(&response[..response.len().min(64)]).into_owned();
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad HTTP response: {head:?}"))
}

// ---------------------------------------------------------------- workdir

/// Where a [`Workdir`] points the AWS SDK.
enum AwsTarget {
    /// [`Moto::shared`], started on the first `run`.
    SharedMoto,
    Endpoint(String),
    /// A closed loopback port: any AWS call fails fast, none leaves the box.
    Nowhere,
}

/// A throwaway Terraform working directory:
///
/// ```text
/// <tmp>/work/main.tf             the config (Terraform runs here)
/// <tmp>/cli.tfrc                 TF_CLI_CONFIG_FILE with dev_overrides
/// <tmp>/provider/terraform-provider-platform -> the provider binary
/// ```
///
/// or, from [`Workdir::with_cli_config`], only `work/` and a `cli.tfrc` as given.
///
/// Removed on drop (set `E2E_KEEP_WORKDIR=1` to keep it and print its path).
pub struct Workdir {
    tmp: tempfile::TempDir,
    work: PathBuf,
    cli_config: PathBuf,
    /// `None` when the CLI config installs the provider some other way.
    provider: Option<PathBuf>,
    env: Vec<(String, String)>,
    aws: AwsTarget,
    timeout: Duration,
}

impl Workdir {
    /// `provider_binary` is the provider executable under test, e.g.
    /// `env!("CARGO_BIN_EXE_terraform-provider-platform")`. AWS calls go to
    /// [`Moto::shared`].
    pub fn new(provider_binary: impl AsRef<Path>, main_tf: &str) -> Workdir {
        let provider_binary = provider_binary.as_ref();
        let provider = fs::canonicalize(provider_binary).unwrap_or_else(|e| {
            panic!(
                "harness: provider binary {}: {e}",
                provider_binary.display()
            )
        });
        let mut wd = Workdir::empty();
        let provider_dir = wd.tmp.path().join("provider");
        fs::create_dir(&provider_dir).expect("harness: create provider dir");
        // Terraform finds the binary by name in the dev_overrides directory;
        // a symlink makes that independent of where and how it was built.
        std::os::unix::fs::symlink(&provider, provider_dir.join(PROVIDER_BINARY_NAME))
            .expect("harness: symlink provider binary");
        wd.write_cli_config(&format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_dir.display()
        ));
        wd.provider = Some(provider);
        wd.write_main_tf(main_tf);
        wd
    }

    /// A working directory whose `TF_CLI_CONFIG_FILE` holds `cli_config` as
    /// given, for tests that install the provider the way users do (e.g. from
    /// a `filesystem_mirror`) instead of through `dev_overrides`. AWS calls go
    /// to [`Moto::shared`].
    pub fn with_cli_config(cli_config: &str, main_tf: &str) -> Workdir {
        let wd = Workdir::empty();
        wd.write_cli_config(cli_config);
        wd.write_main_tf(main_tf);
        wd
    }

    /// A temp dir with an empty `work/`; the CLI config is not written yet.
    fn empty() -> Workdir {
        let tmp = tempfile::Builder::new()
            .prefix("e2e-")
            .tempdir()
            .expect("harness: create temp dir");
        let work = tmp.path().join("work");
        fs::create_dir(&work).expect("harness: create work dir");
        let cli_config = tmp.path().join("cli.tfrc");
        let timeout = std::env::var("E2E_TERRAFORM_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(600));
        Workdir {
            tmp,
            work,
            cli_config,
            provider: None,
            env: Vec::new(),
            aws: AwsTarget::SharedMoto,
            timeout,
        }
    }

    fn write_cli_config(&self, contents: &str) {
        fs::write(&self.cli_config, contents).expect("harness: write CLI config");
    }

    /// Directory Terraform runs in (holds `main.tf`, state, `.terraform`).
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// The `TF_CLI_CONFIG_FILE` given to Terraform.
    pub fn cli_config_path(&self) -> &Path {
        &self.cli_config
    }

    /// The provider binary (canonical path) behind the dev override; `None`
    /// for a [`Workdir::with_cli_config`].
    pub fn provider_binary(&self) -> Option<&Path> {
        self.provider.as_deref()
    }

    /// Replaces `main.tf`.
    pub fn write_main_tf(&self, contents: &str) {
        self.write_file("main.tf", contents);
    }

    /// Writes a file relative to [`Workdir::path`], creating parent dirs.
    pub fn write_file(&self, relative: impl AsRef<Path>, contents: &str) {
        let path = self.work.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("harness: create dirs");
        }
        fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("harness: write {}: {e}", path.display()));
    }

    /// Reads a file relative to [`Workdir::path`].
    pub fn read_file(&self, relative: impl AsRef<Path>) -> String {
        let path = self.work.join(relative);
        fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("harness: read {}: {e}", path.display()))
    }

    /// Adds an environment variable to every later `run`.
    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Sends AWS calls to `moto` instead of [`Moto::shared`].
    pub fn use_moto(&mut self, moto: &Moto) -> &mut Self {
        self.aws = AwsTarget::Endpoint(moto.endpoint());
        self
    }

    /// Sends AWS calls to a closed loopback port (no moto is started).
    pub fn without_moto(&mut self) -> &mut Self {
        self.aws = AwsTarget::Nowhere;
        self
    }

    /// Per-command timeout (default 600 s or `E2E_TERRAFORM_TIMEOUT_SECS`).
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Runs `tf args...` in [`Workdir::path`].
    pub fn run(&self, tf: &Terraform, args: &[&str]) -> Output {
        self.run_with_env(tf, args, &[])
    }

    /// Like [`Workdir::run`] with extra environment variables (these win over
    /// everything else the harness sets).
    pub fn run_with_env(
        &self,
        tf: &Terraform,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Output {
        let mut cmd = Command::new(&tf.path);
        cmd.args(args).current_dir(&self.work).stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            let keep_log = matches!(
                k.as_ref(),
                "TF_LOG" | "TF_LOG_CORE" | "TF_LOG_PROVIDER" | "TF_LOG_PATH"
            );
            if (k.starts_with("TF_") && !keep_log) || k.starts_with("AWS_") {
                cmd.env_remove(&key);
            }
        }
        let endpoint = match &self.aws {
            AwsTarget::SharedMoto => Moto::shared().endpoint(),
            AwsTarget::Endpoint(e) => e.clone(),
            AwsTarget::Nowhere => "http://127.0.0.1:9".to_owned(),
        };
        cmd.envs(aws_env_for(&endpoint))
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(extra_env.iter().copied());
        run_with_timeout(cmd, tf, args, self.timeout)
    }

    /// `terraform show -json` of the current state, parsed.
    pub fn state_json(&self, tf: &Terraform) -> serde_json::Value {
        self.run(tf, &["show", "-json", "-no-color"])
            .expect_success()
            .json()
    }

    /// `terraform output -json`, parsed (`{"name": {"value": ...}, ...}`).
    pub fn outputs_json(&self, tf: &Terraform) -> serde_json::Value {
        self.run(tf, &["output", "-json", "-no-color"])
            .expect_success()
            .json()
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if std::env::var_os("E2E_KEEP_WORKDIR").is_some_and(|v| v != "0") {
            let _ = writeln!(
                std::io::stderr(),
                "harness: keeping {}",
                self.tmp.path().display()
            );
            self.tmp.disable_cleanup(true);
        }
    }
}

/// Result of one Terraform command.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code; -1 when killed by a signal (e.g. after a timeout).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// `terraform <args>` as run, for messages.
    pub command: String,
    pub timed_out: bool,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Panics, showing the whole command output, unless the exit code is 0.
    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }

    /// Panics, showing the whole command output, unless the exit code is
    /// `code` (e.g. 2 for `plan -detailed-exitcode` with changes).
    pub fn expect_code(&self, code: i32) -> &Self {
        assert!(self.code == code, "expected exit code {code}, got:\n{self}");
        self
    }

    /// stdout parsed as JSON (for `-json` commands); panics otherwise.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }

    /// stdout parsed as JSON lines (for `plan -json`, `apply -json`).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}\n{self}"))
            })
            .collect()
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "$ {} -> exit {}{}",
            self.command,
            self.code,
            if self.timed_out { " (timed out)" } else { "" }
        )?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

fn run_with_timeout(mut cmd: Command, tf: &Terraform, args: &[&str], timeout: Duration) -> Output {
    let command = format!("{} {}", tf.path.display(), args.join(" "));
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("harness: cannot run {command}: {e}"));
    let out_reader = spawn_reader(child.stdout.take());
    let err_reader = spawn_reader(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status: ExitStatus = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => panic!("harness: waiting for {command}: {e}"),
        }
        if Instant::now() >= deadline {
            timed_out = true;
            break stop_tree(&mut child);
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        code: status.code().unwrap_or(-1),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        command,
        timed_out,
    }
}

fn spawn_reader<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Timeout: SIGTERM to Terraform (it then stops and kills its plugins), after
/// 10 s SIGKILL; then SIGKILL whatever was below it when the timeout hit and
/// is still alive (plugins, provisioner commands), so nothing outlives the test.
fn stop_tree(child: &mut Child) -> ExitStatus {
    let pid = child.id();
    let below = descendants(pid);
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let grace = Instant::now() + Duration::from_secs(10);
    let mut status = None;
    while Instant::now() < grace {
        if let Ok(Some(s)) = child.try_wait() {
            status = Some(s);
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    // Same pid and same start time: still the process we saw, not a reuse.
    let alive: Vec<String> = below
        .iter()
        .filter(|(p, start)| proc_start_time(*p) == Some(*start))
        .map(|(p, _)| p.to_string())
        .collect();
    if !alive.is_empty() {
        let _ = Command::new("kill").arg("-KILL").args(&alive).status();
    }
    match status {
        Some(s) => s,
        None => {
            let _ = child.kill();
            child.wait().expect("harness: wait after kill")
        }
    }
}

/// Fields of /proc/PID/stat after "(comm)": index 0 is the state.
fn proc_stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn proc_start_time(pid: u32) -> Option<u64> {
    proc_stat_fields(pid)?.get(19)?.parse().ok()
}

/// `(pid, start time)` of all processes below `root`, from /proc.
fn descendants(root: u32) -> Vec<(u32, u64)> {
    let mut procs = Vec::new(); // (pid, ppid, start time)
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Some(fields) = proc_stat_fields(pid) else {
                continue;
            };
            let ppid = fields.get(1).and_then(|p| p.parse::<u32>().ok());
            let start = fields.get(19).and_then(|p| p.parse::<u64>().ok());
            if let (Some(ppid), Some(start)) = (ppid, start) {
                procs.push((pid, ppid, start));
            }
        }
    }
    let mut found: Vec<(u32, u64)> = Vec::new();
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for &(pid, ppid, start) in &procs {
            if ppid == parent && !found.iter().any(|(p, _)| *p == pid) {
                found.push((pid, start));
                queue.push(pid);
            }
        }
    }
    found
}

// ------------------------------------------------------------ a cloud in moto

/// The provider binary the e2e tests build and run.
pub const PROVIDER_BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

/// Runs `future` to completion on a fresh single-threaded runtime: the AWS SDK and
/// simulator calls a test makes between Terraform commands.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("harness: tokio runtime")
        .block_on(future)
}

/// SDK clients of the AWS services the tests look into, against one moto server, with
/// the harness's credentials.
pub struct Aws {
    pub ecs: aws_sdk_ecs::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub iam: aws_sdk_iam::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub acm: aws_sdk_acm::Client,
    pub route53: aws_sdk_route53::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub elasticache: aws_sdk_elasticache::Client,
}

macro_rules! aws_client {
    ($krate:ident, $endpoint:expr, $region:expr) => {{
        let conf = $krate::Config::builder()
            .behavior_version($krate::config::BehaviorVersion::latest())
            .region($krate::config::Region::new($region.to_owned()))
            .endpoint_url($endpoint)
            .credentials_provider($krate::config::Credentials::new(
                AWS_ACCESS_KEY_ID,
                AWS_SECRET_ACCESS_KEY,
                None,
                None,
                "e2e",
            ))
            .build();
        $krate::Client::from_conf(conf)
    }};
}

impl Aws {
    /// Clients for `moto` in [`AWS_REGION`].
    pub fn new(moto: &Moto) -> Aws {
        Aws::in_region(moto, AWS_REGION)
    }

    /// Clients for `moto` in `region`.
    pub fn in_region(moto: &Moto, region: &str) -> Aws {
        let endpoint = moto.endpoint();
        Aws {
            ecs: aws_client!(aws_sdk_ecs, &endpoint, region),
            ec2: aws_client!(aws_sdk_ec2, &endpoint, region),
            rds: aws_client!(aws_sdk_rds, &endpoint, region),
            autoscaling: aws_client!(aws_sdk_applicationautoscaling, &endpoint, region),
            logs: aws_client!(aws_sdk_cloudwatchlogs, &endpoint, region),
            iam: aws_client!(aws_sdk_iam, &endpoint, region),
            elbv2: aws_client!(aws_sdk_elasticloadbalancingv2, &endpoint, region),
            acm: aws_client!(aws_sdk_acm, &endpoint, region),
            route53: aws_client!(aws_sdk_route53, &endpoint, region),
            scheduler: aws_client!(aws_sdk_scheduler, &endpoint, region),
            cloudwatch: aws_client!(aws_sdk_cloudwatch, &endpoint, region),
            sqs: aws_client!(aws_sdk_sqs, &endpoint, region),
            s3: {
                let conf = aws_sdk_s3::Config::builder()
                    .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                    .region(aws_sdk_s3::config::Region::new(region.to_owned()))
                    .endpoint_url(&endpoint)
                    .force_path_style(true)
                    .credentials_provider(aws_sdk_s3::config::Credentials::new(
                        AWS_ACCESS_KEY_ID,
                        AWS_SECRET_ACCESS_KEY,
                        None,
                        None,
                        "e2e",
                    ))
                    .build();
                aws_sdk_s3::Client::from_conf(conf)
            },
            secrets: aws_client!(aws_sdk_secretsmanager, &endpoint, region),
            elasticache: aws_client!(aws_sdk_elasticache, &endpoint, region),
        }
    }
}

/// A VPC with one subnet and one security group in moto, which checks that a Fargate
/// service's exist.
#[derive(Debug, Clone)]
pub struct Network {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

impl Network {
    /// Creates the VPC, its subnet and its security group.
    pub async fn create(ec2: &aws_sdk_ec2::Client) -> Network {
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.42.0.0/16")
            .send()
            .await
            .expect("CreateVpc");
        let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).expect("a VPC id");
        let subnet = ec2
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block("10.42.1.0/24")
            .send()
            .await
            .expect("CreateSubnet");
        let sg = ec2
            .create_security_group()
            .group_name("fgdev-api")
            .description("fargate backend e2e")
            .vpc_id(vpc_id)
            .send()
            .await
            .expect("CreateSecurityGroup");
        Network {
            subnets: vec![
                subnet
                    .subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("a subnet id")
                    .to_string(),
            ],
            security_groups: vec![sg.group_id().expect("a group id").to_string()],
        }
    }

    /// The `network { ... }` block of a `platform_environment` in this network,
    /// indented as the environment's attributes are.
    pub fn block(&self) -> String {
        format!(
            "  network {{\n    subnet_ids         = [\"{}\"]\n    security_group_ids = [\"{}\"]\n  }}",
            self.subnets[0], self.security_groups[0]
        )
    }
}

/// A fresh moto server of one test's own holding the network a Fargate service runs in,
/// with the clients to look into it:
///
/// ```ignore
/// let Cloud { moto, aws, network } = Cloud::with_network();
/// let wd = moto.workdir(&config(&network.block()));
/// wd.run(&tf, &["apply", "-auto-approve"]).expect_success();
/// aws.ecs.describe_clusters() ...
/// ```
pub struct Cloud {
    pub moto: Moto,
    pub aws: Aws,
    pub network: Network,
}

impl Cloud {
    /// Starts a private moto server and creates a VPC with one subnet and one
    /// security group in it.
    pub fn with_network() -> Cloud {
        let moto = Moto::start();
        let aws = Aws::new(&moto);
        let network = block_on(Network::create(&aws.ec2));
        Cloud { moto, aws, network }
    }
}

// -------------------------------------------------------------- self-test

/// Proves the plumbing on every Terraform: a real plan/apply of the builtin
/// `terraform_data` (outputs only before 1.4, which lacks it), the env that
/// `Workdir::run` hands to Terraform's subprocesses, and moto reset. The
/// provider binary is wired in through dev_overrides but never started.
#[cfg(test)]
mod harness_self_test {
    use super::*;

    const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

    const WITH_TERRAFORM_DATA: &str = r#"
resource "terraform_data" "smoke" {
  input = "hello"
  provisioner "local-exec" {
    command = "printf '%s %s %s' \"$AWS_ENDPOINT_URL\" \"$AWS_REGION\" \"$TF_IN_AUTOMATION\" > env.txt"
  }
}
output "value" {
  value = terraform_data.smoke.output
}
"#;

    const OUTPUT_ONLY: &str = r#"
locals {
  value = "hello"
}
output "value" {
  value = local.value
}
"#;

    #[test]
    fn plan_apply_on_every_terraform() {
        let moto = Moto::shared();
        for tf in terraform_versions() {
            let config = if tf.has_terraform_data() {
                WITH_TERRAFORM_DATA
            } else {
                OUTPUT_ONLY
            };
            let wd = Workdir::new(PROVIDER, config);
            wd.run(&tf, &["plan", "-no-color", "-input=false"])
                .expect_success();
            wd.run(&tf, &["apply", "-auto-approve", "-no-color"])
                .expect_success();
            let outputs = wd.outputs_json(&tf);
            assert_eq!(outputs["value"]["value"], "hello", "{tf}: {outputs}");
            wd.run(&tf, &["plan", "-detailed-exitcode", "-no-color"])
                .expect_code(0);
            if tf.has_terraform_data() {
                let env = wd.read_file("env.txt");
                assert_eq!(env, format!("{} {AWS_REGION} 1", moto.endpoint()), "{tf}");
                let state = wd.state_json(&tf);
                assert_eq!(
                    state["values"]["root_module"]["resources"][0]["type"], "terraform_data",
                    "{tf}: {state}"
                );
            }
        }
    }

    #[test]
    fn moto_answers_and_resets() {
        let moto = Moto::shared();
        assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
        moto.reset();
        assert_eq!(http_status(moto.addr, "GET", "/moto-api/"), Ok(200));
    }

    #[test]
    fn private_moto_stops_on_drop() {
        let moto = Moto::start();
        let addr = moto.addr;
        assert_eq!(http_status(addr, "GET", "/moto-api/"), Ok(200));
        drop(moto);
        assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    }
}
