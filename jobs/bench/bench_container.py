#!/usr/bin/env python3
"""Benchmark: the jobs' container image (the repository's Dockerfile) against the native run.

    python3 jobs/bench/bench_container.py [--image localhost/deployer-jobs:bench] [--reps 5]
        [--base localhost/deployer-test-base:bookworm] [--scale 1]

Needs podman (Tests/container/install.sh) and this machine's pyspark. In one run it:

1. builds the image once (Tests/container/build-image.sh on BASE) and prints its size, each
   layer's size and the median time of --reps cached rebuilds (nothing changed: every layer
   comes from the cache);
2. runs sales_etl once in the image (podman run, as a user runs it) and once natively
   (spark-submit of the same artifact with this machine's pyspark) on the same data (the
   committed sample at --scale 0, else jobs/generate_data.py at that scale) and checks every
   published table and the quarantine are equal row for row, but for the run's own id and
   ingest_ts; it stops if they differ;
3. times --reps rounds, image and native interleaved (the order alternates), wall seconds from
   process start to exit, and prints the medians and the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "Tests" / "container" / "containers.conf"
os.environ.setdefault("CONTAINERS_CONF", str(CONF))
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def sh(*command, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kw)


def timed(*command) -> float:
    start = time.monotonic()
    done = sh(*command)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"bench_container: {' '.join(map(str, command[:4]))} … exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def tables(out: Path) -> dict[str, list]:
    manifest = json.loads((out / "_manifest.json").read_text())
    paths = {n: t["path"] for n, t in manifest["tables"].items()} | {"quarantine": manifest["quarantine"]["path"]}
    result = {}
    for name, path in paths.items():
        data = ds.dataset(path.removeprefix("file:"), format="parquet", partitioning="hive").to_table()
        keep = [c for c in data.column_names if c not in ("ingest_ts", "run_id")]
        result[name] = sorted((tuple(r.values()) for r in data.select(keep).to_pylist()), key=repr)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", default="localhost/deployer-jobs:bench")
    parser.add_argument("--base", default="localhost/deployer-test-base:bookworm")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--scale", type=int, default=0, help="0: the committed sample; N: generated data at N times the real extracts")
    parser.add_argument("--workdir", type=Path, default=REPO / "jobs" / "_bench" / "container")
    args = parser.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)

    assert sh("bash", REPO / "Tests/container/make-base.sh", args.base).returncode == 0, "make-base.sh failed"
    first = timed("bash", REPO / "Tests/container/build-image.sh", args.image, args.base)
    rebuilds = [timed("bash", REPO / "Tests/container/build-image.sh", args.image, args.base) for _ in range(args.reps)]
    size = int(sh("podman", "image", "inspect", "--format", "{{.Size}}", args.image).stdout.strip())
    print(f"image {args.image} on {args.base}: {size / 1e6:,.0f} MB; build {first:.1f} s; cached rebuild median {statistics.median(rebuilds):.2f} s")
    for line in sh("podman", "history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", args.image).stdout.splitlines():
        size_text, created = line.split("\t", 1)
        if not size_text.startswith("0 B"):
            print(f"  {size_text:>9}  {created[:90]}")

    if args.scale:
        data = work / f"scale_{args.scale}"
        if not (data / "invoices.csv").exists():
            assert sh(sys.executable, REPO / "jobs/generate_data.py", "--scale", args.scale, "--out", data).returncode == 0, "generate_data.py failed"
    else:
        data = REPO / "jobs" / "sample_data"
    data = data.resolve()
    artifact = work / "artifact"
    assert sh(sys.executable, REPO / "jobs/build_artifact.py", REPO / "jobs/sales_etl", artifact, "--library", REPO / "jobs/common").returncode == 0
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    job_args = ["--source_path", data, "--as_of", "2022-06-30"]

    def image_run(out):
        return ("podman", "run", "--rm", "--network", "host", "--user", f"{os.getuid()}:{os.getgid()}", "--volume", f"{work}:{work}:rw",
                "--volume", f"{data}:{data}:ro", args.image, "sales_etl", *job_args, "--output_path", out)  # fmt: skip

    def native_run(out):
        return (submit, "--master", "local[*]", "--conf", "spark.ui.enabled=false", "--conf", "spark.log.level=WARN",
                "--py-files", artifact / "code.zip", artifact / "main.py", *job_args, "--output_path", out)  # fmt: skip

    timed(*image_run(work / "check_image"))
    timed(*native_run(work / "check_native"))
    image_tables, native_tables = tables(work / "check_image"), tables(work / "check_native")
    if image_tables != native_tables:
        sys.exit("bench_container: the image's tables differ from the native run's: not timing different answers")
    rows = sum(len(v) for v in native_tables.values())
    print(f"same answer: {len(native_tables)} tables, {rows:,} rows equal (data: {data})")

    times = {"image": [], "native": []}
    for round_ in range(args.reps):
        order = ("image", "native") if round_ % 2 == 0 else ("native", "image")
        for name in order:
            out = work / f"run_{name}"
            command = image_run(out) if name == "image" else native_run(out)
            times[name].append(timed(*command))
    ratios = [i / n for i, n in zip(times["image"], times["native"])]
    print(f"sales_etl, {args.reps} interleaved rounds, wall seconds (median [min-max]):")
    for name in ("image", "native"):
        print(f"  {name:<7} {statistics.median(times[name]):6.1f} [{min(times[name]):.1f}-{max(times[name]):.1f}]")
    print(f"  image / native: {statistics.median(ratios):.2f}x (median of per-round ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
