#!/usr/bin/env bash
# Packages the provider for THIS machine's platform in the Terraform Registry's release
# layout: the same file names and contents .goreleaser.yml publishes for every platform,
# so a release can be tried end to end (install, lock file, signature) without GoReleaser.
#
#   OUT/terraform-provider-platform_X.Y.Z_OS_ARCH.zip       holds terraform-provider-platform_vX.Y.Z
#   OUT/terraform-provider-platform_X.Y.Z_manifest.json     copy of terraform-registry-manifest.json
#   OUT/terraform-provider-platform_X.Y.Z_SHA256SUMS        sha256 of the zip and the manifest
#   OUT/terraform-provider-platform_X.Y.Z_SHA256SUMS.sig    detached binary signature (--sign)
#
# --mirror DIR also copies the zip into DIR as a Terraform filesystem_mirror, packed layout:
#   DIR/HOST/hostmatrix/platform/terraform-provider-platform_X.Y.Z_OS_ARCH.zip
# and a CLI config (TF_CLI_CONFIG_FILE) installs from it with
#   provider_installation {
#     filesystem_mirror {
#       path    = "DIR"
#       include = ["registry.terraform.io/hostmatrix/platform"]
#     }
#   }
# HOST is the hostname in the provider's full source address. Terraform expands
# `hostmatrix/platform` to registry.terraform.io/hostmatrix/platform, OpenTofu to
# registry.opentofu.org/hostmatrix/platform, so a mirror for OpenTofu needs
# --host registry.opentofu.org (and that address in `include`).
#
# Usage: scripts/package.sh --version X.Y.Z [--binary PATH] [--out DIR] [--sign]
#                           [--mirror DIR] [--host HOSTNAME]
#   --version X.Y.Z  release version, without the leading v (required)
#   --binary PATH    an already built provider binary; default: cargo build --release
#   --out DIR        where the release files go (default: <repo>/dist)
#   --sign           sign SHA256SUMS with gpg key $GPG_FINGERPRINT (skipped when unset)
#   --mirror DIR     also lay the zip out as a filesystem_mirror under DIR
#   --host HOSTNAME  registry hostname of the mirror path (default: registry.terraform.io)
# Prints the paths it wrote, one per line, on stdout.
set -euo pipefail

NAME=terraform-provider-platform
NAMESPACE=hostmatrix
TYPE=platform
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
    printf 'package: ERROR: %s\n' "$*" >&2
    exit 1
}
usage() { sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

VERSION='' BINARY='' OUT=$ROOT/dist SIGN=0 MIRROR='' HOST=registry.terraform.io
while [ $# -gt 0 ]; do
    case $1 in
    --version | --binary | --out | --mirror | --host)
        [ $# -ge 2 ] || die "$1 needs a value (try --help)"
        case $1 in
        --version) VERSION=$2 ;;
        --binary) BINARY=$2 ;;
        --out) OUT=$2 ;;
        --mirror) MIRROR=$2 ;;
        --host) HOST=$2 ;;
        esac
        shift 2
        ;;
    --sign) SIGN=1 && shift ;;
    -h | --help) usage && exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
    esac
done

[ -n "$VERSION" ] || die "--version X.Y.Z is required (try --help)"
# The registry takes semantic versions; a leading v belongs to the git tag only.
[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
    die "--version '$VERSION' is not a semantic version X.Y.Z (without the leading v)"

# Terraform's platform names are Go's GOOS_GOARCH.
case $(uname -s) in
Linux) OS=linux ;;
Darwin) OS=darwin ;;
MINGW* | MSYS* | CYGWIN*) OS=windows ;;
*) die "unsupported operating system $(uname -s)" ;;
esac
case $(uname -m) in
x86_64 | amd64) ARCH=amd64 ;;
aarch64 | arm64) ARCH=arm64 ;;
*) die "unsupported architecture $(uname -m)" ;;
esac
EXT=
[ "$OS" != windows ] || EXT=.exe

if [ -z "$BINARY" ]; then
    printf 'package: cargo build --release --bin %s\n' "$NAME" >&2
    (cd "$ROOT" && cargo build --release --locked --bin "$NAME" >&2)
    target_dir=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    BINARY=$target_dir/release/$NAME$EXT
fi
[ -f "$BINARY" ] || die "binary '$BINARY' does not exist"

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
zip_name=${NAME}_${VERSION}_${OS}_${ARCH}.zip
manifest_name=${NAME}_${VERSION}_manifest.json
sums_name=${NAME}_${VERSION}_SHA256SUMS

stage=$(mktemp -d "${TMPDIR:-/tmp}/package.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# The zip holds the binary alone, at its root, executable. Built in the stage and moved
# into place, so a leftover zip of the same name is replaced, not appended to.
bin_name=${NAME}_v${VERSION}${EXT}
cp "$BINARY" "$stage/$bin_name"
chmod 755 "$stage/$bin_name"
if command -v zip >/dev/null 2>&1; then
    (cd "$stage" && zip -q -X "$zip_name" "$bin_name")
else
    (cd "$stage" && python3 -m zipfile -c "$zip_name" "$bin_name")
fi
mv "$stage/$zip_name" "$OUT/$zip_name"
cp "$ROOT/terraform-registry-manifest.json" "$OUT/$manifest_name"

# Same format as GoReleaser's checksum file: "<sha256>  <name>", sorted by name.
for f in "$zip_name" "$manifest_name"; do
    printf '%s  %s\n' "$(sha256 "$OUT/$f")" "$f"
done | LC_ALL=C sort -k2 >"$OUT/$sums_name"
written=("$OUT/$zip_name" "$OUT/$manifest_name" "$OUT/$sums_name")

rm -f "$OUT/$sums_name.sig"
if [ "$SIGN" = 1 ]; then
    if [ -z "${GPG_FINGERPRINT:-}" ]; then
        printf 'package: GPG_FINGERPRINT is not set; %s is not signed\n' "$sums_name" >&2
    else
        # The registry wants a binary (not armored) detached signature, as GoReleaser makes.
        gpg --batch --yes --local-user "$GPG_FINGERPRINT" \
            --output "$OUT/$sums_name.sig" --detach-sign "$OUT/$sums_name"
        written+=("$OUT/$sums_name.sig")
    fi
fi

if [ -n "$MIRROR" ]; then
    mirror_dir=$MIRROR/$HOST/$NAMESPACE/$TYPE
    mkdir -p "$mirror_dir"
    cp "$OUT/$zip_name" "$mirror_dir/$zip_name"
    written+=("$(cd "$mirror_dir" && pwd)/$zip_name")
fi

printf '%s\n' "${written[@]}"
