"""One run of the job: extract -> validate -> transform -> load, then publish.

Each source is read and checked once (its checked rows are materialised and serve its clean rows,
its quarantine and its counts). Each table is computed once: it is written, and the models that
read it read the written files. Tables that do not depend on each other are written at the same
time. Row counts come from the writes themselves. Tables are written under
<table>/run_id=<run_id>/ and only published - _manifest.json replaced, then the catalog tables
moved, then old runs removed - after all of them are written.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from . import MODEL_INPUTS, SOURCES, TABLES
from . import catalog as catalog_mod
from .config import JobConfig
from .errors import JobError, WriteError
from .extract import read_sources
from .graph import TaskFailed, run_graph
from .lineage import dependents
from .publish import (
    RunResult,
    data_quality_error,
    first_line,
    is_fact,
    catalog_error,
    recorded_partitions,
    republished,
    refuse_superseded,
)
from .load import (
    QUARANTINE,
    Storage,
    publish_manifest,
    read_manifest,
    read_run_record,
    read_table,
    remove_unretained,
    retained,
    run_path,
    write_run_record,
    write_table,
)
from .quality import clean_rows, quarantined_rows, validate
from .record import RunRecord
from .transform import ModelParams, model_frame, register_inputs

# Settings the models rely on for identical results everywhere (Glue, EMR, local).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
}
# Adaptive execution: merges small shuffle partitions and turns joins with a small side into
# broadcasts from the sizes actually measured.
ADAPTIVE_CONF = {
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
}
BYTES_PER_PARTITION = 64 * 2**20
SMALL_SOURCES = ("accounts", "skus")  # dimensions: broadcast to joins, one partition each
PUBLISHED_TABLES = (*TABLES, QUARANTINE)
# Tables written at the same time when they do not depend on each other (see graph.run_graph).
CONCURRENT_WRITES = 3


def configure_session(spark: SparkSession) -> None:
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)


def shuffle_partitions_for(input_bytes: int, cores: int) -> int:
    """One partition per BYTES_PER_PARTITION of source data, rounded up to a multiple of the
    cores (so the last wave of tasks keeps every core busy), at least one per core."""
    cores = max(1, cores)
    wanted = max(1, math.ceil(input_bytes / BYTES_PER_PARTITION))
    return math.ceil(wanted / cores) * cores


def run(spark: SparkSession, cfg: JobConfig, started_at: dt.datetime) -> RunResult:
    """started_at: timezone-aware UTC start of the run; it is every table's ingest_ts."""
    clock = time.monotonic()
    configure_session(spark)
    storage = Storage(spark)
    out = cfg.output_path

    published = read_manifest(storage, out)
    if published and published.get("run_id") == cfg.run_id and published.get("status") == "succeeded":
        return _already_published(spark, storage, cfg, published)
    refuse_superseded(cfg.run_id, read_run_record(storage, out, cfg.run_id), published)

    for key, value in ADAPTIVE_CONF.items():
        spark.conf.set(key, value)
    input_bytes = sum(storage.size(p) for p in cfg.source_paths.values())
    if cfg.shuffle_partitions is None:
        partitions = shuffle_partitions_for(input_bytes, spark.sparkContext.defaultParallelism)
        spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    elif cfg.shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(cfg.shuffle_partitions))

    partitions_used = int(spark.conf.get("spark.sql.shuffle.partitions"))
    record = RunRecord.begin(cfg, started_at, "spark", spark.version, input_bytes, published, shuffle_partitions=partitions_used)
    persisted: list[DataFrame] = []
    timings = record.timings_s
    stage = "reading the sources"
    try:
        raw = read_sources(spark, cfg.source_paths, cfg.source_format)

        def materialize(name: str, df: DataFrame) -> DataFrame:
            if name in SMALL_SOURCES:
                df = df.coalesce(1)
            df = df.persist(StorageLevel.MEMORY_AND_DISK)
            persisted.append(df)
            return df

        stage = "checking the sources"
        validated = validate(raw, materialize)
        counts = _counts(validated.checked)
        timings["extract_and_check"] = round(time.monotonic() - clock, 3)
        paths = {name: storage.qualified(cfg.source_paths[name]) for name in SOURCES}
        rows_read, rows_quarantined, ratio = record.record_inputs(paths, counts)

        quarantine = (
            reduce(DataFrame.unionByName, [quarantined_rows(n, validated.checked[n]) for n in SOURCES])
            .withColumn("run_id", F.lit(cfg.run_id))
            .withColumn("ingest_ts", F.lit(started_at))
        )
        quarantine_path = run_path(out, QUARANTINE, cfg.run_id)
        record.set_quarantine(storage.qualified(quarantine_path), rows_quarantined, ratio, cfg.dq_max_quarantine_ratio)

        def write_quarantine() -> None:
            write_table(storage, quarantine, quarantine_path, cfg.output_format, (), files=1)

        if ratio > cfg.dq_max_quarantine_ratio:
            stage = "writing the quarantine"
            write_quarantine()
            record.failed("failed_data_quality", round(time.monotonic() - clock, 3))
            run_file = write_run_record(storage, out, record)
            raise data_quality_error(record, rows_read, storage.qualified(run_file))

        params = ModelParams(
            earliest_entry_date=cfg.earliest_entry_date,
            as_of=cfg.as_of,
            overdue_days=cfg.overdue_days,
            ingest_ts=started_at,
        )
        register_inputs({name: clean_rows(name, validated.checked[name]) for name in SOURCES})
        readers = dependents(MODEL_INPUTS)
        schemas = {}

        def write_model(name: str) -> None:
            df = model_frame(spark, name, params)
            partition_by = cfg.fact_partition_columns if is_fact(name) else ()
            path = run_path(out, name, cfg.run_id)
            written = write_table(storage, df, path, cfg.output_format, partition_by)
            schemas[name] = df.schema
            if readers[name]:
                # Models that read this one read what was just written (pruned to the columns
                # they use), so its lineage is not computed again.
                register_inputs({name: read_table(spark, path, cfg.output_format, df.schema)})
            info = {
                "path": storage.qualified(path),
                "format": cfg.output_format,
                "partitioned_by": list(partition_by),
                "rows": written.rows,
            }
            if partition_by:
                info["partitions"] = [dict(p) for p in written.partitions]
            record.tables[name] = info

        tasks = {QUARANTINE: (write_quarantine, set())}
        tasks.update({name: (lambda n=name: write_model(n), set(MODEL_INPUTS[name])) for name in TABLES})
        stage = "writing the tables"
        run_graph(tasks, timings, CONCURRENT_WRITES, on_failure=spark.sparkContext.cancelAllJobs)
        record.tables = {name: record.tables[name] for name in TABLES}
    except JobError:
        _unpersist(persisted)
        raise
    except Exception as exc:  # noqa: BLE001 - any failure before the publish: record it, publish nothing
        _unpersist(persisted)
        if isinstance(exc, TaskFailed):
            stage, exc = f"writing {exc.name}", exc.error
        record.failed("failed", round(time.monotonic() - clock, 3), error=f"{stage}: {first_line(exc)}")
        _try_write_record(storage, out, record)
        previous = f"; run {published['run_id']} stays published" if published else ""
        raise WriteError(f"run {cfg.run_id} failed while {stage} ({first_line(exc)}); nothing was published{previous}") from exc
    _unpersist(persisted)

    # Publish: the run record, then _manifest.json in one atomic write (readers switch here), then
    # the catalog, then retention. Nothing before this point is visible to readers.
    keep = retained(cfg.run_id, published, cfg.retention_runs)
    record.succeeded(keep, cfg.catalog_database or None, round(time.monotonic() - clock, 3))
    run_file = write_run_record(storage, out, record)
    publish_manifest(storage, out, record)
    result = RunResult(
        run_id=cfg.run_id,
        manifest_path=storage.qualified(run_file),
        tables=record.tables,
        quarantine=record.quarantine,
    )
    result.catalog = _publish_catalog(spark, cfg, record.tables, schemas)
    result.removed_runs = remove_unretained(storage, out, PUBLISHED_TABLES, keep)
    return result


def _counts(checked: dict[str, DataFrame]) -> dict[str, tuple[int, int]]:
    """{source: (clean rows, quarantined rows)} in one small job over the checked rows."""
    tallies = (
        reduce(
            DataFrame.unionByName,
            [df.select(F.lit(name).alias("source"), F.col("_reason").isNull().alias("ok")) for name, df in checked.items()],
        )
        .groupBy("source", "ok")
        .count()
        .collect()
    )
    counts = {name: [0, 0] for name in checked}
    for row in tallies:
        counts[row["source"]][0 if row["ok"] else 1] = int(row["count"])
    return {name: (c[0], c[1]) for name, c in counts.items()}


def _catalog_tables(written: dict, schemas: dict) -> list[catalog_mod.CatalogTable]:
    tables = []
    for name in TABLES:
        info = written[name]
        tables.append(
            catalog_mod.CatalogTable(
                name=name,
                location=info["path"],
                schema=schemas[name],
                partition_by=tuple(info["partitioned_by"]),
                partitions=recorded_partitions(info),
            )
        )
    return tables


def _publish_catalog(spark: SparkSession, cfg: JobConfig, written: dict, schemas: dict) -> dict:
    """Points the catalog database's tables at `written` ({table: its record}); {} without one."""
    if not cfg.catalog_database:
        return {}
    try:
        actions = catalog_mod.publish(spark, cfg.catalog_database, _catalog_tables(written, schemas))
    except JobError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise catalog_error(cfg, exc) from exc
    return {"database": cfg.catalog_database, "implementation": catalog_mod.implementation(spark), "tables": actions}


def _already_published(spark: SparkSession, storage: Storage, cfg: JobConfig, published: dict) -> RunResult:
    """A rerun of the published run_id (publish.republished), and the catalog pointed at it
    again (repairing a publish whose catalog step failed)."""
    result = republished(storage, cfg, published, PUBLISHED_TABLES)
    schemas = {}
    if cfg.catalog_database:
        for name in TABLES:
            info = published["tables"][name]
            schemas[name] = spark.read.format(info["format"]).load(info["path"]).schema
    result.catalog = _publish_catalog(spark, cfg, published["tables"], schemas)
    return result


def _try_write_record(storage: Storage, out: str, record: RunRecord) -> None:
    try:
        write_run_record(storage, out, record)
    except Exception:  # noqa: BLE001 - the run already failed; its own error is the one to report
        pass


def _unpersist(frames: list[DataFrame]) -> None:
    for df in frames:
        df.unpersist()
    if frames:
        # The run's temp views (sources and tables) would shadow catalog tables of the same
        # name in the caller's session.
        spark = frames[0].sparkSession
        for name in (*SOURCES, *TABLES):
            spark.catalog.dropTempView(name)
