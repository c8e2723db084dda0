#!/usr/bin/env bash
# The main job, on a fresh machine: build the provider, start the local AWS emulator
# (moto), then plan and apply examples/environments with a real Terraform. The plan shows
# every environment's expansion (the ECS cluster, its settings, where each came from, cost).
#
# Usage: scripts/demo.sh [example-dir]   (default: examples/environments)
# Environment: TERRAFORM=/path/to/terraform to pick a Terraform; KEEP=1 keeps the work dir.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXAMPLE=${1:-$ROOT/examples/environments}
cd "$ROOT"

scripts/install-test-deps.sh
echo "demo: building the provider" >&2
cargo build --quiet --bin terraform-provider-platform

TF=${TERRAFORM:-$(head -n 1 .tools/terraform-versions.txt)}
ENDPOINT=$(scripts/moto.sh start)
WORK=$(mktemp -d)
cleanup() {
    scripts/moto.sh stop >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

cp "$EXAMPLE"/*.tf "$WORK/"
cat >"$WORK/dev.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "hostmatrix/platform" = "$ROOT/target/debug"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$WORK/dev.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
export AWS_ENDPOINT_URL="$ENDPOINT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1

echo "demo: $("$TF" version | head -n 1), AWS emulator at $ENDPOINT, example $(basename "$EXAMPLE")" >&2
cd "$WORK"
"$TF" plan -no-color -out=plan.tfplan
"$TF" apply -no-color -auto-approve plan.tfplan
echo "demo: what the emulator now holds:" >&2
"$ROOT/.tools/venv/bin/python" - "$ENDPOINT" <<'PY'
import sys, boto3
ecs = boto3.client("ecs", endpoint_url=sys.argv[1], region_name="eu-west-1")
arns = ecs.list_clusters()["clusterArns"]
for c in ecs.describe_clusters(clusters=arns, include=["TAGS", "SETTINGS"])["clusters"]:
    tags = {t["key"]: t["value"] for t in c.get("tags", [])}
    print(f"  ecs cluster  {c['clusterName']:<22} tier={tags.get('platform:tier')} settings={c.get('settings')}")
rds = boto3.client("rds", endpoint_url=sys.argv[1], region_name="eu-west-1")
for d in rds.describe_db_instances()["DBInstances"]:
    print(f"  rds instance {d['DBInstanceIdentifier']:<22} {d['DBInstanceClass']} multi_az={d['MultiAZ']} "
          f"backups={d['BackupRetentionPeriod']}d storage={d['AllocatedStorage']}GB "
          f"deletion_protection={d['DeletionProtection']} replica_of={d.get('ReadReplicaSourceDBInstanceIdentifier', '-')}")
PY
echo "demo: a second plan is empty:" >&2
"$TF" plan -no-color -detailed-exitcode >/dev/null && echo "  no changes" >&2
