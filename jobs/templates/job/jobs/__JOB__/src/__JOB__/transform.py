"""Pure transform: source DataFrames in, one DataFrame per model (models/<table>.sql) out."""

from __future__ import annotations

import pkgutil

from pyspark.sql import DataFrame, SparkSession

MODELS = ("invoices_per_month",)


def model_sql(name: str) -> str:
    data = pkgutil.get_data(__package__, f"models/{name}.sql")
    if data is None:
        raise FileNotFoundError(f"models/{name}.sql")
    return data.decode("utf-8")


def build(spark: SparkSession, sources: dict[str, DataFrame]) -> dict[str, DataFrame]:
    for name, frame in sources.items():
        frame.createOrReplaceTempView(name)
    return {name: spark.sql(model_sql(name)) for name in MODELS}
