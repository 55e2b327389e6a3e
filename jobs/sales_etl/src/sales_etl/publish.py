"""Publishing a run, for every runtime: the run record, _manifest.json and retention.

Pure Python over a storage object with read_text / write_text / replace_text / list_dirs /
delete (jobs_common.storage.Storage on Spark, sales_etl.duck.store.Store on DuckDB), so the
DuckDB runtime publishes exactly as the Spark one does without importing pyspark.

Layout under output_path:

    <table>/run_id=<run_id>/...     every table of a run (fact tables: .../year=YYYY/month=M/)
    quarantine/run_id=<run_id>/     the run's quarantined rows
    _runs/<run_id>.json             the record of every run, failed ones included
    _manifest.json                  the published run: the one pointer readers go by
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, Sequence

MANIFEST = "_manifest.json"
RUNS = "_runs"
QUARANTINE = "quarantine"
RUN_DIR = re.compile(r"^run_id=(.+)$")


def table_root(output_path: str, table: str) -> str:
    return f"{output_path}/{table}"


def run_path(output_path: str, table: str, run_id: str) -> str:
    return f"{output_path}/{table}/run_id={run_id}"


def is_fact(table: str) -> bool:
    """Fact tables (fact_*) are partitioned by fact_partition_columns."""
    return table.startswith("fact_")


class TextStore(Protocol):
    """What publishing needs of a file system (both runtimes' storage classes provide it)."""

    def read_text(self, path: str) -> str | None: ...
    def write_text(self, path: str, text: str) -> None: ...
    def replace_text(self, path: str, text: str, tag: str) -> None: ...
    def list_dirs(self, path: str) -> list[str]: ...
    def delete(self, path: str) -> None: ...


@dataclass
class RunResult:
    run_id: str
    manifest_path: str
    tables: dict[str, dict] = field(default_factory=dict)
    quarantine: dict = field(default_factory=dict)
    already_published: bool = False
    catalog: dict = field(default_factory=dict)
    removed_runs: list = field(default_factory=list)


def read_manifest(storage: TextStore, output_path: str) -> dict[str, Any] | None:
    text = storage.read_text(f"{output_path}/{MANIFEST}")
    return json.loads(text) if text else None


def read_run_record(storage: TextStore, output_path: str, run_id: str) -> dict[str, Any] | None:
    text = storage.read_text(f"{output_path}/{RUNS}/{run_id}.json")
    return json.loads(text) if text else None


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def write_run_record(storage: TextStore, output_path: str, manifest: dict[str, Any]) -> str:
    """_runs/<run_id>.json: every run's record, failed ones included. Publishes nothing."""
    run_file = f"{output_path}/{RUNS}/{manifest['run_id']}.json"
    storage.write_text(run_file, manifest_text(manifest))
    return run_file


def publish_manifest(storage: TextStore, output_path: str, manifest: dict[str, Any]) -> str:
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


def remove_unretained(storage: TextStore, output_path: str, tables: Iterable[str], keep: Sequence[str]) -> list[str]:
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
