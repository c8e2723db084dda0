#!/usr/bin/env bash
# Benchmarks, reporting figures (no pass/fail):
#   1. binary size of the release build;
#   2. time from process start to the handshake line (median of 20 starts);
#   3. wall time of `terraform plan -refresh=false` on N platform_environment resources
#      against N terraform_data resources, same Terraform, same machine, same run; the
#      ratio is the provider's overhead over Terraform's own work (target ≤ 1.2);
#   4. the same plan against N terraform_data resources whose input is one planned
#      platform_environment value (same size and shape): Terraform's own cost of
#      handling that much plan content, so the ratio isolates the provider's share.
# Usage: scripts/bench-plan.sh [N=500] [RUNS=3]   TERRAFORM=/path picks the CLI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-500}
RUNS=${2:-3}
cd "$ROOT"
scripts/install-test-deps.sh
cargo build --release --quiet --bin terraform-provider-platform
BIN=$ROOT/target/release/terraform-provider-platform
TF=${TERRAFORM:-$(head -n 1 .tools/terraform-versions.txt)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "binary size: $(stat -c %s "$BIN") bytes ($(du -h "$BIN" | cut -f1))"

python3 - "$BIN" <<'PY'
import os, subprocess, sys, time, statistics
env = dict(os.environ, TF_PLUGIN_MAGIC_COOKIE="d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
           PLUGIN_PROTOCOL_VERSIONS="6")
times = []
for _ in range(20):
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.argv[1]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    p.stdout.readline()
    times.append((time.perf_counter() - t0) * 1000)
    p.kill(); p.wait()
print(f"start to handshake line: median {statistics.median(times):.2f} ms, max {max(times):.2f} ms (20 starts)")
PY

mkdir -p "$WORK/data" "$WORK/platform" "$WORK/one" "$WORK/same"
cat >"$WORK/dev.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "hostmatrix/platform" = "$ROOT/target/release"
  }
  direct {}
}
CFG
{
    for i in $(seq 1 "$N"); do
        printf 'resource "terraform_data" "r%d" {\n  input = { name = "env-%d", tier = "production", region = "eu-west-1" }\n}\n' "$i" "$i"
    done
} >"$WORK/data/main.tf"
{
    printf 'terraform {\n  required_providers {\n    platform = { source = "hostmatrix/platform" }\n  }\n}\nprovider "platform" {}\n'
    for i in $(seq 1 "$N"); do
        printf 'resource "platform_environment" "r%d" {\n  name = "env-%d"\n  tier = "production"\n  region = "eu-west-1"\n}\n' "$i" "$i"
    done
} >"$WORK/platform/main.tf"

export TF_CLI_CONFIG_FILE="$WORK/dev.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-1
(cd "$WORK/data" && "$TF" init -input=false >/dev/null)

# One planned platform_environment value, copied into N terraform_data inputs.
head -n 6 "$WORK/platform/main.tf" >"$WORK/one/main.tf"
sed -n '7,11p' "$WORK/platform/main.tf" >>"$WORK/one/main.tf"
(cd "$WORK/one" && "$TF" plan -refresh=false -input=false -out=one.tfplan >/dev/null && "$TF" show -json one.tfplan >one.json)
python3 - "$WORK/one/one.json" "$WORK/same/main.tf" "$N" <<'PY'
import json, sys
values = json.load(open(sys.argv[1]))["planned_values"]["root_module"]["resources"][0]["values"]
values.pop("cluster_arn", None)  # unknown until apply
literal = json.dumps(json.dumps(values))
with open(sys.argv[2], "w") as f:
    for i in range(int(sys.argv[3])):
        f.write(f'resource "terraform_data" "r{i}" {{\n  input = jsondecode({literal})\n}}\n')
PY
(cd "$WORK/same" && "$TF" init -input=false >/dev/null)

median_plan() {
    local dir=$1 times=()
    for _ in $(seq 1 "$RUNS"); do
        local t0 t1
        t0=$(date +%s.%N)
        (cd "$dir" && "$TF" plan -refresh=false -input=false -no-color >/dev/null)
        t1=$(date +%s.%N)
        times+=("$(python3 -c "print($t1 - $t0)")")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
# One warm-up each, so neither side pays for a cold page cache.
median_plan "$WORK/data" >/dev/null
median_plan "$WORK/platform" >/dev/null
median_plan "$WORK/same" >/dev/null
DATA=$(median_plan "$WORK/data")
PLAT=$(median_plan "$WORK/platform")
SAME=$(median_plan "$WORK/same")
echo "terraform: $("$TF" version | head -n 1)"
printf 'plan -refresh=false, %d terraform_data:        %.2f s (median of %d)\n' "$N" "$DATA" "$RUNS"
printf 'plan -refresh=false, %d platform_environment:  %.2f s (median of %d)\n' "$N" "$PLAT" "$RUNS"
printf 'plan -refresh=false, %d terraform_data of the same size: %.2f s (median of %d)\n' "$N" "$SAME" "$RUNS"
printf 'ratio platform / terraform_data:           %.2f (target <= 1.2)\n' "$(python3 -c "print($PLAT / $DATA)")"
printf 'ratio platform / same-size terraform_data: %.2f (the provider'"'"'s own share)\n' "$(python3 -c "print($PLAT / $SAME)")"
