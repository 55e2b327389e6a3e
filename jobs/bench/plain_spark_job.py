#!/usr/bin/env python3
"""The benchmark's anchor: a plain PySpark job, written the way one usually is.

    spark-submit --master 'local[*]' plain_spark_job.py SOURCE_DIR OUT_DIR AS_OF EARLIEST_ENTRY_DATE [all]

It reads the four CSV extracts with a typed schema, registers them as temp views and writes the
seed project's four tables (account_details, invoice_details, fact_sales partitioned by
year/month, monthly_sales_summary) as Parquet with the job's own SQL model files, one lazy view
per model. No data-quality checks, no quarantine, no manifest, no run-scoped publication, no
tuning: Spark's defaults (AQE on, 200 shuffle partitions). With `all` it writes all six of the
job's tables the same way (client_profile and fact_sales_processed too; every fact_* table
partitioned by year/month): the plain job for the job's whole output.
"""

import datetime as dt
import sys
from pathlib import Path

from pyspark.sql import SparkSession

MODELS = Path(__file__).resolve().parents[1] / "sales_etl" / "src" / "sales_etl" / "models"
SCHEMAS = {
    "accounts": "account_id BIGINT, company_name STRING, company_address STRING, contact_person STRING, contact_phone STRING, gender STRING, joining_date DATE",
    "invoices": "invoice_id BIGINT, account_id BIGINT, date_issued DATE, payment_dates DATE",
    "invoice_line_items": "invoice_id BIGINT, item_id STRING, quantity INT",
    "skus": "item_id STRING, item_name STRING, item_description STRING, item_cost_price DECIMAL(12,2), item_retail_price DECIMAL(12,2)",
}
SEED_TABLES = ("account_details", "invoice_details", "fact_sales", "monthly_sales_summary")
# sales_etl.TABLES, in its dependency order (this script runs without the job's code).
ALL_TABLES = ("account_details", "invoice_details", "fact_sales", "client_profile", "fact_sales_processed", "monthly_sales_summary")


def main(source: str, out: str, as_of: str, earliest: str, tables: str = "seed") -> None:
    spark = SparkSession.builder.appName("plain_spark_job").getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    for table, schema in SCHEMAS.items():
        (
            spark.read.option("header", True)
            .option("multiLine", True)
            .option("escape", '"')
            .schema(schema)
            .csv(f"{source}/{table}.csv")
            .createOrReplaceTempView(table)
        )
    args = {
        "as_of": dt.date.fromisoformat(as_of),
        "earliest_entry_date": dt.date.fromisoformat(earliest),
        "overdue_days": 30,
        "ingest_ts": dt.datetime.now(dt.timezone.utc),
    }
    for name in ALL_TABLES if tables == "all" else SEED_TABLES:
        df = spark.sql((MODELS / f"{name}.sql").read_text(), args=args)
        df.createOrReplaceTempView(name)
        writer = df.write.mode("overwrite")
        if name.startswith("fact_"):
            writer = writer.partitionBy("year", "month")
        writer.parquet(f"{out}/{name}")
    spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:6])
