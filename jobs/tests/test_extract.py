import datetime as dt
from decimal import Decimal

import pytest

from conftest import SAMPLE_DATA
from sales_etl.errors import SourceError
from sales_etl.extract import read_source


def test_csv_keeps_multi_line_quoted_addresses_in_one_row(spark):
    accounts = read_source(spark, "accounts", str(SAMPLE_DATA / "accounts.csv"), "csv")
    rows = accounts.collect()
    assert len(rows) == 20
    assert all("\n" in r.company_address for r in rows)
    assert {type(v) for r in rows for v in r} == {str}


def test_parquet_sources_are_read_by_column_name_as_text(spark, tmp_path):
    path = str(tmp_path / "skus")
    spark.createDataFrame(
        [(Decimal("2.50"), "A", "n", "d", Decimal("4.00"))],
        "item_cost_price decimal(12,2), item_id string, item_name string, item_description string, item_retail_price decimal(12,2)",
    ).write.parquet(path)
    skus = read_source(spark, "skus", path, "parquet")
    assert [tuple(r) for r in skus.collect()] == [("A", "n", "d", "2.50", "4.00")]
    invoices = str(tmp_path / "invoices")
    spark.createDataFrame([(1, 2, dt.date(2021, 1, 5))], "invoice_id int, account_id int, date_issued date").write.parquet(invoices)
    with pytest.raises(SourceError, match=r"^source 'invoices' at .* lacks column\(s\) payment_dates; expected"):
        read_source(spark, "invoices", invoices, "parquet")
