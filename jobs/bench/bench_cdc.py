#!/usr/bin/env python3
"""Benchmark of cdc_merge: 1M base rows (full load) + 100k changes, then a rerun with no new files.

    python3 jobs/bench/bench_cdc.py [--base 1000000 --changes 100000 --files 10 --master local[2]]

Data (generated with Spark, cached in jobs/_bench/cdc/): one table `lines` keyed by (invoice_id,
item_id) in DMS's S3 layout: LOAD00000001.parquet, then --files CDC files of U/D/I changes.
Timings: (1) merge of the full load alone, (2) merge of the changes into that state,
(3) rerun with no new files (must be a no-op), (4) full refresh of everything.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

# Local Spark binds to the host's address unless told otherwise: keep it on loopback.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

JOBS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(JOBS / "common" / "src"))
sys.path.insert(0, str(JOBS / "cdc_merge" / "src"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--workdir", default=str(JOBS / "_bench" / "cdc"))
    args = parser.parse_args()

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from cdc_merge.config import resolve
    from cdc_merge.merge import run

    spark = (
        SparkSession.builder.master(args.master)
        .appName("bench_cdc")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    work = Path(args.workdir)
    data = work / f"dms_{args.base}_{args.changes}_{args.files}" / "billing" / "lines"
    if not (data / "_READY").exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        base = spark.range(args.base).select(
            F.lit("I").alias("Op"),
            F.lit("2024-06-01 00:00:00.000000").alias("_commit_ts"),
            (F.col("id") / 4 + 1).cast("int").alias("invoice_id"),
            F.concat(F.lit("SKU-"), (F.col("id") % 4).cast("string")).alias("item_id"),
            (F.col("id") % 9 + 1).cast("int").alias("quantity"),
            F.sha2(F.col("id").cast("string"), 256).alias("note"),
        )
        _single(base, data / "LOAD00000001.parquet", work)
        per_file = args.changes // args.files
        for n in range(args.files):
            ids = spark.range(n * per_file, (n + 1) * per_file)
            # 80% updates of existing keys (spread over the table), 10% deletes, 10% inserts of new keys.
            key = (F.col("id") * 7919) % args.base
            kind = F.col("id") % 10
            changes = ids.select(
                F.when(kind == 0, "D").when(kind == 1, "I").otherwise("U").alias("Op"),
                F.format_string(
                    "2024-06-02 %02d:%02d:%02d.%06d",
                    (F.lit(n) % 24),
                    (F.col("id") / 60 % 60).cast("int"),
                    (F.col("id") % 60).cast("int"),
                    F.col("id") % 1000000,
                ).alias("_commit_ts"),
                F.when(kind == 1, F.lit(10_000_000) + F.col("id")).otherwise(key / 4 + 1).cast("int").alias("invoice_id"),
                F.when(kind == 1, F.lit("SKU-0")).otherwise(F.concat(F.lit("SKU-"), (key % 4).cast("string"))).alias("item_id"),
                (F.col("id") % 50).cast("int").alias("quantity"),
                F.concat(F.lit("c"), F.col("id").cast("string")).alias("note"),
            )
            name = (dt.datetime(2024, 6, 2) + dt.timedelta(minutes=n)).strftime("%Y%m%d-%H%M%S") + "000"
            _single(changes, data / f"{name}.parquet", work)
        (data / "_READY").write_text("ok\n")

    load_only = work / "load_only" / "billing" / "lines"
    shutil.rmtree(work / "load_only", ignore_errors=True)
    load_only.mkdir(parents=True)
    shutil.copy(data / "LOAD00000001.parquet", load_only / "LOAD00000001.parquet")
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)

    def merge(input_root: Path, label: str, **extra) -> dict:
        raw = {
            "input_path": str(input_root),
            "input_format": "parquet",
            "tables": "lines:invoice_id,item_id",
            "op_column": "Op",
            "timestamp_column": "_commit_ts",
            "sequence_column": "",
            "output_path": str(out),
            "output_format": "parquet",
            "full_refresh": False,
            "shuffle_partitions": args.shuffle_partitions,
            "run_id": label,
        }
        raw.update(extra)
        cfg = resolve(raw, dt.datetime.now(dt.timezone.utc))
        start = time.monotonic()
        result = run(spark, cfg, dt.datetime.now(dt.timezone.utc))
        info = result.tables["lines"]
        seconds = time.monotonic() - start
        print(
            f"{label:<28} {seconds:8.2f} s  status={info['status']:<14} new files={info['files_new']:<3} "
            f"changes={info['rows_changes']:<9} rows={info.get('rows')}",
            flush=True,
        )
        return info

    print(
        f"cdc_merge benchmark: base {args.base} rows, {args.changes} changes in {args.files} files, "
        f"master {args.master}, shuffle partitions {args.shuffle_partitions}"
    )
    merge(load_only.parent, "1 full load")
    # The CDC files join the load file: point at the full folder; the LOAD file is already merged.
    merge_changes_input = work / "with_changes"
    shutil.rmtree(merge_changes_input, ignore_errors=True)
    shutil.copytree(data.parent, merge_changes_input / "billing")
    _rebase_watermark(out, "LOAD00000001.parquet")
    merge(merge_changes_input / "billing", "2 +changes (incremental)")
    merge(merge_changes_input / "billing", "3 rerun, no new files")
    merge(merge_changes_input / "billing", "4 full refresh (all files)", full_refresh=True)
    spark.stop()
    return 0


def _single(df, target: Path, work: Path) -> None:
    tmp = work / ".tmp_write"
    shutil.rmtree(tmp, ignore_errors=True)
    df.coalesce(1).write.parquet(str(tmp))
    shutil.move(str(next(tmp.glob("part-*.parquet"))), target)
    shutil.rmtree(tmp)


def _rebase_watermark(out: Path, load_file: str) -> None:
    """Step 1 ran on a folder holding only the LOAD file; the watermark already records it by its
    relative path, so pointing the next run at the full folder merges only the CDC files."""
    import json

    path = out / "_cdc" / "lines" / "watermark.json"
    mark = json.loads(path.read_text())
    assert load_file in mark["files"], mark["files"]


if __name__ == "__main__":
    sys.exit(main())
