"""The DuckDB runtime's catalog: tables registered in the Glue Data Catalog through its API
(moto in-process standing in for Glue), as the Spark runtime registers them through Spark SQL."""

from __future__ import annotations


from conftest import SAMPLE_DATA
from sales_etl import TABLES
from sales_etl.cli import main
from sales_etl.schemas import table_schemas


def run(out, run_id, *more):
    return main(["--runtime", "duckdb", "--source_path", str(SAMPLE_DATA), "--output_path", str(out), "--as_of", "2022-06-30", "--run_id", run_id, *more])


def partitions(glue, table):
    found = glue.get_partitions(DatabaseName="sales", TableName=table)["Partitions"]
    return {tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in found}


def test_tables_are_registered_then_moved_to_each_published_run(glue, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(out, "c1", "--catalog_database", "sales") == 0
    assert "  catalog: 6 tables in sales (glue-api)" in capsys.readouterr().out
    contract = table_schemas()
    fact = glue.get_table(DatabaseName="sales", Name="fact_sales")["Table"]
    assert fact["TableType"] == "EXTERNAL_TABLE" and fact["Parameters"]["classification"] == "parquet"
    assert fact["StorageDescriptor"]["Location"] == f"file:{out}/fact_sales/run_id=c1"
    data = [(c["Name"], c["Type"]) for c in fact["StorageDescriptor"]["Columns"]]
    keys = [(c["Name"], c["Type"]) for c in fact["PartitionKeys"]]
    assert data + keys == [(c[0], c[1]) for c in contract["fact_sales"]], "the contract's columns and types, partition columns as keys"
    assert keys == [("year", "int"), ("month", "int")]
    first = partitions(glue, "fact_sales")
    assert first[("2020", "6")] == f"file:{out}/fact_sales/run_id=c1/year=2020/month=6"
    names = sorted(t["Name"] for t in glue.get_tables(DatabaseName="sales")["TableList"])
    assert names == sorted(TABLES), "the six tables; the quarantine is not a catalog table, as on Spark"

    assert run(out, "c2", "--catalog_database", "sales") == 0
    fact = glue.get_table(DatabaseName="sales", Name="fact_sales")["Table"]
    assert fact["StorageDescriptor"]["Location"] == f"file:{out}/fact_sales/run_id=c2"
    second = partitions(glue, "fact_sales")
    assert set(second) == set(first) and all(location.startswith(f"file:{out}/fact_sales/run_id=c2/") for location in second.values())
    summary = glue.get_table(DatabaseName="sales", Name="monthly_sales_summary")["Table"]
    assert summary["StorageDescriptor"]["Location"] == f"file:{out}/monthly_sales_summary/run_id=c2" and summary["PartitionKeys"] == []


def test_changed_columns_recreate_a_table_and_stale_partitions_go(glue, tmp_path):
    out = tmp_path / "out"
    glue.create_table(
        DatabaseName="sales",
        TableInput={
            "Name": "fact_sales",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": [{"Name": "old", "Type": "string"}], "Location": "s3://elsewhere/"},
            "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "int"}],
        },
    )
    glue.create_partition(
        DatabaseName="sales", TableName="fact_sales", PartitionInput={"Values": ["1999", "1"], "StorageDescriptor": {"Location": "s3://elsewhere/1999"}}
    )
    assert run(out, "c1", "--catalog_database", "sales") == 0
    fact = glue.get_table(DatabaseName="sales", Name="fact_sales")["Table"]
    assert [c["Name"] for c in fact["StorageDescriptor"]["Columns"]][:2] == ["invoice_id", "account_id"]
    assert ("1999", "1") not in partitions(glue, "fact_sales"), "a recreated table has only the run's partitions"


def test_a_table_that_is_not_ours_or_a_missing_database_is_one_line(glue, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(out, "c1", "--catalog_database", "nosuch") == 2
    err = capsys.readouterr().err.strip().splitlines()
    missing = "config key 'catalog_database': database 'nosuch' does not exist in the Glue Data Catalog; create it (terraform glue_catalog module)"
    assert len(err) == 1 and missing in err[0], err
    assert not out.exists(), "checked before anything is read or written"

    glue.create_table(DatabaseName="sales", TableInput={"Name": "client_profile", "TableType": "VIRTUAL_VIEW", "StorageDescriptor": {"Columns": []}})
    code = run(out, "c2", "--catalog_database", "sales")
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1, err
    assert "run c2 is published" in err[0] and "catalog table sales.client_profile exists as a virtual view" in err[0] and "--run_id c2" in err[0]
    # The rerun the message names repairs the catalog once the view is gone.
    glue.delete_table(DatabaseName="sales", Name="client_profile")
    assert run(out, "c2", "--catalog_database", "sales") == 0
    assert glue.get_table(DatabaseName="sales", Name="client_profile")["Table"]["StorageDescriptor"]["Location"] == f"file:{out}/client_profile/run_id=c2"


def test_a_catalog_that_cannot_be_reached_stops_the_run_before_it_starts(tmp_path, monkeypatch, capsys):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    out = tmp_path / "out"
    assert run(out, "c1", "--catalog_database", "sales") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the Glue Data Catalog could not be read (Could not connect to the endpoint URL" in err[0], err
    assert "testing" not in err[0] and not out.exists()
