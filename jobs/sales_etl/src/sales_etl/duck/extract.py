"""Extract: the four sources as all-string Arrow tables, read by pyarrow (local or s3://).

As in the Spark job everything is read as text, so the checks can quarantine a bad value with its
reason. CSV: a header row, RFC 4180 quoting (multi-line quoted values, doubled quotes), an empty
value is NULL, as Spark reads it. parquet / cdc: every data file under the table's directory
(names starting with _ or . skipped, as Spark skips them), each column cast to text.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
from jobs_common.arrow_storage import ArrowStorage

from ..errors import SourceError
from ..publish import first_line
from ..schemas import SOURCE_COLUMNS


def _csv_format(columns: tuple[str, ...]) -> ds.CsvFileFormat:
    return ds.CsvFileFormat(
        parse_options=pacsv.ParseOptions(quote_char='"', double_quote=True, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # Arrow's casts to text write integers, decimals and dates as Spark's cast to string does
    # (12, 12.50, 2021-03-04); test_runtimes_agree runs both on cdc_merge's typed Parquet.
    return pc.cast(column, pa.string())


def read_source(storage: ArrowStorage, table: str, path: str, fmt: str) -> pa.Table:
    fs, inner = storage.resolve(path)
    columns = SOURCE_COLUMNS[table]
    try:
        dataset = ds.dataset(inner, filesystem=fs, format=_csv_format(columns) if fmt == "csv" else "parquet")
        missing = [c for c in columns if c not in dataset.schema.names]
        if missing:
            raise SourceError(f"source '{table}' at {path} lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}")
        data = dataset.to_table(columns=list(columns))
    except SourceError:
        raise
    except (OSError, pa.ArrowInvalid, FileNotFoundError) as exc:
        raise SourceError(f"source '{table}' at {path} cannot be read ({first_line(exc)}); check --source_path / --{table}_path") from None
    return pa.table({c: _as_text(data.column(c)) for c in columns})


def read_sources(storage: ArrowStorage, paths: dict[str, str], fmt: str) -> dict[str, pa.Table]:
    return {table: read_source(storage, table, paths[table], fmt) for table in SOURCE_COLUMNS}
