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

__all__ = ["ModelParams", "build_tables", "model_frame", "model_sql", "register_inputs"]


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


def register_inputs(frames: dict[str, DataFrame]) -> None:
    """Makes each frame readable by the models under its name (a temp view)."""
    for name, df in frames.items():
        df.createOrReplaceTempView(name)


def model_frame(spark: SparkSession, name: str, params: ModelParams) -> DataFrame:
    """The model `name` over its registered inputs: what the job writes for each table."""
    # Named parameter markers (:as_of ...) are bound as typed literals, never string-spliced.
    return spark.sql(model_sql(name), args=params.sql_args())


def build_tables(spark: SparkSession, sources: dict[str, DataFrame], params: ModelParams) -> dict[str, DataFrame]:
    """sources: clean typed accounts, invoices, invoice_line_items, skus. Returns every table in
    TABLES, each computed by model_frame as the job computes it (the job registers each written
    table as its readers' input instead of the frame)."""
    register_inputs(sources)
    tables = {}
    for name in TABLES:
        tables[name] = model_frame(spark, name, params)
        register_inputs({name: tables[name]})
    return tables
