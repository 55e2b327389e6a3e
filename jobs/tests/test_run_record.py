"""The run record: one dataclass for both runtimes, the document readers see."""

from __future__ import annotations

import json

from sales_etl.publish import manifest_text, publish_manifest, write_run_record
from sales_etl.record import RunRecord


def record(runtime: str = "spark", version: str = "3.5.1", partitions: int | None = 8) -> RunRecord:
    return RunRecord(
        job="sales_etl",
        run_id="r1",
        as_of="2024-01-31",
        ingest_ts="2024-02-01T00:00:00+00:00",
        runtime=runtime,
        runtime_version=version,
        config={"run_id": "r1"},
        input_bytes=1234,
        previous_run_id=None,
        shuffle_partitions=partitions,
    )


class Store:
    """The text half of the storage the job writes through."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write_text(self, path: str, text: str) -> None:
        self.files[path] = text

    def replace_text(self, path: str, text: str, token: str) -> None:
        self.files[path] = text


def test_inputs_count_rows_and_the_quarantined_share():
    run = record()
    assert run.record_inputs({"accounts": "s3://b/a.csv", "skus": "s3://b/s.csv"}, {"accounts": (7, 1), "skus": (2, 0)}) == (10, 1, 0.1)
    assert run.inputs["accounts"] == {"path": "s3://b/a.csv", "rows_read": 8, "rows_valid": 7, "rows_quarantined": 1}
    run.set_quarantine("s3://b/out/quarantine/run_id=r1", 1, 1 / 3, 0.05)
    assert run.quarantine == {"path": "s3://b/out/quarantine/run_id=r1", "rows": 1, "ratio": 0.333333, "max_ratio": 0.05}
    assert record().record_inputs({"accounts": "p"}, {}) == (0, 0, 0.0)


def test_a_failed_spark_run_records_its_error_and_nothing_of_a_publish():
    run = record()
    run.timings_s["extract_and_check"] = 1.5
    run.failed("failed", 2.25, error="writing fact_sales: boom")
    document = run.as_dict()
    assert document["spark_version"] == "3.5.1" and "duckdb_version" not in document
    assert (document["status"], document["error"], document["duration_s"], document["shuffle_partitions"]) == ("failed", "writing fact_sales: boom", 2.25, 8)
    assert document["timings_s"] == {"extract_and_check": 1.5} and document["previous_run_id"] is None
    assert not {"catalog_database", "published_at", "retained_runs"} & set(document)


def test_a_published_duckdb_run_names_its_catalog_database_even_when_none():
    run = record("duckdb", "1.1.3", None)
    run.tables["fact_sales"] = {"rows": 3}
    run.succeeded(["r1", "r0"], None, 0.5)
    document = run.as_dict()
    assert document["duckdb_version"] == "1.1.3" and "spark_version" not in document and "shuffle_partitions" not in document
    assert (document["status"], document["retained_runs"], document["catalog_database"]) == ("succeeded", ["r1", "r0"], None)
    assert "error" not in document and document["published_at"].endswith("+00:00")
    assert document["tables"] == {"fact_sales": {"rows": 3}}


def test_the_record_and_the_manifest_are_the_same_sorted_document():
    run = record()
    run.succeeded(["r1"], "sales", 1.0)
    store = Store()
    assert write_run_record(store, "s3://b/out", run) == "s3://b/out/_runs/r1.json"
    publish_manifest(store, "s3://b/out", run)
    assert store.files["s3://b/out/_runs/r1.json"] == store.files["s3://b/out/_manifest.json"] == manifest_text(run)
    assert json.loads(manifest_text(run)) == run.as_dict()
    assert list(json.loads(manifest_text(run))) == sorted(run.as_dict())


def test_begin_takes_the_run_from_its_config(tmp_path):
    import datetime as dt

    from conftest import SAMPLE_DATA
    from sales_etl.config import load_default_config, merge, resolve

    started = dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)
    given = {"run_id": "r9", "as_of": "2024-01-31", "source_path": str(SAMPLE_DATA), "output_path": str(tmp_path)}
    cfg = resolve(merge(load_default_config(), given, "test"), started)
    run = RunRecord.begin(cfg, started, "duckdb", "1.2.2", 10, {"run_id": "r8"})
    assert (run.run_id, run.as_of, run.ingest_ts, run.previous_run_id) == ("r9", "2024-01-31", "2024-02-01T00:00:00+00:00", "r8")
    assert run.config == cfg.as_dict() and run.shuffle_partitions is None and run.input_bytes == 10
    assert RunRecord.begin(cfg, started, "spark", "3.5.1", 10, None, shuffle_partitions=4).as_dict()["shuffle_partitions"] == 4
