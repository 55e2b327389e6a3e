"""Writing a table as Parquet with the contract's types (sales_etl.schemas), through pyarrow.

Types are Spark's: DuckDB computes each column as the contract's type (DuckDB sums integers to
HUGEINT and returns year() as BIGINT; Spark has BIGINT and INT), timestamps are microseconds in
UTC. Rows stream from DuckDB to the Parquet writers in batches (duck.parts: one part file per
writer thread), so a table is never held twice in memory. Partitioned tables are written as Spark
writes them: <path>/year=YYYY/month=M/part-*.parquet, the partition columns kept in the directory
names only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc
from jobs_common.arrow_storage import ArrowStorage

from .parts import write_parts

_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
_SIMPLE = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "smallint": pa.int16(),
    "tinyint": pa.int8(),
    "double": pa.float64(),
    "float": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def arrow_type(spark_type: str) -> pa.DataType:
    match = _DECIMAL.match(spark_type)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    if spark_type not in _SIMPLE:
        raise ValueError(f"no Arrow type for Spark type {spark_type}")
    return _SIMPLE[spark_type]


def duckdb_type(spark_type: str) -> str:
    """The DuckDB type a contract column is computed as (timestamps with the session in UTC)."""
    match = _DECIMAL.match(spark_type)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    names = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT", "tinyint": "TINYINT", "double": "DOUBLE"}
    names.update({"float": "FLOAT", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMPTZ"})
    if spark_type not in names:
        raise ValueError(f"no DuckDB type for Spark type {spark_type}")
    return names[spark_type]


def cast_sql(columns: Sequence[Sequence[str]]) -> str:
    """The SELECT list computing each contract column, by name, as its DuckDB type."""
    return ", ".join(f'CAST("{c[0]}" AS {duckdb_type(c[1])}) AS "{c[0]}"' for c in columns)


def arrow_schema(columns: Sequence[Sequence[str]]) -> pa.Schema:
    """The contract as an Arrow schema (a column Spark knows is never NULL is required)."""
    return pa.schema([pa.field(c[0], arrow_type(c[1]), nullable="not null" not in c[2:]) for c in columns])


def stream_table(storage: ArrowStorage, reader: pa.RecordBatchReader, schema: pa.Schema, path: str, partition_by: Sequence[str]) -> Written:
    """Write the batches of `reader` (columns in the contract's order and types) under the
    run-scoped path, replacing what an earlier attempt of the same run left there."""
    storage.delete(path)
    fs, inner = storage.resolve(path)
    batches = (pa.RecordBatch.from_arrays(batch.columns, schema=schema) for batch in reader)
    rows, keys = write_parts(batches, fs, inner, schema, partition_by, local=not storage.is_object_store(path))
    partitions = tuple({c: int(v) for c, v in zip(partition_by, key)} for key in sorted(keys))
    return Written(rows=rows, partitions=partitions)


def conform(table: pa.Table, columns: Sequence[Sequence[str]], origin: str) -> pa.Table:
    """The table with exactly the contract's columns, in its order, cast to its types."""
    names = [c[0] for c in columns]
    if table.column_names != names:
        raise ValueError(f"{origin} has columns {', '.join(table.column_names)}, the contract {', '.join(names)}; regenerate schemas.json")
    arrays = []
    fields = [pa.field(c[0], arrow_type(c[1]), nullable="not null" not in c[2:]) for c in columns]
    for field, column in zip(fields, table.columns):
        target = field.type
        if pa.types.is_timestamp(column.type) and column.type.tz is None and target.tz == "UTC":
            column = pc.assume_timezone(column, "UTC")
        arrays.append(column.cast(target, safe=True))
    return pa.table(arrays, schema=pa.schema(fields))


@dataclass(frozen=True)
class Written:
    rows: int
    partitions: tuple[dict[str, int], ...]
