#!/usr/bin/env python3
"""Soak: the fault goal at the next level (a benchmark script, not a CI test).

    python3 Tests/Benchmarks/soak.py [--rounds 1000] [--slice 100] [--seed 1] [--cases 4]

Each round, on one of a few Glue targets (SeaweedFS + moto, Tests/peers, a fault proxy per
upstream, Tests/faults/harness.py):

  1. a random change: new sources (a new artifact and a Glue UpdateJob), a changed argument
     (an UpdateJob alone), or none;
  2. one `deployer apply` under a random fault mix (a random subset of error, throttle, drop,
     lose, cut) at a random rate (0 to 50%), and in half the rounds a signal at a random request
     (SIGKILL, SIGTERM or SIGINT; before forwarding it or after its answer);
  3. in half the rounds a second `deployer apply` of the same target racing the first, straight
     at the peers;
  4. then one clean apply (with --force-unlock of the lock a SIGKILLed run left, which it printed,
     as docs/runbook.md says), and the invariants of a converged target: no lock, no in-progress
     multipart upload, latest.json agrees with the live Glue job, `plan --detailed-exitcode` 0.

Prints per slice and in total: rounds, converged, orphaned uploads, stale locks (a lock left by
a run that was not SIGKILLed, or after the clean apply), divergent records, failed recoveries,
and the slowest recovery. Exit 1 when any round did not converge.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
import harness as H  # noqa: E402

KINDS = ("error", "throttle", "drop", "lose", "cut")
SIGNALS = ("KILL", "TERM", "INT")


class Round:
    """One round's choices, drawn from its own seeded generator."""

    def __init__(self, seed: int):
        rng = random.Random(seed)
        self.change = rng.choice(("sources", "argument", "none"))
        kinds = tuple(k for k in KINDS if rng.random() < 0.6) or ("error",)
        self.faults = H.FaultConfig(seed=seed, rate=rng.choice((0.0, 0.05, 0.1, 0.2, 0.35, 0.5)), kinds=kinds)
        if rng.random() < 0.5:
            self.faults.kill_at = rng.randint(1, 45)
            self.faults.kill_when = rng.choice(("before", "after"))
            self.faults.kill_signal = rng.choice(SIGNALS)
        self.race = rng.random() < 0.5
        self.race_delay = rng.uniform(0.0, 1.5)
        self.note = f"soak {seed}"

    def describe(self) -> str:
        kill = f", {self.faults.kill_signal} at request {self.faults.kill_at} ({self.faults.kill_when})" if self.faults.kill_at else ""
        return f"change {self.change}, rate {self.faults.rate} {'+'.join(self.faults.kinds)}{kill}{', racing' if self.race else ''}"


def change_argument(case: H.Case, note: str) -> None:
    """A changed default argument: the job definition changes, the artifact does not."""
    manifest = case.work / "deployer.yml"
    lines = [line for line in manifest.read_text().splitlines() if not line.startswith("      --soak_note:")]
    at = lines.index("    arguments:") + 1
    lines.insert(at, f'      --soak_note: "{note}"')
    manifest.write_text("\n".join(lines) + "\n")


def racing_apply(case: H.Case, delay: float, out: dict) -> None:
    """A second apply of the same target, straight at the peers, started `delay` s later."""
    time.sleep(delay)
    env = case.environment(case.h.peers.s3, case.h.peers.moto)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(case.h.binary), "apply", "-t", H.TARGET, "--auto-approve"], cwd=case.work, env=env, capture_output=True, text=True, timeout=H.APPLY_TIMEOUT
        )
        out["status"], out["stderr"] = done.returncode, done.stderr
    except subprocess.TimeoutExpired:
        out["status"], out["stderr"] = None, "timed out"
    out["seconds"] = time.monotonic() - started


def one_round(case: H.Case, seed: int) -> dict:
    chosen = Round(seed)
    if chosen.change == "sources":
        case.change_sources(chosen.note)
    elif chosen.change == "argument":
        change_argument(case, chosen.note)
    race: dict = {}
    racer = threading.Thread(target=racing_apply, args=(case, chosen.race_delay, race)) if chosen.race else None
    if racer:
        racer.start()
    run = case.apply(chosen.faults)
    if racer:
        racer.join()
    after = case.state(with_plan=False)
    killed = chosen.faults.kill_at is not None and chosen.faults.kill_signal == "KILL" and run.status is not None and run.status < 0
    stale = after.lock is not None and not killed
    # The racer may hold the lock while we look: a lock it left is stale only if it exited.
    if stale and racer and race.get("status") is None:
        stale = False
    started = time.monotonic()
    recovery = case.apply(force_unlock=after.lock_id if killed else None)
    if recovery.status != 0 and "is locked by" in recovery.stderr and after.lock_id:
        # A lock that the SIGKILLed racer or run left (its id printed by that run).
        recovery = case.apply(force_unlock=after.lock_id)
    recovery_seconds = time.monotonic() - started
    converged = case.state(with_plan=True)
    detail = ""
    if stale or converged.problems() or recovery.status != 0:
        # What each side said, so a bad round can be read without running it again.
        detail = (
            f"faulted run: {(run.error_lines or run.stderr.strip().splitlines() or [''])[-1][:400]} | "
            f"racer: exit {race.get('status')} {race.get('stderr', '').strip().splitlines()[-1:] if race else ''} | "
            f"lock after: {after.lock} | recovery: exit {recovery.status} {recovery.stderr.strip().splitlines()[-2:]}"
        )
    return {
        "seed": seed,
        "what": chosen.describe(),
        "status": run.status,
        "stale": stale,
        "orphans": len(converged.uploads),
        "detail": detail,
        "divergent": bool(converged.record_problems),
        "recovered": recovery.status == 0,
        "problems": converged.problems(),
        "recovery_seconds": recovery_seconds,
        "recovery_error": (recovery.error_lines[:1] or [recovery.stderr[-200:]])[0] if recovery.status else "",
    }


def report(label: str, rows: list[dict]) -> None:
    converged = sum(1 for r in rows if not r["problems"] and r["recovered"])
    slowest = max(rows, key=lambda r: r["recovery_seconds"]) if rows else None
    completed = sum(1 for r in rows if r["status"] == 0)
    print(
        f"{label}: rounds {len(rows)} ({completed} faulted applies completed), converged {converged}, orphaned uploads {sum(r['orphans'] for r in rows)}, "
        f"stale locks {sum(1 for r in rows if r['stale'])}, divergent records {sum(1 for r in rows if r['divergent'])}, "
        f"failed recoveries {sum(1 for r in rows if not r['recovered'])}"
        + (f", slowest recovery {slowest['recovery_seconds']:.1f} s (round {slowest['seed']})" if slowest else ""),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--slice", type=int, default=100, help="print figures every N rounds")
    parser.add_argument("--seed", type=int, default=1, help="the first round's seed (rounds are seed, seed+1, …)")
    parser.add_argument("--cases", type=int, default=4, help="targets the rounds rotate over")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 100_000 or not 1 <= args.cases <= 50:
        parser.error("--rounds 1..100000, --cases 1..50")
    h = H.Harness()
    rows: list[dict] = []
    try:
        print(f"soak: {args.rounds} rounds from seed {args.seed} over {args.cases} targets; binary {h.binary}", flush=True)
        cases = [h.case(f"soak{i}") for i in range(args.cases)]
        for case in cases:
            first = case.apply()
            if first.status != 0:
                print(f"setup apply failed: {first.stderr[-400:]}")
                return 1
        piece: list[dict] = []
        for index in range(args.rounds):
            seed = args.seed + index
            row = one_round(cases[index % len(cases)], seed)
            rows.append(row)
            piece.append(row)
            if row["problems"] or not row["recovered"] or row["stale"]:
                print(
                    f"  round {seed} ({row['what']}): exit {row['status']}; stale lock {row['stale']}; "
                    f"{row['recovery_error'] or ''} {'; '.join(row['problems'])}\n    {row['detail']}",
                    flush=True,
                )
            if len(piece) == args.slice:
                report(f"rounds {seed - len(piece) + 1}-{seed}", piece)
                piece = []
        if piece:
            report(f"rounds {rows[-len(piece)]['seed']}-{rows[-1]['seed']}", piece)
        report("total", rows)
    finally:
        h.close()
    bad = [r for r in rows if r["problems"] or not r["recovered"] or r["stale"]]
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
