#!/usr/bin/env python3
"""Benchmark the built artifact under spark-submit at several multiples of the real data size.

    python3 jobs/bench/bench_etl.py --scales 1,10,100

For each scale: generate data (jobs/generate_data.py, cached under --workdir), run the artifact
with spark-submit, and print wall time, the job's own duration (from its run manifest), rows/s,
and the peak resident memory of the driver (the spark-submit JVM, which in local mode also runs
the executors, plus the Python driver process), sampled from /proc. Then ratios between
consecutive scales and the marginal cost per extra row: growth is linear when that marginal cost
stays flat across scales (the fixed start-up cost makes plain time ratios look sub-linear).
Scale 1 = the real extracts' size (9,685 invoices, ~53.5k line items).
"""

from __future__ import annotations

import argparse
import json
import os

# Local Spark binds to the host's address unless told otherwise: keep it on loopback.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

JOBS_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(JOBS_DIR))

from build_artifact import build  # noqa: E402
from generate_data import generate  # noqa: E402


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return found


def _rss_bytes(pid: int) -> tuple[str, int]:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return name, int(line.split()[1]) * 1024
    except OSError:
        pass
    return "", 0


class PeakRss(threading.Thread):
    """Samples the RSS of a process tree; keeps the peak of the sum and of JVM / Python parts."""

    def __init__(self, root: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_total = self.peak_java = self.peak_python = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            tree, stack = [], [self.root]
            while stack:
                pid = stack.pop()
                tree.append(pid)
                stack += _children(pid)
            java = python = total = 0
            for pid in tree:
                name, rss = _rss_bytes(pid)
                total += rss
                java += rss if name == "java" else 0
                python += rss if name.startswith("python") else 0
            self.peak_total = max(self.peak_total, total)
            self.peak_java = max(self.peak_java, java)
            self.peak_python = max(self.peak_python, python)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def spark_submit() -> str:
    found = shutil.which("spark-submit")
    if found:
        return found
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-submit")


def run_scale(scale: float, args, artifact: Path) -> dict:
    data = args.workdir / "data" / f"scale_{scale:g}"
    if not (data / "_COMPLETE").is_file():
        started = time.monotonic()
        generate(scale, args.seed, data)
        (data / "_COMPLETE").write_text("")
        print(f"  generated {data} in {time.monotonic() - started:.1f}s", flush=True)
    out = args.workdir / "out" / f"scale_{scale:g}"
    run_id = f"bench-{scale:g}x"
    command = [
        spark_submit(), "--master", args.master, "--driver-memory", args.driver_memory,
        "--conf", "spark.ui.enabled=false", "--conf", "spark.log.level=WARN",
        "--py-files", str(artifact / "code.zip"), str(artifact / "main.py"),
        "--source_path", str(data), "--output_path", str(out), "--run_id", run_id,
        "--as_of", "2021-06-01", "--earliest_entry_date", "2020-01-01",
        "--shuffle_partitions", str(args.shuffle_partitions),
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakRss(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.monotonic() - started
    sampler.stop()
    if process.returncode != 0:
        sys.exit(f"bench: scale {scale:g} failed (exit {process.returncode}):\n{stderr[-2000:]}")
    manifest = json.loads((out / "_runs" / f"{run_id}.json").read_text())
    source_rows = sum(i["rows_read"] for i in manifest["inputs"].values())
    return {
        "scale": scale,
        "line_items": manifest["inputs"]["invoice_line_items"]["rows_read"],
        "source_rows": source_rows,
        "fact_rows": manifest["tables"]["fact_sales"]["rows"],
        "wall_s": wall,
        "job_s": manifest["duration_s"],
        "peak_rss_mb": sampler.peak_total / 2**20,
        "peak_jvm_mb": sampler.peak_java / 2**20,
        "peak_python_mb": sampler.peak_python / 2**20,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the sales ETL artifact at several data scales.")
    parser.add_argument("--scales", default="1,10,100", help="comma-separated multiples of the real data size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=JOBS_DIR / "_bench")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--shuffle-partitions", type=int, default=16)
    args = parser.parse_args(argv)
    scales = sorted(float(s) for s in args.scales.split(",") if s.strip())
    artifact = args.workdir / "artifact"
    digests = build(JOBS_DIR / "sales_etl", artifact)
    print(f"sales_etl benchmark: scales {', '.join(f'{s:g}x' for s in scales)}; master {args.master}; "
          f"driver memory {args.driver_memory}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; "
          f"artifact {digests['artifact'][:12]}", flush=True)
    results = []
    for scale in scales:
        print(f"running {scale:g}x ...", flush=True)
        results.append(run_scale(scale, args, artifact))

    header = f"{'scale':>6} {'line_items':>11} {'source_rows':>12} {'wall_s':>8} {'job_s':>8} " \
             f"{'rows/s(wall)':>13} {'rows/s(job)':>12} {'peak_rss_mb':>12} {'jvm_mb':>8} {'python_mb':>10}"
    print(header)
    for r in results:
        print(f"{r['scale']:>5g}x {r['line_items']:>11,} {r['source_rows']:>12,} {r['wall_s']:>8.1f} {r['job_s']:>8.1f} "
              f"{r['source_rows'] / r['wall_s']:>13,.0f} {r['source_rows'] / r['job_s']:>12,.0f} "
              f"{r['peak_rss_mb']:>12,.0f} {r['peak_jvm_mb']:>8,.0f} {r['peak_python_mb']:>10,.0f}")
    # Linear growth = a constant cost per extra row once the fixed cost (JVM start, job planning,
    # small stages) is paid, so compare consecutive scales by their marginal cost.
    for smaller, larger in zip(results, results[1:]):
        rows = larger["source_rows"] / smaller["source_rows"]
        wall = larger["wall_s"] / smaller["wall_s"]
        job = larger["job_s"] / smaller["job_s"]
        marginal = (larger["job_s"] - smaller["job_s"]) / (larger["source_rows"] - smaller["source_rows"]) * 1e6
        print(f"{smaller['scale']:g}x -> {larger['scale']:g}x: rows x{rows:.1f}, wall time x{wall:.2f}, "
              f"job time x{job:.2f}; marginal job cost {marginal:.1f} s per million extra source rows")
    if len(results) > 2:
        first, last = results[0], results[-1]
        slope = (last["job_s"] - first["job_s"]) / (last["source_rows"] - first["source_rows"])
        for r in results[1:-1]:
            predicted = first["job_s"] + slope * (r["source_rows"] - first["source_rows"])
            print(f"linear fit through {first['scale']:g}x and {last['scale']:g}x predicts {r['scale']:g}x at "
                  f"{predicted:.1f}s; measured {r['job_s']:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
