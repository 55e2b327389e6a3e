"""The jobs' image (the repository's Dockerfile): run as a user runs it, it computes exactly the
tables the same job computes natively with this machine's Spark; both jobs and both runtimes."""

from __future__ import annotations

import subprocess
import sys

from conftest import PYTHON, REPO, container_env, published_tables, run_in_image, table_rows


def native(job: str, folder, *args) -> subprocess.CompletedProcess:
    """The job as jobs/run_local.sh runs it: its artifact, spark-submit on this machine."""
    artifact = folder / "artifact" / job
    subprocess.run([PYTHON, str(REPO / "jobs" / "build_artifact.py"), str(REPO / "jobs" / job), str(artifact), "--library", str(REPO / "jobs" / "common")],
                   check=True, capture_output=True)  # fmt: skip
    submit = subprocess.run(
        [PYTHON, "-c", "import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), 'bin', 'spark-submit'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    command = [submit, "--master", "local[*]", "--conf", "spark.ui.enabled=false", "--conf", "spark.log.level=WARN",
               "--py-files", str(artifact / "code.zip"), str(artifact / "main.py"), *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=container_env(PYSPARK_PYTHON=sys.executable))


def assert_same_tables(expected_out, actual_out, names):
    expected, actual = published_tables(expected_out), published_tables(actual_out)
    assert sorted(actual) == sorted(expected) == sorted(names)
    for name in names:
        want, got = table_rows(expected[name]), table_rows(actual[name])
        assert len(got) == len(want) and len(want) > 0, f"{name}: {len(got)} rows in the image, {len(want)} natively"
        assert got == want, f"{name}: the image's rows differ from the native run's"


SALES_TABLES = [
    "account_details", "invoice_details", "fact_sales", "fact_sales_processed", "monthly_sales_summary", "client_profile", "quarantine",
]  # fmt: skip


def test_default_run_is_sales_etl_on_the_sample_with_its_report(image, tmp_path):
    ran = run_in_image(image, tmp_path)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "sales_etl: run " in ran.stdout and " succeeded " in ran.stdout, ran.stdout
    assert "  fact_sales                      482 rows  -> file:/job/_out/sales_etl/fact_sales/run_id=" in ran.stdout, ran.stdout
    assert (tmp_path / "_out" / "sales_etl" / "_manifest.json").is_file()
    assert "Spark version 3.5.4" in ran.stderr, "the image's Spark is Glue 5.0's"


def test_sales_etl_in_the_image_writes_exactly_the_native_rows(image, tmp_path):
    args = ["--as_of", "2022-06-30", "--overdue_days", "7"]
    image_out, native_out = tmp_path / "image", tmp_path / "native"
    ran = run_in_image(image, tmp_path, "sales_etl", "--output_path", str(image_out), *args)
    assert ran.returncode == 0, ran.stderr[-3000:]
    here = native("sales_etl", tmp_path, "--source_path", str(REPO / "jobs" / "sample_data"), "--output_path", str(native_out), *args)
    assert here.returncode == 0, here.stderr[-3000:]
    assert_same_tables(native_out, image_out, SALES_TABLES)


def test_cdc_merge_in_the_image_writes_exactly_the_native_state(image, tmp_path):
    image_out, native_out = tmp_path / "image", tmp_path / "native"
    ran = run_in_image(image, tmp_path, "cdc_merge", "--output_path", str(image_out))
    assert ran.returncode == 0, ran.stderr[-3000:]
    sample = str(REPO / "jobs" / "sample_cdc" / "billing")
    here = native("cdc_merge", tmp_path, "--input_path", sample, "--input_format", "csv", "--output_path", str(native_out))
    assert here.returncode == 0, here.stderr[-3000:]
    assert_same_tables(native_out, image_out, ["accounts", "invoices", "invoice_line_items", "skus"])


def test_the_duckdb_runtime_in_the_image_gives_the_spark_runtime_s_rows(image, tmp_path):
    spark_out, duck_out = tmp_path / "spark", tmp_path / "duckdb"
    for out, extra in ((spark_out, []), (duck_out, ["--runtime", "duckdb"])):
        ran = run_in_image(image, tmp_path, "sales_etl", "--output_path", str(out), "--as_of", "2021-06-30", *extra)
        assert ran.returncode == 0, ran.stderr[-3000:]
    assert_same_tables(spark_out, duck_out, SALES_TABLES)


def test_an_unknown_job_is_one_line_naming_the_jobs(image, tmp_path):
    ran = run_in_image(image, tmp_path, "nightly_report")
    assert ran.returncode == 2
    assert ran.stderr.strip() == "run-job: no job 'nightly_report' in this image: choose one of: cdc_merge sales_etl", ran.stderr


def test_the_image_runs_as_a_non_root_user_by_default(image):
    from conftest import podman

    assert podman("run", "--rm", "--entrypoint", "id", image, "-un").stdout.strip() == "etl"
