#!/usr/bin/env python3
"""Benchmark: the sales_etl artifact against a plain Spark job and DuckDB, at several data scales.

    python3 -m pip install duckdb            # benchmark only
    python3 jobs/bench/bench_etl.py --scales 1,30,100 --reps 3

For each scale (1 = the real extracts' size: 9,685 invoices, ~53.5k line items), in one run:

1. generate the data (jobs/generate_data.py, cached under --workdir);
2. run each contender once and check they give the same answer: every column but ingest_ts of
   every table a contender writes (the seed's four: account_details, invoice_details, fact_sales,
   monthly_sales_summary; the *_all contenders and the runtime all six), compared row for row
   (EXCEPT ALL both ways, in DuckDB) with the job's published tables - the benchmark stops if
   any differ; the runtime's quarantine too;
3. time --reps rounds, the contenders interleaved (the order rotates every round):
   - runtime: the same artifact on its DuckDB runtime (python main.py --runtime duckdb, code.zip
             on the path), doing everything the job does;
   - job:    the built artifact under spark-submit (code.zip + main.py), as deployed: all six
             tables, data-quality checks, quarantine, run manifest, run-scoped atomic publish;
   - plain:  plain_spark_job.py under spark-submit: the same SQL for the seed's four tables,
             typed CSV read, Spark defaults, no checks, no quarantine, no manifest;
   - plain_all: the same plain job writing all six of the job's tables;
   - duckdb: duckdb_job.py: the same SQL files in DuckDB (the single-machine bound);
   - duckdb_all: duckdb_job.py computing all six tables from the DuckDB runtime's SQL (its
             translation of each model, cast to the contract's types), typed CSV read, no checks,
             no quarantine, no manifest: the bound for everything the runtime computes;
   each run's wall time (process start to exit), CPU time (user+sys of the process tree) and
   peak RSS of the process tree (sampled from /proc every 0.1 s).

It prints medians per scale, the job's ratio to the plain Spark job (goal: <= 1.0 at 30x and
above) and to DuckDB, and the growth between scales: seconds per million extra source rows
(linear growth = a flat marginal cost; the fixed start-up cost makes plain ratios look
sub-linear). The machine's load average is printed with each scale: on a shared machine the
figures move with it, which is why the contenders are interleaved and only ratios of the same
round set are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

# Local Spark binds to the host's address unless told otherwise: keep it on loopback.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

JOBS_DIR = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(JOBS_DIR))

from build_artifact import build  # noqa: E402
from generate_data import generate  # noqa: E402

AS_OF, EARLIEST = "2021-06-01", "2020-01-01"
SEED_TABLES = ("account_details", "invoice_details", "fact_sales", "monthly_sales_summary")
ALL_TABLES = ("account_details", "invoice_details", "fact_sales", "client_profile", "fact_sales_processed", "monthly_sales_summary")
CONTENDERS = ("job", "plain", "plain_all", "duckdb", "duckdb_all", "runtime")


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").glob("*/children"))
    except OSError:  # the process ended between two samples
        return found
    for task in tasks:
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return found


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakRss(threading.Thread):
    """Samples the summed RSS of a process tree and keeps the peak."""

    def __init__(self, root: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.root, self.interval, self.peak = root, interval, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            tree, stack = [], [self.root]
            while stack:
                pid = stack.pop()
                tree.append(pid)
                stack += _children(pid)
            self.peak = max(self.peak, sum(_rss_bytes(pid) for pid in tree))
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


def command(contender: str, data: Path, out: Path, args, artifact: Path, run_id: str) -> list[str]:
    spark = [
        spark_submit(),
        "--master",
        args.master,
        "--driver-memory",
        args.driver_memory,
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        "spark.log.level=WARN",
    ]
    job_args = ["--source_path", str(data), "--output_path", str(out), "--run_id", run_id, "--as_of", AS_OF, "--earliest_entry_date", EARLIEST]
    if contender == "job":
        return [*spark, "--py-files", str(artifact / "code.zip"), str(artifact / "main.py"), *job_args]
    if contender == "plain":
        return [*spark, str(BENCH_DIR / "plain_spark_job.py"), str(data), str(out), AS_OF, EARLIEST]
    if contender == "plain_all":
        return [*spark, str(BENCH_DIR / "plain_spark_job.py"), str(data), str(out), AS_OF, EARLIEST, "all"]
    if contender == "duckdb_all":
        return [sys.executable, str(BENCH_DIR / "duckdb_job.py"), str(data), str(out), AS_OF, EARLIEST, str(args.workdir / "duckdb_sql")]
    if contender == "runtime":
        # The same artifact on its DuckDB runtime, as deployer runs it locally: python, code.zip
        # on the path, everything the job does (checks, quarantine, six tables, publish).
        return [
            "env",
            f"PYTHONPATH={artifact / 'code.zip'}",
            sys.executable,
            str(artifact / "main.py"),
            "--runtime",
            "duckdb",
            "--duckdb_max_input_bytes",
            str(64 * 2**30),
            *job_args,
        ]
    return [sys.executable, str(BENCH_DIR / "duckdb_job.py"), str(data), str(out), AS_OF, EARLIEST]


def run_once(contender: str, data: Path, out: Path, args, artifact: Path, run_id: str) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(command(contender, data, out, args, artifact, run_id), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakRss(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.monotonic() - started
    sampler.stop()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        sys.exit(f"bench: {contender} failed (exit {process.returncode}):\n{stderr[-3000:]}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": sampler.peak / 2**20}


def table_paths(contender: str, out: Path) -> dict[str, Path]:
    """{table: its directory} of every table the contender writes."""
    if contender in ("job", "runtime"):
        manifest = json.loads((out / "_manifest.json").read_text())
        return {t: Path(manifest["tables"][t]["path"].removeprefix("file:")) for t in ALL_TABLES}
    return {t: out / t for t in (ALL_TABLES if contender.endswith("_all") else SEED_TABLES)}


def write_duckdb_sql(directory: Path, artifact: Path) -> None:
    """The DuckDB runtime's SQL for each table (its translation of the model, cast to the
    contract's types) as NN_<table>.sql in dependency order, for duckdb_job.py's all-table anchor;
    translated by the benchmarked artifact's own code."""
    sys.path.insert(0, str(artifact / "code.zip"))
    from sales_etl.duck.job import translated_models
    from sales_etl.duck.write import cast_sql
    from sales_etl.schemas import table_schemas

    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    contract = table_schemas()
    for index, (name, sql) in enumerate(translated_models().items()):
        (directory / f"{index:02d}_{name}.sql").write_text(f"SELECT {cast_sql(contract[name])} FROM ({sql})\n")


def check_same_answer(outs: dict[str, Path]) -> dict[str, int]:
    """Row-for-row comparison (all columns but ingest_ts) of every table each contender writes
    against the job's; returns the job's row counts."""
    import duckdb

    con = duckdb.connect()
    rows = {}
    for table in ALL_TABLES:
        relations = {}
        for contender, out in outs.items():
            paths = table_paths(contender, out)
            if table not in paths:
                continue
            path = paths[table]
            con.execute(
                f"CREATE OR REPLACE VIEW {contender}_{table} AS SELECT * EXCLUDE (ingest_ts) FROM read_parquet('{path}/**/*.parquet', hive_partitioning = true)"
            )
            relations[contender] = f"{contender}_{table}"
        # (The job's path holds run_id=<id>/, which DuckDB's hive partitioning adds as a column.)
        columns = [r[0] for r in con.execute(f"DESCRIBE {relations['job']}").fetchall() if r[0] != "run_id"]
        select = ", ".join(f'"{c}"' for c in columns)
        counts = {c: con.execute(f"SELECT count(*) FROM {r}").fetchone()[0] for c, r in relations.items()}
        for contender, relation in relations.items():
            if contender == "job":
                continue
            differ = con.execute(
                f"SELECT (SELECT count(*) FROM (SELECT {select} FROM {relations['job']} EXCEPT ALL "
                f"SELECT {select} FROM {relation})), (SELECT count(*) FROM (SELECT {select} FROM {relation} "
                f"EXCEPT ALL SELECT {select} FROM {relations['job']}))"
            ).fetchone()
            if differ != (0, 0) or counts[contender] != counts["job"]:
                sys.exit(f"bench: {table}: job and {contender} differ ({counts} rows; {differ} rows only on one side)")
        rows[table] = counts["job"]
    return rows


def check_runtimes_agree(job_out: Path, runtime_out: Path) -> str:
    """Every published table and the quarantine, all columns but ingest_ts and run_id, row for
    row (EXCEPT ALL both ways) between the two runtimes of the same artifact."""
    import duckdb

    con = duckdb.connect()
    counts = []
    manifests = [json.loads((out / "_manifest.json").read_text()) for out in (job_out, runtime_out)]
    for table in [*manifests[0]["tables"], "quarantine"]:
        paths = [m["quarantine"]["path"] if table == "quarantine" else m["tables"][table]["path"] for m in manifests]
        views = []
        for side, path in zip(("spark", "duckdb"), paths):
            con.execute(
                f"CREATE OR REPLACE VIEW {side}_{table} AS SELECT * EXCLUDE (ingest_ts) "
                f"FROM read_parquet('{path.removeprefix('file:')}/**/*.parquet', hive_partitioning = true)"
            )
            views.append(f"{side}_{table}")
        columns = ", ".join(f'"{r[0]}"' for r in con.execute(f"DESCRIBE {views[0]}").fetchall() if r[0] not in ("run_id",))
        differ = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT {columns} FROM {views[0]} EXCEPT ALL SELECT {columns} FROM {views[1]})), "
            f"(SELECT count(*) FROM (SELECT {columns} FROM {views[1]} EXCEPT ALL SELECT {columns} FROM {views[0]})), "
            f"(SELECT count(*) FROM {views[0]}), (SELECT count(*) FROM {views[1]})"
        ).fetchone()
        if differ[:2] != (0, 0) or differ[2] != differ[3]:
            sys.exit(f"bench: {table}: the Spark job and the DuckDB runtime differ ({differ[2]} and {differ[3]} rows; {differ[:2]} rows only on one side)")
        counts.append(f"{table} ({differ[2]:,})")
    return ", ".join(counts)


def bench_scale(scale: float, args, artifact: Path) -> dict:
    data = args.workdir / "data" / f"scale_{scale:g}"
    if not (data / "_COMPLETE").is_file():
        started = time.monotonic()
        generate(scale, args.seed, data)
        (data / "_COMPLETE").write_text("")
        print(f"  generated {data} in {time.monotonic() - started:.1f}s", flush=True)
    outs = {c: args.workdir / "out" / f"scale_{scale:g}" / c for c in args.contenders}
    print(f"{scale:g}x: checking the contenders give the same answer ...", flush=True)
    for contender in args.contenders:
        run_once(contender, data, outs[contender], args, artifact, "check")
    rows = check_same_answer(outs) if len(args.contenders) > 1 else {}
    manifest = json.loads((outs["job"] / "_manifest.json").read_text())
    source_rows = sum(i["rows_read"] for i in manifest["inputs"].values())
    print(
        f"  same rows in {', '.join(f'{t} ({n:,})' for t, n in rows.items())} "
        f"(plain and duckdb write the seed's four of them; the job also wrote the quarantine)",
        flush=True,
    )
    if "runtime" in args.contenders:
        both = check_runtimes_agree(outs["job"], outs["runtime"])
        print(f"  the Spark job and the DuckDB runtime wrote the same rows in every table and the quarantine: {both}", flush=True)
    runs = {c: [] for c in args.contenders}
    load = [os.getloadavg()[0]]
    for rep in range(args.reps):
        order = args.contenders[rep % len(args.contenders) :] + args.contenders[: rep % len(args.contenders)]
        for contender in order:
            result = run_once(contender, data, outs[contender], args, artifact, f"bench-{rep}")
            runs[contender].append(result)
            load.append(os.getloadavg()[0])
            print(
                f"  round {rep + 1} {contender:<10} wall {result['wall_s']:7.1f}s  cpu {result['cpu_s']:7.1f}s  peak rss {result['peak_rss_mb']:7.0f} MB",
                flush=True,
            )
    median = {c: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for c, rs in runs.items()}
    return {
        "scale": scale,
        "source_rows": source_rows,
        "line_items": manifest["inputs"]["invoice_line_items"]["rows_read"],
        "median": median,
        "runs": runs,
        "load": (min(load), max(load)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark sales_etl against plain Spark and DuckDB.")
    parser.add_argument("--scales", default="1,30,100", help="comma-separated multiples of the real data size")
    parser.add_argument("--reps", type=int, default=3, help="timed rounds per scale (medians are reported)")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help="a subset of job,plain,plain_all,duckdb,duckdb_all,runtime (job is required; runtime = the job on its DuckDB runtime; *_all = all six tables)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=JOBS_DIR / "_bench")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    args.contenders = [c for c in args.contenders.split(",") if c]
    if "job" not in args.contenders or set(args.contenders) - set(CONTENDERS):
        parser.error(f"--contenders: a subset of {','.join(CONTENDERS)} that includes job")
    scales = sorted(float(s) for s in args.scales.split(",") if s.strip())
    artifact = args.workdir / "artifact"
    digests = build(JOBS_DIR / "sales_etl", artifact, [JOBS_DIR / "common"])
    if "duckdb_all" in args.contenders:
        write_duckdb_sql(args.workdir / "duckdb_sql", artifact)
    import pyspark

    duck = ""
    if {"duckdb", "duckdb_all", "runtime"} & set(args.contenders):
        import duckdb

        duck = f"; duckdb {duckdb.__version__}"
    print(
        f"sales_etl benchmark: scales {', '.join(f'{s:g}x' for s in scales)}; {args.reps} interleaved rounds; "
        f"master {args.master}; driver memory {args.driver_memory}; {os.cpu_count()} CPUs; "
        f"pyspark {pyspark.__version__}{duck}; artifact {digests['artifact'][:12]}",
        flush=True,
    )
    results = [bench_scale(scale, args, artifact) for scale in scales]

    print()
    header = f"{'scale':>6} {'line_items':>11} {'contender':>10} {'wall_s':>8} {'cpu_s':>8} {'peak_rss_mb':>12}"
    print(header)
    for r in results:
        for contender in args.contenders:
            m = r["median"][contender]
            print(f"{r['scale']:>5g}x {r['line_items']:>11,} {contender:>10} {m['wall_s']:>8.1f} {m['cpu_s']:>8.1f} {m['peak_rss_mb']:>12,.0f}")
    print()
    for r in results:
        m = r["median"]
        parts = [f"{r['scale']:g}x: job/plain wall {m['job']['wall_s'] / m['plain']['wall_s']:.2f}" if "plain" in m else f"{r['scale']:g}x:"]
        if "plain" in m:
            parts.append(f"cpu {m['job']['cpu_s'] / m['plain']['cpu_s']:.2f}")
        if "duckdb" in m:
            parts.append(f"job/duckdb wall {m['job']['wall_s'] / m['duckdb']['wall_s']:.1f}")
        if "plain_all" in m:
            parts.append(f"job/plain_all wall {m['job']['wall_s'] / m['plain_all']['wall_s']:.2f}")
        if "runtime" in m:
            parts.append(f"job/runtime wall {m['job']['wall_s'] / m['runtime']['wall_s']:.1f} (goal >= 10)")
            for anchor in ("duckdb", "duckdb_all"):
                if anchor in m:
                    parts.append(f"runtime/{anchor} wall {m['runtime']['wall_s'] / m[anchor]['wall_s']:.2f} (goal <= 2)")
        parts.append(f"(load average {r['load'][0]:.1f}-{r['load'][1]:.1f})")
        print(", ".join(parts))
    # Cost per run on Glue from the pricing table (deployer's defaults: $0.44 per DPU-hour, a
    # one-minute minimum), at the wall times measured here: the Spark job on the deployer.yml
    # default of 2 x G.1X (2 DPU), the DuckDB runtime as a 1-DPU Python shell job.
    if "runtime" in args.contenders:
        for r in results:
            m = r["median"]
            spark_cost = max(m["job"]["wall_s"], 60) * 2 * 0.44 / 3600
            shell_cost = max(m["runtime"]["wall_s"], 60) * 1 * 0.44 / 3600
            print(
                f"{r['scale']:g}x on Glue at these times: Spark job (2 DPU) ${spark_cost:.4f}, DuckDB runtime as Python shell (1 DPU) "
                f"${shell_cost:.4f} per run (one-minute minimum; AWS's own start-up not included)"
            )
    for smaller, larger in zip(results, results[1:]):
        extra = (larger["source_rows"] - smaller["source_rows"]) / 1e6
        marginal = {c: (larger["median"][c]["wall_s"] - smaller["median"][c]["wall_s"]) / extra for c in args.contenders}
        print(
            f"{smaller['scale']:g}x -> {larger['scale']:g}x: rows x{larger['source_rows'] / smaller['source_rows']:.1f}; "
            f"marginal wall s per million extra source rows: " + ", ".join(f"{c} {v:.2f}" for c, v in marginal.items())
        )
    if len(results) > 2:
        first, last = results[0], results[-1]
        slope = (last["median"]["job"]["wall_s"] - first["median"]["job"]["wall_s"]) / (last["source_rows"] - first["source_rows"])
        for r in results[1:-1]:
            predicted = first["median"]["job"]["wall_s"] + slope * (r["source_rows"] - first["source_rows"])
            print(
                f"linear fit of the job through {first['scale']:g}x and {last['scale']:g}x predicts {r['scale']:g}x "
                f"at {predicted:.1f}s; measured {r['median']['job']['wall_s']:.1f}s"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
