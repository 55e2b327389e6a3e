"""Transform: run the SQL models, in dependency order (derived from the SQL), over the clean sources.

Pure apart from temp views: DataFrames in, DataFrames out. Models are read as package
resources, so they are found the same way from the source tree and from inside code.zip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession

from . import TABLES
from .lineage import model_sql

__all__ = ["ModelParams", "build_tables", "model_sql"]


@dataclass(frozen=True)
class ModelParams:
    earliest_entry_date: dt.date
    as_of: dt.date
    overdue_days: int
    ingest_ts: dt.datetime  # timezone-aware UTC

    def sql_args(self) -> dict:
        return {
            "earliest_entry_date": self.earliest_entry_date,
            "as_of": self.as_of,
            "overdue_days": self.overdue_days,
            "ingest_ts": self.ingest_ts,
        }


def build_tables(spark: SparkSession, sources: dict[str, DataFrame], params: ModelParams) -> dict[str, DataFrame]:
    """sources: clean typed accounts, invoices, invoice_line_items, skus. Returns every table in TABLES."""
    for name, df in sources.items():
        df.createOrReplaceTempView(name)
    tables = {}
    for name in TABLES:
        # Named parameter markers (:as_of ...) are bound as typed literals, never string-spliced.
        tables[name] = spark.sql(model_sql(name), args=params.sql_args())
        tables[name].createOrReplaceTempView(name)
    return tables
