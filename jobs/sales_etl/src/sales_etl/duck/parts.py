"""Parquet part files written by several threads at once, as Spark's tasks write theirs.

pyarrow encodes one file on one thread; a table written as one file keeps one core busy while
DuckDB, which computes the batches, waits. Here each writer thread owns its own part file (one per
partition directory for a partitioned table), batches go to the writers in turn through short
queues (memory stays a few batches), and the thread that reads them from DuckDB runs the query
meanwhile. The files are named part-NNNNN-UUID.snappy.parquet, as Spark names them.
"""

from __future__ import annotations

import os
import queue
import threading
import uuid
from typing import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# A partition's rows are gathered up to this many before they become one row group.
ROW_GROUP_ROWS = 128 * 1024
_END = None


def writer_threads() -> int:
    """One writer per core, at most four (a Glue Python shell has one or four)."""
    return max(1, min(4, os.cpu_count() or 1))


class _Writer(threading.Thread):
    """One thread, its part files (one per partition) and its queue of batches."""

    def __init__(self, index: int, fs, directory: str, schema: pa.Schema, partition_by: Sequence[str], local: bool):
        super().__init__(name=f"parquet-part-{index}", daemon=True)
        self.name_ = f"part-{index:05d}-{uuid.uuid4()}.snappy.parquet"
        self.fs, self.directory, self.local = fs, directory, local
        self.partition_by = list(partition_by)
        # The files hold the data columns; partition values live in the directory names only.
        self.schema = pa.schema([f for f in schema if f.name not in self.partition_by]) if partition_by else schema
        self.inbox: queue.Queue = queue.Queue(maxsize=2)
        self.files: dict[tuple, pq.ParquetWriter] = {}
        self.pending: dict[tuple, list[pa.Table]] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (batch := self.inbox.get()) is not _END:
                self._take(pa.Table.from_batches([batch]))
            for key in list(self.pending):
                self._flush(key)
            for file in self.files.values():
                file.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits for this one
            self.error = exc
            while self.inbox.get() is not _END:  # let the feeder finish rather than block
                pass

    def _take(self, table: pa.Table) -> None:
        if not self.partition_by:
            self._add((), table)
            return
        keys = table.group_by(self.partition_by, use_threads=False).aggregate([]).to_pylist()
        for key in keys:
            mask = None
            for column in self.partition_by:
                same = pc.equal(table[column], key[column])
                mask = same if mask is None else pc.and_(mask, same)
            self._add(tuple(key[c] for c in self.partition_by), table.filter(mask).drop_columns(self.partition_by))

    def _add(self, key: tuple, table: pa.Table) -> None:
        self.pending.setdefault(key, []).append(table)
        if sum(t.num_rows for t in self.pending[key]) >= ROW_GROUP_ROWS:
            self._flush(key)

    def _flush(self, key: tuple) -> None:
        rows = pa.concat_tables(self.pending.pop(key))
        if key not in self.files:
            directory = "/".join([self.directory, *(f"{c}={v}" for c, v in zip(self.partition_by, key))])
            if self.local:
                self.fs.create_dir(directory, recursive=True)
            self.files[key] = pq.ParquetWriter(f"{directory}/{self.name_}", self.schema, filesystem=self.fs, compression="snappy")
        self.files[key].write_table(rows, row_group_size=rows.num_rows)


def write_parts(batches: Iterable[pa.RecordBatch], fs, directory: str, schema: pa.Schema, partition_by: Sequence[str], local: bool) -> tuple[int, set[tuple]]:
    """Writes the batches (already in `schema`) under `directory`; returns (rows, partition keys)."""
    writers = [_Writer(i, fs, directory, schema, partition_by, local) for i in range(writer_threads())]
    for writer in writers:
        writer.start()
    rows = 0
    try:
        for index, batch in enumerate(batches):
            rows += batch.num_rows
            writer = writers[index % len(writers)]
            if writer.error is not None:
                break
            writer.inbox.put(batch)
    finally:
        for writer in writers:
            writer.inbox.put(_END)
        for writer in writers:
            writer.join()
    for writer in writers:
        if writer.error is not None:
            raise writer.error
    if not partition_by and not any(w.files for w in writers):
        # An empty table is still a table: one file with the schema and no rows.
        if local:
            fs.create_dir(directory, recursive=True)
        pq.ParquetWriter(f"{directory}/{writers[0].name_}", writers[0].schema, filesystem=fs, compression="snappy").close()
    return rows, {key for w in writers for key in w.files}
