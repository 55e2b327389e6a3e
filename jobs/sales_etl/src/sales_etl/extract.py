"""Extract: read the four source tables as all-string columns.

Everything is read as text so the quality step can quarantine a bad value with its reason
instead of Spark silently turning it into NULL.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.utils import AnalysisException

from .errors import SourceError
from .schemas import SOURCE_COLUMNS


def read_source(spark: SparkSession, table: str, path: str, fmt: str) -> DataFrame:
    try:
        if fmt == "csv":
            # Addresses are quoted multi-line values and quotes inside values are doubled (RFC 4180).
            df = spark.read.option("header", True).option("multiLine", True).option("quote", '"').option("escape", '"').option("inferSchema", False).csv(path)
        else:
            df = spark.read.parquet(path)
    except AnalysisException as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise SourceError(f"source '{table}' at {path} cannot be read ({first_line}); check --source_path / --{table}_path") from None
    missing = [c for c in SOURCE_COLUMNS[table] if c not in df.columns]
    if missing:
        raise SourceError(f"source '{table}' at {path} lacks column(s) {', '.join(missing)}; expected {', '.join(SOURCE_COLUMNS[table])}")
    return df.select([F.col(c).cast("string").alias(c) for c in SOURCE_COLUMNS[table]])


def read_sources(spark: SparkSession, paths: dict[str, str], fmt: str) -> dict[str, DataFrame]:
    return {table: read_source(spark, table, paths[table], fmt) for table in SOURCE_COLUMNS}
