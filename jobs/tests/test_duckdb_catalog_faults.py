"""Faults in the DuckDB runtime's catalog step: every Glue write the publish makes, with its
request lost before it lands (botocore retries), its answer lost after it landed (botocore
retries the landed request) or its answer lost for good (the run fails). The first two must
converge in the same run; the third must fail in one line naming the rerun, and that rerun must
converge. Converged: every table external, at the run's directory, with the contract's columns
and exactly the run's partitions. moto's Glue runs in-process; the faults are botocore event
handlers on the job's own client."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ConnectionClosedError

from conftest import SAMPLE_DATA
from sales_etl import TABLES
from sales_etl.cli import main
from sales_etl.duck import glue_catalog
from sales_etl.schemas import table_schemas

WRITES = ("DeleteTable", "CreateTable", "UpdateTable", "BatchCreatePartition", "UpdatePartition", "DeletePartition")
# drop: the request never reaches Glue; lose: it lands and its answer is lost, so botocore sends
# it again; cut: it lands and the caller gets an error (retries exhausted, a killed connection).
KINDS = ("drop", "lose", "cut")


class Fault:
    """Fails the first call of one Glue operation in one way; counts the times it fired."""

    def __init__(self, operation: str, kind: str):
        self.operation, self.kind, self.fired = operation, kind, 0

    def install(self, client) -> None:
        events = client.meta.events
        if self.kind == "drop":
            events.register_first(f"before-send.glue.{self.operation}", self._before_landing)
        elif self.kind == "lose":
            # On the generic event, after moto's own before-send handler (which answers the
            # request, so the write is done when this one runs); a handler on the operation's
            # own event would run before moto's.
            events.register_last("before-send", self._after_landing)
        else:
            events.register_last(f"after-call.glue.{self.operation}", self._answer)

    def _fire(self, url: str) -> None:
        if not self.fired:
            self.fired += 1
            raise ConnectionClosedError(endpoint_url=url)

    def _before_landing(self, request, **_):
        self._fire(request.url)

    def _after_landing(self, request, event_name, **_):
        if event_name == f"before-send.glue.{self.operation}":
            self._fire(request.url)

    def _answer(self, **_):
        self._fire("https://glue.eu-west-1.amazonaws.com/")


def run(out, run_id):
    args = ["--runtime", "duckdb", "--source_path", str(SAMPLE_DATA), "--output_path", str(out), "--as_of", "2022-06-30"]
    return main([*args, "--run_id", run_id, "--catalog_database", "sales"])


def drift(glue, database="sales"):
    """After a published run c1: a table whose columns changed, a stale partition and a missing
    one, so the next publish makes every kind of Glue write."""
    glue.delete_table(DatabaseName=database, Name="account_details")
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": "account_details",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": [{"Name": "old", "Type": "string"}], "Location": "s3://elsewhere/"},
        },
    )
    glue.create_partition(
        DatabaseName=database, TableName="fact_sales", PartitionInput={"Values": ["1999", "1"], "StorageDescriptor": {"Location": "s3://elsewhere/1999"}}
    )
    first = glue.get_partitions(DatabaseName=database, TableName="fact_sales_processed")["Partitions"][0]
    glue.delete_partition(DatabaseName=database, TableName="fact_sales_processed", PartitionValues=first["Values"])


def assert_converged(glue, out, run_id, database="sales"):
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["run_id"] == run_id
    contract = table_schemas()
    for name in TABLES:
        table = glue.get_table(DatabaseName=database, Name=name)["Table"]
        recorded = manifest["tables"][name]
        assert table["TableType"] == "EXTERNAL_TABLE", name
        assert table["StorageDescriptor"]["Location"] == recorded["path"], name
        columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"] + table.get("PartitionKeys", [])]
        assert columns == [(c[0], c[1]) for c in contract[name]], name
        found = {
            tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in glue.get_partitions(DatabaseName=database, TableName=name).get("Partitions", [])
        }
        wanted = {
            tuple(str(p[c]) for c in recorded["partitioned_by"]): recorded["path"] + "".join(f"/{c}={p[c]}" for c in recorded["partitioned_by"])
            for p in recorded.get("partitions", [])
        }
        assert found == wanted, name


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", WRITES)
def test_a_fault_in_any_catalog_write_converges_by_the_same_run_or_its_rerun(glue, tmp_path, monkeypatch, capsys, operation, kind):
    out = tmp_path / "out"
    assert run(out, "c1") == 0
    drift(glue)
    fault = Fault(operation, kind)
    plain_client = glue_catalog._client

    def faulty_client():
        client = plain_client()
        fault.install(client)
        return client

    monkeypatch.setattr(glue_catalog, "_client", faulty_client)
    capsys.readouterr()
    code = run(out, "c2")
    err = capsys.readouterr().err.strip().splitlines()
    assert fault.fired == 1, f"{operation} was not called by the publish"
    if kind == "cut":
        assert code != 0 and len(err) == 1, err
        assert "run c2 is published" in err[0] and "--run_id c2" in err[0] and "testing" not in err[0], err
        assert run(out, "c2") == 0, "the rerun the message names"
    else:
        assert code == 0, f"a {kind} fault on {operation} is retried to the same end: {err}"
    assert_converged(glue, out, "c2")
