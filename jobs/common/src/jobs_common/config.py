"""Job configuration plumbing: packaged defaults, an optional YAML file, then `--key value`
overrides, and the typed readers of single values every job uses."""

from __future__ import annotations

import pkgutil
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import ConfigError

OUTPUT_FORMATS = ("parquet", "csv")


def load_default_config(package: str, source_copy: Path) -> dict[str, Any]:
    """The default config.yml: packaged inside code.zip by the build as <package>/config.yml, or,
    running from the source tree (tests, development), the job folder's copy at source_copy."""
    try:
        data = pkgutil.get_data(package, "config.yml")
    except (FileNotFoundError, OSError):
        data = None
    if data is None:
        data = source_copy.read_bytes()
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
    """Apply overrides onto defaults; unknown keys are rejected so typos do not pass silently."""
    merged = dict(defaults)
    for key, value in overrides.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ConfigError(f"{origin}: unknown key '{key}' (known keys: {known})")
        merged[key] = value
    return merged


def text(raw: Mapping[str, Any], key: str) -> str:
    """The value as stripped text; a missing key or null is ""."""
    value = raw.get(key)
    return "" if value is None else str(value).strip()


def whole_number(raw: Mapping[str, Any], key: str, minimum: int) -> int:
    value = raw[key]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"config key '{key}': '{value}' is not a whole number") from None
    if number < minimum:
        raise ConfigError(f"config key '{key}': {number} must be >= {minimum}")
    return number


def choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    """One of allowed, case-insensitive, returned lower-case."""
    value = text(raw, key).lower()
    if value not in allowed:
        raise ConfigError(f"config key '{key}': '{raw[key]}' is not one of {', '.join(allowed)}")
    return value
