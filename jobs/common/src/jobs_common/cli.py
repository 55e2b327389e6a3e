"""Entry point logic every job shares: arguments (Glue or argparse), SparkSession, one-line errors.

On AWS Glue `awsglue` is importable: arguments come from getResolvedOptions and the session from
GlueContext. Everywhere else (EMR, spark-submit, tests) argparse reads the same `--name value`
form and a plain SparkSession is used. Unknown arguments are ignored with a warning, because
Glue and EMR add their own (--JOB_NAME, --job-bookmark-option, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any, Callable, Mapping, Sequence

from .config import merge, parse_yaml
from .errors import ConfigError, JobError


def glue():
    """(GlueContext, getResolvedOptions) on Glue, else None."""
    try:
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        return None
    return GlueContext, getResolvedOptions


def parse_args(argv: Sequence[str], keys: Sequence[str], prog: str) -> tuple[dict[str, Any], list[str]]:
    """Returns ({name: value} for every option given, unrecognised arguments)."""
    glue_api = glue()
    names = ["config", *keys]
    if glue_api is not None:
        _, get_resolved_options = glue_api
        # getResolvedOptions fails on options that were not passed, so ask only for present ones.
        present = [n for n in [*names, "JOB_NAME"] if any(a == f"--{n}" or a.startswith(f"--{n}=") for a in argv)]
        resolved = get_resolved_options(["script", *argv], present)
        return {n: resolved[n] for n in present}, []
    parser = argparse.ArgumentParser(prog=prog, add_help=True, allow_abbrev=False)
    for name in names:
        parser.add_argument(f"--{name}", dest=name, default=None)
    known, unknown = parser.parse_known_args(list(argv))
    return {k: v for k, v in vars(known).items() if v is not None}, unknown


def spark_session(glue_api, prog: str, catalog: bool = False):
    if glue_api is not None:
        # Glue's session uses the Glue Data Catalog when the job has --enable-glue-datacatalog true.
        from pyspark.context import SparkContext

        glue_context_cls, _ = glue_api
        return glue_context_cls(SparkContext.getOrCreate()).spark_session
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(prog)
    if catalog and hive_available():
        # A persistent catalog: EMR's Hive client talks to the Glue Data Catalog; locally Spark's
        # own Hive metastore (Derby in the working directory unless hive-site.xml says otherwise).
        builder = builder.enableHiveSupport()
    return builder.getOrCreate()


def hive_available() -> bool:
    """Spark's Hive classes are on the classpath (pip pyspark, Glue, EMR ship them)."""
    from pyspark import SparkContext

    try:
        SparkContext._ensure_initialized()
        SparkContext._jvm.java.lang.Class.forName("org.apache.hadoop.hive.conf.HiveConf")
        return True
    except Exception:  # noqa: BLE001 - no Hive classes: Spark's in-memory catalog
        return False


def spark_installed() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def read_config_file(path: str, spark=None) -> str:
    if spark is None and "://" in path:
        # Without Spark (a Glue Python shell job): pyarrow's file systems fetch it.
        from .arrow_storage import ArrowStorage

        text = ArrowStorage().read_text(path)
        if text is None:
            raise ConfigError(f"--config {path}: no such file")
        return text
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


def main(
    prog: str,
    argv: Sequence[str] | None,
    *,
    load_default_config: Callable[[], Mapping[str, Any]],
    resolve: Callable[[Mapping[str, Any], dt.datetime], Any],
    run: Callable[[Any, Any, dt.datetime], Any],
    report: Callable[[Any, Any, dt.datetime], None],
    catalog: Callable[[Any], bool] = lambda cfg: False,
    without_spark: Callable[[Any], Callable[[Any, dt.datetime], Any] | None] = lambda cfg: None,
) -> int:
    """One job run from the command line: defaults < --config file < --key value, resolve, start
    (or get) the session, run, report. A JobError becomes `<prog>: error: <message>` on stderr and
    its exit code. catalog(cfg): the run needs a persistent catalog (Hive support).
    without_spark(cfg): a run function that needs no Spark session for this config (the DuckDB
    runtime), or None; then no session is started at all."""
    argv = list(sys.argv[1:] if argv is None else argv)
    started_at = dt.datetime.now(dt.timezone.utc)
    try:
        defaults = load_default_config()
        given, unknown = parse_args(argv, sorted(defaults), prog)
        if unknown:
            print(f"{prog}: warning: ignoring unrecognised arguments: {' '.join(unknown)}", file=sys.stderr)
        glue_api = glue()
        spark = None
        raw = dict(defaults)
        if "config" in given:
            path = given["config"]
            if "://" in path and spark_installed():  # Spark's file systems read it; a bad local one fails before Spark starts
                spark = spark_session(glue_api, prog)
            raw = merge(raw, parse_yaml(read_config_file(path, spark), path), path)
        raw = merge(raw, {k: v for k, v in given.items() if k not in ("config", "JOB_NAME")}, "job arguments")
        cfg = resolve(raw, started_at)
        local_run = without_spark(cfg)
        if local_run is not None:
            result = local_run(cfg, started_at)
        else:
            spark = spark or spark_session(glue_api, prog, catalog=catalog(cfg))
            result = run(spark, cfg, started_at)
    except JobError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    report(result, cfg, started_at)
    return 0
