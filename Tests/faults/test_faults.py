"""`deployer apply` under injected faults, against the real peers (SeaweedFS, moto) through
Tests/faults/fault_proxy.py. See Tests/faults/README.md.

    python3 -m pytest Tests/faults -q -rs      # ~5 min; needs .build/debug/deployer (or DEPLOYER_BIN)

Invariants, checked at the peers, never through the proxy:
  * a faulted apply completes, or fails cleanly: exit 1, exactly one `error:` line, no secret
    or `Signature=` value in its output;
  * then ONE fault-free `apply --auto-approve [--force-unlock ID]` converges: exit 0, no lock
    object, no in-progress multipart upload under the prefix, latest.json agrees with the live
    Glue job (its --deployer-artifact), the artifact is complete, `plan --detailed-exitcode` is 0.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as H  # noqa: E402

SEEDS_LOW = (1, 2, 3, 4)
SEED_HIGH = 5
KILL_BUDGET = float(os.environ.get("FAULTS_KILL_BUDGET", "300"))  # seconds for both kill passes
MAX_STEPS = 80


def say(text: str) -> None:
    print(text, flush=True)  # shown with a failure's captured output (or with -s)


@pytest.fixture(scope="module")
def h():
    try:
        harness = H.Harness()
    except H.Unavailable as error:
        reason = f"fault-injection tests SKIPPED: {error}"
        sys.__stderr__.write(f"\n*** {reason}\n")
        pytest.skip(reason)
    yield harness
    harness.close()


def trial_problems(trial: H.Trial, secrets: list[str], require_lock_released: bool) -> list[str]:
    problems = [f"faulted apply: {p}" for p in trial.unclean]
    if require_lock_released and trial.run.status != 0 and trial.after.lock is not None:
        problems.append(f"failed apply left its lock {trial.after.lock_id} behind")
    if trial.recovery is not None:
        problems += [f"recovery apply printed {w}" for w in H.leaks(trial.recovery.stdout + trial.recovery.stderr, secrets)]
    problems += [f"after recovery: {p}" for p in trial.recovery_problems()]
    return problems


def report(trial: H.Trial, problems: list[str]) -> str:
    lines = [f"[{trial.label}] {'completed' if trial.completed else 'failed'} in {trial.run.seconds:.1f}s "
             f"({len(trial.run.faults())} faults in {len(trial.run.requests)} requests); "
             f"left: lock={trial.after.lock_id} uploads={len(trial.after.uploads)} record={'ok' if not trial.after.record_problems else trial.after.record_problems}"]
    lines += [f"  PROBLEM {p}" for p in problems]
    if problems:
        lines.append("  " + trial.run.describe().replace("\n", "\n  "))
        if trial.recovery is not None:
            lines.append("  recovery: " + trial.recovery.describe().replace("\n", "\n  "))
    return "\n".join(lines)


def run_trial(h: H.Harness, seed: int, rate: float, require_lock_released: bool) -> None:
    """A first apply (upload, multipart, create) of a fresh target under faults, then its
    fault-free recovery. (Updates are not exercised: moto 5.2 has no Glue UpdateJob.)"""
    case = h.case(f"s{seed}r{int(rate * 100)}")
    try:
        trial = H.trial(case, H.FaultConfig(seed=seed, rate=rate), f"seed {seed} rate {rate}")
    finally:
        case.cleanup()
    problems = trial_problems(trial, h.peers.secrets(), require_lock_released)
    say(report(trial, problems))
    assert not problems, report(trial, problems)


@pytest.mark.parametrize("seed", SEEDS_LOW)
def test_random_faults_rate_0_2(h, seed):
    run_trial(h, seed, 0.2, require_lock_released=False)


def test_random_faults_rate_0_5_release_the_lock(h):
    run_trial(h, SEED_HIGH, 0.5, require_lock_released=True)


@pytest.fixture(scope="module")
def steps(h) -> int:
    """M: requests of one clean apply of a fresh target (both services)."""
    case = h.case("count")
    try:
        run = case.apply(H.FaultConfig(rate=0.0))
        assert run.status == 0, run.describe()
        say(f"clean apply: {len(run.requests)} requests in {run.seconds:.1f}s: "
            + ", ".join(f"{r['service']}:{r['method']}" for r in run.requests))
        return len(run.requests)
    finally:
        case.cleanup()


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_at_every_step(h, steps, when):
    """SIGKILL deployer at request N (before it is forwarded / after the upstream answered),
    for every N of a clean apply; one fault-free apply must then converge."""
    assert 0 < steps <= MAX_STEPS, f"a clean apply made {steps} requests"
    deadline = time.monotonic() + KILL_BUDGET / 2
    failures, not_killed, untested = [], [], []
    for n in range(1, steps + 1):
        if time.monotonic() > deadline:
            untested = list(range(n, steps + 1))
            break
        case = h.case(f"k{when[0]}{n}x")
        try:
            trial = H.trial(case, H.FaultConfig(kill_at=n, kill_when=when), f"kill {when} request {n}/{steps}")
        finally:
            case.cleanup()
        killed_at = next((r for r in trial.run.requests if str(r.get("fault", "")).startswith("kill")), None)
        where = f"{killed_at['service']}:{killed_at['method']} {killed_at['path'].split('/', 2)[-1][-60:]}" if killed_at else "-"
        if not trial.run.killed:
            not_killed.append(n)
        problems = [f"after recovery: {p}" for p in trial.recovery_problems()]
        problems += [f"recovery printed {w}" for w in H.leaks(trial.recovery.stdout + trial.recovery.stderr, h.peers.secrets())]
        line = (f"kill {when} N={n} at {where}: {'killed' if trial.run.killed else f'not killed (exit {trial.run.status})'}; "
                f"left lock={trial.after.lock_id is not None} uploads={len(trial.after.uploads)}; "
                f"recovery exit {trial.recovery.status}" + ("" if not problems else "; " + " | ".join(problems)))
        say(line)
        if problems:
            failures.append(line + "\n    recovery stderr tail: " + " / ".join(trial.recovery.stderr.splitlines()[-4:]))
    message = []
    if failures:
        message.append(f"{len(failures)} of {steps} kill points did not converge after one fault-free apply:")
        message += failures
    if untested:
        message.append(f"time budget ({KILL_BUDGET / 2:.0f}s) ran out: N={untested[0]}..{untested[-1]} not tested")
    if not_killed:
        say(f"note: N={not_killed} finished before the kill point (fewer requests than the clean run)")
    assert not message, "\n".join(message)
