//! `scripts/demo.sh`, the README's main job, applies every stack under `examples/` on the
//! local emulators, finds its second plan empty, and tears it down the way the README
//! says: the production databases' guard refuses the first destroy, the documented lift
//! (`-var decommission=true`) lets the second one through. A mistyped stack is an error
//! that lists the stacks, never a silent run of another one.

use crate::harness::{ensure_tools, platform_sim, repo_root};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

/// The stacks: example folders with a `main.tf`, except the registry docs' snippets.
fn stacks() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(repo_root().join("examples"))
        .expect("examples/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("main.tf").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !matches!(n.as_str(), "provider" | "resources" | "data-sources"))
        .collect();
    found.sort();
    found
}

/// Runs the demo on one folder with the binaries of this test build, in an environment
/// holding no AWS or Terraform settings of the caller's.
fn demo(example: &str, destroy: bool) -> Output {
    ensure_tools();
    let root = repo_root();
    let bin_dir = Path::new(BIN).parent().expect("binary dir");
    // The demo starts the simulator from the same directory.
    assert_eq!(platform_sim().parent(), Some(bin_dir));
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/demo.sh"))
        .arg(root.join("examples").join(example))
        .current_dir(&root)
        .stdin(Stdio::null())
        .env("DEMO_SKIP_BUILD", "1")
        .env("DEMO_BIN_DIR", bin_dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("AWS_") || key.starts_with("TF_") {
            cmd.env_remove(key.as_ref());
        }
    }
    if destroy {
        cmd.env("DESTROY", "1");
    }
    cmd.output().expect("run scripts/demo.sh")
}

#[test]
fn the_demo_applies_and_tears_down_every_example_stack() {
    let stacks = stacks();
    assert!(
        stacks.len() >= 6,
        "expected the six stacks, found {stacks:?}"
    );
    // One at a time: the demo runs the one moto of scripts/moto.sh.
    for stack in &stacks {
        let out = demo(stack, true);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "demo on examples/{stack} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        assert!(
            stdout.contains("Apply complete!"),
            "examples/{stack}: no apply:\n{stdout}"
        );
        assert!(
            stderr.contains("no changes"),
            "examples/{stack}: the second plan was not empty:\n{stderr}"
        );
        assert!(
            stderr.contains("demo: destroyed"),
            "examples/{stack}: not destroyed:\n{stderr}"
        );
        let main_tf =
            std::fs::read_to_string(repo_root().join("examples").join(stack).join("main.tf"))
                .expect("main.tf");
        if main_tf.contains("decommission") {
            assert!(
                stderr.contains("Database Deletion Blocked"),
                "examples/{stack}: the production guard did not refuse the first destroy:\n{stderr}"
            );
        }
    }
    let status = Command::new("bash")
        .arg(repo_root().join("scripts/moto.sh"))
        .arg("status")
        .output()
        .expect("moto.sh status");
    assert!(
        !status.status.success(),
        "the demo left moto_server running: {}",
        String::from_utf8_lossy(&status.stdout)
    );
}

#[test]
fn a_mistyped_example_is_an_error_listing_the_stacks() {
    let out = demo("phishsentri", false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no example stack at"), "{stderr}");
    for stack in stacks() {
        assert!(
            stderr.contains(&format!("examples/{stack}")),
            "{stack} missing from the list:\n{stderr}"
        );
    }
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Apply complete"),
        "a mistyped example must not run another one"
    );
}
