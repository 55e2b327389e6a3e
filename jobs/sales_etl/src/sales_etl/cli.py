"""Entry point of sales_etl: the shared command line (jobs_common.cli: arguments from Glue's
getResolvedOptions or argparse, SparkSession or GlueContext, one-line errors) with this job's
config, run and report. The session gets Hive support when the run registers tables in a catalog.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from jobs_common import cli as common
from jobs_common.metrics import emf_lines

from . import TABLES
from .config import JobConfig, load_default_config, resolve
from .publish import RunResult

PROG = "sales_etl"


def parse_args(argv: Sequence[str], keys: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Returns ({name: value} for every option given, unrecognised arguments)."""
    return common.parse_args(argv, keys, PROG)


def report(result: RunResult, cfg: JobConfig, started_at: dt.datetime) -> None:
    if result.already_published:
        print(f"{PROG}: run {result.run_id} is already published; nothing was recomputed (as_of {cfg.as_of})")
    else:
        print(f"{PROG}: run {result.run_id} succeeded (as_of {cfg.as_of}, ingest_ts {started_at.isoformat()})")
    for name in TABLES:
        info = result.tables[name]
        print(f"  {name:<24} {info['rows']:>10} rows  -> {info['path']}")
    q = result.quarantine
    print(f"  {'quarantine':<24} {q['rows']:>10} rows  -> {q['path']} (ratio {q['ratio']}, max {q['max_ratio']})")
    print(f"  manifest: {result.manifest_path} (published as {cfg.output_path}/_manifest.json)")
    if result.catalog:
        c = result.catalog
        print(f"  catalog: {len(c['tables'])} tables in {c['database']} ({c['implementation']}), e.g. {c['database']}.{TABLES[-1]}")
    if result.removed_runs:
        print(f"  retention: removed {len(result.removed_runs)} old or unpublished run directories")
    duration = (dt.datetime.now(dt.timezone.utc) - started_at).total_seconds()
    rows = {name: int(result.tables[name]["rows"]) for name in TABLES}
    for line in emf_lines(PROG, result.run_id, rows, q.get("ratio"), duration):
        print(line)


def run(spark, cfg: JobConfig, started_at: dt.datetime) -> RunResult:
    from .job import run as spark_run  # imports pyspark: only when the Spark runtime runs

    return spark_run(spark, cfg, started_at)


def without_spark(cfg: JobConfig):
    if cfg.runtime != "duckdb":
        return None
    from .duck.job import run as duckdb_run

    return duckdb_run


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(
        PROG,
        argv,
        load_default_config=load_default_config,
        resolve=resolve,
        run=run,
        report=report,
        catalog=lambda cfg: bool(cfg.catalog_database),
        without_spark=without_spark,
    )
