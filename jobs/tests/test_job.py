"""The whole job in-process through its entry point, on the committed sample data."""

import json

import pytest

from conftest import SAMPLE_DATA, published, tree_digest
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
    fact_path = str(published(out, "fact_sales"))
    fact = without_ingest_ts(spark.read.parquet(fact_path))
    ts = {r.ingest_ts for r in spark.read.parquet(fact_path).select("ingest_ts").distinct().collect()}
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
        # Each table is written under its run's own directory; the manifest names it.
        assert published(out, name) == out / name / "run_id=r1"
        written = spark.read.parquet(str(published(out, name))).count()
        assert manifest["tables"][name]["rows"] == written > 0
    assert manifest["tables"]["fact_sales"]["partitioned_by"] == ["year", "month"]
    fact_dir = out / "fact_sales" / "run_id=r1"
    assert (fact_dir / "year=2021" / "month=1").is_dir()
    assert [f"year={p['year']}/month={p['month']}" for p in manifest["tables"]["fact_sales"]["partitions"]] == sorted(
        (str(d.relative_to(fact_dir)) for d in fact_dir.glob("year=*/month=*")),
        key=lambda name: tuple(int(v.split("=")[1]) for v in name.split("/")),
    )
    assert manifest["inputs"]["invoice_line_items"]["rows_read"] == 533
    assert manifest["inputs"]["invoice_line_items"]["rows_quarantined"] == 2
    assert published(out, "quarantine") == out / "quarantine" / "run_id=r1"
    reasons = sorted(r.reason for r in spark.read.parquet(str(published(out, "quarantine"))).collect())
    assert reasons == SAMPLE_REASONS
    assert manifest["quarantine"]["rows"] == 4
    assert manifest["retained_runs"] == ["r1"] and manifest["previous_run_id"] is None
    # No hidden temporary directories or files are left behind.
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.is_dir()) == []
    assert [p.name for p in out.rglob("*.tmp")] == []


def test_rerun_with_same_as_of_rewrites_the_same_rows(spark, first_run):
    code, out, first_fact, first_ts = first_run
    assert main([*COMMON, "--output_path", str(out), "--run_id", "r2"]) == 0
    again = spark.read.parquet(str(published(out, "fact_sales")))
    assert without_ingest_ts(again) == first_fact
    # The table really was replaced: ingest_ts is the second run's start time.
    assert {r.ingest_ts for r in again.select("ingest_ts").distinct().collect()}.isdisjoint(first_ts)
    assert sorted(p.name for p in (out / "_runs").iterdir() if p.suffix == ".json") == ["r1.json", "r2.json"]
    manifest = json.loads((out / "_manifest.json").read_text())
    assert (manifest["run_id"], manifest["previous_run_id"], manifest["retained_runs"]) == ("r2", "r1", ["r2", "r1"])
    # The first run's files stay (retention_runs 3) and are still the first run's rows.
    assert without_ingest_ts(spark.read.parquet(str(out / "fact_sales" / "run_id=r1"))) == first_fact


def test_rerunning_the_published_run_id_recomputes_and_rewrites_nothing(spark, first_run, capsys):
    _, out, first_fact, _ = first_run
    before = tree_digest(out)
    capsys.readouterr()
    assert main([*COMMON, "--output_path", str(out), "--run_id", "r2"]) == 0
    assert capsys.readouterr().out.startswith("sales_etl: run r2 is already published; nothing was recomputed")
    assert tree_digest(out) == before
    # The same run_id with settings that change the rows is refused, not silently re-published.
    assert main([*COMMON[:-4], "--as_of", "2021-06-30", "--shuffle_partitions", "2", "--output_path", str(out), "--run_id", "r2"]) == 2
    assert capsys.readouterr().err.strip() == (
        "sales_etl: error: config key 'run_id': run r2 is already published with different as_of; give this run a new run_id"
    )
    # An older published run_id cannot come back as the current one either.
    assert main([*COMMON, "--output_path", str(out), "--run_id", "r1"]) == 2
    assert "run r1 was published before and has been superseded by run r2" in capsys.readouterr().err
    assert tree_digest(out) == before


def test_a_run_failing_mid_write_publishes_nothing(spark, first_run, monkeypatch, capsys):
    """The third run dies after some of its tables are written: the manifest, and every file of
    the published tables, are byte for byte what they were; the failure is recorded."""
    import sales_etl.job as job

    _, out, _, _ = first_run
    published_dirs = {name: published(out, name) for name in (*TABLES, "quarantine")}
    before = {name: tree_digest(path) for name, path in published_dirs.items()}
    manifest_before = (out / "_manifest.json").read_bytes()
    real_write = job.write_table

    def failing_write(storage, df, path, *args, **kwargs):
        if "/fact_sales_processed/" in path:
            raise OSError("disk full (injected)")
        return real_write(storage, df, path, *args, **kwargs)

    monkeypatch.setattr(job, "write_table", failing_write)
    capsys.readouterr()
    assert main([*COMMON, "--output_path", str(out), "--run_id", "r3"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["sales_etl: error: run r3 failed while writing fact_sales_processed (disk full (injected)); nothing was published; run r2 stays published"]
    assert (out / "_manifest.json").read_bytes() == manifest_before
    assert {name: tree_digest(path) for name, path in published_dirs.items()} == before
    assert (out / "fact_sales" / "run_id=r3").is_dir()  # written before the failure, never published
    record = json.loads((out / "_runs" / "r3.json").read_text())
    assert record["status"] == "failed" and record["error"].startswith("writing fact_sales_processed: disk full")
    for name in TABLES:
        assert spark.read.parquet(str(published(out, name))).count() == json.loads(manifest_before)["tables"][name]["rows"]


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
    assert (out / "quarantine" / "run_id=strict").is_dir()


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
