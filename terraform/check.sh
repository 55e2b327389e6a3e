#!/usr/bin/env bash
# Offline checks for terraform/: fmt, module READMEs, init+validate, terraform test (the env
# root once more per environment, with its ENV.tfvars), checkov.
# Runs from any cwd; exits non-zero if any stage fails. Nothing is written into
# the tree: provider installs and .terraform state go to a temp dir.
set -uo pipefail

TF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tfcheck.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

failed=0
skipped=0
summary=()
note() { summary+=("$1"); echo "== $1"; }

# ---------------------------------------------------------------- fmt
if terraform -chdir="$TF_ROOT" fmt -check -recursive -diff >"$WORK/fmt.log" 2>&1; then
  note "fmt: OK"
else
  cat "$WORK/fmt.log"
  note "fmt: FAILED (run: terraform -chdir=$TF_ROOT fmt -recursive)"
  failed=1
fi

# ---------------------------------------------------------------- module READMEs
# Each module's README (and the env root's) lists exactly its variables and outputs.
if python3 "$TF_ROOT/check_readmes.py" >"$WORK/readmes.log" 2>&1; then
  note "readmes: OK ($(tail -n1 "$WORK/readmes.log"))"
else
  cat "$WORK/readmes.log"
  note "readmes: FAILED ($(tail -n1 "$WORK/readmes.log"))"
  failed=1
fi

# ---------------------------------------------------------------- provider mirror
# The machine carries hashicorp/aws in a filesystem mirror; there is no registry
# access, so init only works through it. Find it rather than assume a path.
find_mirror() {
  local hit root
  # An explicit TF_PLUGIN_MIRROR is trusted or rejected, never second-guessed.
  if [ -n "${TF_PLUGIN_MIRROR:-}" ]; then
    [ -d "$TF_PLUGIN_MIRROR/registry.terraform.io/hashicorp/aws" ] && { echo "$TF_PLUGIN_MIRROR"; return 0; }
    return 1
  fi
  for base in /opt/tf-plugins /usr/share/terraform/plugins \
    "$HOME/.terraform.d/plugins" "$HOME/.local/share/terraform/plugins" /usr/local/share/terraform/plugins; do
    [ -n "$base" ] && [ -d "$base/registry.terraform.io/hashicorp/aws" ] && { echo "$base"; return 0; }
  done
  hit="$(find / -xdev \( -path /proc -o -path /sys \) -prune -o \
    -path '*registry.terraform.io/hashicorp/aws/*' -name 'terraform-provider-aws*' -print 2>/dev/null | head -n1)"
  [ -n "$hit" ] || return 1
  root="${hit%%/registry.terraform.io/*}"
  echo "$root"
}

MIRROR="$(find_mirror || true)"
if [ -z "$MIRROR" ]; then
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!! No hashicorp/aws provider mirror found on this machine."
  echo "!! terraform init / validate / test were SKIPPED - NOT PASSED."
  echo "!! (set TF_PLUGIN_MIRROR=/dir/holding/registry.terraform.io to point at one)"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  note "init+validate: SKIPPED (no provider mirror found)"
  note "test: SKIPPED (no provider mirror found)"
  skipped=1
  # CI machines are expected to carry the mirror; REQUIRE_TF_MIRROR=1 makes its absence fatal.
  [ "${REQUIRE_TF_MIRROR:-0}" = 1 ] && failed=1
else
  cat >"$WORK/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
RC
  export TF_CLI_CONFIG_FILE="$WORK/terraform.rc"
  export TF_IN_AUTOMATION=1
  export CHECKPOINT_DISABLE=1
  echo "provider mirror: $MIRROR"

  dirs=()
  for d in "$TF_ROOT"/modules/*/ "$TF_ROOT"/env/; do dirs+=("${d%/}"); done
  # The environments: every ENV.s3.tfbackend in the env root, with its ENV.tfvars.
  envs=()
  for b in "$TF_ROOT"/env/*.s3.tfbackend; do
    e="$(basename "$b" .s3.tfbackend)"
    if [ -f "$TF_ROOT/env/$e.tfvars" ]; then envs+=("$e"); else
      echo "env/$e.s3.tfbackend has no env/$e.tfvars"; failed=1
    fi
  done
  [ "${#envs[@]}" -gt 0 ] || { echo "no environment (env/ENV.s3.tfbackend + env/ENV.tfvars) found"; failed=1; }

  v_ok=0; v_fail=0; t_ok=0; t_fail=0; t_mods=0; t_runs=0
  tf_test() { # tf_test DIR LABEL [terraform test args...]: runs, counts and reports one terraform test
    local dir=$1 label=$2 rc pass fail
    shift 2
    terraform -chdir="$dir" test -no-color "$@" >"$WORK/test.log" 2>&1
    rc=$?
    pass=$(grep -c '^  run ".*"\.\.\. pass' "$WORK/test.log")
    fail=$(grep -c '^  run ".*"\.\.\. fail' "$WORK/test.log")
    t_runs=$((t_runs + pass + fail))
    t_ok=$((t_ok + pass)); t_fail=$((t_fail + fail))
    if [ "$rc" -ne 0 ]; then
      cat "$WORK/test.log"; echo "test FAILED: $label"
      [ "$fail" -eq 0 ] && t_fail=$((t_fail + 1))
    elif [ "$pass" -eq 0 ]; then
      cat "$WORK/test.log"; echo "test FAILED: $label: no run passed"; t_fail=$((t_fail + 1))
    else
      echo "test: $label: $pass run(s) passed"
    fi
  }
  for d in "${dirs[@]}"; do
    rel="${d#"$TF_ROOT"/}"
    # Per-directory data dir in the temp dir keeps .terraform out of the tree.
    export TF_DATA_DIR="$WORK/data/${rel//\//_}"
    # init always writes .terraform.lock.hcl next to the config (TF_DATA_DIR
    # does not move it); it is gitignored and removed again below.
    if ! terraform -chdir="$d" init -backend=false -input=false -no-color >"$WORK/init.log" 2>&1; then
      cat "$WORK/init.log"; echo "init FAILED: $rel"; v_fail=$((v_fail + 1))
      rm -f "$d/.terraform.lock.hcl"; continue
    fi
    if terraform -chdir="$d" validate -no-color >"$WORK/validate.log" 2>&1; then
      v_ok=$((v_ok + 1))
    else
      cat "$WORK/validate.log"; echo "validate FAILED: $rel"; v_fail=$((v_fail + 1))
    fi
    if compgen -G "$d/tests/*.tftest.hcl" >/dev/null; then
      t_mods=$((t_mods + 1))
      if [ "$rel" = env ]; then
        # tests/tfvars.tftest.hcl needs an environment's tfvars: once per environment; the rest once.
        tf_test "$d" "$rel" -filter=tests/platform.tftest.hcl
        for e in "${envs[@]}"; do tf_test "$d" "$rel ($e.tfvars)" -filter=tests/tfvars.tftest.hcl -var-file="$e.tfvars"; done
      else
        tf_test "$d" "$rel"
      fi
    fi
    rm -f "$d/.terraform.lock.hcl"
  done
  unset TF_DATA_DIR
  note "init+validate: ${v_ok} ok, ${v_fail} failed (of ${#dirs[@]} dirs)"
  echo "terraform test ran in ${t_mods} dirs (env: once more per environment: ${envs[*]})"
  note "test: ${t_ok} passed, ${t_fail} failed"
  [ "$v_fail" -eq 0 ] || failed=1
  [ "$t_fail" -eq 0 ] && [ "$t_ok" -gt 0 ] || failed=1
fi

# ---------------------------------------------------------------- checkov
# Own venv so checkov's pinned deps cannot disturb the system python (boto3/moto).
VENV="${CHECKOV_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/deployer/checkov-venv}"
if [ ! -x "$VENV/bin/checkov" ]; then
  echo "installing checkov into $VENV"
  python3 -m venv "$VENV" && "$VENV/bin/pip" install --quiet --disable-pip-version-check checkov \
    >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; }
fi
if [ -x "$VENV/bin/checkov" ]; then
  "$VENV/bin/checkov" -d "$TF_ROOT" --framework terraform --skip-download --quiet --compact \
    >"$WORK/checkov.log" 2>&1
  crc=$?
  # Second (few-second) scan only for the counts and skipped ids in the summary.
  "$VENV/bin/checkov" -d "$TF_ROOT" --framework terraform --skip-download -o json \
    >"$WORK/checkov.json" 2>/dev/null
  counts="$(python3 - "$WORK/checkov.json" <<'PY'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except Exception as e:
    print("unparseable checkov JSON:", e); sys.exit(1)
if isinstance(data, dict):
    data = [data]
p = f = s = 0
skipped = set()
for rep in data:
    res = rep.get("results", {})
    p += len(res.get("passed_checks", []))
    f += len(res.get("failed_checks", []))
    s += len(res.get("skipped_checks", []))
    skipped.update(c["check_id"] for c in res.get("skipped_checks", []))
print(f"{p} passed, {f} failed, {s} skipped ({', '.join(sorted(skipped)) or 'none'})")
sys.exit(1 if f else 0)
PY
)"
  prc=$?
  if [ "$crc" -eq 0 ] && [ "$prc" -eq 0 ]; then
    note "checkov: ${counts}"
  else
    cat "$WORK/checkov.log"
    note "checkov: FAILED: ${counts}"
    failed=1
  fi
else
  note "checkov: FAILED (could not install checkov into $VENV)"
  failed=1
fi

echo
echo "---- summary ----"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then echo "RESULT: FAILED"; exit 1; fi
if [ "$skipped" -ne 0 ]; then
  echo "RESULT: PARTIAL - fmt and checkov passed, init/validate/test were SKIPPED (no provider mirror)"
  exit 0
fi
echo "RESULT: OK"
