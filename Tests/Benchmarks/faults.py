#!/usr/bin/env python3
"""How `deployer apply` fares under injected faults (benchmark-style figures, not a test).

    python3 Tests/Benchmarks/faults.py [--seeds 12] [--rate 0.2 --rate 0.5] [--kinds ...] [--no-kill]

Starts SeaweedFS + moto (Tests/peers), puts Tests/faults/fault_proxy.py in front of each, and
for every rate and seed makes one first apply of a fresh Glue target (upload incl. multipart,
CreateJob, records) under faults, inspects what it left at the peers, then runs one fault-free
`apply --auto-approve [--force-unlock ID]` and checks that it converged. Then kill-at-every-step:
SIGKILL at request N (before forwarding / after the answer) for N = 1..M of a clean apply.
See Tests/faults/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
import harness as H  # noqa: E402


def binary_line(binary: Path) -> str:
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()[:12]
    source = H.binary_path()
    mtime = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(source.stat().st_mtime)) if source.exists() else "?"
    head = subprocess.run(["git", "-C", str(H.REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(H.REPO), "status", "--porcelain", "--", "Sources"], capture_output=True, text=True).stdout.strip()
    return f"binary {source} (built {mtime}, sha256 {digest}); HEAD {head}{' + uncommitted Sources changes' if dirty else ''}"


def random_faults(h: H.Harness, rate: float, seeds: int, kinds: tuple[str, ...]) -> dict:
    rows = collections.Counter()
    times, problems, injected = [], [], collections.Counter()
    for seed in range(1, seeds + 1):
        case = h.case(f"b{int(rate * 100)}s{seed}x")
        try:
            trial = H.trial(case, H.FaultConfig(seed=seed, rate=rate, kinds=kinds), f"rate {rate} seed {seed}")
        finally:
            case.cleanup()
        run = trial.run
        times.append(run.seconds)
        injected.update(r["fault"] for r in run.requests if r.get("fault"))
        rows["applies"] += 1
        if run.status == 0 and not trial.unclean:
            rows["completed"] += 1
        elif not trial.unclean:
            rows["failed clean"] += 1
        else:
            rows["unclean"] += 1
            problems.append(
                f"rate {rate} seed {seed}: faulted apply: {'; '.join(trial.unclean)} | {run.error_lines[:1] or run.stderr.strip().splitlines()[-1:]}"
            )
        if trial.after.uploads:
            rows["orphaned uploads"] += 1
        if trial.after.lock is not None:
            rows["stale locks"] += 1
            if run.status != 0 and not run.killed:
                problems.append(f"rate {rate} seed {seed}: failed apply left lock {trial.after.lock_id}")
        if not trial.after.record_problems:
            rows["records consistent"] += 1
        recovery = trial.recovery_problems()
        if not recovery:
            rows["converged"] += 1
        else:
            problems.append(f"rate {rate} seed {seed}: not converged: {'; '.join(recovery)}")
        print(
            f"  rate {rate} seed {seed:2}: {'completed' if run.status == 0 else f'exit {run.status}'} in {run.seconds:5.1f}s, "
            f"{len(run.faults())} faults/{len(run.requests)} requests; left lock={trial.after.lock is not None} "
            f"uploads={len(trial.after.uploads)} record={'ok' if not trial.after.record_problems else 'INCONSISTENT'}; "
            f"next apply {'converged' if not recovery else 'NOT converged'}"
            + (f"\n      {run.error_lines[0][:220]}" if run.status != 0 and run.error_lines else ""),
            flush=True,
        )
    return {
        "rate": rate,
        "rows": rows,
        "median": statistics.median(times) if times else 0.0,
        "max": max(times, default=0.0),
        "problems": problems,
        "injected": injected,
    }


def kill_steps(h: H.Harness) -> dict:
    case = h.case("bcount")
    try:
        clean = case.apply(H.FaultConfig(rate=0.0))
    finally:
        case.cleanup()
    if clean.status != 0:
        return {"steps": 0, "error": clean.describe()}
    steps = len(clean.requests)
    result = {"steps": steps, "cases": 0, "killed": 0, "converged": 0, "left lock": 0, "left uploads": 0, "failures": []}
    for when in ("before", "after"):
        for n in range(1, steps + 1):
            case = h.case(f"bk{when[0]}{n}x")
            try:
                trial = H.trial(case, H.FaultConfig(kill_at=n, kill_when=when), f"kill {when} {n}")
            finally:
                case.cleanup()
            result["cases"] += 1
            result["killed"] += trial.run.killed
            result["left lock"] += trial.after.lock is not None
            result["left uploads"] += bool(trial.after.uploads)
            problems = trial.recovery_problems()
            if problems:
                at = next(
                    (f"{r['service']}:{r['method']} {r['path'].rsplit('/', 1)[-1]}" for r in trial.run.requests if str(r.get("fault", "")).startswith("kill")),
                    "?",
                )
                result["failures"].append(f"kill {when} N={n} ({at}): {'; '.join(problems)}")
            else:
                result["converged"] += 1
        print(f"  kill {when}: {steps} steps done", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=12, help="seeds per rate (default 12)")
    parser.add_argument("--rate", type=float, action="append", help="fault rate; repeatable (default 0.2 and 0.5)")
    parser.add_argument("--kinds", default=",".join(H.KINDS), help="comma-separated fault kinds (default all)")
    parser.add_argument("--no-kill", action="store_true", help="skip kill-at-every-step")
    args = parser.parse_args()
    rates = args.rate or [0.2, 0.5]
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if args.seeds < 1 or args.seeds > 200:
        parser.error("--seeds must be 1..200")
    started = time.monotonic()
    try:
        h = H.Harness()
    except H.Unavailable as error:
        print(f"faults benchmark: cannot run: {error}", file=sys.stderr)
        return 2
    try:
        print(binary_line(h.binary))
        print(
            f"peers: SeaweedFS {h.peers.s3}, moto {h.peers.moto}; kinds {','.join(kinds)}; {args.seeds} seeds per rate; "
            f"job with a {H.BIG_FILE_SIZE >> 20} MiB package file, multipart threshold 8 MiB, parts 5 MiB"
        )
        results = []
        for rate in rates:
            print(f"== rate {rate}", flush=True)
            results.append(random_faults(h, rate, args.seeds, kinds))
        kill = None if args.no_kill else (print("== kill at every step", flush=True), kill_steps(h))[1]
    finally:
        h.close()

    columns = ["applies", "completed", "failed clean", "unclean", "orphaned uploads", "stale locks", "records consistent", "converged"]
    print()
    print(f"{'rate':>5} | " + " | ".join(f"{c:>{max(len(c), 4)}}" for c in columns) + " | median s |  max s")
    for r in results:
        print(f"{r['rate']:>5} | " + " | ".join(f"{r['rows'][c]:>{max(len(c), 4)}}" for c in columns) + f" | {r['median']:8.1f} | {r['max']:6.1f}")
    for r in results:
        print(f"faults injected at rate {r['rate']}: " + ", ".join(f"{k} {r['injected'][k]}" for k in H.KINDS if k in r["injected"]))
    print("(orphaned uploads, stale locks, records consistent: state the faulted apply left behind; converged: after one fault-free apply)")
    if kill is not None:
        if kill.get("error"):
            print(f"kill at every step: the clean apply failed:\n{kill['error']}")
        else:
            print(
                f"kill at every step: M = {kill['steps']} requests; {kill['cases']} kills (before/after each), {kill['killed']} killed, "
                f"{kill['left lock']} left the lock, {kill['left uploads']} left uploads; converged after one fault-free apply: "
                f"{kill['converged']}/{kill['cases']}"
            )
    problems = [p for r in results for p in r["problems"]] + (kill or {}).get("failures", [])
    for problem in problems[:40]:
        print(f"  PROBLEM {problem}")
    if len(problems) > 40:
        print(f"  ... {len(problems) - 40} more")
    total = sum(r["rows"]["applies"] for r in results)
    converged = sum(r["rows"]["converged"] for r in results)
    unclean = sum(r["rows"]["unclean"] for r in results)
    summary = f"summary: {converged}/{total} faulted applies converged, {unclean} unclean failures"
    if kill is not None and not kill.get("error"):
        summary += f"; kill-at-every-step {kill['converged']}/{kill['cases']} converged (M={kill['steps']})"
    print(summary + f"; {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
