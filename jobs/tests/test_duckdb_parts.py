"""duck.parts: batches written as part files by several threads, read back exactly."""

from __future__ import annotations

import threading

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from sales_etl.duck import parts

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string()), pa.field("year", pa.int32()), pa.field("month", pa.int32())])


def _batches(n: int, size: int) -> list[pa.RecordBatch]:
    rows = [{"id": i, "name": f"n{i}" if i % 7 else None, "year": 2020 + i % 2, "month": 1 + i % 3} for i in range(n)]
    return [pa.RecordBatch.from_pylist(rows[i : i + size], schema=SCHEMA) for i in range(0, n, size)]


@pytest.mark.parametrize("threads", [1, 3])
def test_partitioned_parts_hold_every_row_once_under_hive_directories(tmp_path, monkeypatch, threads):
    monkeypatch.setattr(parts, "writer_threads", lambda: threads)
    monkeypatch.setattr(parts, "ROW_GROUP_ROWS", 50)  # several row groups per file
    rows, keys = parts.write_parts(_batches(1000, 64), pafs.LocalFileSystem(), str(tmp_path), SCHEMA, ("year", "month"), local=True)
    assert rows == 1000
    assert keys == {(y, m) for y in (2020, 2021) for m in (1, 2, 3)}
    files = sorted(p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*.parquet"))
    assert len(files) == 6 * threads, "one file per writer in each partition"
    assert all(f[0].startswith("year=") and f[1].startswith("month=") for f in files)
    back = ds.dataset(str(tmp_path), format="parquet", partitioning="hive").to_table()
    assert "year" not in ds.dataset(str(tmp_path / "year=2020" / "month=1"), format="parquet").schema.names, "partition values live in the path only"
    assert sorted(back.column("id").to_pylist()) == list(range(1000))
    by_id = {r["id"]: r for r in back.to_pylist()}
    assert by_id[14]["name"] is None and by_id[15]["name"] == "n15" and (by_id[15]["year"], by_id[15]["month"]) == (2021, 1)


def test_unpartitioned_parts_keep_the_schema_and_an_empty_table_is_one_empty_file(tmp_path, monkeypatch):
    monkeypatch.setattr(parts, "writer_threads", lambda: 2)
    rows, keys = parts.write_parts(_batches(300, 100), pafs.LocalFileSystem(), str(tmp_path / "t"), SCHEMA, (), local=True)
    back = ds.dataset(str(tmp_path / "t"), format="parquet").to_table()
    assert (rows, keys, back.num_rows) == (300, {()}, 300)
    assert back.schema.field("id").nullable is False, "a required column stays required"
    rows, keys = parts.write_parts([], pafs.LocalFileSystem(), str(tmp_path / "e"), SCHEMA, (), local=True)
    assert (rows, keys) == (0, set())
    assert ds.dataset(str(tmp_path / "e"), format="parquet").to_table().schema == SCHEMA


def test_a_writer_that_fails_fails_the_write_and_no_thread_is_left_waiting(tmp_path, monkeypatch):
    monkeypatch.setattr(parts, "writer_threads", lambda: 2)
    monkeypatch.setattr(parts, "ROW_GROUP_ROWS", 10)

    def refuse(*_args, **_kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(parts.pq, "ParquetWriter", refuse)
    with pytest.raises(OSError, match="no space left"):
        parts.write_parts(_batches(2000, 20), pafs.LocalFileSystem(), str(tmp_path), SCHEMA, ("year",), local=True)
    assert not [t for t in threading.enumerate() if t.name.startswith("parquet-part-")]


def test_a_reader_that_fails_stops_every_writer(tmp_path, monkeypatch):
    monkeypatch.setattr(parts, "writer_threads", lambda: 2)

    def broken():
        yield from _batches(100, 10)
        raise RuntimeError("DuckDB: out of memory")

    with pytest.raises(RuntimeError, match="out of memory"):
        parts.write_parts(broken(), pafs.LocalFileSystem(), str(tmp_path), SCHEMA, (), local=True)
    assert not [t for t in threading.enumerate() if t.name.startswith("parquet-part-")]
