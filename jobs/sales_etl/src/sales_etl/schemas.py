"""The column types of every table, the contract both runtimes write.

`schemas.json` (packaged beside the models) holds, per source and per model, its columns and
their Spark SQL types. Spark derives a model's types from its SQL; the DuckDB runtime, whose
arithmetic types differ (DuckDB sums integers to HUGEINT, year() is BIGINT), casts its results to
these, so the Parquet files of both runtimes have one schema. `derive` asks Spark's analyser for
them (no data is read); the Spark test suite checks the committed file equals what it derives, so
a changed model cannot leave the contract behind: `python -m sales_etl.schemas --write`.
"""

from __future__ import annotations

import json
import pkgutil
import sys
from pathlib import Path

# The clean, typed sources the models read (what the quality checks output).
SOURCE_TYPES = {
    "accounts": [
        ["account_id", "bigint"],
        ["company_name", "string"],
        ["company_address", "string"],
        ["contact_person", "string"],
        ["contact_phone", "string"],
        ["gender", "string"],
        ["joining_date", "date"],
    ],
    "invoices": [["invoice_id", "bigint"], ["account_id", "bigint"], ["date_issued", "date"], ["payment_dates", "date"]],
    "invoice_line_items": [["invoice_id", "bigint"], ["item_id", "string"], ["quantity", "int"]],
    "skus": [
        ["item_id", "string"],
        ["item_name", "string"],
        ["item_description", "string"],
        ["item_cost_price", "decimal(12,2)"],
        ["item_retail_price", "decimal(12,2)"],
    ],
}
# The raw columns each source must have, in order.
SOURCE_COLUMNS = {name: tuple(c for c, _ in columns) for name, columns in SOURCE_TYPES.items()}
QUARANTINE_TYPES = [
    ["source_table", "string", "not null"],
    ["reason", "string"],
    ["record", "string"],
    ["run_id", "string", "not null"],
    ["ingest_ts", "timestamp"],
]
FILE = "schemas.json"


def table_schemas() -> dict[str, list[list[str]]]:
    """{table: [[column, spark type(, "not null")], ...]} of every model, from the packaged schemas.json."""
    data = pkgutil.get_data("sales_etl", FILE)
    if data is None:  # pragma: no cover - only if the loader cannot serve resources
        raise FileNotFoundError(f"{FILE} not found in package sales_etl")
    return json.loads(data)["tables"]


def derive(spark) -> dict:
    """{"sources": SOURCE_TYPES, "tables": {model: [[column, type]]}} as Spark's analyser types them."""
    import datetime as dt

    from pyspark.sql.types import StructField, StructType

    from . import TABLES
    from .lineage import model_sql
    from .transform import ModelParams

    params = ModelParams(dt.date(2020, 1, 1), dt.date(2020, 1, 1), 30, dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    for name, columns in SOURCE_TYPES.items():
        spark.createDataFrame([], ", ".join(f"{c} {t}" for c, t in columns)).createOrReplaceTempView(name)
    tables = {}
    for name in TABLES:
        df = spark.sql(model_sql(name), args=params.sql_args())
        # Models that read this one read its written files, where Spark makes every column nullable.
        spark.createDataFrame([], StructType([StructField(f.name, f.dataType, True) for f in df.schema.fields])).createOrReplaceTempView(name)
        # A column Spark knows cannot be NULL is written as a required Parquet field; so is the DuckDB one.
        tables[name] = [[f.name, f.dataType.simpleString(), *([] if f.nullable else ["not null"])] for f in df.schema.fields]
    for name in (*SOURCE_TYPES, *TABLES):
        spark.catalog.dropTempView(name)
    return {"sources": SOURCE_TYPES, "tables": tables}


def text(contract: dict) -> str:
    return json.dumps(contract, indent=1) + "\n"


def main(argv: list[str]) -> int:
    """--write: regenerate schemas.json from the models with a local Spark; else print it."""
    from pyspark.sql import SparkSession

    from .job import configure_session

    spark = SparkSession.builder.master("local[1]").appName("sales_etl-schemas").getOrCreate()
    configure_session(spark)
    derived = text(derive(spark))
    if "--write" in argv:
        target = Path(__file__).resolve().parent / FILE
        target.write_text(derived)
        print(f"wrote {target}")
    else:
        print(derived, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
