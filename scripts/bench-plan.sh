#!/usr/bin/env bash
# Plan-time benchmark, reporting figures (never fails on speed):
#   1. binary size of the release build, and time from process start to the handshake line;
#   2. wall time of `terraform plan -refresh=false` (Terraform 1.15.5 from .tools) on N of
#        A  terraform_data            (Terraform's own floor: no provider process at all)
#        B  platform_environment      (this provider, release build, via dev_overrides)
#        C  null_resource             (the `tf-provider` crate's example provider, 0.2.2)
#        D  terraform_data carrying one planned platform_environment value (same size and
#           shape): what Terraform itself spends on that much plan content
#      run interleaved — A B C D A B C D … for ROUNDS rounds after one warm-up round — so
#      a slow moment of the machine hits every side alike; fastest and median of each;
#      each with the CPU time of Terraform and its provider processes, which other work on
#      the machine disturbs less than wall time;
#   3. the ratios B/A (target ≤ 1.5) and B/C (target < 1), and B/D (the provider's own share).
# Usage: scripts/bench-plan.sh [N=500] [ROUNDS=5]   TERRAFORM=/path picks another CLI.
# Builds what it needs: the provider (cargo build --release) and, outside the workspace in
# target/bench-plan/, the tf-provider example (its build script needs protoc: the
# protoc-bin-vendored crate's, fetched from crates.io like any other crate).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-500}
ROUNDS=${2:-5}
export TF_PROVIDER_VERSION=0.2.2
cd "$ROOT"
scripts/install-test-deps.sh >/dev/null
TF=${TERRAFORM:-$ROOT/.tools/terraform-1.15.5/terraform}

# ---------------------------------------------------------------- builds
cargo build --release --quiet --bin terraform-provider-platform
BIN=$ROOT/target/release/terraform-provider-platform

BENCH=$ROOT/target/bench-plan
NULL_BIN=$BENCH/tf-provider-target/release/examples/terraform-provider-null
if [ ! -x "$NULL_BIN" ]; then
    # A throwaway package pulls tf-provider's published source (and a protoc) into
    # cargo's registry; the example builds from a copy of that source with its own
    # Cargo.lock, marked as a workspace of its own so ours never sees it.
    mkdir -p "$BENCH/fetch/src"
    cat >"$BENCH/fetch/Cargo.toml" <<TOML
[package]
name = "bench-plan-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tf-provider = "=$TF_PROVIDER_VERSION"
protoc-bin-vendored = "3"

[workspace]
TOML
    echo 'fn main() {}' >"$BENCH/fetch/src/main.rs"
    cargo fetch --quiet --manifest-path "$BENCH/fetch/Cargo.toml"
    source_of() {
        cargo metadata --format-version 1 --manifest-path "$BENCH/fetch/Cargo.toml" |
            python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]==sys.argv[1]))' "$1"
    }
    TFP_SRC=$(source_of tf-provider)
    PROTOC_DIR=$(source_of protoc-bin-vendored-linux-x86_64)
    rm -rf "$BENCH/tf-provider"
    cp -r "$TFP_SRC" "$BENCH/tf-provider"
    printf '\n[workspace]\n' >>"$BENCH/tf-provider/Cargo.toml"
    echo "building tf-provider $TF_PROVIDER_VERSION's example terraform-provider-null (once)" >&2
    # Its own warnings are not ours to read: they go to a log, shown only if the build fails.
    if ! (cd "$BENCH/tf-provider" && PROTOC=$PROTOC_DIR/bin/protoc cargo build --release --quiet \
        --example terraform-provider-null --target-dir "$BENCH/tf-provider-target") \
        >"$BENCH/tf-provider-build.log" 2>&1; then
        cat "$BENCH/tf-provider-build.log" >&2
        exit 1
    fi
fi

# ---------------------------------------------------------------- start-up
echo "binary size: $(stat -c %s "$BIN") bytes ($(du -h "$BIN" | cut -f1))"
# Terraform starts the provider with AutoMTLS (a P-521 client certificate in
# PLUGIN_CLIENT_CERT), three times per plan; time both that start and a plaintext one.
CLIENT_CERT=
if command -v openssl >/dev/null; then
    CLIENT_CERT=$(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp521r1 -nodes \
        -keyout /dev/null -days 1 -subj "/O=HashiCorp/CN=localhost" 2>/dev/null) || CLIENT_CERT=
fi
CLIENT_CERT=$CLIENT_CERT python3 - "$BIN" <<'PY'
import os, subprocess, sys, time, statistics
for label, cert in [("plaintext", ""), ("AutoMTLS", os.environ.get("CLIENT_CERT", ""))]:
    if label == "AutoMTLS" and not cert:
        print("start to handshake line, AutoMTLS: skipped (no openssl to make a client certificate)")
        continue
    env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE="d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
               PLUGIN_PROTOCOL_VERSIONS="6", PLUGIN_CLIENT_CERT=cert)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.argv[1]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        p.stdout.readline()
        times.append((time.perf_counter() - t0) * 1000)
        p.kill(); p.wait()
    print(f"start to handshake line, {label}: median {statistics.median(times):.2f} ms, max {max(times):.2f} ms (20 starts)")
PY

# ---------------------------------------------------------------- configurations
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/overrides" "$WORK/data" "$WORK/platform" "$WORK/null" "$WORK/one" "$WORK/same"
ln -s "$BIN" "$WORK/overrides/terraform-provider-platform"
ln -s "$NULL_BIN" "$WORK/overrides/terraform-provider-null"
cat >"$WORK/dev.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "hostmatrix/platform" = "$WORK/overrides"
    "bench/null"          = "$WORK/overrides"
  }
  direct {}
}
CFG
for i in $(seq 1 "$N"); do
    printf 'resource "terraform_data" "r%d" {\n  input = { name = "env-%d", tier = "production", region = "eu-west-1" }\n}\n' "$i" "$i"
done >"$WORK/data/main.tf"
{
    printf 'terraform {\n  required_providers {\n    platform = { source = "hostmatrix/platform" }\n  }\n}\nprovider "platform" {}\n'
    for i in $(seq 1 "$N"); do
        printf 'resource "platform_environment" "r%d" {\n  name = "env-%d"\n  tier = "production"\n  region = "eu-west-1"\n}\n' "$i" "$i"
    done
} >"$WORK/platform/main.tf"
{
    printf 'terraform {\n  required_providers {\n    null = { source = "bench/null" }\n  }\n}\nprovider "null" {}\n'
    for i in $(seq 1 "$N"); do
        printf 'resource "null_resource" "r%d" {}\n' "$i"
    done
} >"$WORK/null/main.tf"

export TF_CLI_CONFIG_FILE="$WORK/dev.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-1
unset TF_LOG TF_LOG_PROVIDER
(cd "$WORK/data" && "$TF" init -input=false >/dev/null)

# One planned platform_environment value, copied into N terraform_data inputs.
head -n 6 "$WORK/platform/main.tf" >"$WORK/one/main.tf"
sed -n '7,11p' "$WORK/platform/main.tf" >>"$WORK/one/main.tf"
(cd "$WORK/one" && "$TF" plan -refresh=false -input=false -out=one.tfplan >/dev/null &&
    "$TF" show -json one.tfplan >one.json)
python3 - "$WORK/one/one.json" "$WORK/same/main.tf" "$N" <<'PY'
import json, sys
values = json.load(open(sys.argv[1]))["planned_values"]["root_module"]["resources"][0]["values"]
values.pop("cluster_arn", None)  # unknown until apply
print(f"one planned platform_environment: {len(json.dumps(values))} bytes of JSON", file=sys.stderr)
literal = json.dumps(json.dumps(values))
with open(sys.argv[2], "w") as f:
    for i in range(int(sys.argv[3])):
        f.write(f'resource "terraform_data" "r{i}" {{\n  input = jsondecode({literal})\n}}\n')
PY
(cd "$WORK/same" && "$TF" init -input=false >/dev/null)

# ---------------------------------------------------------------- interleaved runs
echo "terraform: $("$TF" version | head -n 1)"
python3 - "$TF" "$N" "$ROUNDS" "$WORK" <<'PY'
import os, resource, statistics, subprocess, sys, time
tf, n, rounds, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sides = [
    ("A", "data", f"{n} terraform_data"),
    ("B", "platform", f"{n} platform_environment"),
    ("C", "null", f"{n} null_resource (tf-provider {os.environ['TF_PROVIDER_VERSION']} example)"),
    ("D", "same", f"{n} terraform_data, environment-sized input"),
]
def plan(d):
    """Wall time, and CPU time of Terraform and the provider processes it starts."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([tf, "plan", "-refresh=false", "-input=false", "-no-color"], cwd=os.path.join(work, d),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"plan in {d} failed:\n{r.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu
print(f"load average before the runs: {os.getloadavg()[0]:.2f} (other work on the machine inflates wall times)")
wall = {k: [] for k, _, _ in sides}
cpu = {k: [] for k, _, _ in sides}
for round in range(rounds + 1):  # round 0 warms the page cache and is not counted
    for key, d, _ in sides:
        w, c = plan(d)
        if round:
            wall[key].append(w)
            cpu[key].append(c)
print(f"plan -refresh=false, interleaved A B C D x {rounds} rounds (after one warm-up):")
for key, _, label in sides:
    w, c = wall[key], cpu[key]
    print(f"  {key} {label:<55} wall fastest {min(w):.2f} s, median {statistics.median(w):.2f} s;"
          f" cpu median {statistics.median(c):.2f} s")
med = {k: statistics.median(v) for k, v in wall.items()}
best = {k: min(v) for k, v in wall.items()}
def ratio(a, b, note):
    print(f"ratio {a}/{b}: median {med[a] / med[b]:.2f}, fastest {best[a] / best[b]:.2f}  {note}")
ratio("B", "A", "(platform_environment / terraform_data; target <= 1.5)")
ratio("B", "C", "(platform_environment / tf-provider null_resource; target < 1)")
ratio("B", "D", "(platform_environment / same-size terraform_data: the provider's own share)")
ratio("D", "A", "(what a value of the environment's size alone costs Terraform)")
PY
