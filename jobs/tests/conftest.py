"""Shared fixtures: one local SparkSession for the whole test session. The jobs are installed
packages (jobs/*/pyproject.toml, editable: Tests/jobs-pythons.sh, Tests/setup.sh)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

JOBS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = JOBS_DIR.parent
JOB_DIR = JOBS_DIR / "sales_etl"
COMMON_DIR = JOBS_DIR / "common"  # the library every job ships (build with libraries=[COMMON_DIR])
SAMPLE_DATA = JOBS_DIR / "sample_data"


def real_data_dir() -> Path | None:
    """The real extracts: $CARSALES_DATA, else <repo>/../shared/carsales-data-extracts."""
    candidate = Path(os.environ.get("CARSALES_DATA") or REPO_ROOT.parent / "shared" / "carsales-data-extracts")
    return candidate if (candidate / "invoice_line_items.csv").is_file() else None


def published(out: Path, table: str) -> Path:
    """Where _manifest.json says the published run's table is (a local path)."""
    manifest = json.loads((out / "_manifest.json").read_text())
    location = manifest["quarantine" if table == "quarantine" else "tables"]
    location = location["path"] if table == "quarantine" else location[table]["path"]
    return Path(location.removeprefix("file:"))


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under root: byte-identity of a table."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    # Local Spark binds to the host's address unless told otherwise: keep it on loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    from sales_etl.job import SESSION_CONF

    # Spark's own persistent catalog (a Hive metastore in Derby, as `spark-submit` gets with
    # catalog_database set) in a temporary directory: the same client code path that talks to
    # the Glue Data Catalog on AWS.
    catalog_dir = tmp_path_factory.mktemp("catalog")
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("sales_etl-tests")
        .enableHiveSupport()
        .config("spark.sql.warehouse.dir", str(catalog_dir / "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={catalog_dir / 'metastore_db'};create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={catalog_dir}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "1")
        .config("spark.log.level", "ERROR")
    )
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    yield session
    session.stop()


@pytest.fixture
def glue(monkeypatch):
    """moto's Glue in-process with a database `sales`: the DuckDB runtime's own boto3 client
    (made inside the job) talks to it."""
    import boto3
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_GLUE", raising=False)
    with mock_aws():
        client = boto3.client("glue")
        client.create_database(DatabaseInput={"Name": "sales"})
        yield client
