"""One run of the job: extract -> validate -> transform -> load, and the run manifest."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from . import SOURCES, TABLES
from .config import JobConfig
from .errors import DataQualityError
from .extract import read_sources
from .load import Storage, count_written, read_table, write_manifest, write_table
from .quality import validate
from .transform import ModelParams, build_tables

FACT_TABLES = ("fact_sales", "fact_sales_processed")

# Settings the models rely on for identical results everywhere (Glue, EMR, local).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
}


@dataclass
class RunResult:
    run_id: str
    manifest_path: str
    tables: dict[str, dict] = field(default_factory=dict)
    quarantine: dict = field(default_factory=dict)


def configure_session(spark: SparkSession) -> None:
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)


def run(spark: SparkSession, cfg: JobConfig, started_at: dt.datetime) -> RunResult:
    """started_at: timezone-aware UTC start of the run; it is every table's ingest_ts."""
    clock = time.monotonic()
    configure_session(spark)
    if cfg.shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(cfg.shuffle_partitions))
    storage = Storage(spark)
    out = cfg.output_path

    raw = read_sources(spark, cfg.source_paths, cfg.source_format)
    validated = validate(raw)
    # Each clean source feeds several models and the counts; materialise it once.
    clean = {name: df.persist(StorageLevel.MEMORY_AND_DISK) for name, df in validated.clean.items()}
    inputs = {}
    for name in SOURCES:
        valid = clean[name].count()
        inputs[name] = {"path": storage.qualified(cfg.source_paths[name]), "rows_valid": valid}

    quarantine = validated.quarantine.withColumn("run_id", F.lit(cfg.run_id)).withColumn(
        "ingest_ts", F.lit(started_at)
    )
    quarantine_path = f"{out}/quarantine"
    write_table(storage, quarantine, quarantine_path, cfg.output_format, (), cfg.run_id)
    written = read_table(spark, quarantine_path, cfg.output_format)
    by_table = {r["source_table"]: r["n"] for r in written.groupBy("source_table").count().withColumnRenamed("count", "n").collect()}
    for name in SOURCES:
        inputs[name]["rows_quarantined"] = int(by_table.get(name, 0))
        inputs[name]["rows_read"] = inputs[name]["rows_valid"] + inputs[name]["rows_quarantined"]
    rows_read = sum(i["rows_read"] for i in inputs.values())
    rows_quarantined = sum(i["rows_quarantined"] for i in inputs.values())
    ratio = rows_quarantined / rows_read if rows_read else 0.0
    quarantine_info = {
        "path": storage.qualified(quarantine_path),
        "rows": rows_quarantined,
        "ratio": round(ratio, 6),
        "max_ratio": cfg.dq_max_quarantine_ratio,
    }

    manifest = {
        "job": "sales_etl",
        "run_id": cfg.run_id,
        "as_of": cfg.as_of.isoformat(),
        "ingest_ts": started_at.isoformat(),
        "spark_version": spark.version,
        "config": cfg.as_dict(),
        "inputs": inputs,
        "quarantine": quarantine_info,
        "tables": {},
    }

    if ratio > cfg.dq_max_quarantine_ratio:
        manifest.update(status="failed_data_quality", duration_s=round(time.monotonic() - clock, 3))
        run_file = write_manifest(storage, out, manifest, latest=False)
        _unpersist(clean)
        raise DataQualityError(
            f"{rows_quarantined} of {rows_read} source rows ({ratio:.2%}) failed data quality checks, "
            f"above dq_max_quarantine_ratio={cfg.dq_max_quarantine_ratio}; see {quarantine_info['path']} "
            f"and {storage.qualified(run_file)}"
        )

    params = ModelParams(
        earliest_entry_date=cfg.earliest_entry_date,
        as_of=cfg.as_of,
        overdue_days=cfg.overdue_days,
        ingest_ts=started_at,
    )
    tables = build_tables(spark, clean, params)
    for name in TABLES:
        path = f"{out}/{name}"
        partition_by = cfg.fact_partition_columns if name in FACT_TABLES else ()
        write_table(storage, tables[name], path, cfg.output_format, partition_by, cfg.run_id)
        manifest["tables"][name] = {
            "path": storage.qualified(path),
            "format": cfg.output_format,
            "partitioned_by": list(partition_by),
            "rows": count_written(spark, path, cfg.output_format),
        }
    _unpersist(clean)

    manifest.update(status="succeeded", duration_s=round(time.monotonic() - clock, 3))
    run_file = write_manifest(storage, out, manifest, latest=True)
    return RunResult(
        run_id=cfg.run_id,
        manifest_path=storage.qualified(run_file),
        tables=manifest["tables"],
        quarantine=quarantine_info,
    )


def _unpersist(frames: dict) -> None:
    for df in frames.values():
        df.unpersist()
