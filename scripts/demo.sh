#!/usr/bin/env bash
# The main job, on a fresh machine: build the provider, start the local emulators — moto
# for AWS and platform-sim, the project's own SIMULATOR of the Fly.io Machines and
# Cloudflare Workers APIs (not the real services) — then plan and apply an example with a
# real Terraform. The plan shows each resource's expansion: the children, their settings,
# where each setting came from, the resolved host of every service and the monthly cost.
#
# Usage: scripts/demo.sh [example-dir]   (default: examples/phishsentry; any stack under
#        examples/: the demo makes a VPC, subnet and security group in every region the
#        stack's environments use)
# Environment: TERRAFORM=/path/to/terraform to pick a Terraform; KEEP=1 keeps the work dir;
#              DESTROY=1 destroys everything at the end: first as a user would, which the
#              production databases' guard refuses, then after lifting the guard the
#              documented way (`-var decommission=true`: allow_replacement, no deletion
#              protection).
#              DEMO_SKIP_BUILD=1 uses the tools and binaries already built, from DEMO_BIN_DIR
#              (default target/debug): the e2e test that runs the demo on every stack.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The stacks: example folders with a main.tf (provider/, resources/ and data-sources/ hold
# the registry docs' snippets, not stacks).
stacks() {
    local d
    for d in "$ROOT"/examples/*/; do
        d=${d%/}
        case $(basename "$d") in provider | resources | data-sources) continue ;; esac
        [ -f "$d/main.tf" ] && printf '  examples/%s\n' "$(basename "$d")"
    done
}
EXAMPLE=${1:-$ROOT/examples/phishsentry}
if [ ! -f "$EXAMPLE/main.tf" ]; then
    printf 'demo: no example stack at %s; choose one of:\n%s\n' "$EXAMPLE" "$(stacks)" >&2
    exit 2
fi
EXAMPLE=$(cd "$EXAMPLE" && pwd)
cd "$ROOT"

if [ -z "${DEMO_SKIP_BUILD:-}" ]; then
    scripts/install-test-deps.sh
    # The same features scripts/test.sh builds with (a bench target makes cargo resolve the
    # dev-dependencies' features as the tests do), so the tests after the demo reuse every
    # artifact instead of rebuilding the tree with other features. --workspace: the
    # simulator is its own member (crates/platform-sim).
    echo "demo: building the provider and the simulator (first run on 2 cores: about 20 minutes)" >&2
    cargo build --workspace --bins --benches
fi

BIN_DIR=${DEMO_BIN_DIR:-$ROOT/target/debug}
TF=${TERRAFORM:-$(head -n 1 .tools/terraform-versions.txt)}
ENDPOINT=$("$ROOT/scripts/moto.sh" start)
"$ROOT/scripts/moto.sh" reset >/dev/null # a server left running holds an earlier run's resources
WORK=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    "$ROOT/scripts/moto.sh" stop >/dev/null 2>&1 || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# The simulator prints `listening on http://127.0.0.1:PORT` once it is ready.
mkfifo "$WORK/sim.out"
"$BIN_DIR/platform-sim" >"$WORK/sim.out" 2>"$WORK/sim.log" &
SIM_PID=$!
read -r LINE <"$WORK/sim.out"
SIM=${LINE#listening on }

cp -r "$EXAMPLE"/. "$WORK/stack"
cat >"$WORK/dev.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "hostmatrix/platform" = "$BIN_DIR"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$WORK/dev.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
export AWS_ENDPOINT_URL="$ENDPOINT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
# The example's own default region: the provider's fallback, and where the listing starts.
REGION=$(sed -n '/^variable "region"/,/^}/s/.*default *= *"\(.*\)".*/\1/p' "$EXAMPLE/main.tf")
REGION=${REGION:-eu-west-1}
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
export PLATFORM_ENDPOINT_FLY="$SIM/fly" PLATFORM_ENDPOINT_CLOUDFLARE="$SIM/cloudflare/client/v4"
export PLATFORM_ENDPOINT_VERCEL="$SIM/vercel"
export FLY_API_TOKEN=sim-token CLOUDFLARE_API_TOKEN=sim-token VERCEL_API_TOKEN=sim-token
export CLOUDFLARE_ACCOUNT_ID=0123456789abcdef0123456789abcdef
PY="$ROOT/.tools/venv/bin/python"

echo "demo: $("$TF" version | head -n 1), AWS emulator (moto) at $ENDPOINT," \
    "Fly.io/Cloudflare simulator at $SIM, example $(basename "$EXAMPLE")" >&2
cd "$WORK/stack"

# Fargate services run in their environment's subnets, and moto checks that they exist.
# A first plan (nothing is created by it) says which region each environment is in; the
# demo then makes a VPC, a subnet and a security group in each of those regions and hands
# every environment the ones of its region.
"$TF" plan -no-color -refresh=false -out=regions.tfplan >"$WORK/regions-plan.log" 2>&1 || {
    cat "$WORK/regions-plan.log" >&2
    exit 1
}
"$TF" show -json regions.tfplan >"$WORK/regions-plan.json"
rm -f regions.tfplan
"$PY" - "$ENDPOINT" "$WORK/regions-plan.json" "$WORK/network.auto.tfvars.json" "$WORK/regions" <<'PY'
import json, sys, boto3
endpoint, plan_path, tfvars_path, regions_path = sys.argv[1:5]
plan = json.load(open(plan_path))

def resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)

envs = {}  # the key the example indexes subnet_ids by -> region
for r in resources(plan.get("planned_values", {}).get("root_module", {})):
    if r["type"] == "platform_environment":
        envs[str(r.get("index", r["name"]))] = r["values"]["region"]
networks = {}
for region in sorted(set(envs.values())):
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="api", Description="api", VpcId=vpc)["GroupId"]
    # Public subnets in two zones, for the load balancers of environments with `ingress`.
    public = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=region + zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.0.2.0/24", "a"), ("10.0.3.0/24", "b"))
    ]
    networks[region] = (subnet, sg, public)
    print(f"demo: {region}: {vpc}, {subnet}, {sg}, public {', '.join(public)}", file=sys.stderr)
declared = plan.get("configuration", {}).get("root_module", {}).get("variables", {})
variables = set(declared)
tfvars = {}
if "public_subnet_ids" in variables:
    tfvars["public_subnet_ids"] = {k: networks[r][2] for k, r in envs.items()}
if "hosted_zone_id" in variables and "domain" in variables:
    # The hosted zone of the stack's domain, where certificates are validated.
    domain = declared["domain"].get("default")
    zone = boto3.client("route53", endpoint_url=endpoint, region_name="us-east-1").create_hosted_zone(
        Name=domain, CallerReference="demo")["HostedZone"]["Id"].split("/")[-1]
    tfvars["hosted_zone_id"] = zone
    print(f"demo: hosted zone {zone} for {domain}", file=sys.stderr)
if "subnet_ids" in variables:
    tfvars["subnet_ids"] = {k: [networks[r][0]] for k, r in envs.items()}
if "security_group_ids" in variables:
    tfvars["security_group_ids"] = {k: [networks[r][1]] for k, r in envs.items()}
json.dump(tfvars, open(tfvars_path, "w"), indent=2)
open(regions_path, "w").write(" ".join(sorted(networks)))
PY
cp "$WORK/network.auto.tfvars.json" demo-network.auto.tfvars.json

"$TF" plan -no-color -out=plan.tfplan
"$TF" apply -no-color -auto-approve plan.tfplan
echo "demo: what the emulators now hold:" >&2
"$PY" - "$ENDPOINT" "$SIM" "$(cat "$WORK/regions") $REGION" <<'PY'
import json, sys, urllib.request, boto3
moto, sim, regions = sys.argv[1], sys.argv[2], sorted(set(sys.argv[3].split()))
for region in regions:
    ecs = boto3.client("ecs", endpoint_url=moto, region_name=region)
    arns = ecs.list_clusters()["clusterArns"]
    for c in ecs.describe_clusters(clusters=arns, include=["TAGS"])["clusters"] if arns else []:
        tags = {t["key"]: t["value"] for t in c.get("tags", [])}
        print(f"  ecs cluster   {c['clusterName']:<28} {region} tier={tags.get('platform:tier')}")
        services = ecs.list_services(cluster=c["clusterName"])["serviceArns"]
        for s in ecs.describe_services(cluster=c["clusterName"], services=services)["services"] if services else []:
            print(f"  ecs service   {s['serviceName']:<28} desired={s['desiredCount']} task={s['taskDefinition'].split('/')[-1]}")
    scheduler = boto3.client("scheduler", endpoint_url=moto, region_name=region)
    for item in scheduler.list_schedules().get("Schedules", []):
        s = scheduler.get_schedule(Name=item["Name"], GroupName=item.get("GroupName", "default"))
        task = s["Target"].get("EcsParameters", {}).get("TaskDefinitionArn", "").split("/")[-1]
        print(f"  schedule      {s['Name']:<28} {s['ScheduleExpression']} {s.get('ScheduleExpressionTimezone', 'UTC')} task={task}")
    # The platform's own alarms (target tracking's, which Application Auto Scaling makes, left out).
    for a in boto3.client("cloudwatch", endpoint_url=moto, region_name=region).describe_alarms()["MetricAlarms"]:
        if a["AlarmName"].startswith("TargetTracking-"):
            continue
        print(f"  alarm         {a['AlarmName']:<28} {a.get('MetricName') or 'metric math'} {a['ComparisonOperator']} {a['Threshold']}")
for region in sorted(set(regions) | {"eu-west-1", "us-east-1"}):
    sqs = boto3.client("sqs", endpoint_url=moto, region_name=region)
    for url in sqs.list_queues().get("QueueUrls", []):
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(a["RedrivePolicy"]) if a.get("RedrivePolicy") else None
        dlq = f"dead-letter={redrive['deadLetterTargetArn'].split(':')[-1]} after {redrive['maxReceiveCount']}" if redrive else ""
        print(f"  sqs queue     {url.rsplit('/', 1)[-1]:<28} {region} {dlq}")
    ec = boto3.client("elasticache", endpoint_url=moto, region_name=region)
    for g in ec.describe_replication_groups()["ReplicationGroups"]:
        print(f"  cache         {g['ReplicationGroupId']:<28} {region} {g.get('CacheNodeType')} nodes={len(g.get('MemberClusters', []))} "
              f"tls={g.get('TransitEncryptionEnabled')} auth={g.get('AuthTokenEnabled')}")
    # Names only: a secret's value never leaves Secrets Manager.
    for s in boto3.client("secretsmanager", endpoint_url=moto, region_name=region).list_secrets()["SecretList"]:
        print(f"  secret        {s['Name']:<28} {region}")
for b in boto3.client("s3", endpoint_url=moto, region_name="us-east-1").list_buckets()["Buckets"]:
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    versioning = s3.get_bucket_versioning(Bucket=b["Name"]).get("Status", "off")
    try:
        rules = len(s3.get_bucket_lifecycle_configuration(Bucket=b["Name"])["Rules"])
    except Exception:
        rules = 0
    print(f"  s3 bucket     {b['Name']:<28} versioning={versioning} lifecycle_rules={rules}")
for region in sorted(set(regions) | {"eu-west-1", "us-east-1"}):
    for d in boto3.client("rds", endpoint_url=moto, region_name=region).describe_db_instances()["DBInstances"]:
        print(f"  rds instance  {d['DBInstanceIdentifier']:<28} {region} {d['DBInstanceClass']} multi_az={d['MultiAZ']} "
              f"backups={d['BackupRetentionPeriod']}d storage={d['AllocatedStorage']}GB")
state = json.load(urllib.request.urlopen(f"{sim}/_sim/state"))
for app in state["fly"]["apps"]:
    live = [m for m in app["machines"] if m["state"] != "destroyed"]
    print(f"  fly app       {app['name']:<28} machines=" + ",".join(f"{m['region']}:{m['config']['guest']['memory_mb']}MB" for m in live))
for account in state["cloudflare"]["accounts"]:
    for s in account["scripts"]:
        print(f"  worker        {s['name']:<28} workers.dev={s['workers_dev']}")
access = {a.get("name"): a for a in state.get("access", {}).get("apps", [])}
for p in state.get("pages", {}).get("projects", []):
    domains = ",".join(d["name"] for d in p["domains"]) or "-"
    guard = f" access={len(access[p['name']].get('policies', []))} policy" if p["name"] in access else ""
    print(f"  pages project {p['name']:<28} https://{p['name']}.pages.dev deployments={p['deployments']} domains={domains}{guard}")
for p in state.get("vercel", {}).get("projects", []):
    domains = ",".join(d["name"] for d in p["domains"]) or "-"
    print(f"  vercel project {p['name']:<27} framework={p['framework']} deployments={len(p['deployments'])} domains={domains}")
PY
echo "demo: a second plan is empty:" >&2
"$TF" plan -no-color -detailed-exitcode >/dev/null && echo "  no changes" >&2

if [ -n "${DESTROY:-}" ]; then
    echo "demo: destroying as a user would first; production databases refuse it:" >&2
    if "$TF" destroy -no-color -auto-approve >"$WORK/destroy.log" 2>&1; then
        echo "demo: destroyed (the stack has no production database)" >&2
        exit 0
    fi
    grep -A6 'Error:' "$WORK/destroy.log" | sed 's/^/  /' >&2
    grep -q 'decommission' main.tf || {
        echo "demo: the destroy failed, and this stack has no decommission variable to lift a guard:" >&2
        cat "$WORK/destroy.log" >&2
        exit 1
    }
    echo "demo: lifting the guard the documented way (apply -var decommission=true), then destroying:" >&2
    "$TF" apply -no-color -auto-approve -var decommission=true >/dev/null
    "$TF" destroy -no-color -auto-approve -var decommission=true >/dev/null
    echo "demo: destroyed" >&2
fi
