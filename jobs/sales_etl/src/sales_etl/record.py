"""The run record: `_runs/<run_id>.json` for every run, and `_manifest.json` once published.

One type for both runtimes, so a field cannot be spelled two ways; `as_dict` gives the JSON
document readers (deployer's `status`, the next run) see, with the keys a run of that kind has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass
class RunRecord:
    job: str
    run_id: str
    as_of: str
    ingest_ts: str
    runtime: str  # "spark" or "duckdb"
    runtime_version: str  # spark_version or duckdb_version in the document
    config: dict[str, Any]
    input_bytes: int
    previous_run_id: str | None
    shuffle_partitions: int | None = None  # Spark only
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    quarantine: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    status: str | None = None  # succeeded, failed, failed_data_quality
    error: str | None = None
    duration_s: float | None = None
    # Set when the run is published.
    retained_runs: list[str] | None = None
    catalog_database: str | None = None
    published_at: str | None = None

    @classmethod
    def begin(
        cls,
        cfg: Any,
        started_at: dt.datetime,
        runtime: str,
        runtime_version: str,
        input_bytes: int,
        published: Mapping[str, Any] | None,
        shuffle_partitions: int | None = None,
    ) -> RunRecord:
        """The record of a run of `cfg` (a JobConfig) starting now, before anything is read."""
        return cls(
            job="sales_etl",
            run_id=cfg.run_id,
            as_of=cfg.as_of.isoformat(),
            ingest_ts=started_at.isoformat(),
            runtime=runtime,
            runtime_version=runtime_version,
            config=cfg.as_dict(),
            input_bytes=input_bytes,
            previous_run_id=published.get("run_id") if published else None,
            shuffle_partitions=shuffle_partitions,
        )

    def record_inputs(self, paths: Mapping[str, str], counts: Mapping[str, tuple[int, int]]) -> tuple[int, int, float]:
        """`inputs` from {source: (clean rows, quarantined rows)} and the sources' qualified
        paths; returns (rows read, rows quarantined, quarantined ratio)."""
        for name, path in paths.items():
            valid, bad = counts.get(name, (0, 0))
            self.inputs[name] = {"path": path, "rows_read": valid + bad, "rows_valid": valid, "rows_quarantined": bad}
        rows_read = sum(i["rows_read"] for i in self.inputs.values())
        rows_quarantined = sum(i["rows_quarantined"] for i in self.inputs.values())
        return rows_read, rows_quarantined, rows_quarantined / rows_read if rows_read else 0.0

    def set_quarantine(self, path: str, rows: int, ratio: float, max_ratio: float) -> None:
        """Where the quarantined rows are, how many, their share and its limit."""
        self.quarantine = {"path": path, "rows": rows, "ratio": round(ratio, 6), "max_ratio": max_ratio}

    def failed(self, status: str, duration_s: float, error: str | None = None) -> None:
        self.status, self.duration_s = status, duration_s
        if error is not None:
            self.error = error

    def succeeded(self, retained_runs: list[str], catalog_database: str | None, duration_s: float) -> None:
        self.status = "succeeded"
        self.retained_runs = retained_runs
        self.catalog_database = catalog_database
        self.published_at = dt.datetime.now(dt.timezone.utc).isoformat()
        self.duration_s = duration_s

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "job": self.job,
            "run_id": self.run_id,
            "as_of": self.as_of,
            "ingest_ts": self.ingest_ts,
            "runtime": self.runtime,
            f"{self.runtime}_version": self.runtime_version,
            "config": self.config,
            "input_bytes": self.input_bytes,
            "inputs": self.inputs,
            "quarantine": self.quarantine,
            "tables": self.tables,
            "timings_s": self.timings_s,
            "previous_run_id": self.previous_run_id,
        }
        if self.shuffle_partitions is not None:
            document["shuffle_partitions"] = self.shuffle_partitions
        for key in ("status", "error", "duration_s", "retained_runs", "published_at"):
            if getattr(self, key) is not None:
                document[key] = getattr(self, key)
        if self.status == "succeeded":
            # Published: readers look for the catalog database, none included.
            document["catalog_database"] = self.catalog_database
        return document
