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
from typing import Any, Iterable, Mapping, Protocol, Sequence

from .errors import ConfigError, DataQualityError, PublishError
from .record import RunRecord

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


def manifest_text(record: RunRecord) -> str:
    return json.dumps(record.as_dict(), indent=2, sort_keys=True) + "\n"


def write_run_record(storage: TextStore, output_path: str, record: RunRecord) -> str:
    """_runs/<run_id>.json: every run's record, failed ones included. Publishes nothing."""
    run_file = f"{output_path}/{RUNS}/{record.run_id}.json"
    storage.write_text(run_file, manifest_text(record))
    return run_file


def publish_manifest(storage: TextStore, output_path: str, record: RunRecord) -> str:
    """The publish step: _manifest.json now names this run. Atomic (see Storage.replace_text)."""
    path = f"{output_path}/{MANIFEST}"
    storage.replace_text(path, manifest_text(record), record.run_id)
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


# The run record's parts every runtime fills the same way.


def refuse_superseded(run_id: str, earlier: dict[str, Any] | None, published: dict[str, Any] | None) -> None:
    """A run id that was published before and has been replaced since is not run again."""
    if earlier and earlier.get("status") == "succeeded":
        raise ConfigError(
            f"config key 'run_id': run {run_id} was published before and has been superseded by run "
            f"{published.get('run_id') if published else '?'}; give this run a new run_id"
        )


def refuse_changed_settings(run_id: str, published: dict[str, Any], settings: Mapping[str, Any]) -> None:
    """A rerun of the published run id must ask for the same rows (data_settings)."""
    recorded = {k: v for k, v in published.get("config", {}).items() if k in settings}
    if recorded != dict(settings):
        changed = sorted(k for k in settings if recorded.get(k) != settings[k])
        raise ConfigError(f"config key 'run_id': run {run_id} is already published with different {', '.join(changed)}; give this run a new run_id")


def republished(storage: TextStore, cfg: Any, published: dict[str, Any], tables: Iterable[str]) -> RunResult:
    """A rerun of the published run id (cfg: the job's JobConfig): nothing is recomputed or
    rewritten (idempotent); the runs outside its retention are removed, as its first attempt
    would have done had it not stopped before."""
    refuse_changed_settings(cfg.run_id, published, cfg.data_settings())
    result = RunResult(
        run_id=cfg.run_id,
        manifest_path=storage.qualified(f"{cfg.output_path}/{RUNS}/{cfg.run_id}.json"),
        tables=published["tables"],
        quarantine=published["quarantine"],
        already_published=True,
    )
    keep = published.get("retained_runs") or [cfg.run_id]
    result.removed_runs = remove_unretained(storage, cfg.output_path, tables, keep)
    return result


def recorded_partitions(info: Mapping[str, Any]) -> tuple[dict[str, int], ...]:
    """A table record's partitions, each in partitioned_by order: a partition's directory is
    year=Y/month=M, and a record read back from JSON has its keys sorted (month before year)."""
    columns = info.get("partitioned_by", ())
    return tuple({c: values[c] for c in columns} for values in info.get("partitions", ()))


def catalog_error(cfg: Any, exc: BaseException) -> PublishError:
    """The failure of a published run's catalog step (cfg: the job's JobConfig): the data is
    published; the rerun of the same run id points the catalog at it."""
    return PublishError(
        f"run {cfg.run_id} is published in {cfg.output_path}/_manifest.json but "
        f"updating catalog database '{cfg.catalog_database}' failed ({first_line(exc)}); rerun with "
        f"--run_id {cfg.run_id} to point the catalog at it"
    )


def data_quality_error(record: RunRecord, rows_read: int, run_file: str) -> DataQualityError:
    """The failure of a run whose quarantined share is above its limit (its record is written)."""
    q = record.quarantine
    return DataQualityError(
        f"{q['rows']} of {rows_read} source rows ({q['ratio']:.2%}) failed data quality checks, "
        f"above dq_max_quarantine_ratio={q['max_ratio']}; see {q['path']} and {run_file}"
    )


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0][:500]
