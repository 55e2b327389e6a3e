"""Entry point logic: arguments (Glue or argparse), SparkSession, run, one-line errors.

Same conventions as sales_etl: on AWS Glue (`awsglue` importable) arguments come from
getResolvedOptions and the session from GlueContext; elsewhere argparse reads the same
`--name value` form. Unknown arguments are ignored with a warning (Glue adds --JOB_NAME, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any, Sequence

from .config import load_default_config, merge, parse_yaml, resolve
from .errors import ConfigError, JobError
from .merge import run

PROG = "cdc_merge"


def _glue():
    try:
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        return None
    return GlueContext, getResolvedOptions


def parse_args(argv: Sequence[str], keys: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    glue = _glue()
    names = ["config", *keys]
    if glue is not None:
        _, get_resolved_options = glue
        present = [n for n in [*names, "JOB_NAME"] if any(a == f"--{n}" or a.startswith(f"--{n}=") for a in argv)]
        resolved = get_resolved_options(["script", *argv], present)
        return {n: resolved[n] for n in present}, []
    parser = argparse.ArgumentParser(prog=PROG, add_help=True, allow_abbrev=False)
    for name in names:
        parser.add_argument(f"--{name}", dest=name, default=None)
    known, unknown = parser.parse_known_args(list(argv))
    return {k: v for k, v in vars(known).items() if v is not None}, unknown


def _spark(glue):
    if glue is not None:
        from pyspark.context import SparkContext

        glue_context_cls, _ = glue
        return glue_context_cls(SparkContext.getOrCreate()).spark_session
    from pyspark.sql import SparkSession

    return SparkSession.builder.appName(PROG).getOrCreate()


def _read_config_file(path: str, spark=None) -> str:
    if spark is None:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise ConfigError(f"--config {path}: cannot read ({exc.strerror}); pass an existing YAML file") from None
    rows = spark.sparkContext.wholeTextFiles(path).collect()
    if not rows:
        raise ConfigError(f"--config {path}: no such file")
    return rows[0][1]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    started_at = dt.datetime.now(dt.timezone.utc)
    try:
        defaults = load_default_config()
        given, unknown = parse_args(argv, sorted(defaults))
        if unknown:
            print(f"{PROG}: warning: ignoring unrecognised arguments: {' '.join(unknown)}", file=sys.stderr)
        glue = _glue()
        spark = None
        raw = dict(defaults)
        if "config" in given:
            path = given["config"]
            if "://" in path:
                spark = _spark(glue)
            raw = merge(raw, parse_yaml(_read_config_file(path, spark), path), path)
        raw = merge(raw, {k: v for k, v in given.items() if k not in ("config", "JOB_NAME")}, "job arguments")
        cfg = resolve(raw, started_at)
        spark = spark or _spark(glue)
        result = run(spark, cfg, started_at)
    except JobError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"{PROG}: run {result.run_id} succeeded")
    for name, info in result.tables.items():
        rows = info.get("rows")
        print(
            f"  {name:<20} {info['status']:<16} new files {info['files_new']:>5}  changes {info['rows_changes']:>9}"
            f"  rows {'-' if rows is None else rows:>9}  -> {info['path']}"
        )
    print(f"  manifest: {result.manifest_path}")
    return 0
