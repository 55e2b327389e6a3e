"""Entry point: the shared command line (jobs_common.cli) with this job's config, run and report."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from jobs_common import cli as common

from .config import Config, load_default_config, resolve
from .job import RunResult, run

PROG = "__JOB__"


def report(result: RunResult, cfg: Config, started_at: dt.datetime) -> None:
    print(f"{PROG}: run {result.run_id} succeeded")
    for name, info in result.tables.items():
        print(f"  {name:<24} {info['rows']:>9} rows  -> {info['path']}")


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(PROG, argv, load_default_config=load_default_config, resolve=resolve, run=run, report=report)
