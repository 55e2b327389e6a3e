"""Job configuration: packaged defaults, an optional YAML file, then `--key value` overrides."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from jobs_common.config import OUTPUT_FORMATS, merge, parse_yaml  # noqa: F401  (the job's config API)
from jobs_common.config import choice as _choice
from jobs_common.config import load_default_config as _load_default_config
from jobs_common.config import text as _text
from jobs_common.config import whole_number as _int

from .errors import ConfigError

# cdc: the current-state parquet tables cdc_merge writes (<source_path>/<table>/), read like parquet.
SOURCE_FORMATS = ("csv", "parquet", "cdc")
RUNTIMES = ("spark", "duckdb")
PARTITIONABLE = ("year", "month")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def load_default_config() -> dict[str, Any]:
    """The default config.yml: packaged inside code.zip by the build, or the source tree copy
    (jobs/sales_etl/config.yml) when running from the source tree."""
    return _load_default_config("sales_etl", Path(__file__).resolve().parents[2] / "config.yml")


@dataclass(frozen=True)
class JobConfig:
    earliest_entry_date: dt.date
    overdue_days: int
    as_of: dt.date
    source_format: str
    source_paths: dict[str, str]
    output_path: str
    output_format: str
    fact_partition_columns: tuple[str, ...]
    dq_max_quarantine_ratio: float
    shuffle_partitions: int | None  # None = sized from the input (the "auto" default)
    run_id: str
    retention_runs: int = 3
    catalog_database: str = ""
    runtime: str = "spark"
    duckdb_max_input_bytes: int = 512 * 2**20

    def as_dict(self) -> dict[str, Any]:
        return {
            "earliest_entry_date": self.earliest_entry_date.isoformat(),
            "overdue_days": self.overdue_days,
            "as_of": self.as_of.isoformat(),
            "source_format": self.source_format,
            "source_paths": dict(self.source_paths),
            "output_path": self.output_path,
            "output_format": self.output_format,
            "fact_partition_columns": list(self.fact_partition_columns),
            "dq_max_quarantine_ratio": self.dq_max_quarantine_ratio,
            "shuffle_partitions": "auto" if self.shuffle_partitions is None else self.shuffle_partitions,
            "run_id": self.run_id,
            "retention_runs": self.retention_runs,
            "catalog_database": self.catalog_database,
            "runtime": self.runtime,
            "duckdb_max_input_bytes": self.duckdb_max_input_bytes,
        }

    def data_settings(self) -> dict[str, Any]:
        """The keys that decide a run's rows (not where or how fast they are written)."""
        keep = (
            "earliest_entry_date",
            "overdue_days",
            "as_of",
            "source_format",
            "source_paths",
            "output_format",
            "fact_partition_columns",
            "dq_max_quarantine_ratio",
        )
        return {k: v for k, v in self.as_dict().items() if k in keep}


def _date(raw: Mapping[str, Any], key: str) -> dt.date:
    value = raw[key]
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        # Only YYYY-MM-DD: date.fromisoformat accepts more on Python 3.11 (20210531, 2021-W22-1)
        # than on 3.9, and a config must mean the same on Glue 5 (3.11) and EMR 7 (3.9).
        if not ISO_DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"config key '{key}': '{value}' is not a date; use YYYY-MM-DD") from None


def _partitions(raw: Mapping[str, Any], key: str) -> int | None:
    if _text(raw, key).lower() == "auto":
        return None
    try:
        return _int(raw, key, 0)
    except ConfigError:
        raise ConfigError(f"config key '{key}': '{raw[key]}' is not 'auto' or a whole number >= 0") from None


def _ratio(raw: Mapping[str, Any], key: str) -> float:
    value = raw[key]
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ConfigError(f"config key '{key}': '{value}' is not a number between 0 and 1") from None
    if not 0.0 <= number <= 1.0:
        raise ConfigError(f"config key '{key}': {number} must be between 0 and 1")
    return number


def resolve(raw: Mapping[str, Any], started_at: dt.datetime) -> JobConfig:
    """Validate and type the merged key/value config. `started_at` (UTC) supplies the defaults."""
    from . import SOURCES

    as_of = _date(raw, "as_of") if _text(raw, "as_of") else started_at.date()
    source_format = _choice(raw, "source_format", SOURCE_FORMATS)
    source_path = _text(raw, "source_path")
    paths = {}
    for table in SOURCES:
        explicit = _text(raw, f"{table}_path")
        if explicit:
            paths[table] = explicit
        elif source_path:
            name = f"{table}.csv" if source_format == "csv" else table
            paths[table] = source_path.rstrip("/") + "/" + name
        else:
            raise ConfigError(f"config key 'source_path' is empty and '{table}_path' is not set; set one")
    output_path = _text(raw, "output_path").rstrip("/")
    if not output_path:
        raise ConfigError("config key 'output_path' is empty; set where the tables go")
    partitions = tuple(c.strip() for c in _text(raw, "fact_partition_columns").split(",") if c.strip())
    for column in partitions:
        if column not in PARTITIONABLE:
            raise ConfigError(f"config key 'fact_partition_columns': '{column}' is not one of {', '.join(PARTITIONABLE)}")
    run_id = _text(raw, "run_id") or started_at.strftime("%Y%m%dT%H%M%S%fZ")
    if not RUN_ID.match(run_id):
        # It names directories (<table>/run_id=<run_id>/) and the run record on any file system.
        raise ConfigError(
            f"config key 'run_id': '{run_id}' must not contain '/' or start with '.'; use 1-128 letters, "
            f"digits, '.', '_' or '-', starting with a letter or digit"
        )
    catalog_database = _text(raw, "catalog_database").lower()
    if catalog_database and not DATABASE_NAME.match(catalog_database):
        raise ConfigError(
            f"config key 'catalog_database': '{raw['catalog_database']}' is not a database name (letters, digits and '_', not starting with a digit)"
        )
    output_format = _choice(raw, "output_format", OUTPUT_FORMATS)
    if catalog_database and output_format != "parquet":
        raise ConfigError(
            "config key 'catalog_database' needs output_format parquet (catalog readers such as Athena "
            "cannot read the csv output); set output_format: parquet or unset catalog_database"
        )
    return JobConfig(
        earliest_entry_date=_date(raw, "earliest_entry_date"),
        overdue_days=_int(raw, "overdue_days", 0),
        as_of=as_of,
        source_format=source_format,
        source_paths=paths,
        output_path=output_path,
        output_format=output_format,
        fact_partition_columns=partitions,
        dq_max_quarantine_ratio=_ratio(raw, "dq_max_quarantine_ratio"),
        shuffle_partitions=_partitions(raw, "shuffle_partitions"),
        run_id=run_id,
        retention_runs=_int(raw, "retention_runs", 1),
        catalog_database=catalog_database,
        runtime=_choice(raw, "runtime", RUNTIMES),
        duckdb_max_input_bytes=_int(raw, "duckdb_max_input_bytes", 1),
    )
