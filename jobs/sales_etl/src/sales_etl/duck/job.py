"""One run of the job on DuckDB: extract -> validate -> transform -> load, then publish, as
sales_etl.job does on Spark, with the same run record, publish and exit codes.

Tables are computed in the models' dependency order inside one DuckDB connection; each is cast
to the contract's types (sales_etl.schemas), written under <table>/run_id=<run_id>/, and only
published - the run record, then _manifest.json in one atomic write, then old runs removed -
after all of them are written. The input's size (from the store's listing) is checked against
duckdb_max_input_bytes first: a run that would not fit one machine is refused, naming Spark.
"""

from __future__ import annotations

import datetime as dt
import time

import duckdb
import pyarrow as pa
from jobs_common.arrow_storage import ArrowStorage

from .. import MODEL_INPUTS, SOURCES, TABLES
from ..config import JobConfig
from ..errors import ConfigError, JobError, WriteError
from ..lineage import dependents, model_sql
from ..publish import (
    QUARANTINE,
    RunResult,
    data_quality_error,
    first_line,
    refuse_superseded,
    is_fact,
    publish_manifest,
    read_manifest,
    read_run_record,
    remove_unretained,
    catalog_error,
    recorded_partitions,
    republished,
    retained,
    run_path,
    write_run_record,
)
from ..record import RunRecord
from ..schemas import QUARANTINE_TYPES, SOURCE_TYPES, table_schemas
from . import glue_catalog, quality
from .extract import read_sources
from .translate import to_duckdb, typing_schema
from .write import arrow_schema, cast_sql, conform, stream_table

PUBLISHED_TABLES = (*TABLES, QUARANTINE)
# Rows per batch from DuckDB to the Parquet writer: bounded memory, large enough row groups.
BATCH_ROWS = 256 * 1024


def _size(size: int) -> str:
    """Bytes as people read them: 17,147 bytes, 3.10 MiB, 1.00 GiB."""
    for unit, power in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 2**power:
            return f"{size / 2**power:.2f} {unit}"
    return f"{size:,} bytes"


def translated_models() -> dict[str, str]:
    """{model: DuckDB SQL}; a model the translation cannot carry is a ConfigError naming it."""
    schema = {name: dict(columns) for name, columns in SOURCE_TYPES.items()}
    schema.update({name: {c[0]: c[1] for c in columns} for name, columns in table_schemas().items()})
    typed = typing_schema(schema)
    return {name: to_duckdb(model_sql(name), f"models/{name}.sql", typed) for name in TABLES}


def run(cfg: JobConfig, started_at: dt.datetime) -> RunResult:
    """started_at: timezone-aware UTC start of the run; it is every table's ingest_ts."""
    clock = time.monotonic()
    storage = ArrowStorage()
    out = cfg.output_path
    if cfg.output_format != "parquet":
        raise ConfigError("config key 'output_format': the duckdb runtime writes parquet only; set output_format: parquet or runtime: spark")

    # Checked before anything is read or written: a database that is not there is a setting to fix.
    catalog = glue_catalog.open_catalog(cfg.catalog_database) if cfg.catalog_database else None
    published = read_manifest(storage, out)
    if published and published.get("run_id") == cfg.run_id and published.get("status") == "succeeded":
        result = republished(storage, cfg, published, PUBLISHED_TABLES)
        # Pointed at the published run again: this repairs a publish whose catalog step failed.
        result.catalog = _publish_catalog(cfg, catalog, published["tables"])
        return result
    refuse_superseded(cfg.run_id, read_run_record(storage, out, cfg.run_id), published)
    input_bytes = sum(storage.size(p) for p in cfg.source_paths.values())
    if input_bytes > cfg.duckdb_max_input_bytes:
        raise ConfigError(
            f"config key 'runtime': the input is {_size(input_bytes)}, above duckdb_max_input_bytes "
            f"({_size(cfg.duckdb_max_input_bytes)}) for one machine; run this job with runtime spark, or raise duckdb_max_input_bytes"
        )
    sql = translated_models()
    contract = table_schemas()

    record = RunRecord.begin(cfg, started_at, "duckdb", duckdb.__version__, input_bytes, published)
    timings = record.timings_s
    stage = "reading the sources"
    con = duckdb.connect()
    # TIMESTAMPTZ values (ingest_ts) reach Arrow marked UTC, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    # No table's rows have an order (as on Spark); DuckDB then writes and scans in parallel and
    # holds less. The quarantine is ordered by source row where it is read.
    con.execute("SET preserve_insertion_order = false")
    try:
        raw = read_sources(storage, cfg.source_paths, cfg.source_format)
        stage = "checking the sources"
        counts = quality.validate(con, raw)
        timings["extract_and_check"] = round(time.monotonic() - clock, 3)
        paths = {name: storage.qualified(cfg.source_paths[name]) for name in SOURCES}
        rows_read, rows_quarantined, ratio = record.record_inputs(paths, counts)
        quarantine_path = run_path(out, QUARANTINE, cfg.run_id)
        record.set_quarantine(storage.qualified(quarantine_path), rows_quarantined, ratio, cfg.dq_max_quarantine_ratio)
        stage = "writing the quarantine"
        started = time.monotonic()
        bad_rows = [row for name in SOURCES for row in quality.quarantined_rows(con, name, raw[name])]
        ingest = started_at.astimezone(dt.timezone.utc)
        quarantine = pa.table(
            {
                "source_table": pa.array([r[0] for r in bad_rows], pa.string()),
                "reason": pa.array([r[1] for r in bad_rows], pa.string()),
                "record": pa.array([r[2] for r in bad_rows], pa.string()),
                "run_id": pa.array([cfg.run_id] * len(bad_rows), pa.string()),
                "ingest_ts": pa.array([ingest] * len(bad_rows), pa.timestamp("us", tz="UTC")),
            }
        )
        quarantine = conform(quarantine, QUARANTINE_TYPES, QUARANTINE)
        stream_table(storage, pa.RecordBatchReader.from_batches(quarantine.schema, quarantine.to_batches()), quarantine.schema, quarantine_path, ())
        timings[QUARANTINE] = round(time.monotonic() - started, 3)
        if ratio > cfg.dq_max_quarantine_ratio:
            record.failed("failed_data_quality", round(time.monotonic() - clock, 3))
            run_file = write_run_record(storage, out, record)
            raise data_quality_error(record, rows_read, storage.qualified(run_file))

        params = {
            "earliest_entry_date": cfg.earliest_entry_date,
            "as_of": cfg.as_of,
            "overdue_days": cfg.overdue_days,
            # A naive UTC timestamp: cast_sql makes it TIMESTAMPTZ in the session's UTC.
            "ingest_ts": ingest.replace(tzinfo=None),
        }
        stage = "writing the tables"
        readers = dependents(MODEL_INPUTS)
        for name in TABLES:
            stage = f"writing {name}"
            started = time.monotonic()
            used = {k: v for k, v in params.items() if f"${k}" in sql[name]}
            query = f"SELECT {cast_sql(contract[name])} FROM ({sql[name]})"
            if readers[name]:
                # Computed once, in the contract's types; the models that read it read this table.
                con.execute(f"CREATE OR REPLACE TABLE {name} AS {query}", used)
                query, used = f"SELECT * FROM {name}", {}
            partition_by = cfg.fact_partition_columns if is_fact(name) else ()
            path = run_path(out, name, cfg.run_id)
            reader = con.execute(query, used).fetch_record_batch(BATCH_ROWS)
            written = stream_table(storage, reader, arrow_schema(contract[name]), path, partition_by)
            for done in MODEL_INPUTS[name]:
                # A model whose readers have all run is not needed in memory any more.
                if all(r in record.tables or r == name for r in readers[done]):
                    con.execute(f"DROP TABLE IF EXISTS {done}")
            info = {"path": storage.qualified(path), "format": "parquet", "partitioned_by": list(partition_by), "rows": written.rows}
            if partition_by:
                info["partitions"] = [dict(p) for p in written.partitions]
            record.tables[name] = info
            timings[name] = round(time.monotonic() - started, 3)
    except JobError:
        con.close()
        raise
    except Exception as exc:  # noqa: BLE001 - any failure before the publish: record it, publish nothing
        con.close()
        record.failed("failed", round(time.monotonic() - clock, 3), error=f"{stage}: {first_line(exc)}")
        try:
            write_run_record(storage, out, record)
        except Exception:  # noqa: BLE001 - the run already failed; its own error is the one to report
            pass
        previous = f"; run {published['run_id']} stays published" if published else ""
        raise WriteError(f"run {cfg.run_id} failed while {stage} ({first_line(exc)}); nothing was published{previous}") from exc
    con.close()

    keep = retained(cfg.run_id, published, cfg.retention_runs)
    record.succeeded(keep, cfg.catalog_database or None, round(time.monotonic() - clock, 3))
    run_file = write_run_record(storage, out, record)
    publish_manifest(storage, out, record)
    result = RunResult(run_id=cfg.run_id, manifest_path=storage.qualified(run_file), tables=record.tables, quarantine=record.quarantine)
    result.catalog = _publish_catalog(cfg, catalog, record.tables)
    result.removed_runs = remove_unretained(storage, out, PUBLISHED_TABLES, keep)
    return result


def _publish_catalog(cfg: JobConfig, glue, written: dict) -> dict:
    """Points the catalog database's tables at `written` ({table: its record}) through the Glue
    API; {} without a catalog_database. The run is published either way: a failure names the rerun."""
    if glue is None:
        return {}
    contract = table_schemas()
    tables = [
        glue_catalog.Table(
            name=name,
            columns=tuple((c[0], c[1]) for c in contract[name]),
            partition_by=tuple(written[name]["partitioned_by"]),
            location=written[name]["path"],
            partitions=recorded_partitions(written[name]),
        )
        for name in TABLES
    ]
    try:
        actions = glue_catalog.publish(glue, cfg.catalog_database, tables)
    except JobError:
        raise
    except Exception as exc:  # noqa: BLE001 - the run is published; the message says how to finish
        raise catalog_error(cfg, exc) from exc
    return {"database": cfg.catalog_database, "implementation": "glue-api", "tables": actions}
