"""Entry point of cdc_merge: the shared command line (jobs_common.cli: arguments from Glue's
getResolvedOptions or argparse, SparkSession or GlueContext, one-line errors) with this job's
config, run and report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from jobs_common import cli as common
from jobs_common.metrics import emf_lines

from .config import MergeConfig, load_default_config, resolve
from .merge import RunResult, run

PROG = "cdc_merge"


def parse_args(argv: Sequence[str], keys: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Returns ({name: value} for every option given, unrecognised arguments)."""
    return common.parse_args(argv, keys, PROG)


def report(result: RunResult, cfg: MergeConfig, started_at: dt.datetime) -> None:
    print(f"{PROG}: run {result.run_id} succeeded")
    for name, info in result.tables.items():
        rows = info.get("rows")
        print(
            f"  {name:<20} {info['status']:<16} new files {info['files_new']:>5}  changes {info['rows_changes']:>9}"
            f"  rows {'-' if rows is None else rows:>9}  -> {info['path']}"
        )
    print(f"  manifest: {result.manifest_path}")
    rows = {name: int(info["rows"]) for name, info in result.tables.items() if info.get("rows") is not None}
    for line in emf_lines(PROG, result.run_id, rows, None, (dt.datetime.now(dt.timezone.utc) - started_at).total_seconds()):
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(PROG, argv, load_default_config=load_default_config, resolve=resolve, run=run, report=report)
