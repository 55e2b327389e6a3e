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

import uuid
from dataclasses import dataclass
from typing import Iterable, Sequence

from jobs_common.storage import Storage, read_table, table_writer
from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from .publish import (  # noqa: F401  (load's API: the publish steps every runtime shares)
    MANIFEST,
    QUARANTINE,
    RUN_DIR,
    RUNS,
    manifest_text,
    publish_manifest,
    read_manifest,
    read_run_record,
    remove_unretained,
    retained,
    run_path,
    table_root,
    write_run_record,
)

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
