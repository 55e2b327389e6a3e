"""The whole job in-process through its entry point, on the committed sample data."""

import json

import pytest

from conftest import SAMPLE_DATA
from sales_etl import TABLES
from sales_etl.cli import main

COMMON = ["--source_path", str(SAMPLE_DATA), "--as_of", "2021-05-31", "--shuffle_partitions", "2"]
# The generator's bad rows in sample_data (generate_data.py --bad-rows 1), one per kind.
SAMPLE_REASONS = [
    "invoice_line_items.invoice_id: no matching row in invoices",
    "invoice_line_items.quantity: negative",
    "invoices.date_issued: missing or not a date (YYYY-MM-DD)",
    "skus.item_cost_price: negative",
]


def without_ingest_ts(df):
    return sorted(tuple(r) for r in df.drop("ingest_ts").collect())


@pytest.fixture(scope="module")
def first_run(spark, tmp_path_factory):
    out = tmp_path_factory.mktemp("job") / "out"
    code = main([*COMMON, "--output_path", str(out), "--run_id", "r1"])
    fact = without_ingest_ts(spark.read.parquet(str(out / "fact_sales")))
    ts = {r.ingest_ts for r in spark.read.parquet(str(out / "fact_sales")).select("ingest_ts").distinct().collect()}
    return code, out, fact, ts


def test_run_writes_every_table_quarantine_and_manifest(spark, first_run, capsys):
    code, out, _, _ = first_run
    assert code == 0
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest == json.loads((out / "_runs" / "r1.json").read_text())
    assert manifest["as_of"] == "2021-05-31"
    assert sorted(manifest["tables"]) == sorted(TABLES)
    for name in TABLES:
        written = spark.read.parquet(str(out / name)).count()
        assert manifest["tables"][name]["rows"] == written > 0
    assert manifest["tables"]["fact_sales"]["partitioned_by"] == ["year", "month"]
    assert (out / "fact_sales" / "year=2021" / "month=1").is_dir()
    assert manifest["inputs"]["invoice_line_items"]["rows_read"] == 533
    assert manifest["inputs"]["invoice_line_items"]["rows_quarantined"] == 2
    reasons = sorted(r.reason for r in spark.read.parquet(str(out / "quarantine")).collect())
    assert reasons == SAMPLE_REASONS
    assert manifest["quarantine"]["rows"] == 4
    # Staging and backup directories of the atomic swap are gone.
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.is_dir()) == []


def test_rerun_with_same_as_of_rewrites_the_same_rows(spark, first_run):
    code, out, first_fact, first_ts = first_run
    assert main([*COMMON, "--output_path", str(out), "--run_id", "r2"]) == 0
    again = spark.read.parquet(str(out / "fact_sales"))
    assert without_ingest_ts(again) == first_fact
    # The table really was replaced: ingest_ts is the second run's start time.
    assert {r.ingest_ts for r in again.select("ingest_ts").distinct().collect()}.isdisjoint(first_ts)
    assert sorted(p.name for p in (out / "_runs").iterdir() if p.suffix == ".json") == ["r1.json", "r2.json"]


def test_too_many_quarantined_rows_fail_the_run_before_any_table_is_written(tmp_path, capsys):
    out = tmp_path / "out"
    code = main([*COMMON, "--output_path", str(out), "--run_id", "strict", "--dq_max_quarantine_ratio", "0.001"])
    assert code == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("sales_etl: error: 4 of 672 source rows (0.60%) failed data quality checks")
    assert "dq_max_quarantine_ratio=0.001" in err[0]
    assert json.loads((out / "_runs" / "strict.json").read_text())["status"] == "failed_data_quality"
    assert not (out / "_manifest.json").exists()
    assert not (out / "fact_sales").exists()
    assert (out / "quarantine").is_dir()


def test_bad_argument_names_the_key_and_exits_2(tmp_path, capsys):
    assert main(["--output_path", str(tmp_path), "--overdue_days", "soon"]) == 2
    assert capsys.readouterr().err.strip() == "sales_etl: error: config key 'overdue_days': 'soon' is not a whole number"


def test_missing_source_names_the_table_and_path(spark, tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["--source_path", str(missing), "--output_path", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"sales_etl: error: source 'accounts' at {missing}/accounts.csv cannot be read")
    assert err.endswith("check --source_path / --accounts_path")


def test_unknown_key_in_a_config_file_is_named(tmp_path, capsys):
    config = tmp_path / "c.yml"
    config.write_text("overdue_days: 10\noverdue_dayz: 3\n")
    assert main(["--config", str(config), "--output_path", str(tmp_path)]) == 2
    assert f"{config}: unknown key 'overdue_dayz'" in capsys.readouterr().err
