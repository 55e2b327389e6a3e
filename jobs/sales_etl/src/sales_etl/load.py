"""Load: run-scoped table writes, the run record, the published manifest and retention, through
Hadoop's FileSystem API so the same code serves local paths, HDFS and s3:// (EMRFS on Glue/EMR)
/ s3a://.

Layout under output_path:

    <table>/run_id=<run_id>/...     every table of a run (fact tables: .../year=YYYY/month=M/)
    quarantine/run_id=<run_id>/     the run's quarantined rows
    _runs/<run_id>.json             the record of every run, failed ones included
    _manifest.json                  the published run: the one pointer readers go by

A run writes only under its own run_id= directories, so whatever happens to it (an error, a
kill, a lost executor) the published tables are untouched. Publishing is one atomic step: one
PUT of _manifest.json on object stores, a rename over the old file on file systems that have
one. Old runs are removed after a publish, keeping the last `retention_runs` published ones.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

OBJECT_STORE_SCHEMES = ("s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs")
MANIFEST = "_manifest.json"
RUNS = "_runs"
QUARANTINE = "quarantine"
RUN_DIR = re.compile(r"^run_id=(.+)$")


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
        """Absolute URI of a path, for printing, the manifest and the catalog."""
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

    def size(self, path: str) -> int:
        """Bytes under a file or directory (0 if it does not exist)."""
        fs = self._fs(path)
        if not fs.exists(self._path(path)):
            return 0
        return int(fs.getContentSummary(self._path(path)).getLength())

    def list_dirs(self, path: str) -> list[str]:
        """Names of the sub-directories of path ([] if it does not exist)."""
        fs = self._fs(path)
        if not fs.exists(self._path(path)):
            return []
        return sorted(str(s.getPath().getName()) for s in fs.listStatus(self._path(path)) if s.isDirectory())

    def read_text(self, path: str) -> str | None:
        fs = self._fs(path)
        if not fs.exists(self._path(path)):
            return None
        stream = fs.open(self._path(path))
        try:
            return str(self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()

    def write_text(self, path: str, text: str) -> None:
        """One create + close: a single PUT on object stores (visible whole or not at all)."""
        fs = self._fs(path)
        stream = fs.create(self._path(path), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def replace_text(self, path: str, text: str, tag: str) -> None:
        """Atomically replace a small file: readers see the old text or the new, never a mix.
        Object stores: one PUT. Other file systems: write a hidden sibling, rename it over."""
        if self.is_object_store(path):
            self.write_text(path, text)
            return
        parent, _, name = path.rpartition("/")
        temporary = f"{parent}/.{name}.{tag}.tmp"
        self.write_text(temporary, text)
        fs = self._fs(path)
        # Local file systems rename over an existing file atomically (POSIX rename).
        if fs.rename(self._path(temporary), self._path(path)):
            return
        # HDFS refuses to rename onto an existing file; FileContext's OVERWRITE rename is atomic there.
        jvm = self._jvm
        options = self._spark.sparkContext._gateway.new_array(jvm.org.apache.hadoop.fs.Options.Rename, 1)
        options[0] = jvm.org.apache.hadoop.fs.Options.Rename.OVERWRITE
        context = jvm.org.apache.hadoop.fs.FileContext.getFileContext(self._path(path).toUri(), self._conf)
        context.rename(self._path(temporary), self._path(path), options)


def table_root(output_path: str, table: str) -> str:
    return f"{output_path}/{table}"


def run_path(output_path: str, table: str, run_id: str) -> str:
    return f"{output_path}/{table}/run_id={run_id}"


@dataclass(frozen=True)
class Written:
    rows: int
    partitions: tuple[dict[str, int], ...]  # partition values, for partitioned tables


def _writer(df: DataFrame, fmt: str, partition_by: Sequence[str]):
    writer = df.write.format(fmt).mode("overwrite")
    if fmt == "csv":
        writer = writer.option("header", True).option("escape", '"')
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    return writer


def write_table(
    storage: Storage, df: DataFrame, path: str, fmt: str, partition_by: Sequence[str], files: int | None = None
) -> Written:
    """Write df to its run-scoped path (overwriting what an earlier attempt of the same run left
    there). The row count is an observed metric of the write itself, not a read-back.
    files: repartition to this many files first (1 for small tables); None keeps the plan's."""
    if files is not None:
        df = df.repartition(files)
    # Observed in the write's last stage (an observation below a shuffle is not reported); the
    # name is unique because writes run concurrently and observations are matched by name.
    observation = Observation(f"rows_{uuid.uuid4().hex}")
    observed = df.observe(observation, F.count(F.lit(1)).alias("rows"))
    _writer(observed, fmt, partition_by).save(path)
    rows = int(observation.get["rows"])
    partitions: tuple[dict[str, int], ...] = ()
    if partition_by:
        partitions = tuple(_partition_values(storage, path, list(partition_by)))
    return Written(rows=rows, partitions=partitions)


def _partition_values(storage: Storage, path: str, columns: list[str]) -> Iterable[dict[str, int]]:
    """The partition directories a partitioned write produced, as {column: value} (integers)."""
    found = [{}]
    prefix = path
    for column in columns:
        deeper = []
        for values in found:
            here = prefix + "".join(f"/{c}={v}" for c, v in values.items())
            for name in storage.list_dirs(here):
                key, _, value = name.partition("=")
                if key == column and value.lstrip("-").isdigit():
                    deeper.append({**values, column: int(value)})
        found = deeper
    return sorted(found, key=lambda v: tuple(v[c] for c in columns))


def read_table(spark: SparkSession, path: str, fmt: str, schema: StructType | None = None) -> DataFrame:
    reader = spark.read.format(fmt)
    if schema is not None:
        reader = reader.schema(schema)
    if fmt == "csv":
        reader = reader.option("header", True).option("multiLine", True).option("escape", '"')
    return reader.load(path)


def read_manifest(storage: Storage, output_path: str) -> dict[str, Any] | None:
    text = storage.read_text(f"{output_path}/{MANIFEST}")
    return json.loads(text) if text else None


def read_run_record(storage: Storage, output_path: str, run_id: str) -> dict[str, Any] | None:
    text = storage.read_text(f"{output_path}/{RUNS}/{run_id}.json")
    return json.loads(text) if text else None


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def write_run_record(storage: Storage, output_path: str, manifest: dict[str, Any]) -> str:
    """_runs/<run_id>.json: every run's record, failed ones included. Publishes nothing."""
    run_file = f"{output_path}/{RUNS}/{manifest['run_id']}.json"
    storage.write_text(run_file, manifest_text(manifest))
    return run_file


def publish_manifest(storage: Storage, output_path: str, manifest: dict[str, Any]) -> str:
    """The publish step: _manifest.json now names this run. Atomic (see Storage.replace_text)."""
    path = f"{output_path}/{MANIFEST}"
    storage.replace_text(path, manifest_text(manifest), manifest["run_id"])
    return path


def retained(run_id: str, previous: dict[str, Any] | None, keep: int) -> list[str]:
    """Published runs whose files stay after publishing run_id: newest first, `keep` of them."""
    history = [run_id]
    if previous and previous.get("status") == "succeeded":
        for earlier in previous.get("retained_runs") or [previous.get("run_id")]:
            if earlier and earlier not in history:
                history.append(earlier)
    return history[:keep]


def remove_unretained(storage: Storage, output_path: str, tables: Iterable[str], keep: Sequence[str]) -> list[str]:
    """Delete every <table>/run_id=X/ whose X is not in keep: runs that expired, and runs that
    never published (failed or killed). Returns the removed paths. Only run_id= directories are
    touched, so files of other layouts under output_path stay as they are."""
    removed = []
    for table in tables:
        root = table_root(output_path, table)
        for name in storage.list_dirs(root):
            match = RUN_DIR.match(name)
            if match and match.group(1) not in keep:
                storage.delete(f"{root}/{name}")
                removed.append(f"{root}/{name}")
    return removed
