#!/usr/bin/env python3
"""The single-machine bound: DuckDB running the seed's four tables with the job's own SQL files.

    python3 duckdb_job.py SOURCE_DIR OUT_DIR AS_OF EARLIEST_ENTRY_DATE [SQL_DIR]

Benchmark only (pip install duckdb). Reads the four CSV extracts with a typed schema, creates each
of account_details, invoice_details, fact_sales and monthly_sales_summary as a table from its
models/<table>.sql and writes it as Parquet (fact_sales partitioned by year/month), like
plain_spark_job.py. The SQL files are used as they are, with two mechanical rewrites: DuckDB's
named parameters are $name (Spark's are :name), and Spark's datediff(end, start) is a macro.

With SQL_DIR it computes every table instead: SQL_DIR holds NN_<table>.sql, in dependency order,
each the DuckDB SQL the job's DuckDB runtime runs for that table (its translation of the model,
cast to the contract's types; bench_etl.py writes them). Two of the six models need more than the
rewrites above to give Spark's answer (dayofweek counts from Sunday = 1; a decimal division is
exact), so this anchor takes the translation's text, not its code: it imports DuckDB only. Every
fact_* table is partitioned by year/month.
"""

import datetime as dt
import re
import sys
from pathlib import Path

import duckdb

MODELS = Path(__file__).resolve().parents[1] / "sales_etl" / "src" / "sales_etl" / "models"
COLUMNS = {
    "accounts": {
        "account_id": "BIGINT",
        "company_name": "VARCHAR",
        "company_address": "VARCHAR",
        "contact_person": "VARCHAR",
        "contact_phone": "VARCHAR",
        "gender": "VARCHAR",
        "joining_date": "DATE",
    },
    "invoices": {"invoice_id": "BIGINT", "account_id": "BIGINT", "date_issued": "DATE", "payment_dates": "DATE"},
    "invoice_line_items": {"invoice_id": "BIGINT", "item_id": "VARCHAR", "quantity": "INTEGER"},
    "skus": {
        "item_id": "VARCHAR",
        "item_name": "VARCHAR",
        "item_description": "VARCHAR",
        "item_cost_price": "DECIMAL(12,2)",
        "item_retail_price": "DECIMAL(12,2)",
    },
}
SEED_TABLES = ("account_details", "invoice_details", "fact_sales", "monthly_sales_summary")


def duckdb_sql(spark_sql: str) -> str:
    sql = re.sub(r"--[^\n]*", "", spark_sql)
    sql = re.sub(r"(?<![:\w]):([a-z_][a-z0-9_]*)", r"$\1", sql)
    return re.sub(r"\bdatediff\(", "spark_datediff(", sql, flags=re.IGNORECASE)


def main(source: str, out: str, as_of: str, earliest: str, sql_dir: str = "") -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE MACRO spark_datediff(a, b) AS (CAST(a AS DATE) - CAST(b AS DATE))")
    for table, columns in COLUMNS.items():
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = true, quote = '\"', escape = '\"', columns = {columns!r})",
            [f"{source}/{table}.csv"],
        )
    params = {
        "as_of": dt.date.fromisoformat(as_of),
        "earliest_entry_date": dt.date.fromisoformat(earliest),
        "overdue_days": 30,
        "ingest_ts": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
    }
    Path(out).mkdir(parents=True, exist_ok=True)
    if sql_dir:
        models = {p.stem.split("_", 1)[1]: p.read_text() for p in sorted(Path(sql_dir).glob("[0-9][0-9]_*.sql"))}
    else:
        models = {name: duckdb_sql((MODELS / f"{name}.sql").read_text()) for name in SEED_TABLES}
    for name, sql in models.items():
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        con.execute(f"CREATE TABLE {name} AS {sql}", used)
        if name.startswith("fact_"):
            con.execute(f"COPY {name} TO '{out}/{name}' (FORMAT parquet, PARTITION_BY (year, month))")
        else:
            Path(out, name).mkdir()
            con.execute(f"COPY {name} TO '{out}/{name}/data.parquet' (FORMAT parquet)")


if __name__ == "__main__":
    main(*sys.argv[1:6])
