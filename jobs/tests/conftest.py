"""Shared fixtures: import paths and one local SparkSession for the whole test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

JOBS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = JOBS_DIR.parent
JOB_DIR = JOBS_DIR / "sales_etl"
SAMPLE_DATA = JOBS_DIR / "sample_data"

for entry in (JOB_DIR / "src", JOBS_DIR):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


def real_data_dir() -> Path | None:
    """The real extracts: $CARSALES_DATA, else <repo>/../shared/carsales-data-extracts."""
    candidate = Path(os.environ.get("CARSALES_DATA") or REPO_ROOT.parent / "shared" / "carsales-data-extracts")
    return candidate if (candidate / "invoice_line_items.csv").is_file() else None


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    # Local Spark binds to the host's address unless told otherwise: keep it on loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    from sales_etl.job import SESSION_CONF

    builder = (
        SparkSession.builder.master("local[1]")
        .appName("sales_etl-tests")
        .config("spark.ui.enabled", "false")
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
