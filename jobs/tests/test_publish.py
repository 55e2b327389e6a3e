"""Atomic publication: run-scoped writes, the catalog (Spark's own Hive metastore, the same client
path as the Glue Data Catalog), retention, and a run killed in the middle of its writes."""

import json
import os
import signal
import subprocess
import time

import pytest

from artifact_helpers import submit_command
from build_artifact import build
from conftest import COMMON_DIR, JOB_DIR, SAMPLE_DATA, published, tree_digest
from sales_etl import TABLES
from sales_etl.cli import main

COMMON = ["--source_path", str(SAMPLE_DATA), "--as_of", "2021-05-31", "--shuffle_partitions", "2"]
DB = "carsales"


def catalog_location(spark, table):
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {DB}.{table}").where("col_name = 'Location'").collect()
    return rows[0].data_type


def files_read(spark, table):
    """The files a query of the catalog table reads (table and partition locations together)."""
    return {r.f for r in spark.sql(f"SELECT DISTINCT input_file_name() AS f FROM {DB}.{table}").collect()}


def run_dirs(out, table):
    return sorted(p.name for p in (out / table).iterdir() if p.name.startswith("run_id="))


@pytest.fixture(scope="module")
def catalog_runs(spark, tmp_path_factory):
    """Two published runs with catalog_database, then a third that fails while writing."""
    import sales_etl.job as job

    out = tmp_path_factory.mktemp("catalog") / "out"
    args = [*COMMON, "--output_path", str(out), "--catalog_database", DB]
    assert main([*args, "--run_id", "c1"]) == 0
    assert main([*args, "--run_id", "c2"]) == 0
    published_before = {name: tree_digest(published(out, name)) for name in TABLES}
    real_write = job.write_table

    def failing_write(storage, df, path, *a, **kw):
        if "/monthly_sales_summary/" in path:
            raise OSError("executor lost (injected)")
        return real_write(storage, df, path, *a, **kw)

    job.write_table = failing_write
    try:
        assert main([*args, "--run_id", "c3"]) == 1
    finally:
        job.write_table = real_write
    return out, args, published_before


def test_after_a_failed_third_run_the_catalog_points_at_run_two(spark, catalog_runs):
    out, _, published_before = catalog_runs
    assert json.loads((out / "_manifest.json").read_text())["run_id"] == "c2"
    assert json.loads((out / "_runs" / "c3.json").read_text())["status"] == "failed"
    for name in TABLES:
        assert catalog_location(spark, name) == f"file:{out}/{name}/run_id=c2"
        files = files_read(spark, name)
        assert files and all(f"/{name}/run_id=c2/" in f for f in files), (name, sorted(files)[:3])
        assert tree_digest(published(out, name)) == published_before[name]
    # Every partition of the fact tables is registered, each at the run's directory.
    parts = [r.partition for r in spark.sql(f"SHOW PARTITIONS {DB}.fact_sales").collect()]
    on_disk = sorted(str(p.relative_to(out / "fact_sales" / "run_id=c2")) for p in (out / "fact_sales" / "run_id=c2").glob("year=*/month=*"))
    assert sorted(parts) == on_disk and len(parts) == 12


def test_select_from_the_catalog_equals_the_published_files(spark, catalog_runs):
    out, _, _ = catalog_runs
    for name in TABLES:
        via_catalog = spark.sql(f"SELECT * FROM {DB}.{name}")
        files = spark.read.parquet(str(published(out, name)))
        assert via_catalog.columns == files.columns
        assert via_catalog.count() == files.count() > 0
        assert via_catalog.exceptAll(files).count() == 0 and files.exceptAll(via_catalog).count() == 0
    # The question a user asks, without knowing any path.
    total = spark.sql(f"SELECT sum(total_sale_value) AS s FROM {DB}.fact_sales WHERE year = 2021").first().s
    from_files = spark.read.parquet(str(published(out, "fact_sales"))).where("year = 2021")
    assert total == from_files.groupBy().sum("total_sale_value").first()[0]


def test_retention_removes_only_expired_and_unpublished_runs(spark, catalog_runs):
    out, args, _ = catalog_runs
    for name in (*TABLES, "quarantine"):
        assert {"run_id=c1", "run_id=c2"} <= set(run_dirs(out, name))
    for name in ("quarantine", "account_details", "invoice_details", "fact_sales"):
        assert "run_id=c3" in run_dirs(out, name)  # started before c3 failed; never published
    assert main([*args, "--run_id", "c4", "--retention_runs", "2"]) == 0
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["retained_runs"] == ["c4", "c2"]
    for name in (*TABLES, "quarantine"):
        # c1 expired (third newest published run), c3 never published: both gone; c2 and c4 stay.
        assert run_dirs(out, name) == ["run_id=c2", "run_id=c4"], name
    for name in TABLES:
        assert catalog_location(spark, name) == f"file:{out}/{name}/run_id=c4"
        assert spark.sql(f"SELECT * FROM {DB}.{name}").count() == manifest["tables"][name]["rows"]
    # Every run's record stays: the history of what ran.
    assert sorted(p.name for p in (out / "_runs").glob("*.json")) == ["c1.json", "c2.json", "c3.json", "c4.json"]


def test_a_run_killed_in_the_middle_of_writing_leaves_the_published_tables_intact(spark, tmp_path):
    """spark-submit of the artifact, killed (SIGKILL, whole process group) as soon as it is
    writing fact_sales: the published run's files are byte-identical and readable, nothing of the
    killed run is published, and a rerun of the killed run_id completes."""
    out = tmp_path / "out"
    assert main([*COMMON, "--output_path", str(out), "--run_id", "k1"]) == 0
    manifest_before = (out / "_manifest.json").read_bytes()
    before = {name: tree_digest(published(out, name)) for name in (*TABLES, "quarantine")}

    artifact = tmp_path / "artifact"
    build(JOB_DIR, artifact, [COMMON_DIR])
    command, env = submit_command(
        artifact,
        *COMMON,
        "--output_path",
        str(out),
        "--run_id",
        "k2",
    )
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    target = out / "fact_sales" / "run_id=k2"
    deadline = time.monotonic() + 240
    try:
        while not target.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert target.exists(), "the run never started writing fact_sales"
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    # Killed in the middle: later tables of the run were never completed.
    assert not (out / "monthly_sales_summary" / "run_id=k2" / "_SUCCESS").exists()
    # Killed before publishing: no record, the same manifest, the same bytes in every published table.
    assert not (out / "_runs" / "k2.json").exists()
    assert (out / "_manifest.json").read_bytes() == manifest_before
    assert {name: tree_digest(published(out, name)) for name in (*TABLES, "quarantine")} == before
    manifest = json.loads(manifest_before)
    for name in TABLES:
        assert spark.read.parquet(str(published(out, name))).count() == manifest["tables"][name]["rows"]
    # The same run_id again: it completes, and its leftovers are replaced rather than mixed in.
    assert main([*COMMON, "--output_path", str(out), "--run_id", "k2"]) == 0
    again = json.loads((out / "_manifest.json").read_text())
    assert again["run_id"] == "k2" and again["retained_runs"] == ["k2", "k1"]
    for name in TABLES:
        assert spark.read.parquet(str(published(out, name))).count() == manifest["tables"][name]["rows"]
        assert not list((out / name / "run_id=k2").rglob("_temporary"))


def test_the_rerun_of_a_published_run_registers_its_partitions_where_they_are(spark, tmp_path):
    """The repair path (a catalog step that failed after the publish) builds the catalog from the
    run record read back from JSON, whose partition values come with sorted keys (month, year)."""
    out, db = tmp_path / "out", "repair"
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
    args = [*COMMON, "--output_path", str(out), "--catalog_database", db, "--run_id", "r1"]
    assert main(args) == 0
    spark.sql(f"DROP TABLE {db}.fact_sales")
    assert main(args) == 0, "the rerun of the published run id"
    rows = json.loads((out / "_manifest.json").read_text())["tables"]["fact_sales"]["rows"]
    assert spark.sql(f"SELECT count(*) AS n FROM {db}.fact_sales").first().n == rows > 0
    spark.sql(f"DROP DATABASE {db} CASCADE")


def test_a_catalog_table_the_job_does_not_own_is_left_alone(spark, tmp_path, capsys):
    """A managed table (dropping it would delete its files) or a view of the same name is not
    replaced: the run is published in _manifest.json and the job says the catalog was not updated."""
    spark.sql("CREATE DATABASE IF NOT EXISTS someone_else")
    spark.sql("CREATE TABLE IF NOT EXISTS someone_else.fact_sales (x INT) USING parquet")
    spark.sql("INSERT INTO someone_else.fact_sales VALUES (42)")
    out = tmp_path / "out"
    capsys.readouterr()
    assert main([*COMMON, "--output_path", str(out), "--run_id", "m1", "--catalog_database", "someone_else"]) == 5
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"sales_etl: error: run m1 is published in {out}/_manifest.json but updating catalog database")
    assert "someone_else.fact_sales exists as a managed table" in err and err.endswith("--run_id m1 to point the catalog at it")
    assert json.loads((out / "_manifest.json").read_text())["run_id"] == "m1"
    assert [r.x for r in spark.sql("SELECT x FROM someone_else.fact_sales").collect()] == [42]
