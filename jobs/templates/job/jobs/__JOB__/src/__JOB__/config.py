"""Configuration: packaged defaults, an optional YAML file, then `--key value` overrides."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from jobs_common.config import load_default_config as _load_default_config
from jobs_common.config import text as _text
from jobs_common.errors import ConfigError


def load_default_config() -> dict[str, Any]:
    """config.yml from code.zip, or the job folder's copy when running from the source tree."""
    return _load_default_config("__JOB__", Path(__file__).resolve().parents[2] / "config.yml")


@dataclass(frozen=True)
class Config:
    input_path: str
    output_path: str
    run_id: str


def resolve(raw: Mapping[str, Any], started_at: dt.datetime) -> Config:
    for key in ("input_path", "output_path"):
        if not _text(raw, key):
            raise ConfigError(f"{key} is empty; pass --{key} PATH")
    # Two runs started in the same second must not share outputs: the time and a random part.
    run_id = _text(raw, "run_id") or f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    return Config(input_path=_text(raw, "input_path").rstrip("/"), output_path=_text(raw, "output_path").rstrip("/"), run_id=run_id)
