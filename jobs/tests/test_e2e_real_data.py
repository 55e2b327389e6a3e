"""End to end over the real extracts (../shared/carsales-data-extracts or $CARSALES_DATA).

Expected figures are computed here with the csv module and Decimal, independently of the job's
SQL, then compared with what the job wrote.
"""

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from conftest import published, real_data_dir
from sales_etl.cli import main

DATA = real_data_dir()
pytestmark = pytest.mark.skipif(
    DATA is None,
    reason="real extracts not found: set CARSALES_DATA or place them at <repo>/../shared/carsales-data-extracts",
)

AS_OF = dt.date(2021, 6, 1)
EARLIEST = dt.date(2020, 8, 1)  # inside the data's range, so the filter really drops rows
OVERDUE_DAYS = 30


def read(name):
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def expected():
    accounts = read("accounts.csv")
    invoices = {r["invoice_id"]: r for r in read("invoices.csv")}
    skus = {r["item_id"]: r for r in read("skus.csv")}
    kept = {k: v for k, v in invoices.items() if dt.date.fromisoformat(v["date_issued"]) > EARLIEST}
    lines, sale, cost, overdue = 0, Decimal(0), Decimal(0), 0
    monthly = defaultdict(lambda: {"sales": Decimal(0), "costs": Decimal(0), "items": 0, "accounts": set()})
    for item in read("invoice_line_items.csv"):
        invoice = kept.get(item["invoice_id"])
        if invoice is None:
            continue
        quantity = int(item["quantity"])
        sku = skus[item["item_id"]]
        line_sale = quantity * Decimal(sku["item_retail_price"])
        line_cost = quantity * Decimal(sku["item_cost_price"])
        issued = dt.date.fromisoformat(invoice["date_issued"])
        lines += 1
        sale += line_sale
        cost += line_cost
        overdue += (AS_OF - issued).days > OVERDUE_DAYS
        month = monthly[(issued.year, issued.month)]
        month["sales"] += line_sale
        month["costs"] += line_cost
        month["items"] += quantity
        month["accounts"].add(invoice["account_id"])
    return {
        "accounts": len(accounts),
        "invoices_kept": len(kept),
        "lines": lines,
        "sale": sale,
        "cost": cost,
        "overdue_lines": overdue,
        "monthly": {k: (v["sales"], v["costs"], v["items"], len(v["accounts"])) for k, v in monthly.items()},
        "source_rows": len(accounts) + len(invoices) + len(skus) + sum(1 for _ in read("invoice_line_items.csv")),
    }


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "out"
    code = main(
        [
            "--source_path",
            str(DATA),
            "--output_path",
            str(out),
            "--as_of",
            AS_OF.isoformat(),
            "--earliest_entry_date",
            EARLIEST.isoformat(),
            "--overdue_days",
            str(OVERDUE_DAYS),
            "--shuffle_partitions",
            "2",
            "--run_id",
            "e2e",
        ]
    )
    assert code == 0
    return out


def table(spark, out, name):
    return spark.read.parquet(str(published(out, name)))


def test_counts_and_clean_input(spark, output, expected):
    manifest = json.loads((output / "_manifest.json").read_text())
    assert manifest["quarantine"]["rows"] == 0  # the extracts have no bad rows
    assert sum(i["rows_read"] for i in manifest["inputs"].values()) == expected["source_rows"]
    assert expected["lines"] < 53_481  # the date filter did drop rows
    assert manifest["tables"]["fact_sales"]["rows"] == expected["lines"]
    assert manifest["tables"]["invoice_details"]["rows"] == expected["lines"]
    assert manifest["tables"]["fact_sales_processed"]["rows"] == expected["lines"]
    assert manifest["tables"]["account_details"]["rows"] == expected["invoices_kept"]
    assert manifest["tables"]["client_profile"]["rows"] == expected["accounts"]
    assert manifest["tables"]["monthly_sales_summary"]["rows"] == len(expected["monthly"])


def test_fact_sales_totals_equal_quantity_times_prices(spark, output, expected):
    totals = (
        table(spark, output, "fact_sales")
        .agg(
            F.sum("total_sale_value").alias("sale"),
            F.sum("total_cost_value").alias("cost"),
            F.sum("gross_profit").alias("profit"),
            F.sum(F.when(F.col("overdue_status") == "Overdue", 1).otherwise(0)).alias("overdue"),
        )
        .first()
    )
    assert totals.sale == expected["sale"]
    assert totals.cost == expected["cost"]
    assert totals.profit == expected["sale"] - expected["cost"]
    assert totals.overdue == expected["overdue_lines"]


def test_monthly_summary_matches_independent_month_totals(spark, output, expected):
    got = {
        (r.year, r.month): (r.total_sales, r.total_costs, r.total_items_sold, r.unique_customers)
        for r in table(spark, output, "monthly_sales_summary").collect()
    }
    assert got == expected["monthly"]
    profit = table(spark, output, "monthly_sales_summary").agg(F.sum("total_gross_profit")).first()[0]
    assert profit == expected["sale"] - expected["cost"]


def test_client_profile_and_ml_table_add_up_to_the_facts(spark, output, expected):
    profile = table(spark, output, "client_profile").agg(F.sum("invoice_count"), F.sum("total_sales"), F.min("overdue_share"), F.max("overdue_share")).first()
    assert profile[0] == expected["invoices_kept"]
    assert profile[1] == expected["sale"]
    assert 0 <= profile[2] <= profile[3] <= 1
    processed = table(spark, output, "fact_sales_processed").agg(F.sum("total_sale_value"), F.sum("gross_profit"), F.count("payment_delay_days")).first()
    assert processed[0] == expected["sale"]
    assert processed[1] == expected["sale"] - expected["cost"]
    assert processed[2] == expected["lines"]  # every real invoice has a payment date
