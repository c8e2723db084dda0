#!/usr/bin/env bash
# The main job, on a fresh machine: build the provider, start the local emulators — moto
# for AWS and platform-sim, the project's own SIMULATOR of the Fly.io Machines and
# Cloudflare Workers APIs (not the real services) — then plan and apply an example with a
# real Terraform. The plan shows each resource's expansion: the children, their settings,
# where each setting came from, the resolved host of every service and the monthly cost.
#
# Usage: scripts/demo.sh [example-dir]   (default: examples/phishsentry; any example whose
#        environments share one region, which gets the demo's VPC)
# Environment: TERRAFORM=/path/to/terraform to pick a Terraform; KEEP=1 keeps the work dir;
#              DESTROY=1 destroys everything at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXAMPLE=${1:-$ROOT/examples/phishsentry}
[ -d "$EXAMPLE" ] || EXAMPLE=$ROOT/examples/environments
EXAMPLE=$(cd "$EXAMPLE" && pwd)
cd "$ROOT"

scripts/install-test-deps.sh
echo "demo: building the provider and the simulator" >&2
cargo build --quiet --bin terraform-provider-platform --bin platform-sim

TF=${TERRAFORM:-$(head -n 1 .tools/terraform-versions.txt)}
ENDPOINT=$(scripts/moto.sh start)
scripts/moto.sh reset >/dev/null # a server left running holds an earlier run's resources
WORK=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    scripts/moto.sh stop >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# The simulator prints `listening on http://127.0.0.1:PORT` once it is ready.
mkfifo "$WORK/sim.out"
target/debug/platform-sim >"$WORK/sim.out" 2>"$WORK/sim.log" &
SIM_PID=$!
read -r LINE <"$WORK/sim.out"
SIM=${LINE#listening on }

cp -r "$EXAMPLE"/. "$WORK/stack"
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
# The example's own default region (the demo VPC is made there).
REGION=$(sed -n '/^variable "region"/,/^}/s/.*default *= *"\(.*\)".*/\1/p' "$EXAMPLE/main.tf")
REGION=${REGION:-eu-west-1}
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
export PLATFORM_ENDPOINT_FLY="$SIM/fly" PLATFORM_ENDPOINT_CLOUDFLARE="$SIM/cloudflare/client/v4"
export FLY_API_TOKEN=sim-token CLOUDFLARE_API_TOKEN=sim-token
export CLOUDFLARE_ACCOUNT_ID=0123456789abcdef0123456789abcdef

# Fargate services run in the environment's subnets, and moto checks that they exist.
read -r SUBNET SG < <("$ROOT/.tools/venv/bin/python" - "$ENDPOINT" "$REGION" <<'PY'
import sys, boto3
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name=sys.argv[2])
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
sg = ec2.create_security_group(GroupName="api", Description="api", VpcId=vpc)["GroupId"]
print(subnet, sg)
PY
)
# The examples take them per environment; every environment here shares the demo VPC.
per_env() { printf '{development = ["%s"], staging = ["%s"], production = ["%s"]}' "$1" "$1" "$1"; }
export TF_VAR_subnet_ids="$(per_env "$SUBNET")" TF_VAR_security_group_ids="$(per_env "$SG")"

echo "demo: $("$TF" version | head -n 1), AWS emulator (moto) at $ENDPOINT," \
    "Fly.io/Cloudflare simulator at $SIM, example $(basename "$EXAMPLE")" >&2
cd "$WORK/stack"
"$TF" plan -no-color -out=plan.tfplan
"$TF" apply -no-color -auto-approve plan.tfplan
echo "demo: what the emulators now hold:" >&2
"$ROOT/.tools/venv/bin/python" - "$ENDPOINT" "$SIM" "$REGION" <<'PY'
import json, sys, urllib.request, boto3
moto, sim, region = sys.argv[1], sys.argv[2], sys.argv[3]
ecs = boto3.client("ecs", endpoint_url=moto, region_name=region)
arns = ecs.list_clusters()["clusterArns"]
for c in ecs.describe_clusters(clusters=arns, include=["TAGS"])["clusters"] if arns else []:
    tags = {t["key"]: t["value"] for t in c.get("tags", [])}
    print(f"  ecs cluster   {c['clusterName']:<28} tier={tags.get('platform:tier')}")
    services = ecs.list_services(cluster=c["clusterName"])["serviceArns"]
    for s in ecs.describe_services(cluster=c["clusterName"], services=services)["services"] if services else []:
        print(f"  ecs service   {s['serviceName']:<28} desired={s['desiredCount']} task={s['taskDefinition'].split('/')[-1]}")
for d in [d for r in sorted({region, "eu-west-1", "us-east-1"})
          for d in boto3.client("rds", endpoint_url=moto, region_name=r).describe_db_instances()["DBInstances"]]:
    print(f"  rds instance  {d['DBInstanceIdentifier']:<28} {d['DBInstanceClass']} multi_az={d['MultiAZ']} "
          f"backups={d['BackupRetentionPeriod']}d storage={d['AllocatedStorage']}GB")
state = json.load(urllib.request.urlopen(f"{sim}/_sim/state"))
for app in state["fly"]["apps"]:
    live = [m for m in app["machines"] if m["state"] != "destroyed"]
    print(f"  fly app       {app['name']:<28} machines=" + ",".join(f"{m['region']}:{m['config']['guest']['memory_mb']}MB" for m in live))
for account in state["cloudflare"]["accounts"]:
    for s in account["scripts"]:
        print(f"  worker        {s['name']:<28} workers.dev={s['workers_dev']}")
PY
echo "demo: a second plan is empty:" >&2
"$TF" plan -no-color -detailed-exitcode >/dev/null && echo "  no changes" >&2
if [ -n "${DESTROY:-}" ]; then
    "$TF" destroy -no-color -auto-approve >/dev/null && echo "demo: destroyed" >&2
fi
