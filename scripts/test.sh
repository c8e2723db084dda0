#!/usr/bin/env bash
# Runs every test: formatting and lint checks, unit and property tests, protocol tests,
# and the end-to-end lifecycle against real Terraform CLIs and the moto AWS emulator.
# Installs what the tests need (scripts/install-test-deps.sh) on the way.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

scripts/install-test-deps.sh
cargo fmt --all -- --check
# The whole workspace: the provider and the simulator (crates/platform-sim).
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --all-targets 2>&1
