"""kill -9 at every Glue call of the DuckDB runtime's catalog step, then the rerun its message
would name: the catalog must converge to the published run, whatever the call the process died
before or (for a write) just after. The job runs in a subprocess against moto's Glue server on
127.0.0.1 (state outlives the killed process); a botocore event handler on boto3's default
session, installed by the test's wrapper and not by the job, sends SIGKILL at the N-th call."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import boto3
import pytest
from moto.server import ThreadedMotoServer

from conftest import SAMPLE_DATA
from test_duckdb_catalog_faults import WRITES, assert_converged, drift

WRAPPER = textwrap.dedent(
    """
    import atexit, os, signal, sys
    import boto3
    at, when, count = int(os.environ["KILL_AT"]), os.environ["KILL_WHEN"], os.environ["COUNT_FILE"]
    calls = {"n": 0, "writes": []}

    def before(model, **_):
        calls["n"] += 1
        if not model.name.startswith("Get"):
            calls["writes"].append("%d:%s" % (calls["n"], model.name))
        if when == "before" and calls["n"] == at:
            os.kill(os.getpid(), signal.SIGKILL)

    def after(**_):
        if when == "after" and calls["n"] == at:
            os.kill(os.getpid(), signal.SIGKILL)

    def record():
        with open(count, "w") as out:
            out.write("%d %s" % (calls["n"], ",".join(map(str, calls["writes"]))))

    atexit.register(record)
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-call.glue", before)
    boto3.DEFAULT_SESSION.events.register("after-call.glue", after)
    from sales_etl.cli import main
    code = main(sys.argv[1:])
    record()
    sys.exit(code)
    """
)


@pytest.fixture(scope="module")
def glue_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def environment(endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-1", AWS_ENDPOINT_URL_GLUE=endpoint)
    return env


class Job:
    def __init__(self, tmp_path, endpoint):
        self.out, self.env, self.tmp = tmp_path / "out", environment(endpoint), tmp_path
        self.wrapper = tmp_path / "wrapper.py"
        self.wrapper.write_text(WRAPPER)
        self.glue = boto3.client("glue", endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")

    def run(self, run_id, database=None, kill_at=0, when="before"):
        """(exit status, Glue calls made, {call number: operation} of the writes)."""
        count = self.tmp / "count"
        count.unlink(missing_ok=True)
        args = ["--runtime", "duckdb", "--source_path", str(SAMPLE_DATA), "--output_path", str(self.out), "--as_of", "2021-06-30", "--run_id", run_id]
        # Four months: partitions enough for every kind of partition write, few enough that
        # killing the process at every call stays quick.
        args += ["--earliest_entry_date", "2021-03-01"]
        if database:
            args += ["--catalog_database", database]
        env = dict(self.env, KILL_AT=str(kill_at), KILL_WHEN=when, COUNT_FILE=str(count))
        done = subprocess.run([sys.executable, str(self.wrapper), *args], env=env, capture_output=True, text=True, timeout=300)
        calls, writes = (count.read_text().split(" ") + [""])[:2] if count.exists() else ("0", "")
        return done, int(calls), {int(w.split(":")[0]): w.split(":")[1] for w in writes.split(",") if w}


def clone(glue, source, target):
    """A new database `target` holding what `source` holds: its tables and their partitions."""
    glue.create_database(DatabaseInput={"Name": target})
    keys = ("Name", "TableType", "StorageDescriptor", "PartitionKeys", "Parameters")
    for table in glue.get_tables(DatabaseName=source)["TableList"]:
        glue.create_table(DatabaseName=target, TableInput={k: table[k] for k in keys if k in table})
        partitions = glue.get_partitions(DatabaseName=source, TableName=table["Name"]).get("Partitions", [])
        inputs = [{"Values": p["Values"], "StorageDescriptor": p["StorageDescriptor"]} for p in partitions]
        if inputs:
            glue.batch_create_partition(DatabaseName=target, TableName=table["Name"], PartitionInputList=inputs)


@pytest.mark.parametrize("scenario", ["empty", "drifted"])
def test_kill_9_at_every_catalog_call_then_the_rerun_converges(glue_server, tmp_path, scenario):
    """empty: the first registration (CreateTable, BatchCreatePartition); drifted: the catalog of
    the published run with a table's columns changed, a stale partition and a missing one
    (DeleteTable, CreateTable, UpdateTable, BatchCreatePartition, UpdatePartition, DeletePartition)."""
    job = Job(tmp_path, glue_server)
    # Run c1 publishes its data without a catalog; each kill point then repairs the catalog of a
    # database of its own, cloned from the scenario's (the rerun of the published run: only the
    # catalog step runs).
    first, _, _ = job.run("c1")
    assert first.returncode == 0, first.stderr
    template = f"{scenario}_template"
    job.glue.create_database(DatabaseInput={"Name": template})
    if scenario == "drifted":
        done, _, _ = job.run("c1", template)
        assert done.returncode == 0, done.stderr
        drift(job.glue, template)

    clone(job.glue, template, f"{scenario}_probe")
    clean, calls, writes = job.run("c1", f"{scenario}_probe")
    assert clean.returncode == 0, clean.stderr
    kinds = {"empty": {"CreateTable", "BatchCreatePartition"}}.get(scenario, set(WRITES))
    assert kinds <= set(writes.values()), (calls, writes)
    print(f"{scenario}: {calls} Glue calls, {len(writes)} of them writes: {calls + len(writes)} kill points")
    points = [(n, "before") for n in range(1, calls + 1)] + [(n, "after") for n in writes]
    for index, (n, when) in enumerate(points):
        database = f"{scenario}_{index}"
        clone(job.glue, template, database)
        killed, _, _ = job.run("c1", database, kill_at=n, when=when)
        assert killed.returncode == -9, f"kill {when} call {n}: exit {killed.returncode}\n{killed.stderr[-2000:]}"
        rerun, _, _ = job.run("c1", database)
        assert rerun.returncode == 0, f"rerun after kill {when} call {n}: {rerun.stderr[-2000:]}"
        assert_converged(job.glue, job.out, "c1", database)
