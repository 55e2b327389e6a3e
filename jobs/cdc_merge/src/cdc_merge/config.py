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

INPUT_FORMATS = ("parquet", "csv")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def load_default_config() -> dict[str, Any]:
    """The default config.yml: packaged inside code.zip by the build, or the source tree copy
    (jobs/cdc_merge/config.yml) when running from the source tree."""
    return _load_default_config("cdc_merge", Path(__file__).resolve().parents[2] / "config.yml")


@dataclass(frozen=True)
class MergeConfig:
    input_path: str
    input_format: str
    tables: dict[str, tuple[str, ...]]  # table -> primary key columns, in config order
    op_column: str
    timestamp_column: str
    sequence_column: str
    output_path: str
    output_format: str
    full_refresh: bool
    shuffle_partitions: int
    run_id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_path": self.input_path,
            "input_format": self.input_format,
            "tables": {t: list(k) for t, k in self.tables.items()},
            "op_column": self.op_column,
            "timestamp_column": self.timestamp_column,
            "sequence_column": self.sequence_column,
            "output_path": self.output_path,
            "output_format": self.output_format,
            "full_refresh": self.full_refresh,
            "shuffle_partitions": self.shuffle_partitions,
            "run_id": self.run_id,
        }


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    value = raw[key]
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "y"):
        return True
    if text in ("false", "no", "0", "n", ""):
        return False
    raise ConfigError(f"config key '{key}': '{value}' is not true or false")


def _name(raw: Mapping[str, Any], key: str, required: bool = True) -> str:
    value = _text(raw, key)
    if not value and not required:
        return ""
    if not _NAME.match(value):
        raise ConfigError(f"config key '{key}': '{value}' is not a column name")
    return value


def parse_tables(value: Any) -> dict[str, tuple[str, ...]]:
    """'t1:k1;t2:k1,k2' (or a YAML mapping {t1: k1, t2: [k1, k2]}) -> {table: keys}."""
    if isinstance(value, Mapping):
        items = [(str(t), v if isinstance(v, (list, tuple)) else str(v).split(",")) for t, v in value.items()]
    else:
        items = []
        for part in str(value or "").split(";"):
            if not part.strip():
                continue
            table, sep, keys = part.partition(":")
            if not sep:
                raise ConfigError(f"config key 'tables': '{part.strip()}' has no ':'; write table:key[,key...]")
            items.append((table, keys.split(",")))
    tables: dict[str, tuple[str, ...]] = {}
    for table, keys in items:
        table = table.strip()
        cols = tuple(str(k).strip() for k in keys if str(k).strip())
        if not _NAME.match(table):
            raise ConfigError(f"config key 'tables': '{table}' is not a table name")
        if not cols:
            raise ConfigError(f"config key 'tables': table '{table}' has no primary key column")
        for col in cols:
            if not _NAME.match(col):
                raise ConfigError(f"config key 'tables': '{col}' (table '{table}') is not a column name")
        if table in tables:
            raise ConfigError(f"config key 'tables': table '{table}' is listed twice")
        tables[table] = cols
    if not tables:
        raise ConfigError("config key 'tables' is empty; list table:key[,key...] pairs separated by ';'")
    return tables


def resolve(raw: Mapping[str, Any], started_at: dt.datetime) -> MergeConfig:
    input_path = _text(raw, "input_path").rstrip("/")
    if not input_path:
        raise ConfigError("config key 'input_path' is empty; set the DMS target folder <bucket_folder>/<schema>")
    output_path = _text(raw, "output_path").rstrip("/")
    if not output_path:
        raise ConfigError("config key 'output_path' is empty; set where the current-state tables go")
    run_id = _text(raw, "run_id") or started_at.strftime("%Y%m%dT%H%M%S%fZ")
    if "/" in run_id or run_id.startswith("."):
        raise ConfigError(f"config key 'run_id': '{run_id}' must not contain '/' or start with '.'")
    op_column = _name(raw, "op_column")
    timestamp_column = _name(raw, "timestamp_column")
    sequence_column = _name(raw, "sequence_column", required=False)
    tables = parse_tables(raw.get("tables"))
    for table, keys in tables.items():
        for special in (op_column, timestamp_column, sequence_column):
            if special and special in keys:
                raise ConfigError(f"config key 'tables': '{special}' (table '{table}') is a DMS column, not a key")
    return MergeConfig(
        input_path=input_path,
        input_format=_choice(raw, "input_format", INPUT_FORMATS),
        tables=tables,
        op_column=op_column,
        timestamp_column=timestamp_column,
        sequence_column=sequence_column,
        output_path=output_path,
        output_format=_choice(raw, "output_format", OUTPUT_FORMATS),
        full_refresh=_bool(raw, "full_refresh"),
        shuffle_partitions=_int(raw, "shuffle_partitions", 0),
        run_id=run_id,
    )
