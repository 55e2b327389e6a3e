"""Runs the nightly pipeline's two jobs by hand and compares their tables with the pipeline's.

Usage: nightly_by_hand.py WORK RUN_ID AS_OF

WORK is a copy of the repository's deployer.yml and jobs/ in which `deployer run nightly -t
local --arg as_of=AS_OF` wrote .deployer/local/output/{cdc_merge,sales_etl} under run RUN_ID.
Here an engineer's way: each job's main.py from the source tree with the local target's
arguments, cdc_merge first, then sales_etl reading its current state; then every table of both
is read back with Spark and compared row for row (ingest_ts, the start time of each run, left
out). Prints one JSON object: per table the pipeline's and the hand run's row counts, the rows
only one side has (at most five each), and a few facts of the changes file for the caller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CDC_TABLES = ("accounts", "invoices", "invoice_line_items", "skus")
ETL_TABLES = ("account_details", "invoice_details", "fact_sales", "fact_sales_processed", "monthly_sales_summary", "client_profile")


def by_hand(work: Path, run_id: str, as_of: str) -> Path:
    hand = work / "hand"
    python = os.environ.get("DEPLOYER_JOBS_PYTHON", sys.executable)
    steps = [
        [
            "jobs/cdc_merge/main.py",
            *("--input_path", "jobs/sample_cdc/billing", "--input_format", "csv"),
            *("--output_path", str(hand / "cdc_merge"), "--run_id", run_id),
        ],
        [
            "jobs/sales_etl/main.py",
            *("--source_format", "cdc", "--source_path", str(hand / "cdc_merge")),
            *("--output_path", str(hand / "sales_etl"), "--run_id", run_id, "--as_of", as_of),
        ],
    ]
    for step in steps:
        done = subprocess.run([python, *step], cwd=work, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            sys.exit(f"by hand: {step[0]} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return hand


def rows(spark, path: str) -> list[tuple]:
    df = spark.read.parquet(path)
    columns = sorted(c for c in df.columns if c != "ingest_ts")
    return sorted(tuple("" if v is None else str(v) for v in r) for r in df.select(*columns).collect())


def compare(spark, pipeline: str, hand: str) -> dict:
    left, right = rows(spark, pipeline), rows(spark, hand)
    only_left = sorted(set(left) - set(right))[:5]
    only_right = sorted(set(right) - set(left))[:5]
    return {"pipeline": len(left), "hand": len(right), "only_pipeline": only_left, "only_hand": only_right, "equal": left == right}


def main() -> None:
    work, run_id, as_of = Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3]
    hand = by_hand(work, run_id, as_of)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    ran = work / ".deployer/local/output"
    tables = {}
    for table in CDC_TABLES:
        tables[f"cdc_merge.{table}"] = compare(spark, str(ran / "cdc_merge" / table), str(hand / "cdc_merge" / table))
    for table in ETL_TABLES:
        partition = f"{table}/run_id={run_id}"
        tables[f"sales_etl.{table}"] = compare(spark, str(ran / "sales_etl" / partition), str(hand / "sales_etl" / partition))
    accounts = {r["account_id"] for r in spark.read.parquet(str(ran / "cdc_merge/accounts")).select("account_id").collect()}
    invoices = {r["invoice_id"] for r in spark.read.parquet(str(ran / "cdc_merge/invoices")).select("invoice_id").collect()}
    facts = {
        "account_21_merged": "21" in accounts,
        "invoice_99_merged": "99" in invoices,
        "invoice_98_deleted": "98" not in invoices,
    }
    print(json.dumps({"tables": tables, "facts": facts}))


if __name__ == "__main__":
    main()
