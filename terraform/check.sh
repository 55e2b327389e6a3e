#!/usr/bin/env bash
# Offline checks for terraform/: fmt, init+validate, terraform test, checkov.
# Runs from any cwd; exits non-zero if any stage fails. Nothing is written into
# the tree: provider installs and .terraform state go to a temp dir.
set -uo pipefail

TF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tfcheck.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

failed=0
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

# ---------------------------------------------------------------- provider mirror
# The machine carries hashicorp/aws in a filesystem mirror; there is no registry
# access, so init only works through it. Find it rather than assume a path.
find_mirror() {
  local hit root
  for base in "${TF_PLUGIN_MIRROR:-}" /opt/tf-plugins /usr/share/terraform/plugins \
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
  for d in "$TF_ROOT"/modules/*/ "$TF_ROOT"/envs/*/; do dirs+=("${d%/}"); done

  v_ok=0; v_fail=0; t_ok=0; t_fail=0; t_mods=0; t_runs=0
  for d in "${dirs[@]}"; do
    rel="${d#"$TF_ROOT"/}"
    # Per-directory data dir and lock file in the temp dir keep the tree clean.
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
      terraform -chdir="$d" test -no-color >"$WORK/test.log" 2>&1
      rc=$?
      pass=$(grep -c '^  run ".*"\.\.\. pass' "$WORK/test.log")
      fail=$(grep -c '^  run ".*"\.\.\. fail' "$WORK/test.log")
      t_runs=$((t_runs + pass + fail))
      t_ok=$((t_ok + pass)); t_fail=$((t_fail + fail))
      if [ "$rc" -ne 0 ]; then
        cat "$WORK/test.log"; echo "test FAILED: $rel"
        [ "$fail" -eq 0 ] && t_fail=$((t_fail + 1))
      else
        echo "test: $rel: $pass run(s) passed"
      fi
    fi
    rm -f "$d/.terraform.lock.hcl"
  done
  unset TF_DATA_DIR
  note "init+validate: ${v_ok} ok, ${v_fail} failed (of ${#dirs[@]} dirs)"
  note "test: ${t_ok} passed, ${t_fail} failed (${t_mods} modules with tests)"
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
  "$VENV/bin/checkov" -d "$TF_ROOT" --framework terraform --skip-download -o json \
    >"$WORK/checkov.json" 2>/dev/null
  counts="$(python3 - "$WORK/checkov.json" <<'PY'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except Exception as e:
    print("unparseable checkov output:", e); sys.exit(0)
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
PY
)"
  if [ "$crc" -eq 0 ]; then
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
echo "RESULT: OK"
