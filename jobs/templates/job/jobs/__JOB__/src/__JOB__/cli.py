"""Entry point: the shared command line (jobs_common.cli) with this job's config, run and report."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from jobs_common import cli as common
from jobs_common.metrics import emf_lines

from .config import Config, load_default_config, resolve
from .job import RunResult, run

PROG = "__JOB__"


def report(result: RunResult, cfg: Config, started_at: dt.datetime) -> None:
    print(f"{PROG}: run {result.run_id} succeeded")
    for name, info in result.tables.items():
        print(f"  {name:<24} {info['rows']:>9} rows  -> {info['path']}")
    # The figures as CloudWatch metrics (EMF lines; on Glue the driver's output reaches CloudWatch Logs).
    rows = {name: int(info["rows"]) for name, info in result.tables.items()}
    for line in emf_lines(PROG, result.run_id, rows, None, (dt.datetime.now(dt.timezone.utc) - started_at).total_seconds()):
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(PROG, argv, load_default_config=load_default_config, resolve=resolve, run=run, report=report)
