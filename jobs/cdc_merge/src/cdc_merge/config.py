"""Job configuration: packaged defaults, an optional YAML file, then `--key value` overrides."""

from __future__ import annotations

import datetime as dt
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import ConfigError

INPUT_FORMATS = ("parquet", "csv")
OUTPUT_FORMATS = ("parquet", "csv")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def load_default_config() -> dict[str, Any]:
    """The default config.yml: packaged inside code.zip by the build, or the source tree copy."""
    try:
        data = pkgutil.get_data("cdc_merge", "config.yml")
    except (FileNotFoundError, OSError):
        data = None
    if data is None:
        data = (Path(__file__).resolve().parents[2] / "config.yml").read_bytes()
    return parse_yaml(data.decode("utf-8"), "default config.yml")


def parse_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML ({exc.__class__.__name__}); fix the file") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{origin}: expected a mapping of key: value at the top level")
    return loaded


def merge(defaults: Mapping[str, Any], overrides: Mapping[str, Any], origin: str) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in overrides.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ConfigError(f"{origin}: unknown key '{key}' (known keys: {known})")
        merged[key] = value
    return merged


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


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = _text(raw, key).lower()
    if value not in allowed:
        raise ConfigError(f"config key '{key}': '{raw[key]}' is not one of {', '.join(allowed)}")
    return value


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


def _int(raw: Mapping[str, Any], key: str, minimum: int) -> int:
    value = raw[key]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"config key '{key}': '{value}' is not a whole number") from None
    if number < minimum:
        raise ConfigError(f"config key '{key}': {number} must be >= {minimum}")
    return number


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
