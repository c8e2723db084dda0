#!/usr/bin/env bash
# Runs a moto_server (AWS mock, from .tools/venv) for manual testing.
#
#   scripts/moto.sh start [PORT]  start on 127.0.0.1 (a free port unless PORT is
#                                 given), wait until it answers, print its URL
#   scripts/moto.sh stop          stop it
#   scripts/moto.sh reset         wipe all mocked AWS state (POST /moto-api/reset)
#   scripts/moto.sh status        print the URL if running, exit 1 if not
#
# State lives in .tools/run/ (moto.pid, moto.port, moto.log). `start` is
# idempotent: with a server already running it prints that server's URL.
# Point clients at it with e.g.
#   AWS_ENDPOINT_URL=$(scripts/moto.sh start) AWS_ACCESS_KEY_ID=testing \
#   AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 ...
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TOOLS=$ROOT/.tools
VENV=$TOOLS/venv
RUN=$TOOLS/run
PID_FILE=$RUN/moto.pid
PORT_FILE=$RUN/moto.port
LOG_FILE=$RUN/moto.log

die() {
    printf 'moto.sh: ERROR: %s\n' "$*" >&2
    exit 1
}
usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Prints the pid of the running server, or fails.
running_pid() {
    local pid
    [ -f "$PID_FILE" ] || return 1
    pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # the pid may have been reused by an unrelated process
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q moto_server || return 1
    printf '%s\n' "$pid"
}

# answers URL [SECONDS]: waits until moto answers on URL.
answers() {
    "$VENV/bin/python" - "$1" "${2:-0}" <<'EOF'
import sys, time, urllib.request
url, wait = sys.argv[1], float(sys.argv[2])
deadline = time.time() + wait
while True:
    try:
        urllib.request.urlopen(url + "/moto-api/", timeout=2).read()
        sys.exit(0)
    except Exception:
        if time.time() >= deadline:
            sys.exit(1)
        time.sleep(0.2)
EOF
}

cmd_start() {
    local want_port=${1:-} pid port url
    if [ -n "$want_port" ]; then
        case $want_port in
        *[!0-9]*) die "PORT must be a number, got '$want_port'" ;;
        esac
    fi
    if pid=$(running_pid); then
        port=$(cat "$PORT_FILE")
        if [ -n "$want_port" ] && [ "$want_port" != "$port" ]; then
            die "moto_server already running on port $port (pid $pid); run 'scripts/moto.sh stop' first"
        fi
        printf 'http://127.0.0.1:%s\n' "$port"
        return
    fi
    if [ ! -x "$VENV/bin/moto_server" ]; then
        echo "moto.sh: $VENV missing, running scripts/install-test-deps.sh" >&2
        "$SCRIPT_DIR/install-test-deps.sh" || die "install-test-deps.sh failed"
    fi
    mkdir -p "$RUN"
    port=${want_port:-$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    url=http://127.0.0.1:$port
    # setsid: its own session, so it outlives this shell and Ctrl-C in it.
    # ACM issues DNS-validated certificates at once (moto never checks the record).
    # scripts/moto_server.py: moto_server plus CloudWatch's CBOR protocol (the Rust SDK's).
    MOTO_ACM_VALIDATION_WAIT=0 setsid "$VENV/bin/python" "$SCRIPT_DIR/moto_server.py" -H 127.0.0.1 -p "$port" >"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    printf '%s\n' "$port" >"$PORT_FILE"
    if ! answers "$url" 60; then
        kill "$pid" 2>/dev/null || true
        rm -f "$PID_FILE" "$PORT_FILE"
        tail -n 20 "$LOG_FILE" >&2 || true
        die "moto_server did not answer on $url within 60s (log: $LOG_FILE)"
    fi
    printf '%s\n' "$url"
}

cmd_stop() {
    local pid
    if pid=$(running_pid); then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$PID_FILE" "$PORT_FILE"
}

cmd_reset() {
    local port
    running_pid >/dev/null || die "moto_server is not running (scripts/moto.sh start)"
    port=$(cat "$PORT_FILE")
    "$VENV/bin/python" -c '
import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/moto-api/reset", data=b"", method="POST")
sys.exit(0 if urllib.request.urlopen(req, timeout=30).status == 200 else 1)
' "http://127.0.0.1:$port" || die "reset failed on port $port"
}

cmd_status() {
    running_pid >/dev/null || {
        echo "moto.sh: not running" >&2
        exit 1
    }
    printf 'http://127.0.0.1:%s\n' "$(cat "$PORT_FILE")"
}

case ${1:-} in
start)
    [ $# -le 2 ] || usage
    cmd_start "${2:-}"
    ;;
stop) cmd_stop ;;
reset) cmd_reset ;;
status) cmd_status ;;
*) usage ;;
esac
