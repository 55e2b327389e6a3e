"""Load: run-scoped table writes, the run record, the published manifest and retention, through
Hadoop's FileSystem API (jobs_common.storage) so the same code serves local paths, HDFS and
s3:// (EMRFS on Glue/EMR) / s3a://.

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

from jobs_common.storage import Storage, read_table, table_writer
from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

__all__ = [
    "Storage",
    "Written",
    "read_table",
    "write_table",
    "table_root",
    "run_path",
    "read_manifest",
    "read_run_record",
    "manifest_text",
    "write_run_record",
    "publish_manifest",
    "retained",
    "remove_unretained",
]

MANIFEST = "_manifest.json"
RUNS = "_runs"
QUARANTINE = "quarantine"
RUN_DIR = re.compile(r"^run_id=(.+)$")


def table_root(output_path: str, table: str) -> str:
    return f"{output_path}/{table}"


def run_path(output_path: str, table: str, run_id: str) -> str:
    return f"{output_path}/{table}/run_id={run_id}"


@dataclass(frozen=True)
class Written:
    rows: int
    partitions: tuple[dict[str, int], ...]  # partition values, for partitioned tables


def write_table(storage: Storage, df: DataFrame, path: str, fmt: str, partition_by: Sequence[str], files: int | None = None) -> Written:
    """Write df to its run-scoped path (overwriting what an earlier attempt of the same run left
    there). The row count is an observed metric of the write itself, not a read-back.
    files: repartition to this many files first (1 for small tables); None keeps the plan's."""
    if files is not None:
        df = df.repartition(files)
    # Observed in the write's last stage (an observation below a shuffle is not reported); the
    # name is unique because writes run concurrently and observations are matched by name.
    observation = Observation(f"rows_{uuid.uuid4().hex}")
    observed = df.observe(observation, F.count(F.lit(1)).alias("rows"))
    table_writer(observed, fmt, partition_by).save(path)
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
