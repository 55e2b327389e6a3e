"""One answer, two engines: the Spark runtime and the DuckDB runtime write the same tables.

Both run the job's own code (sales_etl.job.run and sales_etl.duck.job.run) with the same config
and start time, so even ingest_ts must agree. Every table and the quarantine are read back with
pyarrow (not with either engine) and compared column type by column type and cell by cell:
money as exact decimals, dates, counts, and the quarantine's reasons and raw records.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from conftest import JOBS_DIR, SAMPLE_DATA, published, real_data_dir
from sales_etl import TABLES
from sales_etl.config import load_default_config, merge, resolve
from sales_etl.duck.job import run as duckdb_run

STARTED = dt.datetime(2026, 12, 5, 3, 0, 7, 123456, tzinfo=dt.timezone.utc)


def config(source, out, source_format="csv", **overrides):
    given = {"source_path": str(source), "output_path": str(out), "source_format": source_format, "run_id": "agree"}
    given.update({k: str(v) for k, v in overrides.items()})
    return resolve(merge(load_default_config(), given, "test"), STARTED)


def rows(out, table) -> tuple[pa.Schema, list]:
    """(schema, sorted rows) of the published table; timestamps as UTC microseconds."""
    data = ds.dataset(str(published(out, table)), format="parquet", partitioning="hive").to_table()
    columns, fields = [], []
    for field, column in zip(data.schema, data.columns):
        if pa.types.is_timestamp(field.type):
            # Spark writes INT96 (read back as naive nanoseconds in UTC), pyarrow int64 micros in UTC.
            column = column.cast(pa.timestamp("us")) if field.type.tz is None else column.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
            field = pa.field(field.name, pa.timestamp("us"))
        columns.append(column)
        fields.append(field)
    normal = pa.table(columns, schema=pa.schema(fields))
    return normal.schema, sorted(normal.to_pylist(), key=lambda r: tuple((v is None, str(v)) for v in r.values()))


def run_both(spark, tmp_path, source, source_format="csv", **overrides):
    from sales_etl.job import run as spark_run

    spark_out, duck_out = tmp_path / "spark", tmp_path / "duckdb"
    spark_result = spark_run(spark, config(source, spark_out, source_format, **overrides), STARTED)
    duck_result = duckdb_run(config(source, duck_out, source_format, runtime="duckdb", **overrides), STARTED)
    return spark_out, duck_out, spark_result, duck_result


def assert_identical(spark_out, duck_out, spark_result, duck_result):
    assert {n: t["rows"] for n, t in duck_result.tables.items()} == {n: t["rows"] for n, t in spark_result.tables.items()}
    assert duck_result.quarantine["rows"] == spark_result.quarantine["rows"]
    for name in (*TABLES, "quarantine"):
        spark_schema, spark_rows = rows(spark_out, name)
        duck_schema, duck_rows = rows(duck_out, name)
        assert duck_schema == spark_schema, f"{name}: {duck_schema} != {spark_schema}"
        assert len(duck_rows) == len(spark_rows), name
        for expected, actual in zip(spark_rows, duck_rows):
            assert actual == expected, f"{name}: duckdb {actual} != spark {expected}"
    for name in TABLES:
        assert duck_result.tables[name].get("partitions") == spark_result.tables[name].get("partitions"), name


@pytest.mark.parametrize(
    "overrides",
    [
        {"as_of": "2022-06-30"},
        {"as_of": "2021-01-15", "overdue_days": 7, "earliest_entry_date": "2019-01-01"},
    ],
)
def test_sample_data_gives_identical_tables_and_quarantine(spark, tmp_path, overrides):
    spark_out, duck_out, spark_result, duck_result = run_both(spark, tmp_path, SAMPLE_DATA, **overrides)
    # The sample has bad rows of several kinds: the quarantine is compared, not empty.
    assert spark_result.quarantine["rows"] > 0
    assert_identical(spark_out, duck_out, spark_result, duck_result)


def test_every_kind_of_bad_row_is_quarantined_with_the_same_reason(spark, tmp_path):
    source = tmp_path / "bad"
    subprocess.run(
        [sys.executable, str(JOBS_DIR / "generate_data.py"), "--scale", "0.02", "--seed", "3", "--out", str(source), "--bad-rows", "2"],
        check=True,
        capture_output=True,
    )
    # Values the generator does not make: blanks, spaces, impossible dates, too many places,
    # duplicates, a quote and a line break inside a value, non-ASCII.
    with open(source / "accounts.csv", "a", encoding="utf-8") as handle:
        handle.write('9001,"Müller ""&"" Co","1 Road\nTown",Ana,555,F,2021-02-30\n')
        handle.write(" 9002 ,  ,Somewhere,Bo,556,M,2020-01-01\n")
        handle.write("9003,Dup,Addr,Cy,557,F,2020-01-01\n9003,Dup,Addr,Cy,557,F,2020-01-01\n")
        handle.write("x9,Bad id,Addr,Di,558,M,2020-01-01\n")
    with open(source / "skus.csv", "a", encoding="utf-8") as handle:
        handle.write("ZZ1,Odd,Desc,1.234,2.00\nZZ2,Odd,Desc, 3.50 ,-0.01\n")
    spark_out, duck_out, spark_result, duck_result = run_both(spark, tmp_path, source, dq_max_quarantine_ratio=1)
    reasons = {r["reason"] for r in rows(duck_out, "quarantine")[1]}
    assert {
        "accounts.joining_date: missing or not a date (YYYY-MM-DD)",
        "accounts.company_name: missing",
        "accounts.account_id: duplicate primary key",
    } <= reasons
    assert "skus.item_cost_price: missing or not a decimal with <= 2 places" in reasons
    assert_identical(spark_out, duck_out, spark_result, duck_result)


def test_cdc_state_input_gives_identical_tables(spark, tmp_path):
    from cdc_merge.cli import main as cdc_main

    state = tmp_path / "cdc"
    assert cdc_main(["--input_path", str(JOBS_DIR / "sample_cdc" / "billing"), "--input_format", "csv", "--output_path", str(state)]) == 0
    spark_out, duck_out, spark_result, duck_result = run_both(spark, tmp_path, state, "cdc", as_of="2022-06-30")
    assert spark_result.tables["fact_sales"]["rows"] > 0
    assert_identical(spark_out, duck_out, spark_result, duck_result)


REAL = real_data_dir()


@pytest.mark.skipif(REAL is None, reason="real extracts not found: set CARSALES_DATA or place them at <repo>/../shared/carsales-data-extracts")
@pytest.mark.parametrize(
    "overrides",
    [
        {"as_of": "2021-06-01", "earliest_entry_date": "2020-08-01", "overdue_days": 30},
        {"as_of": "2020-12-31", "earliest_entry_date": "2020-06-01", "overdue_days": 0},
        {"as_of": "2023-01-01", "earliest_entry_date": "2019-01-01", "overdue_days": 365},
    ],
)
def test_real_extracts_give_identical_tables(spark, tmp_path, overrides):
    spark_out, duck_out, spark_result, duck_result = run_both(spark, tmp_path, REAL, **overrides)
    assert spark_result.tables["fact_sales"]["rows"] > 10_000
    assert_identical(spark_out, duck_out, spark_result, duck_result)
    # Money to the cent: the summary's total is an exact decimal sum, equal on both sides.
    totals = [sum((r["total_sales"] for r in rows(out, "monthly_sales_summary")[1]), Decimal(0)) for out in (spark_out, duck_out)]
    assert totals[0] == totals[1] and totals[0] > 0


# Quotients that are ties at the 4th place (0.21875, -0.21875, 0.01 / 0.32 = 1/32...), values the
# DOUBLE path cannot decide (|quotient| >= 1e5), ordinary ones, a zero divisor, and the last one:
# 0.21874999999999995, a tie only after Spark rounds it to its division scale (14) first.
DIVISIONS = [
    ("0.70", "3.20"),
    ("-0.70", "3.20"),
    ("0.70", "-3.20"),
    ("21875.00", "100000.00"),
    ("0.01", "0.32"),
    ("123456789.01", "0.03"),
    ("-98765432.10", "0.07"),
    ("1.00", "3.00"),
    ("2.00", "3.00"),
    ("5.55", "0.00"),
    ("7435.35", "33990.17"),
    ("0.00", "12.34"),
    ("43749999999999.99", "200000000000000.00"),
]


def test_decimal_division_rounds_as_spark_does(spark):
    """round(a / b, 4) over DECIMAL(24,2) / DECIMAL(23,2), as fact_sales_processed's margin_ratio:
    the DuckDB translation's answer equals Spark's on every row (a DOUBLE division was off by one
    in the last place on ties: 534 of 5.3 M rows at 100x the real data)."""
    import duckdb

    from sales_etl.duck.translate import to_duckdb

    values = ", ".join(f"(CAST('{a}' AS DECIMAL(24,2)), CAST('{b}' AS DECIMAL(23,2)), {i})" for i, (a, b) in enumerate(DIVISIONS))
    model = "SELECT i, round(a / b, 4) AS r, a / b AS q FROM t"
    spark.sql(f"SELECT * FROM VALUES {values} AS v(a, b, i)").createOrReplaceTempView("t")
    expected = {r.i: (r.r, r.q) for r in spark.sql(model).collect()}
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {values}) v(a, b, i)")
    sql = to_duckdb(model, "models/t.sql", {"t": {"a": "decimal(24,2)", "b": "decimal(23,2)", "i": "int"}})
    got = {i: (r, q) for i, r, q in con.execute(sql).fetchall()}
    assert got == expected
    assert expected[0][0] == Decimal("0.2188") and expected[1][0] == Decimal("-0.2188") and expected[9] == (None, None)
    assert expected[12][0] == Decimal("0.2188"), "Spark rounds the quotient to scale 14 before round(, 4)"


def test_integer_division_rounds_as_spark_does(spark):
    """client_profile's overdue_share: round(int / int, 4) is a DOUBLE rounded in both engines (Spark
    from the double's shortest decimal string, half up). Every fraction n/d with 0 <= n <= d <= 320,
    decimal ties such as 7/160 = 0.04375 among them, gives the same DECIMAL(5,4) in both."""
    import duckdb

    from sales_etl.duck.translate import to_duckdb

    model = "SELECT n, d, CAST(round(n / d, 4) AS DECIMAL(5,4)) AS r FROM t"
    pairs = "SELECT CAST(a.id AS INT) AS n, CAST(b.id AS INT) AS d FROM range(0, 321) a CROSS JOIN range(1, 321) b WHERE a.id <= b.id"
    spark.sql(pairs).createOrReplaceTempView("t")
    expected = {(r.n, r.d): r.r for r in spark.sql(model).collect()}
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS " + pairs.replace("321) a", "321) a(id)").replace("321) b", "321) b(id)"))
    got = {(n, d): r for n, d, r in con.execute(to_duckdb(model, "models/t.sql", {"t": {"n": "int", "d": "int"}})).fetchall()}
    assert len(expected) == 51680 and got == expected
    assert expected[(7, 160)] == Decimal("0.0438") and expected[(1, 3)] == Decimal("0.3333")
