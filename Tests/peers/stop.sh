#!/usr/bin/env bash
# Stop the peers started by Tests/peers/start.sh STATE_DIR.
# Idempotent: missing STATE_DIR, missing/stale pid files are fine (exit 0).
# Kills only the process groups recorded in STATE_DIR/{weed,moto,s3proxy}.pid, and
# only after checking that the pid still belongs to the expected program.
# Bounded: SIGTERM, wait up to 10 s, then SIGKILL.
set -uo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
STATE="$1"
[ -d "$STATE" ] || exit 0
STATE="$(cd "$STATE" && pwd)"

stop_one() { # name expected-cmdline-substring
  local name="$1" want="$2" pidf="$STATE/$1.pid" pid cmd pgid i
  [ -s "$pidf" ] || { rm -f "$pidf"; return 0; }
  pid="$(tr -dc '0-9' <"$pidf")"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pidf"; return 0
  fi
  # a pid recorded a moment ago may still be the launching bash before exec: retry briefly
  for i in $(seq 1 20); do
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || ps -o args= -p "$pid" 2>/dev/null || true)"
    case "$cmd" in *"$want"*) break ;; esac
    sleep 0.1
  done
  case "$cmd" in
    *"$want"*) ;;
    *) echo "stop.sh: pid $pid from $pidf is not $name any more ($cmd); not killing" >&2
       rm -f "$pidf"; return 0 ;;
  esac
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -dc '0-9')"
  if [ "$pgid" = "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for i in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop.sh: $name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL" >&2
    if [ "$pgid" = "$pid" ]; then kill -KILL -- "-$pid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.5
  fi
  # stragglers of the same process group (e.g. children) after the leader died
  if [ "$pgid" = "$pid" ] && pgrep -g "$pid" >/dev/null 2>&1; then
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
  echo "stopped $name (pid $pid)"
}

stop_one weed "-dir=$STATE/weed/data"
stop_one moto "moto_launcher.py -H 127.0.0.1"
# the contract test's recording S3 proxy (only started with DEPLOYER_CONTRACT_DIR)
stop_one s3proxy "--port-file $STATE/s3proxy.port"
exit 0
