//! The release as users get it, minus GitHub and the registry: `scripts/package.sh` lays out
//! the files `.goreleaser.yml` publishes (for this machine's platform) and a filesystem
//! mirror; every Terraform CLI installs the provider from that mirror, with no
//! `dev_overrides`, records its version and package hash in `.terraform.lock.hcl`, and plans
//! with the installed binary (an OpenTofu CLI gets its mirror under registry.opentofu.org).
//! The checksums' detached signature verifies with the key that made it.

use crate::harness::{Moto, Terraform, Workdir, repo_root, terraform_versions};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");
const VERSION: &str = "0.1.0";
/// What the zip must hold: the binary alone, named as the registry's convention has it.
const BINARY_IN_ZIP: &str = "terraform-provider-platform_v0.1.0";
/// The hosts Terraform and OpenTofu put in front of a bare `hostmatrix/platform`.
const TERRAFORM_REGISTRY: &str = "registry.terraform.io";
const OPENTOFU_REGISTRY: &str = "registry.opentofu.org";

const MAIN_TF: &str = r#"
terraform {
  required_providers {
    platform = {
      source  = "hostmatrix/platform"
      version = "~> 0.1"
    }
  }
}

resource "platform_environment" "this" {
  name   = "packaged"
  tier   = "development"
  region = "us-east-1"
}
"#;

/// This machine's platform in Terraform's `os_arch` form.
fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}_{arch}")
}

fn zip_name() -> String {
    format!("terraform-provider-platform_{VERSION}_{}.zip", platform())
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Terraform's `h1:` hash of a provider package (Go's `dirhash.Hash1`): sha256 over one
/// line `<sha256 hex>  <name>\n` per file, sorted by name, base64-encoded.
fn h1_hash(files: &[(&str, &[u8])]) -> String {
    let mut sorted = files.to_vec();
    sorted.sort_by_key(|(name, _)| *name);
    let summary: String = sorted
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect();
    let digest = Sha256::digest(summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Runs `scripts/package.sh ARGS` with `--version 0.1.0`; `GPG_FINGERPRINT` comes only from
/// `env`, never from the caller's environment.
fn package(args: &[&str], env: &[(&str, &str)]) -> Output {
    let script = repo_root().join("scripts/package.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(["--version", VERSION])
        .args(args)
        .env_remove("GPG_FINGERPRINT")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "package.sh {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A release of the test's provider binary under `tmp`: `dist/` and a mirror in `mirror/`.
struct Release {
    /// The binary packaged: a copy of [`BIN`] taken first, because the shared target
    /// directory may rebuild `BIN` while the test runs.
    binary: Vec<u8>,
    dist: PathBuf,
    mirror: PathBuf,
    stdout: String,
}

/// Packages into `tmp`, mirroring under `host` (the registry host the client expands
/// `hostmatrix/platform` to).
fn package_the_test_binary(tmp: &Path, host: &str) -> Release {
    let copy = tmp.join("terraform-provider-platform");
    fs::copy(BIN, &copy).unwrap_or_else(|e| panic!("copy {BIN}: {e}"));
    let dist = tmp.join("dist");
    let mirror = tmp.join("mirror");
    let out = package(
        &[
            "--binary",
            copy.to_str().unwrap(),
            "--out",
            dist.to_str().unwrap(),
            "--mirror",
            mirror.to_str().unwrap(),
            "--host",
            host,
        ],
        &[],
    );
    Release {
        binary: read(&copy),
        dist,
        mirror,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `name -> sha256 hex` from a SHA256SUMS file, checking each line's `<hex>  <name>` shape.
fn parse_sums(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(|line| {
            let (hex, name) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("SHA256SUMS line without two spaces: {line:?}"));
            assert!(
                hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                "not a sha256: {line:?}"
            );
            (name.to_owned(), hex.to_owned())
        })
        .collect()
}

#[test]
fn package_lays_out_the_registry_release_files() {
    let tmp = tempfile::tempdir().unwrap();
    let release = package_the_test_binary(tmp.path(), TERRAFORM_REGISTRY);
    let zip = zip_name();
    let manifest = format!("terraform-provider-platform_{VERSION}_manifest.json");
    let sums = format!("terraform-provider-platform_{VERSION}_SHA256SUMS");

    let mut names: Vec<String> = fs::read_dir(&release.dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec![zip.clone(), manifest.clone(), sums.clone()];
    want.sort();
    assert_eq!(names, want, "files in dist/ (no signature without --sign)");

    // The zip holds exactly the binary, executable, byte for byte the one given.
    let zip_path = release.dist.join(&zip);
    let listing = run(Command::new("unzip").arg("-Z1").arg(&zip_path));
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        BINARY_IN_ZIP
    );
    let unpacked = tmp.path().join("unpacked");
    run(Command::new("unzip")
        .arg("-q")
        .arg(&zip_path)
        .arg("-d")
        .arg(&unpacked));
    let binary = unpacked.join(BINARY_IN_ZIP);
    let mode = fs::metadata(&binary).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o755,
        "mode of the binary in the zip: {mode:o}"
    );
    assert!(
        read(&binary) == release.binary,
        "the zip's binary differs from the one given"
    );

    // The manifest is the repository's, and the registry reads protocol 6 from it.
    let manifest_bytes = read(&release.dist.join(&manifest));
    assert_eq!(
        manifest_bytes,
        read(&repo_root().join("terraform-registry-manifest.json"))
    );
    let manifest_json: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    assert_eq!(
        manifest_json,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );

    // SHA256SUMS covers the zip and the manifest (the registry refuses a release whose
    // manifest has no checksum), sorted by name, with the files' real digests.
    let sums_text = fs::read_to_string(release.dist.join(&sums)).unwrap();
    let listed = parse_sums(&sums_text);
    let expected: BTreeMap<String, String> = [
        (zip.clone(), sha256_hex(&read(&zip_path))),
        (manifest.clone(), sha256_hex(&manifest_bytes)),
    ]
    .into_iter()
    .collect();
    assert_eq!(listed, expected, "SHA256SUMS:\n{sums_text}");
    let order: Vec<&str> = sums_text
        .lines()
        .map(|l| l.split_once("  ").unwrap().1)
        .collect();
    assert_eq!(order, vec![zip.as_str(), manifest.as_str()]);

    // The mirror holds the same zip in the packed layout, under Terraform's default host.
    let mirrored = release
        .mirror
        .join(TERRAFORM_REGISTRY)
        .join("hostmatrix/platform")
        .join(&zip);
    assert!(
        read(&mirrored) == read(&zip_path),
        "{} differs",
        mirrored.display()
    );

    // stdout names every file written, for scripts that upload or install them.
    let printed: Vec<PathBuf> = release.stdout.lines().map(PathBuf::from).collect();
    let dist = fs::canonicalize(&release.dist).unwrap();
    let mirror = fs::canonicalize(&release.mirror).unwrap();
    assert_eq!(
        printed,
        vec![
            dist.join(&zip),
            dist.join(&manifest),
            dist.join(&sums),
            mirror
                .join(TERRAFORM_REGISTRY)
                .join("hostmatrix/platform")
                .join(&zip),
        ]
    );
}

#[test]
fn package_mirrors_under_the_host_the_client_expands_to() {
    // OpenTofu expands `hostmatrix/platform` to registry.opentofu.org/hostmatrix/platform.
    let tmp = tempfile::tempdir().unwrap();
    let stand_in = tmp.path().join("provider");
    fs::write(&stand_in, b"stand-in provider binary").unwrap();
    let mirror = tmp.path().join("mirror");
    package(
        &[
            "--binary",
            stand_in.to_str().unwrap(),
            "--out",
            tmp.path().join("dist").to_str().unwrap(),
            "--mirror",
            mirror.to_str().unwrap(),
            "--host",
            OPENTOFU_REGISTRY,
        ],
        &[],
    );
    let hosts: Vec<String> = fs::read_dir(&mirror)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(hosts, vec![OPENTOFU_REGISTRY]);
    assert!(
        mirror
            .join(OPENTOFU_REGISTRY)
            .join("hostmatrix/platform")
            .join(zip_name())
            .is_file()
    );
}

/// The `provider "<host>/hostmatrix/platform"` block of a lock file:
/// `(version, constraints, hashes)`.
fn locked_provider(lock: &str, host: &str) -> (String, String, Vec<String>) {
    let block = lock
        .split(&format!("provider \"{host}/hostmatrix/platform\" {{"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {host}/hostmatrix/platform block in the lock file:\n{lock}"));
    let block = &block[..block.find("\n}").unwrap_or(block.len())];
    let field = |name: &str| {
        block
            .lines()
            .filter_map(|l| l.trim().strip_prefix(name))
            .filter_map(|rest| rest.trim_start().strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .next()
            .unwrap_or_else(|| panic!("no {name} in the lock file:\n{lock}"))
    };
    let hashes_start = block
        .find("hashes = [")
        .unwrap_or_else(|| panic!("no hashes in the lock file:\n{lock}"));
    let hashes = block[hashes_start..]
        .lines()
        .skip(1)
        .take_while(|l| l.trim() != "]")
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"').to_owned())
        .collect();
    (field("version"), field("constraints"), hashes)
}

/// The registry host this CLI puts in front of a bare `hostmatrix/platform`: OpenTofu's
/// differs from Terraform's, and mirror paths, `include` and the lock file all carry it.
fn default_registry_host(tf: &Terraform) -> &'static str {
    let out = run(Command::new(&tf.path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null"));
    if String::from_utf8_lossy(&out.stdout).starts_with("OpenTofu") {
        OPENTOFU_REGISTRY
    } else {
        TERRAFORM_REGISTRY
    }
}

fn mirror_cli_config(mirror: &Path, host: &str) -> String {
    format!(
        r#"provider_installation {{
  filesystem_mirror {{
    path    = "{}"
    include = ["{host}/hostmatrix/platform"]
  }}
}}
"#,
        mirror.display()
    )
}

fn install_and_plan(tf: &Terraform, host: &str, release: &Release) {
    let zip_sha256 = sha256_hex(&read(&release.dist.join(zip_name())));
    let expected_h1 = h1_hash(&[(BINARY_IN_ZIP, &release.binary)]);
    let mut wd = Workdir::with_cli_config(&mirror_cli_config(&release.mirror, host), MAIN_TF);
    wd.use_moto(Moto::shared());

    let init = wd.run(tf, &["init", "-no-color", "-input=false"]);
    init.expect_success();
    eprintln!(
        "{tf}: terraform init\n{}\n.terraform.lock.hcl:\n{}",
        init.stdout,
        wd.read_file(".terraform.lock.hcl")
    );
    assert!(
        init.stdout
            .contains("Installing hostmatrix/platform v0.1.0...")
            && init.stdout.contains("Installed hostmatrix/platform v0.1.0"),
        "{tf}: init did not install 0.1.0 from the mirror:\n{init}"
    );
    let installed = wd
        .path()
        .join(".terraform/providers")
        .join(host)
        .join("hostmatrix/platform")
        .join(VERSION)
        .join(platform())
        .join(BINARY_IN_ZIP);
    assert!(
        installed.is_file(),
        "{tf}: {} missing after init",
        installed.display()
    );

    // Terraform hashed the package itself; its h1: must be the one computed here from the
    // zip's contents. A zh: (hash of the zip file, as SHA256SUMS lists it) appears only
    // when the package came with signed checksums, which a mirror does not have.
    let (version, constraints, hashes) =
        locked_provider(&wd.read_file(".terraform.lock.hcl"), host);
    assert_eq!(version, VERSION, "{tf}: locked version");
    assert_eq!(constraints, "~> 0.1", "{tf}: locked constraints");
    assert!(
        hashes.contains(&expected_h1),
        "{tf}: lock hashes {hashes:?} lack {expected_h1}"
    );
    let zh = format!("zh:{zip_sha256}");
    for h in &hashes {
        assert!(
            *h == expected_h1 || *h == zh,
            "{tf}: unexpected hash {h} in the lock file (want {expected_h1} or {zh})"
        );
    }

    let plan = wd.run(tf, &["plan", "-no-color", "-input=false"]);
    plan.expect_success();
    assert!(
        plan.stdout
            .contains("# platform_environment.this will be created"),
        "{tf}: plan does not create platform_environment.this:\n{plan}"
    );
    assert!(
        !format!("{}{}", plan.stdout, plan.stderr).contains("development overrides"),
        "{tf}: plan ran through dev_overrides, not the installed package:\n{plan}"
    );
}

#[test]
fn terraform_installs_the_package_from_a_filesystem_mirror_and_plans() {
    let tmp = tempfile::tempdir().unwrap();
    let mut releases: BTreeMap<&str, Release> = BTreeMap::new();
    for tf in terraform_versions() {
        let host = default_registry_host(&tf);
        let release = releases.entry(host).or_insert_with(|| {
            let dir = tmp.path().join(host);
            fs::create_dir(&dir).unwrap();
            package_the_test_binary(&dir, host)
        });
        install_and_plan(&tf, host, release);
    }
}

/// A throwaway GnuPG home with one RSA signing key and no passphrase; its agent is
/// stopped on drop.
struct Keyring {
    home: tempfile::TempDir,
    fingerprint: String,
}

impl Keyring {
    fn new() -> Keyring {
        // gpg-agent's socket lives in the home: keep the path short.
        let home = tempfile::Builder::new()
            .prefix("gpg-")
            .tempdir_in("/tmp")
            .unwrap();
        fs::set_permissions(home.path(), fs::Permissions::from_mode(0o700)).unwrap();
        run(gpg(home.path()).args([
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Platform Release Test <release-test@example.invalid>",
            "rsa3072",
            "sign",
            "never",
        ]));
        let listing = run(gpg(home.path()).args(["--with-colons", "--list-secret-keys"]));
        let fingerprint = String::from_utf8_lossy(&listing.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|f| !f.is_empty()))
            .expect("fingerprint of the generated key")
            .to_owned();
        Keyring { home, fingerprint }
    }

    fn gpg(&self) -> Command {
        gpg(self.home.path())
    }
}

fn gpg(home: &Path) -> Command {
    let mut cmd = Command::new("gpg");
    cmd.arg("--batch").env("GNUPGHOME", home);
    cmd
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.home.path())
            .status();
    }
}

#[test]
fn signed_checksums_verify_with_the_release_key() {
    if Command::new("gpg").arg("--version").output().is_err() {
        eprintln!(
            "packaging: gpg not found, signature not tested (scripts/install-test-deps.sh installs it)"
        );
        return;
    }
    let keyring = Keyring::new();
    let tmp = tempfile::tempdir().unwrap();
    let stand_in = tmp.path().join("provider");
    fs::write(&stand_in, b"stand-in provider binary").unwrap();
    let dist = tmp.path().join("dist");
    let args = [
        "--binary",
        stand_in.to_str().unwrap(),
        "--out",
        dist.to_str().unwrap(),
        "--sign",
    ];
    let sums = dist.join(format!("terraform-provider-platform_{VERSION}_SHA256SUMS"));
    let sig = dist.join(format!(
        "terraform-provider-platform_{VERSION}_SHA256SUMS.sig"
    ));

    // Without a key, --sign says so and leaves no signature behind.
    let unsigned = package(&args, &[]);
    assert!(
        String::from_utf8_lossy(&unsigned.stderr).contains("GPG_FINGERPRINT is not set"),
        "{}",
        String::from_utf8_lossy(&unsigned.stderr)
    );
    assert!(!sig.exists());

    let home = keyring.home.path().to_str().unwrap();
    let signed = package(
        &args,
        &[
            ("GPG_FINGERPRINT", &keyring.fingerprint),
            ("GNUPGHOME", home),
        ],
    );
    assert!(String::from_utf8_lossy(&signed.stdout).contains("_SHA256SUMS.sig"));
    let sig_bytes = read(&sig);
    // The registry wants a binary signature: an OpenPGP packet, not ASCII armor.
    assert!(
        sig_bytes.first().is_some_and(|b| b & 0x80 != 0),
        "signature is not a binary OpenPGP packet"
    );

    let verify = run(keyring
        .gpg()
        .args(["--status-fd", "1", "--verify"])
        .arg(&sig)
        .arg(&sums));
    let status = String::from_utf8_lossy(&verify.stdout);
    assert!(
        status.contains(&format!("[GNUPG:] VALIDSIG {}", keyring.fingerprint)),
        "gpg --verify status:\n{status}"
    );

    // A checksum file changed after signing no longer verifies.
    let tampered = tmp.path().join("tampered_SHA256SUMS");
    let mut text = read(&sums);
    text.extend_from_slice(
        b"0000000000000000000000000000000000000000000000000000000000000000  evil.zip\n",
    );
    fs::write(&tampered, text).unwrap();
    let refused = keyring
        .gpg()
        .arg("--verify")
        .arg(&sig)
        .arg(&tampered)
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "a tampered SHA256SUMS verified:\n{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
