"""Entry point logic: arguments (Glue or argparse), SparkSession, run, one-line errors.

On AWS Glue `awsglue` is importable: arguments come from getResolvedOptions and the session from
GlueContext. Everywhere else (EMR, spark-submit, tests) argparse reads the same `--name value`
form and a plain SparkSession is used. Unknown arguments are ignored with a warning, because
Glue and EMR add their own (--JOB_NAME, --job-bookmark-option, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any, Sequence

from . import TABLES
from .config import load_default_config, merge, parse_yaml, resolve
from .errors import ConfigError, JobError
from .job import run

PROG = "sales_etl"


def _glue():
    try:
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        return None
    return GlueContext, getResolvedOptions


def parse_args(argv: Sequence[str], keys: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """Returns ({name: value} for every option given, unrecognised arguments)."""
    glue = _glue()
    names = ["config", *keys]
    if glue is not None:
        _, get_resolved_options = glue
        # getResolvedOptions fails on options that were not passed, so ask only for present ones.
        present = [n for n in [*names, "JOB_NAME"] if any(a == f"--{n}" or a.startswith(f"--{n}=") for a in argv)]
        resolved = get_resolved_options(["script", *argv], present)
        return {n: resolved[n] for n in present}, []
    parser = argparse.ArgumentParser(prog=PROG, add_help=True, allow_abbrev=False)
    for name in names:
        parser.add_argument(f"--{name}", dest=name, default=None)
    known, unknown = parser.parse_known_args(list(argv))
    return {k: v for k, v in vars(known).items() if v is not None}, unknown


def _spark(glue, catalog: bool = False):
    if glue is not None:
        # Glue's session uses the Glue Data Catalog when the job has --enable-glue-datacatalog true.
        from pyspark.context import SparkContext

        glue_context_cls, _ = glue
        return glue_context_cls(SparkContext.getOrCreate()).spark_session
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(PROG)
    if catalog and _hive_available():
        # A persistent catalog: EMR's Hive client talks to the Glue Data Catalog; locally Spark's
        # own Hive metastore (Derby in the working directory unless hive-site.xml says otherwise).
        builder = builder.enableHiveSupport()
    return builder.getOrCreate()


def _hive_available() -> bool:
    """Spark's Hive classes are on the classpath (pip pyspark, Glue, EMR ship them)."""
    from pyspark import SparkContext

    try:
        SparkContext._ensure_initialized()
        SparkContext._jvm.java.lang.Class.forName("org.apache.hadoop.hive.conf.HiveConf")
        return True
    except Exception:  # noqa: BLE001 - no Hive classes: Spark's in-memory catalog
        return False


def _read_config_file(path: str, spark=None) -> str:
    if spark is None:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise ConfigError(f"--config {path}: cannot read ({exc.strerror}); pass an existing YAML file") from None
    # s3://... on Glue/EMR: let Spark's file systems fetch it.
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
            if "://" in path:  # remote config needs Spark's file systems; local bad config fails before Spark starts
                spark = _spark(glue)
            raw = merge(raw, parse_yaml(_read_config_file(path, spark), path), path)
        raw = merge(raw, {k: v for k, v in given.items() if k not in ("config", "JOB_NAME")}, "job arguments")
        cfg = resolve(raw, started_at)
        spark = spark or _spark(glue, catalog=bool(cfg.catalog_database))
        result = run(spark, cfg, started_at)
    except JobError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
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
    return 0
