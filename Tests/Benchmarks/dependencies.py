#!/usr/bin/env python3
"""Dependency bundles: how long building one takes, cold and cached, against pip by hand, and
whether an unchanged lock uploads anything (benchmark-style figures, not a test).

    python3 Tests/Benchmarks/dependencies.py [--rounds 5] [--lock FILE] [--command plan|package]

In a temporary copy of a minimal project (jobs/sales_etl with jobs/common and the sample data,
a deployer.yml with one `local` target whose store is a folder) it times, in N interleaved
rounds (the order rotates each round), each of:

  anchor        `python3 -m pip download` of the same lock with the same flags (platform, ABI,
                Python version, binary wheels only) into an empty folder: what a user would type
  cold          `deployer plan -t local`, wheel cache and build cache empty
  warm wheels   `deployer plan -t local`, wheel cache filled, build cache empty (offline pip,
                unpack, zip, test import)
  cached        `deployer plan -t local`, both caches filled (the bundle is read from the build cache)
  no lock       `deployer plan -t local` of the same job without `requirements:` (what plan costs
                without a bundle: artifact build and store reads)

`plan` also builds the job's artifact (and reads the store), so every deployer figure includes that
(see `no lock`); `--command package` times `deployer package -t local` instead (also builds the artifact).
Every command gets a fresh, empty PIP_CACHE_DIR, so pip's own HTTP cache never answers for the
index. Medians are printed with the ratio to the anchor's median. Checks that the figures
measure what they say: cold went to the index, warm wheels did not, cached built nothing, every
round gave the same bundle digest, and the anchor fetched the wheels the bundle holds.

Then two applies with the unchanged lock into an empty store: the second must upload nothing
(no `uploaded ...` line on stderr) and plan `= dependencies`; exit 1 if not.

DEPLOYER_BIN picks the binary (default .build/release/deployer, else .build/debug/deployer); it
is copied first, so a rebuild during the run does not change what is measured.
DEPLOYER_PIP_PYTHON picks the interpreter running pip, for deployer and the anchor alike.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JOB = "sales_etl"


def binary() -> Path:
    env = os.environ.get("DEPLOYER_BIN")
    if env:
        return Path(env)
    release = ROOT / ".build/release/deployer"
    return release if release.exists() else ROOT / ".build/debug/deployer"


def manifest(requirements: bool) -> str:
    lines = [
        "project: bench",
        "targets:",
        "  local:",
        "    engine: local",
        "    artifacts: {path: state}",
        "jobs:",
        f"  {JOB}:",
        f"    source: jobs/{JOB}",
        "    libraries: [jobs/common]",
    ]
    if requirements:
        lines.append(f"    requirements: jobs/{JOB}/requirements.txt")
    lines += ["    arguments:", "      --source_path: jobs/sample_data", f"      --output_path: out/{JOB}", ""]
    return "\n".join(lines)


class Bench:
    def __init__(self, work: Path, deployer: Path, pip_python: str, command: str):
        self.work = work
        self.command = command
        self.deployer = deployer
        self.pip_python = pip_python
        self.counter = 0

    def fresh_pip_cache(self) -> dict[str, str]:
        self.counter += 1
        cache = self.work / "pip-caches" / str(self.counter)
        cache.mkdir(parents=True)
        env = dict(os.environ)
        env["PIP_CACHE_DIR"] = str(cache)
        return env

    def run(self, args: list[str], env: dict[str, str], what: str) -> tuple[float, subprocess.CompletedProcess]:
        start = time.perf_counter()
        done = subprocess.run(args, cwd=self.work, env=env, capture_output=True, text=True, timeout=1800)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.stderr.write(f"{what}: exit {done.returncode}\n{done.stdout}{done.stderr}")
            raise SystemExit(1)
        return seconds, done

    def plan(self, what: str, nodeps: bool = False) -> tuple[float, subprocess.CompletedProcess]:
        args = [str(self.deployer), self.command, "-t", "local"]
        if nodeps:
            args += ["-f", "deployer-nolock.yml"]
        return self.run(args, self.fresh_pip_cache(), what)

    # States: each measurement prepares its own, so the order can rotate.
    def clear(self, *paths: str) -> None:
        for path in paths:
            shutil.rmtree(self.work / path, ignore_errors=True)

    def has_wheels(self) -> bool:
        cache = self.work / ".deployer/cache/wheels"
        return cache.is_dir() and any(cache.rglob("*.whl"))

    def has_bundle(self) -> bool:
        build = self.work / ".deployer/build/dependencies"
        return build.is_dir() and any(build.glob("*/bundle.json"))

    def bundle_json(self) -> dict:
        found = sorted((self.work / ".deployer/build/dependencies").glob("*/bundle.json"))
        return json.loads(found[0].read_text())


# plan: `+ dependencies JOB DIGEST12  (upload)`; package: `DIGEST  dependencies JOB for CPython …`.
DIGEST = re.compile(rf"^(?:[+=] dependencies {JOB} ([0-9a-f]{{12}})|([0-9a-f]{{12}})[0-9a-f]{{52}}  dependencies {JOB} )", re.MULTILINE)


def planned_digest(out: str) -> str:
    m = DIGEST.search(out)
    return (m.group(1) or m.group(2)) if m else "?"


def pip_arguments(runtime: dict, lock: Path, dest: Path) -> list[str]:
    """The same pip download deployer runs (DependencyBuilder.pipArguments), minus its wheel cache."""
    py, arch = runtime["python"], runtime["arch"]
    abi = "cp" + py.replace(".", "")
    args = [
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        py,
        "--abi",
        abi,
        "--abi",
        "abi3",
        "--abi",
        "none",
    ]
    for tag in ("manylinux_2_34", "manylinux_2_28", "manylinux_2_17", "manylinux2014"):
        args += ["--platform", f"{tag}_{arch}"]
    return args + ["-d", str(dest), "-r", str(lock)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--lock", type=Path, help=f"a pinned requirements.txt to use instead of jobs/{JOB}/requirements.txt")
    ap.add_argument("--command", choices=("plan", "package"), default="plan", help="what builds the bundle (default plan)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary project")
    opts = ap.parse_args()
    source_bin = binary()
    if not (source_bin.is_file() and os.access(source_bin, os.X_OK)):
        print(f"dependencies: no deployer binary at {source_bin} (swift build first, or set DEPLOYER_BIN)", file=sys.stderr)
        return 1
    pip_python = os.environ.get("DEPLOYER_PIP_PYTHON", "python3")
    work = Path(tempfile.mkdtemp(prefix="deployer-deps."))
    try:
        deployer = work / "bin/deployer"
        deployer.parent.mkdir()
        shutil.copy2(source_bin, deployer)
        digest = hashlib.sha256(deployer.read_bytes()).hexdigest()[:12]
        built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(source_bin.stat().st_mtime))
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources"], capture_output=True, text=True).stdout.strip()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_build", "_out")
        for part in (JOB, "common", "sample_data"):
            shutil.copytree(ROOT / "jobs" / part, work / "jobs" / part, ignore=ignore)
        lock = work / "jobs" / JOB / "requirements.txt"
        if opts.lock:
            shutil.copy2(opts.lock, lock)
        (work / "deployer.yml").write_text(manifest(True))
        (work / "deployer-nolock.yml").write_text(manifest(False))
        b = Bench(work, deployer, pip_python, opts.command)
        pins = [l.strip() for l in lock.read_text().splitlines() if l.strip() and not l.lstrip().startswith("#")]
        pip_version = subprocess.run([pip_python, "-m", "pip", "--version"], capture_output=True, text=True).stdout.split(" from ")[0]
        print(f"binary {source_bin} (built {built}, sha256 {digest}); HEAD {head}{' + uncommitted Sources changes' if dirty else ''}")
        print(
            f"lock: {len(pins)} pin(s): {', '.join(p.split()[0] for p in pins)}; pip: {pip_python} ({pip_version}); "
            f"{os.cpu_count()} CPUs; {opts.rounds} interleaved rounds, fresh PIP_CACHE_DIR per command"
        )

        # The runtime deployer builds for (the local target's interpreter), for the anchor's flags.
        b.clear(".deployer")
        b.plan("first plan")
        runtime = b.bundle_json()["runtime"]
        bundle_wheels = sorted(b.bundle_json()["packages"])
        print(f"runtime: CPython {runtime['python']} {runtime['arch']} (the local target's interpreter); bundle: {', '.join(bundle_wheels)}")

        times: dict[str, list[float]] = {k: [] for k in ("anchor", "cold", "warm wheels", "cached", "no lock")}
        digests: set[str] = set()
        problems: list[str] = []

        def anchor() -> None:
            dest = work / f"anchor-{b.counter}"
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir()
            seconds, _ = b.run([pip_python] + pip_arguments(runtime, lock, dest), b.fresh_pip_cache(), "anchor pip download")
            got = sorted("==".join(w.name.split("-")[:2]) for w in dest.glob("*.whl"))
            if [g.lower() for g in got] != [w.lower() for w in bundle_wheels]:
                problems.append(f"anchor fetched {got}, the bundle holds {bundle_wheels}")
            shutil.rmtree(dest)
            times["anchor"].append(seconds)

        def cold() -> None:
            b.clear(".deployer")
            seconds, done = b.plan("cold plan")
            if "downloading wheels" not in done.stderr:
                problems.append("cold: deployer did not go to the index (wheel cache not empty?)")
            digests.add(planned_digest(done.stdout))
            times["cold"].append(seconds)

        def warm() -> None:
            if not b.has_wheels():
                b.plan("prepare wheel cache")
            b.clear(".deployer/build")
            seconds, done = b.plan("warm-wheels plan")
            if "downloading wheels" in done.stderr:
                problems.append("warm wheels: deployer went to the index although the wheel cache was filled")
            if "built dependencies" not in done.stderr:
                problems.append("warm wheels: no bundle was built (build cache not empty?)")
            digests.add(planned_digest(done.stdout))
            times["warm wheels"].append(seconds)

        def cached() -> None:
            if not b.has_bundle():
                b.plan("prepare build cache")
            seconds, done = b.plan("cached plan")
            if "built dependencies" in done.stderr or "downloading wheels" in done.stderr:
                problems.append("cached: deployer rebuilt the bundle although the build cache had it")
            digests.add(planned_digest(done.stdout))
            times["cached"].append(seconds)

        def nolock() -> None:
            seconds, done = b.plan("plan without requirements", nodeps=True)
            if "dependencies" in done.stdout:
                problems.append("no lock: plan shows a dependency bundle")
            times["no lock"].append(seconds)

        steps = [anchor, cold, warm, cached, nolock]
        for r in range(opts.rounds):
            order = steps[r % len(steps) :] + steps[: r % len(steps)]
            for step in order:
                step()
            print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), flush=True)

        a = statistics.median(times["anchor"])
        print()
        title = f"bundle build (median of {opts.rounds})"
        print(f"{title:<46} {'median s':>9} {'min':>7} {'max':>7} {'vs anchor':>10}")
        labels = {
            "anchor": "anchor: pip download by hand, empty dir",
            "cold": f"{opts.command}, cold (no wheel cache, no build cache)",
            "warm wheels": f"{opts.command}, wheel cache warm, build cache empty",
            "cached": f"{opts.command}, fully cached",
            "no lock": f"{opts.command}, same job without requirements",
        }
        for key, label in labels.items():
            v = times[key]
            m = statistics.median(v)
            print(f"{label:<46} {m:9.2f} {min(v):7.2f} {max(v):7.2f} {m / a:9.2f}x")
        extra = statistics.median(times["cold"]) - statistics.median(times["no lock"])
        print(f"bundle's share of a cold {opts.command} (cold - no lock): {extra:.2f}s = {extra / a:.2f}x the anchor")
        if len(digests) != 1:
            problems.append(f"bundle digests differ between rounds: {sorted(digests)}")
        else:
            print(f"bundle digest {next(iter(digests))} in every round (deterministic)")

        # (d) Two applies with the unchanged lock into an empty store: the second uploads nothing.
        print()
        print("== apply twice, lock unchanged (empty store first)")
        b.clear("state")
        uploads = []
        for n in (1, 2):
            _, done = b.run([str(deployer), "apply", "-t", "local", "--auto-approve"], b.fresh_pip_cache(), f"apply {n}")
            lines = [l for l in done.stderr.splitlines() if l.startswith("uploaded ")]
            dep = [l for l in lines if "/dependencies/" in l]
            uploads.append((len(lines), len(dep), done.stdout))
            planned = re.search(rf"^([+=]) dependencies {JOB} ", done.stdout, re.MULTILINE)
            print(
                f"  apply {n}: {len(lines)} uploads ({len(dep)} of the dependency bundle); plan: "
                f"{planned.group(0).strip() if planned else 'no dependencies line'}"
            )
        first, second = uploads
        if first[1] == 0:
            problems.append("apply 1 uploaded no dependency bundle into an empty store")
        if second[0] != 0:
            problems.append(f"apply 2 with an unchanged lock uploaded {second[0]} file(s)")
        if not re.search(rf"^= dependencies {JOB} ", second[2], re.MULTILINE):
            problems.append("apply 2 did not plan '= dependencies'")
        print(f"second apply uploads: {second[0]} (goal 0)")

        print()
        if problems:
            for p in problems:
                print(f"FAIL {p}")
            return 1
        print("OK: figures measured what they say; an unchanged lock uploads nothing")
        return 0
    finally:
        if opts.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
