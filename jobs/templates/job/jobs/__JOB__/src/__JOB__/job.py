"""One run: extract -> transform -> load, then the run record `deployer status` reads."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from jobs_common.errors import SourceError
from jobs_common.storage import Storage
from pyspark.sql import SparkSession

from .config import Config
from .transform import build


@dataclass(frozen=True)
class RunResult:
    run_id: str
    tables: dict[str, dict]


def extract(spark: SparkSession, cfg: Config) -> dict:
    path = f"{cfg.input_path}/invoices.csv"
    try:
        frame = spark.read.option("header", True).option("multiLine", True).option("escape", '"').csv(path)
    except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException: no such path
        raise SourceError(f"input {path} cannot be read ({str(exc).splitlines()[0]}); check --input_path") from None
    return {"invoices": frame}


def run(spark: SparkSession, cfg: Config, started_at: dt.datetime) -> RunResult:
    storage = Storage(spark)
    tables = {}
    for name, frame in build(spark, extract(spark, cfg)).items():
        path = f"{cfg.output_path}/{name}/run_id={cfg.run_id}"
        frame.write.mode("overwrite").parquet(path)
        tables[name] = {"path": storage.qualified(path), "rows": spark.read.parquet(path).count(), "format": "parquet"}
    record = {
        "job": "__JOB__",
        "run_id": cfg.run_id,
        "status": "succeeded",
        "ingest_ts": started_at.isoformat(),
        "published_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "tables": tables,
    }
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    storage.write_text(f"{cfg.output_path}/_runs/{cfg.run_id}.json", text)
    storage.replace_text(f"{cfg.output_path}/_manifest.json", text, cfg.run_id)
    return RunResult(run_id=cfg.run_id, tables=tables)
