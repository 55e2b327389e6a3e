"""Writing a table as Parquet with the contract's types (sales_etl.schemas), through pyarrow.

Types are Spark's: the DuckDB result is cast to them (DuckDB sums integers to HUGEINT and
returns year() as BIGINT; Spark has BIGINT and INT), timestamps are microseconds in UTC.
Partitioned tables are written as Spark writes them: <path>/year=YYYY/month=M/part-*.parquet,
the partition columns kept in the directory names only.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from jobs_common.arrow_storage import ArrowStorage

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


def write_table(storage: ArrowStorage, table: pa.Table, path: str, partition_by: Sequence[str]) -> Written:
    """Write the table under its run-scoped path (replacing what an earlier attempt of the same
    run left there)."""
    storage.delete(path)
    fs, inner = storage.resolve(path)
    # Object stores have no directories: no marker objects there (Spark writes none either).
    local = not storage.is_object_store(path)
    name = f"part-{{i}}-{uuid.uuid4()}.snappy.parquet"
    if partition_by:
        ds.write_dataset(
            table,
            inner,
            filesystem=fs,
            format="parquet",
            partitioning=ds.partitioning(pa.schema([table.schema.field(c) for c in partition_by]), flavor="hive"),
            basename_template=name,
            existing_data_behavior="overwrite_or_ignore",
            create_dir=local,
            file_options=ds.ParquetFileFormat().make_write_options(compression="snappy"),
        )
        values = table.select(list(partition_by)).group_by(list(partition_by)).aggregate([]).to_pylist()
        partitions = tuple(sorted(({c: int(v[c]) for c in partition_by} for v in values), key=lambda v: tuple(v[c] for c in partition_by)))
        return Written(rows=table.num_rows, partitions=partitions)
    if local:
        fs.create_dir(inner, recursive=True)
    pq.write_table(table, f"{inner}/{name.format(i=0)}", filesystem=fs, compression="snappy")
    return Written(rows=table.num_rows, partitions=())
