"""The DuckDB runtime on its own: no Spark session, the job's command line, its refusals.

test_runtimes_agree.py proves its tables equal the Spark runtime's; these prove it behaves as
the job does (report, rerun, failures, exit codes) and refuses what it cannot do in one line.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import JOB_DIR, SAMPLE_DATA
from sales_etl.cli import main
from sales_etl.duck import job as duck_job
from sales_etl.duck.quality import record
from sales_etl.duck.translate import to_duckdb
from sales_etl.errors import ConfigError


def args(out, *more):
    return ["--runtime", "duckdb", "--source_path", str(SAMPLE_DATA), "--output_path", str(out), "--as_of", "2022-06-30", *more]


def test_a_run_reports_publishes_and_a_rerun_changes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(args(out, "--run_id", "d1")) == 0
    printed = capsys.readouterr().out
    assert "sales_etl: run d1 succeeded" in printed and "fact_sales" in printed
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["run_id"] == "d1" and manifest["runtime"] == "duckdb" and manifest["status"] == "succeeded"
    assert manifest["tables"]["fact_sales"]["rows"] == 482 and manifest["quarantine"]["rows"] == 4
    assert manifest["tables"]["fact_sales"]["partitions"][0] == {"year": 2020, "month": 6}
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert any(f.startswith("fact_sales/run_id=d1/year=2020/month=6/part-") for f in files)

    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert main(args(out, "--run_id", "d1")) == 0
    assert "run d1 is already published; nothing was recomputed" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before

    # A new run publishes over it; retention keeps the last three published runs.
    for run in ("d2", "d3", "d4"):
        assert main(args(out, "--run_id", run)) == 0
    assert sorted(p.name for p in (out / "fact_sales").iterdir()) == ["run_id=d2", "run_id=d3", "run_id=d4"]


def test_a_run_failing_mid_write_publishes_nothing(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(args(out, "--run_id", "ok")) == 0
    published = (out / "_manifest.json").read_text()
    real = duck_job.stream_table

    def failing(storage, reader, schema, path, partition_by):
        if "/fact_sales/" in path:
            raise OSError("disk full")
        return real(storage, reader, schema, path, partition_by)

    monkeypatch.setattr(duck_job, "stream_table", failing)
    capsys.readouterr()
    assert main(args(out, "--run_id", "bad")) == 1
    err = capsys.readouterr().err
    assert err.strip() == "sales_etl: error: run bad failed while writing fact_sales (disk full); nothing was published; run ok stays published"
    assert (out / "_manifest.json").read_text() == published
    assert json.loads((out / "_runs" / "bad.json").read_text())["status"] == "failed"


def test_too_many_bad_rows_exit_4_with_the_quarantine_written(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(args(out, "--run_id", "dq", "--dq_max_quarantine_ratio", "0.001")) == 4
    err = capsys.readouterr().err
    assert "4 of 672 source rows (0.60%) failed data quality checks, above dq_max_quarantine_ratio=0.001" in err
    assert not (out / "_manifest.json").exists() and list((out / "quarantine" / "run_id=dq").glob("*.parquet"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--runtime", "polars"], "config key 'runtime': 'polars' is not one of spark, duckdb"),
        (
            ["--duckdb_max_input_bytes", "1000"],
            "config key 'runtime': the input is 16.75 KiB, above duckdb_max_input_bytes (1,000 bytes) for one machine; run this job with runtime spark",
        ),
        (["--duckdb_max_input_bytes", "lots"], "config key 'duckdb_max_input_bytes': 'lots' is not a whole number"),
        (["--duckdb_max_input_bytes", "0"], "config key 'duckdb_max_input_bytes': 0 must be >= 1"),
        (["--output_format", "csv"], "config key 'output_format': the duckdb runtime writes parquet only"),
    ],
)
def test_what_the_runtime_cannot_do_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    assert main([*args(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not out.exists() or not (out / "_manifest.json").exists()


def test_a_missing_source_is_named(tmp_path, capsys):
    assert main(args(tmp_path / "out", "--skus_path", str(tmp_path / "nope.csv"))) == 3
    assert f"source 'skus' at {tmp_path / 'nope.csv'} cannot be read" in capsys.readouterr().err


def test_spark_only_sql_is_named_with_its_file_and_line():
    with pytest.raises(ConfigError, match=r"^models/t.sql:3: function input_file_name\(\) is Spark-only"):
        to_duckdb("-- a model\nSELECT a,\n  input_file_name() AS f\nFROM t", "models/t.sql")
    with pytest.raises(ConfigError, match=r"^models/t.sql:1: Spark SQL that cannot be parsed"):
        to_duckdb("SELECT a FROM t WHERE", "models/t.sql")
    # Spark's dayofweek is 1 = Sunday; DuckDB's is 0 = Sunday: the translation adds one.
    assert "(DAYOFWEEK(CAST(d AS DATE)) + 1)" in to_duckdb("SELECT dayofweek(d) FROM t", "x")
    assert "$as_of" in to_duckdb("SELECT datediff(:as_of, d) FROM t", "x")
    # A division whose operands' types the translation cannot find (a column no input has) is
    # named rather than translated as a DOUBLE division that may round otherwise than Spark.
    types = {"t": {"a": "decimal(10,2)", "b": "decimal(10,2)"}}
    with pytest.raises(ConfigError, match=r"^models/t.sql:1: the model's column types cannot be resolved .*Unknown column: nope"):
        to_duckdb("SELECT t.nope / t.b AS r FROM t", "models/t.sql", types)
    # Names differ in case only, as Spark allows: resolved, and the division is exact.
    assert "HUGEINT" in to_duckdb("SELECT T.A / t.B AS r FROM T", "models/t.sql", types).upper().replace("INT128", "HUGEINT")


def test_every_packaged_model_translates():
    assert set(duck_job.translated_models()) == {p.stem for p in (JOB_DIR / "src" / "sales_etl" / "models").glob("*.sql")}


def test_the_quarantine_record_is_written_as_spark_writes_it():
    assert record({"a": "1", "b": None, "c": 'Müller "x"\nTown'}) == '{"a":"1","c":"Müller \\"x\\"\\nTown"}'


def test_it_runs_where_pyspark_cannot_be_imported(tmp_path):
    # As on a Glue Python shell job: importing pyspark fails, the run must not need it.
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pyspark' or name.startswith('pyspark.'): raise ImportError('no pyspark here')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.argv = ['main.py', *{args(tmp_path / 'out', '--run_id', 'np')!r}]\n"
        "import runpy\n"
        f"runpy.run_path({str(JOB_DIR / 'main.py')!r}, run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sales_etl: run np succeeded" in done.stdout
