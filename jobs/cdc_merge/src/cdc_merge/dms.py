"""Reading DMS S3-target files: which files, in which order, with which schema.

Layout (AWS DMS, S3 target): <bucket_folder>/<schema>/<table>/LOAD00000001.parquet ... for the
full load (hex counter), then CDC files named by write time, 20240131-123456789.parquet, directly
in the table folder or below date-partition folders (DatePartitionEnabled). The change order of a
file is its DMS name (the timestamp; LOAD files before every CDC file), then its relative path.
Each row gets its file's phase and order key and its position in the file, so the merge can
order changes by (phase, commit timestamp, [sequence], file, row).
"""

from __future__ import annotations

import csv
import re
from functools import reduce
from dataclasses import dataclass
from typing import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from . import FILE, PHASE, ROW, TS
from .errors import SchemaError, SourceError
from .storage import FileInfo, Storage

SUFFIXES = {"parquet": (".parquet",), "csv": (".csv", ".csv.gz")}
PATH = "_cdc_path"
# Spark reports file:/x where Hadoop's listing says file:///x: compare paths with the slashes
# after the scheme collapsed to one (s3://b/k -> s3:/b/k on both sides).
_SCHEME = r"^([A-Za-z][A-Za-z0-9+.-]*):/+"


def norm_path(uri: str) -> str:
    return re.sub(_SCHEME, r"\1:/", uri)


def _file_path_column():
    return F.regexp_replace(F.col("_metadata.file_path"), _SCHEME, "$1:/").alias(PATH)


@dataclass(frozen=True)
class ChangeFile:
    info: FileInfo
    phase: int  # 0 = full load (LOAD*), 1 = CDC
    order: str  # sort key within the phase

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.phase, self.order)


def classify(files: Sequence[FileInfo], fmt: str) -> list[ChangeFile]:
    """Data files of a table folder in change order; other files (e.g. .dfm metadata) skipped."""
    out = []
    for info in files:
        name = info.relative.rsplit("/", 1)[-1]
        if not name.lower().endswith(SUFFIXES[fmt]):
            continue
        phase = 0 if name.upper().startswith("LOAD") else 1
        out.append(ChangeFile(info=info, phase=phase, order=f"{name}|{info.relative}"))
    return sorted(out, key=lambda f: f.sort_key)


def _type_name(dtype) -> str:
    return dtype.simpleString()


def check_file_schemas(
    table: str,
    keys: Sequence[str],
    schemas: Sequence[tuple[str, StructType]],
    expected: StructType | None,
) -> None:
    """Raise SchemaError naming table, column and file for the first type change or missing key."""
    seen: dict[str, tuple[str, str]] = {}
    if expected is not None:
        for field in expected.fields:
            seen[field.name] = (_type_name(field.dataType), "the merged state of earlier runs")
    for relative, schema in schemas:
        names = set(schema.fieldNames())
        for key in keys:
            if key not in names:
                raise SchemaError(f"table '{table}': primary key column '{key}' is missing in file {relative} (columns: {', '.join(schema.fieldNames())})")
        for field in schema.fields:
            type_name = _type_name(field.dataType)
            if field.name in seen and seen[field.name][0] != type_name:
                before, where = seen[field.name]
                raise SchemaError(
                    f"table '{table}': column '{field.name}' changed type from {before} ({where}) "
                    f"to {type_name} in file {relative}; type changes need a full reload (full_refresh)"
                )
            seen.setdefault(field.name, (type_name, f"file {relative}"))


def _file_schema(spark: SparkSession, storage: Storage, f: ChangeFile, fmt: str) -> StructType:
    if fmt == "parquet":
        return spark.read.parquet(f.info.uri).schema
    from pyspark.sql.types import StringType, StructField

    header = next(csv.reader([storage.first_line(f.info.uri)]), [])
    return StructType([StructField(c, StringType()) for c in header])


def read_changes(
    spark: SparkSession,
    storage: Storage,
    table: str,
    keys: Sequence[str],
    files: Sequence[ChangeFile],
    fmt: str,
    expected: StructType | None,
) -> DataFrame | None:
    """All rows of the given files with PHASE, FILE, ROW and PATH columns; None if all are empty.

    Schema checks: parquet files are read together with mergeSchema; when that fails, or the
    result disagrees with the state's schema or lacks a key, each file's schema is read to
    name the culprit."""
    readable = [f for f in files if f.info.size > 0]
    if not readable:
        return None
    by_uri = {f.info.uri: f for f in readable}
    if fmt == "parquet":
        df = None
        try:
            df = spark.read.option("mergeSchema", "true").parquet(*by_uri)
            schema = df.schema
        except Exception:  # incompatible types across files: find the file  # noqa: BLE001
            schema = None
        suspicious = schema is None or any(k not in schema.fieldNames() for k in keys)
        if not suspicious and expected is not None:
            types = {fl.name: _type_name(fl.dataType) for fl in expected.fields}
            suspicious = any(fl.name in types and types[fl.name] != _type_name(fl.dataType) for fl in schema.fields)
        if suspicious:
            check_file_schemas(table, keys, [(f.info.relative, _file_schema(spark, storage, f, fmt)) for f in readable], expected)
            if df is None:
                raise SourceError(f"table '{table}': the parquet files cannot be read together; see the Spark log")
        df = df.select("*", _file_path_column(), F.col("_metadata.row_index").alias(ROW))
    else:
        groups: dict[tuple[str, ...], list[str]] = {}
        schemas = []
        for f in readable:
            schema = _file_schema(spark, storage, f, fmt)
            schemas.append((f.info.relative, schema))
            groups.setdefault(tuple(schema.fieldNames()), []).append(f.info.uri)
        check_file_schemas(table, keys, schemas, expected)
        df = None
        for uris in groups.values():
            # multiLine makes each file one task read front to back, so the id grows with the row.
            part = spark.read.option("header", True).option("multiLine", True).option("quote", '"').option("escape", '"').option("inferSchema", False).csv(uris)
            part = part.select("*", _file_path_column(), F.monotonically_increasing_id().alias(ROW))
            df = part if df is None else df.unionByName(part, allowMissingColumns=True)
    order = spark.createDataFrame([(norm_path(f.info.uri), f.phase, f.order) for f in readable], f"{PATH} string, {PHASE} int, {FILE} string")
    return df.join(F.broadcast(order), PATH, "left")


def change_columns(df: DataFrame, op_column: str, timestamp_column: str) -> DataFrame:
    """Normalise Op (upper case; a full-load row without Op is an insert) and add TS."""
    op = F.upper(F.trim(F.col(op_column).cast("string"))) if op_column in df.columns else F.lit(None).cast("string")
    op = F.when(op.isNull() & (F.col(PHASE) == 0), F.lit("I")).otherwise(op)
    df = df.withColumn(op_column, op)
    if timestamp_column in df.columns:
        ts = F.col(timestamp_column).cast("timestamp")
    else:
        ts = F.lit(None).cast("timestamp")
    return df.withColumn(TS, ts)


def first_bad_row(df: DataFrame, table: str, keys: Sequence[str], op_column: str, timestamp_column: str, files: dict[str, str]) -> None:
    """Raise SchemaError for the first row with a NULL key, an unknown Op or no commit timestamp."""
    null_key = reduce(lambda a, b: a | b, [F.col(k).isNull() for k in keys])
    bad = (
        df.where(null_key | ~F.coalesce(F.col(op_column).isin("I", "U", "D"), F.lit(False)) | F.col(TS).isNull())
        .select(PATH, *keys, op_column, F.col(timestamp_column).cast("string").alias("_ts") if timestamp_column in df.columns else F.lit(None).alias("_ts"), TS)
        .limit(1)
        .collect()
    )
    if not bad:
        return
    row = bad[0]
    where = files.get(row[PATH], row[PATH])
    for key in keys:
        if row[key] is None:
            raise SchemaError(f"table '{table}': primary key column '{key}' is NULL in file {where}")
    if row[op_column] not in ("I", "U", "D"):
        raise SchemaError(f"table '{table}': column '{op_column}' holds '{row[op_column]}' (not I/U/D) in file {where}")
    if row["_ts"] is None:
        raise SchemaError(f"table '{table}': commit timestamp column '{timestamp_column}' is missing or NULL in file {where}")
    raise SchemaError(
        f"table '{table}': commit timestamp column '{timestamp_column}' holds '{row['_ts']}', not a timestamp (yyyy-MM-dd HH:mm:ss.SSSSSS), in file {where}"
    )
