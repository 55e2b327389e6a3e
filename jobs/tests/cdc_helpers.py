"""Helpers for the CDC tests: DMS S3-target files and an independent reference replay.

DMS layout written here (AWS DMS user guide, "Using Amazon S3 as a target"):
    <root>/<schema>/<table>/LOAD00000001.<ext>           full load (hex counter)
    <root>/<schema>/<table>/<yyyymmdd-hhmmssSSS>.<ext>     CDC files, named by write time
Columns: Op first (I/U/D; on full-load rows only with IncludeOpForFullLoad), then the
TimestampColumnName column (_commit_ts, string 'yyyy-MM-dd HH:mm:ss.SSSSSS'), then the table's
columns. CSV files carry a header row (AddColumnName=true).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import uuid
from pathlib import Path

JOBS_DIR = Path(__file__).resolve().parents[1]
CDC_SRC = JOBS_DIR / "cdc_merge" / "src"

OP = "Op"
TS = "_commit_ts"
BASE_TIME = dt.datetime(2024, 1, 31, 12, 0, 0)


def ts_text(seconds: float) -> str:
    return (BASE_TIME + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.%f")


def cdc_name(n: int) -> str:
    """A DMS CDC file name: write time yyyymmdd-hhmmssSSS (lexical order = write order)."""
    t = BASE_TIME + dt.timedelta(seconds=n)
    return t.strftime("%Y%m%d-%H%M%S") + f"{t.microsecond // 1000:03d}"


def write_dms_file(spark, folder: Path, name: str, columns, rows, schema=None, fmt: str = "parquet") -> Path:
    """One DMS file named exactly `name`.<fmt> in folder; rows are tuples in `columns` order.
    schema: a Spark DDL string for parquet (default: every column string)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.{fmt}"
    if fmt == "csv":
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(["" if v is None else v for v in row])
        return target
    ddl = schema or ", ".join(f"`{c}` string" for c in columns)
    tmp = folder.parent / f".tmp-{uuid.uuid4().hex}"
    spark.createDataFrame(list(rows), ddl).coalesce(1).write.parquet(str(tmp))
    part = next(tmp.glob("part-*.parquet"))
    shutil.move(str(part), target)
    shutil.rmtree(tmp)
    return target


def replay(events, keys):
    """Reference: apply change events in their true order; returns {key tuple: row dict}.
    events: (op, row dict) in the order the source database committed them."""
    state = {}
    for op, row in events:
        key = tuple(row[k] for k in keys)
        if op == "D":
            state.pop(key, None)
        else:
            state[key] = dict(row)
    return state


def read_state(spark, path: str, columns):
    rows = spark.read.parquet(path).collect()
    return {tuple(str(v) if v is not None else None for v in (r[c] for c in columns)) for r in rows}


def merge_config(input_path, output_path, tables, fmt="parquet", **overrides):
    from cdc_merge.config import resolve

    raw = {
        "input_path": str(input_path),
        "input_format": fmt,
        "tables": tables,
        "op_column": OP,
        "timestamp_column": TS,
        "sequence_column": "",
        "output_path": str(output_path),
        "output_format": "parquet",
        "full_refresh": False,
        "shuffle_partitions": 2,
        "run_id": "",
    }
    raw.update(overrides)
    return resolve(raw, dt.datetime.now(dt.timezone.utc))


_RUN = [0]


def run_merge(spark, input_path, output_path, tables, fmt="parquet", **overrides):
    from cdc_merge.merge import run

    _RUN[0] += 1
    overrides.setdefault("run_id", f"r{_RUN[0]:04d}")
    cfg = merge_config(input_path, output_path, tables, fmt, **overrides)
    return run(spark, cfg, dt.datetime.now(dt.timezone.utc))
