"""One merge run: for each table, new DMS files + previous state -> new state -> current state.

State per table under <output_path>/_cdc/<table>/:
    state-<run_id>/   parquet: the last change per primary key, deletes kept as tombstones, with
                      the ordering columns (_cdc_phase, _cdc_ts, _cdc_file, _cdc_row)
    watermark.json    the state version in use, every processed file (relative path -> size),
                      the schema, the max commit timestamp and the last CDC file name
The watermark is written after the state and the current-state table, so a run that dies midway
leaves the previous watermark: the next run merges the same files again, which changes nothing
(a change merged twice has the same ordering key, so the result is the same).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from . import FILE, INTERNAL, PHASE, ROW, TS
from .config import MergeConfig
from .errors import SourceError
from .dms import PATH, norm_path, change_columns, classify, first_bad_row, read_changes
from .storage import Storage, read_table, write_table

SESSION_CONF = {"spark.sql.session.timeZone": "UTC"}
WATERMARK_VERSION = 1


@dataclass
class RunResult:
    run_id: str
    manifest_path: str
    tables: dict[str, dict] = field(default_factory=dict)


def _warn(message: str) -> None:
    print(f"cdc_merge: warning: {message}", file=sys.stderr)


def load_watermark(storage: Storage, path: str) -> dict[str, Any] | None:
    text = storage.read_text(path)
    return json.loads(text) if text else None


def merge_table(spark: SparkSession, storage: Storage, cfg: MergeConfig, table: str) -> dict[str, Any]:
    keys = cfg.tables[table]
    clock = time.monotonic()
    folder = f"{cfg.input_path}/{table}"
    state_root = f"{cfg.output_path}/_cdc/{table}"
    watermark_path = f"{state_root}/watermark.json"
    output = f"{cfg.output_path}/{table}"
    previous = None if cfg.full_refresh else load_watermark(storage, watermark_path)
    processed: dict[str, int] = dict(previous["files"]) if previous else {}

    files = classify(storage.list_files(folder), cfg.input_format)
    new = []
    for f in files:
        size = processed.get(f.info.relative)
        if size is None:
            new.append(f)
        elif size != f.info.size:
            _warn(f"table '{table}': {f.info.relative} changed size ({size} -> {f.info.size} bytes); merging it again")
            new.append(f)
    info: dict[str, Any] = {
        "input": storage.qualified(folder),
        "files_seen": len(files),
        "files_new": len(new),
        "path": storage.qualified(output),
    }
    if not new:
        info.update(status="no_new_files" if previous else "no_input", rows_changes=0)
        if previous:
            info["rows"] = previous.get("rows")
        else:
            _warn(f"table '{table}': no DMS files under {folder} and no previous state; nothing written")
        info["duration_s"] = round(time.monotonic() - clock, 3)
        return info

    last_cdc = previous.get("last_cdc_file") if previous else None
    late = [f.info.relative for f in new if f.phase == 1 and last_cdc is not None and f.order < last_cdc]
    if late:
        _warn(f"table '{table}': {len(late)} file(s) arrived after later-named files were merged (e.g. {late[0]}); merged by commit timestamp")
    info["files_late"] = late

    expected = StructType.fromJson(previous["schema"]) if previous else None
    changes = read_changes(spark, storage, table, keys, new, cfg.input_format, expected)
    stats = None
    if changes is not None:
        changes = change_columns(changes, cfg.op_column, cfg.timestamp_column)
        if cfg.sequence_column and cfg.sequence_column not in changes.columns:
            changes = changes.withColumn(cfg.sequence_column, F.lit(None).cast("string"))
        stats = changes.agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.when(F.col(cfg.op_column) == "D", 1).otherwise(0)).alias("deletes"),
            F.max(TS).alias("max_ts"),
            F.sum(
                F.when(
                    reduce_or([F.col(k).isNull() for k in keys]) | ~F.coalesce(F.col(cfg.op_column).isin("I", "U", "D"), F.lit(False)) | F.col(TS).isNull(),
                    1,
                ).otherwise(0)
            ).alias("bad"),
            F.sum(F.when(F.col(FILE).isNull(), 1).otherwise(0)).alias("unmatched"),
        ).collect()[0]
        if stats["unmatched"]:
            raise SourceError(
                f"table '{table}': {stats['unmatched']} row(s) could not be traced to their file (Spark reported a path the listing of {folder} does not hold)"
            )
        if stats["bad"]:
            first_bad_row(changes, table, keys, cfg.op_column, cfg.timestamp_column, {norm_path(f.info.uri): f.info.relative for f in new})
    for f in new:
        processed[f.info.relative] = f.info.size
    new_last_cdc = max([last_cdc or ""] + [f.order for f in new if f.phase == 1]) or None
    rows_changes = int(stats["rows"]) if stats else 0
    info["rows_changes"] = rows_changes
    info["rows_deletes"] = int(stats["deletes"] or 0) if stats else 0

    if rows_changes == 0:
        # Only empty files: nothing to merge; remember them so they are not read again.
        if previous:
            watermark = dict(previous, files=processed, last_cdc_file=new_last_cdc, run_id=cfg.run_id)
            storage.write_text(watermark_path, json.dumps(watermark, indent=1, sort_keys=True) + "\n")
            info.update(status="only_empty_files", rows=previous.get("rows"))
        else:
            info.update(status="only_empty_files")
            _warn(f"table '{table}': only empty files and no previous state; nothing written")
        info["duration_s"] = round(time.monotonic() - clock, 3)
        return info

    changes = changes.drop(PATH)
    if previous:
        state = spark.read.parquet(f"{state_root}/{previous['state']}")
        combined = state.unionByName(changes, allowMissingColumns=True)
    else:
        combined = changes
    order = [F.col(PHASE).desc(), F.col(TS).desc()]
    if cfg.sequence_column:
        order.append(F.col(cfg.sequence_column).desc_nulls_last())
    order += [F.col(FILE).desc(), F.col(ROW).desc()]
    window = Window.partitionBy(*keys).orderBy(*order)
    merged = combined.withColumn("_cdc_rank", F.row_number().over(window)).where("_cdc_rank = 1").drop("_cdc_rank")

    state_name = f"state-{cfg.run_id}"
    state_path = f"{state_root}/{state_name}"
    storage.delete(state_path)
    merged.write.mode("overwrite").parquet(state_path)

    written = spark.read.parquet(state_path)
    dms_columns = [c for c in (cfg.op_column, cfg.timestamp_column, cfg.sequence_column) if c]
    current = written.where(F.col(cfg.op_column) != "D").drop(*dms_columns, *INTERNAL)
    write_table(storage, current, output, cfg.output_format, cfg.run_id)
    rows = read_table(spark, output, cfg.output_format).count()

    schema = written.drop(*INTERNAL).schema
    max_ts = stats["max_ts"]
    old_max = previous.get("max_commit_ts") if previous else None
    new_max = max(filter(None, [old_max, max_ts.isoformat(sep=" ") if max_ts else None]), default=None)
    watermark = {
        "version": WATERMARK_VERSION,
        "table": table,
        "primary_key": list(keys),
        "state": state_name,
        "files": processed,
        "last_cdc_file": new_last_cdc,
        "max_commit_ts": new_max,
        "schema": json.loads(schema.json()),
        "rows": rows,
        "run_id": cfg.run_id,
    }
    storage.write_text(watermark_path, json.dumps(watermark, indent=1, sort_keys=True) + "\n")
    if previous and previous["state"] != state_name:
        storage.delete(f"{state_root}/{previous['state']}")
    new_columns = [c for c in schema.fieldNames() if expected is not None and c not in expected.fieldNames()]
    if new_columns:
        _warn(f"table '{table}': new column(s) {', '.join(new_columns)}; earlier rows hold NULL")
    info.update(status="merged", rows=rows, max_commit_ts=new_max, new_columns=new_columns)
    info["duration_s"] = round(time.monotonic() - clock, 3)
    return info


def reduce_or(conditions):
    out = conditions[0]
    for cond in conditions[1:]:
        out = out | cond
    return out


def run(spark: SparkSession, cfg: MergeConfig, started_at: dt.datetime) -> RunResult:
    clock = time.monotonic()
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    if cfg.shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(cfg.shuffle_partitions))
    storage = Storage(spark)
    tables = {table: merge_table(spark, storage, cfg, table) for table in cfg.tables}
    manifest = {
        "job": "cdc_merge",
        "run_id": cfg.run_id,
        "started_at": started_at.isoformat(),
        "spark_version": spark.version,
        "config": cfg.as_dict(),
        "tables": tables,
        "status": "succeeded",
        "duration_s": round(time.monotonic() - clock, 3),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
    run_file = f"{cfg.output_path}/_runs/{cfg.run_id}.json"
    storage.write_text(run_file, text)
    storage.write_text(f"{cfg.output_path}/_manifest.json", text)
    return RunResult(run_id=cfg.run_id, manifest_path=storage.qualified(run_file), tables=tables)
