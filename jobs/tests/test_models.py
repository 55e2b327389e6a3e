"""Each SQL model on tiny hand-built typed frames, with exact expected rows.

Scenario: earliest_entry_date 2021-01-01, as_of 2021-03-02, overdue_days 30.
Invoice 100 is issued ON earliest_entry_date (excluded), 101 is exactly 30 days old (Due),
102 is 31 days old (Overdue, unpaid), 103 has only a zero-priced item. Account 3 has no invoices.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from pyspark.sql.types import DecimalType

from sales_etl import TABLES
from sales_etl.transform import ModelParams, build_tables, model_sql

TS = dt.datetime(2021, 3, 2, 6, 30, tzinfo=dt.timezone.utc)
TS_NAIVE = TS.astimezone().replace(tzinfo=None)  # PySpark returns timestamps as naive local time
PARAMS = ModelParams(earliest_entry_date=dt.date(2021, 1, 1), as_of=dt.date(2021, 3, 2), overdue_days=30, ingest_ts=TS)
JAN31, JAN30, FEB15 = dt.date(2021, 1, 31), dt.date(2021, 1, 30), dt.date(2021, 2, 15)


@pytest.fixture(scope="module")
def tables(spark):
    accounts = spark.createDataFrame(
        [
            (1, "Acme", "1 Road\nTown", "Ann", "111", "F", dt.date(2019, 1, 1)),
            (2, "Bolt", "2 Road", "Bob", "222", "M", dt.date(2020, 1, 1)),
            (3, "Idle", "3 Road", "Cy", "333", "M", dt.date(2018, 5, 5)),
        ],
        "account_id bigint, company_name string, company_address string, contact_person string, contact_phone string, gender string, joining_date date",
    )
    invoices = spark.createDataFrame(
        [
            (100, 1, dt.date(2021, 1, 1), dt.date(2021, 1, 10)),
            (101, 1, JAN31, dt.date(2021, 2, 10)),
            (102, 2, JAN30, None),
            (103, 1, FEB15, FEB15),
        ],
        "invoice_id bigint, account_id bigint, date_issued date, payment_dates date",
    )
    skus = spark.createDataFrame(
        [
            ("A", "Apple", "red", D("2.50"), D("4.00")),
            ("B", "Bolt", "steel", D("10.00"), D("10.00")),
            ("C", "Chip", "free", D("0.00"), D("0.00")),
        ],
        "item_id string, item_name string, item_description string, item_cost_price decimal(12,2), item_retail_price decimal(12,2)",
    )
    items = spark.createDataFrame(
        [(100, "A", 1), (101, "A", 3), (101, "B", 1), (102, "A", 2), (103, "C", 5)],
        "invoice_id bigint, item_id string, quantity int",
    )
    sources = {"accounts": accounts, "invoices": invoices, "skus": skus, "invoice_line_items": items}
    return build_tables(spark, sources, PARAMS)


def rows(df, *order):
    return [tuple(r) for r in df.orderBy(*order).collect()]


def test_account_details(tables):
    df = tables["account_details"]
    assert df.columns == [
        "account_id",
        "company_name",
        "company_address",
        "contact_person",
        "contact_phone",
        "invoice_id",
        "date_issued",
        "days_since_invoice",
        "ingest_ts",
    ]
    assert rows(df, "invoice_id") == [
        (1, "Acme", "1 Road\nTown", "Ann", "111", 101, JAN31, 30, TS_NAIVE),
        (2, "Bolt", "2 Road", "Bob", "222", 102, JAN30, 31, TS_NAIVE),
        (1, "Acme", "1 Road\nTown", "Ann", "111", 103, FEB15, 15, TS_NAIVE),
    ]


def test_invoice_details(tables):
    df = tables["invoice_details"]
    assert df.columns == [
        "invoice_id",
        "account_id",
        "date_issued",
        "item_id",
        "quantity",
        "item_name",
        "item_cost_price",
        "item_retail_price",
        "total_sale_value",
        "total_cost_value",
        "days_since_invoice",
        "ingest_ts",
    ]
    assert isinstance(df.schema["total_sale_value"].dataType, DecimalType)
    assert rows(df, "invoice_id", "item_id") == [
        (101, 1, JAN31, "A", 3, "Apple", D("2.50"), D("4.00"), D("12.00"), D("7.50"), 30, TS_NAIVE),
        (101, 1, JAN31, "B", 1, "Bolt", D("10.00"), D("10.00"), D("10.00"), D("10.00"), 30, TS_NAIVE),
        (102, 2, JAN30, "A", 2, "Apple", D("2.50"), D("4.00"), D("8.00"), D("5.00"), 31, TS_NAIVE),
        (103, 1, FEB15, "C", 5, "Chip", D("0.00"), D("0.00"), D("0.00"), D("0.00"), 15, TS_NAIVE),
    ]


def test_fact_sales_overdue_boundary_and_profit(tables):
    df = tables["fact_sales"]
    assert df.columns[-6:] == ["days_since_invoice", "gross_profit", "overdue_status", "ingest_ts", "year", "month"]
    got = [
        (r.invoice_id, r.item_id, r.days_since_invoice, r.gross_profit, r.overdue_status, r.ingest_ts, r.year, r.month)
        for r in df.orderBy("invoice_id", "item_id").collect()
    ]
    assert got == [
        (101, "A", 30, D("4.50"), "Due", TS_NAIVE, 2021, 1),  # exactly overdue_days old -> still Due
        (101, "B", 30, D("0.00"), "Due", TS_NAIVE, 2021, 1),
        (102, "A", 31, D("3.00"), "Overdue", TS_NAIVE, 2021, 1),
        (103, "C", 15, D("0.00"), "Due", TS_NAIVE, 2021, 2),
    ]


def test_fact_sales_processed_features(tables):
    df = tables["fact_sales_processed"]
    assert df.columns == [
        "company_name",
        "contact_person",
        "date_issued",
        "item_id",
        "item_name",
        "item_description",
        "item_cost_price",
        "item_retail_price",
        "quantity",
        "total_sale_value",
        "gross_profit",
        "overdue_status",
        "account_tenure_days",
        "issue_month",
        "issue_day_of_week",
        "margin_ratio",
        "payment_delay_days",
        "gender",
        "ingest_ts",
        "year",
        "month",
    ]
    assert rows(df, "date_issued", "item_id") == [
        (
            "Bolt",
            "Bob",
            JAN30,
            "A",
            "Apple",
            "red",
            D("2.50"),
            D("4.00"),
            2,
            D("8.00"),
            D("3.00"),
            "Overdue",
            395,
            1,
            7,
            D("0.3750"),
            None,
            "M",
            TS_NAIVE,
            2021,
            1,
        ),  # Saturday, unpaid
        (
            "Acme",
            "Ann",
            JAN31,
            "A",
            "Apple",
            "red",
            D("2.50"),
            D("4.00"),
            3,
            D("12.00"),
            D("4.50"),
            "Due",
            761,
            1,
            1,
            D("0.3750"),
            10,
            "F",
            TS_NAIVE,
            2021,
            1,
        ),  # Sunday
        (
            "Acme",
            "Ann",
            JAN31,
            "B",
            "Bolt",
            "steel",
            D("10.00"),
            D("10.00"),
            1,
            D("10.00"),
            D("0.00"),
            "Due",
            761,
            1,
            1,
            D("0.0000"),
            10,
            "F",
            TS_NAIVE,
            2021,
            1,
        ),
        (
            "Acme",
            "Ann",
            FEB15,
            "C",
            "Chip",
            "free",
            D("0.00"),
            D("0.00"),
            5,
            D("0.00"),
            D("0.00"),
            "Due",
            776,
            2,
            2,
            None,
            0,
            "F",
            TS_NAIVE,
            2021,
            2,
        ),  # zero sale value -> no margin ratio
    ]


def test_monthly_sales_summary(tables):
    df = tables["monthly_sales_summary"]
    assert df.columns == [
        "year",
        "month",
        "total_sales",
        "total_costs",
        "total_gross_profit",
        "unique_customers",
        "total_items_sold",
        "ingest_ts",
    ]
    assert rows(df, "year", "month") == [
        (2021, 1, D("30.00"), D("22.50"), D("7.50"), 2, 6, TS_NAIVE),
        (2021, 2, D("0.00"), D("0.00"), D("0.00"), 1, 5, TS_NAIVE),
    ]


def test_client_profile_lists_every_account(tables):
    df = tables["client_profile"]
    assert df.columns == [
        "account_id",
        "company_name",
        "invoice_count",
        "items_sold",
        "total_sales",
        "total_gross_profit",
        "first_invoice_date",
        "last_invoice_date",
        "overdue_invoice_count",
        "overdue_share",
        "ingest_ts",
    ]
    assert rows(df, "account_id") == [
        (1, "Acme", 2, 9, D("22.00"), D("4.50"), JAN31, FEB15, 0, D("0.0000"), TS_NAIVE),
        (2, "Bolt", 1, 2, D("8.00"), D("3.00"), JAN30, JAN30, 1, D("1.0000"), TS_NAIVE),
        (3, "Idle", 0, 0, D("0.00"), D("0.00"), None, None, 0, None, TS_NAIVE),
    ]


def test_models_read_no_clock():
    # "Today" must come from :as_of and the load time from :ingest_ts, or reruns would differ.
    for name in TABLES:
        sql = "\n".join(line.split("--")[0] for line in model_sql(name).lower().splitlines())
        for clock in ("current_date", "current_timestamp", "now()", "localtimestamp", "unix_timestamp()"):
            assert clock not in sql, f"{name}.sql reads the clock via {clock}"


def test_the_committed_type_contract_is_what_spark_derives_from_the_models(spark):
    # schemas.json is what the DuckDB runtime casts to; a changed model must change it too
    # (python -m sales_etl.schemas --write), or both runtimes' files would differ in type.
    from sales_etl import schemas

    derived = schemas.derive(spark)
    assert derived["tables"] == schemas.table_schemas(), "models changed: run python -m sales_etl.schemas --write"
    assert set(derived["tables"]) == set(TABLES)
