"""Load: write each table and the run manifest, through Hadoop's FileSystem API so the same
code serves local paths, HDFS and s3:// (EMRFS on Glue/EMR) / s3a://.

Atomicity per table:
- file systems with a real rename (local, HDFS): write into a hidden temporary sibling, then
  swap it in (old -> backup, temp -> final, delete backup). Readers see the old or the new table,
  never a half-written one; a failed write leaves the old table untouched.
- object stores (s3, s3a, s3n, gs, abfs...): rename is a copy, not atomic, so tables are written in
  place. Partitioned fact tables use dynamic partition overwrite: only the partitions this run
  produced are replaced, each one by Spark's commit protocol. Unpartitioned tables are overwritten
  whole. Readers should go by _manifest.json, written last, to know a run completed.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from pyspark.sql import DataFrame, SparkSession

OBJECT_STORE_SCHEMES = ("s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs")


class Storage:
    def __init__(self, spark: SparkSession):
        self._spark = spark
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, path: str):
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def _fs(self, path: str):
        return self._path(path).getFileSystem(self._conf)

    def qualified(self, path: str) -> str:
        """Absolute URI of a path, for printing and the manifest."""
        p = self._path(path)
        return str(p.getFileSystem(self._conf).makeQualified(p).toString())

    def is_object_store(self, path: str) -> bool:
        scheme = self._path(path).toUri().getScheme()
        return scheme is not None and scheme.lower() in OBJECT_STORE_SCHEMES

    def exists(self, path: str) -> bool:
        return bool(self._fs(path).exists(self._path(path)))

    def delete(self, path: str) -> None:
        fs = self._fs(path)
        if fs.exists(self._path(path)):
            fs.delete(self._path(path), True)

    def rename(self, source: str, target: str) -> None:
        if not self._fs(source).rename(self._path(source), self._path(target)):
            raise IOError(f"could not rename {source} to {target}")

    def write_text(self, path: str, text: str) -> None:
        fs = self._fs(path)
        stream = fs.create(self._path(path), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()


def _writer(df: DataFrame, fmt: str, partition_by: Sequence[str]):
    if partition_by:
        # One file per partition directory instead of one per shuffle partition per directory.
        df = df.repartition(*partition_by)
    writer = df.write.format(fmt).mode("overwrite")
    if fmt == "csv":
        writer = writer.option("header", True).option("escape", '"')
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    return writer


def write_table(
    storage: Storage, df: DataFrame, path: str, fmt: str, partition_by: Sequence[str], run_id: str
) -> None:
    if storage.is_object_store(path):
        # See module docstring: in-place overwrite, only touched partitions for partitioned tables.
        df.sparkSession.conf.set(
            "spark.sql.sources.partitionOverwriteMode", "dynamic" if partition_by else "static"
        )
        _writer(df, fmt, partition_by).save(path)
        return
    parent, _, name = path.rstrip("/").rpartition("/")
    parent = parent or "."
    staging = f"{parent}/.{name}.staging-{run_id}"
    backup = f"{parent}/.{name}.previous-{run_id}"
    storage.delete(staging)
    _writer(df, fmt, partition_by).save(staging)
    had_previous = storage.exists(path)
    if had_previous:
        storage.rename(path, backup)
    storage.rename(staging, path)
    if had_previous:
        storage.delete(backup)


def read_table(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    reader = spark.read.format(fmt)
    if fmt == "csv":
        reader = reader.option("header", True).option("multiLine", True).option("escape", '"')
    return reader.load(path)


def count_written(spark: SparkSession, path: str, fmt: str) -> int:
    """Rows as read back from the output (parquet answers from file footers)."""
    return read_table(spark, path, fmt).count()


def write_manifest(storage: Storage, output_path: str, manifest: dict[str, Any], latest: bool) -> str:
    """The run's record goes to _runs/<run_id>.json; a successful run also becomes _manifest.json."""
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    run_file = f"{output_path}/_runs/{manifest['run_id']}.json"
    storage.write_text(run_file, text)
    if latest:
        storage.write_text(f"{output_path}/_manifest.json", text)
    return run_file
